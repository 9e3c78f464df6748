"""A plain-language HTML report of a results folder, in Bahasa Indonesia or English.

:func:`load_results` reads what ``egovsim run`` wrote (``annual.parquet`` or ``annual.csv`` and
``metadata.json``) and checks it; :func:`build_report` turns the runs into one self-contained
HTML page (figures embedded as base64 PNG, no external resource) written as sentences built
from the numbers: what was compared, the trajectories and their official bands, what a what-if
changes, who gains and who loses, the uncertainty, and the assumptions and data sources.
"""

from __future__ import annotations

import base64
import html
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from model.app.logic import DIVIDE_MEASURES, GROUPS, INDICES, label_of, paired_difference
from model.app.plots import (
    aspects_figure,
    difference_figure,
    divide_figure,
    index_figure,
    png_bytes,
)
from model.app.text import num, pct, tr
from model.errors import ScenarioError
from model.figures import band_table
from model.observed import observed_indices

REQUIRED_COLUMNS = ("scenario", "region", "replication", "year", *INDICES,
                    *(f"{m}_{g}" for m in DIVIDE_MEASURES for g in GROUPS))


# --- reading -----------------------------------------------------------------------------------
def load_results(folder: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The annual table and metadata of a results folder; anything missing is a ScenarioError."""
    d = Path(folder)
    if not d.is_dir():
        raise ScenarioError(str(folder), None, "results folder not found")
    meta_path = d / "metadata.json"
    if not meta_path.is_file():
        raise ScenarioError(str(meta_path), None, "missing: not a folder written by egovsim run")
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ScenarioError(str(meta_path), None, f"cannot read JSON: {err}") from None
    if not isinstance(metadata, dict):
        raise ScenarioError(str(meta_path), None, "expected a JSON object")
    for key in ("scenarios", "replications", "years"):
        if key not in metadata:
            raise ScenarioError(str(meta_path), key, "missing")
    if not isinstance(metadata["scenarios"], list) or not all(
            isinstance(s, dict) and "name" in s for s in metadata["scenarios"]):
        raise ScenarioError(str(meta_path), "scenarios", "expected a list of scenario tables")
    parquet, csv = d / "annual.parquet", d / "annual.csv"
    path = parquet if parquet.is_file() else csv
    if not path.is_file():
        raise ScenarioError(str(d), None, "no annual.parquet or annual.csv")
    try:
        annual = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as err:  # noqa: BLE001 - any reader failure is bad input, said in one line
        raise ScenarioError(str(path), None, f"cannot read table: {err}".splitlines()[0]) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in annual.columns]
    if missing:
        raise ScenarioError(str(path), missing[0], "missing column")
    if annual.empty:
        raise ScenarioError(str(path), None, "the table has no rows")
    known = {s["name"] for s in metadata["scenarios"]}
    unknown = sorted(set(annual["scenario"].astype(str)) - known)
    if unknown:
        raise ScenarioError(str(path), "scenario", f"{unknown[0]!r} is not in metadata.json")
    return annual, metadata


# --- what is compared with what ----------------------------------------------------------------
def comparisons(metadata: dict[str, Any], present: list[str]) -> list[tuple[str, str]]:
    """(reference, other) pairs: scenarios of one region are compared with its reference.

    The reference of a region is the scenario with the fewest policies (a what-if adds its
    ``[[policy]]`` to its base's), the first listed among equals.
    """
    tables = [s for s in metadata["scenarios"] if s["name"] in present]
    pairs = []
    for region in dict.fromkeys(s.get("region") for s in tables):
        group = [s for s in tables if s.get("region") == region]
        ref = min(group, key=lambda s: len(s.get("policies") or []))
        pairs += [(ref["name"], s["name"]) for s in group if s is not ref]
    return pairs


# --- sentences ---------------------------------------------------------------------------------
def _e(text: str) -> str:
    return html.escape(text, quote=False)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _p(text: str) -> str:
    return f"<p>{_e(_cap(text))}</p>"


def _finite(*xs: float) -> bool:
    return all(x == x for x in xs)  # NaN != NaN: a group with no residents (Kediri: no rural)


def _policy_sentence(policy: dict[str, Any], lang: str) -> str:
    parts = []
    shares = policy.get("shares")
    if shares:
        split = ", ".join(f"{tr(lang, f'component.{c}')} {pct(v, lang)}" for c, v in shares.items())
        parts.append(tr(lang, "report.policy_shares", split=split))
    shift = policy.get("shift")
    if shift:
        parts.append(tr(lang, "report.policy_shift", fraction=pct(shift["fraction"], lang),
                        source=tr(lang, f"component.{shift['source']}"),
                        target=tr(lang, f"component.{shift['target']}")))
    if policy.get("budget_multiplier") is not None:
        parts.append(tr(lang, "report.policy_budget",
                        ratio=num(policy["budget_multiplier"], lang, 2)))
    if policy.get("hires_per_year_share") is not None:
        parts.append(tr(lang, "report.policy_hires",
                        share=pct(policy["hires_per_year_share"], lang, 1)))
    if policy.get("hire_quality") is not None:
        parts.append(tr(lang, "report.policy_quality", quality=num(policy["hire_quality"], lang)))
    if policy.get("integration_share") is not None:
        parts.append(tr(lang, "report.policy_integration",
                        share=pct(policy["integration_share"], lang)))
    when = (tr(lang, "report.policy_open", start=policy["start_year"])
            if policy.get("end_year") is None
            else tr(lang, "report.policy_window", start=policy["start_year"],
                    end=policy["end_year"]))
    what = "; ".join(parts) if parts else tr(lang, "report.policy_nothing")
    return f"{when}: {what} ({policy.get('name', '')})."


def _figure(fig, alt: str) -> str:
    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(alt)}</figcaption></figure>")


def _trajectory(annual: pd.DataFrame, observed: pd.DataFrame, index: str, name: str,
                lang: str) -> str:
    b = band_table(annual[annual["scenario"] == name], index).sort_values("year")
    first, last = b.iloc[0], b.iloc[-1]
    region = first["region"]
    text = tr(lang, "report.trajectory", scenario=name, index=tr(lang, f"index_short.{index}"),
              y0=int(first["year"]), v0=num(first["mean"], lang), y1=int(last["year"]),
              v1=num(last["mean"], lang), lo=num(last["lo"], lang), hi=num(last["hi"], lang),
              label_name=tr(lang, f"label_name.{index}"), l0=label_of(index, first["mean"]),
              l1=label_of(index, last["mean"]))
    obs = observed[(observed["region"] == region) & (observed["index"] == index)
                   & observed["year"].between(b["year"].min(), b["year"].max())]
    if len(obs):
        merged = obs.merge(b, on="year")
        inside = int(((merged["value"] >= merged["lo"]) & (merged["value"] <= merged["hi"])).sum())
        values = ", ".join(f"{num(v, lang)} ({int(y)})" for y, v in zip(obs["year"], obs["value"],
                                                                         strict=True))
        text += " " + tr(lang, "report.observed_fit", values=values, inside=inside,
                         total=len(obs))
    else:
        text += " " + tr(lang, "report.observed_none", region=region)
    return _p(text)


def _difference(annual: pd.DataFrame, base: str, other: str, index: str, lang: str) -> str:
    d = paired_difference(annual, base, other, index).sort_values("year").iloc[-1]
    year = int(d["year"])
    bands = band_table(annual, index)
    bmean = float(bands[(bands["scenario"] == base) & (bands["year"] == year)]["mean"].iloc[0])
    omean = float(bands[(bands["scenario"] == other) & (bands["year"] == year)]["mean"].iloc[0])
    direction = tr(lang, "report.higher" if d["mean"] >= 0 else "report.lower")
    text = tr(lang, "report.difference", year=year, other=other, base=base,
              index=tr(lang, f"index_short.{index}"), size=num(abs(d["mean"]), lang),
              direction=direction, lo=num(d["lo"], lang, sign=True),
              hi=num(d["hi"], lang, sign=True))
    sure = d["lo"] > 0 or d["hi"] < 0
    text += " " + tr(lang, "report.sure" if sure else "report.unsure")
    lb, lo_ = label_of(index, bmean), label_of(index, omean)
    key = "report.label_same" if lb == lo_ else "report.label_change"
    text += " " + _cap(tr(lang, key, label_name=tr(lang, f"label_name.{index}"), base=lb,
                          other=lo_))
    return _p(text)


def _group_values(annual: pd.DataFrame, name: str, year: int, measure: str) -> dict[str, float]:
    sel = annual[(annual["scenario"] == name) & (annual["year"] == year)]
    return {g: float(sel[f"{measure}_{g}"].mean()) for g in GROUPS}


def _fmt_measure(measure: str, x: float, lang: str, sign: bool = False) -> str:
    if measure == "online_share":
        return pct(x, lang, 0, sign) + (" " + tr(lang, "report.points") if sign else "")
    if measure == "wait_days":
        return num(x, lang, 1, sign) + " " + tr(lang, "report.days")
    return num(x, lang, 2, sign)


def _who_gains(annual: pd.DataFrame, base: str, other: str, year: int, lang: str) -> str:
    out = []
    for m in DIVIDE_MEASURES:
        b, o = _group_values(annual, base, year, m), _group_values(annual, other, year, m)
        diff = {g: o[g] - b[g] for g in GROUPS}
        quint = [g for g in GROUPS if g.startswith("q")]
        best = max(quint, key=lambda g: diff[g] if m != "wait_days" else -diff[g])
        worst = min(quint, key=lambda g: diff[g] if m != "wait_days" else -diff[g])
        text = tr(lang, f"report.gain_{m}", best=tr(lang, f"group.{best}"),
                  dbest=_fmt_measure(m, diff[best], lang, True),
                  worst=tr(lang, f"group.{worst}"), dworst=_fmt_measure(m, diff[worst], lang, True))
        if _finite(diff["urban"], diff["rural"]):
            text += " " + tr(lang, "report.areas", urban=_fmt_measure(m, diff["urban"], lang, True),
                             rural=_fmt_measure(m, diff["rural"], lang, True))
        losers = [g for g in GROUPS if (diff[g] > 1e-9 if m == "wait_days" else diff[g] < -1e-9)]
        if m != "online_share":
            names = ", ".join(tr(lang, f"group.{g}") for g in losers)
            text += " " + (tr(lang, "report.losers", groups=names) if losers
                           else tr(lang, "report.no_losers"))
        out.append(_p(text))
    return "\n".join(out)


def _divide_state(annual: pd.DataFrame, name: str, years: tuple[int, int], lang: str) -> str:
    y0, y1 = years
    v0 = {m: _group_values(annual, name, y0, m) for m in DIVIDE_MEASURES}
    v1 = {m: _group_values(annual, name, y1, m) for m in DIVIDE_MEASURES}
    on0, on1 = v0["online_share"], v1["online_share"]
    text = tr(lang, "report.divide_state", scenario=name, year=y1, q5=pct(on1["q5"], lang),
              q1=pct(on1["q1"], lang), gap1=pct(on1["q5"] - on1["q1"], lang),
              y0=y0, gap0=pct(on0["q5"] - on0["q1"], lang),
              w1=num(v1["wait_days"]["q1"], lang, 1), w5=num(v1["wait_days"]["q5"], lang, 1),
              s1=num(v1["satisfaction"]["q1"], lang), s5=num(v1["satisfaction"]["q5"], lang))
    if _finite(on1["urban"], on1["rural"]):
        text += " " + tr(lang, "report.areas",
                         urban=_fmt_measure("online_share", on1["urban"], lang),
                         rural=_fmt_measure("online_share", on1["rural"], lang))
    return _p(text)


def _sources(metadata: dict[str, Any], lang: str) -> str:
    seen: dict[tuple[str, str], list[str]] = {}
    for sc in metadata["scenarios"]:
        for key, text in (sc.get("sources") or {}).items():
            seen.setdefault((key, text), []).append(sc.get("region") or sc["name"])
    out = []
    for kind, prefix in (("data", "data"), ("assumption", "assumption")):
        items = [(k, t, regions) for (k, t), regions in seen.items() if t.startswith(prefix)]
        if not items:
            continue
        out.append(f"<h3>{_e(tr(lang, f'report.sources_{kind}', n=len(items)))}</h3><ul>")
        for key, text, regions in items:
            where = ", ".join(dict.fromkeys(regions))
            out.append(f"<li><b>{_e(key)}</b> ({_e(where)}): {_linkify(text)}</li>")
        out.append("</ul>")
    return "\n".join(out)


def _linkify(text: str) -> str:
    words = []
    for w in text.split(" "):
        if w.startswith(("http://", "https://")):
            u = html.escape(w.rstrip(").,;"))
            words.append(f'<a href="{u}">{u}</a>' + _e(w[len(w.rstrip(").,;")):]))
        else:
            words.append(_e(w))
    return " ".join(words)


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:860px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
h3{font-size:1.05em}figure{margin:1em 0}img{max-width:100%}
figcaption{font-size:.85em;color:#555}.meta{color:#555;font-size:.9em}
li{margin:.2em 0;font-size:.92em}
"""


# --- the page -----------------------------------------------------------------------------------
def build_report(annual: pd.DataFrame, metadata: dict[str, Any], lang: str = "id",
                 observed: pd.DataFrame | None = None) -> str:
    """The report as one self-contained HTML page."""
    observed = observed_indices() if observed is None else observed
    present = list(dict.fromkeys(annual["scenario"].astype(str)))
    tables = {s["name"]: s for s in metadata["scenarios"] if s["name"] in present}
    years = (int(annual["year"].min()), int(annual["year"].max()))
    reps = int(annual.groupby("scenario")["replication"].nunique().min())
    pop = metadata.get("population", "")
    pop_text = (tr(lang, "report.pop_full") if pop == "full"
                else tr(lang, "report.pop_sample", pop=num(float(pop), lang, 0)))
    pairs = comparisons(metadata, present)
    labelled = [(n, n) for n in present]
    code = metadata.get("code") or {}
    body = [f"<h1>{_e(tr(lang, 'report.title'))}</h1>",
            f'<p class="meta">{_e(tr(lang, "report.generated", date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), version=str(code.get("egovsim")), commit=str(code.get("git_commit"))))}</p>',  # noqa: E501
            f"<h2>{_e(tr(lang, 'report.compared_h'))}</h2>",
            _p(tr(lang, "report.compared_intro", n=len(present), reps=reps, y0=years[0],
                  y1=years[1], pop=pop_text)), "<ul>"]
    for name in present:
        t = tables[name]
        policies = " ".join(_policy_sentence(p, lang) for p in t.get("policies") or [])
        body.append(f"<li><b>{_e(name)}</b> ({_e(str(t.get('region')))}): "
                    f"{_e(str(t.get('description', '')).rstrip('.'))}."
                    + (f" {_e(tr(lang, 'report.policies'))} {_e(policies)}" if policies else "")
                    + "</li>")
    body.append("</ul>")
    if pairs:
        body.append(_p(tr(lang, "report.pairs", pairs="; ".join(
            tr(lang, "report.pair", other=o, base=b) for b, o in pairs))))
    body.append(f"<h2>{_e(tr(lang, 'report.trajectories_h'))}</h2>")
    body.append(_p(tr(lang, "report.trajectories_intro")))
    for index in INDICES:
        body.append(f"<h3>{_e(tr(lang, f'index.{index}'))}</h3>")
        body.append(_figure(index_figure(annual, observed, index, labelled, lang),
                            tr(lang, "report.fig_index", index=tr(lang, f"index.{index}"))))
        body += [_trajectory(annual, observed, index, n, lang) for n in present]
    if pairs:
        body.append(f"<h2>{_e(tr(lang, 'report.changes_h'))}</h2>")
        for base, other in pairs:
            body.append(_figure(difference_figure(annual, base, other, lang),
                                tr(lang, "report.fig_difference", other=other, base=base)))
            body += [_difference(annual, base, other, i, lang) for i in INDICES]
    body.append(f"<h2>{_e(tr(lang, 'report.divide_h'))}</h2>")
    body.append(_p(tr(lang, "report.divide_intro")))
    body.append(_figure(divide_figure(annual, labelled, years[1], lang),
                        tr(lang, "plot.divide_title", year=years[1])))
    for base, other in pairs:
        body.append(f"<h3>{_e(tr(lang, 'report.pair', other=other, base=base))}</h3>")
        body.append(_who_gains(annual, base, other, years[1], lang))
    body += [_divide_state(annual, n, years, lang) for n in present]
    body.append(_figure(aspects_figure(annual, labelled, years[1], lang),
                        tr(lang, "plot.aspects_title", year=years[1])))
    body.append(f"<h2>{_e(tr(lang, 'report.uncertainty_h'))}</h2>")
    body.append(_p(tr(lang, "report.uncertainty", reps=reps)))
    body.append(f"<h2>{_e(tr(lang, 'report.sources_h'))}</h2>")
    body.append(_p(tr(lang, "report.sources_intro")))
    body.append(_sources({"scenarios": list(tables.values())}, lang))
    regions = {t.get("region") for t in tables.values()}
    urls = sorted(set(observed.loc[observed["region"].isin(regions), "source_url"].dropna()))
    if urls:
        body.append(f"<h3>{_e(tr(lang, 'report.observed_sources', n=len(urls)))}</h3><ul>")
        body += [f"<li>{_linkify(u)}</li>" for u in urls]
        body.append("</ul>")
    body.append(f"<h2>{_e(tr(lang, 'report.reproduce_h'))}</h2>")
    argv = " ".join(str(a) for a in metadata.get("argv") or [])
    body.append(_p(tr(lang, "report.reproduce", seed=metadata.get("master_seed"),
                      command=f"egovsim {argv}" if argv else str(metadata.get("command")))))
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{_e(tr(lang, 'report.title'))}</title>\n<style>{CSS}</style>\n</head>\n"
            "<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")
