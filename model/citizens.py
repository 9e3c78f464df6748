"""Residents, held column-wise: one row per simulated citizen, each standing for ``weight``.

State per citizen (23 bytes): urban (bool), access rank (float32, a fixed latent place in the
queue for internet coverage: low rank = connected first), access quintile and group (int8),
digital literacy, remembered satisfaction, trust and expected experience (float32; NaN until
the first request).

:meth:`Citizens.seek_service` is one month of requests. Its order: needs arise; each needing
citizen picks a unit; channel choice (online, counter, intermediary) by a multinomial logit over
what the citizen can reach; counters' utilisation and waiting follow from the demand just
chosen; each counter or online request meets an individual civil servant; success, waiting and
maladministration are drawn; dissatisfied users may complain and may be answered; satisfaction
(judged partly against expectations), trust, expectations and literacy update.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.behaviour import Behaviour
from model.scenario import Population

ONLINE, COUNTER, INTERMEDIARY = 0, 1, 2
N_GROUPS = 10  # access quintile (0-4) + 5 * urban
ACCUMULATORS = ("visits", "online", "intermediary", "wait_days", "success", "maladmin",
                "complaints", "answered", "satisfaction")


@dataclass
class MonthContext:
    """What citizens face this month (set by the model from the government and the units)."""

    coverage: np.ndarray  # internet access share, [rural, urban]
    online_coverage: np.ndarray  # per unit: share of services online
    expected_wait: np.ndarray  # per unit, days
    online_days: np.ndarray  # per unit, days
    intermediary_days: np.ndarray  # per unit, days
    travel_relief: np.ndarray  # per unit: share of rural travel penalty removed (MPP)
    fragmentation: float
    regulation: float
    complaint_channel: float  # availability of complaint channels, 0-1
    answer_rate: float  # chance a complaint is answered


def _bin_of(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``np.searchsorted(edges, x)`` for x <= edges[-1], counting the edges below each x: for a
    handful of edges several times faster than a binary search per element.
    """
    out = np.zeros(len(x), dtype=np.intp)
    for edge in edges[:-1]:
        out += x > edge
    return out


