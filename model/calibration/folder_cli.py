"""The command line shared by the scripts that rewrite a finished calibration folder's tables.

``scripts/rescore_patterns.py`` and ``scripts/rewrite_hypotheses.py`` take the same arguments
(``CONFIG OUT [--workers N]``), refuse a folder without the files they read with one line and
exit status 2, and print the posterior's pattern shares when done.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from model.calibration import load_config
from model.errors import ScenarioError

Action = Callable[[Any, Path, int], dict[str, Any]]


def folder_main(prog: str, description: str, action: Action, needed: Sequence[str],
                argv: list[str] | None = None) -> int:
    """Parse ``CONFIG OUT [--workers N]``, check ``needed`` files in OUT, run ``action``."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("config", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args(argv)
    try:
        for name in needed:
            if not (args.out / name).is_file():
                raise ScenarioError(str(args.out / name), None,
                                    "missing: not a finished ABC calibration folder")
        summary = action(load_config(args.config), args.out, args.workers)
    except ScenarioError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    shares = summary["patterns"].query("hypothesis == 'posterior'")[["fact", "share"]]
    print(shares.to_string(index=False))
    return 0
