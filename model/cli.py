"""The ``egovsim`` command: a thin layer over :mod:`model.runner` and friends.

Bad input never becomes a traceback or a silent default: a :class:`ScenarioError` (or a bad
option) prints one line naming the file and field, and the command exits with status 2 before
anything is written.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from model.errors import ScenarioError

EXIT_BAD_INPUT = 2

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": ("model.commands.run", "simulate scenarios and write tables, summary and figures"),
    "validate": ("model.commands.validate", "check scenario or experiment files without running"),
    "sweep": ("model.commands.sweep", "run a designed experiment into a resumable Parquet dataset"),
    "sensitivity": ("model.commands.sensitivity", "Sobol or Morris sensitivity of outcomes"),
    "app": ("model.commands.app", "start the what-if web app (localhost by default)"),
    "report": ("model.commands.report", "write a plain-language HTML report of a results folder"),
    "calibrate": ("model.commands.calibrate", "fit parameters to observed indices"),
    "advise": ("model.commands.advise", "search budget splits that hold up across the posterior"),
}
"""Subcommand name -> (module with ``add_arguments(parser)`` and ``main(args)``, help)."""


# --- shared options --------------------------------------------------------------------------
def years_arg(text: str) -> tuple[int, int]:
    """Parse ``2018:2030`` (or a single year)."""
    try:
        parts = [int(p) for p in text.split(":")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not FIRST:LAST (e.g. 2018:2030)") from None
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or parts[1] < parts[0] or parts[0] < 1990 or parts[1] > 2100:
        raise argparse.ArgumentTypeError(f"{text!r} is not FIRST:LAST with FIRST <= LAST")
    return parts[0], parts[1]


def population_arg(text: str) -> int | None:
    """Parse a simulated population: a positive whole number, or ``full`` (None)."""
    if text == "full":
        return None
    try:
        number = float(text)  # accepts 100000 and 1e5
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number or 'full'") from None
    if not number.is_integer():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number or 'full'")
    value = int(number)
    if value < 1:
        raise argparse.ArgumentTypeError("population must be at least 1")
    return value


def positive_int(text: str) -> int:
    """Parse a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def add_run_options(p: argparse.ArgumentParser, *, replications: int = 10) -> None:
    """Options shared by commands that simulate: replications, seed, years, population."""
    from model.model import DEFAULT_POPULATION
    p.add_argument("--replications", "-r", type=positive_int, default=replications,
                   help=f"replications per scenario (default {replications})")
    p.add_argument("--seed", type=int, default=20240101,
                   help="master seed; replication seeds derive from it (default 20240101)")
    p.add_argument("--years", type=years_arg, default=(2018, 2030),
                   help="first and last simulated year, FIRST:LAST (default 2018:2030)")
    p.add_argument("--population", type=population_arg, default=DEFAULT_POPULATION,
                   help=f"simulated citizens, or 'full' (default {DEFAULT_POPULATION})")


def add_posterior_options(p: argparse.ArgumentParser, *, default: int | None = None) -> None:
    """``--posterior K`` (draws from model/posterior.parquet) and ``--hypothesis NAME``."""
    p.add_argument("--posterior", type=positive_int, default=default, metavar="K",
                   help="run K parameter vectors drawn from model/posterior.parquet")
    p.add_argument("--hypothesis", default=None, metavar="NAME",
                   help="draw only from this hypothesis of the posterior")


def add_workers_option(p: argparse.ArgumentParser) -> None:
    """``--workers N``: local processes (default: all cores)."""
    p.add_argument("--workers", type=positive_int, default=None,
                   help="local worker processes (default: all cores)")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser; only ``command``'s module is imported (all of them if None).

    Importing a subcommand's module can be slow (the app, calibration and sensitivity bring
    their libraries), so ``egovsim run`` does not pay for ``egovsim app``.
    """
    parser = argparse.ArgumentParser(
        prog="egovsim", description="Agent-based simulator of bureaucratic digitalization and "
        "public-service quality in Indonesian local government.")
    from model import __version__
    parser.add_argument("--version", action="version", version=f"egovsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if command is None or name == command:
            importlib.import_module(module).add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (the first word that is one), if any."""
    for word in argv:
        if word in SUBCOMMANDS:
            return word
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``egovsim`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_in(argv) or "")
    args = parser.parse_args(argv)
    try:
        return int(importlib.import_module(args._module).main(args) or 0)
    except ScenarioError as err:
        print(f"egovsim: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("egovsim: interrupted; finished results were kept", file=sys.stderr)
        return 130


def check_out_dir(out: str | Path) -> Path:
    """An output folder that is not an existing file."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ScenarioError(str(out), None, "output path exists and is not a folder")
    return path


if __name__ == "__main__":
    sys.exit(main())
