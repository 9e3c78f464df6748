"""``egovsim report RESULTS_DIR --out FILE.html [--formats html,png,csv,xlsx]``: a
plain-language report of a results folder, and the files to put in a presentation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.errors import ScenarioError
from model.io import write_text
from model.present import plots
from model.present.exports import FORMATS, comparison_csv, comparison_xlsx, write_bytes
from model.present.text import LANGS
from model.report import build_report, content, load_results, report_figures


def formats_arg(text: str) -> tuple[str, ...]:
    """Parse ``--formats``: a comma-separated list of :data:`FORMATS`."""
    names = tuple(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    bad = [n for n in names if n not in FORMATS]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"{(bad or [text])[0]!r} is not a format; use a comma-separated list of "
            f"{', '.join(FORMATS)}")
    return names


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``egovsim report``."""
    p.add_argument("results", metavar="RESULTS_DIR", help="a folder written by egovsim run")
    p.add_argument("--lang", choices=LANGS, default="id",
                   help="language: id (Bahasa Indonesia, default) or en (English)")
    p.add_argument("--out", required=True, metavar="FILE.html",
                   help="the HTML file to write; other formats are written beside it as "
                        "FILE_<figure>.png, FILE_comparison.csv and FILE_comparison.xlsx")
    p.add_argument("--formats", type=formats_arg, default=("html",), metavar="LIST",
                   help=f"what to write, comma-separated from {','.join(FORMATS)} "
                        "(default html)")


def outputs(out: Path, formats: tuple[str, ...], figure_stems: list[str]) -> list[Path]:
    """The files ``--formats`` writes for ``--out``."""
    stem = out.with_suffix("") if out.suffix else out
    paths = [out] if "html" in formats else []
    if "png" in formats:
        paths += [Path(f"{stem}_{s}.png") for s in figure_stems]
    paths += [Path(f"{stem}_comparison.{f}") for f in ("csv", "xlsx") if f in formats]
    return paths


def main(args: argparse.Namespace) -> int:
    """Read and check the results, build the page and exports, then write each atomically."""
    out = Path(args.out)
    if out.is_dir():
        raise ScenarioError(str(out), None, "output path is a folder; give a file name")
    annual, metadata = load_results(args.results)
    c = content(annual, metadata, args.lang)
    figures = report_figures(c)
    paths = outputs(out, args.formats, [s for s, _, _ in figures])
    for path in paths:
        if path.exists() and not path.is_file():
            raise ScenarioError(str(path), None, "exists and is not a regular file; "
                                "give another name")
    files: dict[Path, bytes] = {}
    if "html" in args.formats:
        files[out] = build_report(annual, metadata, args.lang, c.points, figures).encode()
    png = iter(p for p in paths if p.suffix == ".png")
    if "png" in args.formats:
        files.update({next(png): plots.png_bytes(fig) for _, _, fig in figures})
    for fmt, make in (("csv", comparison_csv), ("xlsx", comparison_xlsx)):
        if fmt in args.formats:
            files[next(p for p in paths if p.name.endswith(f"_comparison.{fmt}"))] = make(annual)
    for path, data in files.items():
        if path == out:
            write_text(path, data.decode("utf-8"))
        else:
            write_bytes(path, data)
    print(f"egovsim: report written to {', '.join(str(p) for p in files)}", file=sys.stderr)
    return 0
