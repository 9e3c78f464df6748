"""Civil servants (ASN) in the service units, held column-wise: one row per civil servant.

Each simulated civil servant stands for ``weight`` real ones. Columns: unit, age, months of
tenure, digital skill, service skill, integrity (all 0-1), and the not-yet-realised gains of
trainings taken (``pending_*``), and last month's workload (``load``: requests served relative
to a full month's work, which learning by doing reads). Rows are kept sorted by unit; a
civil servant's columns, load included, move with them when others retire or are hired.

Several runs' pools can be stepped as one (:meth:`StaffPool.merge`, for :mod:`model.batch`):
the rows are run after run, per-unit quantities are per cell (run x unit, run-major), each
per-run argument is an array over runs, and each run draws from its own stream. A year's
retirements and hires are done run by run, on each run's own pool.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.behaviour import Behaviour, per_month
from model.scenario import Staff
from model.units import UNITS

_COLUMNS = ("unit", "age", "tenure_months", "digital", "service", "integrity",
            "pending_digital", "pending_service", "load")
_STAFF_SHARES = np.array([u.staff_share for u in UNITS])
SKILL_MEAN_BOUNDS = (0.01, 0.99)
"""Numerical guard: a Beta distribution needs a mean strictly inside (0, 1) (shared with
:mod:`model.reference`)."""


@dataclass(frozen=True)
class HiringPlan:
    """One year's hiring, in real persons where counts are given (see ``Policy``'s levers)."""

    routine_share: float  # routine hires, share of headcount, spread over all units
    quality: float  # mean skill of applicants
    replace_retirements: float  # share of each unit's retirements replaced there
    fixed_hires: float  # persons per year, on top, to ``units``
    target_per_unit: np.ndarray | None  # persons per unit to hire up to, or None
    units: tuple[int, ...]  # where planned (non-routine) hires go
    selection: float  # share of applicants screened out


def unit_spread(n: float, units: tuple[int, ...]) -> np.ndarray:
    """``n`` spread over ``units`` by their staff shares (a float per unit of :data:`UNITS`)."""
    w = np.zeros(len(UNITS))
    w[list(units)] = _STAFF_SHARES[list(units)]
    return n * w / w.sum()


class StaffPool:
    """The frontline civil servants of all units."""

    def __init__(self, spec: Staff, bh: Behaviour, n_sim: int, rng: np.random.Generator) -> None:
        self.rng = rng
        self.bh = bh
        real = spec.civil_servants * spec.frontline_share
        self.weight = real / n_sim
        unit = rng.choice(len(UNITS), size=n_sim, p=_STAFF_SHARES / _STAFF_SHARES.sum())
        self.unit = np.sort(unit).astype(np.int8)
        self.age = np.clip(rng.normal(spec.mean_age_years, spec.age_sd_years, n_sim),
                           bh.hire_age_min_years, np.nextafter(spec.retirement_age_years, 0.0)
                           ).astype(np.float32)
        self.tenure_months = np.full(n_sim, bh.initial_tenure_months, dtype=np.float32)
        self.digital = self._skill(spec.digital_skill, n_sim)
        self.service = self._skill(spec.service_skill, n_sim)
        self.integrity = self._skill(spec.integrity, n_sim)
        self.integrity_start = spec.integrity  # new hires' mean if the pool ever empties
        self.pending_digital = np.zeros(n_sim, dtype=np.float32)
        self.pending_service = np.zeros(n_sim, dtype=np.float32)
        self.load = np.zeros(n_sim, dtype=np.float32)
        self.retirement_age = spec.retirement_age_years
        self.hired_this_year = 0.0  # real persons
        self.selection_this_year = 0.0
        self.runs, self.rngs, self.merged = 1, [rng], False
        self._index_units()

    @classmethod
    def merge(cls, pools: list[StaffPool]) -> StaffPool:
        """Several runs' pools (one behaviour) as one, for the month's work; each pool's
        columns become views of the merged ones (what the merged pool does in place, each
        pool sees). Retirements and hires stay with each run's own pool: merge again after.
        """
        first = pools[0]
        if any(p.bh != first.bh or p.runs != 1 for p in pools):
            raise ValueError("merged pools need single runs of one behaviour")
        m = cls.__new__(cls)
        m.bh, m.rng, m.runs, m.rngs = first.bh, None, len(pools), [p.rng for p in pools]
        m.merged = True
        m.weight = np.array([p.weight for p in pools])
        for name in _COLUMNS:
            setattr(m, name, np.concatenate([getattr(p, name) for p in pools]))
        m.run_n = np.array([p.n for p in pools])
        m.run_start = np.concatenate([[0], np.cumsum(m.run_n)[:-1]])
        m.run = np.repeat(np.arange(m.runs), m.run_n)
        n_units = len(UNITS)
        m.cell = m.run * n_units + m.unit
        m.cell_count = np.concatenate([p.unit_count for p in pools])
        m.cell_start = np.concatenate([[0], np.cumsum(m.cell_count)[:-1]])
        m.unit_count = m.cell_count
        m.split(pools)
        return m

    def split(self, pools: list[StaffPool]) -> None:
        """Point each run's pool at its rows of this merged pool (after a month's work that
        replaced a column, before the year's retirements and hires).
        """
        for b, p in enumerate(pools):
            rows = slice(self.run_start[b], self.run_start[b] + self.run_n[b])
            for name in _COLUMNS:
                setattr(p, name, getattr(self, name)[rows])

    def _skill(self, mean: float, n: int) -> np.ndarray:
        """Beta-distributed skills with the given mean."""
        m = min(max(mean, SKILL_MEAN_BOUNDS[0]), SKILL_MEAN_BOUNDS[1])
        c = self.bh.skill_concentration
        return self.rng.beta(m * c, (1 - m) * c, n).astype(np.float32)

    def _index_units(self) -> None:
        counts = np.bincount(self.unit, minlength=len(UNITS))
        self.unit_count = counts
        self.unit_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        # one run: its cells are its units, and every civil servant is in run 0
        self.cell, self.cell_count, self.cell_start = self.unit, counts, self.unit_start
        self.run = np.zeros(self.n, dtype=np.intp)
        self.run_start, self.run_n = np.zeros(1, dtype=np.intp), np.array([self.n])

    @property
    def n(self) -> int:
        """Simulated civil servants."""
        return len(self.unit)

    @property
    def headcount(self) -> float:
        """Real frontline civil servants represented."""
        return self.n * self.weight

    def unit_headcount(self) -> np.ndarray:
        """Real frontline civil servants per unit."""
        return self.unit_count * self.weight

    # --- monthly --------------------------------------------------------------------------
    def productivity(self, fragmentation: float) -> np.ndarray:
        """Requests each simulated civil servant completes this month (before weighting).

        Skill speeds work (``productivity_at_zero_skill`` + service skill), new hires ramp up
        over ``hire_learning_months``,
        and unintegrated applications add double entry.
        """
        bh = self.bh
        ramp = np.minimum(1.0, (self.tenure_months + 1.0) / bh.hire_learning_months)
        # per run, as float32 (as NumPy casts a Python float meeting these float32 columns)
        burden = np.atleast_1d(1.0 + bh.staff_burden_per_fragmentation
                               * np.asarray(fragmentation)).astype(np.float32)[self.run]
        return (bh.requests_per_staff_month * (bh.productivity_at_zero_skill + self.service) * ramp
                / burden)

    def unit_capacity(self, fragmentation: float) -> np.ndarray:
        """Weighted monthly capacity per unit (real requests; per cell for several runs)."""
        return np.bincount(self.cell, weights=self.productivity(fragmentation),
                           minlength=self.runs * len(UNITS)) * self.cell_weight()

    def cell_weight(self):
        """Real civil servants per simulated one, per unit (cell); a scalar for one run."""
        return np.repeat(self.weight, len(UNITS)) if self.merged else self.weight

    def run_means(self, column: np.ndarray) -> np.ndarray:
        """Each run's mean of a column, a column with a row per run (each over its own rows,
        so it is the mean the run alone takes).
        """
        return np.array([[column[a:a + n].mean()] for a, n in zip(self.run_start, self.run_n,
                                                                   strict=True)], dtype=float)

    def unit_skill(self) -> np.ndarray:
        """Mean of service and digital skill of each unit's (cell's) staff."""
        total = np.bincount(self.cell, weights=(self.service + self.digital) / 2.0,
                            minlength=self.runs * len(UNITS))
        return total / np.maximum(self.cell_count, 1)

    def serving(self, unit: np.ndarray, draw: np.ndarray, run: np.ndarray | None = None
                ) -> np.ndarray:
        """The civil servant (row) each request meets: uniform within its unit, given a uniform
        ``draw`` per request; a unit without staff borrows from all its run's staff. For
        several runs ``unit`` is the request's cell and ``run`` its run.
        """
        count = self.cell_count[unit]
        j = self.cell_start[unit] + (draw * count).astype(np.intp)
        if run is None:
            if not self.cell_count.all():
                j = np.where(count > 0, j, (draw * self.n).astype(np.intp))
            return np.minimum(j, self.n - 1)
        start, n = self.run_start[run], self.run_n[run]
        if not self.cell_count.all():
            j = np.where(count > 0, j, start + (draw * n).astype(np.intp))
        return np.minimum(j, start + n - 1)

    def develop(self, competency: float, regulation: float, expected_load: np.ndarray,
                digital_share: float, units: tuple[int, ...]) -> None:
        """Training, learning by doing, skill obsolescence and integrity for one month.

        The competency stock buys ``training_share_per_year * competency`` trainings per civil
        servant per year; aimed at ``units``, the same trainings go to their staff only. A
        training closes ``2 * d * training_gain`` of the digital-skill gap and
        ``2 * (1 - d) * training_gain`` of the service-skill gap (each at most all of it), with
        ``d = digital_share``: an even split closes both by the full gain, a focused one
        closes one gap twice as far and leaves the other.
        ``expected_load`` is each civil servant's requests served last month relative to a full
        month's work; learning by doing scales with it (capped at ``learning_load_cap``).
        For a merged pool, ``competency``, ``regulation`` and ``digital_share`` are per run and
        ``units`` is one tuple per run.
        """
        bh, n_units = self.bh, len(UNITS)
        competency, regulation = np.atleast_1d(competency), np.atleast_1d(regulation)
        shares = np.atleast_1d(digital_share)
        aimed = np.zeros((self.runs, n_units), dtype=bool)  # a mask by unit: faster than np.isin
        for b, aim in enumerate(units if self.merged else (units,)):
            aimed[b, list(aim)] = True
        targeted = aimed.ravel()[self.cell]
        trained = np.zeros(self.n, dtype=bool)
        n_targets = np.bincount(self.run, weights=targeted, minlength=self.runs)
        for b, rng in enumerate(self.rngs):  # each run's draws from its own stream
            start, size, n_target = self.run_start[b], self.run_n[b], int(n_targets[b])
            if n_target:
                rate = bh.training_share_per_year * competency[b] * size / n_target
                rows = slice(start, start + size)
                trained[rows] = targeted[rows] & (rng.random(size) < per_month(rate))
        per_run = np.array([(min(1.0, 2.0 * d * bh.training_gain),
                             min(1.0, 2.0 * (1.0 - d) * bh.training_gain)) for d in shares],
                           dtype=np.float32)
        gains = (per_run[self.run[trained], 0], per_run[self.run[trained], 1])
        payoff = 1.0 / bh.training_payoff_months
        for skill, pending, g in ((self.digital, self.pending_digital, gains[0]),
                                  (self.service, self.pending_service, gains[1])):
            pending[trained] += g * (1 - skill[trained] - pending[trained])
            realised = pending * np.float32(payoff)
            skill += realised
            pending -= realised
        lbd = per_month(bh.learning_by_doing_per_year) * np.minimum(expected_load,
                                                                    bh.learning_load_cap)
        self.service += (lbd * (1 - self.service)).astype(np.float32)
        self.digital *= np.float32(1 - per_month(bh.digital_skill_obsolescence_per_year))

        rules = np.array([per_month(bh.integrity_from_regulation_per_year * r)
                          for r in regulation], dtype=np.float32)[self.run]
        self.integrity += rules * (1 - self.integrity)
        self.tenure_months += 1
        for skill in (self.service, self.digital):  # np.clip without its Python wrapper
            np.minimum(np.maximum(skill, 0, out=skill), 1, out=skill)

    def improve_units(self, unit_gain: np.ndarray) -> None:
        """Answered complaints feed improvements: close a share of each unit's skill and
        integrity gaps (``unit_gain`` per unit, or per cell for a merged pool; capped at
        ``max_unit_improvement_per_month``).
        """
        g = np.minimum(unit_gain, self.bh.max_unit_improvement_per_month)[self.cell]
        g = g.astype(np.float32)
        self.service += g * (1 - self.service)
        self.integrity += g * (1 - self.integrity)

    # --- yearly ---------------------------------------------------------------------------
    def age_and_turn_over(self, plan: HiringPlan) -> np.ndarray:
        """Age one year, retire those at retirement age, hire by ``plan``.

        Hires per unit: routine replacements (a share of headcount, spread by staff shares),
        plus, at the plan's units, the replaced share of the unit's own retirements, its share
        of a fixed yearly number, and its gap to a staffing target. Counts are real persons, turned
        into simulated rows by a Poisson draw. Returns real retirements per unit.
        """
        self.age += 1
        keep = self.age < self.retirement_age
        retired = np.bincount(self.unit[~keep], minlength=len(UNITS)) * self.weight
        self._select(keep)
        planned = np.zeros(len(UNITS), dtype=bool)
        planned[list(plan.units)] = True
        real = unit_spread(plan.routine_share * self.headcount, tuple(range(len(UNITS))))
        real += plan.replace_retirements * retired * planned
        real += unit_spread(plan.fixed_hires, plan.units)
        if plan.target_per_unit is not None:
            gap = plan.target_per_unit - self.unit_headcount() - real
            real += np.maximum(gap, 0.0) * planned
        n_new = self.rng.poisson(real / self.weight)
        self.hired_this_year = float(n_new.sum() * self.weight)
        self.selection_this_year = plan.selection
        self.hire(np.repeat(np.arange(len(UNITS)), n_new), plan.quality, plan.selection)
        return retired

    def hire(self, unit: np.ndarray, quality: float, selection: float = 0.0) -> None:
        """Add one simulated recruit per entry of ``unit`` (young, fresh tenure).

        With ``selection`` s, 1 / (1 - s) applicants per post are drawn with mean skill
        ``quality`` and the best ``1 - s`` of them all (by service skill) are hired: screening
        out a share s of applicants raises hires' service skill.
        """
        n_new = len(unit)
        if n_new <= 0:
            return
        bh = self.bh
        per_post = 1.0 / (1.0 - selection)
        n_app = max(n_new, int(round(n_new * per_post)))
        service = self._skill(quality, n_app)
        digital = self._skill(quality + bh.hire_digital_premium, n_app)
        # the best n_new applicants, kept in the order they were drawn, so which unit a hire
        # joins does not depend on their rank
        best = np.sort(np.argsort(-service, kind="stable")[:n_new])
        cols = {
            "unit": np.asarray(unit, dtype=np.int8),
            "age": self.rng.uniform(bh.hire_age_min_years, bh.hire_age_max_years,
                                    n_new).astype(np.float32),
            "tenure_months": np.zeros(n_new, dtype=np.float32),
            "digital": digital[best],
            "service": service[best],
            "integrity": self._skill(float(self.integrity.mean()) if self.n
                                     else self.integrity_start, n_new),
            "pending_digital": np.zeros(n_new, dtype=np.float32),
            "pending_service": np.zeros(n_new, dtype=np.float32),
            "load": np.zeros(n_new, dtype=np.float32),  # no work done here yet
        }
        for name, col in cols.items():
            setattr(self, name, np.concatenate([getattr(self, name), col]))
        self._select(np.argsort(self.unit, kind="stable"))

    def _select(self, index: np.ndarray) -> None:
        for name in _COLUMNS:
            setattr(self, name, getattr(self, name)[index])
        self._index_units()
