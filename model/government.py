"""The regional government (Pemda): its budget and the stocks and programmes its spending buys."""

from __future__ import annotations

import math

import mesa
import numpy as np

from model.behaviour import per_month
from model.scenario import (
    COMPONENTS,
    INTERFACE_PROGRAMMES,
    Event,
    Scenario,
    lever_in_year,
    shares_in_year,
)

AREAS = ("rural", "urban")
STOCK_KEYS = ("competency", "connectivity_rural", "connectivity_urban", "regulation",
              "enforcement", "interface")
"""Stocks that follow the common stock equation; apps have a portfolio of their own."""


# --- formulas for one run (floats) or several (arrays, :class:`StackedGovernment`) --------
def saturation(x, h):
    """``x / (x + h)``, 0 where ``x`` <= 0."""
    if np.ndim(x) == 0:
        return x / (x + h) if x > 0 else 0.0
    return np.divide(x, x + h, out=np.zeros(np.shape(x)), where=x > 0)


def clip01(v):
    """``v`` within [0, 1]."""
    if np.ndim(v) == 0:
        return min(1.0, max(0.0, v))
    return np.minimum(1.0, np.maximum(0.0, v))


def lesser(a, b):
    """The smaller of ``a`` and ``b`` (elementwise)."""
    return min(a, b) if np.ndim(a) == 0 and np.ndim(b) == 0 else np.minimum(a, b)


def greater(a, b):
    """The larger of ``a`` and ``b`` (elementwise)."""
    return max(a, b) if np.ndim(a) == 0 and np.ndim(b) == 0 else np.maximum(a, b)


def share_of(part, whole, empty):
    """``part / whole``, ``empty`` where ``whole`` <= 0."""
    if np.ndim(whole) == 0:
        return part / whole if whole > 0 else empty
    return np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), empty)


def exp(x):
    """``e**x`` by ``math.exp`` for every element: NumPy's vectorised exp can differ from it
    in the last bit, and a run's numbers must not depend on being stepped with others.
    """
    if np.ndim(x) == 0:
        return math.exp(x)
    return np.array([math.exp(v) for v in np.ravel(x)]).reshape(np.shape(x))


