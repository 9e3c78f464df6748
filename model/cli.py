"""The ``egovsim`` command: a thin layer over :mod:`model.runner` and friends.

Bad input never becomes a traceback or a silent default: a :class:`ScenarioError` (or a bad
option) prints one line naming the file and field, and the command exits with status 2 before
anything is written. An operating-system error while writing (no permission, a full disk, a
path under a file, a read-only file system) is one line and status 2 too; the result folder
helpers (:func:`model.io.output_folder`) make sure it leaves no partial result behind.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import typing
from collections.abc import Sequence
from pathlib import Path

from model.defaults import (
    DEFAULT_POPULATION,
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    DEFAULT_YEARS,
    MAX_POPULATION,
    MAX_REPLICATIONS,
    YEAR_RANGE,
)
from model.errors import ScenarioError
from model.seeds import check_seed

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": ("model.commands.run", "simulate scenarios and write tables, summary and figures"),
    "validate": ("model.commands.validate", "check scenario or experiment files without running"),
    "sweep": ("model.commands.sweep", "run a designed experiment into a resumable Parquet dataset"),
    "sensitivity": ("model.commands.sensitivity", "Sobol or Morris sensitivity of outcomes"),
    "app": ("model.commands.app", "start the what-if web app (localhost by default)"),
    "report": ("model.commands.report", "write a plain-language HTML report of a results folder"),
    "calibrate": ("model.commands.calibrate", "fit parameters to observed indices"),
    "advise": ("model.commands.advise", "search budget splits that hold up across the posterior"),
    "score-forecasts": ("model.commands.score_forecasts",
                        "score a calibration's forecasts against later evaluations"),
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
    if (len(parts) != 2 or parts[1] < parts[0] or parts[0] < YEAR_RANGE[0]
            or parts[1] > YEAR_RANGE[1]):
        raise argparse.ArgumentTypeError(f"{text!r} is not FIRST:LAST with FIRST <= LAST within "
                                         f"{YEAR_RANGE[0]}:{YEAR_RANGE[1]}")
    return parts[0], parts[1]


def population_arg(text: str) -> int | None:
    """Parse a simulated population: a whole number up to :data:`MAX_POPULATION`, or ``full``
    (None). The fewest a scenario needs is checked with the scenario
    (:func:`model.runner.check_run`).
    """
    if text == "full":
        return None
    try:
        number = float(text)  # accepts 100000 and 1e5
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number or 'full'") from None
    if not number.is_integer():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number or 'full'")
    value = int(number)
    if not 1 <= value <= MAX_POPULATION:
        raise argparse.ArgumentTypeError(f"population must be 1-{MAX_POPULATION:,}")
    return value


def seed_arg(text: str) -> int:
    """Parse a seed: a whole number >= 0 (:func:`model.seeds.check_seed`)."""
    try:
        return check_seed(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a seed (a whole number >= 0)"
                                         ) from None


def replications_arg(text: str) -> int:
    """Parse a replication count: 1 .. :data:`MAX_REPLICATIONS`."""
    value = positive_int(text)
    if value > MAX_REPLICATIONS:
        raise argparse.ArgumentTypeError(f"{text!r} is more than the {MAX_REPLICATIONS:,} "
                                         "replications allowed")
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


def add_run_options(p: argparse.ArgumentParser, *,
                    replications: int = DEFAULT_REPLICATIONS) -> None:
    """Options shared by commands that simulate: replications, seed, years, population."""
    p.add_argument("--replications", "-r", type=replications_arg, default=replications,
                   help=f"replications per scenario (default {replications})")
    p.add_argument("--seed", type=seed_arg, default=DEFAULT_SEED,
                   help=f"master seed; replication seeds derive from it (default {DEFAULT_SEED})")
    first, last = DEFAULT_YEARS
    p.add_argument("--years", type=years_arg, default=DEFAULT_YEARS,
                   help=f"first and last simulated year, FIRST:LAST (default {first}:{last})")
    p.add_argument("--population", type=population_arg, default=DEFAULT_POPULATION,
                   help=f"simulated citizens, or 'full' (default {DEFAULT_POPULATION})")


def add_posterior_options(p: argparse.ArgumentParser, *, default: int | None = None) -> None:
    """``--posterior K`` (draws from model/posterior.parquet, or ``--posterior-file PATH``) and
    ``--hypothesis NAME``.
    """
    p.add_argument("--posterior", type=positive_int, default=default, metavar="K",
                   help="run K parameter vectors drawn from model/posterior.parquet")
    p.add_argument("--hypothesis", default=None, metavar="NAME",
                   help="draw only from this hypothesis of the posterior")
    p.add_argument("--posterior-file", type=Path, default=None, metavar="PATH",
                   help="the posterior to draw from (default: model/posterior.parquet)")


def add_overwrite_option(p: argparse.ArgumentParser, *, in_place: bool = False) -> None:
    """``--overwrite``: replace an existing results folder. Its help says how, which depends
    on how the command holds its folder (:func:`model.io.output_folder`): by default the new
    results are written beside the old folder, which is swapped for them only once they are
    complete; a command that writes ``in_place`` (a resumable sweep) removes the old results
    before it starts.
    """
    how = ("the old results are removed before the new runs start; to continue them instead, "
           "use --resume" if in_place else
           "the old folder stays until the new results are complete, then is replaced at once")
    p.add_argument("--overwrite", action="store_true",
                   help=f"replace the results already in --out ({how})")


def add_workers_option(p: argparse.ArgumentParser) -> None:
    """``--workers N``: local processes (default: all cores)."""
    p.add_argument("--workers", type=positive_int, default=None,
                   help="local worker processes (default: all cores)")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose refusal is one line (not the usage block), status 2."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser; only ``command``'s module is imported (all of them if None).

    Importing a subcommand's module can be slow (the app, calibration and sensitivity bring
    their libraries), so ``egovsim run`` does not pay for ``egovsim app``.
    """
    parser = _Parser(
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
        return error(str(err))
    except OSError as err:
        return error(os_error_line(err))
    except KeyboardInterrupt:
        print("egovsim: interrupted; no half-written result was left", file=sys.stderr)
        return EXIT_INTERRUPTED


def error(line: str) -> int:
    """Print ``line`` as the command's one error line; the exit status for bad input."""
    print(f"egovsim: error: {line}", file=sys.stderr)
    return EXIT_BAD_INPUT


def os_error_line(err: OSError) -> str:
    """One line for an operating-system error: the file, then what went wrong."""
    what = err.strerror or type(err).__name__
    where = err.filename2 if isinstance(err.filename, int) else err.filename
    return f"{os.fsdecode(where)}: {what}" if where not in (None, "") else what


if __name__ == "__main__":
    sys.exit(main())
