"""A per-agent reference model: the citizen and civil-servant rules written the ordinary Mesa way.

One :class:`mesa.Agent` per simulated citizen (:class:`Citizen`) and per simulated civil servant
(:class:`CivilServant`); every rule is a method on the agent, written with scalars and the
model's seeded stdlib ``random`` (as Mesa's own examples do). The package's array model
(:mod:`model.citizens`, :mod:`model.staff` and the citizen-facing parts of
:class:`model.model.EGovModel`) holds the same rules column-wise; this module exists to show that
the two are the same agent-based model (``tests/test_reference_equivalence.py``) and to be the
speed baseline (``benchmarks/bench.py``).

Shared unchanged with the array model: scenario loading, the :class:`~model.government.Government`
and :class:`~model.units.ServiceUnit` agents, the month's context citizens face
(``EGovModel._context`` and ``internet_coverage``) and the year's assessment row
(``EGovModel._assess``, which calls :func:`model.assessment.assess`). Every parameter value is
read from the scenario's :class:`~model.behaviour.Behaviour` (and its staff and population
tables), never copied, so calibration changes both models alike. When a *rule* changes in the
array model, change it here too: the equivalence test is what notices a difference.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from model.behaviour import Behaviour, per_month
from model.citizens import ACCUMULATORS, N_GROUPS, MonthContext
from model.government import Government
from model.model import DEFAULT_POPULATION, MIN_STAFF_AGENTS, EGovModel, resolve_run
from model.scenario import Event, Scenario, lever_in_year
from model.units import UNITS, ServiceUnit

ONLINE, COUNTER, INTERMEDIARY = "online", "counter", "intermediary"
_DEMAND_CUM = list(np.cumsum([u.demand_share for u in UNITS]))
_STAFF_SHARES = [u.staff_share for u in UNITS]


def _clip(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def _beta_with_mean(rng, mean: float, concentration: float) -> float:
    """One Beta draw with the given mean (stdlib ``random.betavariate``)."""
    m = _clip(mean, 0.01, 0.99)
    return rng.betavariate(m * concentration, (1.0 - m) * concentration)


# --- civil servants -----------------------------------------------------------------------
class CivilServant(mesa.Agent):
    """One simulated frontline civil servant (standing for ``model.staff.weight`` real ones)."""

    SKILL_CONCENTRATION = 12.0

    def __init__(self, model: ReferenceModel, unit: int, age: float, tenure_months: float,
                 digital: float, service: float, integrity: float) -> None:
        super().__init__(model)
        self.unit = unit
        self.age = age
        self.tenure_months = tenure_months
        self.digital, self.service, self.integrity = digital, service, integrity
        self.pending_digital = 0.0
        self.pending_service = 0.0
        self.load = 0.0  # last month's requests served relative to a full month's work
        self.served = 0.0  # this month's work (simulated requests, counter-equivalent)

    @classmethod
    def initial(cls, model: ReferenceModel) -> CivilServant:
        """A civil servant of the starting workforce."""
        spec, r = model.config.staff, model.random
        unit = r.choices(range(len(UNITS)), weights=_STAFF_SHARES)[0]
        age = _clip(r.gauss(spec.mean_age_years, spec.age_sd_years), 20.0,
                    spec.retirement_age_years - 0.01)
        k = cls.SKILL_CONCENTRATION
        return cls(model, unit, age, 120.0, _beta_with_mean(r, spec.digital_skill, k),
                   _beta_with_mean(r, spec.service_skill, k), _beta_with_mean(r, spec.integrity, k))

    @classmethod
    def recruit(cls, model: ReferenceModel, quality: float, integrity_mean: float) -> CivilServant:
        """A new hire: young, no tenure, skills around the recruitment's quality."""
        r = model.random
        unit = r.choices(range(len(UNITS)), weights=_STAFF_SHARES)[0]
        k = cls.SKILL_CONCENTRATION
        return cls(model, unit, r.uniform(23.0, 35.0), 0.0,
                   _beta_with_mean(r, min(quality + 0.15, 0.95), k),
                   _beta_with_mean(r, quality, k), _beta_with_mean(r, integrity_mean, k))

    def productivity(self, bh: Behaviour, fragmentation: float) -> float:
        """Requests completed per month: skill speeds work, new hires ramp up, double entry."""
        ramp = min(1.0, (self.tenure_months + 1.0) / bh.hire_learning_months)
        return (bh.requests_per_staff_month * (0.5 + self.service) * ramp
                / (1.0 + bh.staff_burden_per_fragmentation * fragmentation))

    def develop(self) -> None:
        """Training, learning by doing, skill obsolescence and integrity for one month."""
        m = self.model
        bh, stocks = m.config.behaviour, m.government.stocks
        if self.random.random() < per_month(min(bh.training_share_per_year
                                                 * stocks["competency"], 0.99)):
            g = bh.training_gain
            self.pending_digital += g * (1.0 - self.digital - self.pending_digital)
            self.pending_service += g * (1.0 - self.service - self.pending_service)
        rate = 1.0 / bh.training_payoff_months
        realised = self.pending_digital * rate
        self.digital += realised
        self.pending_digital -= realised
        realised = self.pending_service * rate
        self.service += realised
        self.pending_service -= realised
        lbd = per_month(bh.learning_by_doing_per_year) * min(self.load, 1.5)
        self.service += lbd * (1.0 - self.service)
        self.digital *= 1.0 - per_month(bh.digital_skill_obsolescence_per_year)
        self.integrity += (per_month(bh.integrity_from_regulation_per_year * stocks["regulation"])
                           * (1.0 - self.integrity))
        self.tenure_months += 1.0
        self.service = _clip(self.service, 0.0, 1.0)
        self.digital = _clip(self.digital, 0.0, 1.0)

    def finish_month(self, work_scale: float, fragmentation: float) -> None:
        """This month's work becomes the load for next month's learning by doing."""
        bh = self.model.config.behaviour
        self.load = self.served * work_scale / max(self.productivity(bh, fragmentation), 1e-9)
        self.served = 0.0

    def improve(self, gain: float) -> None:
        """Answered complaints at the unit close part of the skill and integrity gaps."""
        self.service += gain * (1.0 - self.service)
        self.integrity += gain * (1.0 - self.integrity)


