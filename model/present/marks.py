"""What every index chart marks: the official bands, the method changes, and where the observed
values are drawn (the year the calibration reads them in, with the tolerance it allows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.calibration.targets import decimals_of, sigma_for
from model.observed import load_observed, observed_indices
from model.rules import (
    IKM_CATEGORIES,
    IPP_GRADES,
    IPP_NEW_FORMS_YEAR,
    PEMDI_FROM_YEAR,
    PEMDI_PREDIKAT,
    SPBE_METHOD_CHANGE_YEAR,
    SPBE_PREDIKAT,
)

PEMDI_BANDS = PEMDI_PREDIKAT

BANDS = {"spbe": SPBE_PREDIKAT, "ipp": IPP_GRADES, "ikm": IKM_CATEGORIES, "pemdi": PEMDI_BANDS}
"""Official bands by index, highest first: (lower edge, label)."""
SCALE = {"spbe": (1.0, 5.0), "ipp": (1.0, 5.0), "ikm": (1.0, 4.0), "pemdi": (1.0, 5.0)}
"""Each index's full scale (index points)."""


@dataclass(frozen=True)
class MethodChange:
    """A change of an index's method: first scored the new way in the round of ``year``."""

    index: str
    year: int
    rule: str
    key: str  # i18n key of the label and the explaining sentence: ``method.<key>``


METHOD_CHANGES = (
    MethodChange("spbe", SPBE_METHOD_CHANGE_YEAR, "PermenPAN-RB 59/2020", "spbe_2021"),
    MethodChange("ipp", IPP_NEW_FORMS_YEAR, "PermenPAN-RB 29/2022", "ipp_2022"),
    MethodChange("spbe", PEMDI_FROM_YEAR, "PermenPAN-RB 8/2026", "pemdi_2026"),
    MethodChange("pemdi", PEMDI_FROM_YEAR, "PermenPAN-RB 8/2026", "pemdi_2026"),
)


def method_changes(index: str, years: tuple[int, int]) -> list[MethodChange]:
    """The method changes of ``index`` inside the simulated ``years`` (first round included)."""
    return [m for m in METHOD_CHANGES if m.index == index and years[0] < m.year <= years[1]]


UNCERTAIN_READING_SHIFT = 1
"""Kediri's "2019" and "2020" SPBE values are drawn a year earlier, as the 2018 and 2019 rounds
published in 2019 and 2020: the reading the calibration prefers (docs/calibration.md); the
as-labelled reading is drawn beside it, hollow."""


def observation_points(observed: pd.DataFrame | None = None,
                       raw: pd.DataFrame | None = None) -> pd.DataFrame:
    """Observed index values placed as the calibration reads them.

    Columns of :func:`model.observed.observed_indices` plus ``year_read`` (the year the value is
    drawn and compared in), ``year_alt`` (the other reading's year, or NaN) and ``tolerance``
    (index points: the calibration's ``sigma`` for the source's confidence and rounding).
    """
    obs = observed_indices() if observed is None else observed.copy()
    raw = load_observed() if raw is None else raw
    text = {(r.region, int(r.year), r.indicator): str(r.value) for r in raw.itertuples()}
    obs["year_read"] = obs["year"] - np.where(obs["year_uncertain"], UNCERTAIN_READING_SHIFT, 0)
    obs["year_alt"] = obs["year"].where(obs["year_uncertain"])
    obs["tolerance"] = [sigma_for(r.confidence, decimals_of(
        text.get((r.region, int(r.year), r.indicator), str(r.value)))) for r in obs.itertuples()]
    return obs


def inside_band(points: pd.DataFrame, bands: pd.DataFrame) -> pd.DataFrame:
    """Observed points merged with the simulated band of their reading year; ``inside`` is true
    when the value lies within the band widened by the observation's own tolerance.
    """
    merged = points.merge(bands, left_on="year_read", right_on="year", suffixes=("", "_sim"))
    merged["inside"] = ((merged["value"] >= merged["lo"] - merged["tolerance"])
                        & (merged["value"] <= merged["hi"] + merged["tolerance"]))
    return merged
