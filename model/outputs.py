"""Every output declared once: name, unit, description. Tables and the DataCollector use this."""

from __future__ import annotations

from dataclasses import dataclass

from model.assessment import IPP_WEIGHTS, SPBE_WEIGHTS
from model.scenario import STOCKS


@dataclass(frozen=True)
class Output:
    """One output column."""

    name: str
    unit: str
    description: str


ID_COLUMNS = ("scenario", "region", "replication", "seed", "year")

_INDICES = [
    Output("spbe", "index 1-5", "SPBE index as an assessor would score it"),
    Output("spbe_predikat", "label", "SPBE predikat (Kurang ... Memuaskan)"),
    Output("spbe_official_round", "bool", "Whether a national SPBE evaluation took place"),
    Output("ipp", "index 1-5", "Public-service index (IPP) as evaluators would score it"),
    Output("ipp_grade", "label", "IPP grade (E ... A)"),
    Output("ikm", "index 1-4", "Citizen satisfaction index (IKM) of the year's service users"),
    Output("ikm_category", "label", "IKM category"),
    *(Output(f"spbe_{d}", "0-1", f"SPBE domain maturity: {d}") for d in SPBE_WEIGHTS),
    *(Output(f"ipp_{a}", "0-1", f"IPP aspect score: {a}") for a in IPP_WEIGHTS),
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
    Output("literacy_mean", "0-1", "Mean digital literacy of residents"),
    Output("staff_headcount", "persons", "Frontline civil servants"),
    Output("staff_digital_skill", "0-1", "Mean digital skill of frontline civil servants"),
    Output("staff_service_skill", "0-1", "Mean service skill of frontline civil servants"),
    Output("staff_integrity", "0-1", "Mean integrity of frontline civil servants"),
    Output("staff_utilisation", "ratio", "Mean demand over capacity at the units"),
    Output("n_apps", "apps", "Applications in use"),
    Output("integration", "share", "Applications integrated"),
    Output("fragmentation", "ratio", "Unintegrated applications over the fragmentation scale"),
    Output("budget_egov_idr", "IDR/year", "E-government budget this year"),
    *(Output(f"stock_{c}", "0-1", f"Component stock: {c}") for c in STOCKS),
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