# --- citizens -----------------------------------------------------------------------------
class Citizen(mesa.Agent):
    """One simulated resident (standing for ``model.citizens.weight`` real ones)."""

    LITERACY_CONCENTRATION = 8.0

    def __init__(self, model: ReferenceModel) -> None:
        super().__init__(model)
        pop, r = model.config.population, model.random
        self.urban = r.random() < pop.urban_share
        # A fixed latent place in the queue for internet coverage: low rank = connected first.
        self.access_rank = r.random()
        # Quintile 0 (reported as q1) is the least connected: the highest ranks.
        self.quintile = 4 - min(int(self.access_rank * 5), 4)
        self.group = self.quintile + 5 * int(self.urban)
        mean = pop.literacy_urban if self.urban else pop.literacy_rural
        mean = _clip(mean + 0.2 * (0.5 - self.access_rank), 0.02, 0.98)
        k = self.LITERACY_CONCENTRATION
        self.literacy = r.betavariate(mean * k, (1.0 - mean) * k)
        self.satisfaction = 0.7
        self.trust = 0.6
        self.expectation: float | None = None  # none until the first request
        self.request: dict[str, Any] | None = None

    def new_year(self) -> None:
        """Literacy drifts up a little each year (schooling, peers, media)."""
        self.literacy += self.model.config.behaviour.literacy_growth_per_year * (1 - self.literacy)

    def choose_channel(self) -> None:
        """Maybe need a service this month; if so pick the unit and the channel."""
        m = self.model
        bh, ctx, r = m.config.behaviour, m.ctx, self.random
        self.request = None
        if r.random() >= m.p_need:
            return
        x = r.random() * _DEMAND_CUM[-1]
        unit = next(i for i, c in enumerate(_DEMAND_CUM) if x <= c)
        has_access = self.access_rank < ctx.coverage[int(self.urban)]
        offered = r.random() < ctx.online_coverage[unit]
        can_online = has_access and offered
        # Multinomial logit over the channels this citizen can use.
        utility = {
            COUNTER: (bh.wait_utility_per_day * ctx.expected_wait[unit]
                      + (0.0 if self.urban else bh.rural_travel_utility
                         * (1.0 - ctx.travel_relief[unit]))),
            INTERMEDIARY: (bh.intermediary_utility_base + bh.intermediary_utility_per_distrust
                           * (1.0 - self.trust) + bh.wait_utility_per_day
                           * ctx.intermediary_days[unit]),
        }
        if can_online:
            utility[ONLINE] = (bh.online_utility_base + bh.online_utility_per_literacy
                               * self.literacy - bh.citizen_confusion_per_fragmentation
                               * ctx.fragmentation + bh.wait_utility_per_day
                               * ctx.online_days[unit])
        channels = list(utility)
        top = max(utility.values())
        channel = r.choices(channels, weights=[math.exp(utility[c] - top) for c in channels])[0]
        online_ok = False
        if channel == ONLINE:
            p_ok = _clip(bh.online_success_base + bh.online_success_per_literacy
                         * (self.literacy - 0.5) - bh.online_failure_per_fragmentation
                         * ctx.fragmentation, 0.02, 0.99)
            online_ok = r.random() < p_ok
        self.request = {
            "unit": unit,
            "online": channel == ONLINE,
            "online_ok": online_ok,
            # A failed online attempt ends at the counter.
            "counter": channel == COUNTER or (channel == ONLINE and not online_ok),
            "intermediary": channel == INTERMEDIARY,
        }

    def complete_request(self) -> None:
        """Meet a civil servant; success, waiting, maladministration; complain; remember."""
        m, q = self.model, self.request
        bh, ctx, r = m.config.behaviour, m.ctx, self.random
        unit, online, counter, inter = q["unit"], q["online"], q["counter"], q["intermediary"]
        servant = m.staff_member(unit)
        over = max(m.units[unit].utilisation - 0.8, 0.0)
        if inter:
            success = r.random() < bh.intermediary_success
            wait = ctx.intermediary_days[unit]
        else:
            success = q["online_ok"]
            wait = ctx.online_days[unit] if online else 0.0
            if counter:
                p_ok = _clip(bh.counter_success_base + bh.counter_success_per_skill
                             * (servant.service - 0.5) - bh.overload_penalty * over, 0.02, 0.99)
                success = r.random() < p_ok
                wait += m.units[unit].wait_days
        # Paying an intermediary is itself maladministration (an unofficial fee).
        maladmin = inter
        if counter:
            p_mal = (bh.maladmin_base * (1.0 - servant.integrity)
                     * (1.0 - bh.maladmin_regulation_effect * ctx.regulation) * (1.0 + over))
            maladmin = r.random() < p_mal
        w_clean = max(0.0, 1.0 - bh.satisfaction_weight_success - bh.satisfaction_weight_speed)
        score = (bh.satisfaction_weight_success * success
                 + bh.satisfaction_weight_speed * math.exp(-wait / bh.wait_reference_days)
                 + w_clean * (not maladmin))
        complain = answered = False
        if score < bh.bad_experience_threshold:
            complain = r.random() < bh.complaint_propensity * ctx.complaint_channel
            answered = complain and r.random() < ctx.answer_rate
        score = min(1.0, score + bh.answered_complaint_bonus * answered)
        # A complaint that vanishes costs trust beyond the bad experience itself.
        trust_target = 0.5 * score if complain and not answered else score
        # Expectation-disconfirmation: judged partly against what this citizen expected.
        expected = score if self.expectation is None else self.expectation
        judged = _clip(bh.expectation_met_satisfaction + score - expected, 0.0, 1.0)
        felt = (1.0 - bh.expectation_weight) * score + bh.expectation_weight * judged
        self.expectation = expected + bh.expectation_adaptation * (score - expected)
        self.satisfaction += bh.satisfaction_memory * (felt - self.satisfaction)
        self.trust += bh.trust_memory * (trust_target - self.trust)
        if online:
            self.literacy += bh.literacy_gain_per_online_use * (1.0 - self.literacy)
        servant.served += counter + bh.online_staff_time_share * online
        m.record_request(self.group, unit, online=online, intermediary=inter, wait=wait,
                         success=success, maladmin=maladmin, counter=counter,
                         complain=complain, answered=answered, satisfaction=self.satisfaction)
        self.request = None


