"""Residents, held column-wise: one row per simulated citizen, each standing for ``weight``.

State per citizen (23 bytes): urban (bool), access rank (float32, a fixed latent place in the
queue for internet coverage: low rank = connected first), access quintile and group (int8),
digital literacy, remembered satisfaction, trust and expected experience (float32; NaN until
the first request).

A month of requests is two calls, with the units' queues settled between them by the model:
:meth:`Citizens.choose_channels` (needs arise; each needing citizen picks a unit; channel choice
— online, counter, intermediary — by a multinomial logit over what the citizen can reach, an
assisted-digital agent standing in for the skill or access a resident lacks; failed online
attempts end at the counter) and :meth:`Citizens.complete_requests` (each request meets its
civil servant; success, waiting and maladministration; dissatisfied users may complain and the
desks answer as their capacity allows; satisfaction, judged partly against expectations, trust,
expectations and literacy update; every user answers the nine IKM elements).

One object may hold several runs of the same size side by side (:meth:`Citizens.merge`, for a
batch of runs stepped as one array pass, :mod:`model.batch`): rows are run after run, each run
draws from its own stream, and per-unit quantities of the month context are then per *cell*
(run x unit, run-major) and per-run ones arrays over runs. A single run is the case of one run,
with per-unit arrays and scalars as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model._sums import sums_by
from model.behaviour import Behaviour
from model.rules import IKM_ELEMENTS, SURVEY
from model.scenario import Population

ONLINE, COUNTER, INTERMEDIARY = 0, 1, 2
N_GROUPS = 10  # access quintile (0-4) + 5 * urban
ACCUMULATORS = ("visits", "online", "intermediary", "wait_days", "success", "maladmin",
                "complaints", "answered", "satisfaction")
P_SUCCESS_MIN, P_SUCCESS_MAX = 0.02, 0.99
"""Bounds of a request's success probability: no channel is certain to fail or succeed (shared
with the per-agent reference model, :mod:`model.reference`)."""
LITERACY_MEAN_BOUNDS = (0.02, 0.98)
"""Numerical guard: bounds of a resident's mean literacy after the access shift, a Beta mean
strictly inside (0, 1) (shared with :mod:`model.reference`)."""


@dataclass
class MonthContext:
    """What citizens face this month (set by the model from the government and the units).

    For several runs (:meth:`Citizens.merge`) every per-unit array is per cell (run x unit,
    run-major), [rural, urban] pairs are per run x area, and each scalar is an array over runs.
    """

    coverage: np.ndarray  # internet access share, [rural, urban]
    online_coverage: np.ndarray  # per unit: share of services online
    expected_wait: np.ndarray  # per unit, days
    online_days: np.ndarray  # per unit, days
    intermediary_days: np.ndarray  # per unit, days
    travel_relief: np.ndarray  # per unit: share of rural travel penalty removed (MPP)
    facilities: np.ndarray  # per unit: quality of counters, rooms and portals, 0-1
    assisted: np.ndarray  # [rural, urban]: chance an assisted-digital agent is within reach
    fragmentation: float
    regulation: float  # published service standards, 0-1
    enforcement: float  # enforcement stock, 0-1
    complaint_channel: float  # availability of complaint channels, 0-1
    awareness: float  # residents' awareness of the channels (promotion), 0-1


class _Cells:
    """Requests of one run or several: ``cells`` reads the unit or the run x unit cell."""

    unit: np.ndarray
    cell: np.ndarray | None

    @property
    def cells(self) -> np.ndarray:
        """The run x unit cell of each request (the unit, for a single run)."""
        return self.unit if self.cell is None else self.cell


@dataclass
class Requests(_Cells):
    """The month's requests after channel choice (one entry per request)."""

    idx: np.ndarray  # citizen row
    unit: np.ndarray
    online: np.ndarray  # made online (alone or assisted)
    assisted: np.ndarray  # made online through an assisted-digital agent
    online_ok: np.ndarray
    counter: np.ndarray  # at a counter (chosen, or after a failed online attempt)
    inter: np.ndarray  # through an intermediary
    draws: np.ndarray  # (5, k) uniforms for the completing step, drawn here (fixed count)
    run: np.ndarray | None = None  # run of each request (None: a single run)
    cell: np.ndarray | None = None  # run x unit cell (None: the unit)
    bounds: np.ndarray | None = None  # first request of each run, and the end (several runs)


