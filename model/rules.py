"""The official indices' rules: weights, bands, instruments, rounds and survey sizes.

Every number here comes from a regulation (with its source and confidence, from the project's
domain notes) or is a labelled assumption where the regulation was not found. The assessment
(:mod:`model.assessment`) reads them; nothing else defines them.

- **SPBE**, PermenPAN-RB 59/2020 (rounds from 2021): four domains weighted 13 / 25 / 16.5 /
  45.5 % (derived from published domain scores; high confidence), eight aspects. Before 2021
  PermenPAN-RB 5/2018 had three domains (no management domain); its weights were not found.
- **Indeks Pemerintah Digital (Pemdi)**, PermenPAN-RB 8/2026, from 2026: seven aspects
  weighted 10 / 10 / 15 / 15 / 10 / 15 / 25 (medium confidence: third-party transcriptions).
- **IPP** (PEKPPP), PermenPAN-RB 29/2022 as amended by 4/2023: six aspects weighted 24 / 25 /
  18 / 11 / 10 / 12 % (high confidence), scored per evaluated unit by the evaluator's form
  (F-02) and a user survey (F-03), combined 75 / 25 (low-medium confidence); the new forms
  were first used in the 2022 round (medium confidence). Before, PermenPAN-RB 17/2017 (weights
  not found: the same aspects and weights are assumed, without the user survey).
- **IKM**, PermenPAN-RB 14/2017: nine elements, each answered 1-4 and averaged with equal
  weights; bands Tidak Baik / Kurang Baik / Baik / Sangat Baik (high confidence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.params import param

# --- SPBE (59/2020) ----------------------------------------------------------------------------
SPBE_WEIGHTS = {"kebijakan": 0.13, "tata_kelola": 0.25, "manajemen": 0.165, "layanan": 0.455}
"""Domain weights under 59/2020 (derived from published domain scores; high confidence)."""

SPBE_ASPECTS = {
    "kebijakan": ("kebijakan_internal",),
    "tata_kelola": ("perencanaan", "tik", "penyelenggara"),
    "manajemen": ("penerapan_manajemen", "audit_tik"),
    "layanan": ("layanan_administrasi", "layanan_publik"),
}
"""The eight aspects of 59/2020 by domain (assumption: within a domain the aspects weigh
equally, since the indicator weights inside domains were not found)."""

SPBE_2018_DOMAINS = ("kebijakan", "tata_kelola", "layanan")
"""5/2018 had no management domain (3 domains, 7 aspects, 35 indicators). Assumption: its
domain weights are the 59/2020 weights of the three shared domains, renormalised."""

SPBE_ROUNDS = (2018, 2019, 2021, 2022, 2023, 2024, 2025)
"""National SPBE rounds (none in 2020; the 2025 round still under 59/2020)."""

SPBE_METHOD_CHANGE_YEAR = 2021
"""First round under 59/2020."""

SPBE_PREDIKAT = ((4.2, "Memuaskan"), (3.5, "Sangat Baik"), (2.6, "Baik"), (1.8, "Cukup"),
                 (-np.inf, "Kurang"))

# --- Indeks Pemerintah Digital (8/2026) --------------------------------------------------------
PEMDI_FROM_YEAR = 2026
"""PermenPAN-RB 8/2026 (enacted June 2026) revokes 59/2020; the first Pemdi round is 2026."""

PEMDI_WEIGHTS = {"tata_kelola": 0.10, "penyelenggara": 0.10, "data": 0.15, "keamanan": 0.15,
                 "teknologi": 0.10, "integrasi_layanan": 0.15, "kepuasan": 0.25}
"""Aspect weights of 8/2026: governance and management, organisers, data, security,
technology, service integration, user satisfaction (medium confidence)."""

PEMDI_PREDIKAT = ((4.0, "Memuaskan"), (3.5, "Sangat Baik"), (2.5, "Baik"), (1.5, "Cukup"),
                  (-np.inf, "Kurang"))

# --- IPP (29/2022) -----------------------------------------------------------------------------
IPP_WEIGHTS = {"policy": 0.24, "professionalism": 0.25, "facilities": 0.18,
               "information": 0.11, "complaints": 0.10, "innovation": 0.12}
"""Aspect weights of 29/2022 (high confidence); assumed the same under 17/2017."""

IPP_UNITS = ("dukcapil", "dinsos", "rsud")
"""The units a regional IPP is evaluated on: Dispendukcapil, Dinas Sosial, the regional
hospital (medium confidence; the rule itself not seen)."""

IPP_NEW_FORMS_YEAR = 2022
"""First round scored with 29/2022's evaluator form and user survey (medium confidence)."""