class Government(mesa.Agent):
    """The Pemda: sets the yearly e-government budget and turns spending into maturity.

    Budget (the capital component): the APBD follows its trend growth, times a yearly
    log-normal shock whose spread is ``volatility * (1 - stable_source_share)``; the e-government
    budget is ``egov_share`` of it (times any policy ``budget_multiplier``). A cut against the
    previous year cancels the same share of projects in flight.

    Stocks: spending on a component enters a first-order delay of ``delay_months_*``; the
    delayed flow ``x`` raises a stock by ``gain/12 * x/(x + h) * (1 - S)`` each month and
    depreciation removes ``per_month(d) * S``. Connectivity money is split between rural and
    urban areas (``connectivity_rural_share``) and measured per km2 of each; the others per
    resident. Regulation money buys rules and standards, and (``enforcement_share``)
    enforcement. Citizen-interface money keeps counters and portals (the interface stock) and
    pays four programmes whose monthly money is used as it comes: complaint promotion, complaint
    desks, literacy courses and assisted-digital agents. Applications are a portfolio (count,
    integrated count, quality) built from the delayed app flow; its maturity is the share of
    services online, ``1 - exp(-count * quality / apps_coverage_scale)``. Each unit's
    innovation grows with its staff's skill times the competency stock and with application
    spending, and fades as innovations stop being new.
    """

    def __init__(self, model: mesa.Model, scenario: Scenario, year: int,
                 rng: np.random.Generator, n_units: int) -> None:
        super().__init__(model)
        self.sc, self.bh, self.budget_rng = scenario, scenario.behaviour, rng
        pop = scenario.population
        self.residents, self.urban_share = pop.residents, pop.urban_share
        self.area_km2 = {"rural": max(pop.area_km2 * (1.0 - pop.urban_area_share), 1e-9),
                         "urban": max(pop.area_km2 * pop.urban_area_share, 1e-9)}
        self._levers: dict[tuple[str, int], object] = {}  # (lever, year) -> value, see lever()
        ini = scenario.initial
        self.stocks = {"competency": ini.competency, "connectivity_rural": ini.connectivity,
                       "connectivity_urban": ini.connectivity, "regulation": ini.regulation,
                       "enforcement": 0.0, "interface": ini.interface}
        self.flow_idr = dict.fromkeys(COMPONENTS, 0.0)
        apps = scenario.apps
        self.n_apps = apps.initial_count
        self.n_integrated = apps.initial_count * apps.initial_integration
        self.app_quality = apps.initial_quality
        self.innovation = np.zeros(n_units)  # set to its steady state by start_innovation
        self.capital = 0.0
        self.budget_idr = 0.0
        self.apbd_idr = 0.0
        self.year = year
        self.shares = shares_in_year(scenario, year)
        self._last_budget: float | None = None
        # In-flight flows start at the first year's planned spending (a going concern).
        self.set_year_budget(year, first=True)
        for c in COMPONENTS:
            self.flow_idr[c] = self.budget_idr * self.shares[c]

    def lever(self, name: str):
        """A policy lever in force this year (looked up once a year, then remembered: the
        scenario does not change during a run).
        """
        key = (name, self.year)
        if key not in self._levers:
            self._levers[key] = lever_in_year(self.sc, name, self.year)
        return self._levers[key]

    # --- budget ---------------------------------------------------------------------------
    def set_year_budget(self, year: int, first: bool = False) -> None:
        """Draw this year's APBD and e-government budget; cuts cancel projects in flight."""
        self.year = year
        b = self.sc.budget
        trend = b.apbd_idr * (1.0 + b.apbd_growth_per_year) ** (year - b.apbd_year)
        sd = b.volatility * (1.0 - b.stable_source_share)
        shock = float(self.budget_rng.normal(0.0, sd)) if sd > 0 else 0.0
        self.apbd_idr = trend * math.exp(shock - 0.5 * sd * sd)
        self.budget_idr = self.apbd_idr * b.egov_share * self.lever("budget_multiplier")
        self.shares = shares_in_year(self.sc, year)
        if not first and self._last_budget and self.budget_idr < self._last_budget:
            kept = self.budget_idr / self._last_budget
            for c in COMPONENTS:
                self.flow_idr[c] *= kept
        self._last_budget = self.budget_idr
        per_resident = self.budget_idr / self.sc.population.residents
        half = len(COMPONENTS) * self.bh.spend_half_saturation_idr_per_resident
        adequacy = per_resident / (per_resident + half) if per_resident > 0 else 0.0
        target = adequacy * math.exp(-abs(shock))  # money that is enough and steady
        m = self.bh.capital_memory
        self.capital = target if first else m * self.capital + (1.0 - m) * target

    def spend_idr(self) -> dict[str, float]:
        """The year's planned spending per component (IDR)."""
        return {c: self.budget_idr * self.shares[c] for c in COMPONENTS}

    # --- monthly investment --------------------------------------------------------------
    def invest(self, staff_digital_skill: float, unit_staff_skill: np.ndarray) -> None:
        """One month of spending: delays, stock gains and depreciation, apps, innovation."""
        bh = self.bh
        for c in COMPONENTS:
            delay = getattr(bh, f"delay_months_{c}")
            self.flow_idr[c] += (self.budget_idr * self.shares[c] - self.flow_idr[c]) / delay
        rural = self.connectivity_rural_share()
        enforce = self.lever("enforcement_share")
        kept = 1.0 - sum(self.lever(k) for k in INTERFACE_PROGRAMMES)
        per_resident = {
            "competency": self.flow_idr["competency"],
            "regulation": self.flow_idr["regulation"] * (1.0 - enforce),
            "enforcement": self.flow_idr["regulation"] * enforce,
            "interface": self.flow_idr["interface"] * kept,
        }
        for key, idr in per_resident.items():
            dep = "regulation" if key == "enforcement" else key
            self._grow(key, idr / self.residents, bh.spend_half_saturation_idr_per_resident, dep)
        for a, share in (("rural", rural), ("urban", 1.0 - rural)):
            x = self.flow_idr["connectivity"] * share / self.area_km2[a]
            self._grow(f"connectivity_{a}", x, bh.connectivity_half_saturation_idr_per_km2,
                       "connectivity")
        self._develop_apps(staff_digital_skill)
        self.innovation *= 1.0 - per_month(bh.innovation_decay_per_year)
        self.innovation += self._innovation_inflow(unit_staff_skill)

    def _innovation_inflow(self, unit_staff_skill: np.ndarray) -> np.ndarray:
        """New innovation per unit this month: its workforce and the app spending."""
        bh = self.bh
        x = self.flow_idr["apps"] / self.residents
        h = bh.spend_half_saturation_idr_per_resident
        return (bh.competency_innovation_per_year * self.stocks["competency"]
                * unit_staff_skill + bh.apps_innovation_per_year * x / (x + h)) / 12.0

    def start_innovation(self, unit_staff_skill: np.ndarray) -> None:
        """Each unit's innovation at the steady state of the starting stocks and flows: a
        going concern has innovated before the first simulated month.
        """
        self.innovation = self._innovation_inflow(unit_staff_skill) / per_month(
            self.bh.innovation_decay_per_year)

    def _grow(self, key: str, x: float, h: float, depreciation_of: str) -> None:
        s = self.stocks[key]
        gain = self.bh.stock_gain_per_year / 12.0 * saturation(x, h)
        dep = per_month(getattr(self.bh, f"depreciation_per_year_{depreciation_of}"))
        self.stocks[key] = clip01(s + gain * (1.0 - s) - dep * s)

    def connectivity_rural_share(self) -> float:
        """Share of connectivity money for rural areas (default: their share of residents)."""
        share = self.lever("connectivity_rural_share")
        return 1.0 - self.urban_share if share is None else share

    def _develop_apps(self, staff_digital_skill: float) -> None:
        bh = self.bh
        integration_share = self.lever("integration_share")
        monthly = self.flow_idr["apps"] / 12.0
        new = monthly * (1.0 - integration_share) / bh.app_cost_idr
        retire = per_month(bh.app_retirement_per_year)
        self.n_integrated *= 1.0 - retire
        old = self.n_apps * (1.0 - retire)
        # New apps are as good as the staff and the standards that build them (their mean).
        q_new = (staff_digital_skill + self.stocks["regulation"]) / 2.0
        self.n_apps = old + new
        # the mean quality of old and new apps (the old while there are none)
        self.app_quality = share_of(old * self.app_quality + new * q_new, old + new,
                                    self.app_quality)
        # Data standards speed integration: from half speed with no rules to full speed.
        speed = (1.0 + self.stocks["regulation"]) / 2.0
        integrate = monthly * integration_share / bh.integration_cost_idr * speed
        self.n_integrated = lesser(self.n_apps, self.n_integrated + integrate)

    def apply_event(self, event: Event) -> None:
        """A super-app brings a share of unintegrated apps behind one front end."""
        if event.kind == "superapp":
            self.n_integrated += event.integration_gain * (self.n_apps - self.n_integrated)

    # --- programmes paid from the citizen-interface money (monthly, real units) ----------
    def programme_idr_month(self, lever: str) -> float:
        """Money for one interface programme this month (IDR)."""
        return self.flow_idr["interface"] * self.lever(lever) / 12.0

    def desk_capacity(self, staff_service: float) -> float:
        """Complaints the desks can answer this month (real): the regular desks, as good as
        the interface stock and the staff, plus what funded desk capacity buys.
        """
        bh, residents = self.bh, self.residents
        regular = (self.stocks["interface"] * (1.0 + staff_service) / 2.0
                   * bh.desk_answers_per_1000_residents_month * residents / 1000.0)
        funded = (self.programme_idr_month("complaint_desk_share")
                  / bh.cost_per_answered_complaint_idr)
        return regular + funded

    def awareness(self) -> float:
        """Residents' awareness of the complaint channels bought by promotion (0-1)."""
        x = 12.0 * self.programme_idr_month("complaint_promotion_share") / self.residents
        return saturation(x, self.bh.promotion_half_saturation_idr_per_resident)

    def course_places(self) -> float:
        """Residents a literacy course can take this month (real)."""
        return self.programme_idr_month("literacy_course_share") / self.bh.literacy_course_cost_idr

    def assisted_capacity(self) -> float:
        """Online requests assisted-digital agents can file this month (real)."""
        agents = 12.0 * self.programme_idr_month("assisted_points_share") \
            / self.bh.assisted_agent_cost_idr_per_year
        return agents * self.bh.assisted_requests_per_agent_month

    # --- derived quantities --------------------------------------------------------------
    @property
    def integration(self) -> float:
        """Share of applications integrated."""
        return share_of(self.n_integrated, self.n_apps, 1.0)

    @property
    def fragmentation(self) -> float:
        """How fragmented the systems a request meets are (0-1): ``U / (U + scale)`` for ``U``
        unintegrated applications. Saturating, because one request touches only the few
        systems of its own service: a thousand unintegrated apps burden it little more than a
        hundred.
        """
        unintegrated = greater(self.n_apps - self.n_integrated, 0.0)
        return unintegrated / (unintegrated + self.bh.fragmentation_scale_apps)

    @property
    def apps_stock(self) -> float:
        """Apps maturity: the share of services available online."""
        return 1.0 - exp(-self.n_apps * self.app_quality / self.bh.apps_coverage_scale)

    def connectivity(self) -> float:
        """Connectivity maturity as residents meet it: the area stocks by their residents."""
        u = self.urban_share
        return u * self.stocks["connectivity_urban"] + (1 - u) * self.stocks["connectivity_rural"]

    def stock_values(self) -> dict[str, float]:
        """The six component stocks (0-1) and the enforcement stock."""
        return {"apps": self.apps_stock, "competency": self.stocks["competency"],
                "connectivity": self.connectivity(), "regulation": self.stocks["regulation"],
                "interface": self.stocks["interface"], "capital": self.capital,
                "enforcement": self.stocks["enforcement"]}


