"""A plain-language HTML report of a results folder, in Bahasa Indonesia or English.

:func:`load_results` reads what ``egovsim run`` wrote (``annual.parquet`` or ``annual.csv`` and
``metadata.json``) and checks that it is whole; :func:`build_report` turns the runs into one
self-contained HTML page (figures embedded as base64 PNG, no external resource) written as
sentences built from the numbers (:mod:`model.present.sentences`): what was compared, the
trajectories with their official bands and method changes, what a what-if changes, who gains
and who loses, the uncertainty, and the assumptions and data sources. Places are named by their
region and scenarios by a title made from their policies; free text from scenario files (their
descriptions, policy names, source notes) is quoted in its own language and marked with it.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from model.errors import ScenarioError
from model.present import plots
from model.present.marks import inside_band, method_changes, observation_points
from model.present.numbers import (
    GROUPS,
    INDICES,
    MEASURES,
    PAIR_KEYS,
    band_table,
    group_differences,
    indices_in,
    label_of,
    paired_differences,
    present_groups,
)
from model.present.safe import safe_url
from model.present.sentences import (
    divide_state,
    group_change,
    index_change,
    observed_fit,
    policy_sentence,
    scenario_title,
)
from model.present.text import interval_digits, num, tr

REQUIRED_COLUMNS = ("scenario", "region", "replication", "year", *INDICES,
                    *(f"{m}_{g}" for m in MEASURES for g in GROUPS))
SOURCE_TEXT_LANG = "en"
"""Language of the free text in scenario files (descriptions, policy names and notes,
``[sources]``): the committed files are written in English. Quoted as is, marked with it."""


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
    check_complete(annual, metadata, str(path))
    return annual, metadata


def check_complete(annual: pd.DataFrame, metadata: dict[str, Any], where: str) -> None:
    """Refuse a truncated table: every scenario needs one row per run (replication, and draw
    when present) and year of ``metadata``, and no index may be missing.
    """
    try:
        y0, y1 = (int(y) for y in metadata["years"])
        reps = int(metadata["replications"])
    except (TypeError, ValueError):
        raise ScenarioError(where, "years", "metadata years/replications unreadable") from None
    keys = ["scenario", "year", *(k for k in PAIR_KEYS if k in annual.columns)]
    if annual.duplicated(keys).any():
        raise ScenarioError(where, None, "duplicate rows for one run and year")
    draws = int(annual["draw"].nunique()) if "draw" in annual.columns else 1
    expected = reps * draws * (y1 - y0 + 1)
    runs = (f"{draws} draws x {reps} replications" if "draw" in annual.columns
            else f"{reps} replications")
    for name, rows in annual.groupby("scenario", sort=False):
        inside = rows["year"].between(y0, y1).all()
        if len(rows) != expected or not inside:
            raise ScenarioError(where, None, f"incomplete: scenario {name!r} has {len(rows)} of "
                                f"{expected} rows ({runs} x {y1 - y0 + 1} years)")
    for index in INDICES:
        if annual[index].isna().any():
            raise ScenarioError(where, index, f"{int(annual[index].isna().sum())} missing values")


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


def titles(metadata: dict[str, Any], present: list[str], lang: str) -> dict[str, str]:
    """A human title per scenario: its region, plus in words the policies it adds to its
    region's reference. Titles that would coincide are numbered.
    """
    tables = {s["name"]: s for s in metadata["scenarios"] if s["name"] in present}
    ref_of = {o: b for b, o in comparisons(metadata, present)}
    out: dict[str, str] = {}
    for name in present:
        title = scenario_title(tables[name], tables.get(ref_of.get(name, name)), lang)
        n, base = 2, title
        while title in out.values():
            title, n = f"{base} ({n})", n + 1
        out[name] = title
    return out


# --- html pieces -------------------------------------------------------------------------------
def _e(text: str) -> str:
    return html.escape(str(text), quote=False)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _p(text: str) -> str:
    return f"<p>{_e(_cap(text))}</p>"


def quoted(text: str, lang: str, text_lang: str = SOURCE_TEXT_LANG) -> str:
    """Text from a file, escaped, and marked with its language when it is not the page's."""
    body = linkify(str(text))
    return body if lang == text_lang else f'<span lang="{text_lang}">{body}</span>'


def code(text: str) -> str:
    """An identifier or a command: not words of any language (``lang="zxx"``)."""
    return f'<code lang="zxx">{_e(text)}</code>'


