"""The per-agent reference: the citizen and civil-servant rules written the ordinary Mesa way.

:class:`ReferenceModel` *is* :class:`~model.model.EGovModel` — the same constructor, schedule,
year start, events, government, service units, month context, assessment and tallies — except
that its citizens and civil servants are one :class:`mesa.Agent` each (:class:`Citizen`,
:class:`CivilServant`), every rule a method on the agent, written with scalars and the model's
seeded stdlib ``random`` as Mesa's own examples are. :class:`CitizenAgents` and
:class:`CivilServantAgents` hold the agents and answer the model through the interface of the
array model's column-wise populations (:class:`~model.citizens.Citizens`,
:class:`~model.staff.StaffPool`), which hold the same rules.

It exists to show that the array model is this agent-based model
(``tests/test_reference_equivalence.py``: means over seeds agree within stated tolerances) and to
be the speed baseline (``benchmarks/bench.py``). Every parameter is read from the scenario's
behaviour, staff and population tables, never copied, so calibration changes both alike. The
two draw different random numbers (stdlib ``random`` per decision here, blocks of NumPy draws
there), so they agree in distribution, not draw for draw. When a citizen or civil-servant rule
changes in :mod:`model.citizens` or :mod:`model.staff`, change it here too: the equivalence test
is what notices a difference.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
import pandas as pd

from model.behaviour import Behaviour, per_month
from model.citizens import (
    ACCUMULATORS,
    LITERACY_MEAN_BOUNDS,
    N_GROUPS,
    P_SUCCESS_MAX,
    P_SUCCESS_MIN,
    MonthContext,
    Outcomes,
    Requests,
)
from model.model import DEFAULT_POPULATION, EGovModel
from model.rules import IKM_ELEMENTS, SURVEY
from model.runner import DEFAULT_YEARS
from model.scenario import Population, Scenario, Staff
from model.staff import SKILL_MEAN_BOUNDS, HiringPlan, unit_spread
from model.units import UNITS

ONLINE, COUNTER, INTERMEDIARY = "online", "counter", "intermediary"
N_DRAWS = 5
"""Uniforms a request carries for its completion: success, maladministration, complaint,
answer, and which civil servant it meets (drawn when filed, a fixed number, as in the array
model)."""
_STAFF_SHARES = [u.staff_share for u in UNITS]

AGE_BELOW_RETIREMENT_YEARS = 0.01
"""The oldest starting civil servant is this much younger than the retirement age."""


def _clip(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def _beta_with_mean(rng, mean: float, concentration: float) -> float:
    """One Beta draw with the given mean (stdlib ``random.betavariate``)."""
    m = _clip(mean, *SKILL_MEAN_BOUNDS)
    return rng.betavariate(m * concentration, (1.0 - m) * concentration)


def _scalars(ctx: MonthContext) -> MonthContext:
    """The month's context with its per-unit and per-area arrays as lists of Python floats."""
    arrays = {f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx)}
    return dataclasses.replace(ctx, **{k: v.tolist() for k, v in arrays.items()
                                       if isinstance(v, np.ndarray)})


