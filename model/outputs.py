"""Every output declared once: name, unit, description. Tables and the DataCollector use this."""

from __future__ import annotations

from dataclasses import dataclass

from model.rules import IKM_ELEMENTS, IPP_UNITS, IPP_WEIGHTS, SPBE_WEIGHTS
from model.scenario import COMPONENTS, STOCKS


@dataclass(frozen=True)
class Output:
    """One output column."""

    name: str
    unit: str
    description: str


ID_COLUMNS = ("scenario", "region", "replication", "seed", "year")

INDICES = ("spbe", "ipp", "ikm", "pemdi")
"""The headline indices, in the order tables and figures show them."""

_UNIT_NAMES = {"dukcapil": "Dispendukcapil (civil registry)", "dinsos": "Dinas Sosial",
               "rsud": "the regional hospital (RSUD)"}

_INDICES = [
    Output("spbe", "index 1-5",
           "SPBE index as an assessor would score it (59/2020 from 2021, 5/2018 before; still "
           "scored after 2025 as what 59/2020 would give)"),
    Output("spbe_predikat", "label", "SPBE predikat (Kurang ... Memuaskan)"),
    Output("spbe_official_round", "bool", "Whether a national SPBE evaluation took place"),
    Output("pemdi", "index 1-5", "Indeks Pemerintah Digital (8/2026); empty before 2026"),
    Output("pemdi_predikat", "label", "Pemdi predikat (Kurang ... Memuaskan); empty before 2026"),
    Output("ipp", "index 1-5", "Public-service index (IPP): the mean of the evaluated units"),
    Output("ipp_grade", "label", "IPP grade (F ... A)"),
    *(Output(f"ipp_{u}", "index 1-5", f"IPP of {_UNIT_NAMES[u]}") for u in IPP_UNITS),
    Output("ipp_evaluator", "index 1-5", "Evaluator's form (F-02), mean of the units"),
    Output("ipp_survey", "index 1-5",
           "User survey (F-03), mean of the units; part of the IPP from 2022"),
    Output("ikm", "index 1-4", "Citizen satisfaction index (IKM): the mean of its nine elements"),
    Output("ikm_category", "label", "IKM category"),
    *(Output(f"spbe_{d}", "0-1", f"SPBE domain maturity: {d}") for d in SPBE_WEIGHTS),
    *(Output(f"ipp_{a}", "0-1", f"IPP aspect score, mean of the units: {a}")
      for a in IPP_WEIGHTS),
    *(Output(f"ikm_{e}", "index 1-4", f"IKM element: {e}") for e in IKM_ELEMENTS),
]

_SERVICE = [
    Output("online_share", "share", "Requests made online"),
    Output("intermediary_share", "share", "Requests made through an intermediary (calo)"),
    Output("wait_days", "days", "Mean turnaround per request"),
    Output("success_rate", "share", "Requests completed successfully"),
    Output("maladmin_rate", "share", "Requests meeting maladministration (incl. unofficial fees)"),
    Output("complaint_rate", "share", "Requests followed by a complaint"),
    Output("answered_share", "share", "Complaints answered"),
    Output("internet_access", "share", "Residents with usable internet access"),
    Output("internet_access_urban", "share", "Urban residents with usable internet access"),
    Output("internet_access_rural", "share", "Rural residents with usable internet access"),
    Output("literacy_mean", "0-1", "Mean digital literacy of residents"),
    Output("literacy_course_participants", "persons", "Residents who took a literacy course"),
    Output("staff_headcount", "persons", "Frontline civil servants"),
    Output("staff_hired", "persons", "Frontline civil servants hired this year"),
    Output("staff_retired", "persons", "Frontline civil servants retired this year"),
    Output("staff_digital_skill", "0-1", "Mean digital skill of frontline civil servants"),
    Output("staff_service_skill", "0-1", "Mean service skill of frontline civil servants"),
    Output("staff_integrity", "0-1", "Mean integrity of frontline civil servants"),
    Output("staff_utilisation", "ratio", "Mean demand over capacity at the units"),
    Output("n_apps", "apps", "Applications in use"),
    Output("integration", "share", "Applications integrated"),
    Output("fragmentation", "0-1",
           "Fragmentation a request meets: unintegrated apps U as U / (U + scale)"),
    Output("budget_egov_idr", "IDR/year", "E-government budget this year"),
    *(Output(f"spend_{c}_idr", "IDR/year", f"E-government spending planned on {c} this year")
      for c in COMPONENTS),
    Output("staff_cost_idr", "IDR/year",
           "Salaries of the frontline civil servants and this year's recruitment (belanja "
           "pegawai: outside the e-government budget)"),
    *(Output(f"stock_{c}", "0-1", f"Component stock: {c}") for c in (*STOCKS, "enforcement")),
]

QUINTILES = tuple(f"q{i}" for i in range(1, 6))
AREAS = ("urban", "rural")
DIVIDE_MEASURES = {"online_share": "share of requests made online",
                   "satisfaction": "mean satisfaction (0-1) of service users",
                   "wait_days": "mean turnaround (days)"}

_DIVIDE = [
    *(Output(f"{m}_{g}", "share" if m == "online_share" else "0-1" if m == "satisfaction"
             else "days", f"{d}, {label}")
      for m, d in DIVIDE_MEASURES.items()
      for g, label in [*((q, f"access quintile {q[1]} (1 = least connected)") for q in QUINTILES),
                       *((a, f"{a} residents") for a in AREAS)]),
    Output("online_gap_q5_q1", "share", "Online share of the best- minus least-connected quintile"),
]

ANNUAL_OUTPUTS: tuple[Output, ...] = (*_INDICES, *_SERVICE, *_DIVIDE)
ANNUAL_COLUMNS: tuple[str, ...] = (*ID_COLUMNS, *(o.name for o in ANNUAL_OUTPUTS))

MONTHLY_OUTPUTS: tuple[Output, ...] = (
    Output("online_share", "share", "Requests made online this month"),
    Output("wait_days", "days", "Mean turnaround this month"),
    Output("maladmin_rate", "share", "Requests meeting maladministration this month"),
    Output("staff_utilisation", "ratio", "Mean demand over capacity this month"),
    Output("year", "year", "Calendar year"),
    Output("month", "month", "Calendar month"),
)

OUTPUTS_BY_NAME = {o.name: o for o in ANNUAL_OUTPUTS}
