"""``egovsim report RESULTS_DIR --out FILE.html``: a plain-language report of a results folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.app.text import LANGS
from model.errors import ScenarioError
from model.io import write_text
from model.report import build_report, load_results


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``egovsim report``."""
    p.add_argument("results", metavar="RESULTS_DIR", help="a folder written by egovsim run")
    p.add_argument("--lang", choices=LANGS, default="id",
                   help="language: id (Bahasa Indonesia, default) or en (English)")
    p.add_argument("--out", required=True, metavar="FILE.html", help="the HTML file to write")


def main(args: argparse.Namespace) -> int:
    """Read and check the results, build the page, then write it atomically."""
    out = Path(args.out)
    if out.is_dir():
        raise ScenarioError(str(out), None, "output path is a folder; give a file name")
    annual, metadata = load_results(args.results)
    page = build_report(annual, metadata, args.lang)
    write_text(out, page)
    print(f"egovsim: report written to {out}", file=sys.stderr)
    return 0
