"""The Solara page: choose a region, move the levers, run, compare with the baseline.

Start it with ``egovsim app``. Every text comes from :mod:`model.present.text`; every control
from :func:`model.app.logic.controls`; every number from :mod:`model.app.logic` and
:mod:`model.present`. State lives in Solara reactive variables, which Solara keeps per browser
session, and in the page's address (language, scenario file, start year, levers), so a reload
or a shared link restores it. Text from files and uploads reaches the page only escaped:
pages are built as HTML with :func:`html.escape` (no Markdown component, which would also fetch
KaTeX from the internet).
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
from model.present.text import LANGS, num, pct, tr
from model.report import build_report, quoted

DEFAULT_SOURCE = "jember.toml"

lang = solara.reactive("id")
source_name = solara.reactive(DEFAULT_SOURCE)
uploaded = solara.reactive(None)  # Source | None
whatif = solara.reactive(None)  # WhatIf | None
replications = solara.reactive(logic.DEFAULT_REPLICATIONS)
message = solara.reactive("")
ran_with = solara.reactive(None)  # the (source label, WhatIf, Settings) of the shown result
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
    """Replications from the page; seed, years and population are the app's defaults."""
    return Settings(replications=int(replications.value))


@dataclass(frozen=True, eq=False)
class Shown:
    """A finished run and what it was run with."""

    cmp: Comparison
    source: Source
    whatif: WhatIf


@solara.lab.task(prefer_threaded=True)
def run_task(source: Source, wi: WhatIf, settings: Settings) -> Shown:
    """Run baseline and what-if; progress in percent for the bar."""
    def progress(fraction: float) -> None:
        run_task.progress = 100.0 * fraction

    cmp = logic.run_whatif(source.baseline, logic.whatif_scenario(source, wi), settings,
                           progress)
    return Shown(cmp, source, wi)


def start_run(clear: bool = True) -> None:
    """Run the current what-if (the click of the Run button); ``clear`` removes the last
    message (not on the first run, which keeps what the page's address was refused for).
    """
    try:
        source = current_source()
        wi = whatif.value or logic.in_force(source.scenario, logic.DEFAULT_START_YEAR)
        settings = current_settings()
        logic.check_start_year(wi.start_year, settings.years)
    except ScenarioError as err:
        message.value = str(err)
        return
    if clear:
        message.value = ""
    whatif.value = wi
    ran_with.value = (source.label, wi, settings)
    run_task(source, wi, settings)


def choose_source(name: str) -> None:
    """Switch to a file in ``scenarios/`` and re-run."""
    uploaded.value = None
    source_name.value = name
    try:
        source = current_source()
    except ScenarioError as err:
        message.value = str(err)
        return
    start = whatif.value.start_year if whatif.value else logic.DEFAULT_START_YEAR
    whatif.value = logic.in_force(source.scenario, start)
    start_run()


def on_upload(info: dict) -> None:
    """Parse an uploaded scenario file as data (never written to disk) and re-run."""
    try:
        source = logic.source_from_upload(info["data"], info["name"],
                                          years=current_settings().years)
    except ScenarioError as err:
        message.value = str(err)
        return
    uploaded.value = source
    start = whatif.value.start_year if whatif.value else logic.DEFAULT_START_YEAR
    whatif.value = logic.in_force(source.scenario, start)
    start_run()


def on_picked(files) -> None:
    """A file chosen with the picker (``ipywidgets.FileUpload``): the same as a drop."""
    if files:
        f = files[0]
        on_upload({"name": f["name"], "data": bytes(f["content"])})


def move(key: str, value: float) -> None:
    """Move one lever; shares stay consistent (see :meth:`WhatIf.with_value`): a split whose
    other four shares are zero gets back the baseline's proportions.
    """
    source = current_source()
    reference = logic.in_force(source.scenario, whatif.value.start_year).shares
    whatif.value = whatif.value.with_value(key, value, reference)


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
    start = state.start_year or logic.DEFAULT_START_YEAR
    whatif.value = logic.apply_levers(logic.in_force(source.scenario, start), state.levers)
    if state.errors:
        message.value = "; ".join(state.errors)


NOTICE_COLORS = {"error": ("#fdecea", "#b71c1c"), "info": ("#e8f1fb", "#1f4e79")}


def Html(markup: str, tag: str = "div") -> None:
    """Markup built here with every file text escaped (see :func:`model.report.quoted`)."""
    solara.HTML(tag=tag, unsafe_innerHTML=markup)


