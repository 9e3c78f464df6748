"""The regional government (Pemda): its budget and the stocks its spending builds."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

from model.behaviour import per_month
from model.scenario import COMPONENTS, Event, lever_in_year, shares_in_year

if TYPE_CHECKING:
    from model.model import EGovModel

STOCK_COMPONENTS = ("competency", "connectivity", "regulation", "interface")
"""Components whose maturity follows the common stock equation; apps have a portfolio."""


class Government(mesa.Agent):
    """The Pemda: sets the yearly e-government budget and turns spending into maturity.

    Budget (the capital component): the APBD follows its trend growth, times a yearly
    log-normal shock whose spread is ``volatility * (1 - stable_source_share)``; the e-government
    budget is ``egov_share`` of it (times any policy ``budget_multiplier``). A cut against the
    previous year cancels the same share of projects in flight.

    Stocks: spending on a component enters a first-order delay of ``delay_months_*``; the
    delayed flow ``x`` raises the stock by ``gain/12 * x/(x + h) * (1 - S)`` each month and
    depreciation removes ``per_month(d) * S``. Connectivity spending is measured per km2,
    the others per resident. Applications are a portfolio (count, integrated count, quality)
    built from the delayed app flow; its maturity is the share of services online,
    ``1 - exp(-count * quality / apps_coverage_scale)``.
    """

    def __init__(self, model: EGovModel) -> None:
        super().__init__(model)
        sc = model.config
        self.stocks = {c: getattr(sc.initial, c) for c in STOCK_COMPONENTS}
        self.flow_idr = dict.fromkeys(COMPONENTS, 0.0)
        self.n_apps = sc.apps.initial_count
        self.n_integrated = sc.apps.initial_count * sc.apps.initial_integration
        self.app_quality = sc.apps.initial_quality
        self.innovation = 0.0
        self.capital = 0.0
        self.budget_idr = 0.0
        self.apbd_idr = 0.0
        self.shares = shares_in_year(sc, model.year)
        self._last_budget: float | None = None
        # In-flight flows start at the first year's planned spending (a going concern).
        self.set_year_budget(model.year, first=True)
        for c in COMPONENTS:
            self.flow_idr[c] = self.budget_idr * self.shares[c]

    # --- budget ---------------------------------------------------------------------------
    def set_year_budget(self, year: int, first: bool = False) -> None:
        """Draw this year's APBD and e-government budget; cuts cancel projects in flight."""
        sc = self.model.config
        b = sc.budget
        trend = b.apbd_idr * (1.0 + b.apbd_growth_per_year) ** (year - b.apbd_year)
        sd = b.volatility * (1.0 - b.stable_source_share)
        shock = float(self.model.rng.normal(0.0, sd)) if sd > 0 else 0.0
        self.apbd_idr = trend * math.exp(shock - 0.5 * sd * sd)
        self.budget_idr = (self.apbd_idr * b.egov_share
                           * lever_in_year(sc, "budget_multiplier", year))
        self.shares = shares_in_year(sc, year)
        if not first and self._last_budget and self.budget_idr < self._last_budget:
            kept = self.budget_idr / self._last_budget
            for c in COMPONENTS:
                self.flow_idr[c] *= kept
        self._last_budget = self.budget_idr
        per_resident = self.budget_idr / sc.population.residents
        half = 5 * sc.behaviour.spend_half_saturation_idr_per_resident  # five components
        adequacy = per_resident / (per_resident + half)
        stability = math.exp(-abs(shock))
        target = adequacy * stability
        self.capital = target if first else 0.5 * self.capital + 0.5 * target

    # --- monthly investment --------------------------------------------------------------
    def invest(self, staff_digital_skill: float) -> None:
        """One month of spending: delays, stock gains and depreciation, the app portfolio."""
        sc, bh = self.model.config, self.model.config.behaviour
        for c in COMPONENTS:
            delay = getattr(bh, f"delay_months_{c}")
            self.flow_idr[c] += (self.budget_idr * self.shares[c] - self.flow_idr[c]) / delay
        for c in STOCK_COMPONENTS:
            if c == "connectivity":
                x = self.flow_idr[c] / sc.population.area_km2
                h = bh.connectivity_half_saturation_idr_per_km2
            else:
                x = self.flow_idr[c] / sc.population.residents
                h = bh.spend_half_saturation_idr_per_resident
            s = self.stocks[c]
            gain = bh.stock_gain_per_year / 12.0 * x / (x + h)
            dep = per_month(getattr(bh, f"depreciation_per_year_{c}"))
            self.stocks[c] = min(1.0, max(0.0, s + gain * (1.0 - s) - dep * s))
        self._develop_apps(staff_digital_skill)
        self.innovation *= 1.0 - per_month(bh.innovation_decay_per_year)
        self.innovation += bh.competency_innovation_per_year / 12.0 * self.stocks["competency"]

    def _develop_apps(self, staff_digital_skill: float) -> None:
        sc, bh = self.model.config, self.model.config.behaviour
        integration_share = lever_in_year(sc, "integration_share", self.model.year)
        monthly = self.flow_idr["apps"] / 12.0
        new = monthly * (1.0 - integration_share) / bh.app_cost_idr
        retire = per_month(bh.app_retirement_per_year)
        self.n_integrated *= 1.0 - retire
        old = self.n_apps * (1.0 - retire)
        # New apps are as good as the staff and the standards that build them.
        q_new = 0.5 * staff_digital_skill + 0.5 * self.stocks["regulation"]
        self.n_apps = old + new
        if self.n_apps > 0:
            self.app_quality = (old * self.app_quality + new * q_new) / self.n_apps
        speed = 0.5 + 0.5 * self.stocks["regulation"]  # data standards speed integration
        integrate = monthly * integration_share / bh.integration_cost_idr * speed
        self.n_integrated = min(self.n_apps, self.n_integrated + integrate)

    def apply_event(self, event: Event) -> None:
        """A super-app brings a share of unintegrated apps behind one front end."""
        if event.kind == "superapp":
            self.n_integrated += event.integration_gain * (self.n_apps - self.n_integrated)
        self.innovation += event.innovation

    # --- derived quantities --------------------------------------------------------------
    @property
    def integration(self) -> float:
        """Share of applications integrated."""
        return self.n_integrated / self.n_apps if self.n_apps > 0 else 1.0

    @property
    def fragmentation(self) -> float:
        """Unintegrated applications relative to ``fragmentation_scale_apps``."""
        bh = self.model.config.behaviour
        return (self.n_apps - self.n_integrated) / bh.fragmentation_scale_apps

    @property
    def apps_stock(self) -> float:
        """Apps maturity: the share of services available online."""
        bh = self.model.config.behaviour
        return 1.0 - math.exp(-self.n_apps * self.app_quality / bh.apps_coverage_scale)

    def stock_values(self) -> dict[str, float]:
        """The six component stocks (0-1)."""
        return {"apps": self.apps_stock, **self.stocks, "capital": self.capital}

