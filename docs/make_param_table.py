"""Generate the parameter tables of docs/ODD.md from the parameter declarations.

Every row comes from code or data: :func:`model.params.describe` on :class:`Behaviour` and on the
scenario dataclasses (unit, range, meaning, declared source), the values in use
(:func:`model.behaviour.default_behaviour`, i.e. the declared defaults overlaid with
``model/calibrated.toml``), each region's values and the ``[sources]`` labels of
``scenarios/jember.toml`` and ``scenarios/kediri.toml``, the policy levers with their defaults
(:data:`model.scenario.LEVER_DEFAULTS`), and the fixed constants and survey rules of
:mod:`model.units` and :mod:`model.rules`. The tables replace the text between the two
marker lines in docs/ODD.md, so the document cannot drift from the code.

    .venv/bin/python docs/make_param_table.py          # rewrite the tables in docs/ODD.md
    .venv/bin/python docs/make_param_table.py --check  # exit 1 if docs/ODD.md is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ODD = REPO / "docs" / "ODD.md"
BEGIN = "<!-- BEGIN GENERATED PARAMETER TABLES: docs/make_param_table.py -->"
END = "<!-- END GENERATED PARAMETER TABLES -->"
REGIONS = ("scenarios/jember.toml", "scenarios/kediri.toml")


def _num(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        if x != 0 and (abs(x) >= 1e6 or abs(x) < 1e-3):
            return f"{x:.4g}"
        return f"{x:.6g}"
    return str(x)


def _range(lo: Any, hi: Any) -> str:
    if lo is None and hi is None:
        return "—"
    return f"[{_num(lo) if lo is not None else '−∞'}, {_num(hi) if hi is not None else '∞'}]"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def _label(source: str | None) -> str:
    """The kind of a scenario source text: data, data (derived) or assumption."""
    if not source:
        return "not stated"
    for kind in ("data (derived)", "data", "assumption"):
        if source.startswith(kind + ":"):
            return kind
    return "not stated"


def behaviour_table() -> list[str]:
    """Shared mechanism parameters: value in use, declared prior centre, unit, range, source."""
    from model.behaviour import Behaviour, default_behaviour
    from model.params import describe

    in_use = default_behaviour()
    rows = []
    for r in describe(Behaviour):
        value = getattr(in_use, r["name"])
        rows.append([f"`{r['name']}`", _num(value), _num(r["default"]), r["unit"],
                     _range(r["lo"], r["hi"]), r["doc"], r["source"]])
    return ["#### Behaviour: shared mechanism parameters (`model/behaviour.py`)", "",
            "*in use* is the declared default overlaid with `model/calibrated.toml`; *prior* "
            "is the declared default; the range is the admissible (prior) range enforced on "
            "load.", "",
            *_table(["parameter", "in use", "prior", "unit", "range", "meaning", "source"],
                    rows)]


def scenario_table_classes() -> dict[str, type]:
    """The region tables of a scenario (``[population]``, ``[budget]``, ...) and their classes,
    read off the :class:`~model.scenario.Scenario` fields whose type is a parameter dataclass.
    """
    import dataclasses
    import typing

    from model.behaviour import Behaviour
    from model.scenario import Scenario

    hints = typing.get_type_hints(Scenario)
    return {f.name: hints[f.name] for f in dataclasses.fields(Scenario)
            if dataclasses.is_dataclass(hints[f.name]) and hints[f.name] is not Behaviour}


def scenario_tables() -> list[str]:
    """Region tables: unit, range, meaning, and each region's value with its source label."""
    from model.params import describe
    from model.scenario import load_scenario

    scenarios = [load_scenario(REPO / p) for p in REGIONS]
    names = [sc.name for sc in scenarios]
    out = ["#### Region scenarios (`scenarios/*.toml`)", "",
           "Values of " + " and ".join(f"`{p}`" for p in REGIONS) + "; the label says whether "
           "the scenario's `[sources]` table gives the value as data or as an assumption (the "
           "full texts follow the tables).", ""]
    for table, cls in scenario_table_classes().items():
        rows = []
        for r in describe(cls):
            key = f"{table}.{r['name']}"
            cells = []
            for sc in scenarios:
                cells += [_num(getattr(getattr(sc, table), r["name"])),
                          _label(sc.sources.get(key))]
            rows.append([f"`{key}`", r["unit"], _range(r["lo"], r["hi"]), r["doc"], *cells])
        header = [h for n in names for h in (n, "label")]
        out += [f"##### `[{table}]` — {cls.__doc__.strip().splitlines()[0]}", "",
                *_table(["field", "unit", "range", "meaning", *header], rows)]
    out += ["*not stated*: the scenario file gives no `[sources]` entry for the field; such "
            "values are assumptions.", ""]
    out += _dated(scenarios)
    out += ["##### Source texts", ""]
    for sc in scenarios:
        out.append(f"- **{sc.name}**")
        out += [f"  - `{k}`: {_cell(v)}" for k, v in sorted(sc.sources.items())]
    out.append("")
    return out


