"""Civil servants (ASN) in the service units, held column-wise: one row per civil servant.

Each simulated civil servant stands for ``weight`` real ones. Columns: unit, age, months of
tenure, digital skill, service skill, integrity (all 0-1), and the not-yet-realised gains of
trainings taken (``pending_*``).
"""

from __future__ import annotations

import numpy as np

from model.behaviour import Behaviour, per_month
from model.scenario import Staff
from model.units import UNITS


class StaffPool:
    """The frontline civil servants of all units."""

    def __init__(self, spec: Staff, n_sim: int, rng: np.random.Generator) -> None:
        self.rng = rng
        real = spec.civil_servants * spec.frontline_share
        self.n_real0 = real
        self.weight = real / n_sim
        shares = np.array([u.staff_share for u in UNITS])
        unit = rng.choice(len(UNITS), size=n_sim, p=shares / shares.sum())
        self.unit = np.sort(unit).astype(np.int8)
        self.age = np.clip(rng.normal(spec.mean_age_years, spec.age_sd_years, n_sim), 20,
                           spec.retirement_age_years - 0.01).astype(np.float32)
        self.tenure_months = np.full(n_sim, 120.0, dtype=np.float32)
        self.digital = self._skill(spec.digital_skill, n_sim)
        self.service = self._skill(spec.service_skill, n_sim)
        self.integrity = self._skill(spec.integrity, n_sim)
        self.pending_digital = np.zeros(n_sim, dtype=np.float32)
        self.pending_service = np.zeros(n_sim, dtype=np.float32)
        self.retirement_age = spec.retirement_age_years
        self._index_units()

    def _skill(self, mean: float, n: int, concentration: float = 12.0) -> np.ndarray:
        """Beta-distributed skills with the given mean."""
        m = min(max(mean, 0.01), 0.99)
        return self.rng.beta(m * concentration, (1 - m) * concentration, n).astype(np.float32)

    def _index_units(self) -> None:
        counts = np.bincount(self.unit, minlength=len(UNITS))
        self.unit_count = counts
        self.unit_start = np.concatenate([[0], np.cumsum(counts)[:-1]])

    @property
    def n(self) -> int:
        """Simulated civil servants."""
        return len(self.unit)

    @property
    def headcount(self) -> float:
        """Real frontline civil servants represented."""
        return self.n * self.weight

    # --- monthly --------------------------------------------------------------------------
    def productivity(self, bh: Behaviour, fragmentation: float) -> np.ndarray:
        """Requests each simulated civil servant completes this month (before weighting).

        Skill speeds work (0.5 + service skill), new hires ramp up over ``hire_learning_months``,
        and unintegrated applications add double entry.
        """
        ramp = np.minimum(1.0, (self.tenure_months + 1.0) / bh.hire_learning_months)
        return (bh.requests_per_staff_month * (0.5 + self.service) * ramp
                / (1.0 + bh.staff_burden_per_fragmentation * fragmentation))

    def unit_capacity(self, bh: Behaviour, fragmentation: float) -> np.ndarray:
        """Weighted monthly capacity per unit (real requests)."""
        return np.bincount(self.unit, weights=self.productivity(bh, fragmentation),
                           minlength=len(UNITS)) * self.weight

    def develop(self, bh: Behaviour, competency: float, regulation: float,
                expected_load: np.ndarray) -> None:
        """Training, learning by doing, skill obsolescence and integrity for one month.

        ``expected_load`` is each civil servant's requests served last month relative to a full
        month's work; learning by doing scales with it (capped at 1.5).
        """
        n = self.n
        trained = self.rng.random(n) < per_month(min(bh.training_share_per_year * competency,
                                                     0.99))
        g = bh.training_gain
        for skill, pending in ((self.digital, self.pending_digital),
                               (self.service, self.pending_service)):
            pending[trained] += g * (1 - skill[trained] - pending[trained])
        rate = 1.0 / bh.training_payoff_months
        for skill, pending in ((self.digital, self.pending_digital),
                               (self.service, self.pending_service)):
            realised = pending * rate
            skill += realised
            pending -= realised
        lbd = per_month(bh.learning_by_doing_per_year) * np.minimum(expected_load, 1.5)
        self.service += (lbd * (1 - self.service)).astype(np.float32)
        self.digital *= np.float32(1 - per_month(bh.digital_skill_obsolescence_per_year))
        rule = np.float32(per_month(bh.integrity_from_regulation_per_year * regulation))
        self.integrity += rule * (1 - self.integrity)
        self.tenure_months += 1
        np.clip(self.service, 0, 1, out=self.service)
        np.clip(self.digital, 0, 1, out=self.digital)

    def improve_units(self, unit_gain: np.ndarray) -> None:
        """Answered complaints feed improvements: close a share of each unit's skill and
        integrity gaps (``unit_gain`` per unit).
        """
        g = unit_gain[self.unit].astype(np.float32)
        self.service += g * (1 - self.service)
        self.integrity += g * (1 - self.integrity)

    # --- yearly ---------------------------------------------------------------------------
    def age_and_turn_over(self, hires_share: float, hire_quality: float) -> int:
        """Age one year, retire those at retirement age, hire routine replacements.

        Returns the number of simulated civil servants retired.
        """
        self.age += 1
        keep = self.age < self.retirement_age
        retired = int((~keep).sum())
        self._select(keep)
        expected = hires_share * self.n
        n_new = int(self.rng.poisson(expected)) if expected > 0 else 0
        self.hire(n_new, hire_quality)
        return retired

    def hire(self, n_new: int, quality: float) -> None:
        """Add ``n_new`` simulated recruits (young, fresh tenure) spread over the units."""
        if n_new <= 0:
            return
        shares = np.array([u.staff_share for u in UNITS])
        unit = self.rng.choice(len(UNITS), size=n_new, p=shares / shares.sum()).astype(np.int8)
        cols = {
            "unit": unit,
            "age": self.rng.uniform(23, 35, n_new).astype(np.float32),
            "tenure_months": np.zeros(n_new, dtype=np.float32),
            "digital": self._skill(min(quality + 0.15, 0.95), n_new),
            "service": self._skill(quality, n_new),
            "integrity": self._skill(float(self.integrity.mean()) if self.n else 0.6, n_new),
            "pending_digital": np.zeros(n_new, dtype=np.float32),
            "pending_service": np.zeros(n_new, dtype=np.float32),
        }
        for name, col in cols.items():
            setattr(self, name, np.concatenate([getattr(self, name), col]))
        order = np.argsort(self.unit, kind="stable")
        self._select(order)

    def _select(self, index: np.ndarray) -> None:
        for name in ("unit", "age", "tenure_months", "digital", "service", "integrity",
                     "pending_digital", "pending_service"):
            setattr(self, name, getattr(self, name)[index])
        self._index_units()
