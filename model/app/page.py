"""The Solara page: choose a region, set up to three what-ifs, run, compare with the baseline.

Start it with ``egovsim app``. Every text comes from :mod:`model.present.text`; every control
from :func:`model.app.logic.controls`; every number from :mod:`model.app.logic` and
:mod:`model.present`. State lives in Solara reactive variables, which Solara keeps per browser
session, and in the page's address (language, scenario file, the first what-if's start year and
the levers it moves), so a reload or a shared link restores it. Text from files and uploads
reaches the page only escaped: pages are built as HTML with :func:`html.escape` (no Markdown
component, which would also fetch KaTeX from the internet). Runs and the advice search are
background tasks; while one is under way the numbers of the last are greyed.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass

import ipywidgets
import solara
import solara.lab

from model.app import logic
from model.app.logic import Comparison, Settings, Source, WhatIf
from model.errors import ScenarioError
from model.present.exports import XLSX_MIME, comparison_csv, comparison_xlsx
from model.present.marks import method_changes, observation_points
from model.present.plots import (
    aspects_figure,
    difference_figure,
    gains_figure,
    index_figure,
    optional_figures,
    png_bytes,
)
from model.present.text import LANGS, money, num, pct, tr
from model.report import build_report, quoted

DEFAULT_SOURCE = "jember.toml"

lang = solara.reactive("id")
source_name = solara.reactive(DEFAULT_SOURCE)
uploaded = solara.reactive(None)  # Source | None
whatifs = solara.reactive(None)  # tuple[WhatIf, ...] | None: up to logic.MAX_WHATIFS
editing = solara.reactive(0)  # the what-if whose levers the sidebar shows
uncertainty = solara.reactive(logic.UNCERTAINTY[0])
replications = solara.reactive(None)  # None: the default of the uncertainty chosen
comparison_year = solara.reactive(None)  # None: logic.DEFAULT_COMPARISON_YEAR
objective = solara.reactive(logic.ADVICE_OBJECTIVE)
message = solara.reactive("")
ran_with = solara.reactive(None)  # the (source label, what-ifs, Settings) of the shown result
view = solara.reactive("indices")

_SOURCES: dict[str, Source] = {}
_CHOICES: dict[str, dict[str, str]] = {}


def _choices(lang_: str) -> dict[str, str]:
    """Scenario files by their human labels in ``lang_`` (read once per language)."""
    if lang_ not in _CHOICES:
        _CHOICES[lang_] = logic.scenario_choices(lang_)
    return _CHOICES[lang_]


def current_source() -> Source:
    """The scenario the what-if starts from: the uploaded file if any, else the chosen file."""
    if uploaded.value is not None:
        return uploaded.value
    name = source_name.value
    if name not in _SOURCES:
        _SOURCES[name] = logic.source_from_file(name)
    return _SOURCES[name]


def current_settings() -> Settings:
    """Uncertainty and replications from the page; the rest are the app's defaults."""
    return Settings(replications=replications.value, uncertainty=uncertainty.value)


def current_whatifs(source: Source) -> tuple[WhatIf, ...]:
    """The what-ifs set on the page, or one that changes nothing yet."""
    return whatifs.value or (logic.in_force(source.scenario, logic.DEFAULT_START_YEAR),)


def shown_year(cmp: Comparison) -> int:
    """The comparison year chosen, inside the years run (default: the constant's)."""
    years = logic.comparison_years(cmp)
    year = comparison_year.value or logic.DEFAULT_COMPARISON_YEAR
    return year if year in years else years[-1]


@dataclass(frozen=True, eq=False)
class Shown:
    """A finished run and what it was run with."""

    cmp: Comparison
    source: Source
    whatifs: tuple[WhatIf, ...]


@solara.lab.task(prefer_threaded=True)
def run_task(source: Source, wis: tuple[WhatIf, ...], settings: Settings) -> Shown:
    """Run the baseline and every what-if; progress in percent for the bar."""
    def progress(fraction: float) -> None:
        run_task.progress = 100.0 * fraction

    scenarios = [logic.whatif_scenario(source, wi, i + 1) for i, wi in enumerate(wis)]
    cmp = logic.run_whatifs(source.baseline, scenarios, settings, progress)
    return Shown(cmp, source, wis)


