"""Priors as pyabc distributions: independent uniform or log-uniform marginals, truncated to
component splits that leave room for the components not estimated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyabc

from model.calibration.config import MIN_FREE_SHARE, CalibrationConfig, Hypothesis, ParameterSpec
from model.calibration.simulate import hypothesis_of
from model.shares import SUM_TOLERANCE


def from_unit(spec: ParameterSpec, u: np.ndarray) -> np.ndarray:
    """Values of ``spec``'s marginal at quantiles ``u`` in [0, 1) (inverse CDF)."""
    if spec.prior == "loguniform":
        return spec.lo * (spec.hi / spec.lo) ** u
    return spec.lo + (spec.hi - spec.lo) * u


def marginal_density(spec: ParameterSpec, v: float) -> float:
    """``spec``'s marginal density at ``v`` (0 outside its bounds)."""
    if not spec.lo <= v <= spec.hi:
        return 0.0
    return 1.0 / (v * np.log(spec.hi / spec.lo) if spec.prior == "loguniform"
                  else spec.hi - spec.lo)


def rv(spec: ParameterSpec) -> pyabc.RV:
    """The marginal prior of one parameter."""
    if spec.prior == "loguniform":
        return pyabc.RV("loguniform", spec.lo, spec.hi)
    return pyabc.RV("uniform", spec.lo, spec.hi - spec.lo)


def _split_groups(names: list[str]) -> list[list[str]]:
    """Parameter names grouped by the split they belong to (by name: ``<region>.shares.<c>`` or
    ``<region>.policy.<i>.shares.<c>``).
    """
    groups: dict[str, list[str]] = {}
    for n in names:
        parts = n.split(".")
        if len(parts) >= 3 and parts[-2] == "shares":
            groups.setdefault(".".join(parts[:-1]), []).append(n)
    return list(groups.values())


class SplitPrior(pyabc.Distribution):
    """Independent marginals, with zero density where an estimated split sums above
    ``1 - MIN_FREE_SHARE`` (the prior is the product of marginals truncated to that region).

    Draws come from pyabc's marginals; the density and the support test are computed here in
    closed form (uniform ``1/(hi-lo)``, log-uniform ``1/(x ln(hi/lo))``), since ABC-SMC asks
    for them for every proposal and scipy's per-call overhead would dominate a run.
    """

    def __init__(self, specs: dict[str, ParameterSpec]) -> None:
        super().__init__(**{name: rv(spec) for name, spec in specs.items()})
        self.specs = dict(specs)
        self.groups = _split_groups(list(specs))

    def __reduce__(self):  # pyabc.Distribution's pickling would lose ``specs``
        return (type(self), (self.specs,))

    def copy(self) -> SplitPrior:  # noqa: D102
        return type(self)(self.specs)

    def _ok(self, x) -> bool:
        names = list(self.specs)
        return bool(self.inside(np.array([[float(x[n]) for n in names]]), names)[0])

    def rvs(self, *args, **kwargs) -> pyabc.Parameter:
        """A draw from the truncated prior (rejection)."""
        for _ in range(10_000):
            x = super().rvs(*args, **kwargs)
            if self._ok(x):
                return x
        raise RuntimeError("the share priors leave almost no feasible split")

    def pdf(self, x) -> float:
        """Density (unnormalised by the truncation constant, which cancels in ABC-SMC)."""
        if not self._ok(x):
            return 0.0
        density = 1.0
        for name, spec in self.specs.items():
            density *= marginal_density(spec, float(x[name]))
        return density

    def variances(self, names: list[str]) -> np.ndarray:
        """Each marginal's variance (uniform ``(hi-lo)^2/12``; log-uniform in closed form)."""
        out = []
        for n in names:
            p = self.specs[n]
            if p.prior == "loguniform":
                log = np.log(p.hi / p.lo)
                mean = (p.hi - p.lo) / log
                out.append((p.hi ** 2 - p.lo ** 2) / (2.0 * log) - mean ** 2)
            else:
                out.append((p.hi - p.lo) ** 2 / 12.0)
        return np.array(out)

    def inside(self, values: np.ndarray, names: list[str]) -> np.ndarray:
        """Which rows of ``values`` (columns ``names``) have positive prior density."""
        col = {n: i for i, n in enumerate(names)}
        lo = np.array([self.specs[n].lo for n in names])
        hi = np.array([self.specs[n].hi for n in names])
        ok = np.all((values >= lo) & (values <= hi), axis=1)
        for g in self.groups:
            ok &= values[:, [col[n] for n in g]].sum(axis=1) <= 1.0 - MIN_FREE_SHARE + SUM_TOLERANCE
        return ok


def make_prior(config: CalibrationConfig,
               hypothesis: Hypothesis | str | None = None) -> SplitPrior:
    """The joint prior of one hypothesis' estimated parameters (None: the file's first).

    Parameter names with dots are fine for pyabc; split grouping reads the ``name`` so a
    regional share must keep its default name (``region.key``).
    """
    return SplitPrior({p.name: p for p in config.estimated(hypothesis_of(config, hypothesis))})


def prior_sample(config: CalibrationConfig, n: int, seed: int,
                 hypothesis: Hypothesis | str | None = None) -> pd.DataFrame:
    """``n`` draws from one hypothesis' truncated prior (None: the file's first)."""
    rng = np.random.default_rng(seed)
    cols = {}
    for p in config.estimated(hypothesis_of(config, hypothesis)):
        cols[p.name] = from_unit(p, rng.random(4 * n))
    df = pd.DataFrame(cols)
    ok = np.ones(len(df), dtype=bool)
    for g in _split_groups(list(df.columns)):
        ok &= df[g].sum(axis=1).to_numpy() <= 1.0 - MIN_FREE_SHARE + SUM_TOLERANCE
    return df[ok].head(n).reset_index(drop=True)
