"""EGovModel: one region, month by month, from budget to citizens' satisfaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np

from model.assessment import YearState, YearTally, assess, within
from model.citizens import ACCUMULATORS, Citizens, MonthContext, Outcomes
from model.defaults import DEFAULT_POPULATION, DEFAULT_YEARS
from model.government import Government
from model.io import data_path
from model.outputs import MONTHLY_OUTPUTS, QUINTILES
from model.rules import IPP_UNITS, SURVEY
from model.scenario import (
    COMPONENTS,
    Event,
    Scenario,
    lever_in_year,
    load_scenario,
    with_overrides,
)
from model.seeds import process_streams
from model.staff import HiringPlan, StaffPool, unit_spread
from model.units import UNITS, ServiceUnit, overload, queues, unit_index

DEFAULT_SCENARIO = ("scenarios", "jember.toml")
"""The scenario a model without one runs, under the data root (:func:`model.io.data_root`)."""
MIN_STAFF_AGENTS = 200
"""Fewest simulated civil servants (when the region has as many): enough that every unit has
staff of its own and a unit's mean skill is not one person's."""

_DEMAND = np.array([u.demand_share for u in UNITS])
_DEMAND_CUM = np.cumsum(_DEMAND)
_DEMAND_TOTAL = _DEMAND.sum()
_STANDARD_DAYS = np.array([u.standard_days for u in UNITS])
_BASE_DAYS = np.array([u.base_days for u in UNITS])
_ONLINE_AFFINITY = np.array([u.online_affinity for u in UNITS])
_IPP_ROWS = tuple(unit_index(k) for k in IPP_UNITS)


def resolve_run(scenario: Scenario | str | Path | None, population: int | None,
                start_year: int, end_year: int,
                overrides: dict[str, Any] | None) -> tuple[Scenario, int]:
    """The scenario a model runs (loaded, with overrides) and its simulated citizen count."""
    if scenario is None or isinstance(scenario, str | Path):
        scenario = load_scenario(scenario or data_path(*DEFAULT_SCENARIO))
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
       age, retire and are hired by the year's plan; literacy drifts up; yearly tallies reset.
       First, because every later phase spends this year's money and works with this year's
       staff.
    2. **Events** dated this month (an MPP opens for the units in it, a super-app launches, a
       recruitment round): before investment, so an opening counts from its month.
    3. **Government invests**: spending flows through delays into the component stocks, the
       application portfolio and the units' innovation. Before staff and citizens, who meet
       this month's systems.
    4. **Staff develop**: training (competency stock, aimed as the policy says), learning by
       doing (last month's load), integrity (regulation). Before service, so gains show in
       this month's work.
    5. **Citizens seek service**, in three plain steps: (a) literacy courses, then needs and
       channel choice (:meth:`Citizens.choose_channels`); (b) the units settle their queues
       from the demand just chosen and each request is assigned its civil servant
       (:meth:`_settle`); (c) requests complete — outcomes, complaints and their answers,
       satisfaction, trust, survey answers (:meth:`Citizens.complete_requests`).
    6. **Units learn**: answered complaints improve their staff; each civil servant's load is
       kept for next month's learning by doing; the assessors' tallies grow. After service,
       because they use its results.
    7. **Data collection**: the monthly outputs of ``MONTHLY_OUTPUTS``.
    8. **Assessment** (December): SPBE, Pemdi, IPP and IKM from the states reached; the year's
       row.

    Randomness: the seed gives one independent stream per process (budget, staff, citizens,
    assessment, events, programmes; :func:`model.seeds.process_streams`), so a policy that
    changes how many draws one process takes leaves the others' draws as they were.
    """

    def __init__(self, scenario: Scenario | str | Path | None = None,
                 population: int | None = DEFAULT_POPULATION,
                 start_year: int = DEFAULT_YEARS[0], end_year: int = DEFAULT_YEARS[1],
                 overrides: dict[str, Any] | None = None,
                 rng: Any = None) -> None:
        super().__init__(rng=rng)
        scenario, n_citizens = resolve_run(scenario, population, start_year, end_year,
                                           overrides)
        seed = int(rng) if isinstance(rng, int | np.integer) else int(
            self.rng.integers(0, 2**32))
        self.streams = process_streams(seed)
        self.config = scenario
        self._levers: dict[tuple[str, int], Any] = {}  # (lever, year) -> value, see lever()
        self.start_year, self.end_year = start_year, end_year
        self.year, self.month = start_year, 1
        residents = scenario.population.residents

        self.citizens = self._new_citizens(n_citizens)
        real_staff = scenario.staff.civil_servants * scenario.staff.frontline_share
        n_staff = int(min(real_staff, max(MIN_STAFF_AGENTS,
                                          round(real_staff * n_citizens / residents))))
        self.staff = self._new_staff(max(n_staff, 1))
        self.units = [ServiceUnit(self, spec, i) for i, spec in enumerate(UNITS)]
        self.government = Government(self, scenario, start_year, self.streams["budget"],
                                     len(UNITS))
        self.government.start_innovation(self.staff.unit_skill())
        self._conn0_pair = np.array([self.government.stocks[f"connectivity_{a}"]
                                     for a in ("rural", "urban")])
        self.annual_records: list[dict[str, Any]] = []
        self.month_stats: dict[str, float] = dict.fromkeys(("online_share", "wait_days",
                                                            "maladmin_rate"), 0.0)
        self.tally = YearTally(len(UNITS))
        self._utilisation_sum = 0.0
        self._month_utilisation = 0.0
        self._retired = 0.0
        self._event_hires = 0.0
        # Events dated before the first simulated month have already happened.
        for event in scenario.events:
            if (event.year, event.month) < (start_year, 1):
                self._apply_event(event)
        self.datacollector = mesa.DataCollector(
            model_reporters={o.name: _reporter(o.name) for o in MONTHLY_OUTPUTS})

    def _new_citizens(self, n: int) -> Citizens:
        """The ``n`` simulated citizens (a model with citizen agents of its own overrides this)."""
        return Citizens(self.config.population, self.config.behaviour, n, self.streams["citizens"])

    def _new_staff(self, n: int) -> StaffPool:
        """The ``n`` simulated civil servants (overridable, as :meth:`_new_citizens`)."""
        return StaffPool(self.config.staff, self.config.behaviour, n, self.streams["staff"])

    @property
    def mpp_open(self) -> bool:
        """Whether any unit sits in an operating MPP."""
        return any(u.in_mpp for u in self.units)

    def lever(self, name: str) -> Any:
        """A policy lever in force this year (looked up once a year, then remembered: the
        scenario does not change during a run).
        """
        key = (name, self.year)
        if key not in self._levers:
            self._levers[key] = lever_in_year(self.config, name, self.year)
        return self._levers[key]

    # --- the step -------------------------------------------------------------------------
    def step(self) -> None:
        """One month (see the class docstring for the phase order)."""
        if not self.running:
            return
        if self.month == 1:
            self._start_year()
        for event in self.config.events:
            if (event.year, event.month) == (self.year, self.month):
                self._apply_event(event)
        st = self.staff
        self.government.invest(float(st.digital.mean()), self.staff.unit_skill())
        self.staff.develop(self.government.stocks["competency"],
                           self.government.stocks["regulation"], st.load,
                           self.lever("training_digital_share"),
                           tuple(unit_index(k) for k in self.lever("training_units")))
        ctx = self._context()
        self.citizens.take_courses(self.government.course_places(),
                                   self.lever("literacy_target"), self.streams["programmes"])
        requests = self.citizens.choose_channels(ctx, _DEMAND_CUM)
        wait, excess, crowding = self._settle(requests.unit[requests.counter],
                                              requests.unit[requests.online])
        staff = st.serving(requests.unit, requests.draws[4])
        desks = self.government.desk_capacity(float(st.service.mean())) * _DEMAND
        out = self.citizens.complete_requests(ctx, requests, staff, st.service[staff],
                                              st.integrity[staff], wait, excess, crowding,
                                              desks)
        self._learn(out, crowding, desks)
        self.datacollector.collect(self)
        self._end_month()

    def _end_month(self) -> None:
        """December's assessment (and the end of the run after the last), then the calendar."""
        if self.month == 12:
            self.annual_records.append(self._assess())
            if self.year >= self.end_year:
                self.running = False
        self.month = self.month % 12 + 1
        if self.month == 1:
            self.year += 1

    def _start_year(self) -> None:
        if self.year > self.start_year:
            self.government.set_year_budget(self.year)
            retired = self.staff.age_and_turn_over(self._hiring_plan())
            self._retired = float(retired.sum())
        else:
            self.staff.hired_this_year = 0.0
        self._event_hires = 0.0
        self.government.year = self.year
        self.citizens.start_year()
        self.tally = YearTally(len(UNITS))
        self._utilisation_sum = 0.0

    def _hiring_plan(self) -> HiringPlan:
        target = self.lever("staff_per_10k_target")
        target_per_unit = None
        if target > 0:
            total = target * self.config.population.residents / 10_000
            target_per_unit = unit_spread(total, tuple(range(len(UNITS))))
        return HiringPlan(
            routine_share=self.lever("hires_per_year_share"), quality=self.lever("hire_quality"),
            replace_retirements=self.lever("replace_retirements"),
            fixed_hires=self.lever("hires_per_year") * self.config.staff.frontline_share,
            target_per_unit=target_per_unit,
            units=tuple(unit_index(k) for k in self.lever("hire_units")),
            selection=self.lever("hire_selection"))

    def _apply_event(self, event: Event) -> None:
        rows = tuple(unit_index(k) for k in event.units)
        if event.kind == "mpp_open":
            for i in rows:
                self.units[i].in_mpp = True
        elif event.kind == "recruitment":
            quality = event.quality if event.quality is not None else self.lever("hire_quality")
            real = unit_spread(event.hires * self.config.staff.frontline_share, rows)
            n_sim = self.streams["events"].poisson(real / self.staff.weight)
            self.staff.hire(np.repeat(np.arange(len(UNITS)), n_sim), quality)
            self._event_hires += float(n_sim.sum() * self.staff.weight)
        self.government.apply_event(event)

    def internet_coverage(self) -> np.ndarray:
        """Share of [rural, urban] residents with usable internet this month
        (:func:`internet_access`).
        """
        pop, stocks = self.config.population, self.government.stocks
        return internet_access(np.array([pop.internet_access_rural, pop.internet_access_urban]),
                               self.year - self.start_year + (self.month - 1) / 12.0,
                               np.array([stocks["connectivity_rural"],
                                         stocks["connectivity_urban"]]),
                               self._conn0_pair, self.config.behaviour)

    def _context(self) -> MonthContext:
        in_mpp = np.array([u.in_mpp for u in self.units])
        return month_context(self.government, self.config.behaviour, self.internet_coverage(),
                             np.array([u.expected_wait_days for u in self.units]), in_mpp,
                             self._assisted_reach())

    def _assisted_reach(self) -> np.ndarray:
        """[rural, urban]: chance a needing resident finds an assisted-digital agent free
        (:func:`assisted_reach`).
        """
        pop = self.config.population
        return assisted_reach(self.government.assisted_capacity(),
                              np.array(TARGET_AREAS[self.lever("assisted_target")]),
                              pop.residents * np.array([1.0 - pop.urban_share, pop.urban_share]),
                              float(self.citizens.p_need))

    def _settle(self, counter_units: np.ndarray, online_units: np.ndarray):
        """Units set utilisation and wait from this month's chosen demand (real requests).

        Returns per unit: wait (days), utilisation past comfortable, and crowding (0-1).
        """
        bh = self.config.behaviour
        demand = unit_demand(counter_units, online_units, len(self.units), self.citizens.weight,
                             bh)
        capacity = self.staff.unit_capacity(self.government.fragmentation)
        util, wait, expected = queues(demand, capacity, _BASE_DAYS,
                                      np.array([u.in_mpp for u in self.units]),
                                      np.array([u.expected_wait_days for u in self.units]), bh)
        for i, unit in enumerate(self.units):
            unit.capacity, unit.utilisation = float(capacity[i]), float(util[i])
            unit.wait_days, unit.expected_wait_days = float(wait[i]), float(expected[i])
        self._month_utilisation = float(util.mean())  # read by the data collection too
        self._utilisation_sum += self._month_utilisation
        return wait, np.maximum(util - bh.comfortable_utilisation, 0.0), overload(util, bh)

    def _learn(self, out: Outcomes, crowding: np.ndarray, desks: np.ndarray) -> None:
        """Loads for learning by doing; answered complaints improve their units; tallies."""
        bh = self.config.behaviour
        on_time = learn(out, self.staff, self.government.fragmentation, self.citizens.weight,
                        self.citizens.weight / self.staff.weight, desks, len(self.units), bh)
        self.tally.add_month(out, _STANDARD_DAYS, crowding, on_time)
        k = max(len(out.unit), 1)
        self.month_stats = {"online_share": float(out.online.sum() / k),
                            "wait_days": float(np.dot(_DEMAND, [u.wait_days for u in self.units])
                                               / _DEMAND_TOTAL),
                            "maladmin_rate": float(out.maladmin.sum() / k)}

    # --- the year's evaluation ------------------------------------------------------------
    def year_state(self) -> YearState:
        """What the assessors read now: the stocks, the units' states and the year's tallies."""
        gov = self.government
        stocks = gov.stock_values()
        iface = stocks["interface"]
        in_mpp = np.array([u.in_mpp for u in self.units])
        return YearState(
            year=self.year, stocks=stocks, integration=gov.integration,
            staff_digital=float(self.staff.digital.mean()),
            complaint_channel=complaint_channel(iface, self.config.behaviour),
            facilities=facilities(iface, in_mpp, self.config.behaviour),
            online_offer=np.array([u.online_coverage(gov.apps_stock) for u in self.units]),
            demand_share=_DEMAND / _DEMAND.sum(), innovation=gov.innovation.copy(),
            ipp_units=_IPP_ROWS, tally=self.tally, citizen_weight=self.citizens.weight)

    def _assess(self) -> dict[str, Any]:
        gov, st, bh = self.government, self.staff, self.config.behaviour
        stocks = gov.stock_values()
        row: dict[str, Any] = {"year": self.year,
                               **assess(self.year_state(), bh, self.streams["assessment"])}
        tot = dict(zip(ACCUMULATORS, self.citizens.year_totals, strict=True))
        visits = tot["visits"].sum()
        ratio = lambda a, b: float(a / b) if b else float("nan")  # noqa: E731
        coverage = self.internet_coverage()
        spend = gov.spend_idr()
        s = st.selection_this_year  # the plan's hires are selected; a dated round's are not
        recruit = bh.recruitment_cost_idr_per_hire * (
            (1.0 + bh.selection_cost_ratio * s / (1.0 - s)) * st.hired_this_year
            + self._event_hires)
        row.update({
            "online_share": ratio(tot["online"].sum(), visits),
            "intermediary_share": ratio(tot["intermediary"].sum(), visits),
            "wait_days": ratio(tot["wait_days"].sum(), visits),
            "success_rate": ratio(tot["success"].sum(), visits),
            "maladmin_rate": ratio(tot["maladmin"].sum(), visits),
            "complaint_rate": ratio(tot["complaints"].sum(), visits),
            "answered_share": ratio(tot["answered"].sum(), tot["complaints"].sum()),
            "internet_access": self._access_share(coverage),
            "internet_access_urban": float(coverage[1]),
            "internet_access_rural": float(coverage[0]),
            "literacy_mean": float(self.citizens.literacy.mean()),
            "literacy_course_participants": self.citizens.course_taken,
            "staff_headcount": st.headcount,
            "staff_hired": st.hired_this_year + self._event_hires,
            "staff_retired": self._retired,
            "staff_digital_skill": float(st.digital.mean()),
            "staff_service_skill": float(st.service.mean()),
            "staff_integrity": float(st.integrity.mean()),
            "staff_utilisation": self._utilisation_sum / 12.0,
            "n_apps": gov.n_apps, "integration": gov.integration,
            "fragmentation": gov.fragmentation, "budget_egov_idr": gov.budget_idr,
            **{f"spend_{c}_idr": spend[c] for c in COMPONENTS},
            "staff_cost_idr": st.headcount * self.config.staff.salary_idr_per_year + recruit,
            **{f"stock_{k}": v for k, v in stocks.items()},
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

    def _access_share(self, coverage: np.ndarray) -> float:
        c = self.citizens
        return float(np.mean(c.access_rank < coverage[c.urban.astype(np.intp)]))


TARGET_AREAS = {"rural": (1.0, 0.0), "urban": (0.0, 1.0), "all": (1.0, 1.0)}
"""The [rural, urban] areas an assisted-digital target serves."""


def internet_access(base: np.ndarray, years: float, connectivity: np.ndarray,
                    connectivity0: np.ndarray, bh) -> np.ndarray:
    """Share of [rural, urban] residents with usable internet (a row per run for several):
    starting access ``base``, plus the exogenous national trend over ``years`` since the
    start, plus what connectivity spending in each area adds beyond its starting stock.
    """
    extra = bh.connectivity_access_effect * (connectivity - connectivity0)
    # np.minimum(np.maximum()) is np.clip without its Python wrapper: the same values
    return np.minimum(np.maximum(base + bh.internet_trend_per_year * years + extra, 0.0),
                      bh.max_internet_access)


def assisted_reach(capacity, share: np.ndarray, area_residents: np.ndarray,
                   p_need: float) -> np.ndarray:
    """[rural, urban] (a row per run for several): the chance a needing resident of a
    targeted area (``share`` 1) finds an assisted-digital agent free: the agents' monthly
    ``capacity`` over the targeted areas' expected requests, at most 1; 0 without agents.
    """
    requests = (area_residents * share).sum(axis=-1, keepdims=True) * p_need
    ok = (capacity > 0) & (requests > 0)
    return np.where(ok, share * np.minimum(1.0, capacity / np.where(ok, requests, 1.0)), 0.0)


def facilities(iface, in_mpp: np.ndarray, bh) -> np.ndarray:
    """Per unit: counters, rooms and portals (the interface stock), an MPP closing
    ``mpp_facility_effect`` of the gap for the units inside it.
    """
    return 1.0 - (1.0 - iface) * (1.0 - bh.mpp_facility_effect * in_mpp)


def complaint_channel(iface, bh):
    """Availability of complaint channels: the national channel, plus local desks."""
    return bh.complaint_channel_floor + (1.0 - bh.complaint_channel_floor) * iface


def month_context(gov: Government, bh, coverage: np.ndarray, expected_wait: np.ndarray,
                  in_mpp: np.ndarray, assisted: np.ndarray) -> MonthContext:
    """What citizens face this month, from the government's stocks and the units (for
    several runs, :class:`model.government.StackedGovernment`, each a row).
    """
    iface, fragmentation = gov.stocks["interface"], gov.fragmentation
    return MonthContext(
        coverage=coverage,
        # ServiceUnit.online_coverage for all units at once (the same products)
        online_coverage=_ONLINE_AFFINITY * gov.apps_stock,
        expected_wait=expected_wait,
        online_days=_BASE_DAYS * bh.online_days_ratio
        * (1.0 + bh.staff_burden_per_fragmentation * fragmentation),
        intermediary_days=_BASE_DAYS * bh.intermediary_days_ratio,
        travel_relief=np.where(in_mpp, bh.mpp_travel_relief, 0.0),
        facilities=facilities(iface, in_mpp, bh),
        assisted=assisted,
        fragmentation=fragmentation, regulation=gov.stocks["regulation"],
        enforcement=gov.stocks["enforcement"],
        complaint_channel=complaint_channel(iface, bh),
        awareness=gov.awareness(),
    )


def unit_demand(counter_cells: np.ndarray, online_cells: np.ndarray, n_cells: int, weight,
                bh) -> np.ndarray:
    """Real requests each unit (or run x unit cell) works on this month: counter requests,
    and online ones at ``online_staff_time_share`` of a counter request's staff time.
    ``weight`` is real residents per simulated one (per cell, or one for all).
    """
    return (np.bincount(counter_cells, minlength=n_cells)
            + bh.online_staff_time_share * np.bincount(online_cells, minlength=n_cells)) * weight


def learn(out: Outcomes, staff: StaffPool, fragmentation, citizen_weight, served_ratio,
          desks: np.ndarray, n_cells: int, bh) -> np.ndarray:
    """After the month's service: each civil servant's load (for next month's learning by
    doing), answered complaints improving their units, and per unit (cell) the chance the
    desks answer a complaint within the standard time.

    ``served_ratio`` is real residents per simulated citizen over real civil servants per
    simulated one (per civil servant, or one for all); ``citizen_weight`` is per cell or one.
    """
    work = out.counter + bh.online_staff_time_share * out.online
    served = np.bincount(out.staff, weights=work, minlength=staff.n)
    served *= served_ratio
    staff.load = (served / np.maximum(staff.productivity(fragmentation),
                                      1e-9)).astype(np.float32)
    cells = out.cells
    requests = np.bincount(cells, minlength=n_cells)
    answered = np.bincount(cells, weights=out.answered, minlength=n_cells)
    staff.improve_units(bh.complaint_improvement * answered / np.maximum(requests, 1))
    arrived = np.bincount(cells, weights=out.complained, minlength=n_cells) * citizen_weight
    backlog = np.minimum(arrived / np.maximum(desks, 1e-9), bh.max_utilisation)
    return within(SURVEY.answer_standard_days, bh.answer_base_days / (1.0 - backlog))


def _reporter(name: str):
    if name in ("year", "month"):
        return lambda m: getattr(m, name)
    if name == "staff_utilisation":
        return lambda m: m._month_utilisation  # the units' mean utilisation, from _settle
    return lambda m: m.month_stats[name]


__all__ = ["DEFAULT_POPULATION", "EGovModel"]
