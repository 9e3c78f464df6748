"""Writing results: atomic files, whole-or-nothing result folders, locks, TOML, metadata.

Files (:func:`atomic_write` and the writers built on it) are written to a hidden temporary file
beside their target and renamed into place, and they only ever replace a regular file: a
folder, a device node or a pipe at the target is refused and left alone.

A result folder is held with :func:`output_folder`, which takes the folder's advisory lock (a
second writer is refused at once) and either

- builds a one-shot result (``egovsim run``) in a temporary sibling folder and renames it into
  place when it is complete, replacing an old folder (with ``overwrite``) by an atomic exchange,
  so the path shows the old complete folder or the new complete one, never a mix; or
- (``in_place``) holds a long-lived folder written file by file and continued later (sweeps,
  sensitivity analysis, calibration), whose files are each atomic.

Leftovers of a killed command (temporary folders and files) are removed the next time a
command takes the folder.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import glob
import json
import math
import os
import platform
import re
import shutil
import stat
import subprocess
import tempfile
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.errors import ScenarioError

FORMAT_VERSION = 1
ROOT_VARIABLE = "EGOVSIM_ROOT"
"""Environment variable naming the folder that holds ``data/``, ``scenarios/`` and
``experiments/``, for running the installed package outside a source checkout."""
_SOURCE_ROOT = Path(__file__).resolve().parent.parent
"""The source checkout this package sits in (when it does): the default data root and the
folder whose git commit :func:`git_commit` reports."""

MARKER = ".egovsim-results"
"""File every result folder holds, so ``--overwrite`` replaces only egovsim's own folders."""
RESULT_FILES = (MARKER, "metadata.json", "manifest.json", "calibration.json")
"""Any of these marks a folder as egovsim results (the last three: folders from before the
marker, as written by run, sweep / sensitivity and calibrate)."""
_TMP_FOLDER = ".tmp-"
_OLD_FOLDER = ".old-"


# --- the data root -------------------------------------------------------------------------
def data_root() -> Path:
    """The folder holding ``data/``, ``scenarios/`` and ``experiments/``.

    ``$EGOVSIM_ROOT`` when it is set (read at each call), else the source checkout the package
    sits in. Every default input file (observed data, the default scenario, the app's scenario
    list, the default calibration file) is found under it through :func:`data_path`.
    """
    env = os.environ.get(ROOT_VARIABLE)
    return Path(env).expanduser() if env else _SOURCE_ROOT


def data_path(*parts: str) -> Path:
    """``data_root() / parts``; a ScenarioError naming ``EGOVSIM_ROOT`` if it does not exist."""
    path = data_root().joinpath(*parts)
    if not path.exists():
        env = os.environ.get(ROOT_VARIABLE)
        told = f"{ROOT_VARIABLE} ({env}) must name" if env else f"set {ROOT_VARIABLE} to"
        raise ScenarioError(str(path), None, f"not found; {told} a folder holding data/, "
                            "scenarios/ and experiments/ (a copy of the source tree)")
    return path


# --- files ------------------------------------------------------------------------------------
def file_target(path: str | Path) -> Path:
    """The file ``path`` names, if an output may be written there; ScenarioError if not.

    An empty name, a folder, or anything but a regular file (a device node, a pipe, a socket)
    is refused. A symbolic link is followed: the file it points to is replaced.
    """
    text = os.fspath(path)
    if not text.strip() or Path(text).name in ("", ".", ".."):
        raise ScenarioError(text or None, None, "is not a file name; give the file to write")
    try:
        mode = os.stat(text).st_mode
    except FileNotFoundError:
        return Path(text)
    except NotADirectoryError:
        raise ScenarioError(text, None, "lies under a file, not a folder") from None
    if stat.S_ISDIR(mode):
        raise ScenarioError(text, None, "is a folder; give a file name")
    if not stat.S_ISREG(mode):
        raise ScenarioError(text, None, "exists and is not a regular file (a device, pipe or "
                                        "socket); it was left alone")
    return Path(os.path.realpath(text))


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    A reader never sees a half-written file; a crash leaves the old file (or none). Only a
    regular file is ever replaced (:func:`file_target`).
    """
    path = file_target(path)
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
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=_SOURCE_ROOT, capture_output=True,
                             text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=_SOURCE_ROOT, capture_output=True, text=True,
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


# --- TOML -------------------------------------------------------------------------------------
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n",
            "\f": "\\f", "\r": "\\r"}
_CONTROL = re.compile(r'["\\\x00-\x1f\x7f]')
_COMMENT_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # a tab may stay


def _toml_string(text: str) -> str:
    def esc(m: re.Match) -> str:
        c = m.group(0)
        return _ESCAPES.get(c) or f"\\u{ord(c):04X}"
    return '"' + _CONTROL.sub(esc, text) + '"'


def _toml_key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"a TOML key is text, got {key!r}")
    return key if _BARE_KEY.match(key) else _toml_string(key)


def toml_value(v: Any) -> str:
    """One TOML value as written after ``key = `` (tables inline); see :func:`dumps_toml`."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"cannot write {v!r} to an egovsim file (not a finite number)")
        return repr(v)
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, Mapping):
        items = [f"{_toml_key(k)} = {toml_value(x)}" for k, x in v.items() if x is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} {v!r} to TOML")


