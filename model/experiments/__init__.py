"""Designed experiments: sweeps and sensitivity analysis over the pure boundary ``model.run``.

- :mod:`~model.experiments.spec`: experiment files (TOML), validated; applying factor values.
- :mod:`~model.experiments.design`: full factorial, Latin hypercube, Sobol/Saltelli, Morris
  designs and the seed of every run, from one master seed.
- :mod:`~model.experiments.execute`: running an experiment on any :class:`~model.backend.Backend`
  (serial, process pool, Dask: the same numbers).
- :mod:`~model.experiments.store`: the Parquet dataset, manifest, failures and resuming.
- :mod:`~model.experiments.outcomes`: outcomes such as IPP in 2030.
- :mod:`~model.experiments.sensitivity`: Sobol and Morris indices, seed-noise shares, figures.
"""

from model.experiments.design import build_design, run_seed
from model.experiments.execute import Backend, RunTask, run_experiment, simulate_model
from model.experiments.spec import Experiment, Factor, apply_factors, load_experiment

__all__ = ["Backend", "Experiment", "Factor", "RunTask", "apply_factors", "build_design",
           "load_experiment", "run_experiment", "run_seed", "simulate_model"]