def linkify(text: str) -> str:
    """Escaped text with its http(s) addresses as links (no other scheme becomes a link)."""
    words = []
    for w in text.split(" "):
        core = w.rstrip(").,;")
        if safe_url(core):
            u = html.escape(core, quote=True)
            words.append(f'<a href="{u}" rel="noopener noreferrer">{u}</a>' + _e(w[len(core):]))
        else:
            words.append(_e(w))
    return " ".join(words)


def _figure(fig: Figure, alt: str) -> str:
    data = base64.b64encode(plots.png_bytes(fig)).decode("ascii")
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(alt)}</figcaption></figure>")


# --- the content -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Content:
    """What a report shows, computed once for the page and the exports."""

    annual: pd.DataFrame
    metadata: dict[str, Any]
    lang: str
    points: pd.DataFrame
    present: list[str]
    titles: dict[str, str]
    pairs: list[tuple[str, str]]
    years: tuple[int, int]
    indices: tuple[str, ...]

    @property
    def labelled(self) -> list[tuple[str, str]]:
        """(scenario, title) for the figures."""
        return [(n, self.titles[n]) for n in self.present]


def content(annual: pd.DataFrame, metadata: dict[str, Any], lang: str = "id",
            observed: pd.DataFrame | None = None) -> Content:
    """The report's content; ``observed`` is :func:`model.observed.observed_indices` or
    :func:`model.present.marks.observation_points` (default: ``data/observed.csv``).
    """
    points = (observation_points() if observed is None else observed
              if "year_read" in observed.columns else observation_points(observed))
    present = list(dict.fromkeys(annual["scenario"].astype(str)))
    return Content(annual, metadata, lang, points, present, titles(metadata, present, lang),
                   comparisons(metadata, present),
                   (int(annual["year"].min()), int(annual["year"].max())), indices_in(annual))


def report_figures(c: Content) -> list[tuple[str, str, Figure]]:
    """Every figure of the report: (file stem, caption, figure), in the page's order."""
    lang, t = c.lang, c.titles
    out = [(f"index_{i}", tr(lang, "report.fig_index", index=tr(lang, f"index.{i}")),
            plots.index_figure(c.annual, c.points, i, c.labelled, lang)) for i in c.indices]
    for k, (base, other) in enumerate(c.pairs, start=1):
        out.append((f"difference_{k}", tr(lang, "report.fig_difference", other=t[other],
                                          base=t[base]),
                    plots.difference_figure(c.annual, base, other, lang)))
        out.append((f"gains_{k}", tr(lang, "report.fig_gains", other=t[other], base=t[base],
                                     year=c.years[1]),
                    plots.gains_figure(c.annual, base, other, c.years[1], lang)))
    out.append(("divide", tr(lang, "plot.divide_title", year=c.years[1]),
                plots.divide_figure(c.annual, c.labelled, c.years[1], lang)))
    out.append(("aspects", tr(lang, "plot.aspects_title", year=c.years[1]),
                plots.aspects_figure(c.annual, c.labelled, c.years[1], lang)))
    out += plots.optional_figures(c.annual, c.labelled, c.years[1], lang)
    return out


def _trajectory(c: Content, index: str, name: str) -> str:
    lang = c.lang
    b = band_table(c.annual[c.annual["scenario"] == name], index).sort_values("year")
    b = b[b["mean"].notna()]  # Pemdi is scored from 2026 only
    first, last = b.iloc[0], b.iloc[-1]
    l0, l1 = label_of(index, first["mean"]), label_of(index, last["mean"])
    label_name = tr(lang, f"label_name.{index}")
    d = interval_digits(last["lo"], last["hi"], 2)  # ends that differ print apart
    label_text = (tr(lang, "report.trajectory_label_same", label_name=label_name, l0=l0)
                  if l0 == l1 else tr(lang, "report.trajectory_label_change",
                                      label_name=label_name, l0=l0, l1=l1))
    text = tr(lang, "report.trajectory", scenario=c.titles[name],
              index=tr(lang, f"index_short.{index}"), y0=int(first["year"]),
              v0=num(first["mean"], lang), y1=int(last["year"]), v1=num(last["mean"], lang),
              lo=num(last["lo"], lang, d), hi=num(last["hi"], lang, d), label_text=label_text)
    region = first["region"]
    obs = c.points[(c.points["region"] == region) & (c.points["index"] == index)
                   & c.points["year_read"].between(*c.years)]
    if len(obs):
        text += " " + observed_fit(lang, inside_band(obs, b))
    else:
        text += " " + tr(lang, "report.observed_none", region=region)
    return _p(text)


