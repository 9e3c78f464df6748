"""Nothing lost, nothing mixed, nobody in: killed and racing writers of one results folder.

``egovsim run`` is killed (SIGKILL, through the ``EGOVSIM_TEST_KILL_AFTER`` hook) just after
each of its files is written; the folder must then hold the old complete result or the new one,
never files of both. Two writers started together on one folder: one wins, the other is refused
at once with one line and status 2.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from conftest import KEDIRI, REPO, cli_env, egovsim_command, run_cli

from model.commands.run import KILL_AFTER

SMALL = ("--years", "2018:2019", "--population", "300", "--replications", "2", "--workers", "1",
         "--quiet")
FILES = ("annual.csv", "annual.parquet", "spbe.png", "ipp.png", "ikm.png", "summary.md",
         "metadata.json")


def _run(out: Path, seed: int, *extra: str, kill_after: str | None = None
         ) -> subprocess.CompletedProcess:
    env = cli_env()
    env.pop(KILL_AFTER, None)
    if kill_after:
        env[KILL_AFTER] = kill_after
    return subprocess.run([*egovsim_command(), "run", str(KEDIRI), *SMALL, "--seed", str(seed),
                           "--out", str(out), *extra], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env=env)


def _main(*args: str | Path) -> int:
    """``egovsim ARGS`` in this process (no interpreter start-up)."""
    from model.cli import main
    return main([str(a) for a in args])


def _run_here(out: Path, seed: int, *extra: str) -> int:
    return _main("run", KEDIRI, *SMALL, "--seed", str(seed), "--out", out, *extra)


def _seed_of(out: Path) -> int:
    """The master seed of the complete result in ``out``; fails on a mixed or partial one."""
    names = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert names == set(FILES), f"incomplete folder: {sorted(names)}"
    meta = json.loads((out / "metadata.json").read_text())
    csv = pd.read_csv(out / "annual.csv")
    parquet = pd.read_parquet(out / "annual.parquet")
    assert sorted(csv["seed"].unique()) == sorted(meta["replication_seeds"]), "mixed runs"
    assert csv["seed"].tolist() == parquet["seed"].tolist(), "csv and parquet of different runs"
    return int(meta["master_seed"])


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir()
                  if p.name.startswith(f".{out.name}.") and not p.name.endswith(".lock"))


@pytest.mark.slow
def test_a_run_killed_while_writing_leaves_the_old_or_the_new_folder_never_a_mix(tmp_path):
    out = tmp_path / "D"
    first = _run(out, 111, kill_after="annual.csv")  # killed before the folder ever appeared
    assert first.returncode == -signal.SIGKILL
    assert not out.exists()
    assert _run(out, 111).returncode == 0
    assert _seed_of(out) == 111
    assert _leftovers(out) == [], "the killed run's temporary folder was cleaned"

    for name in FILES:
        proc = _run(out, 222, "--overwrite", kill_after=name)
        assert proc.returncode == -signal.SIGKILL, (name, proc.stderr)
        assert _seed_of(out) == 111, f"killed after {name}: the old folder must be intact"

    done = _run(out, 222, "--overwrite")
    assert done.returncode == 0, done.stderr
    assert _seed_of(out) == 222
    assert _leftovers(out) == []


def test_an_existing_folder_is_refused_without_overwrite(tmp_path, capsys):
    out = tmp_path / "D"
    assert _run_here(out, 1) == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    capsys.readouterr()
    assert _run_here(out, 2) == 2
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "--overwrite" in lines[0]
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


@pytest.mark.slow
def test_two_runs_on_one_folder_one_writes_the_other_is_refused(tmp_path):
    out = tmp_path / "D"
    with ThreadPoolExecutor(max_workers=2) as pool:
        procs = list(pool.map(lambda s: _run(out, s, "--replications", "4"), (1, 2)))
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], [p.stderr for p in procs]
    loser = next(p for p in procs if p.returncode == 2)
    assert "another egovsim command" in loser.stderr or "already holds" in loser.stderr
    winner = next(s for s, p in zip((1, 2), procs, strict=True) if p.returncode == 0)
    assert _seed_of(out) == winner


def test_a_second_writer_is_refused_at_once_while_the_first_holds_the_folder(tmp_path, capsys):
    from model.io import output_folder

    out = tmp_path / "D"
    with output_folder(out) as tmp:
        (tmp / "x.txt").write_text("first")
        started = time.monotonic()
        assert _run_here(out, 1) == 2  # another lock on the same file, as another process's
        assert "another egovsim command is writing" in capsys.readouterr().err
        assert time.monotonic() - started < 60, "refused, not waited for"
    assert (out / "x.txt").read_text() == "first"


def _sweep_file(tmp_path: Path, name: str, apps: list[float]) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f"""
[experiment]
name = "{name}"
base = "{KEDIRI}"
population = 300
years = [2018, 2018]
[design]
method = "full_factorial"
[[factor]]
name = "shares.apps"
values = {apps}
[outcomes]
spbe_2018 = {{ column = "spbe", year = 2018 }}
""")
    return path


@pytest.mark.slow
def test_two_sweeps_on_one_folder_cannot_mix_their_parts(tmp_path):
    out = tmp_path / "S"
    files = [_sweep_file(tmp_path, "one", [0.2, 0.3, 0.4]),
             _sweep_file(tmp_path, "two", [0.25, 0.35, 0.45])]
    with ThreadPoolExecutor(max_workers=2) as pool:
        procs = list(pool.map(lambda f: run_cli("sweep", f, "--out", out, "--workers", "1",
                                                "--quiet"), files))
    assert sorted(p.returncode for p in procs) == [0, 2], [p.stderr for p in procs]
    manifest = json.loads((out / "manifest.json").read_text())
    parts = pd.read_parquet(out / "annual")
    values = {0.2, 0.3, 0.4} if manifest["experiment"]["name"] == "one" else {0.25, 0.35, 0.45}
    assert set(parts["shares.apps"].round(6)) == values


def test_a_sweep_folder_is_replaced_only_with_overwrite_and_resume_still_works(tmp_path,
                                                                               capsys):
    out = tmp_path / "S"
    exp = _sweep_file(tmp_path, "one", [0.2, 0.3])
    opts = ("--out", out, "--workers", "1", "--quiet")
    assert _main("sweep", exp, *opts) == 0
    capsys.readouterr()
    assert _main("sweep", exp, *opts) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert _main("sweep", exp, *opts, "--resume") == 0
    assert "2 from before" in capsys.readouterr().err
    assert _main("sweep", exp, *opts, "--resume", "--overwrite") == 2
    other = _sweep_file(tmp_path, "two", [0.25])
    assert _main("sweep", other, *opts, "--overwrite") == 0
    assert set(pd.read_parquet(out / "annual")["shares.apps"].round(6)) == {0.25}


def test_outputs_never_replace_a_device_node_or_write_to_an_empty_name(tmp_path, capsys):
    results = tmp_path / "R"
    assert _run_here(results, 1) == 0
    node = tmp_path / "devnull"
    try:
        os.mknod(node, 0o666 | 0o020000, os.makedev(1, 3))  # a character device like /dev/null
    except PermissionError:
        node = Path("/dev/null")  # not root: the system's own node, which must survive too
    before = os.stat(node)
    for out in (str(node), ""):
        assert _main("report", results, "--out", out) == 2
    after = os.stat(node)
    assert (after.st_mode, after.st_rdev, after.st_ino) == (before.st_mode, before.st_rdev,
                                                            before.st_ino)
    assert _run_here(Path(""), 1) == 2 and not (Path.cwd() / "annual.csv").exists()
    assert len([ln for ln in capsys.readouterr().err.splitlines() if "error" in ln]) == 3


@pytest.mark.parametrize("make", ["under_a_file", "read_only"])
def test_an_unwritable_out_is_one_line_and_leaves_nothing(tmp_path, capsys, make):
    if make == "under_a_file":
        (tmp_path / "f").write_text("x")
        out = tmp_path / "f" / "D"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        out = ro / "D"
    assert _run_here(out, 1) == 2
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert not out.exists()


def test_a_full_disk_while_writing_is_one_line_and_keeps_the_old_folder(tmp_path, capsys,
                                                                        monkeypatch):
    import errno

    import model.commands.run as run_command

    out = tmp_path / "D"
    assert _run_here(out, 111) == 0

    def full(path, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(run_command, "write_text", full)
    capsys.readouterr()
    assert _run_here(out, 222, "--overwrite") == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and "No space left on device" in err[0] and "summary.md" in err[0]
    assert _seed_of(out) == 111
    assert _leftovers(out) == []


def test_calibrate_and_sensitivity_are_refused_at_once_on_a_locked_folder(tmp_path, capsys):
    from model.io import output_folder

    out = tmp_path / "C"
    calibration = REPO / "experiments" / "calibration.toml"
    sensitivity = REPO / "experiments" / "quick_sensitivity.toml"
    with output_folder(out, in_place=True):
        started = time.monotonic()
        assert _main("calibrate", calibration, "--quick", "--quiet", "--out", out) == 2
        assert _main("sensitivity", sensitivity, "--quiet", "--out", out) == 2
        assert time.monotonic() - started < 60, "refused, not run"
    err = capsys.readouterr().err
    assert err.count("another egovsim command is writing") == 2
    assert sorted(p.name for p in out.iterdir()) == [".egovsim-results"]


def test_a_sweep_never_writes_into_a_run_folder(tmp_path, capsys):
    out = tmp_path / "D"
    assert _run_here(out, 1) == 0
    before = sorted(p.name for p in out.iterdir())
    exp = _sweep_file(tmp_path, "one", [0.2])
    assert _main("sweep", exp, "--out", out, "--workers", "1", "--quiet") == 2
    assert "already holds results" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == before
