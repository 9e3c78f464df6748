"""Outcomes: one number per run, the mean of an annual output column over a window of years.

``ipp_2030`` is the IPP in 2030; ``spbe_mean_2025_2030`` the mean SPBE over 2025-2030;
``online_gap_2030`` the online-use gap between the best- and least-connected access quintiles
(``online_gap_q5_q1``) in 2030. An experiment file may declare its own in ``[outcomes]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from model.errors import ScenarioError
from model.outputs import OUTPUTS_BY_NAME

_LABEL_UNITS = {"label", "bool"}


@dataclass(frozen=True)
class Outcome:
    """The mean of annual column ``column`` over the years ``first``..``last`` (inclusive)."""

    name: str
    column: str
    first: int
    last: int


STANDARD_OUTCOMES: tuple[Outcome, ...] = (
    Outcome("ipp_2030", "ipp", 2030, 2030),
    Outcome("spbe_mean_2025_2030", "spbe", 2025, 2030),
    Outcome("online_gap_2030", "online_gap_q5_q1", 2030, 2030),
)
"""Used when an experiment file has no ``[outcomes]`` table."""


def numeric_outputs() -> list[str]:
    """Annual output columns that can be outcomes (numbers, not labels)."""
    return [n for n, o in OUTPUTS_BY_NAME.items() if o.unit not in _LABEL_UNITS]


def outcome_from_table(name: str, table: Any, path: str | None) -> Outcome:
    """``name = { column = "ipp", year = 2030 }`` or ``{ column, years = [2025, 2030] }``."""
    where = f"outcomes.{name}"
    if not isinstance(table, dict):
        raise ScenarioError(path, where, "expected { column = ..., year = ... } or years = [a, b]")
    unknown = sorted(set(table) - {"column", "year", "years"})
    if unknown:
        raise ScenarioError(path, f"{where}.{unknown[0]}",
                            "unknown key; valid keys are: column, year, years")
    column = table.get("column")
    if column not in numeric_outputs():
        raise ScenarioError(path, f"{where}.column", f"{column!r} is not a numeric annual "
                                                     "output (see model/outputs.py)")
    if ("year" in table) == ("years" in table):
        raise ScenarioError(path, where, "give exactly one of year = Y or years = [first, last]")
    years = [table["year"]] * 2 if "year" in table else table["years"]
    if (not isinstance(years, list) or len(years) != 2
            or not all(isinstance(y, int) and not isinstance(y, bool) for y in years)
            or years[0] > years[1]):
        raise ScenarioError(path, f"{where}.years", f"expected [first, last], got {years!r}")
    return Outcome(name, column, years[0], years[1])


def outcome_columns(outcomes: tuple[Outcome, ...]) -> list[str]:
    """The annual columns the outcomes need."""
    return sorted({o.column for o in outcomes})


def compute_outcomes(annual: pd.DataFrame, outcomes: tuple[Outcome, ...],
                     keys: tuple[str, ...] = ("run_id",)) -> pd.DataFrame:
    """One row per ``keys`` group (a run) with one column per outcome.

    ``annual`` needs the ``keys``, ``year`` and the outcomes' columns.
    """
    frames = []
    for o in outcomes:
        window = annual[(annual["year"] >= o.first) & (annual["year"] <= o.last)]
        frames.append(window.groupby(list(keys), sort=True)[o.column].mean().rename(o.name))
    return pd.concat(frames, axis=1).reset_index()