def start_run(clear: bool = True) -> None:
    """Run the current what-ifs (the click of the Run button); ``clear`` removes the last
    message (not on the first run, which keeps what the page's address was refused for).
    """
    try:
        source = current_source()
        wis = current_whatifs(source)
        settings = current_settings()
        for wi in wis:
            logic.check_start_year(wi.start_year, settings.years)
    except ScenarioError as err:
        message.value = str(err)
        return
    if clear:
        message.value = ""
    whatifs.value = wis
    ran_with.value = (source.label, wis, settings)
    run_task(source, wis, settings)


def _restart(source: Source) -> None:
    """One fresh what-if on ``source`` from the start year shown, then run."""
    start = current_whatifs(source)[0].start_year if whatifs.value else \
        logic.DEFAULT_START_YEAR
    whatifs.value = (logic.in_force(source.scenario, start),)
    editing.value = 0
    start_run()


def choose_source(name: str) -> None:
    """Switch to a file in ``scenarios/`` and re-run."""
    uploaded.value = None
    source_name.value = name
    try:
        source = current_source()
    except ScenarioError as err:
        message.value = str(err)
        return
    _restart(source)


def on_upload(info: dict) -> None:
    """Parse an uploaded scenario file as data (never written to disk) and re-run."""
    try:
        source = logic.source_from_upload(info["data"], info["name"],
                                          years=current_settings().years)
    except ScenarioError as err:
        message.value = str(err)
        return
    uploaded.value = source
    _restart(source)


def on_picked(files) -> None:
    """A file chosen with the picker (``ipywidgets.FileUpload``): the same as a drop."""
    if files:
        f = files[0]
        on_upload({"name": f["name"], "data": bytes(f["content"])})


def move(key: str, value) -> None:
    """Move one lever of the what-if being edited; shares stay consistent (see
    :meth:`WhatIf.with_value`): a split whose other four shares are zero gets back the
    baseline's proportions.
    """
    source = current_source()
    wis = list(current_whatifs(source))
    i = min(editing.value, len(wis) - 1)
    reference = logic.in_force(source.scenario, wis[i].start_year).shares
    try:
        wis[i] = wis[i].with_value(key, value, reference)
    except ScenarioError as err:  # a typed number outside its declared range
        message.value = str(err)
        return
    whatifs.value = tuple(wis)


def add_whatif() -> None:
    """Add a what-if (starting from the baseline in force in the edited one's start year)."""
    source = current_source()
    wis = current_whatifs(source)
    if len(wis) >= logic.MAX_WHATIFS:
        return
    start = wis[min(editing.value, len(wis) - 1)].start_year
    whatifs.value = (*wis, logic.in_force(source.scenario, start))
    editing.value = len(wis)


def remove_whatif() -> None:
    """Remove the what-if being edited (the last one left stays)."""
    wis = list(current_whatifs(current_source()))
    if len(wis) > 1:
        del wis[min(editing.value, len(wis) - 1)]
        whatifs.value = tuple(wis)
        editing.value = 0


def choose_uncertainty(value: str) -> None:
    """Posterior draws or the calibrated point; the replications go back to its default."""
    uncertainty.value = value
    replications.value = None


def apply_address(search: str | None) -> None:
    """Restore the state kept in the page's address (on the first render of a session)."""
    state = logic.parse_state(search, LANGS)
    if state.lang:
        lang.value = state.lang
    if state.region:
        source_name.value = state.region
    try:
        source = current_source()
    except ScenarioError as err:
        message.value = str(err)
        return
    whatifs.value = tuple(
        logic.apply_levers(logic.in_force(source.scenario, start or logic.DEFAULT_START_YEAR),
                           levers)
        for start, levers in ((state.start_year, state.levers), *state.more))
    editing.value = 0
    if state.errors:
        message.value = "; ".join(state.errors)


TABLE_CSS = """
.egov-table { border-collapse: collapse; margin: 4px 0 8px 0; }
.egov-table th, .egov-table td { padding: 3px 10px; text-align: left; vertical-align: top;
                                 border-bottom: 1px solid #e3e3e3; }
.egov-table small { color: #444; }
.egov-folded { display: none !important; }
.egov-group-toggle { height: auto !important; padding: 4px 0 !important; text-transform: none;
                     justify-content: flex-start; font-weight: bold; letter-spacing: normal; }
.egov-group-toggle .v-btn__content { white-space: normal; text-align: left; }
"""
"""The look of the page's tables (numbers, Rupiah, the Pareto front) and folded lever groups."""

NOTICE_COLORS = {"error": ("#fdecea", "#b71c1c"), "info": ("#e8f1fb", "#1f4e79")}


def Html(markup: str, tag: str = "div") -> None:
    """Markup built here with every file text escaped (see :func:`model.report.quoted`)."""
    solara.HTML(tag=tag, unsafe_innerHTML=markup)


