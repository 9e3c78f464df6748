"""The official yearly indices, scored from agent states the way their assessors score them.

The rules' numbers (weights, bands, instruments, rounds, survey sizes) are in
:mod:`model.rules`. What each part reads:

- **IPP** per evaluated unit (Dispendukcapil, Dinas Sosial, RSUD); the regional IPP is the plain
  mean of the three (an assumption). The evaluator's form scores six aspects of *that unit*:
  policy (standards published — the regulation stock — and kept: the share of its requests
  done successfully, within its standard time, without maladministration); professionalism
  (the skill and integrity of the civil servants who actually served, whether there were
  enough of them — not overloaded — and waiting within the standard time); facilities (its
  counters and rooms, an MPP if the unit sits in one, less crowding); information system (its
  online offer and how integrated it is); consultation and complaints (whether channels
  exist, the share of its complaints answered, and answered on time); innovation (its
  workforce-and-investment driven innovation stock). From 2022 (PermenPAN-RB 29/2022's
  forms) the unit's score also takes the user survey answered by the simulated citizens who
  used the unit that year, with sampling noise for the survey's size. A residual evaluator
  leniency under the new forms (``ipp_leniency_from_2022``) is a hypothesis, off at 1.
- **SPBE** (59/2020) by its four domains and eight aspects, each the mean of the states it
  reads; before 2021 (5/2018) without the management domain. Three measurement hypotheses
  (neutral at 1; the calibration estimates them under ``measurement``): a residual ratio of
  5/2018 to 59/2020 scores (``spbe_pre2021_factor``), a first-round (2018) factor while
  governments learned to document their evidence, and a discount of the first 59/2020 round
  (2021, ``spbe_new_method_factor``) closing by ``spbe_evidence_learning_per_round`` of what
  remains each further round.
- **Pemdi** (8/2026) from 2026: seven aspects, user satisfaction from the citizens who used
  online channels (a survey with sampling noise). ``spbe`` is still scored every year (what
  59/2020 would give the simulated state).
- **IKM** (14/2017): the nine elements answered by the year's users, each averaged and the
  nine averaged, with sampling noise for the survey's size.

Assessors add noise to each unit's form, to SPBE and to Pemdi (``*_assessor_sd``); scores are
clipped to their scales last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model._sums import sums_by
from model.citizens import Outcomes
from model.rules import (
    IKM_ELEMENTS,
    IPP_NEW_FORMS_YEAR,
    IPP_UNITS,
    IPP_WEIGHTS,
    PEMDI_FROM_YEAR,
    PEMDI_WEIGHTS,
    SPBE_2018_DOMAINS,
    SPBE_ASPECTS,
    SPBE_METHOD_CHANGE_YEAR,
    SPBE_ROUNDS,
    SPBE_WEIGHTS,
    SURVEY,
    ikm_category,
    ipp_grade,
    pemdi_predikat,
    spbe_official_round,
    spbe_predikat,
)
from model.shares import normalised

_FIELDS = ("requests", "staffed", "kept", "on_time", "skill", "integrity", "complaints",
           "answered", "answered_on_time", "overload", "months", "online", "online_ok")
_F = {name: i for i, name in enumerate(_FIELDS)}
_ADDED = ("requests", "staffed", "kept", "on_time", "skill", "integrity", "complaints",
          "answered", "answered_on_time", "online", "online_ok")
"""The fields that are sums over the month's requests (:meth:`YearTally.add_month`)."""
_A = {name: i for i, name in enumerate(_ADDED)}
_ADDED_ROWS = np.array([_F[name] for name in _ADDED])


def within(standard: np.ndarray | float, mean_days: np.ndarray | float) -> np.ndarray:
    """Chance an exponential turnaround of mean ``mean_days`` ends within ``standard`` days."""
    mean_days = np.asarray(mean_days, dtype=float)
    return 1.0 - np.exp(-np.asarray(standard) / np.maximum(mean_days, 1e-9))


