"""Stand-ins for the model in experiment tests: top-level so process pools can ship them."""

from __future__ import annotations

import numpy as np
import pandas as pd

ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1
NOISE_SD = 0.5


def ishigami(x1: np.ndarray, x2: np.ndarray, x3: np.ndarray) -> np.ndarray:
    """The Ishigami function (a = 7, b = 0.1)."""
    return np.sin(x1) + ISHIGAMI_A * np.sin(x2) ** 2 + ISHIGAMI_B * x3 ** 4 * np.sin(x1)


def ishigami_run(task) -> pd.DataFrame:
    """Ishigami of the factor values plus seeded Gaussian noise of sd NOISE_SD, in year 2030."""
    f = dict(task.factors)
    noise = np.random.default_rng(task.seed).normal(0.0, NOISE_SD)
    return pd.DataFrame({"year": [2030], "y": [float(ishigami(f["x1"], f["x2"], f["x3"]))
                                              + noise]})


def linear_run(task) -> pd.DataFrame:
    """y = 2 a - 3 b + 0 c (no noise): Morris mu* is known exactly."""
    f = dict(task.factors)
    return pd.DataFrame({"year": [2030], "y": [2.0 * f["a"] - 3.0 * f["b"] + 0.0 * f["c"]]})


def flaky_run(task) -> pd.DataFrame:
    """Raises at design point 1; otherwise one row (the last year) with the seed as IPP."""
    if task.point == 1:
        raise RuntimeError("deliberate failure at point 1")
    return pd.DataFrame({"year": [task.years[1]], "ipp": [float(task.seed % 1000)]})
