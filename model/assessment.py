"""The official yearly indices, computed from agent states and component stocks.

- SPBE (PermenPAN-RB 59/2020): four domains weighted 13 / 25 / 16.5 / 45.5 %; each domain's
  maturity is read off the government's own systems. Rounds before 2021 used PermenPAN-RB
  5/2018, scored on a more lenient scale (``spbe_pre2021_factor``). The first round (2018)
  may score the same maturity lower, while governments learn to document their evidence
  (``spbe_first_round_factor``, an assumption).
- IPP (PermenPAN-RB 17/2017): six aspects weighted 24 / 25 / 18 / 11 / 10 / 12 %, read off
  service as delivered: staff, counters, complaints, innovation.
  From 2023 the IPP is assumed scored under 29/2022 (``ipp_factor_from_2023``).
- IKM (PermenPAN-RB 14/2017): the mean remembered satisfaction of the year's service users,
  on the 1-4 scale.
Assessors add noise to SPBE and IPP (``*_assessor_sd``); the indices are clipped to their scales.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPBE_WEIGHTS = {"kebijakan": 0.13, "tata_kelola": 0.25, "manajemen": 0.165, "layanan": 0.455}
"""Domain weights under 59/2020 (derived from published domain scores; DOMAIN.md)."""

IPP_WEIGHTS = {"policy": 0.24, "professionalism": 0.25, "facilities": 0.18,
               "information": 0.11, "complaints": 0.10, "innovation": 0.12}
"""Aspect weights under 17/2017 (medium confidence; DOMAIN.md)."""

SPBE_ROUNDS = (2018, 2019, 2021, 2022, 2023, 2024)
"""Years with a national SPBE evaluation; after 2024 yearly rounds are assumed."""

SPBE_FIRST_ROUND = SPBE_ROUNDS[0]
SPBE_METHOD_CHANGE_YEAR = 2021
IPP_METHOD_CHANGE_YEAR = 2023
"""First evaluation assumed to use PermenPAN-RB 29/2022 (revising 17/2017)."""

SPBE_PREDIKAT = ((4.2, "Memuaskan"), (3.5, "Sangat Baik"), (2.6, "Baik"), (1.8, "Cukup"),
                 (-np.inf, "Kurang"))
IPP_GRADES = ((4.51, "A"), (4.01, "A-"), (3.51, "B"), (3.01, "B-"), (2.51, "C"), (2.01, "C-"),
              (1.51, "D"), (-np.inf, "E"))
IKM_CATEGORIES = ((3.5324, "Sangat Baik"), (3.0644, "Baik"), (2.60, "Kurang Baik"),
                  (-np.inf, "Tidak Baik"))
"""IKM bands of PermenPAN-RB 14/2017 (converted interval values)."""


def _band(value: float, bands: tuple) -> str:
    for lower, label in bands:
        if value >= lower:
            return label
    raise ValueError(value)


def spbe_predikat(score: float) -> str:
    """SPBE predikat for a score (Memuaskan >= 4.2 ... Kurang < 1.8)."""
    return _band(round(score, 2), SPBE_PREDIKAT)


def ipp_grade(score: float) -> str:
    """IPP grade for a score (A 4.51-5.00 ... E 1.00-1.50)."""
    return _band(round(score, 2), IPP_GRADES)


def ikm_category(score: float) -> str:
    """IKM quality category for a 1-4 score."""
    return _band(score, IKM_CATEGORIES)


def spbe_official_round(year: int) -> bool:
    """Whether an SPBE evaluation took place (2020 had none; yearly from 2024 assumed)."""
    return year in SPBE_ROUNDS or year > SPBE_ROUNDS[-1]


@dataclass(frozen=True)
class YearState:
    """The inputs of one year's evaluation, read from agents at the end of December."""

    year: int
    stocks: dict[str, float]  # apps, competency, connectivity, regulation, interface, capital
    integration: float
    staff_digital: float
    staff_service: float
    counter_success: float
    counter_clean: float  # 1 - maladministration rate at counters
    complaints: float
    answered: float
    innovation: float
    mpp_open: bool
    mean_satisfaction: float