def _column(values) -> np.ndarray:
    return np.array(values, dtype=float).reshape(-1, 1)


class StackedGovernment(Government):
    """Several runs' governments as one for the month's work (:mod:`model.batch`): every
    value a column with a row per run (the innovation a row of units per run), so the
    formulas of :class:`Government` serve all runs at once and give each run's own numbers.

    The yearly work (the budget draw) and events stay with each run's own
    :class:`Government`: :meth:`give` hands the month's state back to them, :meth:`take`
    reads it again.
    """

    def __init__(self, parts: list[Government]) -> None:  # not an agent of any model
        self.parts = parts
        self.bh = parts[0].bh
        self.residents = _column([g.residents for g in parts])
        self.urban_share = _column([g.urban_share for g in parts])
        self.area_km2 = {a: _column([g.area_km2[a] for g in parts]) for a in AREAS}
        self.take()

    def take(self) -> None:
        """Read each run's state (after its yearly work or an event)."""
        parts = self.parts
        self.year = parts[0].year
        self._levers = {}
        self.stocks = {k: _column([g.stocks[k] for g in parts]) for k in STOCK_KEYS}
        self.flow_idr = {c: _column([g.flow_idr[c] for g in parts]) for c in COMPONENTS}
        self.shares = {c: _column([g.shares[c] for g in parts]) for c in COMPONENTS}
        self.budget_idr = _column([g.budget_idr for g in parts])
        self.n_apps = _column([g.n_apps for g in parts])
        self.n_integrated = _column([g.n_integrated for g in parts])
        self.app_quality = _column([g.app_quality for g in parts])
        self.innovation = np.stack([g.innovation for g in parts])

    def give(self) -> None:
        """Hand the month's state back to each run's government."""
        for b, g in enumerate(self.parts):
            for k in STOCK_KEYS:
                g.stocks[k] = float(self.stocks[k][b, 0])
            for c in COMPONENTS:
                g.flow_idr[c] = float(self.flow_idr[c][b, 0])
            g.n_apps = float(self.n_apps[b, 0])
            g.n_integrated = float(self.n_integrated[b, 0])
            g.app_quality = float(self.app_quality[b, 0])
            g.innovation = self.innovation[b].copy()

    def lever(self, name: str) -> np.ndarray:
        """Each run's lever, a column."""
        key = (name, self.year)
        if key not in self._levers:
            self._levers[key] = _column([g.lever(name) for g in self.parts])
        return self._levers[key]

    def connectivity_rural_share(self) -> np.ndarray:
        """Each run's rural share of connectivity money, a column."""
        key = ("connectivity_rural_share:resolved", self.year)
        if key not in self._levers:
            self._levers[key] = _column([g.connectivity_rural_share() for g in self.parts])
        return self._levers[key]
