"""Observed figures (``data/observed.csv``), each with its source and confidence."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

OBSERVED_CSV = Path(__file__).resolve().parent.parent / "data" / "observed.csv"

INDEX_INDICATORS = {"SPBE_index": "spbe", "SPBE_index_as_reported": "spbe",
                    "IPP_index": "ipp", "IKM": "ikm"}
"""Observed indicators that the simulated indices are compared with."""


def load_observed(path: str | Path = OBSERVED_CSV) -> pd.DataFrame:
    """The whole observed table."""
    return pd.read_csv(path)


def observed_indices(path: str | Path = OBSERVED_CSV) -> pd.DataFrame:
    """Observed SPBE, IPP and IKM values: region, year, index, value, confidence, indicator.

    ``SPBE_index_as_reported`` rows are Kediri's values whose year label may be the publication
    year (DOMAIN.md); they are kept with ``year_uncertain = True``.
    """
    df = load_observed(path)
    df = df[df["indicator"].isin(INDEX_INDICATORS)].copy()
    df["index"] = df["indicator"].map(INDEX_INDICATORS)
    df["value"] = df["value"].astype(float)
    df["year"] = df["year"].astype(int)
    df["year_uncertain"] = df["indicator"].eq("SPBE_index_as_reported")
    return df[["region", "year", "index", "value", "confidence", "indicator", "year_uncertain",
               "source_url"]].reset_index(drop=True)