@solara.component
def Notice(text: str, kind: str = "info", lang_: str = "en") -> None:
    """A message box (plain HTML: it does not depend on the Vuetify version installed). An
    error names a file and field in the validator's words, which are English: in another
    language it is introduced in that language and marked as English.
    """
    background, color = NOTICE_COLORS[kind]
    markup = html.escape(text)
    if kind == "error" and lang_ != "en":
        markup = f'{html.escape(tr(lang_, "ui.error"))} <span lang="en">{markup}</span>'
    solara.HTML(tag="div", unsafe_innerHTML=markup, classes=[f"egov-{kind}"],
                style={"background": background, "color": color, "padding": "8px 12px",
                       "border-left": f"4px solid {color}", "margin": "6px 0",
                       "border-radius": "3px"})


@solara.component
def LeverSlider(control: logic.Control, wi: WhatIf, lang_: str) -> None:
    """One generated slider with its label, unit and help text."""
    value = wi.value(control.key)
    shown = str(int(value)) if control.integer else (
        pct(value, lang_) if control.unit == "share" else num(value, lang_, 3 if control.step
                                                               < 0.01 else 2))
    label = f"{tr(lang_, f'control.{control.key}.label')}: {shown}"
    help_text = (tr(lang_, f"control.{control.key}.help")
                 + f" [{tr(lang_, f'unit.{control.unit}')}]")
    with solara.Column(gap="0px", classes=["egov-lever"], style={"margin-bottom": "8px"}):
        solara.Text(label, style={"font-weight": "500", "font-size": "0.92em"})
        if control.integer:
            solara.SliderInt("", value=int(value), min=int(control.lo), max=int(control.hi),
                             step=1, on_value=lambda v: move(control.key, v))
        else:
            solara.SliderFloat("", value=float(value), min=control.lo, max=control.hi,
                               step=control.step, on_value=lambda v: move(control.key, v),
                               thumb_label=False)
        solara.Text(help_text, style={"font-size": "0.78em", "color": "#555",
                                      "margin-top": "-4px"})


@solara.component
def Controls(source: Source, wi: WhatIf, lang_: str) -> None:
    """The sidebar: region, upload, the levers, replications, run, save and report."""
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
    Html(f"<b>{html.escape(tr(lang_, 'ui.levers'))}</b>")
    solara.Text(tr(lang_, "ui.levers_help"), style={"font-size": "0.8em", "color": "#555"})
    for control in logic.controls(logic.DEFAULT_YEARS):
        LeverSlider(control, wi, lang_)
    solara.SliderInt(tr(lang_, "ui.replications") + f": {replications.value}",
                     value=replications, min=2, max=30)
    with solara.Row():
        solara.Button(tr(lang_, "ui.run"), color="primary", on_click=start_run,
                      disabled=run_task.pending, classes=["egov-run"])
        solara.Button(tr(lang_, "ui.reset"), on_click=lambda: whatif.set(
            logic.in_force(source.scenario, wi.start_year)), text=True)


@solara.component
def Headline(cmp: Comparison, lang_: str) -> None:
    """The numbers: last year's indices, baseline beside what-if, and the difference."""
    table = logic.headline(cmp)
    year = int(table["year"].iloc[0])
    e = html.escape
    head = (f"<tr><th>{e(tr(lang_, 'ui.index'))}</th><th>{e(tr(lang_, 'ui.baseline'))} {year}"
            f"</th><th>{e(tr(lang_, 'ui.whatif'))} {year}</th>"
            f"<th>{e(tr(lang_, 'ui.difference'))}</th></tr>")
    rows = [f"<tr><td>{e(tr(lang_, f'index_short.{r['index']}'))}</td>"
            f"<td>{num(r['baseline'], lang_)} ({e(r['baseline_label'])})</td>"
            f"<td>{num(r['whatif'], lang_)} ({e(r['whatif_label'])})</td>"
            f"<td>{num(r['diff'], lang_, sign=True)} [{num(r['diff_lo'], lang_, sign=True)}; "
            f"{num(r['diff_hi'], lang_, sign=True)}]</td></tr>" for _, r in table.iterrows()]
    with solara.Div(classes=["egov-headline"]):
        Html(f'<table class="egov-table">{head}{"".join(rows)}</table>')
        note = "ui.no_change" if not cmp.changed else "ui.headline_note"
        solara.Text(tr(lang_, note, n=cmp.settings.replications,
                       pop=num(cmp.settings.population or 0, lang_, 0),
                       seconds=num(cmp.seconds, lang_, 2)),
                    style={"font-size": "0.85em", "color": "#444"})


