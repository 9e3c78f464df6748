"""Many small runs stepped as one array pass: the same numbers as each run alone, sooner.

A run of a few thousand citizens spends most of its month on the fixed cost of each array
operation, not on the citizens. :class:`Batch` steps several runs together: their citizens
and civil servants sit in one set of arrays (run after run, :meth:`Citizens.merge`,
:meth:`StaffPool.merge`), and each month's channel choice, service, outcomes, learning and
tallies are one pass over all of them, per run x unit *cell* where a unit's number is read.
The governments' month is one pass too (:class:`model.government.StackedGovernment`, a row
per run). Each run keeps its own model object (:class:`model.model.EGovModel`) for what happens
once a year or on a dated event (the budget draw, retirements and hires, events, the
assessment), and its own random streams: every run draws what it would draw alone, in the
same order, so a batched run gives exactly the yearly rows of the same run alone (a test
checks this draw for draw).

The runs of one batch share the behaviour (mechanism parameters), the number of simulated
citizens and the years, and start in January; scenarios (region, budget, policies, events) and
seeds may differ. :func:`model.runner.batch_plan` groups tasks that way. A batch keeps no
monthly data collection (the yearly rows are what :func:`model.runner.run` returns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import numpy as np

from model.assessment import YearTally
from model.citizens import Citizens, MonthContext
from model.government import StackedGovernment
from model.model import (
    _BASE_DAYS,
    _DEMAND,
    _DEMAND_CUM,
    _STANDARD_DAYS,
    TARGET_AREAS,
    EGovModel,
    assisted_reach,
    internet_access,
    learn,
    month_context,
    unit_demand,
)
from model.staff import StaffPool
from model.units import UNITS, overload, queues, unit_index


class Batch:
    """Several runs of one behaviour, size and span, stepped month by month as one."""

    def __init__(self, models: Sequence[EGovModel]) -> None:
        models = list(models)
        if not models:
            raise ValueError("a batch needs at least one run")
        first = models[0]
        for m in models:
            if m.config.behaviour != first.config.behaviour:
                raise ValueError("the runs of a batch share their behaviour parameters")
            if m.citizens.n != first.citizens.n or (m.start_year, m.end_year, m.year, m.month) \
                    != (first.start_year, first.end_year, first.year, first.month):
                raise ValueError("the runs of a batch share their size, years and month")
        if first.month != 1:  # the year's tallies start with the batch
            raise ValueError("a batch starts in January (a model stepped alone mid-year keeps "
                             "its own tally)")
        self.models = models
        self.bh = first.config.behaviour
        self.runs = len(models)
        n_units = len(UNITS)
        self.n_cells = self.runs * n_units
        self.citizens = Citizens.merge([m.citizens for m in models])
        self._pools = [m.staff for m in models]
        self.staff = StaffPool.merge(self._pools)
        self._standard = np.tile(_STANDARD_DAYS, self.runs)
        self._base = np.tile(_BASE_DAYS, self.runs)
        self._citizen_weight = self.citizens.cell_weight(self.n_cells)
        self._expected = np.concatenate([[u.expected_wait_days for u in m.units]
                                         for m in models])
        self._util = np.concatenate([[u.utilisation for u in m.units] for m in models])
        self._wait = np.concatenate([[u.wait_days for u in m.units] for m in models])
        self._in_mpp = self._read_mpp()
        self.tally = self._new_tally()
        self.government = StackedGovernment([m.government for m in models])
        pops = [m.config.population for m in models]
        self._access0 = np.array([[p.internet_access_rural, p.internet_access_urban]
                                  for p in pops])
        self._conn0 = np.array([m._conn0_pair for m in models])
        self._area_residents = np.array([p.residents * np.array([1.0 - p.urban_share,
                                                                 p.urban_share])
                                         for p in pops])
        self._p_need = float(self.citizens.p_need)
        self._ratio = np.array([m.citizens.weight / m.staff.weight for m in models])
        self._targets: dict[int, np.ndarray] = {}

    @property
    def running(self) -> bool:
        """Whether the runs have months left (they end together)."""
        return self.models[0].running

    def run(self) -> None:
        """Step to the end of the runs' years."""
        while self.running:
            self.step()

    # --- state kept by the runs' own objects -----------------------------------------------
    def _read_mpp(self) -> np.ndarray:
        return np.array([[u.in_mpp for u in m.units] for m in self.models])

    def _new_tally(self) -> YearTally:
        tally = YearTally(len(UNITS), self.runs)
        for b, m in enumerate(self.models):
            m.tally = tally.part(b)
        return tally

    def _hand_over(self) -> None:
        """Give each run's own objects the batch's state (before yearly work and events)."""
        n_units = len(UNITS)
        for b, m in enumerate(self.models):
            for i, unit in enumerate(m.units):
                j = b * n_units + i
                unit.utilisation, unit.wait_days = float(self._util[j]), float(self._wait[j])
                unit.expected_wait_days = float(self._expected[j])
        self.staff.split(self._pools)
        self.government.give()

    def _take_back(self) -> None:
        """Merge the runs' staff again (retirements and hires replace their columns) and read
        the governments' state and the units' MPPs.
        """
        self.staff = StaffPool.merge(self._pools)
        self._in_mpp = self._read_mpp()
        self.government.take()

    def _context(self) -> MonthContext:
        """Every run's month context, per cell (run x unit) and per run (flattened)."""
        ms, gov, bh = self.models, self.government, self.bh
        first = ms[0]
        years = first.year - first.start_year + (first.month - 1) / 12.0
        coverage = internet_access(self._access0, years,
                                   np.hstack([gov.stocks["connectivity_rural"],
                                              gov.stocks["connectivity_urban"]]),
                                   self._conn0, bh)
        if first.year not in self._targets:  # the year's assisted-digital areas per run
            self._targets = {first.year: np.array([TARGET_AREAS[m.lever("assisted_target")]
                                                   for m in ms])}
        share = self._targets[first.year]
        assisted = assisted_reach(gov.assisted_capacity(), share, self._area_residents,
                                  self._p_need)
        ctx = month_context(gov, bh, coverage,
                            self._expected.reshape(self.runs, len(UNITS)), self._in_mpp,
                            assisted)
        return _flat(ctx, self.runs, len(UNITS))

    # --- the month --------------------------------------------------------------------------
    def step(self) -> None:
        """One month of every run (the phases of :meth:`EGovModel.step`)."""
        ms, bh = self.models, self.bh
        if not self.running:
            return
        year, month = ms[0].year, ms[0].month
        events = [[e for e in m.config.events if (e.year, e.month) == (year, month)] for m in ms]
        if month == 1 or any(events):
            self._hand_over()
            if month == 1:
                for m in ms:
                    m._start_year()
                self.tally = self._new_tally()
            for m, todo in zip(ms, events, strict=True):
                for event in todo:
                    m._apply_event(event)
            self._take_back()
        st, gov = self.staff, self.government
        gov.invest(st.run_means(st.digital),
                   st.unit_skill().reshape(self.runs, len(UNITS)))
        st.develop(gov.stocks["competency"].ravel(), gov.stocks["regulation"].ravel(), st.load,
                   [m.lever("training_digital_share") for m in ms],
                   [tuple(unit_index(k) for k in m.lever("training_units")) for m in ms])
        n_units = len(UNITS)
        ctx = self._context()
        places = gov.course_places().ravel()
        for m, n in zip(ms, places, strict=True):
            if n > 0:
                m.citizens.take_courses(float(n), m.lever("literacy_target"),
                                        m.streams["programmes"])
        req = self.citizens.choose_channels(ctx, _DEMAND_CUM)
        fragmentation = ctx.fragmentation
        demand = unit_demand(req.cells[req.counter], req.cells[req.online], self.n_cells,
                             self._citizen_weight, bh)
        capacity = st.unit_capacity(fragmentation)
        self._util, self._wait, self._expected = queues(demand, capacity, self._base,
                                                        self._in_mpp.ravel(), self._expected,
                                                        bh)
        for m, u in zip(ms, self._util.reshape(self.runs, n_units), strict=True):
            m._utilisation_sum += float(u.mean())
        excess = np.maximum(self._util - bh.comfortable_utilisation, 0.0)
        crowding = overload(self._util, bh)
        rows = st.serving(req.cells, req.draws[4], req.run)
        desks = (gov.desk_capacity(st.run_means(st.service)) * _DEMAND).ravel()
        out = self.citizens.complete_requests(ctx, req, rows, st.service[rows],
                                              st.integrity[rows], self._wait, excess, crowding,
                                              desks)
        on_time = learn(out, st, fragmentation, self._citizen_weight, self._ratio[st.run], desks,
                        self.n_cells, bh)
        self.tally.add_month(out, self._standard, crowding, on_time)
        if month == 12:
            self._hand_over()
        for m in ms:
            m._end_month()


def _flat(ctx: MonthContext, runs: int, n_units: int) -> MonthContext:
    """A context of rows per run as the citizens read several runs': per-unit and per-area
    values end to end (per cell), per-run values one per run.
    """
    values = {}
    for f in fields(MonthContext):
        x = np.asarray(getattr(ctx, f.name))
        # a per-unit value the same for every run is repeated per run
        values[f.name] = np.tile(x, runs) if x.ndim == 1 and len(x) == n_units else x.ravel()
    return MonthContext(**values)


def run_batch(models: Sequence[EGovModel]) -> list[list[dict]]:
    """Step ``models`` (one behaviour, size and span) to the end as one batch; their yearly
    records, in order. One model is stepped alone (the plain run: a batch of one would only
    add the batch's own cost).
    """
    if len(models) == 1:
        (m,) = models
        while m.running:
            m.step()
        return [m.annual_records]
    batch = Batch(models)
    batch.run()
    return [m.annual_records for m in batch.models]
