"""Results on disk: a Parquet dataset written run by run, a manifest, failures, resuming.

The layout of an experiment folder ``DIR``::

    DIR/manifest.json         the experiment, design, resolved base scenario, code version, status
    DIR/design.csv            one row per design point: point, factor values
    DIR/runs.csv              one row per run: run_id, point, replication, seed
    DIR/annual/part-<run_id>.parquet   one file per finished run (one row per year)
    DIR/failures/<run_id>.json         one file per run that raised (error and traceback)
    DIR/outcomes.csv, outcomes.parquet one row per finished run: factor values and outcomes

Each part is written to a hidden temporary file and renamed into place, so a reader (or a
resumed sweep) never sees half a run; Parquet readers skip the hidden temporaries.
``pandas.read_parquet(DIR / "annual")`` loads every finished run. A run is finished exactly when
its part exists: ``--resume`` skips those and redoes everything else (runs in flight when the
sweep was killed, and runs that failed).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.errors import ScenarioError
from model.experiments.outcomes import compute_outcomes, outcome_columns
from model.experiments.spec import Experiment
from model.io import MARKER, atomic_write, code_version, write_json, write_table

FORMAT_VERSION = 1
ID_COLUMNS = ("run_id", "point", "replication", "seed")
_PART_PREFIX = "part-"


def fingerprint(exp: Experiment, design: pd.DataFrame, runs: pd.DataFrame) -> str:
    """A hash of what determines the numbers: experiment, resolved base scenario, design and
    every run's seed (so a folder begun under another seed scheme is never continued).
    """
    table = exp.to_table()
    for key in ("path", "base_path", "description"):
        table.pop(key, None)
    base = exp.base.to_table()
    base.pop("path", None)
    payload = json.dumps({"experiment": table, "base": base,
                          "design": design.round(12).to_dict(orient="split"),
                          "seeds": [int(x) for x in runs["seed"]]},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class ResultStore:
    """One experiment folder (see the module docstring)."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.annual = self.out / "annual"
        self.failures = self.out / "failures"
        self.manifest_path = self.out / "manifest.json"

    # --- opening, resuming --------------------------------------------------------------
    def done_ids(self) -> set[str]:
        """Run ids with a finished part on disk."""
        if not self.annual.is_dir():
            return set()
        return {p.name[len(_PART_PREFIX):-len(".parquet")]
                for p in self.annual.glob(f"{_PART_PREFIX}*.parquet")}

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, if the folder has one."""
        if not self.manifest_path.is_file():
            return None
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def check(self, fp: str, *, resume: bool) -> set[str]:
        """Check the folder can take this experiment; return the finished run ids.

        Without ``resume`` the folder must hold no results; with it, they must come from the
        same experiment (same fingerprint). Nothing is written here.
        """
        old = self.read_manifest()
        done = self.done_ids()
        if not resume:
            others = self.out.is_dir() and any(p.name != MARKER for p in self.out.iterdir())
            if old is not None or done or others:
                raise ScenarioError(str(self.out), None, "already holds results; pass --resume "
                                                         "to continue them, --overwrite to "
                                                         "replace them, or choose another --out")
            return set()
        if old is not None and old.get("fingerprint") != fp:
            raise ScenarioError(str(self.out), "manifest.json",
                                "holds a different experiment (experiment file, base scenario or "
                                "calibrated parameters changed); choose another --out folder")
        if old is None and done:
            raise ScenarioError(str(self.out), "manifest.json",
                                "missing beside finished runs; cannot tell what they are")
        return done

    def start(self, manifest: dict[str, Any], design: pd.DataFrame, runs: pd.DataFrame) -> None:
        """Write the manifest, design and run list (atomically) and make the folders."""
        self.annual.mkdir(parents=True, exist_ok=True)
        write_table(design, csv=self.out / "design.csv")
        write_table(runs, csv=self.out / "runs.csv")
        write_json(self.manifest_path, manifest)

    # --- writing runs -------------------------------------------------------------------
    def write_run(self, ids: dict[str, Any], factors: dict[str, float],
                  table: pd.DataFrame) -> None:
        """Write one finished run as its own part (atomically) and clear any old failure."""
        part = tidy_part(ids, factors, table)
        atomic_write(self.annual / f"{_PART_PREFIX}{ids['run_id']}.parquet",
                     lambda p: pq.write_table(part, p))
        (self.failures / f"{ids['run_id']}.json").unlink(missing_ok=True)

    def write_failure(self, ids: dict[str, Any], factors: dict[str, float], error: str,
                      trace: str) -> None:
        """Record a run that raised: its ids, factor values, error and traceback."""
        write_json(self.failures / f"{ids['run_id']}.json",
                   {**ids, "factors": factors, "error": error, "traceback": trace})

    def failed(self) -> pd.DataFrame:
        """The recorded failures: run_id, point, replication, seed, error."""
        rows = []
        if self.failures.is_dir():
            for p in sorted(self.failures.glob("*.json")):
                rec = json.loads(p.read_text(encoding="utf-8"))
                rows.append({k: rec[k] for k in (*ID_COLUMNS, "error")})
        return pd.DataFrame(rows, columns=[*ID_COLUMNS, "error"])

    # --- reading ------------------------------------------------------------------------
    def parts(self) -> list[Path]:
        """The finished runs' part files, in run order."""
        return sorted(self.annual.glob(f"{_PART_PREFIX}*.parquet"))

    def load_annual(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every finished run (ordered by run and year), read part by part.

        Reading file by file keeps memory to the data itself; a dataset scan of thousands of
        parts (``pandas.read_parquet(DIR / "annual")``) also holds every file's metadata.
        """
        tables = [pq.ParquetFile(p).read(columns=columns) for p in self.parts()]
        if not tables:
            return pd.DataFrame(columns=columns)
        df = pa.concat_tables(tables).combine_chunks().to_pandas()
        return df.sort_values(["run_id", "year"], kind="stable").reset_index(drop=True)

    def write_outcomes(self, exp: Experiment) -> pd.DataFrame:
        """Compute every finished run's outcomes and write ``outcomes.csv``/``.parquet``."""
        keys = [*ID_COLUMNS, *exp.factor_names]
        cols = [*keys, "year", *outcome_columns(exp.outcomes)]
        annual = self.load_annual(columns=cols)
        if annual.empty:
            out = pd.DataFrame(columns=[*keys, *(o.name for o in exp.outcomes)])
        else:
            out = compute_outcomes(annual, exp.outcomes, keys=tuple(keys))
        write_table(out, csv=self.out / "outcomes.csv", parquet=self.out / "outcomes.parquet")
        return out

    def finish(self, manifest: dict[str, Any], status: dict[str, Any]) -> None:
        """Rewrite the manifest with the final status and the failures table."""
        failed = self.failed()
        write_table(failed, csv=self.out / "failures.csv")
        write_json(self.manifest_path, {**manifest, "status": status})


def tidy_part(ids: dict[str, Any], factors: dict[str, float], table: pd.DataFrame) -> pa.Table:
    """A run's annual table with ``run_id, point, replication, seed`` and the factor values
    in front. Every part has the same schema: ``year`` and the ids are 64-bit integers, other
    whole-number outputs are stored as floats, labels as strings.
    """
    n = len(table)
    cols: dict[str, pa.Array] = {
        "run_id": pa.array([str(ids["run_id"])] * n, pa.string()),
        **{k: pa.array(np.full(n, ids[k], dtype=np.int64)) for k in ID_COLUMNS[1:]},
        **{k: pa.array(np.full(n, v, dtype=np.float64)) for k, v in factors.items()},
    }
    for col in table.columns:
        if col in cols:
            continue
        s = table[col]
        if col == "year":
            cols[col] = pa.array(s.to_numpy(dtype=np.int64))
        elif pd.api.types.is_bool_dtype(s):
            cols[col] = pa.array(s.to_numpy(dtype=bool))
        elif pd.api.types.is_numeric_dtype(s):
            cols[col] = pa.array(s.to_numpy(dtype=np.float64))
        else:
            cols[col] = pa.array([None if pd.isna(v) else str(v) for v in s], pa.string())
    return pa.table(cols)


def new_manifest(exp: Experiment, design: pd.DataFrame, fp: str, backend: str,
                 n_runs: int) -> dict[str, Any]:
    """What makes the folder reproducible: experiment, design, base scenario, code version."""
    return {
        "format_version": FORMAT_VERSION, "kind": "egovsim experiment",
        "fingerprint": fp, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "experiment": exp.to_table(), "base_scenario": exp.base.to_table(),
        "design": {"method": exp.design.method, "points": len(design),
                   "factors": exp.factor_names, "table": "design.csv"},
        "runs": {"total": n_runs, "table": "runs.csv",
                 "seeds": f"model.seeds.run_seed({exp.master_seed}, replication"
                          + (") (common random numbers)" if exp.seeds == "common"
                             else ", point)")},
        "results": {"annual": "annual/", "outcomes": "outcomes.csv", "failures": "failures/"},
        "backend": backend, "code": code_version(),
    }