def _changes(c: Content, base: str, other: str) -> list[str]:
    year = c.years[1]
    diff = paired_differences(c.annual[c.annual["scenario"].isin([base, other])],
                              c.indices, base)
    out = []
    for index in c.indices:
        row = diff[(diff["index"] == index) & (diff["year"] == year)]
        if row.empty:
            continue
        row = row.iloc[0]
        bands = band_table(c.annual, index)
        mean = {n: float(bands[(bands["scenario"] == n) & (bands["year"] == year)]["mean"]
                         .iloc[0]) for n in (base, other)}
        out.append(_p(index_change(c.lang, index, year, c.titles[base], c.titles[other], row,
                                   mean[base], mean[other])))
    return out


def _group_means(annual: pd.DataFrame, name: str, year: int) -> dict[str, dict[str, float]]:
    sel = annual[(annual["scenario"] == name) & (annual["year"] == year)]
    return {m: {g: float(sel[f"{m}_{g}"].mean()) for g in present_groups(sel, m)}
            for m in MEASURES}


def _sources(c: Content) -> list[str]:
    lang = c.lang
    seen: dict[tuple[str, str], list[str]] = {}
    for name in c.present:
        sc = next(s for s in c.metadata["scenarios"] if s["name"] == name)
        for key, text in (sc.get("sources") or {}).items():
            seen.setdefault((key, str(text)), []).append(str(sc.get("region") or ""))
    out = [_p(tr(lang, "report.sources_intro")), _p(tr(lang, "report.sources_language"))]
    for kind in ("data", "assumption"):
        prefix = f"{kind}:"
        items = [(k, t[len(prefix):].strip(), r) for (k, t), r in seen.items()
                 if t.startswith(prefix)]
        if not items:
            continue
        out.append(f"<h3>{_e(tr(lang, f'report.sources_{kind}', n=len(items)))}</h3><ul>")
        out += [f"<li>{code(k)} ({_e(', '.join(dict.fromkeys(r)))}): {quoted(t, lang)}</li>"
                for k, t, r in items]
        out.append("</ul>")
    regions = set(c.annual["region"].astype(str))
    urls = sorted(set(c.points.loc[c.points["region"].isin(regions), "source_url"].dropna()))
    if urls:
        out.append(f"<h3>{_e(tr(lang, 'report.observed_sources', n=len(urls)))}</h3><ul>")
        out += [f"<li>{linkify(u)}</li>" for u in urls]
        out.append("</ul>")
    return out


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:860px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
h3{font-size:1.05em}figure{margin:1em 0}img{max-width:100%}
figcaption{font-size:.85em;color:#555}.meta{color:#555;font-size:.9em}
li{margin:.2em 0;font-size:.92em}[lang="en"]{font-style:italic}
"""


def compared_intro(lang: str, n: int, reps: int, draws: int | None, years: tuple[int, int],
                   pop: str) -> str:
    """How often each scenario was run: ``reps`` replications, or for a posterior ensemble
    (``draws`` not None) draws x seeds runs, each draw with ``reps`` seeds.
    """
    if draws is None:
        return tr(lang, "report.compared_intro", n=n, reps=reps, y0=years[0], y1=years[1],
                  pop=pop)
    return tr(lang, "report.compared_intro_posterior", n=n, runs=draws * reps, k=draws,
              reps=reps, y0=years[0], y1=years[1], pop=pop)


# --- the page -----------------------------------------------------------------------------------
def build_report(annual: pd.DataFrame, metadata: dict[str, Any], lang: str = "id",
                 observed: pd.DataFrame | None = None,
                 figures: list[tuple[str, str, Figure]] | None = None) -> str:
    """The report as one self-contained HTML page (``figures``: from :func:`report_figures`
    of the same content, when already drawn for an export).
    """
    c = content(annual, metadata, lang, observed)
    figs = {stem: (caption, fig) for stem, caption, fig in (figures or report_figures(c))}

    def figure(stem: str) -> str:
        return _figure(figs[stem][1], figs[stem][0]) if stem in figs else ""

    tables = {s["name"]: s for s in metadata["scenarios"] if s["name"] in c.present}
    reps = int(annual.groupby("scenario")["replication"].nunique().min())
    draws = int(annual["draw"].nunique()) if "draw" in annual.columns else None
    pop = metadata.get("population", "")
    pop_text = (tr(lang, "report.pop_full") if pop == "full"
                else tr(lang, "report.pop_sample", pop=num(float(pop), lang, 0)))
    version = metadata.get("code") or {}
    generated = tr(lang, "report.generated", date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                   version=str(version.get("egovsim")), commit=str(version.get("git_commit")))
    body = [f"<h1>{_e(tr(lang, 'report.title'))}</h1>", f'<p class="meta">{_e(generated)}</p>',
            f"<h2>{_e(tr(lang, 'report.compared_h'))}</h2>",
            _p(compared_intro(lang, len(c.present), reps, draws, c.years, pop_text)), "<ul>"]
    for name in c.present:
        t = tables[name]
        item = f"<li><b>{_e(c.titles[name])}</b>"
        if t.get("description"):
            item += (f". {_e(tr(lang, 'report.description'))} "
                     f"{quoted(str(t['description']).rstrip('.'), lang)}.")
        policies = t.get("policies") or []
        if policies:
            item += f" {_e(tr(lang, 'report.policies'))} " + " ".join(
                f"{_e(policy_sentence(p, lang))} ({quoted(str(p.get('name', '')), lang)})."
                for p in policies)
        body.append(item + "</li>")
    body.append("</ul>")
    if c.pairs:
        body.append(_p(tr(lang, "report.pairs", pairs="; ".join(
            tr(lang, "report.pair", other=c.titles[o], base=c.titles[b]) for b, o in c.pairs))))
    body.append(f"<h2>{_e(tr(lang, 'report.trajectories_h'))}</h2>")
    body.append(_p(tr(lang, "report.trajectories_intro")))
    for index in c.indices:
        body.append(f"<h3>{_e(tr(lang, f'index.{index}'))}</h3>")
        body.append(figure(f"index_{index}"))
        body += [_p(tr(lang, f"method.{m.key}.text")) for m in method_changes(index, c.years)]
        alt = c.points[c.points["year_alt"].notna() & (c.points["index"] == index)
                       & c.points["region"].isin(annual["region"])]
        if len(alt):
            body.append(_p(tr(lang, "observed.reading_note")))
        body += [_trajectory(c, index, n) for n in c.present]
    if c.pairs:
        body.append(f"<h2>{_e(tr(lang, 'report.changes_h'))}</h2>")
        for k, (base, other) in enumerate(c.pairs, start=1):
            body.append(figure(f"difference_{k}"))
            body += _changes(c, base, other)
    body.append(f"<h2>{_e(tr(lang, 'report.divide_h'))}</h2>")
    body.append(_p(tr(lang, "report.divide_intro")))
    for k, (base, other) in enumerate(c.pairs, start=1):
        body.append(f"<h3>{_e(tr(lang, 'report.pair', other=c.titles[other], base=c.titles[base]))}</h3>")  # noqa: E501
        body.append(figure(f"gains_{k}"))
        body += [_p(group_change(lang, m, group_differences(annual, base, other, c.years[1], m)))
                 for m in MEASURES]
    body.append(figure("divide"))
    body += [_p(divide_state(lang, c.titles[n], c.years[1], c.years[0],
                             _group_means(annual, n, c.years[1]),
                             _group_means(annual, n, c.years[0]))) for n in c.present]
    body.append(figure("aspects"))
    if "ipp_units" in figs:
        body += [f"<h3>{_e(tr(lang, 'report.units_h'))}</h3>", figure("ipp_units")]
    if "spending" in figs:
        body += [f"<h3>{_e(tr(lang, 'report.spend_h'))}</h3>", figure("spending")]
    body.append(f"<h2>{_e(tr(lang, 'report.uncertainty_h'))}</h2>")
    if draws is not None:  # a posterior ensemble: the bands carry parameter draws
        body.append(_p(tr(lang, "report.uncertainty_posterior", reps=reps, k=draws)))
    else:
        body.append(_p(tr(lang, "report.uncertainty", reps=reps)))
    body.append(f"<h2>{_e(tr(lang, 'report.sources_h'))}</h2>")
    body += _sources(c)
    body.append(f"<h2>{_e(tr(lang, 'report.reproduce_h'))}</h2>")
    argv = " ".join(str(a) for a in metadata.get("argv") or [])
    command = f"egovsim {argv}" if argv else str(metadata.get("command"))
    body.append(f"<p>{_e(tr(lang, 'report.reproduce', seed=metadata.get('master_seed')))} "
                f"{code(command)}</p>")
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{_e(tr(lang, 'report.title'))}</title>\n<style>{CSS}</style>\n</head>\n"
            "<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")