# --- civil servants -----------------------------------------------------------------------
class CivilServant(mesa.Agent):
    """One simulated frontline civil servant (standing for ``model.staff.weight`` real ones)."""

    def __init__(self, model: ReferenceModel, unit: int, age: float, tenure_months: float,
                 digital: float, service: float, integrity: float) -> None:
        super().__init__(model)
        self.unit = unit
        self.age = age
        self.tenure_months = tenure_months
        self.digital, self.service, self.integrity = digital, service, integrity
        self.pending_digital = 0.0  # training gains not yet shown in daily work
        self.pending_service = 0.0
        self.load = 0.0  # last month's requests served over a full month's work

    @classmethod
    def initial(cls, model: ReferenceModel, spec: Staff, bh: Behaviour) -> CivilServant:
        """A civil servant of the starting workforce."""
        r, k = model.random, bh.skill_concentration
        unit = r.choices(range(len(UNITS)), weights=_STAFF_SHARES)[0]
        age = _clip(r.gauss(spec.mean_age_years, spec.age_sd_years), bh.hire_age_min_years,
                    spec.retirement_age_years - AGE_BELOW_RETIREMENT_YEARS)
        return cls(model, unit, age, bh.initial_tenure_months,
                   _beta_with_mean(r, spec.digital_skill, k),
                   _beta_with_mean(r, spec.service_skill, k),
                   _beta_with_mean(r, spec.integrity, k))

    def productivity(self, bh: Behaviour, fragmentation: float) -> float:
        """Requests completed per month: skill speeds work, new hires ramp up, double entry."""
        ramp = min(1.0, (self.tenure_months + 1.0) / bh.hire_learning_months)
        return (bh.requests_per_staff_month * (bh.productivity_at_zero_skill + self.service)
                * ramp
                / (1.0 + bh.staff_burden_per_fragmentation * fragmentation))

    def develop(self, p_train: float, gains: tuple[float, float], load: float,
                regulation: float) -> None:
        """One month: maybe a training (chance ``p_train``, closing ``gains`` of the digital and
        service gaps, shown over the payoff months), learning by doing from last month's
        ``load``, digital skill going out of date, integrity from the rules.
        """
        bh = self.model.config.behaviour
        if p_train > 0.0 and self.random.random() < p_train:
            self.pending_digital += gains[0] * (1.0 - self.digital - self.pending_digital)
            self.pending_service += gains[1] * (1.0 - self.service - self.pending_service)
        payoff = 1.0 / bh.training_payoff_months
        realised = self.pending_digital * payoff
        self.digital += realised
        self.pending_digital -= realised
        realised = self.pending_service * payoff
        self.service += realised
        self.pending_service -= realised
        lbd = per_month(bh.learning_by_doing_per_year) * min(load, bh.learning_load_cap)
        self.service += lbd * (1.0 - self.service)
        self.digital *= 1.0 - per_month(bh.digital_skill_obsolescence_per_year)
        self.integrity += (per_month(bh.integrity_from_regulation_per_year * regulation)
                           * (1.0 - self.integrity))
        self.tenure_months += 1.0
        self.service = _clip(self.service, 0.0, 1.0)
        self.digital = _clip(self.digital, 0.0, 1.0)

    def improve(self, gain: float) -> None:
        """Answered complaints at the unit close part of the skill and integrity gaps."""
        self.service += gain * (1.0 - self.service)
        self.integrity += gain * (1.0 - self.integrity)

    def retires_this_year(self, retirement_age: float) -> bool:
        """A year older; whether that reaches the retirement age."""
        self.age += 1.0
        return self.age >= retirement_age


# --- citizens -----------------------------------------------------------------------------
@dataclass(slots=True)
class Request:
    """One citizen's request this month: the channel chosen, then what happened."""

    unit: int
    online: bool  # made online (alone or assisted)
    assisted: bool  # made online through an assisted-digital agent
    online_ok: bool
    counter: bool  # at a counter (chosen, or after a failed online attempt)
    inter: bool  # through an intermediary
    draws: tuple[float, ...]  # N_DRAWS uniforms for the completion
    servant: CivilServant | None = None
    success: bool = False
    wait: float = 0.0
    maladmin: bool = False
    speed: float = 0.0
    score: float = 0.0
    complained: bool = False
    answered: bool = False
    elements: list[float] | None = None  # survey answers, IKM_ELEMENTS order, 0-1 scale


