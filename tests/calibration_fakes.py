"""Shared pieces of the calibration tests: small calibration files and a stand-in simulator
with a known answer (cheap enough for an ABC run in a test)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.calibration.simulate import hypothesis_of

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "scenarios"

_COMMON_SETTINGS = """population = 300
years = [2020, 2023]
max_walltime_minutes = 2.0
predictive_draws = 4
predictive_years = [2020, 2024]
point_replications = 2
point_population = 300
repeats = 1
min_effective_sample_size = 0
"""

_REGIONS = f"""
[regions]
jember = "{SCEN / 'jember.toml'}"
kediri = "{SCEN / 'kediri.toml'}"
"""

IKM_FLOOR = """
[[parameter]]
key = "behaviour.ikm_expectation"
prior = "uniform"
lo = 0.0
hi = 0.4
reason = "IKM floor"
"""


def ipp_factor(reason: str) -> str:
    """The residual IPP leniency as an estimated parameter (uniform 0.9-1.3)."""
    return f"""
[[parameter]]
key = "behaviour.ipp_leniency_from_2022"
prior = "uniform"
lo = 0.9
hi = 1.3
reason = "{reason}"
"""


JEMBER_SPLIT = """
[[parameter]]
region = "jember"
key = "policy.0.shares.interface"
prior = "uniform"
lo = 0.1
hi = 0.5
reason = "split"
"""

KEDIRI_STOCK = """
[[parameter]]
region = "kediri"
key = "initial.regulation"
prior = "uniform"
lo = 0.2
hi = 0.8
reason = "stock"
"""


def calibration_text(settings: str, *blocks: str) -> str:
    """A calibration file: ``settings`` (lines of the seed and budget) plus the shared settings,
    both regions, then ``blocks`` (parameters, hypotheses) in order.
    """
    return "\n[settings]\n" + settings + _COMMON_SETTINGS + _REGIONS + "".join(blocks)


TINY = calibration_text(
    "seed = 7\npopulation_size = 8\nmax_generations = 2\nde_maxiter = 1\nde_popsize = 2\n",
    IKM_FLOOR, ipp_factor("IPP method factor"), JEMBER_SPLIT, KEDIRI_STOCK)
"""The pipeline tests' file: one structure, four parameters (a split and a regional stock);
no final generations (``min_effective_sample_size = 0``) unless a test sets them."""

TWO = calibration_text(
    "seed = 11\npopulation_size = 60\nmax_generations = 4\n",
    IKM_FLOOR, ipp_factor("IPP method factor (stand-in for the residual leniency of 29/2022)"),
    KEDIRI_STOCK, """
[[hypothesis]]
name = "lenient"
reasoning = "the IPP method factor acts"

[[hypothesis]]
name = "neutral"
reasoning = "the same service scores the same in every round"
fixed = { "behaviour.ipp_leniency_from_2022" = 1.0 }
fixed_reason = "a method factor of 1 is no method effect"
""")
"""The model-selection tests' file: two structures, one fixing the IPP method factor."""


class StandIn:
    """IKM = 3 + ikm_expectation (with a little noise), IPP = 3 * ipp_leniency_from_2022 (its
    fixed value in a hypothesis that fixes it): a simulator whose posterior is known.

    ``fail_after`` (set on the class) raises KeyboardInterrupt after that many calls: a kill in
    the middle of a generation.
    """

    calls = 0
    fail_after: int | None = None

    def __init__(self, config, hypothesis=None) -> None:
        self.rng = np.random.default_rng(0)
        self.fixed = hypothesis_of(config, hypothesis).fixed

    def __call__(self, theta):
        type(self).calls += 1
        if self.fail_after is not None and type(self).calls > self.fail_after:
            raise KeyboardInterrupt
        factor = theta.get("ipp_leniency_from_2022",
                           self.fixed.get("behaviour.ipp_leniency_from_2022"))
        s = {}
        for y in range(2018, 2024):
            s[f"kediri.ikm.{y}"] = 3.0 + theta["ikm_expectation"] + self.rng.normal(0, 0.005)
            s[f"jember.ipp.{y}"] = 3.0 * factor
        return s
