"""What each shipped what-if does, paired against its base: the state it targets and the indices.

    .venv/bin/python benchmarks/levers.py [--replications 10] [--year 2030] [--out DIR]

For each what-if file in ``scenarios/whatif/`` (and two hiring checks built here: no hiring
from 2025, and twice the routine hiring), runs it and its base with the same seeds
(replication r uses the same seed in both) and prints, for the comparison year, the paired
difference of the state the lever targets (mean, and the share of replications moving the
intended way) and of IPP, SPBE, IKM and the e-government budget. Writes ``levers.csv``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.runner import run_replications  # noqa: E402
from model.scenario import Policy, load_scenario  # noqa: E402

TARGETS = {
    "jember_staff_plan_2025": ("staff_headcount", +1),
    "jember_training_service_2025": ("staff_service_skill", +1),
    "jember_complaints_2025": ("answered_share", +1),
    "jember_digital_literacy_2025": ("online_share_q1", +1),
    "jember_rural_connectivity_2025": ("internet_access_rural", +1),
    "kediri_enforcement_2025": ("maladmin_rate", -1),
    "kediri_apps_to_training_2025": ("staff_digital_skill", +1),
    "jember_recruitment_2025": ("staff_headcount", +1),
    "jember_digital_push_2025": ("online_share", +1),
    "jember_no_hiring_2025": ("staff_headcount", -1),
    "jember_double_hiring_2025": ("staff_headcount", +1),
}
INDICES = ("ipp", "spbe", "ikm", "budget_egov_idr")


def hiring_checks() -> list:
    """Jember with no hiring from 2025, and with twice its routine hiring (same quality)."""
    base = load_scenario(ROOT / "scenarios" / "jember.toml")
    share = base.staff.hires_per_year_share
    out = []
    for name, value in (("jember_no_hiring_2025", 0.0), ("jember_double_hiring_2025",
                                                          2 * share)):
        policy = Policy(name=name, start_year=2025, hires_per_year_share=value)
        out.append((base, dataclasses.replace(base, name=name,
                                              policies=(*base.policies, policy))))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--replications", type=int, default=10)
    p.add_argument("--year", type=int, default=2030)
    p.add_argument("--population", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=20240101)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", type=Path, default=ROOT / "results" / "levers")
    args = p.parse_args(argv)
    pairs = []
    for path in sorted((ROOT / "scenarios" / "whatif").glob("*.toml")):
        whatif = load_scenario(path)
        pairs.append((load_scenario((path.parent / _base_of(path)).resolve()), whatif))
    pairs += hiring_checks()
    rows = []
    for base, whatif in pairs:
        annual = run_replications([base, whatif], args.replications, args.seed,
                                  years=(2018, args.year), population=args.population,
                                  workers=args.workers)
        year = annual[annual.year == args.year].set_index(["scenario", "replication"])
        target, sign = TARGETS[whatif.name]
        row = {"whatif": whatif.name, "target": target}
        for col in (target, *INDICES):
            d = year.loc[whatif.name, col] - year.loc[base.name, col]
            row[f"d_{col}" if col != target else "d_target"] = d.mean()
            if col == target:
                row["share_intended"] = float((sign * d > 0).mean())
        budget = annual.pivot_table(index=["replication", "year"], columns="scenario",
                                    values="budget_egov_idr")
        row["budget_equal_every_year"] = bool((budget[base.name] == budget[whatif.name]).all())
        rows.append(row)
        print(pd.DataFrame([row]).to_string(index=False, float_format="%.4g"), flush=True)
    table = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "levers.csv", index=False, float_format="%.6g")
    print(table.to_string(index=False, float_format="%.4g"))
    return 0


def _base_of(path: Path) -> str:
    import tomllib
    return tomllib.loads(path.read_text(encoding="utf-8"))["base"]


if __name__ == "__main__":
    raise SystemExit(main())