class Citizen(mesa.Agent):
    """One simulated resident (standing for ``model.citizens.weight`` real ones)."""

    def __init__(self, model: ReferenceModel, pop: Population, bh: Behaviour) -> None:
        super().__init__(model)
        r = self.random
        self.urban = r.random() < pop.urban_share
        # A fixed latent place in the queue for internet coverage: low rank = connected first.
        self.access_rank = r.random()
        # Quintile 0 (reported as q1) is the least connected: the highest ranks.
        self.quintile = 4 - min(int(self.access_rank * 5), 4)
        self.group = self.quintile + 5 * int(self.urban)
        # Literacy goes with access: the better connected know more.
        mean = pop.literacy_urban if self.urban else pop.literacy_rural
        mean = _clip(mean + bh.literacy_access_shift * (0.5 - self.access_rank),
                     *LITERACY_MEAN_BOUNDS)
        k = bh.literacy_concentration
        self.literacy = r.betavariate(mean * k, (1.0 - mean) * k)
        self.satisfaction = bh.initial_satisfaction
        self.trust = bh.initial_trust
        self.expectation: float | None = None  # none until the first request
        self.request: Request | None = None

    def new_year(self) -> None:
        """Literacy drifts up a little each year (schooling, peers, media)."""
        self.literacy += self.model.config.behaviour.literacy_growth_per_year * (1 - self.literacy)

    def in_target(self, target: str) -> bool:
        """Whether this resident belongs to a programme's target group."""
        if target in ("urban", "rural"):
            return self.urban == (target == "urban")
        return target == "all" or self.quintile == int(target[1]) - 1

    def take_course(self) -> None:
        """A digital-literacy course closes part of the literacy gap."""
        self.literacy += self.model.config.behaviour.literacy_course_gain * (1 - self.literacy)

    def choose_channel(self, ctx: MonthContext, demand_cum: Sequence[float],
                       p_need: float) -> Request | None:
        """Maybe need a service this month; if so pick the unit and the channel."""
        r = self.model.random
        if r.random() >= p_need:
            self.request = None
            return None
        bh = self.model.config.behaviour
        x = r.random() * demand_cum[-1]
        unit = next(i for i, c in enumerate(demand_cum) if x <= c)
        area = int(self.urban)
        offered = r.random() < ctx.online_coverage[unit]
        alone = offered and self.access_rank < ctx.coverage[area]
        # An assisted-digital agent within reach files the request online, with the agent's
        # skill, for a resident without access or with less skill than the agent brings.
        assisted = (offered and r.random() < ctx.assisted[area]
                    and (not alone or self.literacy < bh.assisted_literacy))
        skill = bh.assisted_literacy if assisted else self.literacy
        # Multinomial logit over the channels this citizen can use.
        utility = {
            COUNTER: (bh.wait_utility_per_day * ctx.expected_wait[unit]
                      + (0.0 if self.urban else bh.rural_travel_utility
                         * (1.0 - ctx.travel_relief[unit]))),
            INTERMEDIARY: (bh.intermediary_utility_base + bh.intermediary_utility_per_distrust
                           * (1.0 - self.trust) + bh.wait_utility_per_day
                           * ctx.intermediary_days[unit]),
        }
        if alone or assisted:
            utility[ONLINE] = (bh.online_utility_base + bh.online_utility_per_literacy * skill
                               - bh.citizen_confusion_per_fragmentation * ctx.fragmentation
                               + bh.wait_utility_per_day * ctx.online_days[unit])
        top = max(utility.values())
        channels = list(utility)
        channel = r.choices(channels, weights=[math.exp(utility[c] - top) for c in channels])[0]
        online = channel == ONLINE
        online_ok = online and r.random() < _clip(
            bh.online_success_base + bh.online_success_per_literacy * (skill - 0.5)
            - bh.online_failure_per_fragmentation * ctx.fragmentation, P_SUCCESS_MIN, P_SUCCESS_MAX)
        self.request = Request(
            unit=unit, online=online, assisted=online and assisted, online_ok=online_ok,
            # A failed online attempt ends at the counter.
            counter=channel == COUNTER or (online and not online_ok),
            inter=channel == INTERMEDIARY, draws=tuple(r.random() for _ in range(N_DRAWS)))
        return self.request

    def complete_request(self, servant: CivilServant, ctx: MonthContext, wait_days: float,
                         over: float) -> None:
        """Meet the civil servant; success, waiting, maladministration; maybe complain.

        ``wait_days`` is the unit's counter wait this month, ``over`` its utilisation past
        comfortable.
        """
        bh, q = self.model.config.behaviour, self.request
        d, unit = q.draws, q.unit
        q.servant = servant
        if q.inter:
            q.success = d[0] < bh.intermediary_success
            q.wait = ctx.intermediary_days[unit]
        else:
            q.success = q.online_ok
            q.wait = ctx.online_days[unit] if q.online else 0.0
            if q.counter:
                q.success = d[0] < _clip(bh.counter_success_base + bh.counter_success_per_skill
                                         * (servant.service - 0.5) - bh.overload_penalty * over,
                                         P_SUCCESS_MIN, P_SUCCESS_MAX)
                q.wait += wait_days
        # Paying an intermediary is itself maladministration (an unofficial fee).
        q.maladmin = q.inter
        if q.counter:
            p_mal = (bh.maladmin_base * (1.0 - servant.integrity)
                     * (1.0 - bh.maladmin_regulation_effect * ctx.regulation)
                     * (1.0 - bh.enforcement_effect * ctx.enforcement) * (1.0 + over))
            q.maladmin = d[1] < p_mal
        w_clean = max(0.0, 1.0 - bh.satisfaction_weight_success - bh.satisfaction_weight_speed)
        q.speed = math.exp(-q.wait / bh.wait_reference_days)
        q.score = (bh.satisfaction_weight_success * q.success
                   + bh.satisfaction_weight_speed * q.speed + w_clean * (not q.maladmin))
        if q.score < bh.bad_experience_threshold:
            p_complain = (bh.complaint_propensity * ctx.complaint_channel
                          * (1.0 + bh.promotion_complaint_effect * ctx.awareness))
            q.complained = d[2] < min(p_complain, 1.0)

    def hear_back(self, p_answer: float, ctx: MonthContext, crowding: float) -> None:
        """The desk answers a complaint with chance ``p_answer``; then satisfaction (judged
        partly against expectations), trust, expectation and literacy update, and the survey
        is answered. ``crowding`` (0-1) is the unit's this month.
        """
        bh, q = self.model.config.behaviour, self.request
        q.answered = q.complained and q.draws[3] < p_answer
        score = min(1.0, q.score + bh.answered_complaint_bonus * q.answered)
        # A complaint that vanishes costs trust beyond the bad experience itself.
        vanished = q.complained and not q.answered
        trust_target = bh.unanswered_trust_factor * score if vanished else score
        # Expectation-disconfirmation: the first request meets its own expectation.
        expected = score if self.expectation is None else self.expectation
        judged = _clip(bh.expectation_met_satisfaction + score - expected, 0.0, 1.0)
        felt = (1.0 - bh.expectation_weight) * score + bh.expectation_weight * judged
        self.expectation = expected + bh.expectation_adaptation * (score - expected)
        self.satisfaction += bh.satisfaction_memory * (felt - self.satisfaction)
        self.trust += bh.trust_memory * (trust_target - self.trust)
        if q.online and not q.assisted:
            self.literacy += bh.literacy_gain_per_online_use * (1.0 - self.literacy)
        q.elements = self.answer_survey(ctx, crowding, halo=self.satisfaction - score)

    def answer_survey(self, ctx: MonthContext, crowding: float, halo: float) -> list[float]:
        """The nine IKM answers (0-1 scale, :data:`~model.rules.IKM_ELEMENTS` order).

        Each read from what happened on the request, shifted by how the user feels overall
        (``halo``) and answered above the respondents' floor ``ikm_expectation``.
        """
        q, floor = self.request, self.model.config.behaviour.ikm_expectation
        smooth = 1.0 if not (q.counter and q.online) else SURVEY.redirected_procedure_score
        raw = {
            "requirements": ctx.regulation,  # published standards
            "procedure": smooth if q.success else 0.0,
            "time": q.speed,
            "cost": float(not q.maladmin),
            "product": float(q.success),
            "competence": q.servant.service,
            "behaviour": 0.0 if q.maladmin else q.servant.integrity,
            "complaints": float(q.answered) if q.complained else ctx.complaint_channel,
            "facilities": ctx.facilities[q.unit] * (1.0 - crowding),
        }
        return [floor + (1.0 - floor) * _clip(raw[e] + halo, 0.0, 1.0) for e in IKM_ELEMENTS]