def _dated(scenarios: list) -> list[str]:
    """Each region's policies and events, as resolved from its file."""
    out = ["##### Policies and dated events in the region files", ""]
    for sc in scenarios:
        out.append(f"- **{sc.name}**")
        for p in sc.policies:
            window = f"{p.start_year}-{p.end_year}" if p.end_year else f"from {p.start_year}"
            levers = []
            if p.shares is not None:
                levers.append("shares " + ", ".join(f"{k} {v:g}"
                                                    for k, v in p.shares.as_dict().items()))
            if p.shift is not None:
                levers.append(f"shift {p.shift.fraction:g} of {p.shift.source} to "
                              f"{p.shift.target}")
            levers += [f"{name} {_lever_value(getattr(p, name))}" for name in _lever_names()
                       if getattr(p, name) is not None]
            out.append(f"  - policy *{p.name}*, {window}: {'; '.join(levers)}. {_cell(p.note)}")
        for e in sc.events:
            detail = {"recruitment": f"{e.hires} hires", "superapp":
                      f"integration_gain {e.integration_gain:g}", "mpp_open":
                      f"{e.services} services"}[e.kind]
            if e.kind != "superapp":  # units name where an MPP or a recruitment acts
                detail += f", units {', '.join(e.units)}"
            out.append(f"  - event `{e.kind}` {e.year}-{e.month:02d}: {detail}. "
                       f"{_cell(e.note)} ({e.source or 'no source'})")
    return [*out, ""]


_SCENARIO_LEVERS = {"hires_per_year_share": "staff.hires_per_year_share",
                    "hire_quality": "staff.hire_quality",
                    "integration_share": "apps.integration_share"}
"""Levers whose default is the scenario's own value (see ``lever_in_year``)."""

_PAID_FROM = {
    "budget_multiplier": "the e-government budget itself (not budget-neutral)",
    "hires_per_year_share": "belanja pegawai (`staff_cost_idr`, outside the e-government budget)",
    "hire_quality": "—",
    "replace_retirements": "belanja pegawai",
    "hires_per_year": "belanja pegawai",
    "staff_per_10k_target": "belanja pegawai",
    "hire_units": "—",
    "hire_selection": "belanja pegawai (recruitment cost per hire rises)",
    "training_digital_share": "competency (how it is used)",
    "training_units": "competency (where it is used)",
    "literacy_target": "—",
    "assisted_target": "—",
    "connectivity_rural_share": "connectivity (how it is split)",
    "integration_share": "apps (how it is used)",
    "enforcement_share": "regulation (the rest buys rules and standards)",
}
"""What each lever spends, for the table (the interface programmes are read off
``INTERFACE_PROGRAMMES``; "—" for levers that aim money or people without spending)."""


_POLICY_WINDOW = ("name", "start_year", "end_year", "note")
"""Fields of a policy that are not levers."""


