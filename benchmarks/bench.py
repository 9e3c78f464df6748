"""egovsim benchmarks: speed, memory and scale (``make bench``).

Prints a table and writes ``<out>/bench.json``. What is measured (Jember unless said):

- ``citizen_steps_per_s_1e4/1e5/1e6``: simulated citizens x simulated months / wall seconds of
  one ``model.run`` 2018-2030 (build, 156 monthly steps, the yearly table), one process, best
  of a few repeats (the machine may be shared; the best is the least disturbed).
- ``ratio_vs_agent_reference_1e5``: the per-agent Mesa reference (``model.reference``)
  timed in the same run on the same scenario and population; its horizon is given by
  ``--reference-years`` (the full 2018-2030 by default, else extrapolated per month and said so).
- ``bytes_per_citizen``: ``Citizens.nbytes / n``, the per-citizen state.
- ``full_region_seconds`` / ``full_region_peak_mib``: ``egovsim run scenarios/<region>.toml
  --population full --replications 1`` as a whole process (imports, simulation, tables,
  figures), wall time and peak resident memory of that child process.
- ``sweep_speedup_2_workers``: ``model.runner.map_runs`` over 10,000-citizen runs, 1 vs 2 workers.
- ``whatif_latency_s``: the app's what-if answer at its defaults (``model.app.logic.run_whatif``;
  its workload through ``model.run`` if the app is absent).
- ``memory_per_year``: resident memory sampled each simulated December in one long run in a
  fresh process (flat memory means no growth with the horizon).
- ``phase_seconds_1e6``: where the time goes, per phase of the monthly step.
- ``scaling``: run time against population, horizon and replications.
- ``small_run_citizen_steps_per_s_5k``: a batch of 5,000-citizen runs 2018-2030 on one core
  (citizens x months x runs / wall seconds) through ``model.runner.run_many``, which steps
  them together (``model.batch``), as ensembles and advice do; ``details.small_runs`` also
  gives the same runs one after another (``sequential_*``) and, as this machine's yardstick,
  one run of as many citizens as the whole batch (``one_large_run_*``; ``share_of_one_large_run``
  is the batch's throughput over that run's).
- ``posterior_whatif_seconds``: ``model.posterior.run_ensemble`` of a baseline and a what-if
  (Kediri and its apps-to-training what-if) at the app's size (5,000 citizens, 2018-2030),
  K = the app's posterior draws (8) x 1 seed, 2 workers, warm (after one untimed call); best
  of two.
  From ``model/posterior.parquet``, or a synthetic posterior of the same shape if there is none
  (said in ``details.decisions``).
- ``advise_quick_seconds`` / ``advise_seconds``: ``egovsim advise scenarios/jember.toml --year
  2029 [--quick]`` as a whole process on 2 workers.

``--decisions-only`` runs only these four (``advise_seconds`` too only with ``--advise-default``)
and adds them to an existing ``bench.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import model
from model.defaults import DEFAULT_YEARS
from model.io import code_version, write_json
from model.model import EGovModel
from model.reference import ReferenceModel
from model.runner import Task, _do, batch_plan, map_runs, replication_seeds, run_many

ROOT = Path(__file__).resolve().parent.parent

WHATIF = ROOT / "scenarios" / "whatif" / "kediri_apps_to_training_2025.toml"

YEARS = DEFAULT_YEARS
MONTHS = 12 * (YEARS[1] - YEARS[0] + 1)
SCENARIOS = {r: ROOT / "scenarios" / f"{r}.toml" for r in ("jember", "kediri")}


def _best(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Best wall and CPU seconds of ``repeats`` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# --- throughput -----------------------------------------------------------------------------
def throughput(scenario, population: int, repeats: int) -> dict[str, float]:
    """Citizen-steps per second of the full model over 2018-2030."""
    wall, cpu = _best(lambda: model.run(scenario, 1, years=YEARS, population=population),
                      repeats)
    steps = population * MONTHS
    return {"population": population, "seconds": wall, "cpu_seconds": cpu,
            "citizen_steps_per_s": steps / wall}


def reference_throughput(scenario, population: int, years: int) -> dict[str, Any]:
    """The per-agent reference over ``years`` years, extrapolated to 2018-2030 if shorter."""
    t0, c0 = time.perf_counter(), time.process_time()
    m = ReferenceModel(scenario, population=population, start_year=YEARS[0],
                       end_year=YEARS[0] + years - 1, rng=1)
    build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    t1, c1 = time.perf_counter(), time.process_time()
    while m.running:
        m.step()
    stepping, stepping_cpu = time.perf_counter() - t1, time.process_time() - c1
    months = 12 * years
    seconds = build + stepping * MONTHS / months
    return {"population": population, "years_run": years, "build_seconds": build,
            "seconds_per_month": stepping / months, "seconds": seconds,
            "cpu_seconds": build_cpu + stepping_cpu * MONTHS / months,
            "extrapolated": months < MONTHS,
            "citizen_steps_per_s": population * MONTHS / seconds}


# --- whole processes ------------------------------------------------------------------------
def whole_process(args: list[str]) -> dict[str, Any]:
    """Run a child process; its wall seconds, CPU seconds and peak resident memory."""
    with tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, cwd=ROOT, stdout=fout, stderr=ferr)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read().decode(), ferr.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{err}")
    return {"seconds": wall, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_mib": usage.ru_maxrss / 1024, "stdout": out, "stderr": err}


def full_region(region: str) -> dict[str, Any]:
    """``egovsim run <region> --population full --replications 1`` as a whole process."""
    egovsim = Path(sys.executable).parent / "egovsim"
    with tempfile.TemporaryDirectory() as tmp:
        r = whole_process([str(egovsim), "run", str(SCENARIOS[region]), "--population", "full",
                           "--replications", "1", "--out", tmp, "--quiet"])
    residents = model.load_scenario(SCENARIOS[region]).population.residents
    return {"region": region, "residents": residents, "seconds": r["seconds"],
            "cpu_seconds": r["cpu_seconds"], "peak_mib": r["peak_mib"],
            "citizen_steps_per_s": residents * MONTHS / r["seconds"],
            "cli_report": r["stderr"].strip().splitlines()[-1]}


def memory_probe(population: int, last_year: int) -> dict[str, Any]:
    """Resident memory each December of one long run, measured in a fresh process."""
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import bench; "
            f"print(json.dumps(bench._memory_series({population}, {last_year})))")
    r = whole_process([sys.executable, "-c", code])
    series = json.loads(r["stdout"].strip().splitlines()[-1])
    rss = [v for _, v in series]
    slope = float(np.polyfit(np.arange(len(rss)), rss, 1)[0]) if len(rss) > 1 else 0.0
    return {"population": population, "years": [YEARS[0], last_year],
            "rss_mib_by_year": series, "first_mib": rss[0], "last_mib": rss[-1],
            "max_mib": max(rss), "slope_mib_per_year": slope, "peak_mib": r["peak_mib"]}


def _memory_series(population: int, last_year: int) -> list[tuple[int, float]]:
    m = EGovModel(model.load_scenario(SCENARIOS["jember"]), population=population,
                  start_year=YEARS[0], end_year=last_year, rng=1)
    out = []
    while m.running:
        m.step()
        if m.month == 1:  # a December just ended
            out.append((m.year - 1, round(_rss_mib(), 2)))
    return out


# --- parallel runs --------------------------------------------------------------------------
def sweep(scenario, runs: int, population: int) -> dict[str, float]:
    """``map_runs`` over ``runs`` runs with 1 and with 2 workers."""
    seeds = replication_seeds(7, runs)
    tasks = [Task(scenario, r, s, YEARS, population) for r, s in enumerate(seeds)]
    one, _ = _best(lambda: map_runs(_do, tasks, workers=1), 1)
    two, _ = _best(lambda: map_runs(_do, tasks, workers=2), 1)
    return {"runs": runs, "population": population, "seconds_1_worker": one,
            "seconds_2_workers": two, "speedup": one / two}


def whatif_latency(scenario) -> dict[str, Any]:
    """The app's what-if answer at its default settings, or its workload if there is no app.

    With ``model.app``: ``model.app.logic.run_whatif`` at ``Settings()`` (its defaults), first
    cold (the baseline's runs not yet cached), then a re-run with a moved lever (the baseline
    cached, only the what-if's runs are simulated), best of two, as a planner sees it.
    """
    if importlib.util.find_spec("model.app") is None:
        seeds = replication_seeds(20240101, 10)
        tasks = [Task(scenario, r, s, YEARS, 5_000) for r, s in enumerate(seeds)]
        serial, _ = _best(lambda: map_runs(_do, tasks, workers=1), 2)
        return {"seconds": serial, "seconds_cold": serial,
                "note": "model.app is not in this tree; timed the equivalent: 10 runs of 5,000 "
                        "citizens 2018-2030 via model.run, serially"}
    from model.app import logic
    src = logic.source_from_file("jember.toml")
    base, settings = src.scenario, logic.Settings()
    logic._CACHE.clear()

    def whatif(share: float):
        wi = logic.in_force(base, 2025).with_value("shares.competency", share)
        return logic.whatif_scenario(src, wi)

    cold = logic.run_whatif(base, whatif(0.40), settings).seconds
    warm = min(logic.run_whatif(base, whatif(s), settings).seconds for s in (0.45, 0.55))
    return {"seconds": warm, "seconds_cold": cold, "settings": dataclasses.asdict(settings),
            "note": "model.app.logic.run_whatif at the app's default settings "
                    f"({_runs_of(settings)} of {settings.population:,} citizens, "
                    f"{settings.years[0]}-{settings.years[1]}, what-if from 2025): 'seconds' is a "
                    "re-run with the baseline cached (best of two), 'seconds_cold' the first "
                    "what-if, baseline included"}


def _runs_of(settings) -> str:
    """The runs per scenario the app's settings make, in words."""
    from model.app import logic
    if settings.uncertainty == "posterior":
        r = settings.replications or logic.DEFAULT_DRAW_REPLICATIONS
        return f"{settings.draws} posterior draws x {r} seed(s)"
    return f"{settings.replications or logic.DEFAULT_REPLICATIONS} seeds at the calibrated point"


# --- decisions: ensembles and advice -------------------------------------------------------
def small_runs(scenario, runs: int, population: int = 5_000) -> dict[str, Any]:
    """A batch of small runs 2018-2030 on one core: stepped together (``run_many``), and one
    after another for comparison."""
    tasks = [Task(scenario, r, s, YEARS, population)
             for r, s in enumerate(replication_seeds(11, runs))]
    wall, cpu = _best(lambda: run_many(tasks, workers=1), 2)
    alone, alone_cpu = _best(lambda: map_runs(_do, tasks, workers=1), 2)
    # the yardstick on this machine: one run of as many citizens as the whole batch
    one = [Task(scenario, 0, replication_seeds(11, 1)[0], YEARS, runs * population)]
    large, _ = _best(lambda: map_runs(_do, one, workers=1), 2)
    steps = runs * population * MONTHS
    return {"runs": runs, "population": population, "batches": len(batch_plan(tasks)),
            "seconds": wall, "cpu_seconds": cpu,
            "citizen_steps_per_s": steps / wall, "citizen_steps_per_cpu_s": steps / cpu,
            "sequential_seconds": alone, "sequential_citizen_steps_per_s": steps / alone,
            "one_large_run_citizens": runs * population,
            "one_large_run_citizen_steps_per_s": steps / large,
            "share_of_one_large_run": large / wall}


def posterior_whatif(draws: int | None = None, population: int = 5_000) -> dict[str, Any]:
    """A posterior what-if (baseline and what-if, ``draws`` x 1 seed; default: the app's K),
    warm, 2 workers."""
    if draws is None:
        from model.app.logic import DEFAULT_DRAWS
        draws = DEFAULT_DRAWS
    import model.posterior as mp
    config = mp.default_config()
    if mp.DEFAULT_POSTERIOR.is_file():
        post, source = mp.load_posterior(), str(mp.DEFAULT_POSTERIOR)
    else:
        table = mp.synthetic_posterior(config, 500, 0.2, 1)
        post = mp.validate_posterior(table, "synthetic", config)
        source = "synthetic (no model/posterior.parquet): 500 rows, spread 0.2"
    scenarios = [model.load_scenario(SCENARIOS["kediri"]), model.load_scenario(WHATIF)]
    k = mp.draw_parameters(post, draws, 20240101)

    def once():
        return mp.run_ensemble(scenarios, k, 1, 20240101, years=YEARS, population=population,
                               workers=2, config=config)

    once()  # warm: imports, caches, the fork pool's first start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, cpu = _best(once, 2)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers_cpu = (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime) / 2
    # CPU of the parent (best call) and of the workers (mean of the two timed calls)
    return {"seconds": wall, "cpu_seconds": cpu + workers_cpu, "draws": draws,
            "replications": 1, "population": population,
            "scenarios": [sc.name for sc in scenarios], "workers": 2, "posterior": source}


def advise_process(quick: bool) -> dict[str, Any]:
    """``egovsim advise scenarios/jember.toml --year 2029 [--quick]`` as a whole process."""
    egovsim = Path(sys.executable).parent / "egovsim"
    with tempfile.TemporaryDirectory() as tmp:
        args = [str(egovsim), "advise", str(SCENARIOS["jember"]), "--year", "2029",
                "--workers", "2", "--out", tmp, *(["--quick"] if quick else [])]
        r = whole_process(args)
    return {"seconds": r["seconds"], "cpu_seconds": r["cpu_seconds"],
            "peak_mib": r["peak_mib"], "quick": quick,
            "report": r["stderr"].strip().splitlines()[-1]}


def decisions(jember, *, runs: int, advise_default: bool, show) -> dict[str, Any]:
    """The four decision figures (``advise_seconds`` None unless ``advise_default``)."""
    small = small_runs(jember, runs)
    show(f"batch of {small['runs']} x 5,000-citizen runs, one core",
         f"{small['citizen_steps_per_s'] / 1e6:6.1f} M/s  ({small['seconds']:.2f} s; one "
         f"after another {small['sequential_citizen_steps_per_s'] / 1e6:.1f} M/s; one run of "
         f"{small['one_large_run_citizens']:,} citizens "
         f"{small['one_large_run_citizen_steps_per_s'] / 1e6:.1f} M/s)")
    pw = posterior_whatif()
    show(f"posterior what-if ({pw['draws']} draws, 2 scenarios, warm)", f"{pw['seconds']:6.2f} s")
    quick = advise_process(quick=True)
    show("egovsim advise --quick (Jember, 2029)", f"{quick['seconds']:6.1f} s")
    full = advise_process(quick=False) if advise_default else None
    if full:
        show("egovsim advise (Jember, 2029)", f"{full['seconds']:6.1f} s")
    return {"small_run_citizen_steps_per_s_5k": small["citizen_steps_per_s"],
            "posterior_whatif_seconds": pw["seconds"],
            "advise_quick_seconds": quick["seconds"],
            "advise_seconds": full["seconds"] if full else None,
            "details": {"small_runs": small, "posterior_whatif": pw, "advise_quick": quick,
                        "advise": full}}


# --- where the time goes --------------------------------------------------------------------
PHASES = {
    "year start (budget, staff turnover, literacy)": ("model", "_start_year"),
    "events": ("model", "_apply_event"),
    "government invests": ("government", "invest"),
    "staff develop": ("staff", "develop"),
    "month context": ("model", "_context"),
    "literacy courses": ("citizens", "take_courses"),
    "citizens choose channels": ("citizens", "choose_channels"),
    "units settle queues": ("model", "_settle"),
    "a civil servant per request": ("staff", "serving"),
    "citizens complete requests": ("citizens", "complete_requests"),
    "units learn, tallies": ("model", "_learn"),
    "data collection": ("datacollector", "collect"),
    "assessment (December)": ("model", "_assess"),
}


def phase_profile(scenario, population: int) -> dict[str, Any]:
    """Seconds per phase of one run (wrapping each phase's method on the instance)."""
    t0 = time.perf_counter()
    m = EGovModel(scenario, population=population, start_year=YEARS[0], end_year=YEARS[1],
                  rng=1)
    build = time.perf_counter() - t0
    spent = dict.fromkeys(PHASES, 0.0)
    owners = {"model": m, "government": m.government, "staff": m.staff,
              "citizens": m.citizens, "datacollector": m.datacollector}
    for phase, (owner, name) in PHASES.items():
        obj = owners[owner]
        inner = getattr(obj, name)

        def timed(*a, _inner=inner, _phase=phase, **k):
            s = time.perf_counter()
            try:
                return _inner(*a, **k)
            finally:
                spent[_phase] += time.perf_counter() - s
        setattr(obj, name, timed)
    t1 = time.perf_counter()
    while m.running:
        m.step()
    total = time.perf_counter() - t1
    spent["other (step loop, Mesa)"] = total - sum(spent.values())
    return {"population": population, "build_seconds": build, "step_seconds": total,
            "phases": spent}


def scaling(scenario) -> dict[str, Any]:
    """Run time against population, horizon (years) and replications."""
    pop = {n: _best(lambda n=n: model.run(scenario, 1, years=YEARS, population=n), 2)[0]
           for n in (3_000, 30_000, 300_000)}
    horizon = {f"{YEARS[0]}-{last}": _best(lambda last=last: model.run(
        scenario, 1, years=(YEARS[0], last), population=100_000), 2)[0]
        for last in (2020, 2030, 2042)}
    tasks = [Task(scenario, r, s, YEARS, 20_000)
             for r, s in enumerate(replication_seeds(3, 8))]
    reps = {n: _best(lambda n=n: map_runs(_do, tasks[:n], workers=1), 1)[0] for n in (1, 2, 4, 8)}
    return {"seconds_by_population": pop, "seconds_by_horizon_1e5": horizon,
            "seconds_by_replications_2e4_serial": reps}


# --- report ---------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "numpy": np.__version__, "load_average_at_start": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="results/bench", help="output folder")
    p.add_argument("--reference-years", type=int, default=YEARS[1] - YEARS[0] + 1,
                   help="years the per-agent reference runs at 1e5 (fewer: extrapolated)")
    p.add_argument("--memory-last-year", type=int, default=2050,
                   help="last year of the memory-flatness run (1e6 citizens from 2018)")
    p.add_argument("--quick", action="store_true",
                   help="smaller, faster settings for a smoke test (numbers not comparable)")
    p.add_argument("--decisions-only", action="store_true",
                   help="only the ensemble and advice figures, added to an existing bench.json")
    p.add_argument("--advise-default", action="store_true",
                   help="with --decisions-only: also time the default advise (up to 10 min)")
    args = p.parse_args(argv)
    out = Path(args.out)
    quick = args.quick
    started = time.perf_counter()
    jember = model.load_scenario(SCENARIOS["jember"])
    info = machine()
    rows: list[tuple[str, str]] = []

    def show(label: str, value: str) -> None:
        rows.append((label, value))
        print(f"{label:<48} {value}", flush=True)

    print(f"egovsim bench on {info['cpu']} ({info['cores']} cores), load "
          f"{info['load_average_at_start'][0]:.1f}", flush=True)
    model.run(jember, 0, years=(2018, 2018), population=1_000)  # warm imports and caches
    if args.decisions_only:
        dec = decisions(jember, runs=10 if quick else 20, advise_default=args.advise_default,
                        show=show)
        path = out / "bench.json"
        result = json.loads(path.read_text()) if path.is_file() else {}
        details = {**result.get("details", {}), "decisions": dec.pop("details")}
        result.update({**dec, "details": details,
                       "decisions_machine": {**info, "load_average_at_end": os.getloadavg()},
                       "decisions_code": code_version()})
        write_json(path, result)
        print(f"\nwrote {path}")
        return 0
    tp = {n: throughput(jember, n, r) for n, r in
          ((10_000, 5), (100_000, 7), (1_000_000, 1 if quick else 2))}
    ref = reference_throughput(jember, 100_000, 1 if quick else args.reference_years)
    # The array model again right after the reference, so both see the same machine load.
    again = throughput(jember, 100_000, 5)
    if again["seconds"] < tp[100_000]["seconds"]:
        tp[100_000] = again
    ratio = ref["seconds"] / tp[100_000]["seconds"]
    ratio_cpu = ref["cpu_seconds"] / tp[100_000]["cpu_seconds"]
    for n, t in tp.items():
        show(f"citizen-steps/s at {n:.0e} (2018-2030)",
             f"{t['citizen_steps_per_s'] / 1e6:6.1f} M/s  ({t['seconds']:.2f} s per run)")
    extrapolated = f", extrapolated from {ref['years_run']} year(s)" if ref["extrapolated"] else ""
    show("per-agent Mesa reference at 1e5",
         f"{ref['citizen_steps_per_s'] / 1e6:6.2f} M/s  ({ref['seconds']:.1f} s{extrapolated})")
    show("array model / reference at 1e5", f"{ratio:6.1f} x  ({ratio_cpu:.1f} x in CPU time)")
    m = EGovModel(jember, population=100_000, rng=1)
    bytes_per_citizen = m.citizens.nbytes / m.citizens.n
    show("state per citizen", f"{bytes_per_citizen:6.1f} bytes")
    del m
    regions = {r: full_region(r) for r in SCENARIOS}
    for r, v in regions.items():
        show(f"{r} full population ({v['residents']:,}) as a process",
             f"{v['seconds']:6.1f} s, peak {v['peak_mib']:.0f} MiB")
    sw = sweep(jember, 8 if quick else 20, 10_000)
    show(f"sweep of {sw['runs']} x 1e4 runs, 2 workers vs 1", f"{sw['speedup']:6.2f} x")
    wi = whatif_latency(jember)
    show("app what-if answer (baseline cached / cold)",
         f"{wi['seconds']:6.2f} s / {wi['seconds_cold']:.2f} s")
    mem = memory_probe(200_000 if quick else 1_000_000, 2030 if quick else args.memory_last_year)
    show(f"memory over {mem['years'][0]}-{mem['years'][1]} at {mem['population']:.0e}",
         f"{mem['first_mib']:.0f} -> {mem['last_mib']:.0f} MiB "
         f"({mem['slope_mib_per_year']:+.2f} MiB/year)")
    prof = phase_profile(jember, 100_000 if quick else 1_000_000)
    print(f"\nwhere the time goes at {prof['population']:.0e} citizens "
          f"(build {prof['build_seconds']:.2f} s, steps {prof['step_seconds']:.2f} s):")
    for phase, s in prof["phases"].items():
        print(f"  {phase:<46} {s:6.2f} s  {100 * s / prof['step_seconds']:5.1f} %")
    dec = decisions(jember, runs=10 if quick else 20, advise_default=not quick, show=show)
    sc = scaling(jember) if not quick else None
    if sc:
        print("\nscaling (seconds per run):")
        for key, table in sc.items():
            print(f"  {key}: " + ", ".join(f"{k}: {v:.2f}" for k, v in table.items()))
    result = {
        "citizen_steps_per_s_1e4": tp[10_000]["citizen_steps_per_s"],
        "citizen_steps_per_s_1e5": tp[100_000]["citizen_steps_per_s"],
        "citizen_steps_per_s_1e6": tp[1_000_000]["citizen_steps_per_s"],
        **{f"citizen_steps_per_cpu_s_{e}": tp[n]["population"] * MONTHS / tp[n]["cpu_seconds"]
           for e, n in (("1e4", 10_000), ("1e5", 100_000), ("1e6", 1_000_000))},
        "reference_citizen_steps_per_s_1e5": ref["citizen_steps_per_s"],
        "ratio_vs_agent_reference_1e5": ratio,
        "ratio_vs_agent_reference_1e5_cpu": ratio_cpu,
        "bytes_per_citizen": bytes_per_citizen,
        "full_region_seconds": {r: v["seconds"] for r, v in regions.items()},
        "full_region_peak_mib": {r: v["peak_mib"] for r, v in regions.items()},
        "full_region_cpu_seconds": {r: v["cpu_seconds"] for r, v in regions.items()},
        "sweep_speedup_2_workers": sw["speedup"],
        "whatif_latency_s": wi["seconds"],
        "whatif_latency_cold_s": wi["seconds_cold"],
        "whatif_note": wi["note"],
        "memory_flat": {k: v for k, v in mem.items()},
        **{k: v for k, v in dec.items() if k != "details"},
        "details": {"throughput": {str(k): v for k, v in tp.items()}, "reference": ref,
                    "full_region": regions, "sweep": sw, "whatif": wi, "phases": prof,
                    "scaling": sc, "decisions": dec["details"]},
        "notes": {
            "citizen_steps": "simulated citizens x simulated months / wall seconds of one "
                             "model.run 2018-2030 (build, steps, yearly table); best of repeats",
            "reference": "per-agent Mesa model (model.reference), same scenario and "
                         "population" + (", stepping time extrapolated from a shorter run"
                                         if ref["extrapolated"] else ", full horizon"),
            "full_region": "egovsim run <region> --population full --replications 1 as a child "
                           "process: wall seconds and its peak resident set (os.wait4)",
            "cpu": "*_cpu_* keys divide by CPU seconds instead of wall seconds: on a shared "
                   "machine (see machine.load_average_*) they estimate an idle machine's rate",
            "quick": quick,
        },
        "machine": {**info, "load_average_at_end": os.getloadavg()},
        "code": code_version(),
        "bench_seconds": time.perf_counter() - started,
    }
    write_json(out / "bench.json", result)
    print(f"\nbench took {result['bench_seconds']:.0f} s; wrote {out / 'bench.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