@solara.component
def Notice(text: str, kind: str = "info", lang_: str = "en", css: str | None = None) -> None:
    """A message box (plain HTML: it does not depend on the Vuetify version installed). An
    error names a file and field in the validator's words, which are English: in another
    language it is introduced in that language and marked as English. ``css`` replaces the
    box's class (``egov-<kind>``).
    """
    background, color = NOTICE_COLORS[kind]
    markup = html.escape(text)
    if kind == "error" and lang_ != "en":
        markup = f'{html.escape(tr(lang_, "ui.error"))} <span lang="en">{markup}</span>'
    solara.HTML(tag="div", unsafe_innerHTML=markup, classes=[css or f"egov-{kind}"],
                style={"background": background, "color": color, "padding": "8px 12px",
                       "border-left": f"4px solid {color}", "margin": "6px 0",
                       "border-radius": "3px"})


def _shown_value(control: logic.Control, value, lang_: str) -> str:
    if control.integer:
        return str(int(value))
    if control.unit == "share":
        return pct(value, lang_)
    if control.step >= 1:
        return num(value, lang_, 0)
    return num(value, lang_, 3 if control.step < 0.01 else 2)


def _choice_label(control: logic.Control, choice: str, lang_: str) -> str:
    return tr(lang_, f"component.{choice}" if control.unit == "component" else
              f"choice.{choice}")


@solara.component
def LeverControl(control: logic.Control, wi: WhatIf, lang_: str) -> None:
    """One generated control (slider, select or multi-select) with its label, unit and help."""
    value = wi.value(control.key)
    name = tr(lang_, f"control.{control.key}.label")
    help_text = (tr(lang_, f"control.{control.key}.help")
                 + f" [{tr(lang_, f'unit.{control.unit}')}]")
    with solara.Column(gap="0px", classes=["egov-lever", f"egov-lever-{control.kind}"],
                       style={"margin-bottom": "8px"}):
        if control.kind == "slider":
            solara.Text(f"{name}: {_shown_value(control, value, lang_)}",
                        style={"font-weight": "500", "font-size": "0.92em"})
            if control.integer:
                solara.SliderInt("", value=int(value), min=int(control.lo),
                                 max=int(control.hi), step=1,
                                 on_value=lambda v: move(control.key, v))
            else:
                solara.SliderFloat("", value=float(value), min=control.lo, max=control.hi,
                                   step=control.step, on_value=lambda v: move(control.key, v),
                                   thumb_label=False)
        elif control.kind == "number":
            solara.InputFloat(f"{name} ({_shown_value(control, value, lang_)})",
                              value=float(value), optional=True, dense=True,
                              continuous_update=True,
                              on_value=lambda v: move(control.key, v),
                              classes=["egov-number"])
        else:
            labels = {_choice_label(control, c, lang_): c for c in control.choices}
            shown = {c: label for label, c in labels.items()}
            if control.kind == "select":
                solara.Select(name, values=list(labels), value=shown[value], dense=True,
                              on_value=lambda label: move(control.key, labels[label]))
            else:
                solara.SelectMultiple(name, values=[shown[c] for c in value],
                                      all_values=list(labels), dense=True,
                                      on_value=lambda chosen: move(
                                          control.key, [labels[x] for x in chosen]))
        solara.Text(help_text, style={"font-size": "0.78em", "color": "#555",
                                      "margin-top": "-4px"})


OPEN_GROUPS = ("split", "shift", "budget")
"""Lever groups always shown; the others fold away until opened, and open by themselves when
one of their levers differs from the baseline (a shared link that moved them)."""


def _heading(text: str) -> None:
    Html(f"<b>{html.escape(text)}</b>", tag="div")


@solara.component
def LeverGroup(title: str, group: list[logic.Control], wi: WhatIf, lang_: str,
               moved: bool) -> None:
    """A folding group of levers: open when clicked, or while one of them is moved (its
    controls stay in the page when folded, only hidden).
    """
    opened, set_opened = solara.use_state(False)
    shown = opened or moved
    solara.Button(("▾ " if shown else "▸ ") + title, text=True, disabled=moved,
                  on_click=lambda: set_opened(not opened), classes=["egov-group-toggle"])
    with solara.Column(gap="0px", classes=[] if shown else ["egov-folded"]):
        for control in group:
            LeverControl(control, wi, lang_)