def _lever_names() -> list[str]:
    """The levers of :class:`Policy`: its declared fields other than the name, window, note."""
    from model.params import describe
    from model.scenario import Policy

    return [r["name"] for r in describe(Policy) if r["name"] not in _POLICY_WINDOW]


def _lever_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, tuple):
        return ", ".join(value)
    return _num(value) if not isinstance(value, str) else value


def _lever_default(name: str) -> str:
    """A lever's value when no policy sets it (``LEVER_DEFAULTS`` or the scenario table)."""
    from model.scenario import LEVER_DEFAULTS

    if name in _SCENARIO_LEVERS:
        return f"the scenario's `{_SCENARIO_LEVERS[name]}`"
    value = LEVER_DEFAULTS[name]
    if name == "connectivity_rural_share" and value is None:
        return "rural share of residents"
    if isinstance(value, tuple):
        return "all units" if len(value) > 1 else value[0]
    return _lever_value(value)


def lever_table() -> list[str]:
    """The policy levers: default, unit, range, meaning and what each spends."""
    from model.params import describe
    from model.scenario import INTERFACE_PROGRAMMES, Policy

    declared = {r["name"]: r for r in describe(Policy)}
    rows = []
    for name in _lever_names():
        r = declared[name]
        paid = ("citizen interface (the rest keeps counters and portals)"
                if name in INTERFACE_PROGRAMMES else _PAID_FROM[name])
        rows.append([f"`{name}`", _lever_default(name), r["unit"], _range(r["lo"], r["hi"]),
                     r["doc"], paid])
    return ["##### Policy levers", "",
            "Each lever takes the value of the last policy in force that sets it, else its "
            "default (`LEVER_DEFAULTS` in `model/scenario.py`, or the scenario's own table). "
            "Money levers split a component's Rupiah without changing the budget; the "
            "citizen-interface programmes together take at most all of that component's "
            "money.", "",
            *_table(["lever", "default", "unit", "range", "meaning", "paid from"], rows)]


def policy_tables() -> list[str]:
    """Fields of policies, shifts and events (defaults apply when a field is absent)."""
    from model.params import describe
    from model.scenario import Event, Policy, Shift

    out = ["#### Policies and events", "", *lever_table()]
    window = [r for r in describe(Policy) if r["name"] in _POLICY_WINDOW]
    for title, rows_in in (("`[[policy]]`: name and time window", window),
                           ("`shift` inside a policy", describe(Shift)),
                           ("`[[event]]`", describe(Event))):
        rows = []
        for r in rows_in:
            default = "required" if r["default"].__class__.__name__ == "_MISSING_TYPE" \
                else _lever_value(r["default"]) if isinstance(r["default"], tuple) \
                else _num(r["default"])
            rows.append([f"`{r['name']}`", default, r["unit"], _range(r["lo"], r["hi"]),
                         r["doc"]])
        out += [f"##### {title}", "", *_table(["field", "default", "unit", "range", "meaning"],
                                              rows)]
    out += ["A policy may also carry `shares = {...}` (a full split replacing the base shares "
            "while in force; validated to sum to 1). In a `shift` the file keys are `from` and "
            "`to`.", ""]
    return out


