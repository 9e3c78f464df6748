"""Every seed in egovsim, from one master seed.

A run's seed depends only on the master seed and the run's identity, never on the tool that
asks for it (``egovsim run``, a sweep, calibration, the app) or on the executor:

- replication *r* of a run gets ``run_seed(master, r)``: the same in every scenario of a run
  (common random numbers: a what-if and its baseline differ by policy, not by luck), and the
  same as replication *r* of a sweep whose seeds are ``common``;
- a run that should have luck of its own at each design point (a sweep with ``per_run``
  seeds, a calibration particle) gets ``run_seed(master, r, point)``;
- a design's sampler (Latin hypercube, Saltelli, Morris) gets ``design_seed(master)``, whose
  spawn key (:data:`DESIGN_KEY`) no run has, since replications stay below it
  (:data:`model.defaults.MAX_REPLICATIONS`).

Inside one run the model spawns one independent stream per random process from that seed
(:func:`process_streams`), so a policy that changes how many draws one process takes leaves
the other processes' draws untouched.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 20240101
"""The master seed when none is given (any integer works; this one names a date)."""

PROCESSES = ("budget", "staff", "citizens", "assessment", "events", "programmes")
"""The random processes of a run, each with its own stream (order fixed: part of the scheme)."""


DESIGN_KEY = 0xDE5160
"""Spawn key of the design sampler's seed (above any replication number)."""


def _int(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(1, dtype=np.uint32)[0])


def check_seed(seed: int) -> int:
    """``seed`` if it is a non-negative integer (NumPy's seeds are); ValueError otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"a seed is a whole number >= 0, got {seed!r}")
    return int(seed)


def run_seed(master_seed: int, replication: int, point: int | None = None) -> int:
    """The seed of replication ``replication`` (at design point ``point``, if its own luck)."""
    check_seed(master_seed)
    key = (int(replication),) if point is None else (int(replication), int(point))
    return _int(np.random.SeedSequence(master_seed, spawn_key=key))


def design_seed(master_seed: int) -> int:
    """The seed of a design's sampler (see the module docstring)."""
    check_seed(master_seed)
    return _int(np.random.SeedSequence(master_seed, spawn_key=(DESIGN_KEY,)))


def replication_seeds(master_seed: int, replications: int) -> list[int]:
    """The seeds of replications 0 .. ``replications`` - 1 (see :func:`run_seed`)."""
    return [run_seed(master_seed, r) for r in range(replications)]


def process_streams(seed: int) -> dict[str, np.random.Generator]:
    """One generator per random process of a run (:data:`PROCESSES`), from the run's seed."""
    children = np.random.SeedSequence(check_seed(seed)).spawn(len(PROCESSES))
    return {name: np.random.default_rng(c) for name, c in zip(PROCESSES, children, strict=True)}


DRAW_SPAWN_KEY = (0, 0, 0)
"""Spawn key of the posterior draws: three entries, so no run seed (one or two) can equal it."""
SEARCH_SPAWN_KEY = (0, 0, 1)
"""Spawn key of the budget-advice search's own choices (``egovsim advise``)."""
REFINE_SPAWN_KEY = (0, 0, 2)
"""Spawn key of the seeds of the calibration's default-point search
(:mod:`model.calibration.refine`): its replications are not those of any run or check."""


def draw_seed(master_seed: int) -> int:
    """The seed that picks posterior draws (:func:`model.posterior.draw_parameters`).

    Derived from the master seed alone, so every scenario of a run, and a later run with the
    same master seed, gets the same draws.
    """
    check_seed(master_seed)
    return _int(np.random.SeedSequence(master_seed, spawn_key=DRAW_SPAWN_KEY))


def search_seed(master_seed: int) -> int:
    """The seed of the advice search's candidates (:mod:`model.advise`), from the master seed."""
    check_seed(master_seed)
    return _int(np.random.SeedSequence(master_seed, spawn_key=SEARCH_SPAWN_KEY))


def refine_seeds(master_seed: int, replications: int) -> list[int]:
    """The seeds of the default-point search's replications (see :data:`REFINE_SPAWN_KEY`)."""
    check_seed(master_seed)
    return [_int(np.random.SeedSequence(master_seed, spawn_key=(*REFINE_SPAWN_KEY, r)))
            for r in range(replications)]