def _is_table_list(v: Any) -> bool:
    return isinstance(v, list | tuple) and bool(v) and all(isinstance(x, Mapping) for x in v)


def _toml_table(name: str, table: Mapping[str, Any], header: str, lines: list[str]) -> None:
    """``[name]`` (or ``[[name]]`` when ``header`` says so) and its entries; a table holding
    only tables is a namespace (``[region.kediri]``), other tables nest inline.
    """
    namespace = bool(table) and all(isinstance(v, Mapping) for v in table.values())
    if not namespace or header == "[[":
        lines += ["", f"{header}{name}{header.replace('[', ']')}"]
        lines += [f"{_toml_key(k)} = {toml_value(v)}" for k, v in table.items() if v is not None]
        return
    for key, sub in table.items():
        _toml_table(f"{name}.{_toml_key(key)}", sub, "[", lines)


def dumps_toml(data: Mapping[str, Any], header: str = "") -> str:
    r"""``data`` as TOML text that ``tomllib`` reads back equal (None values left out).

    Top-level values first, then each table as ``[table]`` (a table of tables as
    ``[table.key]`` sections), then lists of tables as ``[[name]]``; deeper tables are inline.
    ``header`` becomes ``#`` comment lines. Strings are escaped (quotes, backslashes and
    control characters such as ``\u007F``). A value TOML or egovsim cannot hold (None in a
    list, NaN, a date, an object) is a TypeError or ValueError, never a broken file.
    """
    lines = [("# " + _COMMENT_CONTROL.sub(lambda m: f"\\u{ord(m.group(0)):04X}", line)).rstrip()
             for line in header.splitlines()]
    body: list[str] = []
    for k, v in data.items():
        if v is not None and not isinstance(v, Mapping) and not _is_table_list(v):
            body.append(f"{_toml_key(k)} = {toml_value(v)}")
    for k, v in data.items():
        if isinstance(v, Mapping):
            _toml_table(_toml_key(k), v, "[", body)
    for k, v in data.items():
        if _is_table_list(v):
            for entry in v:
                _toml_table(_toml_key(k), entry, "[[", body)
    text = "\n".join(lines) + "\n\n" if lines else ""
    text += "\n".join(body).strip("\n") + "\n"
    tomllib.loads(text)  # a bug here must never become a file that does not parse
    return text


def write_toml(path: str | Path, data: Mapping[str, Any], header: str = "") -> None:
    """Atomically write ``data`` as TOML (:func:`dumps_toml`)."""
    write_text(path, dumps_toml(data, header))


# --- result folders ---------------------------------------------------------------------------
def folder_target(path: str | Path) -> Path:
    """The real path of output folder ``path``; ScenarioError if it cannot be one."""
    text = os.fspath(path)
    if not text.strip():
        raise ScenarioError(None, "--out", "is empty; give a folder name")
    target = Path(os.path.realpath(text))
    if target.parent == target:
        raise ScenarioError(text, None, "is the root folder; give a folder for the results")
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    except NotADirectoryError:
        raise ScenarioError(text, None, "lies under a file, not a folder") from None
    if not stat.S_ISDIR(mode):
        raise ScenarioError(text, None, "exists and is not a folder")
    return target