class YearTally:
    """What the year's assessors will read, accumulated month by month (per unit).

    With ``runs`` > 1 it holds several runs' tallies, per cell (run x unit, run-major), and
    :meth:`part` gives each run's as a view.
    """

    def __init__(self, n_units: int, runs: int = 1) -> None:
        self.runs = runs
        self.n_units = n_units * runs
        self.unit = np.zeros((self.n_units, len(_FIELDS)))
        n_el = len(IKM_ELEMENTS)
        self.element_sum = np.zeros((self.n_units, n_el))
        self.element_sq = np.zeros((self.n_units, n_el))
        self.answer = np.zeros((self.n_units, 3))  # n, sum, sum of squares of overall answers
        # the same, for online users (Pemdi)
        self.online_answer = np.zeros(3) if runs == 1 else np.zeros((runs, 3))

    def part(self, run: int) -> YearTally:
        """Run ``run``'s tally: views of this one's rows (itself when it holds one run)."""
        if self.runs == 1:
            return self
        t = YearTally.__new__(YearTally)
        width = self.n_units // self.runs
        rows = slice(run * width, (run + 1) * width)
        t.runs, t.n_units = 1, width
        for name in ("unit", "element_sum", "element_sq", "answer"):
            setattr(t, name, getattr(self, name)[rows])
        t.online_answer = self.online_answer[run]
        return t

    def get(self, name: str) -> np.ndarray:
        """One field per unit."""
        return self.unit[:, _F[name]]

    def add_month(self, out: Outcomes, standard_days: np.ndarray, overload: np.ndarray,
                  answer_on_time: np.ndarray) -> None:
        """Add one month of requests; ``standard_days``, ``overload`` (0-1) and
        ``answer_on_time`` (the chance the desks answer within the standard time this month)
        are per unit (per cell for several runs).

        A request's turnaround is taken as exponential around its mean (the sojourn time of a
        single queue), so the chance it is done within the unit's standard time ``T`` is
        ``1 - exp(-T / wait)``; counts of requests on time are these chances summed.
        """
        n, u = self.n_units, out.cells
        on_time = within(standard_days[u], out.wait)
        staffed = out.counter | out.online  # requests a civil servant handled
        n_el = len(IKM_ELEMENTS)
        a = out.answer
        el = out.elements

        def columns():  # made one at a time (in the order of _ADDED, then the answers)
            yield from (None, staffed)
            yield (out.success & ~out.maladmin) * on_time
            yield from (on_time, np.where(staffed, out.skill, 0.0),
                        np.where(staffed, out.integrity, 0.0), out.complained, out.answered)
            yield out.answered * answer_on_time[u]
            yield from (out.online, out.online & out.success)
            yield from (el[:, j] for j in range(n_el))
            yield from (el[:, j] * el[:, j] for j in range(n_el))
            yield from (None, a, a * a)

        # all 32 sums by unit (one fused bincount when the month is small)
        sums = sums_by(u, columns(), len(_ADDED) + 2 * n_el + 3, n)
        self.unit[:, _ADDED_ROWS] += sums[:, :len(_ADDED)]
        self.unit[:, _F["overload"]] += overload
        self.unit[:, _F["months"]] += 1.0
        s = sums[:, len(_ADDED):]
        self.element_sum += s[:, :n_el]
        self.element_sq += s[:, n_el:2 * n_el]
        self.answer += s[:, 2 * n_el:]
        if self.runs == 1:
            on = a[out.online]
            self.online_answer += (len(on), on.sum(), (on * on).sum())
            return
        for b in range(self.runs):  # run by run: the same sums as each run alone
            rows = slice(out.bounds[b], out.bounds[b + 1])
            on = a[rows][out.online[rows]]
            self.online_answer[b] += (len(on), on.sum(), (on * on).sum())


@dataclass(frozen=True)
class YearState:
    """The inputs of one year's evaluation, read from agents at the end of December."""

    year: int
    stocks: dict[str, float]  # apps, competency, connectivity, regulation, interface, capital
    integration: float
    staff_digital: float
    complaint_channel: float
    facilities: np.ndarray  # per unit, 0-1
    online_offer: np.ndarray  # per unit, 0-1
    demand_share: np.ndarray  # per unit
    innovation: np.ndarray  # per unit
    ipp_units: tuple[int, ...]  # rows of the evaluated units
    tally: YearTally
    citizen_weight: float = 1.0  # real residents per simulated one


def _ratio(num: np.ndarray, den: np.ndarray, empty: np.ndarray | float) -> np.ndarray:
    """Num / den, with ``empty`` where den is 0."""
    return np.where(den > 0, num / np.maximum(den, 1e-12), empty)


def spbe_aspects(s: YearState) -> dict[str, float]:
    """The eight aspects of 59/2020 (0-1), each the mean of the states it reads."""
    st, t = s.stocks, s.tally
    online_ok = _ratio(t.get("online_ok").sum(), t.get("online").sum(), 0.0)
    return {
        "kebijakan_internal": st["regulation"] * (1.0 + st["apps"]) / 2.0,
        "perencanaan": (st["regulation"] + st["capital"]) / 2.0,
        "tik": (st["connectivity"] + s.integration) / 2.0,
        "penyelenggara": (s.staff_digital + st["competency"]) / 2.0,
        "penerapan_manajemen": (s.integration + st["competency"]) / 2.0,
        "audit_tik": (st["regulation"] + st["connectivity"]) / 2.0,
        "layanan_administrasi": st["apps"] * (1.0 + s.integration) / 2.0,
        "layanan_publik": float(np.dot(s.demand_share, s.online_offer)) * float(online_ok),
    }


