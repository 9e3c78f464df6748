"""Service units: the offices citizens deal with, each a Mesa Agent.

The three units the IPP is evaluated on (civil registry, social affairs, the regional
hospital) and the licensing office (DPMPTSP), which hosts the MPP. Their demand shares, staff
shares, turnaround times and service standards are assumptions (no per-unit data was found for
either region): they say where requests go, how long a request takes when nobody queues, and
what time the unit's published service standard promises.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np


@dataclass(frozen=True)
class UnitSpec:
    """A service unit's fixed description."""

    key: str
    name: str
    demand_share: float  # share of residents' requests
    staff_share: float  # share of frontline staff
    base_days: float  # turnaround with no queue, days
    standard_days: float  # turnaround promised by the unit's service standard, days
    online_affinity: float  # share of its services that can move online at full app coverage
    ipp_unit: bool  # evaluated for the IPP


UNITS: tuple[UnitSpec, ...] = (
    UnitSpec("dukcapil", "Dinas Kependudukan dan Pencatatan Sipil", 0.40, 0.25, 3.0, 5.0, 1.0,
             True),
    UnitSpec("dinsos", "Dinas Sosial", 0.15, 0.15, 10.0, 14.0, 0.7, True),
    UnitSpec("rsud", "Rumah Sakit Umum Daerah", 0.35, 0.45, 0.5, 1.0, 0.5, True),
    UnitSpec("dpmptsp", "DPMPTSP / Mal Pelayanan Publik", 0.10, 0.15, 7.0, 10.0, 1.0, False),
)
"""Assumption: the split of requests, staff and turnaround across the four units; standards
set at about one and a half to two times the no-queue turnaround (none published was found)."""

UNIT_KEYS = tuple(u.key for u in UNITS)


def unit_index(key: str) -> int:
    """Position of unit ``key`` in :data:`UNITS` (KeyError if there is none)."""
    return UNIT_KEYS.index(key)


class ServiceUnit(mesa.Agent):
    """One office: its queue, its online offer and its place in an MPP, month by month."""

    def __init__(self, model: mesa.Model, spec: UnitSpec, index: int) -> None:
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

    def counter_base_days(self, mpp_wait_relief: float) -> float:
        """Turnaround with no queue (:func:`no_queue_days`)."""
        return float(no_queue_days(self.spec.base_days, self.in_mpp, mpp_wait_relief))

    def settle(self, demand: float, capacity: float, bh) -> None:
        """Set this month's utilisation and wait from weighted demand and staff capacity
        (:func:`queues`).
        """
        self.capacity = capacity
        util, wait, expected = queues(demand, capacity, self.spec.base_days, self.in_mpp,
                                      self.expected_wait_days, bh)
        self.utilisation, self.wait_days, self.expected_wait_days = (
            float(util), float(wait), float(expected))

    def overload(self, bh) -> float:
        """How far past comfortable the unit runs this month: 0 below, 1 at the cap."""
        return float(overload(self.utilisation, bh))


def no_queue_days(base_days, in_mpp, mpp_wait_relief: float):
    """Turnaround with no queue (days); an MPP's pooled counters remove ``mpp_wait_relief``
    of it for the units inside one.
    """
    return base_days * (1.0 - np.where(in_mpp, mpp_wait_relief, 0.0))


def queues(demand, capacity, base_days, in_mpp, expected_wait, bh):
    """Utilisation, wait and next month's expected wait (days) of units (arrays or scalars).

    Waiting follows the single-queue law ``base / (1 - rho)``, with rho capped at
    ``max_utilisation``, from the no-queue turnaround (:func:`no_queue_days`); citizens expect
    next month what they heard of recently. A unit without capacity runs at the cap.
    """
    staffed = np.asarray(capacity) > 0
    util = np.where(staffed, demand / np.where(staffed, capacity, 1.0), bh.max_utilisation)
    rho = np.minimum(util, bh.max_utilisation)
    wait = no_queue_days(base_days, in_mpp, bh.mpp_wait_relief) / (1.0 - rho)
    m = bh.expected_wait_memory
    return util, wait, (1.0 - m) * expected_wait + m * wait


def overload(utilisation, bh):
    """How far past comfortable units run: 0 below ``comfortable_utilisation``, 1 at the cap."""
    span = bh.max_utilisation - bh.comfortable_utilisation
    return np.minimum(np.maximum((utilisation - bh.comfortable_utilisation) / span, 0.0), 1.0)
