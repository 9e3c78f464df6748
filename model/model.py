"""EGovModel: one region, month by month, from budget to citizens' satisfaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np

from model.assessment import YearState, assess
from model.citizens import ACCUMULATORS, Citizens, MonthContext
from model.government import Government
from model.outputs import MONTHLY_OUTPUTS, QUINTILES
from model.scenario import Scenario, lever_in_year, load_scenario, with_overrides
from model.staff import StaffPool
from model.units import UNITS, ServiceUnit

DEFAULT_POPULATION = 20_000
"""Simulated citizens when none is asked for; each stands for residents / population."""

DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "jember.toml"
MIN_STAFF_AGENTS = 200


def resolve_run(scenario: Scenario | str | Path | None, population: int | None,
                start_year: int, end_year: int,
                overrides: dict[str, Any] | None) -> tuple[Scenario, int]:
    """The scenario a model runs (loaded, with overrides) and its simulated citizen count.

    Shared by :class:`EGovModel` and the per-agent reference model, so both accept the same
    arguments the same way.
    """
    if scenario is None or isinstance(scenario, str | Path):
        scenario = load_scenario(scenario or DEFAULT_SCENARIO)
    if overrides:
        scenario = with_overrides(scenario, overrides)
    if end_year < start_year:
        raise ValueError(f"end_year {end_year} is before start_year {start_year}")
    residents = scenario.population.residents
    n_citizens = residents if population is None else min(int(population), residents)
    if n_citizens < 1:
        raise ValueError("population must be at least 1")
    return scenario, n_citizens


class EGovModel(mesa.Model):
    """A regional government, its service units, civil servants and citizens.

    One step is one month. Phases, in order, and why there:

    1. **Year start** (January): the year's budget is drawn (capital component); civil servants
       age, retire and are replaced; literacy drifts up; yearly tallies reset. First, because
       every later phase spends this year's money and works with this year's staff.
    2. **Events** dated this month (an MPP opens, a super-app launches, a recruitment round):
       before investment, so an opening counts from its month.
    3. **Government invests**: spending flows through delays into the component stocks and
       the application portfolio. Before staff and citizens, who meet this month's systems.
    4. **Staff develop**: training (competency stock), learning by doing (last month's load),
       integrity (regulation). Before service, so gains show in this month's work.
    5. **Citizens seek service**: needs, channel choice, queues set by the demand just chosen,
       an individual civil servant per request, outcomes, complaints, satisfaction and trust.
    6. **Units learn**: answered complaints improve their staff; each civil servant's load is
       kept for next month's learning by doing. After service, because they use its results.
    7. **Data collection**: the monthly outputs of ``MONTHLY_OUTPUTS``.
    8. **Assessment** (December): SPBE, IPP and IKM from the states reached; the year's row.

    All randomness comes from ``self.rng``, seeded by ``rng``.
    """

    def __init__(self, scenario: Scenario | str | Path | None = None,
                 population: int | None = DEFAULT_POPULATION, start_year: int = 2018,
                 end_year: int = 2030, overrides: dict[str, Any] | None = None,
                 rng: Any = None) -> None:
        super().__init__(rng=rng)
        scenario, n_citizens = resolve_run(scenario, population, start_year, end_year,
                                           overrides)
        self.config = scenario
        self.start_year, self.end_year = start_year, end_year
        self.year, self.month = start_year, 1
        residents = scenario.population.residents
        bh = scenario.behaviour

        self.citizens = Citizens(scenario.population, bh, n_citizens, self.rng)
        real_staff = scenario.staff.civil_servants * scenario.staff.frontline_share
        n_staff = int(min(real_staff, max(MIN_STAFF_AGENTS,
                                          round(real_staff * n_citizens / residents))))
        self.staff = StaffPool(scenario.staff, max(n_staff, 1), self.rng)
        self.units = [ServiceUnit(self, spec, i) for i, spec in enumerate(UNITS)]
        self.government = Government(self)
        self._conn0 = self.government.stocks["connectivity"]
        self.mpp_open = False
        self.load = np.zeros(self.staff.n, dtype=np.float32)
        self.annual_records: list[dict[str, Any]] = []
        self.month_stats: dict[str, float] = dict.fromkeys(("online_share", "wait_days",
                                                            "maladmin_rate"), 0.0)
        self._year_counter = np.zeros(3)  # counter requests, successes, clean
        self._utilisation_sum = 0.0
        # Events dated before the first simulated month have already happened.
        for event in scenario.events:
            if (event.year, event.month) < (start_year, 1):
                self._apply_event(event)
        self.datacollector = mesa.DataCollector(
            model_reporters={o.name: _reporter(o.name) for o in MONTHLY_OUTPUTS})

    # --- the step -------------------------------------------------------------------------
    def step(self) -> None:
        """One month (see the class docstring for the phase order)."""
        if not self.running:
            return
        sc, bh = self.config, self.config.behaviour
        if self.month == 1:
            self._start_year()
        for event in sc.events:
            if (event.year, event.month) == (self.year, self.month):
                self._apply_event(event)
        gov = self.government
        gov.invest(float(self.staff.digital.mean()))
        self.staff.develop(bh, gov.stocks["competency"], gov.stocks["regulation"], self.load)
        result = self.citizens.seek_service(bh, self._context(), _DEMAND_CUM, self._settle)
        self._learn(result)
        self.datacollector.collect(self)
        if self.month == 12:
            self.annual_records.append(self._assess())
            if self.year >= self.end_year:
                self.running = False
        self.month = self.month % 12 + 1
        if self.month == 1:
            self.year += 1

    def _start_year(self) -> None:
        sc = self.config
        if self.year > self.start_year:
            self.government.set_year_budget(self.year)
            self.staff.age_and_turn_over(lever_in_year(sc, "hires_per_year_share", self.year),
                                         lever_in_year(sc, "hire_quality", self.year))
            self.load = np.zeros(self.staff.n, dtype=np.float32)
        self.citizens.start_year(sc.behaviour)
        self._year_counter[:] = 0.0
        self._utilisation_sum = 0.0

    def _apply_event(self, event) -> None:
        if event.kind == "mpp_open":
            self.mpp_open = True
            for unit in self.units:
                unit.in_mpp = True
        elif event.kind == "recruitment":
            quality = event.quality if event.quality is not None else lever_in_year(
                self.config, "hire_quality", self.year)
            n_sim = self.rng.poisson(event.hires * self.config.staff.frontline_share
                                     / self.staff.weight)
            self.staff.hire(int(n_sim), quality)
            self.load = np.zeros(self.staff.n, dtype=np.float32)
        self.government.apply_event(event)

    def internet_coverage(self) -> np.ndarray:
        """Share of [rural, urban] residents with usable internet this month.

        Starting access, plus the exogenous national trend, plus what connectivity spending
        adds beyond the starting stock.
        """
        pop, bh = self.config.population, self.config.behaviour
        t = self.year - self.start_year + (self.month - 1) / 12.0
        extra = (bh.internet_trend_per_year * t + bh.connectivity_access_effect
                 * (self.government.stocks["connectivity"] - self._conn0))
        base = np.array([pop.internet_access_rural, pop.internet_access_urban])
        return np.clip(base + extra, 0.0, 0.99)

    def _context(self) -> MonthContext:
        gov, bh = self.government, self.config.behaviour
        base_days = np.array([u.spec.base_days for u in self.units])
        iface = gov.stocks["interface"]
        staff_service = float(self.staff.service.mean())
        return MonthContext(
            coverage=self.internet_coverage(),
            online_coverage=np.array([u.online_coverage(gov.apps_stock) for u in self.units]),
            expected_wait=np.array([u.expected_wait_days for u in self.units]),
            online_days=base_days * bh.online_days_ratio
            * (1.0 + bh.staff_burden_per_fragmentation * gov.fragmentation),
            intermediary_days=base_days * bh.intermediary_days_ratio,
            travel_relief=np.array([bh.mpp_travel_relief if u.in_mpp else 0.0
                                    for u in self.units]),
            fragmentation=gov.fragmentation,
            regulation=gov.stocks["regulation"],
            # A national channel (SP4N-LAPOR) always exists; local desks add to it.
            complaint_channel=0.3 + 0.7 * iface,
            answer_rate=iface * (0.5 + 0.5 * staff_service),
        )

    def _settle(self, counter_units: np.ndarray, online_units: np.ndarray):
        """Units set utilisation and wait from this month's chosen demand (real requests)."""
        bh, cw = self.config.behaviour, self.citizens.weight
        n_units = len(self.units)
        demand = (np.bincount(counter_units, minlength=n_units)
                  + bh.online_staff_time_share * np.bincount(online_units, minlength=n_units)) * cw
        capacity = self.staff.unit_capacity(bh, self.government.fragmentation)
        for unit in self.units:
            unit.settle(demand[unit.index], capacity[unit.index])
        wait = np.array([u.wait_days for u in self.units])
        util = np.array([u.utilisation for u in self.units])
        self._utilisation_sum += float(util.mean())
        return wait, util, self._staff_of

    def _staff_of(self, unit: np.ndarray, draw: np.ndarray):
        """The civil servant each request meets: uniform within its unit."""
        st = self.staff
        count = st.unit_count[unit]
        j = st.unit_start[unit] + (draw * count).astype(np.intp)
        if not st.unit_count.all():  # a unit without staff: anyone may serve its requests
            j = np.where(count > 0, j, (draw * st.n).astype(np.intp))
        j = np.minimum(j, st.n - 1)
        return j, st.service[j], st.integrity[j]

    def _learn(self, r: dict[str, np.ndarray]) -> None:
        """Loads for learning by doing; answered complaints improve their units; tallies."""
        bh, st = self.config.behaviour, self.staff
        counter, online = r["counter"], r["online"]
        work = counter + bh.online_staff_time_share * online
        served = np.bincount(r["staff"], weights=work, minlength=st.n)
        served *= self.citizens.weight / st.weight
        self.load = (served / np.maximum(st.productivity(bh, self.government.fragmentation),
                                         1e-9)).astype(np.float32)
        n_units = len(self.units)
        requests = np.bincount(r["unit"], minlength=n_units)
        answered = np.bincount(r["unit"], weights=r["answered"], minlength=n_units)
        gain = bh.complaint_improvement * answered / np.maximum(requests, 1)
        st.improve_units(np.minimum(gain, 0.5))
        n_counter = counter.sum()
        self._year_counter += (n_counter, (r["success"] & counter).sum(),
                               (~r["maladmin"] & counter).sum())
        k = max(len(counter), 1)
        self.month_stats = {"online_share": float(online.sum() / k),
                            "wait_days": float(self._month_wait()),
                            "maladmin_rate": float(r["maladmin"].sum() / k)}

    def _month_wait(self) -> float:
        shares = np.array([u.spec.demand_share for u in self.units])
        return float(np.dot(shares, [u.wait_days for u in self.units]) / shares.sum())

    # --- the year's evaluation ------------------------------------------------------------
    def _assess(self) -> dict[str, Any]:
        gov, st, bh = self.government, self.staff, self.config.behaviour
        tot = dict(zip(ACCUMULATORS, self.citizens.year_totals, strict=True))
        visits = tot["visits"].sum()
        ipp_staff = np.isin(st.unit, [i for i, u in enumerate(UNITS) if u.ipp_unit])
        n_counter, ok, clean = self._year_counter
        state = YearState(
            year=self.year, stocks=gov.stock_values(), integration=gov.integration,
            staff_digital=float(st.digital.mean()),
            staff_service=float(st.service[ipp_staff].mean()) if ipp_staff.any() else 0.0,
            counter_success=ok / n_counter if n_counter else 1.0,
            counter_clean=clean / n_counter if n_counter else 1.0,
            complaints=float(tot["complaints"].sum()), answered=float(tot["answered"].sum()),
            innovation=gov.innovation, mpp_open=self.mpp_open,
            mean_satisfaction=tot["satisfaction"].sum() / visits if visits else 0.0)
        row: dict[str, Any] = {"year": self.year, **assess(state, bh, self.rng)}
        ratio = lambda a, b: float(a / b) if b else float("nan")  # noqa: E731
        row.update({
            "online_share": ratio(tot["online"].sum(), visits),
            "intermediary_share": ratio(tot["intermediary"].sum(), visits),
            "wait_days": ratio(tot["wait_days"].sum(), visits),
            "success_rate": ratio(tot["success"].sum(), visits),
            "maladmin_rate": ratio(tot["maladmin"].sum(), visits),
            "complaint_rate": ratio(tot["complaints"].sum(), visits),
            "answered_share": ratio(tot["answered"].sum(), tot["complaints"].sum()),
            "internet_access": self._access_share(),
            "literacy_mean": float(self.citizens.literacy.mean()),
            "staff_headcount": st.headcount,
            "staff_digital_skill": float(st.digital.mean()),
            "staff_service_skill": float(st.service.mean()),
            "staff_integrity": float(st.integrity.mean()),
            "staff_utilisation": self._utilisation_sum / 12.0,
            "n_apps": gov.n_apps, "integration": gov.integration,
            "fragmentation": gov.fragmentation, "budget_egov_idr": gov.budget_idr,
            **{f"stock_{k}": v for k, v in gov.stock_values().items()},
        })
        v = tot["visits"]
        for m, key in (("online_share", "online"), ("satisfaction", "satisfaction"),
                       ("wait_days", "wait_days")):
            by_q = tot[key][:5] + tot[key][5:]
            n_q = v[:5] + v[5:]
            for i, q in enumerate(QUINTILES):
                row[f"{m}_{q}"] = ratio(by_q[i], n_q[i])
            row[f"{m}_urban"] = ratio(tot[key][5:].sum(), v[5:].sum())
            row[f"{m}_rural"] = ratio(tot[key][:5].sum(), v[:5].sum())
        row["online_gap_q5_q1"] = row["online_share_q5"] - row["online_share_q1"]
        return row

    def _access_share(self) -> float:
        cov = self.internet_coverage()
        c = self.citizens
        return float(np.mean(c.access_rank < cov[c.urban.astype(np.intp)]))


_DEMAND_CUM = np.cumsum([u.demand_share for u in UNITS])


def _reporter(name: str):
    if name in ("year", "month"):
        return lambda m: getattr(m, name)
    if name == "staff_utilisation":
        return lambda m: float(np.mean([u.utilisation for u in m.units]))
    return lambda m: m.month_stats[name]


__all__ = ["DEFAULT_POPULATION", "EGovModel"]