IPP_GRADES = ((4.51, "A"), (4.01, "A-"), (3.51, "B"), (3.01, "B-"), (2.51, "C"), (2.01, "C-"),
              (1.51, "D"), (1.01, "E"), (-np.inf, "F"))
"""A 4.51-5.00 Pelayanan Prima ... E 1.01-1.50, F <= 1.00 (medium-high confidence)."""

# --- IKM (14/2017) -----------------------------------------------------------------------------
IKM_ELEMENTS = ("requirements", "procedure", "time", "cost", "product", "competence",
                "behaviour", "complaints", "facilities")
"""The nine elements of 14/2017, each answered 1-4; the IKM is their unweighted mean."""

IKM_CATEGORIES = ((3.5324, "Sangat Baik"), (3.0644, "Baik"), (2.60, "Kurang Baik"),
                  (-np.inf, "Tidak Baik"))
"""IKM bands of 14/2017 (converted interval values; high confidence)."""


@dataclass(frozen=True)
class SurveyRules:
    """The survey instruments' scalar numbers."""

    ipp_survey_weight: float = param(
        0.25, "share", 0.0, 1.0,
        "Weight of the user survey (F-03) in a unit's IPP; the evaluator's form (F-02) has the "
        "rest", "one source gives 75% evaluator, 25% survey (low-medium confidence)")
    ipp_survey_respondents: int = param(
        100, "respondents/unit/year", 10, 10_000,
        "Users surveyed per unit for the IPP's F-03 instrument",
        "assumption: the sample size of F-03 was not found; a hundred users per unit")
    ikm_respondents: int = param(
        10_192, "respondents/year", 30, 1_000_000,
        "Respondents of a region's yearly IKM survey",
        "data: Kota Kediri 2021, 10,192 respondents over 72 units (satukanegeri.com); assumed "
        "the same size for every region")
    pemdi_respondents: int = param(
        400, "respondents/year", 10, 100_000,
        "Users of digital services surveyed for Pemdi's user-satisfaction aspect",
        "assumption: the survey design of 8/2026 was not seen; a few hundred respondents")
    answer_standard_days: float = param(
        14.0, "days", 1.0, 90.0,
        "Time within which a complaint counts as answered on time by the evaluators",
        "assumption: the follow-up deadline of the complaint rules was not found")
    redirected_procedure_score: float = param(
        0.5, "0-1", 0.0, 1.0,
        "IKM procedure answer of a user whose online attempt failed and who finished at the "
        "counter (between a smooth procedure, 1, and a failed one, 0)", "assumption")


SURVEY = SurveyRules()
"""The rules in force (not calibrated: they are the instruments, not behaviour)."""


def band(value: float, bands: tuple) -> str:
    """The label of the first band whose lower edge ``value`` reaches."""
    for lower, label in bands:
        if value >= lower:
            return label
    raise ValueError(value)


def spbe_predikat(score: float) -> str:
    """SPBE predikat for a score (Memuaskan >= 4.2 ... Kurang < 1.8), at two decimals."""
    return band(round(score, 2), SPBE_PREDIKAT)


def pemdi_predikat(score: float) -> str:
    """Pemdi predikat for a score (Memuaskan >= 4.00 ... Kurang < 1.50), at two decimals."""
    return band(round(score, 2), PEMDI_PREDIKAT)


def ipp_grade(score: float) -> str:
    """IPP grade for a score (A 4.51-5.00 ... F <= 1.00), at two decimals."""
    return band(round(score, 2), IPP_GRADES)


def ikm_category(score: float) -> str:
    """IKM quality category for a 1-4 score."""
    return band(score, IKM_CATEGORIES)


def spbe_official_round(year: int) -> bool:
    """Whether a national SPBE evaluation took place in ``year``: one of :data:`SPBE_ROUNDS`.
    None in 2020, and none from 2026, when PermenPAN-RB 8/2026 revokes 59/2020 and the Pemdi
    evaluation replaces it (:data:`PEMDI_FROM_YEAR`); the simulated ``spbe`` is still scored
    every year.
    """
    return year in SPBE_ROUNDS
