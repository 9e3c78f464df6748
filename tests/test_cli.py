"""The ``egovsim`` command end to end: bad input, determinism, outputs.

Each case runs the installed console script in a subprocess; the cases are launched together on
a small thread pool (each subprocess is mostly interpreter start-up) to keep the suite quick.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from conftest import KEDIRI, REPO, run_cli

SMALL = ("--years", "2018:2019", "--population", "300", "--replications", "1", "--quiet")

# name -> (regex applied to kediri.toml, its replacement, text expected in the error line).
# The first "apps = " line is [shares] apps ([apps] has no such key).
MALFORMED = {
    "syntax": (r"^\[budget\]$", "[budget", "TOML syntax error"),
    "empty": (r"(?s).*", "", "file is empty"),
    "unknown_key": (r"^\[staff\]$", "[staff]\nheadcount_total = 10", "staff.headcount_total"),
    "share_1_7": (r"^apps = [0-9.]+$", "apps = 1.7", "shares.apps"),
    "negative": (r"^apbd_idr = .*$", "apbd_idr = -1.5e12", "budget.apbd_idr"),
    "string_for_number": (r"^egov_share = .*$", 'egov_share = "1.5%"', "budget.egov_share"),
}
IN_PROCESS = {
    "shares_not_one": (r"^apps = ([0-9.]+)$",
                       lambda m: f"apps = {float(m.group(1)) + 0.05:.4f}", "shares"),
    "whatif_missing_base": (r"(?s).*", 'base = "../no_such_region.toml"\n[scenario]\nname = "w"\n',
                            "base"),
}
"""Further malformed files, run through the same entry point in this process (``cli.main``)
to spare the subprocess start-up."""


def _malformed(tmp: Path, name: str) -> Path:
    pattern, repl, _ = (MALFORMED | IN_PROCESS)[name]
    text = KEDIRI.read_text()
    new = re.sub(pattern, repl, text, count=1, flags=re.M)
    assert new != text or name == "empty"
    sub = tmp / "scenarios" / name
    sub.mkdir(parents=True)
    path = sub / "kediri.toml"
    path.write_text(new)
    return path


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory):
    """Every malformed file (and a missing one) through ``egovsim run`` and ``validate``."""
    tmp = tmp_path_factory.mktemp("bad")
    files = {name: _malformed(tmp, name) for name in MALFORMED}
    files["missing_file"] = tmp / "scenarios" / "absent.toml"
    jobs = {}
    for name, path in files.items():
        out = tmp / "out" / name
        jobs[("run", name)] = (["run", path, "--out", out, *SMALL], out)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(run_cli, *args) for key, (args, _) in jobs.items()}
        validate_all = pool.submit(run_cli, "validate", *files.values())
        results = {key: (f.result(), jobs[key][1]) for key, f in futures.items()}
        results["validate_all"] = (validate_all.result(), None)
    return files, results


CASES = [*MALFORMED, "missing_file"]


@pytest.mark.parametrize("name", CASES)
def test_bad_input_to_run_exits_2_with_one_short_error(bad_runs, name):
    files, results = bad_runs
    proc, out = results[("run", name)]
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert 1 <= len(lines) <= 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert str(files[name]) in proc.stderr
    expected = MALFORMED[name][2] if name in MALFORMED else "not found"
    assert expected in proc.stderr
    assert not (out / "annual.csv").exists()
    assert not out.exists() or not any(out.iterdir()), "nothing half-written"


@pytest.mark.parametrize("name", IN_PROCESS)
def test_more_bad_input_through_the_entry_point(tmp_path, capsys, name):
    from model.cli import main
    path = _malformed(tmp_path, name)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), *SMALL]) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and str(path) in err and IN_PROCESS[name][2] in err
    assert not out.exists()
    assert main(["validate", str(path)]) == 2


def test_validate_reports_each_bad_file_on_its_own_line(bad_runs):
    files, results = bad_runs
    proc, _ = results["validate_all"]
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == len(files)
    for name, path in files.items():
        assert sum(str(path) in ln for ln in lines) == 1, name
    assert proc.stdout.strip() == ""


@pytest.fixture(scope="module")
def seeded_runs(tmp_path_factory):
    """Two runs with --seed 7 and one with --seed 8 of both regions, small and short."""
    tmp = tmp_path_factory.mktemp("seeds")
    args = ("scenarios/jember.toml", "scenarios/kediri.toml", "--years", "2018:2020",
            "--population", "500", "--replications", "2", "--workers", "1", "--quiet")
    runs = {"a7": 7, "b7": 7, "c8": 8}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {k: pool.submit(run_cli, "run", *args, "--seed", str(s), "--out", tmp / k)
                   for k, s in runs.items()}
        procs = {k: f.result() for k, f in futures.items()}
    for k, p in procs.items():
        assert p.returncode == 0, (k, p.stderr)
    return tmp, procs


def test_same_seed_gives_byte_identical_annual_csv(seeded_runs):
    tmp, _ = seeded_runs
    a = (tmp / "a7" / "annual.csv").read_bytes()
    assert a == (tmp / "b7" / "annual.csv").read_bytes()
    assert a != (tmp / "c8" / "annual.csv").read_bytes()


def test_run_writes_every_output(seeded_runs):
    import json
    tmp, procs = seeded_runs
    out = tmp / "a7"
    for name in ("annual.csv", "annual.parquet", "metadata.json", "summary.md", "spbe.png",
                 "ipp.png", "ikm.png"):
        assert (out / name).stat().st_size > 0, name
    df = pd.read_csv(out / "annual.csv")
    assert set(df["region"]) == {"Kabupaten Jember", "Kota Kediri"}
    assert len(df) == 2 * 2 * 3
    assert df[["spbe", "ipp", "ikm"]].notna().all().all()
    pq = pd.read_parquet(out / "annual.parquet")
    assert list(pq.columns) == list(df.columns) and len(pq) == len(df)
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["master_seed"] == 7 and len(meta["replication_seeds"]) == 2
    assert sorted(df["seed"].unique()) == sorted(meta["replication_seeds"])
    # two regions are two trajectories, not a baseline and its what-if: no difference table
    assert not (out / "differences.csv").exists()
    assert "Not compared with jember, being another region" in (out / "summary.md").read_text()
    assert [s["name"] for s in meta["scenarios"]] == ["jember", "kediri"]
    assert meta["code"]["egovsim"]
    assert not list(out.glob(".*.tmp")), "no temporary files left behind"
    assert not list(tmp.glob(".a7.tmp-*")), "no temporary folder left behind"


def test_bad_options_exit_2(capsys):
    from model.cli import main
    with pytest.raises(SystemExit) as info:
        main(["run", str(KEDIRI), "--years", "2030:2018", "--out", "/nonexistent/never"])
    assert info.value.code == 2
    assert "--years" in capsys.readouterr().err
    assert not Path("/nonexistent/never").exists()


def test_option_parsers_known_answers():
    import argparse

    from model.cli import population_arg, positive_int, replications_arg, seed_arg, years_arg
    from model.defaults import MAX_REPLICATIONS
    assert years_arg("2018:2030") == (2018, 2030) and years_arg("2020") == (2020, 2020)
    assert population_arg("full") is None
    assert population_arg("1e5") == 100_000 and population_arg("2000") == 2000
    assert positive_int("3") == 3 and seed_arg("0") == 0
    assert replications_arg(str(MAX_REPLICATIONS)) == MAX_REPLICATIONS
    for parser, text in ((years_arg, "2030:2018"), (years_arg, "x"), (years_arg, "1800:1900"),
                         (population_arg, "0"), (population_arg, "2.5"),
                         (population_arg, "many"), (population_arg, "1e12"),
                         (positive_int, "0"), (seed_arg, "-1"), (seed_arg, "1.5"),
                         (replications_arg, str(MAX_REPLICATIONS + 1))):
        with pytest.raises(argparse.ArgumentTypeError):
            parser(text)


@pytest.mark.parametrize("command, says, not_says", [
    # output_folder's default: the new results are swapped in only when complete
    ("run", "the old folder stays until the new results are complete", "removed"),
    ("advise", "the old folder stays until the new results are complete", "removed"),
    ("score-forecasts", "the old folder stays until the new results are complete", "removed"),
    # in place (resumable): the old results are removed before the first run
    ("sweep", "the old results are removed before the new runs start", "stays until"),
    ("sensitivity", "the old results are removed before the new runs start", "stays until"),
])
def test_overwrite_help_says_what_each_command_does(capsys, command, says, not_says):
    from model.cli import main
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    overwrite = text[text.index("--overwrite "):]
    overwrite = overwrite[:overwrite.index(")") + 1]
    assert says in overwrite and not_says not in overwrite, overwrite


# --- regressions: inputs that once gave a traceback or a silent wrong result ------------------
def _one_error_line(capsys) -> str:
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert 1 <= len(lines) <= 3 and "Traceback" not in "\n".join(lines), lines
    return lines[-1]


@pytest.mark.parametrize("args, expected", [
    (["--seed", "-1"], "--seed"),
    (["--replications", "1000000000"], "--replications"),
    (["--population", "2"], "--population"),
    (["--population", "1e12"], "--population"),
])
def test_bad_run_settings_exit_2_with_one_line_and_nothing_written(tmp_path, capsys, args,
                                                                  expected):
    from model.cli import main
    out = tmp_path / "out"
    try:
        code = main(["run", str(KEDIRI), *SMALL, *args, "--out", str(out)])
    except SystemExit as exit_:  # argparse's own refusal
        code = exit_.code
    assert code == 2
    assert expected in _one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_two_scenarios_with_one_name_are_refused_not_pooled(tmp_path, capsys):
    from model.cli import main
    copy = tmp_path / "copy.toml"
    copy.write_text(KEDIRI.read_text())
    assert main(["run", str(KEDIRI), str(copy), *SMALL, "--out", str(tmp_path / "o")]) == 2
    assert "scenario.name" in _one_error_line(capsys)
    assert not (tmp_path / "o").exists()


def test_validate_checks_a_calibration_files_quick_table(tmp_path, capsys):
    from model.cli import main
    text = (REPO / "experiments" / "calibration.toml").read_text()
    text = text.replace("../scenarios/", f"{REPO}/scenarios/")
    good = tmp_path / "cal.toml"
    good.write_text(text)
    assert main(["validate", str(good)]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("[quick]                    #", "[quick]\nbogus = 1\n#"))
    assert main(["validate", str(bad)]) == 2
    assert "quick" in _one_error_line(capsys)


def test_validate_and_run_refuse_a_deeply_nested_file_in_one_line(tmp_path, capsys):
    from model.cli import main
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 3000 + "]" * 3000 + "\n")
    assert main(["validate", str(deep)]) == 2
    assert "nested" in _one_error_line(capsys)
    assert main(["run", str(deep), *SMALL, "--out", str(tmp_path / "o")]) == 2
    assert "nested" in _one_error_line(capsys)


def test_a_policy_outside_the_simulated_years_is_named_in_a_warning(tmp_path):
    whatif = tmp_path / "late.toml"
    whatif.write_text(f'base = "{KEDIRI.as_posix()}"\n[scenario]\nname = "late"\n'
                      'region = "Kota Kediri"\n[[policy]]\nname = "late"\nstart_year = 2031\n'
                      "budget_multiplier = 2.0\n")
    out = tmp_path / "out"
    r = run_cli("run", whatif, "--replications", "1", "--population", "500", "--years",
                "2018:2020", "--quiet", "--out", out)
    warnings = [line for line in r.stderr.splitlines() if "warning" in line]
    assert r.returncode == 0 and len(warnings) == 1
    assert "policy[0]" in warnings[0] and "never acts" in warnings[0]
