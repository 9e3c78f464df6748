"""The figures ``egovsim run`` writes beside its tables: one PNG per index, drawn by
:func:`model.present.plots.index_figure` (the same chart as the report's and the app's).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from model.io import atomic_write
from model.present.marks import observation_points
from model.present.numbers import band_table
from model.present.plots import index_figure as draw_index
from model.present.plots import png_bytes

__all__ = ["INDEX_LABELS", "band_table", "index_figure"]

INDEX_LABELS = {"spbe": "SPBE index (1-5)", "ipp": "IPP (1-5)", "ikm": "IKM (1-4)"}


def index_figure(annual: pd.DataFrame, observed: pd.DataFrame, index: str, path: str | Path,
                 lang: str = "en") -> None:
    """One index over the years for every scenario in ``annual``, written as PNG to ``path``.

    ``observed`` is :func:`model.observed.observed_indices` (placed as the calibration reads
    them) or already :func:`model.present.marks.observation_points`.
    """
    points = observed if "year_read" in observed.columns else observation_points(observed)
    names = list(dict.fromkeys(annual["scenario"].astype(str)))
    fig = draw_index(annual, points, index, [(n, n) for n in names], lang)
    data = png_bytes(fig)
    atomic_write(path, lambda p: p.write_bytes(data))
