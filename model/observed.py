"""Observed figures (``data/observed.csv``), each with its source and confidence."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from model.io import data_path

OBSERVED_CSV = ("data", "observed.csv")
"""Where the observed table lies under the data root (:func:`model.io.data_root`)."""

INDEX_INDICATORS = {"SPBE_index": "spbe", "SPBE_index_as_reported": "spbe",
                    "IPP_index": "ipp", "IKM": "ikm"}
"""Observed indicators that the simulated indices are compared with."""


def load_observed(path: str | Path | None = None) -> pd.DataFrame:
    """The whole observed table (default ``data/observed.csv`` under the data root)."""
    return pd.read_csv(data_path(*OBSERVED_CSV) if path is None else path)


def observed_indices(path: str | Path | None = None) -> pd.DataFrame:
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