# --- the populations, answering the model as the array model's do -------------------------
class CitizenAgents:
    """The citizens as agents, with the interface of :class:`~model.citizens.Citizens`."""

    def __init__(self, model: ReferenceModel, n: int) -> None:
        pop, bh = model.config.population, model.config.behaviour
        self.model = model
        self.members = [Citizen(model, pop, bh) for _ in range(n)]
        self.weight = pop.residents / n
        self.p_need = 1.0 - math.exp(-bh.need_rate_per_year / 12.0)
        self.year_totals = np.zeros((len(ACCUMULATORS), N_GROUPS))
        self.course_taken = 0.0  # real residents who took a literacy course this year

    @property
    def n(self) -> int:
        """Simulated citizens."""
        return len(self.members)

    def _column(self, name: str, dtype: Any = float) -> np.ndarray:
        return np.array([getattr(c, name) for c in self.members], dtype=dtype)

    literacy = property(lambda self: self._column("literacy"))
    access_rank = property(lambda self: self._column("access_rank"))
    urban = property(lambda self: self._column("urban", bool))

    def start_year(self) -> None:
        """Literacy drifts; the year's tallies start again."""
        for c in self.members:
            c.new_year()
        self.year_totals[:] = 0.0
        self.course_taken = 0.0

    def take_courses(self, places: float, target: str, rng: np.random.Generator) -> None:
        """About ``places`` real residents of ``target`` take a literacy course this month
        (a Poisson number of agents from ``rng``, chosen uniformly within the group).
        """
        if places <= 0:
            return
        group = [c for c in self.members if c.in_target(target)]
        n = min(int(rng.poisson(places / self.weight)), len(group))
        for c in self.model.random.sample(group, n):
            c.take_course()
        self.course_taken += n * self.weight

    def choose_channels(self, ctx: MonthContext, demand_cum: np.ndarray) -> Requests:
        """Each citizen maybe files a request; the month's requests as the model reads them."""
        month, cum = _scalars(ctx), demand_cum.tolist()
        filed = [(i, q) for i, c in enumerate(self.members)
                 if (q := c.choose_channel(month, cum, self.p_need)) is not None]
        qs = [q for _, q in filed]
        flags = {name: np.array([getattr(q, name) for q in qs], dtype=bool)
                 for name in ("online", "assisted", "online_ok", "counter", "inter")}
        return Requests(idx=np.array([i for i, _ in filed], dtype=np.intp),
                        unit=np.array([q.unit for q in qs], dtype=np.intp),
                        draws=np.array([q.draws for q in qs]).reshape(-1, N_DRAWS).T, **flags)

    def complete_requests(self, ctx: MonthContext, req: Requests, staff: np.ndarray,
                          skill: np.ndarray, integrity: np.ndarray, wait_days: np.ndarray,
                          excess: np.ndarray, crowding: np.ndarray,
                          desk_capacity: np.ndarray) -> Outcomes:
        """Each request meets the civil servant in row ``staff`` (``skill`` and ``integrity``
        are that agent's, passed on to the outcomes); the desks answer what their capacity
        allows (real complaints per unit); the citizens remember.
        """
        month = _scalars(ctx)
        servants = self.model.staff.members
        wait, over, crowd = wait_days.tolist(), excess.tolist(), crowding.tolist()
        users = [self.members[i] for i in req.idx.tolist()]
        for c, j in zip(users, staff.tolist(), strict=True):
            c.complete_request(servants[j], month, wait[c.request.unit], over[c.request.unit])
        arrived = [0.0] * len(desk_capacity)
        for c in users:
            arrived[c.request.unit] += self.weight * c.request.complained
        p_answer = [min(1.0, cap / max(a, 1e-9)) for cap, a in zip(desk_capacity.tolist(),
                                                                    arrived, strict=True)]
        for c in users:
            c.hear_back(p_answer[c.request.unit], month, crowd[c.request.unit])
            self._tally(c)
        qs = [c.request for c in users]
        col = lambda name, dtype=bool: np.array([getattr(q, name) for q in qs],  # noqa: E731
                                                dtype=dtype)
        elements = np.array([q.elements for q in qs]).reshape(-1, len(IKM_ELEMENTS))
        return Outcomes(unit=req.unit, staff=staff, counter=req.counter, online=req.online,
                        success=col("success"), maladmin=col("maladmin"),
                        complained=col("complained"), answered=col("answered"),
                        wait=col("wait", float), skill=skill, integrity=integrity,
                        elements=elements, answer=elements.mean(axis=1))

    def _tally(self, c: Citizen) -> None:
        q = c.request
        values = (1.0, q.online, q.inter, q.wait, q.success, q.maladmin, q.complained,
                  q.answered, c.satisfaction)
        for row, value in enumerate(values):
            self.year_totals[row, c.group] += value