def spbe_domains(aspects: dict[str, float]) -> dict[str, float]:
    """Domain maturities (0-1): the mean of each domain's aspects."""
    return {d: float(np.mean([aspects[a] for a in names])) for d, names in SPBE_ASPECTS.items()}


def scaled_above_floor(score: float, factor: float) -> float:
    """``score`` (on the 1-5 scale) with its part above the floor of 1 multiplied by
    ``factor``: how every SPBE method term acts.
    """
    return 1.0 + (score - 1.0) * factor


def new_method_credit(year: int, bh) -> float:
    """Share of the score above the floor a 59/2020 round credits (``year`` from 2021):
    ``spbe_new_method_factor`` in its first round, the discount then closing by
    ``spbe_evidence_learning_per_round`` of what remains with each further yearly round.
    """
    return 1.0 - ((1.0 - bh.spbe_new_method_factor)
                  * (1.0 - bh.spbe_evidence_learning_per_round)
                  ** (year - SPBE_METHOD_CHANGE_YEAR))


def spbe_score(domains: dict[str, float], year: int, bh) -> float:
    """The SPBE index a round would give (before noise): 59/2020 from 2021, credited as
    :func:`new_method_credit` allows; 5/2018 before, times ``spbe_pre2021_factor`` and, in its
    first round (2018), ``spbe_first_round_factor``.
    """
    if year >= SPBE_METHOD_CHANGE_YEAR:
        return scaled_above_floor(weighted_index(domains, SPBE_WEIGHTS),
                                  new_method_credit(year, bh))
    score = weighted_index(domains, normalised({d: SPBE_WEIGHTS[d] for d in SPBE_2018_DOMAINS}))
    score = scaled_above_floor(score, bh.spbe_pre2021_factor)
    if year <= SPBE_ROUNDS[0]:
        score = scaled_above_floor(score, bh.spbe_first_round_factor)
    return score


def ipp_unit_aspects(s: YearState) -> dict[str, np.ndarray]:
    """The six aspects (0-1) of every unit's evaluator form, read from that unit's year."""
    t = s.tally
    req, staffed = t.get("requests"), t.get("staffed")
    overload = _ratio(t.get("overload"), t.get("months"), 0.0)
    channel = s.complaint_channel
    complaints, answered = t.get("complaints"), t.get("answered")
    return {
        "policy": (s.stocks["regulation"] + _ratio(t.get("kept"), req, 0.0)) / 2.0,
        "professionalism": (_ratio(t.get("skill"), staffed, 0.0)
                            + _ratio(t.get("integrity"), staffed, 0.0)
                            + (1.0 - overload) + _ratio(t.get("on_time"), req, 0.0)) / 4.0,
        "facilities": s.facilities * (1.0 - overload),
        "information": 1.0 - (1.0 - s.stocks["interface"])
        * (1.0 - s.online_offer * (1.0 + s.integration) / 2.0),
        "complaints": (channel + _ratio(answered, complaints, channel)
                       + _ratio(t.get("answered_on_time"), answered,
                                np.where(complaints > 0, 0.0, channel))) / 3.0,
        "innovation": 1.0 - np.exp(-s.innovation),
    }


def survey_mean(n: np.ndarray, total: np.ndarray, sq: np.ndarray, respondents: int,
                rng: np.random.Generator, weight: float = 1.0) -> np.ndarray:
    """A survey's mean answer: the users' mean plus the sampling error of ``respondents``
    drawn from them (normal, with the users' spread; no error when all users answer).

    ``n``, ``total`` and ``sq`` are the simulated users' count, sum and sum of squares; each
    simulated user stands for ``weight`` real ones, whose number sets the finite-population
    correction.
    """
    n = np.asarray(n, dtype=float)
    mean = _ratio(total, n, np.nan)
    var = np.maximum(_ratio(sq, n, 0.0) - mean * mean, 0.0)
    real = n * weight
    m = np.minimum(respondents, np.maximum(real, 1.0))
    finite = np.where(real > 1, (real - m) / np.maximum(real - 1.0, 1.0), 0.0)
    sd = np.sqrt(np.nan_to_num(var) * finite / m)
    return mean + rng.normal(0.0, 1.0, np.shape(mean)) * sd


def on_index_scale(score):
    """A 0-1 score on the 1-5 scale of SPBE, IPP and Pemdi: 1 + 4 * score."""
    return 1.0 + 4.0 * score


def weighted_index(parts: dict[str, float], weights: dict[str, float]) -> float:
    """The weighted mean of 0-1 parts on the 1-5 scale (:func:`on_index_scale`)."""
    return on_index_scale(sum(weights[k] * parts[k] for k in weights))


