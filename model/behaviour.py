"""Shared behavioural parameters: the mechanisms, the same in every region.

These are what calibration estimates (see ``docs/calibration.md``). The defaults below are the
prior centres, each an assumption stated with its reasoning; the values actually used by
``egovsim run`` are these defaults overlaid with ``model/calibrated.toml``, the committed
calibration result (:func:`default_behaviour`). A scenario may override any of them in its
``[behaviour]`` table.

Units are in the names: ``_per_year`` rates are converted to monthly steps in exactly one place,
:func:`per_month`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from model.params import build, param


def per_month(rate_per_year: float) -> float:
    """A yearly fraction (0-1) as the equivalent monthly fraction: 1 - (1 - r)^(1/12)."""
    return 1.0 - (1.0 - min(rate_per_year, 0.999999)) ** (1.0 / 12.0)


@dataclass(frozen=True)
class Behaviour:
    """Mechanism parameters shared by all regions (units in names; ranges are priors)."""

    # --- investment -> component stocks -------------------------------------------------
    stock_gain_per_year: float = param(
        0.8, "1/year", 0.05, 5.0,
        "Largest yearly gain of a component stock (share of the gap to 1) at saturating spending")
    spend_half_saturation_idr_per_resident: float = param(
        15_000.0, "IDR/resident/year", 500.0, 200_000.0,
        "Spending per resident per year on one component that gives half the largest gain "
        "(diminishing returns)")
    connectivity_half_saturation_idr_per_km2: float = param(
        15e6, "IDR/km2/year", 1e5, 1e9,
        "Connectivity spending per km2 per year giving half the largest gain: networks cover "
        "area, not people")
    delay_months_competency: float = param(
        6.0, "months", 1.0, 36.0, "Mean delay from competency spending to training capacity")
    delay_months_connectivity: float = param(
        12.0, "months", 1.0, 36.0, "Mean delay from connectivity spending to coverage")
    delay_months_regulation: float = param(
        12.0, "months", 1.0, 36.0, "Mean delay from drafting to enacted, enforced rules")
    delay_months_interface: float = param(
        6.0, "months", 1.0, 36.0, "Mean delay from interface spending to working channels")
    delay_months_apps: float = param(
        9.0, "months", 1.0, 36.0, "Mean time to build and deploy an application")
    depreciation_per_year_competency: float = param(
        0.15, "1/year", 0.0, 0.8, "Decay of training capacity without spending")
    depreciation_per_year_connectivity: float = param(
        0.10, "1/year", 0.0, 0.8, "Decay of network infrastructure without maintenance")
    depreciation_per_year_regulation: float = param(
        0.05, "1/year", 0.0, 0.8, "Rules going out of date")
    depreciation_per_year_interface: float = param(
        0.10, "1/year", 0.0, 0.8, "Decay of counters, portals and complaint desks")

    capital_memory: float = param(
        0.5, "share", 0.0, 0.99,
        "Weight of last year's capital stock in this year's: how long the memory of adequate, "
        "steady money lasts (assumption)")

    # --- application portfolio ----------------------------------------------------------
    app_cost_idr: float = param(
        3e8, "IDR/app", 1e7, 1e10, "Cost of building one application")
    integration_cost_idr: float = param(
        1.5e8, "IDR/app", 1e7, 1e10, "Cost of integrating one existing application")
    app_retirement_per_year: float = param(
        0.08, "1/year", 0.0, 0.5, "Share of applications decommissioned per year")
    apps_coverage_scale: float = param(
        60.0, "apps", 1.0, 1000.0,
        "Quality-weighted application count at which 63% of services are online")
    fragmentation_scale_apps: float = param(
        60.0, "apps", 1.0, 1000.0,
        "Unintegrated application count at which fragmentation is one half")
    staff_burden_per_fragmentation: float = param(
        0.8, "share", 0.0, 3.0,
        "Extra staff time per request at full fragmentation (double data entry)")
    citizen_confusion_per_fragmentation: float = param(
        4.0, "utility", 0.0, 10.0,
        "Online-channel utility lost at full fragmentation (several accounts, apps)")
    online_failure_per_fragmentation: float = param(
        0.3, "probability", 0.0, 0.8, "Online failure probability added at full fragmentation")

    # --- civil servants -----------------------------------------------------------------
    training_share_per_year: float = param(
        0.5, "1/year", 0.0, 2.0,
        "Share of staff trained per year when the competency stock is 1")
    training_gain: float = param(
        0.25, "share of gap", 0.0, 1.0, "Share of the skill gap closed by one training")
    training_payoff_months: float = param(
        6.0, "months", 1.0, 36.0, "Mean time for a training's gain to show in daily work")
    learning_by_doing_per_year: float = param(
        0.06, "1/year", 0.0, 0.5, "Share of the service-skill gap closed per year of full workload")
    digital_skill_obsolescence_per_year: float = param(
        0.04, "1/year", 0.0, 0.5, "Digital skill lost per year as systems change")
    integrity_from_regulation_per_year: float = param(
        0.08, "1/year", 0.0, 1.0,
        "Share of the integrity gap closed per year at full regulation (SOPs, enforcement)")
    requests_per_staff_month: float = param(
        160.0, "requests/staff/month", 10.0, 2000.0,
        "Requests one frontline civil servant of median skill completes per month")
    productivity_at_zero_skill: float = param(
        0.5, "ratio", 0.0, 2.0,
        "Work speed of a civil servant with no service skill, relative to "
        "requests_per_staff_month; speed is this plus the skill, so skill 0.5 works at the "
        "full rate at the default (assumption)")
    online_staff_time_share: float = param(
        0.4, "share", 0.0, 1.0, "Staff time of an online request relative to a counter request")
    hire_learning_months: float = param(
        12.0, "months", 1.0, 60.0, "Months until a new hire works at full speed")
    skill_concentration: float = param(
        12.0, "1", 2.0, 100.0,
        "Concentration of the Beta distribution of staff skills and integrity around their "
        "mean (assumption: a spread of about +-0.13 around a mean of 0.5)")
    initial_tenure_months: float = param(
        120.0, "months", 0.0, 480.0,
        "Tenure of the civil servants at the start (assumption: past the learning period)")
    hire_age_min_years: float = param(23.0, "years", 18.0, 40.0, "Youngest new hire (assumption)")
    hire_age_max_years: float = param(35.0, "years", 20.0, 50.0, "Oldest new hire (assumption)")
    hire_digital_premium: float = param(
        0.15, "0-1", 0.0, 0.5,
        "Digital skill of new hires above their service skill (assumption: a younger cohort)")
    learning_load_cap: float = param(
        1.5, "ratio", 1.0, 5.0,
        "Workload (relative to a full month) beyond which more work teaches no more")
    max_unit_improvement_per_month: float = param(
        0.5, "share of gap", 0.0, 1.0,
        "Cap on the share of a unit's skill gap closed by answered complaints in one month")

    # --- citizens: needs, access, channel choice ------------------------------------------
    need_rate_per_year: float = param(
        1.0, "requests/resident/year", 0.1, 5.0,
        "Public-service requests per resident per year across the modelled units")
    internet_trend_per_year: float = param(
        0.027, "share/year", 0.0, 0.1,
        "Exogenous yearly rise in internet access",
        "BPS: Indonesia 66.48% (2022) -> 69.21% (2023), +2.7 points")
    max_internet_access: float = param(
        0.99, "share", 0.5, 1.0,
        "Most of an area's residents who can have usable internet (assumption: some never "
        "will, by age or choice)")
    connectivity_access_effect: float = param(
        0.35, "share", 0.0, 1.0,
        "Internet access added (share of residents) by raising the connectivity stock from 0 to 1")
    literacy_growth_per_year: float = param(
        0.02, "1/year", 0.0, 0.2, "Share of the digital-literacy gap closed per year by everyone")
    literacy_concentration: float = param(
        8.0, "1", 2.0, 100.0,
        "Concentration of the Beta distribution of residents' literacy around their mean")
    literacy_gain_per_online_use: float = param(
        0.03, "share of gap", 0.0, 0.5, "Literacy gain from one online request")
    online_utility_base: float = param(
        -0.5, "utility", -10.0, 10.0, "Base utility of the online channel")
    online_utility_per_literacy: float = param(
        3.0, "utility", 0.0, 10.0, "Online utility per unit of digital literacy")
    wait_utility_per_day: float = param(
        -0.15, "utility/day", -2.0, 0.0, "Utility per expected day of waiting")
    rural_travel_utility: float = param(
        -1.0, "utility", -5.0, 0.0, "Counter utility for rural residents (travel)")
    mpp_travel_relief: float = param(
        0.4, "share", 0.0, 1.0, "Share of the travel penalty removed by a one-stop MPP")
    intermediary_utility_base: float = param(
        -5.0, "utility", -10.0, 5.0, "Base utility of using an intermediary (calo)")
    intermediary_utility_per_distrust: float = param(
        2.0, "utility", 0.0, 10.0, "Intermediary utility per unit of distrust (1 - trust)")

    # --- outcomes of a request ----------------------------------------------------------
    counter_success_base: float = param(
        0.80, "probability", 0.0, 1.0, "Success at a counter with median-skill staff, no overload")
    counter_success_per_skill: float = param(
        0.4, "probability", 0.0, 2.0, "Success added per unit of staff service skill above 0.5")
    online_success_base: float = param(
        0.75, "probability", 0.0, 1.0, "Online success at literacy 0.5, no fragmentation")
    online_success_per_literacy: float = param(
        0.4, "probability", 0.0, 2.0, "Online success added per unit of literacy above 0.5")
    intermediary_success: float = param(
        0.92, "probability", 0.0, 1.0, "Success through an intermediary")
    overload_penalty: float = param(
        0.5, "probability", 0.0, 2.0, "Success lost per unit of utilisation above 0.8")
    maladmin_base: float = param(
        0.25, "probability", 0.0, 1.0,
        "Maladministration per counter visit with integrity 0, no rules, no overload")
    maladmin_regulation_effect: float = param(
        0.6, "share", 0.0, 1.0, "Share of maladministration removed by regulation stock 1")
    online_days_ratio: float = param(
        0.3, "ratio", 0.0, 2.0, "Online turnaround relative to the unit's counter base days")
    intermediary_days_ratio: float = param(
        0.5, "ratio", 0.0, 2.0, "Turnaround through an intermediary relative to base days")
    mpp_wait_relief: float = param(
        0.3, "share", 0.0, 1.0, "Share of counter waiting removed when a unit sits in an MPP")
    mpp_facility_effect: float = param(
        0.5, "share", 0.0, 1.0, "Share of the facilities gap closed by an operating MPP")
    competency_innovation_per_year: float = param(
        0.3, "innovation/year", 0.0, 2.0,
        "Innovation a unit adds per year when its staff are fully skilled and the competency "
        "stock is 1 (a workforce that can redesign its services)")
    apps_innovation_per_year: float = param(
        0.15, "innovation/year", 0.0, 2.0,
        "Innovation a unit adds per year at saturating application spending (new digital "
        "services to show the evaluators)")
    max_utilisation: float = param(
        0.95, "share", 0.5, 0.999, "Cap on utilisation in the queueing wait formula")
    comfortable_utilisation: float = param(
        0.8, "share", 0.3, 0.99,
        "Utilisation above which a unit is overloaded: success falls, rooms crowd, staff are "
        "too few (assumption: queueing delays grow steeply past about 80%)")
    expected_wait_memory: float = param(
        0.3, "share", 0.0, 1.0,
        "Weight of this month's wait in the wait citizens expect next month (word of mouth)")
    literacy_access_shift: float = param(
        0.2, "0-1", 0.0, 0.5,
        "Mean literacy added for the best-connected resident over the median one (and taken "
        "from the least connected): skill and access go together")

    # --- participation, satisfaction, trust ----------------------------------------------
    complaint_propensity: float = param(
        0.3, "probability", 0.0, 1.0, "Chance a dissatisfied user complains given a channel")
    bad_experience_threshold: float = param(
        0.6, "score", 0.0, 1.0, "Experience score below which a user is dissatisfied")
    complaint_improvement: float = param(
        0.5, "share of gap", 0.0, 5.0,
        "Monthly share of a unit's skill and integrity gaps closed per answered complaint per "
        "request (participation feeding improvement)")
    complaint_channel_floor: float = param(
        0.3, "0-1", 0.0, 1.0,
        "Availability of complaint channels with no local desks: the national SP4N-LAPOR "
        "channel always exists (assumption)")
    desk_answers_per_1000_residents_month: float = param(
        1.5, "complaints/1000 residents/month", 0.0, 50.0,
        "Complaints the regular desks can answer per month per 1,000 residents at interface "
        "stock 1 (assumption: sized so that at the starting stocks a fifth to a third of "
        "complaints are answered)")
    cost_per_answered_complaint_idr: float = param(
        150_000.0, "IDR/complaint", 10_000.0, 5e6,
        "Cost of answering one more complaint through funded desk capacity (assumption: about "
        "half a day of a civil servant's time, Rp156 million a year / 250 days / 4, rounded)")
    answer_base_days: float = param(
        3.0, "days", 0.5, 30.0, "Days to answer a complaint at a desk with no backlog "
        "(assumption)")
    promotion_half_saturation_idr_per_resident: float = param(
        2_000.0, "IDR/resident/year", 100.0, 100_000.0,
        "Promotion spending per resident per year that gives half the largest awareness gain "
        "(assumption: a leaflet and radio campaign costs a few thousand rupiah per resident)")
    promotion_complaint_effect: float = param(
        1.0, "ratio", 0.0, 5.0,
        "Relative rise in the chance a dissatisfied user complains at full awareness of the "
        "complaint channels (assumption: awareness can double complaining)")
    literacy_course_cost_idr: float = param(
        250_000.0, "IDR/participant", 10_000.0, 5e6,
        "Cost of one resident's digital-literacy course (assumption: a one-day course with "
        "trainer, venue and materials)")
    literacy_course_gain: float = param(
        0.3, "share of gap", 0.0, 1.0,
        "Share of a participant's digital-literacy gap closed by one course (assumption)")
    assisted_agent_cost_idr_per_year: float = param(
        30e6, "IDR/agent/year", 1e6, 5e8,
        "Cost of one assisted-digital village agent per year (assumption: an honorarium of "
        "about Rp2.5 million a month)")
    assisted_requests_per_agent_month: float = param(
        60.0, "requests/agent/month", 1.0, 1000.0,
        "Online requests one village agent can file for residents per month (assumption: three "
        "a working day)")
    assisted_literacy: float = param(
        0.8, "0-1", 0.0, 1.0,
        "Digital skill an assisted-digital agent brings to a resident's online request "
        "(assumption: trained agents)")
    enforcement_effect: float = param(
        0.5, "share", 0.0, 1.0,
        "Share of maladministration deterred at enforcement stock 1 (inspections, sanctions, "
        "Ombudsman follow-up; assumption)")
    selection_cost_ratio: float = param(
        1.0, "ratio", 0.0, 10.0,
        "Recruitment cost per hire at selection s is (1 + ratio * s / (1 - s)) times the "
        "unselected cost: screening out a share s of applicants costs more per hire "
        "(assumption)")
    recruitment_cost_idr_per_hire: float = param(
        10e6, "IDR/hire", 0.0, 1e9,
        "Cost of recruiting one civil servant without extra selection: tests, administration "
        "(assumption)")
    answered_complaint_bonus: float = param(
        0.15, "score", 0.0, 1.0, "Experience score added when a complaint is answered")
    satisfaction_weight_success: float = param(
        0.5, "weight", 0.0, 1.0, "Weight of success in a request's experience score")
    satisfaction_weight_speed: float = param(
        0.3, "weight", 0.0, 1.0, "Weight of speed in the experience score")
    wait_reference_days: float = param(
        10.0, "days", 0.5, 60.0, "Wait at which the speed score falls to 1/e")
    initial_satisfaction: float = param(
        0.7, "0-1", 0.0, 1.0, "Remembered satisfaction before a resident's first request")
    initial_trust: float = param(0.6, "0-1", 0.0, 1.0, "Trust before a resident's first request")
    unanswered_trust_factor: float = param(
        0.5, "ratio", 0.0, 1.0,
        "A complaint that vanishes moves trust towards this fraction of the experience score")
    satisfaction_memory: float = param(
        0.5, "share", 0.0, 1.0, "Weight of the newest experience in remembered satisfaction")
    trust_memory: float = param(
        0.2, "share", 0.0, 1.0, "Weight of the newest experience in trust")
    expectation_weight: float = param(
        0.0, "share", 0.0, 1.0,
        "Weight of disconfirmation in satisfaction: 0 judges a request on its own merits, 1 "
        "only against what the citizen has come to expect (expectation-disconfirmation)")
    expectation_met_satisfaction: float = param(
        0.8, "score", 0.0, 1.0, "Satisfaction of a request that exactly meets expectations")
    expectation_adaptation: float = param(
        0.3, "share", 0.0, 1.0,
        "Weight of the newest experience in what a citizen expects next time")
    ikm_expectation: float = param(
        0.1, "score", 0.0, 1.0,
        "Floor of survey answers (IKM and the IPP and Pemdi user surveys): an experience e "
        "(0-1) is answered as f + (1 - f) * e on the survey's scale (respondents' leniency)")

    # --- assessment -----------------------------------------------------------------------
    spbe_assessor_sd: float = param(
        0.10, "index points", 0.0, 1.0, "Assessor-to-assessor noise of an SPBE evaluation")
    spbe_pre2021_factor: float = param(
        1.0, "ratio", 0.5, 2.0,
        "Ratio of PermenPAN-RB 5/2018 to 59/2020 scores for the same maturity (method change)")
    spbe_first_round_factor: float = param(
        1.0, "ratio", 0.5, 1.5,
        "Ratio of scores in the first SPBE evaluation (2018) to those of later rounds under the "
        "same method for the same maturity (assumption: governments learn to document their "
        "evidence for the assessors)")
    spbe_new_method_factor: float = param(
        1.0, "ratio", 0.5, 1.5,
        "Ratio of scores in the first round under PermenPAN-RB 59/2020 (2021) to what the same "
        "maturity scores once governments have learned to document their evidence for it "
        "(assumption)")
    spbe_evidence_learning_per_round: float = param(
        1.0, "share per round", 0.0, 1.0,
        "Share of the remaining 59/2020 first-round discount (spbe_new_method_factor) that "
        "closes with each further yearly round: 1 lasts one round only (assumption)")
    ipp_assessor_sd: float = param(
        0.10, "index points", 0.0, 1.0,
        "Evaluator-to-evaluator noise of one unit's IPP evaluation form")
    ipp_leniency_from_2022: float = param(
        1.0, "ratio", 0.7, 1.4,
        "Hypothesis, off at 1: ratio of evaluator-form scores under PermenPAN-RB 29/2022 (new "
        "forms from the 2022 round) to what the same service would have scored before, beyond "
        "what the rule's new user survey changes (a residual assessor leniency)")
    innovation_decay_per_year: float = param(
        0.35, "1/year", 0.0, 1.0, "How fast an innovation stops counting as new")


@cache
def _calibrated_table() -> dict:
    text = resources.files("model").joinpath("calibrated.toml")
    if not text.is_file():
        return {}
    return tomllib.loads(text.read_text(encoding="utf-8")).get("behaviour", {})


def default_behaviour() -> Behaviour:
    """The behaviour used by default: declared priors overlaid with ``model/calibrated.toml``."""
    return build(Behaviour, _calibrated_table(), "model/calibrated.toml", "behaviour")
