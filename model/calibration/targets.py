"""What the calibration fits: observed index points, their tolerances, the distance, and the
study's three pattern facts (computed on simulated outputs, never part of the distance).

Summary statistics are a flat mapping ``"<region>.<index>.<year>" -> value`` (``region`` is the
calibration's region name, e.g. ``jember``), made by :func:`model.calibration.simulate.stats`.

Tolerances. Each observed point gets ``sigma = sqrt(s_conf^2 + s_round^2)``: ``s_conf`` from the
source's confidence (high 0.05, medium 0.10, low 0.20 index points: misquotes, rounding in the
press, revisions) and ``s_round`` the sd of a rounding error, ``0.5 * 10^-decimals / sqrt(3)``
(Kediri's 2023 SPBE "3.6" is rounded to one decimal). National SPBE means enter as a loose
reference: the mean of the regions' simulated SPBE against the national mean, sigma 0.5.

Uncertain year labels. Kediri's 2.61 ("2019") and 3.49 ("2020") may carry the publication year
(DOMAIN.md): either both labels are the assessment years (2019, 2020) or both are publication
years of the 2018 and 2019 rounds. The two readings are scored jointly and the distance takes
the closer one (a two-component mixture in the limit of small tolerance); the fit table reports
which reading the posterior draws prefer.

Shared level. A series measured by one instrument whose method did not change over the
fitted years (Kediri's IKM, 2020-2023, PermenPAN-RB 14/2017 throughout) shares the part of its
error that comes from the instrument's level: the errors of its points are correlated. Each
point keeps its tolerance ``sigma``; of it, a year-to-year part ``SHARED_LEVEL[index]`` is
independent and the rest, ``sqrt(sigma^2 - year_sd^2)``, is common to all years. Such a series
enters the distance as its Mahalanobis terms (the errors whitened by the Cholesky factor of
that covariance): a common shift costs about as much as one point's error, while a trend the
observations do not show costs as much as the year-to-year tolerance says. IPP and SPBE cross
method changes inside the fitted years (the IPP's 2022 forms with their user survey, the
SPBE's 2021 method), so their points keep independent errors.

Distance: the root mean square of the standardised (for a shared-level series: whitened)
errors over all terms (the uncertain pair counts as two terms).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.observed import load_observed, observed_indices

CONFIDENCE_SD = {"high": 0.05, "medium": 0.10, "low": 0.20}
NATIONAL_SD = 0.5
SHARED_LEVEL = {"ikm": 0.02}
"""Year-to-year sd of a series with a shared level, by index. Assumption: Kediri's IKM moved by
0.01-0.02 a year (3.49, 3.51, 3.52, 3.54); the survey's sampling error is about 0.005 (about
10,000 respondents, answers on 1-4 with sd about 0.5) and a changing mix of the 72 surveyed
units adds to it, so 0.02 a year; the level of the series is what the 0.05 of a
high-confidence source mostly stands for."""
NATIONAL_INDICATOR = "SPBE_index_national"
PATTERNS = {
    "kediri_spbe_above_jember": "Kediri's SPBE exceeds Jember's by at least 1.0 in 2022",
    "jember_ipp_rises_spbe_low": "Jember's IPP rises by at least 0.8 from 2021 to 2023 while its "
                                 "SPBE stays below 2.6 (Cukup or lower) in 2021-2023",
    "kediri_ikm_flat_spbe_rises": "Kediri's IKM stays within 0.1 over 2020-2023 while its SPBE "
                                  "rises by at least 0.3 (2021 to 2023)",
}


@dataclass(frozen=True)
class Target:
    """One observed point (or the national reference) the distance compares with."""

    region: str  # calibration region name, or "national"
    index: str
    year: int
    value: float
    sigma: float
    confidence: str
    decimals: int
    uncertain: bool = False

    @property
    def label(self) -> str:
        """``region.index.year`` of the observation as labelled."""
        return f"{self.region}.{self.index}.{self.year}"

    def candidate_years(self) -> tuple[int, ...]:
        """Years this value may belong to: as labelled, or (if uncertain) one year earlier."""
        return (self.year, self.year - 1) if self.uncertain else (self.year,)


def decimals_of(text: str) -> int:
    """Decimals written in a reported number (``"3.6"`` -> 1, ``"3.06"`` -> 2)."""
    text = str(text).strip()
    return len(text.split(".", 1)[1]) if "." in text else 0


def sigma_for(confidence: str, decimals: int) -> float:
    """Tolerance of a reported value: its confidence and its rounding, in quadrature."""
    s_conf = CONFIDENCE_SD[confidence]
    s_round = 0.5 * 10.0 ** (-decimals) / math.sqrt(3.0)
    return math.sqrt(s_conf ** 2 + s_round ** 2)


def build_targets(regions: Mapping[str, str], years: tuple[int, int],
                  observed: pd.DataFrame | None = None,
                  raw: pd.DataFrame | None = None) -> list[Target]:
    """Targets for ``regions`` (calibration name -> observed region name) within ``years``.

    ``observed`` defaults to :func:`model.observed.observed_indices`; ``raw`` (for the written
    decimals and the national means) to :func:`model.observed.load_observed`.
    """
    observed = observed_indices() if observed is None else observed
    raw = load_observed() if raw is None else raw
    by_region = {v: k for k, v in regions.items()}
    text = {(r.region, int(r.year), r.indicator): str(r.value) for r in raw.itertuples()}
    out = []
    for r in observed.itertuples():
        name = by_region.get(r.region)
        if name is None:
            continue
        cand = (r.year, r.year - 1) if r.year_uncertain else (r.year,)
        if not all(years[0] <= y <= years[1] for y in cand):
            continue  # an uncertain point needs both readings simulated
        d = decimals_of(text.get((r.region, int(r.year), r.indicator), str(r.value)))
        out.append(Target(name, r.index, int(r.year), float(r.value),
                          sigma_for(r.confidence, d), r.confidence, d, bool(r.year_uncertain)))
    nat = raw[raw["indicator"] == NATIONAL_INDICATOR]
    for r in nat.itertuples():
        if years[0] <= int(r.year) <= years[1]:
            out.append(Target("national", "spbe", int(r.year), float(r.value), NATIONAL_SD,
                              r.confidence, decimals_of(r.value)))
    return out


def simulated(stats: Mapping[str, float], target: Target, year: int | None = None,
              regions: tuple[str, ...] = ()) -> float:
    """The simulated counterpart of ``target`` (for the national reference: the regions' mean)."""
    y = target.year if year is None else year
    if target.region == "national":
        return float(np.mean([stats[f"{r}.{target.index}.{y}"] for r in regions]))
    return float(stats[f"{target.region}.{target.index}.{y}"])


def uncertain_readings(targets: list[Target]) -> dict[str, list[Target]]:
    """Uncertain targets grouped by region (each group is read jointly)."""
    groups: dict[str, list[Target]] = {}
    for t in targets:
        if t.uncertain:
            groups.setdefault(t.region, []).append(t)
    return groups


def best_reading(stats: Mapping[str, float], group: list[Target]) -> tuple[int, float]:
    """(shift, sum of squared z) of the closer reading: shift 0 = labelled years, 1 = a year
    earlier (publication-year labels). Readings naming a year without a simulated value are
    skipped.
    """
    best = (0, math.inf)
    for shift in (0, 1):
        try:
            ss = sum(((simulated(stats, t, t.year - shift) - t.value) / t.sigma) ** 2
                     for t in group)
        except KeyError:
            continue
        if ss < best[1]:
            best = (shift, ss)
    return best


def shared_level_series(targets: list[Target]) -> list[list[Target]]:
    """Series (one region, one index, two or more exact points) whose errors share a level."""
    series: dict[tuple[str, str], list[Target]] = {}
    for t in targets:
        if not t.uncertain and t.region != "national" and t.index in SHARED_LEVEL:
            series.setdefault((t.region, t.index), []).append(t)
    return [sorted(g, key=lambda t: t.year) for g in series.values() if len(g) >= 2]


def series_cholesky(series: list[Target]) -> np.ndarray:
    """Cholesky factor of a shared-level series' error covariance: ``sigma_i^2`` on the
    diagonal, the common level's variance off it.
    """
    year_sd = SHARED_LEVEL[series[0].index]
    level = np.array([math.sqrt(max(t.sigma ** 2 - year_sd ** 2, 0.0)) for t in series])
    cov = np.outer(level, level) + np.diag([t.sigma ** 2 - lv ** 2
                                            for t, lv in zip(series, level, strict=True)])
    return np.linalg.cholesky(cov)


class Distance:
    """The calibration distance: RMS of standardised errors (see the module docstring).

    Callable as ``distance(x, x0)`` for pyabc; ``x0`` is ignored (the targets hold the data).
    """

    def __init__(self, targets: list[Target]) -> None:
        self.targets = list(targets)
        self.series = shared_level_series(self.targets)
        self.chol = [series_cholesky(g) for g in self.series]
        in_series = {t.label for g in self.series for t in g}
        self.exact = [t for t in self.targets if not t.uncertain and t.label not in in_series]
        self.groups = list(uncertain_readings(self.targets).values())
        self.regions = tuple(sorted({t.region for t in self.targets} - {"national"}))
        self.n_terms = len(self.targets)

    def terms(self, stats: Mapping[str, float]) -> dict[str, float]:
        """Squared standardised error per target (the uncertain pair: its best reading; a
        shared-level series: its whitened errors, in year order).
        """
        out = {t.label: ((simulated(stats, t, regions=self.regions) - t.value) / t.sigma) ** 2
               for t in self.exact}
        for g, chol in zip(self.series, self.chol, strict=True):
            err = np.array([simulated(stats, t) - t.value for t in g])
            z = np.linalg.solve(chol, err)
            out.update({t.label: float(zi ** 2) for t, zi in zip(g, z, strict=True)})
        for group in self.groups:
            shift, _ = best_reading(stats, group)
            for t in group:
                out[t.label] = ((simulated(stats, t, t.year - shift) - t.value) / t.sigma) ** 2
        return out

    def __call__(self, x: Mapping[str, float], x0: Mapping[str, float] | None = None) -> float:
        """The distance of simulated statistics ``x`` from the targets."""
        try:
            terms = self.terms(x)
        except KeyError:
            return math.inf
        total = sum(terms.values())
        return math.sqrt(total / self.n_terms) if math.isfinite(total) else math.inf

    def observed(self) -> dict[str, float]:
        """The observed values keyed by target label (pyabc's ``x0``)."""
        return {t.label: t.value for t in self.targets}


def pattern_facts(stats: Mapping[str, float]) -> dict[str, bool | None]:
    """The study's three pattern facts on simulated statistics (jember/kediri, 2020-2023);
    a fact whose years were not simulated is None.
    """
    s = stats
    out: dict[str, bool | None] = dict.fromkeys(PATTERNS)
    try:
        out["kediri_spbe_above_jember"] = s["kediri.spbe.2022"] - s["jember.spbe.2022"] >= 1.0
    except KeyError:
        pass
    try:
        spbe_j = [s[f"jember.spbe.{y}"] for y in (2021, 2022, 2023)]
        out["jember_ipp_rises_spbe_low"] = (s["jember.ipp.2023"] - s["jember.ipp.2021"] >= 0.8
                                            and max(spbe_j) < 2.6)
    except KeyError:
        pass
    try:
        ikm_k = [s[f"kediri.ikm.{y}"] for y in range(2020, 2024)]
        out["kediri_ikm_flat_spbe_rises"] = (
            max(ikm_k) - min(ikm_k) <= 0.1
            and s["kediri.spbe.2023"] - s["kediri.spbe.2021"] >= 0.3)
    except KeyError:
        pass
    return out


def synthetic_targets(targets: list[Target], stats: Mapping[str, float]) -> list[Target]:
    """The same targets (tolerances, readings) with values taken from simulated ``stats``:
    data simulated from known parameters, for parameter recovery. Uncertain points take the
    value of the year as labelled.
    """
    dist = Distance(targets)
    return [dataclasses.replace(t, value=simulated(stats, t, regions=dist.regions))
            for t in targets]