# --- column views for the shared model-level code -----------------------------------------
class _CitizenColumns:
    """What ``EGovModel._context`` and ``_assess`` read about citizens, gathered from agents."""

    def __init__(self, model: ReferenceModel, weight: float) -> None:
        self._model = model
        self.weight = weight
        self.year_totals = np.zeros((len(ACCUMULATORS), N_GROUPS))

    @property
    def agents(self) -> mesa.agent.AgentSet:
        return self._model.agents_by_type[Citizen]

    @property
    def literacy(self) -> np.ndarray:
        return np.array(self.agents.get("literacy"))


class _StaffColumns:
    """What ``EGovModel._context`` and ``_assess`` read about civil servants."""

    def __init__(self, model: ReferenceModel, weight: float) -> None:
        self._model = model
        self.weight = weight

    @property
    def agents(self) -> mesa.agent.AgentSet:
        return self._model.agents_by_type[CivilServant]

    def _column(self, name: str) -> np.ndarray:
        return np.array(self.agents.get(name), dtype=float)

    unit = property(lambda self: self._column("unit").astype(np.intp))
    digital = property(lambda self: self._column("digital"))
    service = property(lambda self: self._column("service"))
    integrity = property(lambda self: self._column("integrity"))

    @property
    def n(self) -> int:
        return len(self.agents)

    @property
    def headcount(self) -> float:
        return self.n * self.weight