@contextmanager
def folder_lock(target: Path) -> Iterator[None]:
    """Hold the advisory lock (``fcntl.flock``) of output folder ``target``: the file
    ``.NAME.lock`` beside it, which outlives the folder being renamed. A second holder, in
    this or another process, is refused at once with a ScenarioError.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target.parent / f".{target.name}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW,
                 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ScenarioError(str(target), None, "another egovsim command is writing this "
                                                   "folder; wait for it or choose another --out"
                                ) from None
        yield
    finally:
        os.close(fd)  # releases the lock


def _siblings(target: Path, tag: str) -> list[Path]:
    return sorted(Path(p) for p in glob.glob(os.path.join(
        glob.escape(str(target.parent)), f".{glob.escape(target.name)}{tag}*")))


def clean_stale(target: Path) -> None:
    """Remove what a killed command left: temporary sibling folders, an old folder set aside
    (put back if the folder itself is missing) and temporary files inside the folder.
    Call only while holding the folder's lock.
    """
    for tmp in _siblings(target, _TMP_FOLDER):
        shutil.rmtree(tmp, ignore_errors=True)
    old = _siblings(target, _OLD_FOLDER)
    if old and not target.exists():
        os.rename(old.pop(), target)
    for folder in old:
        shutil.rmtree(folder, ignore_errors=True)
    if target.is_dir():
        for tmp in target.rglob(".*.tmp"):
            if tmp.is_file() and not tmp.is_symlink():
                tmp.unlink(missing_ok=True)


def _is_results(target: Path) -> bool:
    return any((target / name).is_file() for name in RESULT_FILES)


def _is_empty(target: Path) -> bool:
    return not target.exists() or not any(target.iterdir())


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap folders ``a`` and ``b`` in one atomic step (Linux ``renameat2``); False if the
    system or file system cannot.
    """
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _publish(tmp: Path, target: Path) -> None:
    """Rename the complete folder ``tmp`` to ``target``, replacing an old folder there."""
    if _is_empty(target):
        os.rename(tmp, target)  # an empty folder is replaced in the same atomic step
        return
    if _exchange(tmp, target):
        shutil.rmtree(tmp)  # now the old folder
        return
    # Without an atomic exchange: old aside, new in; a kill between the two renames leaves
    # the old folder aside, and the next command puts it back (clean_stale).
    old = tempfile.mkdtemp(prefix=f".{target.name}{_OLD_FOLDER}", dir=target.parent)
    os.rename(target, old)  # replaces the empty folder ``old`` in one step
    os.rename(tmp, target)
    shutil.rmtree(old)


def _discard(target: Path) -> None:
    """Remove folder ``target``: renamed aside first, so it is never seen half deleted."""
    old = tempfile.mkdtemp(prefix=f".{target.name}{_TMP_FOLDER}", dir=target.parent)
    os.rename(target, old)  # replaces the empty folder ``old`` in one step
    shutil.rmtree(old)


@contextmanager
def output_folder(path: str | Path, *, overwrite: bool = False,
                  in_place: bool = False) -> Iterator[Path]:
    """Hold result folder ``path`` for writing; yields the folder to write into.

    The folder's lock is held throughout (a second writer gets a ScenarioError at once) and a
    killed command's leftovers are cleaned first. A folder that already holds files is
    refused unless ``overwrite`` (and then only if it is an egovsim result folder).

    - Default: yields a new temporary sibling folder; when the block ends without an error it
      is renamed to ``path`` (an old folder is replaced atomically); on an error or a kill it
      is discarded and ``path`` is untouched.
    - ``in_place``: for a long-lived folder that is continued (a sweep's ``--resume``,
      calibration): yields ``path`` itself, created if missing. A folder with files is kept
      for the caller to check it belongs to the same experiment, unless ``overwrite`` removes
      it first; a folder that holds other files than egovsim's is refused.
    """
    target = folder_target(path)
    with folder_lock(target):
        clean_stale(target)
        if not _is_empty(target):
            if not _is_results(target):
                raise ScenarioError(str(path), None, "holds files that are not egovsim results; "
                                                     "choose a new or empty folder")
            if not overwrite and not in_place:
                raise ScenarioError(str(path), None, "already holds results; pass --overwrite "
                                                     "to replace them or choose another --out")
        if in_place:
            if overwrite and not _is_empty(target):
                _discard(target)
            target.mkdir(parents=True, exist_ok=True)
            (target / MARKER).touch()
            yield target
            return
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}{_TMP_FOLDER}", dir=target.parent))
        try:
            (tmp / MARKER).touch()
            yield tmp
            os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private
            _publish(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
