"""Running sweeps: same numbers on every executor, failures recorded, kill then resume."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from experiments_fakes import flaky_run

from model import ScenarioError, load_scenario
from model.experiments.execute import Backend, run_experiment
from model.experiments.spec import load_experiment

ROOT = Path(__file__).resolve().parent.parent
QUICK = ROOT / "experiments" / "quick_sweep.toml"
EGOVSIM = Path(sys.executable).parent / "egovsim"

SMALL = f"""
[experiment]
name = "small"
base = "{ROOT / 'scenarios' / 'kediri.toml'}"
replications = 2
population = 300
years = [2018, 2021]

[design]
method = "latin_hypercube"
samples = 3

[[factor]]
name = "shares.competency"
range = [0.05, 0.4]

[outcomes]
ipp_2021 = {{ column = "ipp", year = 2021 }}
"""


def table(out: Path) -> pd.DataFrame:
    df = pd.read_parquet(out / "annual")
    return df.sort_values(["run_id", "year"]).reset_index(drop=True)


def test_serial_pool_and_dask_give_identical_numbers(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    exp = load_experiment(path)
    tables = {}
    for backend in (Backend("serial"), Backend("pool", workers=2),
                    Backend("dask-local", workers=2)):
        out = tmp_path / backend.kind
        summary = run_experiment(exp, out, backend, progress=False)
        assert summary.finished == 6 and summary.failed == 0
        tables[backend.kind] = table(out)
    from distributed import LocalCluster  # an existing cluster, reached by its address
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        backend = Backend("scheduler", address=cluster.scheduler_address)
        run_experiment(exp, tmp_path / "scheduler", backend, progress=False)
    tables["scheduler"] = table(tmp_path / "scheduler")
    serial = tables["serial"]
    assert len(serial) == 6 * 4 and not serial.duplicated(["run_id", "year"]).any()
    assert serial["ipp"].nunique() > 1  # the runs differ, so equality below means something
    for kind in ("pool", "dask-local", "scheduler"):
        pd.testing.assert_frame_equal(serial, tables[kind])
    manifest = json.loads((tmp_path / "serial" / "manifest.json").read_text())
    assert manifest["status"]["runs_done"] == 6
    assert manifest["base_scenario"]["name"] == "kediri"
    assert {"git_commit", "libraries"} <= set(manifest["code"])


def test_a_run_that_raises_is_recorded_and_the_sweep_goes_on(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    exp = load_experiment(path)
    out = tmp_path / "flaky"
    summary = run_experiment(exp, out, Backend("pool", workers=2), simulate=flaky_run,
                             progress=False)
    assert (summary.finished, summary.failed) == (4, 2)
    failures = pd.read_csv(out / "failures.csv")
    assert sorted(failures["run_id"]) == ["p000001-r000", "p000001-r001"]
    assert failures["error"].str.contains("deliberate failure at point 1").all()
    record = json.loads((out / "failures" / "p000001-r000.json").read_text())
    assert "Traceback" in record["traceback"]
    assert sorted(table(out)["point"].unique()) == [0, 2]
    assert "2 failed" in summary.line()


def test_folder_with_results_needs_resume_and_the_same_experiment(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    exp = load_experiment(path)
    out = tmp_path / "r"
    run_experiment(exp, out, progress=False)
    with pytest.raises(ScenarioError, match="already holds results"):
        run_experiment(exp, out, progress=False)
    again = run_experiment(exp, out, resume=True, progress=False)
    assert (again.resumed, again.finished) == (6, 0)
    other = dataclasses.replace(exp, master_seed=exp.master_seed + 1)
    with pytest.raises(ScenarioError, match="different experiment"):
        run_experiment(other, out, resume=True, progress=False)


def test_sigkill_then_resume_gives_the_same_table(tmp_path):
    reference = tmp_path / "reference"
    done = subprocess.run([str(EGOVSIM), "sweep", str(QUICK), "--out", str(reference),
                           "--workers", "2"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "24/24 runs done" in done.stderr.splitlines()[-1]

    out = tmp_path / "killed"
    proc = subprocess.Popen([str(EGOVSIM), "sweep", str(QUICK), "--out", str(out),
                             "--workers", "1", "--quiet"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list((out / "annual").glob("part-*.parquet"))) < 2:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    parts = len(list((out / "annual").glob("part-*.parquet")))
    assert 2 <= parts < 24  # killed mid-sweep

    resumed = subprocess.run([str(EGOVSIM), "sweep", str(QUICK), "--out", str(out),
                              "--workers", "2", "--resume", "--quiet"],
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{parts} from before" in resumed.stderr
    got, want = table(out), table(reference)
    assert not got.duplicated(["run_id", "year"]).any()
    assert len(got) == 24 * 13
    pd.testing.assert_frame_equal(got, want)
    pd.testing.assert_frame_equal(pd.read_csv(out / "outcomes.csv"),
                                  pd.read_csv(reference / "outcomes.csv"))


@pytest.mark.parametrize("backend", [Backend("serial"), Backend("pool", workers=2)])
def test_tasks_are_pulled_lazily_so_memory_stays_flat(backend):
    from experiments_fakes import linear_run

    from model.backend import WINDOW_PER_WORKER
    from model.experiments.execute import RunTask, execute

    pulled = 0

    def tasks():
        nonlocal pulled
        for i in range(40):
            pulled += 1
            yield RunTask(f"r{i}", i, 0, i, (("a", 1.0), ("b", 0.0), ("c", 0.0)), None,
                          (2030, 2030), 10, linear_run)

    in_flight = []
    results = []

    def on_result(res):
        results.append(res)
        in_flight.append(pulled - len(results))

    execute(tasks(), backend, on_result)
    assert len(results) == 40 and all(r.error is None for r in results)
    # Serial: nothing is pulled ahead. Pool: the window is filled (work is spread over the
    # workers) but never exceeded (the rest of the 40 stay unpulled).
    window = WINDOW_PER_WORKER * backend.workers if backend.kind == "pool" else 1
    assert max(in_flight) == window - 1


@pytest.mark.parametrize("seeds, same", [("common", True), ("per_run", False)])
def test_a_one_point_sweep_with_common_seeds_gives_the_rows_of_egovsim_run(tmp_path, seeds,
                                                                          same):
    from model.outputs import ANNUAL_COLUMNS
    from model.runner import run_replications

    base = load_scenario(ROOT / "scenarios" / "kediri.toml")
    master = 4242
    path = tmp_path / "one.toml"
    path.write_text(f"""
[experiment]
name = "one_point"
base = "{ROOT / 'scenarios' / 'kediri.toml'}"
replications = 2
master_seed = {master}
seeds = "{seeds}"
population = 300
years = [2018, 2019]
[design]
method = "full_factorial"
[[factor]]
name = "budget.egov_share"
values = [{base.budget.egov_share!r}]
[outcomes]
ipp_2019 = {{ column = "ipp", year = 2019 }}
""")
    run_experiment(load_experiment(path), tmp_path / "out", progress=False)
    sweep = table(tmp_path / "out").sort_values(["replication", "year"])
    cli = run_replications([base], 2, master, years=(2018, 2019), population=300)
    columns = [c for c in ANNUAL_COLUMNS if c != "scenario"]
    got = sweep[columns].reset_index(drop=True)
    assert got.equals(cli[columns].reset_index(drop=True)) is same
    assert (sorted(got["seed"].unique()) == sorted(cli["seed"].unique())) is same