def about_html(source: Source, cmp: Comparison, lang_: str) -> str:
    """The assumptions tab: what the baseline is (its description quoted in its language),
    what the bands mean, and the method changes and observation readings of the charts.
    """
    years = cmp.settings.years
    parts = [html.escape(tr(lang_, "ui.about_region", region=source.baseline.region)) + " "
             + quoted(source.baseline.description, lang_),
             html.escape(tr(lang_, "ui.about", n=cmp.settings.replications))]
    parts += [html.escape(tr(lang_, f"method.{m.key}.text"))
              for index in ("spbe", "ipp") for m in method_changes(index, years)]
    parts.append(html.escape(tr(lang_, "observed.reading_note")))
    return "".join(f"<p>{p}</p>" for p in parts)


@solara.component
def Results(cmp: Comparison, source: Source, lang_: str) -> None:
    """Views of figures: indices and difference, who gains, IPP aspects, assumptions; each
    figure with its PNG download.
    """
    names = [(cmp.baseline, tr(lang_, "ui.baseline")), (cmp.whatif, tr(lang_, "ui.whatif"))]
    last = int(cmp.annual["year"].max())

    def figures() -> list[tuple[str, bytes]]:
        """PNGs of the view shown, drawn in a thread so the numbers above appear first."""
        if view.value == "indices":
            observed = observation_points()
            figs = [("difference", difference_figure(cmp.annual, cmp.baseline, cmp.whatif,
                                                     lang_)),
                    *((i, index_figure(cmp.annual, observed, i, names, lang_))
                      for i in ("spbe", "ipp", "ikm"))]
        elif view.value == "divide":
            figs = [("gains", gains_figure(cmp.annual, cmp.baseline, cmp.whatif, last, lang_))]
        elif view.value == "aspects":
            figs = [("aspects", aspects_figure(cmp.annual, names, last, lang_)),
                    *((stem, fig) for stem, _, fig in optional_figures(cmp.annual, names, last,
                                                                        lang_))]
        else:
            figs = []
        return [(stem, png_bytes(f)) for stem, f in figs]

    drawing = solara.lab.use_task(figures, dependencies=[cmp, lang_, view.value])
    views = ("indices", "divide", "aspects", "about")
    with solara.Row(classes=["egov-views"]):
        solara.ToggleButtonsSingle(value=view, children=[
            solara.Button(tr(lang_, f"ui.tab_{v}"), value=v, text=True) for v in views])
    solara.ProgressLinear(drawing.pending)
    if view.value in ("divide", "aspects"):
        solara.Text(tr(lang_, f"ui.{view.value}_help"), style={"font-size": "0.9em"})
    if view.value != "about":
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
    scenarios = [shown.source.baseline, logic.whatif_scenario(shown.source, shown.whatif)]
    argv = logic.cli_argv(shown.source, shown.whatif, shown.cmp.settings)
    page = build_report(shown.cmp.annual, logic.results_metadata(shown.cmp, scenarios, argv),
                        lang_)
    return shown, lang_, page.encode("utf-8")


@solara.component
def Downloads(shown: Shown, source: Source, wi: WhatIf, lang_: str) -> None:
    """Save the current what-if ``wi`` as a scenario file; the comparison table of the runs
    shown as CSV and XLSX; write and download their report.
    """
    name = logic.whatif_name(source, wi)
    shown_name = logic.whatif_name(shown.source, shown.whatif)
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        DownloadLink(logic.whatif_toml(source, wi).encode("utf-8"), f"{name}.toml",
                     "application/toml", tr(lang_, "ui.save"), "egov-save")
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
def ResultsPane(source: Source, wi: WhatIf, lang_: str) -> None:
    """The right-hand side: intro, messages, progress, numbers, downloads and figures; the
    numbers of the previous run are greyed while a run is under way.
    """
    Html(html.escape(tr(lang_, "app.intro", region=source.baseline.region)), tag="p")
    # messages sit in a container that is always there: the figures below keep their place
    # in the tree, so they are not rebuilt when a message comes or goes
    with solara.Column(gap="0px"):
        if message.value:
            Notice(message.value, "error", lang_)
        if run_task.error:
            Notice(str(run_task.exception), "error", lang_)
        if ran_with.value is not None and ran_with.value[1:] != (wi, current_settings()):
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
    grey = {"opacity": "0.3", "pointer-events": "none"} if running else {}
    with solara.Column(classes=["egov-shown"] + (["egov-stale-run"] if running else []),
                       style=grey):
        Headline(shown.cmp, lang_)
        Downloads(shown, source, wi, lang_)
        Results(shown.cmp, shown.source, lang_)


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
    wi = whatif.value or logic.in_force(source.scenario, logic.DEFAULT_START_YEAR)
    query = logic.state_query(lang_, source_name.value if uploaded.value is None else None, wi)

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
    with solara.Columns([4, 8], style={"padding": "0 8px"}):
        with solara.Column(classes=["egov-controls"]):
            Controls(source, wi, lang_)
        with solara.Column(classes=["egov-results"]):
            ResultsPane(source, wi, lang_)