@solara.component
def Controls(source: Source, wis: tuple[WhatIf, ...], lang_: str) -> None:
    """The sidebar: region, upload, uncertainty, the what-ifs and their levers, run, reset."""
    choices = _choices(lang_)
    label_of = {name: label for label, name in choices.items()}
    solara.Select(tr(lang_, "ui.region"), values=list(choices),
                  value=label_of.get(source_name.value) if uploaded.value is None else None,
                  on_value=lambda label: choose_source(choices[label]))
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"},
                    classes=["egov-upload"]):
        ipywidgets.FileUpload.element(accept=".toml", multiple=False, on_value=on_picked,
                                      description=tr(lang_, "ui.choose_file"))
        solara.FileDrop(label=tr(lang_, "ui.upload"), on_file=on_upload, lazy=False)
    if uploaded.value is not None:
        solara.Text(tr(lang_, "ui.uploaded", name=uploaded.value.label),
                    style={"font-size": "0.85em"})
        if uploaded.value.base is not None:
            solara.Text(tr(lang_, "ui.uploaded_base", base=uploaded.value.base.region),
                        style={"font-size": "0.85em"})
    modes = {tr(lang_, "ui.uncertainty_posterior", k=logic.DEFAULT_DRAWS): "posterior",
             tr(lang_, "ui.uncertainty_point"): "point"}
    solara.Select(tr(lang_, "ui.uncertainty"), values=list(modes), dense=True,
                  value={m: label for label, m in modes.items()}[uncertainty.value],
                  on_value=lambda label: choose_uncertainty(modes[label]),
                  classes=["egov-uncertainty"])
    posterior = uncertainty.value == "posterior" and logic.plan_draws(current_settings())
    default = logic.DEFAULT_DRAW_REPLICATIONS if posterior else logic.DEFAULT_REPLICATIONS
    reps = replications.value or default
    solara.SliderInt(tr(lang_, "ui.replications_draw" if posterior else "ui.replications")
                     + f": {reps}", value=reps, min=1 if posterior else 2,
                     max=10 if posterior else 30, on_value=replications.set)
    i = min(editing.value, len(wis) - 1)
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"},
                    classes=["egov-whatifs"]):
        solara.Text(tr(lang_, "ui.editing"), style={"font-size": "0.9em"})
        solara.ToggleButtonsSingle(value=i, on_value=editing.set, children=[
            solara.Button(tr(lang_, "ui.whatif_n", n=n + 1), value=n, text=True)
            for n in range(len(wis))])
        solara.Button(tr(lang_, "ui.add_whatif"), on_click=add_whatif, text=True,
                      disabled=len(wis) >= logic.MAX_WHATIFS, classes=["egov-add-whatif"])
        if len(wis) > 1:
            solara.Button(tr(lang_, "ui.remove_whatif"), on_click=remove_whatif, text=True,
                          classes=["egov-remove-whatif"])
    wi = wis[i]
    Html(f"<b>{html.escape(tr(lang_, 'ui.levers'))}</b>")
    solara.Text(tr(lang_, "ui.levers_help"), style={"font-size": "0.8em", "color": "#555"})
    by_key = {c.key: c for c in logic.controls(logic.DEFAULT_YEARS)}
    LeverControl(by_key["start_year"], wi, lang_)
    sections = [("split", [k for k in by_key if k.startswith("shares.")]),
                ("shift", [k for k in by_key if k.startswith("shift.")])]
    levers = [k for k in by_key if k in logic.lever_names()]
    sections += [(g, [k for k in levers if logic.lever_group(k) == g])
                 for g, _ in logic.LEVER_GROUPS]
    ref = logic.in_force(source.scenario, wi.start_year)
    for group, keys in sections:
        if not keys:
            continue
        with solara.Column(gap="0px", classes=["egov-group", f"egov-group-{group}"]):
            if group in OPEN_GROUPS:
                _heading(tr(lang_, f"lever_group.{group}"))
                for key in keys:
                    LeverControl(by_key[key], wi, lang_)
                continue
            moved = any(wi.value(k) != ref.value(k) for k in keys)
            LeverGroup(tr(lang_, f"lever_group.{group}"),
                       [by_key[key] for key in keys], wi, lang_, moved)
    with solara.Row():
        solara.Button(tr(lang_, "ui.run"), color="primary", on_click=start_run,
                      disabled=run_task.pending, classes=["egov-run"])

        def reset() -> None:
            wis_ = list(wis)
            wis_[i] = logic.in_force(source.scenario, wi.start_year)
            whatifs.set(tuple(wis_))

        solara.Button(tr(lang_, "ui.reset"), on_click=reset, text=True)