class Citizens:
    """The resident population of a region."""

    def __init__(self, pop: Population, bh: Behaviour, n_sim: int,
                 rng: np.random.Generator) -> None:
        self.rng = rng
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
        mean = np.clip(mean + 0.2 * (0.5 - self.access_rank), 0.02, 0.98)
        conc = 8.0
        self.literacy = rng.beta(mean * conc, (1 - mean) * conc).astype(np.float32)
        self.satisfaction = np.full(n_sim, 0.7, dtype=np.float32)
        self.trust = np.full(n_sim, 0.6, dtype=np.float32)
        self.expectation = np.full(n_sim, np.nan, dtype=np.float32)
        self.p_need = np.float32(1.0 - np.exp(-bh.need_rate_per_year / 12.0))
        self.year_totals = np.zeros((len(ACCUMULATORS), N_GROUPS))

    @property
    def n(self) -> int:
        """Simulated citizens."""
        return len(self.urban)

    @property
    def nbytes(self) -> int:
        """Bytes of per-citizen state."""
        return sum(a.nbytes for a in (self.urban, self.access_rank, self.quintile, self.group,
                                      self.literacy, self.satisfaction, self.trust,
                                      self.expectation))

    def start_year(self, bh: Behaviour) -> None:
        """Everyone's literacy drifts up a little each year (schooling, peers, media)."""
        self.literacy += np.float32(bh.literacy_growth_per_year) * (1 - self.literacy)
        self.year_totals[:] = 0.0

    def _needing(self) -> np.ndarray:
        """Indices of the citizens who need a service this month, in increasing order.

        Each citizen needs one with probability ``p_need``, independently of the others. Drawn
        as the geometric gaps between consecutive needing citizens: the same Bernoulli process,
        with one draw per request instead of one per citizen.
        """
        n, p = self.n, float(self.p_need)
        expected = n * p
        gaps = self.rng.geometric(p, size=int(expected + 6.0 * np.sqrt(expected) + 16))
        position = np.cumsum(gaps) - 1
        while position[-1] < n:  # rarely: the gaps drawn did not reach the last citizen
            more = np.cumsum(self.rng.geometric(p, size=len(gaps))) + position[-1]
            position = np.concatenate([position, more])
        return position[:np.searchsorted(position, n)]

    def seek_service(self, bh: Behaviour, ctx: MonthContext, demand_cum: np.ndarray,
                     settle) -> dict[str, np.ndarray]:
        """One month of requests; ``settle(counter_demand, online_demand)`` lets the units set
        utilisation and wait from the demand chosen, and returns (wait_days, utilisation,
        staff index function). Returns per-request arrays the model needs afterwards.
        """
        rng = self.rng
        idx = self._needing()
        k = len(idx)
        unit = _bin_of(rng.random(k) * demand_cum[-1], demand_cum)
        urban = self.urban[idx]
        lit = self.literacy[idx]
        trust = self.trust[idx]

        # Channel choice: multinomial logit over the channels this citizen can use.
        has_access = self.access_rank[idx] < ctx.coverage[urban.astype(np.intp)]
        offered = rng.random(k) < ctx.online_coverage[unit]
        can_online = has_access & offered
        u_online = (bh.online_utility_base + bh.online_utility_per_literacy * lit
                    - bh.citizen_confusion_per_fragmentation * ctx.fragmentation
                    + bh.wait_utility_per_day * ctx.online_days[unit])
        u_counter = (bh.wait_utility_per_day * ctx.expected_wait[unit]
                     + np.where(urban, 0.0, bh.rural_travel_utility
                                * (1.0 - ctx.travel_relief[unit])))
        u_inter = (bh.intermediary_utility_base + bh.intermediary_utility_per_distrust
                   * (1.0 - trust) + bh.wait_utility_per_day * ctx.intermediary_days[unit])
        top = np.maximum(np.maximum(np.where(can_online, u_online, -np.inf), u_counter), u_inter)
        e_on = np.where(can_online, np.exp(u_online - top), 0.0)
        e_ct = np.exp(u_counter - top)
        e_in = np.exp(u_inter - top)
        r = rng.random(k) * (e_on + e_ct + e_in)
        channel = np.where(r < e_on, ONLINE, np.where(r < e_on + e_ct, COUNTER, INTERMEDIARY))

        online = channel == ONLINE
        p_online_ok = np.clip(bh.online_success_base + bh.online_success_per_literacy * (lit - 0.5)
                              - bh.online_failure_per_fragmentation * ctx.fragmentation,
                              0.02, 0.99)
        online_ok = online & (rng.random(k) < p_online_ok)
        # A failed online attempt ends at the counter.
        counter = (channel == COUNTER) | (online & ~online_ok)
        inter = channel == INTERMEDIARY

        wait_days, utilisation, staff_of = settle(unit[counter], unit[online])
        staff = staff_of(unit, rng.random(k))
        skill, integrity = staff[1], staff[2]
        over = np.maximum(utilisation[unit] - 0.8, 0.0)
        p_counter_ok = np.clip(bh.counter_success_base + bh.counter_success_per_skill
                               * (skill - 0.5) - bh.overload_penalty * over, 0.02, 0.99)
        draw = rng.random(k)
        success = np.where(inter, draw < bh.intermediary_success,
                           np.where(counter, draw < p_counter_ok, online_ok))
        wait = np.where(inter, ctx.intermediary_days[unit],
                        np.where(counter, wait_days[unit], 0.0)
                        + np.where(online, ctx.online_days[unit], 0.0))
        p_mal = (bh.maladmin_base * (1.0 - integrity)
                 * (1.0 - bh.maladmin_regulation_effect * ctx.regulation) * (1.0 + over))
        # Paying an intermediary is itself maladministration (an unofficial fee).
        maladmin = inter | (counter & (rng.random(k) < p_mal))

        w_clean = max(0.0, 1.0 - bh.satisfaction_weight_success - bh.satisfaction_weight_speed)
        score = (bh.satisfaction_weight_success * success
                 + bh.satisfaction_weight_speed * np.exp(-wait / bh.wait_reference_days)
                 + w_clean * ~maladmin)
        unhappy = score < bh.bad_experience_threshold
        complain = unhappy & (rng.random(k) < bh.complaint_propensity * ctx.complaint_channel)
        answered = complain & (rng.random(k) < ctx.answer_rate)
        score = np.minimum(1.0, score + bh.answered_complaint_bonus * answered)
        # A complaint that vanishes costs trust beyond the bad experience itself.
        trust_target = np.where(complain & ~answered, 0.5 * score, score)

        # Expectation-disconfirmation: part of satisfaction is the experience measured against
        # what this citizen expected (their first request meets its own expectation).
        expected = self.expectation[idx]
        expected = np.where(np.isnan(expected), score, expected)
        judged = np.clip(bh.expectation_met_satisfaction + score - expected, 0.0, 1.0)
        felt = (1.0 - bh.expectation_weight) * score + bh.expectation_weight * judged
        self.expectation[idx] = expected + bh.expectation_adaptation * (score - expected)
        sat = self.satisfaction[idx]
        sat += np.float32(bh.satisfaction_memory) * (felt - sat)
        self.satisfaction[idx] = sat
        self.trust[idx] = trust + np.float32(bh.trust_memory) * (trust_target - trust)
        used = idx[online]
        gain = np.float32(bh.literacy_gain_per_online_use)
        self.literacy[used] += gain * (1 - self.literacy[used])

        group = self.group[idx].astype(np.intp)  # converted once for the nine tallies
        for row, values in enumerate((None, online, inter, wait, success, maladmin, complain,
                                      answered, sat)):
            self.year_totals[row] += np.bincount(group, weights=values, minlength=N_GROUPS)
        return {"unit": unit, "staff": staff[0], "counter": counter, "online": online,
                "answered": answered, "success": success, "maladmin": maladmin}
