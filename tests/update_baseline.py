"""Rewrite tests/baseline.json, the seeded regression baseline, and print what changed.

This script is the only thing that writes the baseline. Run it after a deliberate change to the
mechanics, the parameter values (``model/calibrated.toml``) or the region scenarios:

    .venv/bin/python tests/update_baseline.py           # rewrite, printing the changes
    .venv/bin/python tests/update_baseline.py --check   # compare only; exit 1 if different

``tests/test_baseline.py`` recomputes the same small fixed run on every test run and compares
it with the committed file within ``RTOL``/``ATOL``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BASELINE = Path(__file__).resolve().parent / "baseline.json"

CONFIG: dict[str, Any] = {
    "scenarios": ["scenarios/jember.toml", "scenarios/kediri.toml"],
    "seed": 20240101,
    "population": 2000,
    "years": [2018, 2023],
    "columns": ["spbe", "ipp", "ikm", "online_share", "wait_days", "stock_apps",
                "stock_competency", "stock_connectivity", "stock_regulation", "stock_interface",
                "stock_capital"],
}
RTOL = 1e-6
ATOL = 1e-9


def compute(config: dict[str, Any] = CONFIG) -> dict[str, Any]:
    """Run the baseline: each scenario once, with the fixed seed, population and years."""
    import model

    runs: dict[str, list[dict[str, float]]] = {}
    for rel in config["scenarios"]:
        sc = model.load_scenario(REPO / rel)
        df = model.run(sc, config["seed"], years=tuple(config["years"]),
                       population=config["population"])
        runs[sc.name] = [{"year": int(r["year"]), **{c: float(r[c]) for c in config["columns"]}}
                         for _, r in df.iterrows()]
    return {"config": config, "runs": runs}


def differences(old: dict[str, Any], new: dict[str, Any], rtol: float = RTOL,
                atol: float = ATOL) -> list[str]:
    """Human-readable lines for every value that moved beyond the tolerance."""
    out = []
    if old.get("config") != new.get("config"):
        out.append(f"config: {old.get('config')} -> {new.get('config')}")
    old_runs, new_runs = old.get("runs", {}), new.get("runs", {})
    for name in sorted(set(old_runs) | set(new_runs)):
        if name not in old_runs or name not in new_runs:
            out.append(f"{name}: {'added' if name in new_runs else 'removed'}")
            continue
        a = {r["year"]: r for r in old_runs[name]}
        b = {r["year"]: r for r in new_runs[name]}
        if sorted(a) != sorted(b):
            out.append(f"{name}: years {sorted(a)} -> {sorted(b)}")
            continue
        for year in sorted(a):
            for col in sorted((set(a[year]) | set(b[year])) - {"year"}):
                x, y = a[year].get(col), b[year].get(col)
                if x is None or y is None:
                    out.append(f"{name} {year} {col}: {x} -> {y}")
                elif not math.isclose(x, y, rel_tol=rtol, abs_tol=atol):
                    out.append(f"{name} {year} {col}: {x:.6g} -> {y:.6g} ({y - x:+.3g})")
    return out


def load() -> dict[str, Any]:
    """The committed baseline (empty if there is none yet)."""
    if not BASELINE.exists():
        return {}
    return json.loads(BASELINE.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Recompute; print the changes; write unless ``--check``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only, do not write")
    args = parser.parse_args(argv)
    old, new = load(), compute()
    changes = differences(old, new)
    if not changes:
        print(f"{BASELINE.relative_to(REPO)}: unchanged")
        return 0
    print(f"{len(changes)} change(s) against {BASELINE.relative_to(REPO)}:")
    for line in changes:
        print("  " + line)
    if args.check:
        return 1
    BASELINE.write_text(json.dumps(new, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {BASELINE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