def pemdi_aspects(s: YearState, satisfaction: float) -> dict[str, float]:
    """The seven aspects of 8/2026 (0-1); ``satisfaction`` is the online users' survey."""
    st = s.stocks
    offer = float(np.dot(s.demand_share, s.online_offer))
    return {
        "tata_kelola": (st["regulation"] + s.integration) / 2.0,
        "penyelenggara": (s.staff_digital + st["competency"]) / 2.0,
        "data": s.integration * (1.0 + st["regulation"]) / 2.0,
        "keamanan": (st["regulation"] + st["connectivity"]) / 2.0,
        "teknologi": (st["connectivity"] + st["apps"]) / 2.0,
        "integrasi_layanan": offer * (1.0 + s.integration) / 2.0,
        "kepuasan": satisfaction,
    }


def assess(s: YearState, bh, rng: np.random.Generator) -> dict[str, float | str | bool]:
    """SPBE, Pemdi, IPP (per unit, per instrument, per aspect) and IKM for one year.

    Random draws, in a fixed order and number every year (so policies never shift them): the
    SPBE assessor, the three units' evaluators, the three units' surveys, the nine IKM
    elements, the Pemdi survey and the Pemdi assessor.
    """
    t = s.tally
    z_spbe, z_form, z_pemdi = rng.normal(0.0, 1.0), rng.normal(0.0, 1.0, 3), rng.normal()
    aspects = spbe_aspects(s)
    domains = spbe_domains(aspects)
    spbe = float(np.clip(spbe_score(domains, s.year, bh) + bh.spbe_assessor_sd * z_spbe,
                         1.0, 5.0))

    rows = list(s.ipp_units)
    unit_aspects = {k: np.asarray(v)[rows] for k, v in ipp_unit_aspects(s).items()}
    form = weighted_index(unit_aspects, IPP_WEIGHTS)
    if s.year >= IPP_NEW_FORMS_YEAR:
        form = 1.0 + (form - 1.0) * bh.ipp_leniency_from_2022
    form = np.clip(form + bh.ipp_assessor_sd * z_form, 1.0, 5.0)
    a = t.answer[rows]
    survey_answer = survey_mean(a[:, 0], a[:, 1], a[:, 2], SURVEY.ipp_survey_respondents, rng,
                                s.citizen_weight)
    survey = np.clip(on_index_scale(survey_answer), 1.0, 5.0)
    if s.year >= IPP_NEW_FORMS_YEAR:
        w = SURVEY.ipp_survey_weight
        unit_ipp = np.where(np.isnan(survey), form, (1.0 - w) * form + w * survey)
    else:
        unit_ipp = form
    ipp = float(np.mean(unit_ipp))

    n_users = t.answer[:, 0].sum()
    elements = survey_mean(np.full(len(IKM_ELEMENTS), n_users), t.element_sum.sum(0),
                           t.element_sq.sum(0), SURVEY.ikm_respondents, rng, s.citizen_weight)
    ikm_elements = np.clip(1.0 + 3.0 * elements, 1.0, 4.0)
    ikm = float(np.mean(ikm_elements))

    o = t.online_answer
    online_sat = float(survey_mean(o[0], o[1], o[2], SURVEY.pemdi_respondents, rng,
                                   s.citizen_weight))
    pemdi_parts = pemdi_aspects(s, 0.0 if np.isnan(online_sat) else online_sat)
    pemdi_score = float(np.clip(weighted_index(pemdi_parts, PEMDI_WEIGHTS)
                                + bh.spbe_assessor_sd * z_pemdi, 1.0, 5.0))
    pemdi_year = s.year >= PEMDI_FROM_YEAR

    out: dict[str, float | str | bool] = {
        "spbe": spbe, "spbe_predikat": spbe_predikat(spbe),
        "spbe_official_round": spbe_official_round(s.year),
        "pemdi": pemdi_score if pemdi_year else np.nan,
        "pemdi_predikat": pemdi_predikat(pemdi_score) if pemdi_year else "",
        "ipp": ipp, "ipp_grade": ipp_grade(ipp),
        "ipp_evaluator": float(np.mean(form)), "ipp_survey": float(np.nanmean(survey))
        if not np.isnan(survey).all() else np.nan,
        "ikm": ikm, "ikm_category": ikm_category(ikm),
    }
    out.update({f"ipp_{IPP_UNITS[i]}": float(unit_ipp[i]) for i in range(len(rows))})
    out.update({f"spbe_{k}": v for k, v in domains.items()})
    out.update({f"ipp_{k}": float(np.mean(v)) for k, v in unit_aspects.items()})
    out.update({f"ikm_{k}": float(v) for k, v in zip(IKM_ELEMENTS, ikm_elements, strict=True)})
    return out
