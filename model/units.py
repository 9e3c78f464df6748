"""Service units: the offices citizens deal with, each a Mesa Agent.

The three units the IPP is evaluated on since 2024 (civil registry, social affairs, the regional
hospital) and the licensing office (DPMPTSP), which hosts the MPP. Their demand shares, staff
shares and base turnaround times are assumptions (no per-unit data was found for either region):
they say where requests go and how long a request takes when nobody queues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from model.model import EGovModel


@dataclass(frozen=True)
class UnitSpec:
    """A service unit's fixed description."""

    key: str
    name: str
    demand_share: float  # share of residents' requests
    staff_share: float  # share of frontline staff
    base_days: float  # turnaround with no queue, days
    online_affinity: float  # share of its services that can move online at full app coverage
    ipp_unit: bool  # evaluated for the IPP


UNITS: tuple[UnitSpec, ...] = (
    UnitSpec("dukcapil", "Dinas Kependudukan dan Pencatatan Sipil", 0.40, 0.25, 3.0, 1.0, True),
    UnitSpec("dinsos", "Dinas Sosial", 0.15, 0.15, 10.0, 0.7, True),
    UnitSpec("rsud", "Rumah Sakit Umum Daerah", 0.35, 0.45, 0.5, 0.5, True),
    UnitSpec("dpmptsp", "DPMPTSP / Mal Pelayanan Publik", 0.10, 0.15, 7.0, 1.0, False),
)
"""Assumption: the split of requests, staff and turnaround across the four units."""


class ServiceUnit(mesa.Agent):
    """One office: its queue, its online offer and its complaint desk, month by month."""

    def __init__(self, model: EGovModel, spec: UnitSpec, index: int) -> None:
        super().__init__(model)
        self.spec = spec
        self.index = index
        self.in_mpp = False
        self.utilisation = 0.5
        self.expected_wait_days = spec.base_days
        self.wait_days = spec.base_days
        self.capacity = 0.0

    def online_coverage(self, apps_stock: float) -> float:
        """Share of this unit's services a citizen can complete online."""
        return self.spec.online_affinity * apps_stock

    def counter_base_days(self) -> float:
        """Turnaround with no queue; an MPP's pooled counters remove part of the wait."""
        relief = self.model.config.behaviour.mpp_wait_relief if self.in_mpp else 0.0
        return self.spec.base_days * (1.0 - relief)

    def settle(self, demand: float, capacity: float) -> None:
        """Set this month's utilisation and wait from weighted demand and staff capacity.

        Waiting follows the single-queue law ``base / (1 - rho)``, with rho capped at
        ``max_utilisation``; citizens expect next month what they heard of recently.
        """
        bh = self.model.config.behaviour
        self.capacity = capacity
        self.utilisation = demand / capacity if capacity > 0 else bh.max_utilisation
        rho = min(self.utilisation, bh.max_utilisation)
        self.wait_days = self.counter_base_days() / (1.0 - rho)
        self.expected_wait_days = 0.7 * self.expected_wait_days + 0.3 * self.wait_days


def unit_arrays(units: list[ServiceUnit]) -> dict[str, np.ndarray]:
    """Per-unit columns the citizen step reads."""
    return {
        "demand_cum": np.cumsum([u.spec.demand_share for u in units]),
        "base_days": np.array([u.spec.base_days for u in units]),
        "in_mpp": np.array([u.in_mpp for u in units]),
        "expected_wait": np.array([u.expected_wait_days for u in units]),
    }