def constant_tables() -> list[str]:
    """Fixed constants in code: service units, the indices' rules."""
    from model.params import describe
    from model.rules import (
        IKM_CATEGORIES,
        IKM_ELEMENTS,
        IPP_GRADES,
        IPP_NEW_FORMS_YEAR,
        IPP_UNITS,
        IPP_WEIGHTS,
        PEMDI_FROM_YEAR,
        PEMDI_PREDIKAT,
        PEMDI_WEIGHTS,
        SPBE_2018_DOMAINS,
        SPBE_ASPECTS,
        SPBE_METHOD_CHANGE_YEAR,
        SPBE_PREDIKAT,
        SPBE_ROUNDS,
        SPBE_WEIGHTS,
        SurveyRules,
    )
    from model.units import UNITS

    units = [[f"`{u.key}`", u.name, _num(u.demand_share), _num(u.staff_share),
              _num(u.base_days), _num(u.standard_days), _num(u.online_affinity),
              _num(u.ipp_unit)] for u in UNITS]

    def bands(b: tuple) -> str:
        return "; ".join(f"{label} ≥ {lower:g}" if lower > -1e300 else f"{label} below"
                         for lower, label in b)

    def weights(w: dict) -> str:
        return ", ".join(f"{k} {v:g}" for k, v in w.items())

    survey = [[f"`{r['name']}`", _num(r["default"]), r["unit"], r["doc"], r["source"]]
              for r in describe(SurveyRules)]
    return [
        "#### Constants in code", "",
        "Service units (`model/units.py`; assumption: no per-unit data was found for either "
        "region):", "",
        *_table(["key", "unit", "demand share", "staff share", "base days", "standard days",
                 "online affinity", "IPP unit"], units),
        "The indices' rules (`model/rules.py`):", "",
        *_table(["constant", "value"], [
            ["SPBE domain weights (59/2020)", weights(SPBE_WEIGHTS)],
            ["SPBE aspects by domain (equal weights within a domain, assumed)",
             "; ".join(f"{d}: {', '.join(a)}" for d, a in SPBE_ASPECTS.items())],
            ["SPBE domains before 2021 (5/2018)", ", ".join(SPBE_2018_DOMAINS)],
            ["SPBE predikat (score rounded to 2 decimals)", bands(SPBE_PREDIKAT)],
            ["SPBE national rounds",
             ", ".join(map(str, SPBE_ROUNDS)) + "; none from 2026 (8/2026 replaces 59/2020)"],
            ["SPBE method change (5/2018 → 59/2020)", f"from {SPBE_METHOD_CHANGE_YEAR}"],
            ["Pemdi aspect weights (8/2026)", weights(PEMDI_WEIGHTS)],
            ["Pemdi predikat", bands(PEMDI_PREDIKAT)],
            ["Pemdi from", str(PEMDI_FROM_YEAR)],
            ["IPP aspect weights (29/2022)", weights(IPP_WEIGHTS)],
            ["IPP evaluated units", ", ".join(IPP_UNITS)],
            ["IPP new forms and user survey (29/2022)", f"from {IPP_NEW_FORMS_YEAR}"],
            ["IPP grade (score rounded to 2 decimals)", bands(IPP_GRADES)],
            ["IKM elements (equal weights)", ", ".join(IKM_ELEMENTS)],
            ["IKM category", bands(IKM_CATEGORIES)],
        ]),
        "Survey instruments (`model/rules.py`, `SurveyRules`):", "",
        *_table(["name", "value", "unit", "meaning", "source"], survey),
    ]


def generate() -> str:
    """The generated block, markers included."""
    lines = [BEGIN, "", *behaviour_table(), *scenario_tables(), *policy_tables(),
             *constant_tables(), END]
    return "\n".join(lines)


def splice(document: str, block: str) -> str:
    """``document`` with the text between the markers replaced by ``block``."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{ODD}: the marker lines {BEGIN!r} and {END!r} are missing")
    return document[:start] + block + document[end + len(END):]


def main(argv: list[str] | None = None) -> int:
    """Rewrite docs/ODD.md's tables, or with ``--check`` report whether they are stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if stale")
    args = parser.parse_args(argv)
    current = ODD.read_text(encoding="utf-8")
    updated = splice(current, generate())
    if updated == current:
        print(f"{ODD.relative_to(REPO)}: parameter tables up to date")
        return 0
    if args.check:
        print(f"{ODD.relative_to(REPO)}: parameter tables are stale; run "
              ".venv/bin/python docs/make_param_table.py")
        return 1
    ODD.write_text(updated, encoding="utf-8")
    print(f"{ODD.relative_to(REPO)}: parameter tables rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