@solara.component
def Headline(cmp: Comparison, lang_: str, year: int) -> None:
    """The numbers in the comparison year: the baseline beside each what-if, with its paired
    difference, 90% interval, P(positive), "could be zero" and notes where an index sits at
    its cap; how the runs were made, and the fallback to the point when there is no posterior.
    """
    table = logic.headline(cmp, year)
    e = html.escape
    first = table[table["scenario"] == cmp.whatifs[0]]
    head = [f"<th>{e(tr(lang_, 'ui.index'))}</th>",
            f"<th>{e(tr(lang_, 'ui.baseline'))} {year}</th>"]
    for n, changed in enumerate(cmp.changed):
        extra = "" if changed else f"<br><small>{e(tr(lang_, 'ui.no_change_col'))}</small>"
        head.append(f'<th class="egov-whatif-col">{e(tr(lang_, "ui.whatif_n", n=n + 1))} '
                    f"{year}{extra}</th>")
    rows = []
    for index in first["index"]:
        r0 = first[first["index"] == index].iloc[0]
        cells = [f"<td>{e(tr(lang_, f'index_short.{index}'))}</td>",
                 f"<td>{num(r0['baseline'], lang_)} ({e(r0['baseline_label'])})</td>"]
        for name in cmp.whatifs:
            r = table[(table["scenario"] == name) & (table["index"] == index)].iloc[0]
            zero = " egov-could-be-zero" if r["could_be_zero"] else ""
            cells.append(f'<td class="egov-diff{zero}">{num(r["whatif"], lang_)} '
                         f"({e(r['whatif_label'])})<br><small>"
                         f"{e(logic.difference_text(r, lang_))}</small></td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    caps = table[table["at_cap"]].drop_duplicates("index")
    notes = [tr(lang_, "ui.at_cap", index=tr(lang_, f"index_short.{r['index']}"),
                cap=num(r["cap"], lang_, 0), year=year) for _, r in caps.iterrows()]
    s = cmp.settings
    pop = num(s.population or 0, lang_, 0)
    seconds = num(cmp.seconds, lang_, 2)
    runs = cmp.plan
    if runs.draws is not None:
        note = tr(lang_, "ui.posterior_note", k=len(runs.draws), r=runs.replications, pop=pop,
                  seconds=seconds)
    else:
        note = tr(lang_, "ui.point_note", n=runs.replications, pop=pop, seconds=seconds)
    with solara.Div(classes=["egov-headline"]):
        Html(f'<table class="egov-table">{"".join(head)}{"".join(rows)}</table>')
        if runs.fallback:
            Notice(tr(lang_, "ui.fallback", path=s.posterior.name, n=runs.replications),
                   "info", lang_, css="egov-fallback")
        for text in notes:
            solara.Text(text, classes=["egov-cap-note"],
                        style={"font-size": "0.85em", "color": "#7a4b00"})
        if not any(cmp.changed):
            solara.Text(tr(lang_, "ui.no_change", n=runs.runs, pop=pop, seconds=seconds),
                        style={"font-size": "0.85em", "color": "#444"})
        solara.Text(note, style={"font-size": "0.85em", "color": "#444"})


@solara.component
def RupiahTable(cmp: Comparison, lang_: str, year: int) -> None:
    """The Rupiah per component in the comparison year, baseline and each what-if."""
    table = logic.rupiah_table(cmp, year)
    e = html.escape
    head = (f"<tr><th>{e(tr(lang_, 'ui.item'))}</th><th>{e(tr(lang_, 'ui.baseline'))}</th>"
            + "".join(f"<th>{e(tr(lang_, 'ui.whatif_n', n=n + 1))}</th>"
                      for n in range(len(cmp.whatifs))) + "</tr>")
    rows = []
    for _, r in table.iterrows():
        column = r["column"]
        label = tr(lang_, "ui.staff_cost" if column == "staff_cost_idr" else f"column.{column}")
        base = float(r[cmp.baseline])
        cells = [f"<td>{e(label)}</td>", f"<td>{e(money(base, lang_))}</td>"]
        cells += [f"<td>{e(logic.rupiah_text(float(r[name]), base, lang_))}</td>"
                  for name in cmp.whatifs]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    with solara.Div(classes=["egov-rupiah"]):
        Html(f"<b>{e(tr(lang_, 'ui.rupiah_h', year=year))}</b>")
        Html(f'<table class="egov-table">{head}{"".join(rows)}</table>')
        solara.Text(tr(lang_, "ui.rupiah_note"), style={"font-size": "0.85em", "color": "#444"})


def about_html(source: Source, cmp: Comparison, lang_: str) -> str:
    """The assumptions tab: what the baseline is (its description quoted in its language),
    what the bands mean, and the method changes and observation readings of the charts.
    """
    years = cmp.settings.years
    runs = cmp.plan
    bands = (tr(lang_, "ui.about", n=runs.runs) if runs.draws is None else
             tr(lang_, "ui.about_posterior", n=runs.runs, k=len(runs.draws),
                r=runs.replications))
    parts = [html.escape(tr(lang_, "ui.about_region", region=source.baseline.region)) + " "
             + quoted(source.baseline.description, lang_), html.escape(bands)]
    parts += [html.escape(tr(lang_, f"method.{m.key}.text"))
              for index in ("spbe", "ipp") for m in method_changes(index, years)]
    parts.append(html.escape(tr(lang_, "observed.reading_note")))
    return "".join(f"<p>{p}</p>" for p in parts)


@solara.lab.task(prefer_threaded=True)
def advice_task(scenario, year: int, objective_: str, settings: Settings):
    """The quick advice search (minutes); progress in percent for the bar."""
    def progress(fraction: float) -> None:
        advice_task.progress = 100.0 * fraction

    return (scenario, year, objective_), logic.run_advice(scenario, year, objective_, settings,
                                                          on_progress=progress)


def pareto_html(result: logic.AdviceResult, lang_: str) -> str:
    """The Pareto front as an HTML table: shares in %, each metric's mean and bad case."""
    from model.advice_text import METRIC_LABELS
    table = logic.pareto_table(result.advice)
    e = html.escape
    labels = METRIC_LABELS[lang_]
    head = ["", *(tr(lang_, f"component.{c}") for c in logic.COMPONENTS)]
    for m in result.advice.metrics:
        head += [labels[m.name], tr(lang_, "ui.bad_case", m=labels[m.name])]
    rows = []
    for _, r in table.iterrows():
        tag = ("ui.advice_rec" if r["recommended"] else "ui.advice_now" if r["status_quo"]
               else None)
        cells = [e(tr(lang_, tag)) if tag else ""]
        cells += [num(r[c], lang_, 0) + "%" for c in logic.COMPONENTS]
        for m in result.advice.metrics:
            cells += [num(r[f"{m.name}_mean"], lang_), num(r[f"{m.name}_{m.robust}"], lang_)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (f"<p>{e(tr(lang_, 'ui.advice_front'))}</p><table class=\"egov-table egov-pareto\">"
            "<tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>" + "".join(rows)
            + "</table>")


@solara.component
def AdvicePane(source: Source, lang_: str, year: int) -> None:
    """The advice tab: the objective, the search (in the background), the front and the
    advice in plain sentences.
    """
    from model.advise import OBJECTIVES
    quick = logic.ADVICE_SEARCH
    scenario = source.baseline
    names = {tr(lang_, f"objective.{o}"): o for o in OBJECTIVES}
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Select(tr(lang_, "ui.advice_objective"), values=list(names), dense=True,
                      value={o: n for n, o in names.items()}[objective.value],
                      on_value=lambda n: objective.set(names[n]), classes=["egov-objective"])
        solara.Button(tr(lang_, "ui.advice_run"), color="primary", disabled=advice_task.pending,
                      on_click=lambda: advice_task(scenario, year, objective.value,
                                                   current_settings()),
                      classes=["egov-advice-run"])
    worlds = quick.draws * quick.replications
    solara.Text(tr(lang_, "ui.advice_help", candidates=quick.candidates, worlds=worlds,
                   region=scenario.region, year=year,
                   from_year=logic.advice_from_year(year)), style={"font-size": "0.9em"})
    if advice_task.pending:
        solara.ProgressLinear(advice_task.progress or True)
        solara.Text(tr(lang_, "ui.advice_running", pct=num(advice_task.progress or 0, lang_, 0)))
    if advice_task.error:
        Notice(str(advice_task.exception), "error", lang_)
    done = advice_task.latest
    if done is None:
        return
    (asked, result) = done
    with solara.Div(classes=["egov-advice"]):
        solara.Text(tr(lang_, "ui.advice_for", region=asked[0].region, year=asked[1],
                       seconds=num(result.seconds, lang_, 0)), style={"font-size": "0.85em"})
        Html(pareto_html(result, lang_))
        Html(logic.advice_html(result, lang_))


@solara.component
def Results(cmp: Comparison, source: Source, lang_: str, year: int) -> None:
    """Views of figures: indices and differences, who gains, IPP aspects, advice, assumptions;
    each figure with its PNG download.
    """
    names = [(cmp.baseline, tr(lang_, "ui.baseline")),
             *((w, tr(lang_, "ui.whatif_n", n=n + 1)) for n, w in enumerate(cmp.whatifs))]

    def figures() -> list[tuple[str, bytes]]:
        """PNGs of the view shown, drawn in a thread so the numbers above appear first."""
        if view.value == "indices":
            observed = observation_points()
            figs = [(f"difference_{n + 1}", difference_figure(cmp.annual, cmp.baseline, w,
                                                              lang_))
                    for n, w in enumerate(cmp.whatifs)]
            figs += [(i, index_figure(cmp.annual, observed, i, names, lang_))
                     for i in ("spbe", "ipp", "ikm")]
        elif view.value == "divide":
            figs = [(f"gains_{n + 1}", gains_figure(cmp.annual, cmp.baseline, w, year, lang_))
                    for n, w in enumerate(cmp.whatifs)]
        elif view.value == "aspects":
            figs = [("aspects", aspects_figure(cmp.annual, names, year, lang_)),
                    *((stem, fig) for stem, _, fig in optional_figures(cmp.annual, names, year,
                                                                        lang_))]
        else:
            figs = []
        return [(stem, png_bytes(f)) for stem, f in figs]

    drawing = solara.lab.use_task(figures, dependencies=[cmp, lang_, view.value, year])
    views = ("indices", "divide", "aspects", "advice", "about")
    with solara.Row(classes=["egov-views"]):
        solara.ToggleButtonsSingle(value=view, children=[
            solara.Button(tr(lang_, f"ui.tab_{v}"), value=v, text=True) for v in views])
    solara.ProgressLinear(drawing.pending)
    if view.value in ("divide", "aspects"):
        solara.Text(tr(lang_, f"ui.{view.value}_help"), style={"font-size": "0.9em"})
    if view.value == "advice":
        AdvicePane(source, lang_, year)
    elif view.value != "about":
        with solara.Column(classes=["egov-figures"]):
            for stem, png in drawing.latest or []:
                solara.Image(png)
                DownloadLink(png, f"{stem}_{lang_}.png", "image/png",
                             tr(lang_, "ui.download_png"), "egov-png")
    else:
        with solara.Div(classes=["egov-about"]):
            Html(about_html(source, cmp, lang_))


LINK_STYLE = {"display": "inline-block", "padding": "6px 14px", "border": "1px solid #1f4e79",
              "border-radius": "4px", "color": "#1f4e79", "text-decoration": "none",
              "font-size": "0.9em", "margin": "4px 8px 4px 0"}


@solara.component
def DownloadLink(data: bytes, filename: str, mime: str, label: str, css_class: str) -> None:
    """A download as a plain link with the file inside (``data:`` URI): nothing is written on
    the server, and it works with any Vuetify version.
    """
    href = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    solara.HTML(tag="a", unsafe_innerHTML=html.escape(label), classes=[css_class],
                attributes={"href": href, "download": filename}, style=LINK_STYLE)


@solara.lab.task(prefer_threaded=True)
def report_task(shown: Shown, lang_: str) -> tuple[Shown, str, bytes]:
    """Write the report of the runs shown (a few seconds: it draws six figures)."""
    scenarios = [shown.source.baseline, *(logic.whatif_scenario(shown.source, wi, i + 1)
                                          for i, wi in enumerate(shown.whatifs))]
    argv = logic.cli_argv(shown.source, shown.whatifs, shown.cmp.settings)
    page = build_report(shown.cmp.annual, logic.results_metadata(shown.cmp, scenarios, argv),
                        lang_)
    return shown, lang_, page.encode("utf-8")


@solara.component
def Downloads(shown: Shown, source: Source, wis: tuple[WhatIf, ...], lang_: str) -> None:
    """Save each current what-if as a scenario file; the comparison table of the runs shown
    as CSV and XLSX; write and download their report.
    """
    shown_name = logic.whatif_name(shown.source, shown.whatifs[0])
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        for n, wi in enumerate(wis):
            name = logic.whatif_name(source, wi, n + 1)
            label = tr(lang_, "ui.save") + (f" ({tr(lang_, 'ui.whatif_n', n=n + 1)})"
                                            if len(wis) > 1 else "")
            DownloadLink(logic.whatif_toml(source, wi, n + 1).encode("utf-8"), f"{name}.toml",
                         "application/toml", label, "egov-save")
        DownloadLink(comparison_csv(shown.cmp.annual), f"{shown_name}_comparison.csv",
                     "text/csv", tr(lang_, "ui.download_csv"), "egov-csv")
        DownloadLink(comparison_xlsx(shown.cmp.annual), f"{shown_name}_comparison.xlsx",
                     XLSX_MIME, tr(lang_, "ui.download_xlsx"), "egov-xlsx")
        ready = report_task.latest
        if ready is not None and ready[0] is shown and ready[1] == lang_:
            filename = f"{shown_name}_{lang_}.html"
            DownloadLink(ready[2], filename, "text/html", tr(lang_, "ui.report_ready",
                                                            name=filename), "egov-report")
        else:
            solara.Button(tr(lang_, "ui.report"), on_click=lambda: report_task(shown, lang_),
                          disabled=report_task.pending, outlined=True,
                          classes=["egov-make-report"])
        if report_task.pending:
            solara.Text(tr(lang_, "ui.report_wait"), style={"font-size": "0.85em"})


@solara.component
def ResultsPane(source: Source, wis: tuple[WhatIf, ...], lang_: str) -> None:
    """The right-hand side: intro, messages, progress, comparison year, numbers, Rupiah,
    downloads and figures; the numbers of the previous run are greyed while a run is under way.
    """
    Html(html.escape(tr(lang_, "app.intro", region=source.baseline.region)), tag="p")
    # messages sit in a container that is always there: the figures below keep their place
    # in the tree, so they are not rebuilt when a message comes or goes
    with solara.Column(gap="0px"):
        if message.value:
            Notice(message.value, "error", lang_)
        if run_task.error:
            Notice(str(run_task.exception), "error", lang_)
        if ran_with.value is not None and ran_with.value[1:] != (wis, current_settings()):
            Notice(tr(lang_, "ui.stale"), "info")
    running = run_task.pending
    solara.ProgressLinear(run_task.progress or True if running else False)
    if running:
        solara.Text(tr(lang_, "ui.running_progress", pct=num(run_task.progress or 0, lang_, 0)),
                    classes=["egov-running"])
    shown = run_task.latest
    if shown is None:
        solara.Text(tr(lang_, "ui.running"))
        return
    year = shown_year(shown.cmp)
    grey = {"opacity": "0.3", "pointer-events": "none"} if running else {}
    with solara.Column(classes=["egov-shown"] + (["egov-stale-run"] if running else []),
                       style=grey):
        solara.Select(tr(lang_, "ui.comparison_year"), values=logic.comparison_years(shown.cmp),
                      value=year, on_value=comparison_year.set, dense=True,
                      classes=["egov-year"], style={"max-width": "220px"})
        Headline(shown.cmp, lang_, year)
        RupiahTable(shown.cmp, lang_, year)
        Downloads(shown, source, wis, lang_)
        Results(shown.cmp, shown.source, lang_, year)


@solara.component
def Page() -> None:
    """The whole app."""
    router = solara.use_router()
    first = solara.use_ref(True)
    if first.current:
        first.current = False
        if ran_with.value is None:
            apply_address(router.search)
    lang_ = lang.value
    solara.Title(tr(lang_, "app.title"))
    solara.use_effect(lambda: start_run(clear=False) if ran_with.value is None else None, [])
    try:
        source = current_source()
    except ScenarioError as err:
        Notice(str(err), "error", lang_)
        return
    wis = current_whatifs(source)
    query = logic.state_query(
        lang_, source_name.value if uploaded.value is None else None, wis[0],
        logic.in_force(source.scenario, wis[0].start_year),
        [(w, logic.in_force(source.scenario, w.start_year)) for w in wis[1:]])

    def keep_address() -> None:  # (a test renderer has no address to keep)
        if router.set_path is not None and (router.search or "") != query:
            router.push(f"{router.path}?{query}")

    solara.use_effect(keep_address, [query])
    with solara.Row(style={"align-items": "center", "justify-content": "space-between",
                           "padding": "4px 16px", "background": "#1f4e79", "color": "white"}):
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(tr(lang_, "app.title")),
                    style={"font-size": "1.3em", "font-weight": "500"})
        solara.ToggleButtonsSingle(value=lang, classes=["egov-lang"], children=[
            solara.Button(tr(code, "app.language_name"), value=code, text=True)
            for code in LANGS])
    solara.Style(TABLE_CSS)
    with solara.Columns([4, 8], style={"padding": "0 8px"}):
        with solara.Column(classes=["egov-controls"]):
            Controls(source, wis, lang_)
        with solara.Column(classes=["egov-results"]):
            ResultsPane(source, wis, lang_)
