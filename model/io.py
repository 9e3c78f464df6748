"""Writing results: atomic files and the metadata that makes a run reproducible."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

FORMAT_VERSION = 1
REPO_ROOT = Path(__file__).resolve().parent.parent


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    A reader never sees a half-written file; a crash leaves the old file (or none).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        # mkstemp makes the file private (0600); results get the usual permissions.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> None:
    """Atomically write a text file."""
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, data: Any) -> None:
    """Atomically write JSON (sorted keys, 2-space indent)."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_table(df: pd.DataFrame, csv: str | Path | None = None,
                parquet: str | Path | None = None) -> None:
    """Atomically write a table as CSV (stable float format) and/or Parquet."""
    if csv is not None:
        atomic_write(csv, lambda p: df.to_csv(p, index=False, float_format="%.10g",
                                              lineterminator="\n"))
    if parquet is not None:
        atomic_write(parquet, lambda p: df.to_parquet(p, index=False))


def git_commit() -> str | None:
    """The repository's commit (with ``-dirty`` if it has uncommitted changes), if known."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=REPO_ROOT, capture_output=True, text=True,
                               timeout=10).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def code_version() -> dict[str, Any]:
    """Package, git and library versions."""
    libs = {}
    for name in ("mesa", "numpy", "pandas", "scipy"):
        try:
            libs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            libs[name] = None
    try:
        version = metadata.version("egovsim")
    except metadata.PackageNotFoundError:
        version = None
    return {"egovsim": version, "git_commit": git_commit(), "python": platform.python_version(),
            "libraries": libs, "format_version": FORMAT_VERSION}
