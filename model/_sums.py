"""Sums by group of several weight columns at once, bit-identical to one bincount per column."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

FUSE_MAX_ELEMENTS = 1 << 15
"""Largest rows x columns summed in one fused bincount. Above it (many requests a month) the
fused call's temporaries cost more than the calls it saves, and a bincount per column is used."""


def sums_by(index: np.ndarray, columns: Iterable[np.ndarray | None], n_columns: int,
            n_bins: int) -> np.ndarray:
    """``out[b, j] = np.bincount(index, weights=columns[j], minlength=n_bins)[b]``.

    ``columns`` may be a generator (the ``n_columns`` columns are then made one at a time and
    freed as they are summed, as a loop of bincounts would).
    A column of None counts the rows (weight 1). When the month is small, all columns go
    through one bincount over (row, column) pairs: each bin still adds the same values in the
    same (row) order, so the sums are bit-identical to a bincount per column, for one call
    instead of many (the per-call overhead dominates small runs).
    """
    k, c = len(index), n_columns
    if k * c <= FUSE_MAX_ELEMENTS:
        w = np.empty((k, c))
        for j, col in enumerate(columns):
            w[:, j] = 1.0 if col is None else col
        bins = (np.asarray(index, dtype=np.intp) * c)[:, None] + np.arange(c)
        return np.bincount(bins.ravel(), weights=w.ravel(),
                           minlength=n_bins * c).reshape(n_bins, c)
    out = np.empty((n_bins, c))
    for j, col in enumerate(columns):
        out[:, j] = np.bincount(index, weights=col, minlength=n_bins)
    return out
