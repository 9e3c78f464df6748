"""Sentences built from the numbers, with the grammar of the case.

A change is *unchanged* when it rounds to zero at the precision shown, *may be zero* when its
90% interval of paired differences spans zero, and otherwise up or down. An interval is written
with the decimals that tell its ends apart, and as one value when 90% of pairs give the same.
Groups of residents are described by which of them improve, worsen or stay the same: "all
improve", "all worsen", "mixed" and "none changes" each have their own sentence. Differences of
shares are percentage points; every measure names its unit and what it counts. Builders return
plain text in the requested language; the page escapes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from model.present.numbers import label_of
from model.present.text import interval_digits, num, pct, same_printed, tr

DIGITS = {"spbe": 2, "ipp": 2, "ikm": 2, "pemdi": 2, "online_share": 0, "wait_days": 1,
          "satisfaction": 2}
"""Decimals shown per quantity (online share: in percent). A change that rounds to zero at
this precision is reported as unchanged."""
BETTER = {"online_share": 0, "wait_days": -1, "satisfaction": 1}
"""Which way is better per measure of the divide: +1 higher, -1 lower, 0 neither (more online
use is a change, not by itself a gain)."""


def rounds_to_zero(x: float, quantity: str) -> bool:
    """True when ``x`` is shown as zero at the precision of ``quantity``."""
    scale = 100.0 if quantity == "online_share" else 1.0
    return round(abs(scale * x), DIGITS[quantity]) == 0.0


def direction(row: Mapping[str, float], quantity: str) -> str:
    """``"zero"`` (rounds to zero), ``"unsure"`` (interval spans 0), ``"up"`` or ``"down"``."""
    if rounds_to_zero(row["mean"], quantity) and rounds_to_zero(row["lo90"], quantity) \
            and rounds_to_zero(row["hi90"], quantity):
        return "zero"
    if row["lo90"] <= 0.0 <= row["hi90"] or rounds_to_zero(row["mean"], quantity):
        return "unsure"
    return "up" if row["mean"] > 0 else "down"


def fmt(quantity: str, x: float, lang: str, sign: bool = False, unit: bool = True) -> str:
    """A value of ``quantity`` with its unit: online share in percent (a difference: in
    percentage points), waiting in days, satisfaction on 0-1, indices in index points.
    """
    d = DIGITS[quantity]
    if quantity == "online_share":
        text = pct(x, lang, d, sign)
        return text + (" " + tr(lang, "unit.pp") if sign and unit else "")
    text = num(x, lang, d, sign)
    if not unit:
        return text
    if quantity == "wait_days":
        return f"{text} {tr(lang, 'unit.days')}"
    if quantity == "satisfaction":
        return text
    return f"{text} {tr(lang, 'unit.points')}" if sign else text


def index_change(lang: str, index: str, year: int, base: str, other: str,
                 row: Mapping[str, float], base_mean: float, other_mean: float) -> str:
    """What a scenario changes in an index in ``year``: the paired difference (``row``:
    ``mean, lo90, hi90``) and the official label, in one or two sentences.
    """
    d = interval_digits(row["lo90"], row["hi90"], DIGITS[index])
    values = {"year": year, "other": other, "base": base, "index": tr(lang, f"index_short.{index}"),
              "size": fmt(index, abs(row["mean"]), lang, unit=False),
              "diff": fmt(index, row["mean"], lang, sign=True, unit=False),
              "lo": num(row["lo90"], lang, d, sign=True),
              "hi": num(row["hi90"], lang, d, sign=True)}
    how = direction(row, index)
    one = how in ("up", "down") and same_printed(row["lo90"], row["hi90"], DIGITS[index])
    text = tr(lang, f"change.index_{how}{'_one' if one else ''}", **values)
    lb, lo_ = label_of(index, base_mean), label_of(index, other_mean)
    label_name = tr(lang, f"label_name.{index}")
    label = (tr(lang, "change.label_same", label_name=label_name, label=lb) if lb == lo_
             else tr(lang, "change.label_change", label_name=label_name, base=lb, other=lo_))
    return f"{text} {label[:1].upper()}{label[1:]}"


def group_change(lang: str, measure: str, diffs: pd.DataFrame) -> str:
    """Who gains on one measure: ``diffs`` has one row per group with residents (``group,
    mean, lo90, hi90``). Says whether all groups move the same way, which move which way, and
    which are unchanged, naming the largest and smallest change when all move together.
    """
    what = tr(lang, f"measure_name.{measure}")
    how = {r.group: direction(r._asdict(), measure) for r in diffs.itertuples()}
    size = {r.group: r.mean for r in diffs.itertuples()}

    def names(groups: list[str]) -> str:
        return _join([tr(lang, f"group.{g}") for g in groups], lang)

    def word(d: str) -> str:
        good = BETTER[measure] * (1 if d == "up" else -1)
        return tr(lang, f"change.{d}" if good == 0 else
                  ("change.better" if good > 0 else "change.worse"))

    moving = [g for g, d in how.items() if d in ("up", "down")]
    if not moving:
        return tr(lang, "change.groups_none", what=what)
    ways = {how[g] for g in moving}
    if len(ways) == 1 and len(moving) == len(how):
        order = sorted(moving, key=lambda g: abs(size[g]))
        return tr(lang, "change.groups_all", what=what, verb=word(ways.pop()),
                  most=tr(lang, f"group.{order[-1]}"),
                  dmost=fmt(measure, size[order[-1]], lang, sign=True),
                  least=tr(lang, f"group.{order[0]}"),
                  dleast=fmt(measure, size[order[0]], lang, sign=True))
    parts = []
    for d in ("up", "down"):
        groups = [g for g in moving if how[g] == d]
        if groups:
            listed = _join([f"{tr(lang, f'group.{g}')} ({fmt(measure, size[g], lang, sign=True)})"
                            for g in groups], lang)
            parts.append(tr(lang, "change.groups_part", verb=word(d), groups=listed))
    still = [g for g, d in how.items() if d not in ("up", "down")]
    if still:
        parts.append(tr(lang, "change.groups_still", groups=names(still)))
    return tr(lang, "change.groups_mixed", what=what, parts="; ".join(parts))


def _join(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " " + tr(lang, "change.and") + " " + items[-1]


def divide_state(lang: str, title: str, year: int, first_year: int,
                 values: Mapping[str, Mapping[str, float]],
                 first: Mapping[str, Mapping[str, float]]) -> str:
    """The divide inside one scenario: online use of the best- and least-connected fifths and
    its gap in percentage points, their waiting and satisfaction, and the areas with residents.
    ``values[measure][group]`` are means in ``year``, ``first`` in ``first_year``.
    """
    on, on0 = values["online_share"], first["online_share"]

    def gap(v: Mapping[str, float]) -> str:  # of the percentages as shown, so they add up
        shown = {q: round(100.0 * v[q], DIGITS["online_share"]) for q in ("q1", "q5")}
        return fmt("online_share", (shown["q5"] - shown["q1"]) / 100.0, lang, sign=True)

    text = tr(lang, "divide.state", scenario=title, year=year, q5=pct(on["q5"], lang),
              q1=pct(on["q1"], lang),
              gap=gap(on).lstrip("+"), y0=first_year, gap0=gap(on0).lstrip("+"),
              w1=fmt("wait_days", values["wait_days"]["q1"], lang),
              w5=fmt("wait_days", values["wait_days"]["q5"], lang),
              s1=fmt("satisfaction", values["satisfaction"]["q1"], lang),
              s5=fmt("satisfaction", values["satisfaction"]["q5"], lang))
    areas = [a for a in ("urban", "rural") if a in on and on[a] == on[a]]
    if areas:
        text += " " + " ".join(tr(lang, f"divide.area_{a}", value=pct(on[a], lang))
                               for a in areas)
    return text


def observed_fit(lang: str, points: pd.DataFrame) -> str:
    """How the observed values sit against the simulated band: ``points`` from
    :func:`model.present.marks.inside_band` (value, year, year_read, tolerance, inside).
    """
    listed = []
    for r in points.itertuples():
        year = (tr(lang, "observed.read_as", read=int(r.year_read), label=int(r.year))
                if r.year_read != r.year else str(int(r.year)))
        listed.append(f"{num(r.value, lang)} ({year})")
    tol = points["tolerance"]
    tol_text = (num(tol.iloc[0], lang) if tol.round(2).nunique() == 1
                else f"{num(tol.min(), lang)}–{num(tol.max(), lang)}")
    return tr(lang, "observed.fit", values="; ".join(listed), inside=int(points["inside"].sum()),
              total=len(points), tol=tol_text)


def policy_sentence(policy: Mapping[str, Any], lang: str, short: bool = False) -> str:
    """A policy's levers and time window in words (``short``: the window as in a title)."""
    parts = []
    shares = policy.get("shares")
    if shares:
        split = ", ".join(f"{tr(lang, f'component.{c}')} {pct(v, lang)}" for c, v in shares.items())
        parts.append(tr(lang, "policy.shares", split=split))
    shift = policy.get("shift")
    if shift:
        parts.append(tr(lang, "policy.shift", fraction=pct(shift["fraction"], lang),
                        source=tr(lang, f"component.{shift['source']}"),
                        target=tr(lang, f"component.{shift['target']}")))
    if policy.get("budget_multiplier") is not None:
        parts.append(tr(lang, "policy.budget", ratio=num(policy["budget_multiplier"], lang, 2)))
    if policy.get("hires_per_year_share") is not None:
        parts.append(tr(lang, "policy.hires", share=pct(policy["hires_per_year_share"], lang, 1)))
    if policy.get("hire_quality") is not None:
        parts.append(tr(lang, "policy.quality", quality=num(policy["hire_quality"], lang)))
    if policy.get("integration_share") is not None:
        parts.append(tr(lang, "policy.integration", share=pct(policy["integration_share"], lang)))
    kind = "open" if policy.get("end_year") is None else "window"
    when = tr(lang, f"policy.{kind}{'_short' if short else ''}", start=policy["start_year"],
              end=policy.get("end_year"))
    return f"{when}: " + ("; ".join(parts) if parts else tr(lang, "policy.nothing"))


def scenario_title(table: Mapping[str, Any], reference: Mapping[str, Any] | None,
                   lang: str) -> str:
    """A human title: the region (for a region's reference, ``reference`` None or the table
    itself), and for a scenario with policies beyond its reference's those policies in words
    ("Kota Kediri, from 2025: 20% of the apps money moved to competency").
    """
    region = str(table.get("region") or table.get("name"))
    if reference is None or reference is table:
        return region
    ref = list(reference.get("policies") or [])
    extra = [p for p in table.get("policies") or [] if p not in ref]
    if not extra:
        return region
    return f"{region}, " + "; ".join(policy_sentence(p, lang, short=True) for p in extra)
