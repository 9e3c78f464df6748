"""Sums by group of several columns: both paths equal a bincount per column, bit for bit."""

import numpy as np
import pytest

from model import _sums


@pytest.mark.parametrize("rows", [50, 10_000])  # 50 x 6 fused; 10,000 x 6 above the fuse limit
def test_sums_by_equals_one_bincount_per_column_exactly(rows):
    rng = np.random.default_rng(4)
    index = rng.integers(0, 4, rows)
    cols = [rng.random(rows) for _ in range(5)] + [None]  # None counts the rows
    got = _sums.sums_by(index, iter(cols), len(cols), 4)
    want = np.column_stack([np.bincount(index, weights=c, minlength=4) for c in cols])
    assert (rows * len(cols) <= _sums.FUSE_MAX_ELEMENTS) == (rows == 50)
    assert np.array_equal(got, want)