class CivilServantAgents:
    """The civil servants as agents, with the interface of :class:`~model.staff.StaffPool`.

    ``members`` is kept in order of unit, so a request's row of the staff is found the way the
    array model finds it.
    """

    def __init__(self, model: ReferenceModel, n: int) -> None:
        spec, bh = model.config.staff, model.config.behaviour
        self.model, self.bh = model, bh
        self.weight = spec.civil_servants * spec.frontline_share / n
        self.members = [CivilServant.initial(model, spec, bh) for _ in range(n)]
        self.retirement_age = spec.retirement_age_years
        self.hired_this_year = 0.0  # real persons
        self.selection_this_year = 0.0
        self._sort()

    def _sort(self) -> None:
        self.members.sort(key=lambda s: s.unit)
        self.unit_count = np.bincount([s.unit for s in self.members], minlength=len(UNITS))
        self.unit_start = np.concatenate([[0], np.cumsum(self.unit_count)[:-1]])

    @property
    def n(self) -> int:
        """Simulated civil servants."""
        return len(self.members)

    @property
    def headcount(self) -> float:
        """Real frontline civil servants represented."""
        return self.n * self.weight

    def _column(self, name: str, dtype: Any = float) -> np.ndarray:
        return np.array([getattr(s, name) for s in self.members], dtype=dtype)

    unit = property(lambda self: self._column("unit", np.intp))
    digital = property(lambda self: self._column("digital"))
    service = property(lambda self: self._column("service"))
    integrity = property(lambda self: self._column("integrity"))

    @property
    def load(self) -> np.ndarray:
        """Each civil servant's last month's workload (kept by the agent through turnover)."""
        return self._column("load")

    @load.setter
    def load(self, values: np.ndarray) -> None:
        for s, x in zip(self.members, values.tolist(), strict=True):
            s.load = x

    def productivity(self, fragmentation: float) -> np.ndarray:
        """Requests each simulated civil servant completes this month (before weighting)."""
        return np.array([s.productivity(self.bh, fragmentation) for s in self.members])

    def unit_capacity(self, fragmentation: float) -> np.ndarray:
        """Weighted monthly capacity per unit (real requests)."""
        capacity = [0.0] * len(UNITS)
        for s in self.members:
            capacity[s.unit] += s.productivity(self.bh, fragmentation) * self.weight
        return np.array(capacity)

    def unit_skill(self) -> np.ndarray:
        """Mean of service and digital skill of each unit's staff."""
        total = [0.0] * len(UNITS)
        for s in self.members:
            total[s.unit] += (s.service + s.digital) / 2.0
        return np.array(total) / np.maximum(self.unit_count, 1)

    def serving(self, unit: np.ndarray, draw: np.ndarray) -> np.ndarray:
        """The row of the civil servant each request meets: uniform within its unit, given a
        uniform ``draw`` per request; a unit without staff borrows from all.
        """
        rows = []
        for u, x in zip(unit.tolist(), draw.tolist(), strict=True):
            count = int(self.unit_count[u])
            j = int(self.unit_start[u]) + int(x * count) if count else int(x * self.n)
            rows.append(min(j, self.n - 1))
        return np.array(rows, dtype=np.intp)

    def develop(self, competency: float, regulation: float, expected_load: np.ndarray,
                digital_share: float, units: tuple[int, ...]) -> None:
        """The month's trainings, spread over the staff of ``units`` (``digital_share`` of
        each aimed at digital skills), and every civil servant's month of development.
        """
        bh = self.bh
        aimed = [s.unit in units for s in self.members]
        n_aimed = sum(aimed)
        rate = bh.training_share_per_year * competency * self.n / max(n_aimed, 1)
        p_train = per_month(rate)
        gains = (min(1.0, 2.0 * digital_share * bh.training_gain),
                 min(1.0, 2.0 * (1.0 - digital_share) * bh.training_gain))
        for s, a, load in zip(self.members, aimed, expected_load.tolist(), strict=True):
            s.develop(p_train if a else 0.0, gains, load, regulation)

    def improve_units(self, unit_gain: np.ndarray) -> None:
        """Answered complaints improve each unit's civil servants (capped per month)."""
        gain = np.minimum(unit_gain, self.bh.max_unit_improvement_per_month).tolist()
        for s in self.members:
            s.improve(gain[s.unit])

    def age_and_turn_over(self, plan: HiringPlan) -> np.ndarray:
        """A year older; those at retirement age leave; hires by ``plan``, unit by unit.

        Returns real retirements per unit.
        """
        retired, staying = np.zeros(len(UNITS)), []
        for s in self.members:
            if s.retires_this_year(self.retirement_age):
                retired[s.unit] += self.weight
                s.remove()
            else:
                staying.append(s)
        self.members = staying
        self._sort()
        routine = unit_spread(plan.routine_share * self.headcount, tuple(range(len(UNITS))))
        fixed = unit_spread(plan.fixed_hires, plan.units)
        posts: list[int] = []
        for u in range(len(UNITS)):
            planned = u in plan.units  # replacements and targets act at the plan's units only
            wanted = routine[u] + fixed[u] + (plan.replace_retirements * retired[u]
                                              if planned else 0.0)
            if plan.target_per_unit is not None and planned:
                wanted = max(wanted, plan.target_per_unit[u] - self.unit_count[u] * self.weight)
            posts += [u] * int(self.model.rng.poisson(wanted / self.weight))
        self.hired_this_year = len(posts) * self.weight
        self.selection_this_year = plan.selection
        self.hire(np.array(posts, dtype=np.intp), plan.quality, plan.selection)
        return retired

    def hire(self, unit: np.ndarray, quality: float, selection: float = 0.0) -> None:
        """One recruit per entry of ``unit`` (the post's unit): young, no tenure.

        ``1 / (1 - selection)`` applicants per post, of mean skill ``quality``; the best of them
        by service skill are hired, and sent to the posts in random order.
        """
        if len(unit) == 0:
            return
        bh, r, k = self.bh, self.model.random, self.bh.skill_concentration
        n_applicants = max(len(unit), round(len(unit) / (1.0 - selection)))
        applicants = [(_beta_with_mean(r, quality, k),
                       _beta_with_mean(r, quality + bh.hire_digital_premium, k))
                      for _ in range(n_applicants)]
        hired = sorted(applicants, key=lambda a: -a[0])[:len(unit)]
        r.shuffle(hired)
        integrity = (float(np.mean([s.integrity for s in self.members])) if self.members
                     else self.model.config.staff.integrity)
        for u, (service, digital) in zip(unit.tolist(), hired, strict=True):
            self.members.append(CivilServant(
                self.model, u, r.uniform(bh.hire_age_min_years, bh.hire_age_max_years), 0.0,
                digital, service, _beta_with_mean(r, integrity, k)))
        self._sort()


# --- the model ----------------------------------------------------------------------------
class ReferenceModel(EGovModel):
    """:class:`~model.model.EGovModel` with one Mesa agent per citizen and per civil servant.

    Everything but the populations is the array model's own (its docstring gives the phases);
    ``annual_records`` has the same rows and columns.
    """

    def _new_citizens(self, n: int) -> CitizenAgents:
        return CitizenAgents(self, n)

    def _new_staff(self, n: int) -> CivilServantAgents:
        return CivilServantAgents(self, n)


def run_reference(scenario: Scenario, seed: int, *, years: tuple[int, int] = DEFAULT_YEARS,
                  population: int | None = DEFAULT_POPULATION) -> pd.DataFrame:
    """Simulate ``scenario`` with the per-agent reference: one row per year."""
    m = ReferenceModel(scenario, population=population, start_year=years[0], end_year=years[1],
                       rng=seed)
    while m.running:
        m.step()
    return pd.DataFrame(m.annual_records)