def spbe_domains(s: YearState) -> dict[str, float]:
    """Domain maturities (0-1) of the government's own digital systems.

    SPBE scores e-government itself: its policy domain counts rules *about* electronic systems
    (architecture, data, application development), so regulation counts only as far as there
    are systems to govern; governance is integration, infrastructure and those rules;
    management is the digital workforce and its development; services are the electronic
    services and their integration.
    """
    st = s.stocks
    kebijakan = st["regulation"] * (0.4 + 0.6 * st["apps"])
    return {
        "kebijakan": kebijakan,
        "tata_kelola": (s.integration + st["connectivity"] + kebijakan) / 3.0,
        "manajemen": (s.staff_digital + st["competency"] + s.integration) / 3.0,
        "layanan": st["apps"] * (0.5 + 0.5 * s.integration),
    }


def ipp_aspects(s: YearState, mpp_facility_effect: float) -> dict[str, float]:
    """Aspect scores (0-1) of service as delivered at the evaluated units."""
    st = s.stocks
    iface = st["interface"]
    answered_share = s.answered / s.complaints if s.complaints > 0 else iface
    return {
        "policy": st["regulation"],
        "professionalism": (0.5 * s.staff_service + 0.25 * s.counter_success
                            + 0.25 * s.counter_clean),
        "facilities": 1.0 - (1.0 - iface) * (1.0 - mpp_facility_effect * s.mpp_open),
        "information": 1.0 - (1.0 - iface) * (1.0 - st["apps"]),
        "complaints": 0.5 * iface + 0.5 * answered_share,
        "innovation": 1.0 - float(np.exp(-s.innovation)),
    }


def weighted_index(parts: dict[str, float], weights: dict[str, float]) -> float:
    """1 + 4 * the weighted mean of 0-1 parts: the 1-5 scale of SPBE and IPP."""
    return 1.0 + 4.0 * sum(weights[k] * parts[k] for k in weights)


def assess(s: YearState, bh, rng: np.random.Generator) -> dict[str, float | str | bool]:
    """SPBE, IPP and IKM for one year, with their parts and bands."""
    domains = spbe_domains(s)
    spbe_true = weighted_index(domains, SPBE_WEIGHTS)
    if s.year < SPBE_METHOD_CHANGE_YEAR:
        spbe_true = 1.0 + (spbe_true - 1.0) * bh.spbe_pre2021_factor
    if s.year <= SPBE_FIRST_ROUND:
        spbe_true = 1.0 + (spbe_true - 1.0) * bh.spbe_first_round_factor
    spbe = float(np.clip(spbe_true + rng.normal(0.0, bh.spbe_assessor_sd), 1.0, 5.0))
    aspects = ipp_aspects(s, bh.mpp_facility_effect)
    ipp_true = weighted_index(aspects, IPP_WEIGHTS)
    if s.year >= IPP_METHOD_CHANGE_YEAR:
        ipp_true = 1.0 + (ipp_true - 1.0) * bh.ipp_factor_from_2023
    ipp = float(np.clip(ipp_true + rng.normal(0.0, bh.ipp_assessor_sd), 1.0, 5.0))
    f = bh.ikm_expectation
    ikm = float(np.clip(1.0 + 3.0 * (f + (1.0 - f) * s.mean_satisfaction), 1.0, 4.0))
    out: dict[str, float | str | bool] = {
        "spbe": spbe, "spbe_predikat": spbe_predikat(spbe),
        "spbe_official_round": spbe_official_round(s.year),
        "ipp": ipp, "ipp_grade": ipp_grade(ipp), "ikm": ikm, "ikm_category": ikm_category(ikm),
    }
    out.update({f"spbe_{k}": v for k, v in domains.items()})
    out.update({f"ipp_{k}": v for k, v in aspects.items()})
    return out