@dataclass
class Outcomes(_Cells):
    """What happened to each request (arrays), for the units' and assessors' tallies."""

    unit: np.ndarray
    staff: np.ndarray
    counter: np.ndarray
    online: np.ndarray
    success: np.ndarray
    maladmin: np.ndarray
    complained: np.ndarray
    answered: np.ndarray
    wait: np.ndarray
    skill: np.ndarray
    integrity: np.ndarray
    elements: np.ndarray  # (k, 9): survey answers, 0-1 scale, IKM_ELEMENTS order
    answer: np.ndarray  # mean of a request's nine answers
    run: np.ndarray | None = None  # as in Requests
    cell: np.ndarray | None = None
    bounds: np.ndarray | None = None


def _clip(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``np.clip(x, lo, hi)`` for scalar bounds, as two ufunc calls without ``np.clip``'s
    Python-level overhead: the same values (NaN stays NaN), the same dtype.
    """
    out = np.maximum(x, lo)
    return np.minimum(out, hi, out=out)


def _pick(x, run: np.ndarray | None):
    """A per-run value for each request: ``x`` itself for a single run (``run`` None)."""
    return x if run is None else x[run]


def _f32(x, run: np.ndarray | None):
    """A per-run value that meets float32 citizen or staff values, for each request: as
    float32, the way NumPy casts a Python float there, so that several runs compute in the
    precision each run alone does.
    """
    return np.float32(x) if run is None else np.asarray(x, dtype=np.float32)[run]


def _cell(index: np.ndarray, run: np.ndarray | None, width: int) -> np.ndarray:
    """Run x ``width`` cell of each entry (run-major); ``index`` itself for a single run."""
    return index if run is None else run * width + index


def _needing(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Indices of the ``n`` citizens who need a service this month, in increasing order.

    Each citizen needs one with probability ``p``, independently of the others. Drawn as the
    geometric gaps between consecutive needing citizens: the same Bernoulli process, with one
    draw per request instead of one per citizen.
    """
    expected = n * p
    gaps = rng.geometric(p, size=int(expected + 6.0 * np.sqrt(expected) + 16))
    position = np.cumsum(gaps) - 1
    while position[-1] < n:  # rarely: the gaps drawn did not reach the last citizen
        more = np.cumsum(rng.geometric(p, size=len(gaps))) + position[-1]
        position = np.concatenate([position, more])
    return position[:np.searchsorted(position, n)]


def _mean_of_nine(elements: np.ndarray) -> np.ndarray:
    """``elements.mean(axis=1)`` of a (k, 9) array, as nine whole-column additions in NumPy's
    own (pairwise) order for a row of nine: the same values, without a reduction per row.
    """
    e = elements.T
    return ((((e[0] + e[1]) + (e[2] + e[3])) + ((e[4] + e[5]) + (e[6] + e[7]))) + e[8]) / 9.0


def _bin_of(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``np.searchsorted(edges, x)`` for x <= edges[-1], counting the edges below each x: for a
    handful of edges several times faster than a binary search per element.
    """
    out = np.zeros(len(x), dtype=np.intp)
    for edge in edges[:-1]:
        out += x > edge
    return out


_STATE = ("urban", "access_rank", "quintile", "group", "literacy", "satisfaction", "trust",
          "expectation")
"""The per-citizen columns (see the module docstring)."""


class Citizens:
    """The resident population of a region (or of several runs, :meth:`merge`)."""

    def __init__(self, pop: Population, bh: Behaviour, n_sim: int,
                 rng: np.random.Generator) -> None:
        self.rng = rng
        self.bh = bh
        self.weight = pop.residents / n_sim
        self.urban = rng.random(n_sim) < pop.urban_share
        # Access rank: within urban and rural alike, uniform on [0, 1); a citizen is online
        # when the coverage of their area exceeds their rank.
        self.access_rank = rng.random(n_sim, dtype=np.float32)
        # Quintile 0 (reported as q1) is the least connected: the highest ranks.
        self.quintile = 4 - np.minimum((self.access_rank * 5).astype(np.int8), 4)
        self.group = (self.quintile + 5 * self.urban).astype(np.int8)
        mean = np.where(self.urban, pop.literacy_urban, pop.literacy_rural)
        # Literacy correlates with access: the better connected know more (rank shifts the mean).
        mean = np.clip(mean + bh.literacy_access_shift * (0.5 - self.access_rank),
                       *LITERACY_MEAN_BOUNDS)
        conc = bh.literacy_concentration
        self.literacy = rng.beta(mean * conc, (1 - mean) * conc).astype(np.float32)
        self.satisfaction = np.full(n_sim, bh.initial_satisfaction, dtype=np.float32)
        self.trust = np.full(n_sim, bh.initial_trust, dtype=np.float32)
        self.expectation = np.full(n_sim, np.nan, dtype=np.float32)
        self.p_need = np.float32(1.0 - np.exp(-bh.need_rate_per_year / 12.0))
        self.year_totals = np.zeros((len(ACCUMULATORS), N_GROUPS))
        self.course_taken = 0.0  # real residents who took a literacy course this year
        self.runs, self.rngs, self.n_each = 1, [rng], n_sim

    @classmethod
    def merge(cls, parts: list[Citizens]) -> Citizens:
        """Several runs' citizens (the same behaviour and size) as one object, rows run after
        run, each run drawing from its own stream. Each part's state becomes a view of the
        merged arrays, so what the merged object does in place each part sees.
        """
        first = parts[0]
        if any(p.bh != first.bh or p.n != first.n or p.runs != 1 for p in parts):
            raise ValueError("merged citizens need single runs of one behaviour and size")
        m = cls.__new__(cls)
        m.bh, m.p_need = first.bh, first.p_need
        m.rng = first.rng if len(parts) == 1 else None  # one run draws as it would alone
        m.runs, m.rngs, m.n_each = len(parts), [p.rng for p in parts], first.n
        m.weight = np.array([p.weight for p in parts])
        for name in _STATE:
            setattr(m, name, np.concatenate([getattr(p, name) for p in parts]))
        m.year_totals = np.stack([p.year_totals for p in parts])
        m.course_taken = 0.0
        for b, p in enumerate(parts):
            rows = slice(b * m.n_each, (b + 1) * m.n_each)
            for name in _STATE:
                setattr(p, name, getattr(m, name)[rows])
            p.year_totals = m.year_totals[b]
        return m

    def cell_weight(self, n_cells: int):
        """Real residents per simulated one, per run x unit cell (a scalar for one run)."""
        return self.weight if self.runs == 1 else np.repeat(self.weight, n_cells // self.runs)

    @property
    def n(self) -> int:
        """Simulated citizens."""
        return len(self.urban)

    @property
    def nbytes(self) -> int:
        """Bytes of per-citizen state."""
        return sum(getattr(self, name).nbytes for name in _STATE)

    def start_year(self) -> None:
        """Everyone's literacy drifts up a little each year (schooling, peers, media)."""
        self.literacy += np.float32(self.bh.literacy_growth_per_year) * (1 - self.literacy)
        self.year_totals[:] = 0.0
        self.course_taken = 0.0

    def in_target(self, target: str) -> np.ndarray:
        """Which residents belong to a target group (all, urban, rural, q1 ... q5)."""
        if target == "all":
            return np.ones(self.n, dtype=bool)
        if target in ("urban", "rural"):
            return self.urban if target == "urban" else ~self.urban
        return self.quintile == int(target[1]) - 1

    def take_courses(self, places: float, target: str, rng: np.random.Generator) -> None:
        """``places`` real residents of ``target`` take a literacy course this month: each
        closes ``literacy_course_gain`` of their literacy gap. Participants are drawn from
        ``rng`` (the programmes' own stream) uniformly within the group.
        """
        if places <= 0:
            return
        members = np.flatnonzero(self.in_target(target))
        if not len(members):
            return
        n = min(int(rng.poisson(places / self.weight)), len(members))
        who = rng.choice(members, size=n, replace=False)
        self.literacy[who] += np.float32(self.bh.literacy_course_gain) * (1 - self.literacy[who])
        self.course_taken += n * self.weight

    def _month_draws(self):
        """Each run's needing citizens and its two sets of five uniforms per request, from the
        run's own stream in a fixed order: (rows, u, draws, run, bounds), with ``run`` and
        ``bounds`` None for a single run.
        """
        p = float(self.p_need)
        if self.runs == 1:
            idx = _needing(self.rng, self.n, p)
            u = self.rng.random((10, len(idx)))  # the stream's next 5k, then 5k more
            return idx, u[:5], u[5:], None, None
        idx, us = [], []
        for b, rng in enumerate(self.rngs):
            rows = _needing(rng, self.n_each, p)
            idx.append(rows + b * self.n_each)
            us.append(rng.random((10, len(rows))))
        counts = np.array([len(r) for r in idx])
        bounds = np.concatenate([[0], np.cumsum(counts)])
        u = np.concatenate(us, axis=1)
        return (np.concatenate(idx), u[:5], u[5:], np.repeat(np.arange(self.runs), counts),
                bounds)

    def choose_channels(self, ctx: MonthContext, demand_cum: np.ndarray) -> Requests:
        """Needs, units and channels for this month's requests."""
        bh = self.bh
        # u: unit, offered, assisted, channel, online success; d: for complete_requests
        idx, u, d, run, bounds = self._month_draws()
        unit = _bin_of(u[0] * demand_cum[-1], demand_cum)
        cell = _cell(unit, run, len(demand_cum))
        urban = self.urban[idx]
        area = _cell(urban.astype(np.intp), run, 2)
        lit = self.literacy[idx]
        trust = self.trust[idx]

        # Channel choice: multinomial logit over the channels this citizen can use. A resident
        # without access (or with less skill than an agent brings) may be reached by an
        # assisted-digital agent, who files the request online with the agent's skill.
        offered = u[1] < ctx.online_coverage[cell]
        alone = (self.access_rank[idx] < ctx.coverage[area]) & offered
        agent = offered & (u[2] < ctx.assisted[area])
        assisted = agent & (~alone | (lit < bh.assisted_literacy))
        skill = np.where(assisted, np.float32(bh.assisted_literacy), lit)
        can_online = alone | assisted
        # Terms that depend only on the unit are computed per unit, then picked per request
        # (the same products, four of them instead of one per request).
        wu = bh.wait_utility_per_day
        u_online = (bh.online_utility_base + bh.online_utility_per_literacy * skill
                    - _f32(bh.citizen_confusion_per_fragmentation * ctx.fragmentation, run)
                    + (wu * ctx.online_days)[cell])
        u_counter = ((wu * ctx.expected_wait)[cell]
                     + np.where(urban, 0.0, (bh.rural_travel_utility
                                             * (1.0 - ctx.travel_relief))[cell]))
        u_inter = (bh.intermediary_utility_base + bh.intermediary_utility_per_distrust
                   * (1.0 - trust) + (wu * ctx.intermediary_days)[cell])
        top = np.maximum(np.maximum(np.where(can_online, u_online, -np.inf), u_counter), u_inter)
        e_on = np.where(can_online, np.exp(u_online - top), 0.0)
        e_ct = np.exp(u_counter - top)
        e_in = np.exp(u_inter - top)
        r = u[3] * (e_on + e_ct + e_in)
        channel = np.where(r < e_on, ONLINE, np.where(r < e_on + e_ct, COUNTER, INTERMEDIARY))

        online = channel == ONLINE
        p_online_ok = _clip(bh.online_success_base + bh.online_success_per_literacy
                            * (skill - 0.5) - _f32(bh.online_failure_per_fragmentation
                                                   * ctx.fragmentation, run),
                            P_SUCCESS_MIN, P_SUCCESS_MAX)
        online_ok = online & (u[4] < p_online_ok)
        return Requests(idx=idx, unit=unit, online=online, assisted=online & assisted,
                        online_ok=online_ok, counter=(channel == COUNTER) | (online & ~online_ok),
                        inter=channel == INTERMEDIARY, draws=d, run=run,
                        cell=None if run is None else cell, bounds=bounds)

    def complete_requests(self, ctx: MonthContext, req: Requests, staff: np.ndarray,
                          skill: np.ndarray, integrity: np.ndarray, wait_days: np.ndarray,
                          excess: np.ndarray, crowding: np.ndarray,
                          desk_capacity: np.ndarray) -> Outcomes:
        """Outcomes of this month's requests, and what they do to the citizens who made them.

        ``staff``, ``skill`` and ``integrity`` are per request (the civil servant met);
        ``wait_days``, ``excess`` (utilisation past comfortable), ``crowding`` (0-1) and
        ``desk_capacity`` (complaints the desks can answer, real) are per unit.
        """
        bh, run, cell = self.bh, req.run, req.cells
        unit, counter, online, inter, d = req.unit, req.counter, req.online, req.inter, req.draws
        over = excess[cell]
        p_counter_ok = _clip(bh.counter_success_base + bh.counter_success_per_skill
                             * (skill - 0.5) - bh.overload_penalty * over,
                             P_SUCCESS_MIN, P_SUCCESS_MAX)
        success = np.where(inter, d[0] < bh.intermediary_success,
                           np.where(counter, d[0] < p_counter_ok, req.online_ok))
        wait = np.where(inter, ctx.intermediary_days[cell],
                        np.where(counter, wait_days[cell], 0.0)
                        + np.where(online, ctx.online_days[cell], 0.0))
        p_mal = (bh.maladmin_base * (1.0 - integrity)
                 * _f32(1.0 - bh.maladmin_regulation_effect * ctx.regulation, run)
                 * _f32(1.0 - bh.enforcement_effect * ctx.enforcement, run) * (1.0 + over))
        # Paying an intermediary is itself maladministration (an unofficial fee).
        maladmin = inter | (counter & (d[1] < p_mal))

        w_clean = max(0.0, 1.0 - bh.satisfaction_weight_success - bh.satisfaction_weight_speed)
        speed = np.exp(-wait / bh.wait_reference_days)
        score = (bh.satisfaction_weight_success * success + bh.satisfaction_weight_speed * speed
                 + w_clean * ~maladmin)
        unhappy = score < bh.bad_experience_threshold
        p_complain = (bh.complaint_propensity * _pick(ctx.complaint_channel, run)
                      * (1.0 + bh.promotion_complaint_effect * _pick(ctx.awareness, run)))
        complained = unhappy & (d[2] < np.minimum(p_complain, 1.0))
        # The desks answer as their capacity allows: the share of this month's complaints
        # (real, per unit) that fits in it.
        arrived = np.bincount(cell[complained], minlength=len(desk_capacity)) * self.cell_weight(
            len(desk_capacity))
        p_answer = np.minimum(1.0, desk_capacity / np.maximum(arrived, 1e-9))
        answered = complained & (d[3] < p_answer[cell])
        score = np.minimum(1.0, score + bh.answered_complaint_bonus * answered)
        # A complaint that vanishes costs trust beyond the bad experience itself.
        trust_target = np.where(complained & ~answered, bh.unanswered_trust_factor * score, score)

        idx = req.idx
        # Expectation-disconfirmation: part of satisfaction is the experience measured against
        # what this citizen expected (their first request meets its own expectation).
        expected = self.expectation[idx]
        expected = np.where(np.isnan(expected), score, expected)
        judged = _clip(bh.expectation_met_satisfaction + score - expected, 0.0, 1.0)
        felt = (1.0 - bh.expectation_weight) * score + bh.expectation_weight * judged
        self.expectation[idx] = expected + bh.expectation_adaptation * (score - expected)
        sat = self.satisfaction[idx]
        sat += np.float32(bh.satisfaction_memory) * (felt - sat)
        self.satisfaction[idx] = sat
        trust = self.trust[idx]
        self.trust[idx] = trust + np.float32(bh.trust_memory) * (trust_target - trust)
        used = idx[online & ~req.assisted]
        gain = np.float32(bh.literacy_gain_per_online_use)
        self.literacy[used] += gain * (1 - self.literacy[used])

        elements = self._survey_answers(ctx, req, success, speed, maladmin, complained,
                                        answered, skill, integrity, crowding, sat - score)
        # the nine tallies by group (by run x group), fused when few
        group = _cell(self.group[idx].astype(np.intp), run, N_GROUPS)
        sums = sums_by(group, (None, online, inter, wait, success, maladmin, complained,
                               answered, sat), len(ACCUMULATORS), self.runs * N_GROUPS)
        if run is None:
            self.year_totals += sums.T
        else:
            self.year_totals += sums.reshape(self.runs, N_GROUPS, -1).transpose(0, 2, 1)
        return Outcomes(unit=unit, staff=staff, counter=counter, online=online, success=success,
                        maladmin=maladmin, complained=complained, answered=answered, wait=wait,
                        skill=skill, integrity=integrity, elements=elements,
                        answer=_mean_of_nine(elements), run=run, cell=req.cell,
                        bounds=req.bounds)

    def _survey_answers(self, ctx: MonthContext, req: Requests, success, speed, maladmin,
                        complained, answered, skill, integrity, crowding,
                        halo) -> np.ndarray:
        """Each user's answers to the nine IKM elements (0-1 scale, before the 1-4 mapping).

        Each element is read from what happened on the request (requirements: published
        standards; procedure: done at the first channel, redirected, or failed; time: the speed
        score; cost: no unofficial fee; product: success; competence and behaviour: the civil
        servant met; complaints: answered or not, else whether a channel exists; facilities:
        the unit's rooms and portals, less crowding), shifted by how the user feels overall
        (``halo``: remembered satisfaction minus this request's score, which carries memory and
        disconfirmation into the answers), and answered with the respondents' floor
        ``ikm_expectation``: f + (1 - f) * e. Returned as (k, 9), a view of one row per element.
        """
        bh, unit, run, cell = self.bh, req.unit, req.run, req.cells
        k = len(unit)
        redirected = req.counter & req.online
        procedure = np.where(success, np.where(redirected, SURVEY.redirected_procedure_score,
                                               1.0), 0.0)
        raw = np.empty((len(IKM_ELEMENTS), k))  # an element per row: each written at once
        raw[0] = _pick(ctx.regulation, run)
        raw[1] = procedure
        raw[2] = speed
        raw[3] = ~maladmin
        raw[4] = success
        raw[5] = skill
        raw[6] = np.where(maladmin, 0.0, integrity)
        raw[7] = np.where(complained, answered, _pick(ctx.complaint_channel, run))
        raw[8] = (ctx.facilities * (1.0 - crowding))[cell]  # per unit, then per request
        raw += halo
        e = _clip(raw, 0.0, 1.0)
        f = bh.ikm_expectation
        e *= 1.0 - f
        e += f
        return e.T
