"""``egovsim score-forecasts OBSERVED.csv --out DIR``: a calibration's forecasts
(``forecasts.csv``) against evaluations published after its data, per hypothesis and for the
posterior (:mod:`model.calibration.forecast_check`).

Writes ``scores.csv`` (each evaluation beside each forecast of it), ``summary.csv`` and
``summary.md`` (per hypothesis: values scored, share in the 90% interval, mean absolute error,
mean interval score) and ``metadata.json`` (the inputs and their SHA-256).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from model.cli import add_overwrite_option
from model.errors import ScenarioError
from model.io import code_version, data_path, output_folder, write_json, write_table, write_text

DEFAULT_FORECASTS = ("docs", "figures", "calibration", "forecasts.csv")
"""The committed calibration's forecasts, under the data root (:func:`model.io.data_root`)."""
DEFAULT_CONFIG = ("experiments", "calibration.toml")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``egovsim score-forecasts``."""
    p.add_argument("observed", metavar="OBSERVED.csv",
                   help="later evaluations, with data/observed.csv's columns region, year, "
                        "indicator (SPBE_index, IPP_index, IKM, Pemdi_index), value; one row "
                        "per region, indicator and year, every row of a calibrated region "
                        "(any other row is refused, not skipped)")
    p.add_argument("--forecasts", type=Path, default=None, metavar="FILE",
                   help="a calibration's forecasts.csv (default: the committed calibration's)")
    p.add_argument("--config", type=Path, default=None, metavar="FILE",
                   help="the calibration file, for the regions' names (default "
                        "experiments/calibration.toml)")
    p.add_argument("--out", required=True, help="output folder")
    add_overwrite_option(p)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(args: argparse.Namespace) -> int:
    """Read and check both tables, score, then write the folder in one step."""
    from model.calibration import forecast_check as fc
    from model.calibration import load_config

    args.forecasts = args.forecasts or data_path(*DEFAULT_FORECASTS)
    args.config = args.config or data_path(*DEFAULT_CONFIG)
    cfg = load_config(args.config)
    regions = {sc.region: key for key, sc in cfg.regions.items()}
    forecasts = fc.read_forecasts(args.forecasts)
    observed = fc.read_observed(args.observed, regions)
    scores = fc.score(forecasts, observed)
    if scores.empty:
        raise ScenarioError(args.observed, None, "has no SPBE, IPP, IKM or Pemdi value of "
                            f"{', '.join(regions)} in a forecast year "
                            f"({int(forecasts['year'].min())}-{int(forecasts['year'].max())})")
    scored = scores.groupby(["region", "index", "year"]).ngroups
    table = fc.summary(scores)
    text = fc.summary_markdown(table, scores, fc.without_forecast(forecasts, observed),
                               str(args.forecasts), str(args.observed))
    meta = {"command": "score-forecasts", "observed": str(args.observed),
            "observed_sha256": _sha256(Path(args.observed)),
            "forecasts": str(args.forecasts), "forecasts_sha256": _sha256(args.forecasts),
            "config": str(args.config), "code": code_version()}
    with output_folder(args.out, overwrite=args.overwrite) as out:
        write_table(scores, csv=out / "scores.csv")
        write_table(table, csv=out / "summary.csv")
        write_text(out / "summary.md", text)
        write_json(out / "metadata.json", meta)
    print(table.to_string(index=False), file=sys.stderr)
    print(f"egovsim: {scored} evaluations scored; results in {args.out}/", file=sys.stderr)
    return 0