# --- the model ----------------------------------------------------------------------------
class ReferenceModel(mesa.Model):
    """The array model's month, phase by phase, with one agent per citizen and civil servant.

    Same phases and order as :class:`model.model.EGovModel` (see its docstring): year start,
    events, government invests, staff develop, citizens seek service (choose a channel; the units
    settle their queues from the demand chosen; each request meets a civil servant and
    completes), units learn, December assessment. ``annual_records`` has the same rows and
    columns as the array model's.
    """

    # Model-level code shared unchanged with the array model.
    internet_coverage = EGovModel.internet_coverage
    _context = EGovModel._context
    _assess = EGovModel._assess

    def __init__(self, scenario: Scenario | str | Path | None = None,
                 population: int | None = DEFAULT_POPULATION, start_year: int = 2018,
                 end_year: int = 2030, overrides: dict[str, Any] | None = None,
                 rng: Any = None) -> None:
        super().__init__(rng=rng)
        scenario, n_citizens = resolve_run(scenario, population, start_year, end_year,
                                           overrides)
        self.config = scenario
        self.start_year, self.end_year = start_year, end_year
        self.year, self.month = start_year, 1
        residents = scenario.population.residents
        bh = scenario.behaviour
        self.p_need = 1.0 - math.exp(-bh.need_rate_per_year / 12.0)

        self.citizens = _CitizenColumns(self, residents / n_citizens)
        for _ in range(n_citizens):
            Citizen(self)
        real_staff = scenario.staff.civil_servants * scenario.staff.frontline_share
        n_staff = max(1, int(min(real_staff, max(MIN_STAFF_AGENTS,
                                                 round(real_staff * n_citizens / residents)))))
        self.staff = _StaffColumns(self, real_staff / n_staff)
        for _ in range(n_staff):
            CivilServant.initial(self)
        self._index_staff()
        self.units = [ServiceUnit(self, spec, i) for i, spec in enumerate(UNITS)]
        self.government = Government(self)
        self._conn0 = self.government.stocks["connectivity"]
        self.mpp_open = False
        self.ctx: MonthContext | None = None
        self.annual_records: list[dict[str, Any]] = []
        self._year_counter = np.zeros(3)  # counter requests, successes, clean
        self._utilisation_sum = 0.0
        # Events dated before the first simulated month have already happened.
        for event in scenario.events:
            if (event.year, event.month) < (start_year, 1):
                self._apply_event(event)

    # --- helpers the agents use ---------------------------------------------------------
    def _index_staff(self) -> None:
        self.staff_by_unit: list[list[CivilServant]] = [[] for _ in UNITS]
        for s in self.agents_by_type[CivilServant]:
            self.staff_by_unit[s.unit].append(s)
        self.all_staff = [s for members in self.staff_by_unit for s in members]

    def staff_member(self, unit: int) -> CivilServant:
        """The civil servant a request meets: uniform within its unit (anyone if it has none)."""
        return self.random.choice(self.staff_by_unit[unit] or self.all_staff)

    def record_request(self, group: int, unit: int, **outcome: Any) -> None:
        """Tally one completed request for the year's outputs and the unit's learning."""
        tot = self.citizens.year_totals
        values = (1.0, outcome["online"], outcome["intermediary"], outcome["wait"],
                  outcome["success"], outcome["maladmin"], outcome["complain"],
                  outcome["answered"], outcome["satisfaction"])
        for row, value in enumerate(values):
            tot[row, group] += value
        self._unit_requests[unit] += 1
        self._unit_answered[unit] += outcome["answered"]
        if outcome["counter"]:
            self._year_counter += (1.0, outcome["success"], not outcome["maladmin"])

    # --- the step -----------------------------------------------------------------------
    def step(self) -> None:
        """One month, in the array model's phase order."""
        if not self.running:
            return
        sc = self.config
        if self.month == 1:
            self._start_year()
        for event in sc.events:
            if (event.year, event.month) == (self.year, self.month):
                self._apply_event(event)
        gov = self.government
        staff = self.agents_by_type[CivilServant]
        gov.invest(float(np.mean(staff.get("digital"))))
        staff.do("develop")
        self._seek_service()
        self._learn()
        if self.month == 12:
            self.annual_records.append(self._assess())
            if self.year >= self.end_year:
                self.running = False
        self.month = self.month % 12 + 1
        if self.month == 1:
            self.year += 1

    def _start_year(self) -> None:
        sc = self.config
        if self.year > self.start_year:
            self.government.set_year_budget(self.year)
            self._age_and_turn_over(lever_in_year(sc, "hires_per_year_share", self.year),
                                    lever_in_year(sc, "hire_quality", self.year))
        self.agents_by_type[Citizen].do("new_year")
        self.citizens.year_totals[:] = 0.0
        self._year_counter[:] = 0.0
        self._utilisation_sum = 0.0

    def _age_and_turn_over(self, hires_share: float, hire_quality: float) -> None:
        retirement_age = self.config.staff.retirement_age_years
        for s in list(self.agents_by_type[CivilServant]):
            s.age += 1.0
            if s.age >= retirement_age:
                s.remove()
        expected = hires_share * self.staff.n
        self._hire(int(self.rng.poisson(expected)) if expected > 0 else 0, hire_quality)
        self.agents_by_type[CivilServant].set("load", 0.0)

    def _hire(self, n_new: int, quality: float) -> None:
        staff = self.agents_by_type[CivilServant]
        integrity = float(np.mean(staff.get("integrity"))) if len(staff) else 0.6
        for _ in range(n_new):
            CivilServant.recruit(self, quality, integrity)
        self._index_staff()

    def _apply_event(self, event: Event) -> None:
        if event.kind == "mpp_open":
            self.mpp_open = True
            for unit in self.units:
                unit.in_mpp = True
        elif event.kind == "recruitment":
            quality = event.quality if event.quality is not None else lever_in_year(
                self.config, "hire_quality", self.year)
            n_sim = self.rng.poisson(event.hires * self.config.staff.frontline_share
                                     / self.staff.weight)
            self._hire(int(n_sim), quality)
            self.agents_by_type[CivilServant].set("load", 0.0)
        self.government.apply_event(event)

    def _seek_service(self) -> None:
        """Citizens choose channels; units settle queues from that demand; requests complete."""
        bh = self.config.behaviour
        self.ctx = self._context()
        citizens = self.agents_by_type[Citizen]
        citizens.do("choose_channel")
        requesting = citizens.select(lambda c: c.request is not None)
        demand = [0.0] * len(UNITS)
        for c in requesting:
            q = c.request
            demand[q["unit"]] += q["counter"] + bh.online_staff_time_share * q["online"]
        fragmentation = self.government.fragmentation
        capacity = [0.0] * len(UNITS)
        for s in self.agents_by_type[CivilServant]:
            capacity[s.unit] += s.productivity(bh, fragmentation)
        for unit in self.units:
            unit.settle(demand[unit.index] * self.citizens.weight,
                        capacity[unit.index] * self.staff.weight)
        self._utilisation_sum += float(np.mean([u.utilisation for u in self.units]))
        self._unit_requests = [0] * len(UNITS)
        self._unit_answered = [0] * len(UNITS)
        requesting.do("complete_request")

    def _learn(self) -> None:
        """Loads for learning by doing; answered complaints improve their units."""
        bh = self.config.behaviour
        staff = self.agents_by_type[CivilServant]
        staff.do("finish_month", self.citizens.weight / self.staff.weight,
                 self.government.fragmentation)
        gains = [min(bh.complaint_improvement * a / max(n, 1), 0.5)
                 for n, a in zip(self._unit_requests, self._unit_answered, strict=True)]
        for s in staff:
            s.improve(gains[s.unit])

    def _access_share(self) -> float:
        cov = self.internet_coverage()
        ranks = self.agents_by_type[Citizen]
        return float(np.mean([c.access_rank < cov[int(c.urban)] for c in ranks]))


def run_reference(scenario: Scenario, seed: int, *, years: tuple[int, int] = (2018, 2030),
                  population: int | None = DEFAULT_POPULATION) -> list[dict[str, Any]]:
    """Simulate ``scenario`` with the per-agent reference; the yearly rows (``annual_records``)."""
    m = ReferenceModel(scenario, population=population, start_year=years[0], end_year=years[1],
                       rng=seed)
    while m.running:
        m.step()
    return m.annual_records
