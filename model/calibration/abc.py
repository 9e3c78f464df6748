"""The ABC-SMC driver (pyabc): a resumable history in SQLite, local or Dask workers, a progress
bar with generation, epsilon and acceptance rate.

The history lives in ``OUT/abc.db``. If it already holds a run of the same calibration file,
:func:`run_abc` loads it (``pyabc.ABCSMC.load``) and runs only the generations still missing,
so a killed calibration continues where it stopped.
"""

from __future__ import annotations

import logging
import math
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyabc
import pyabc.transition.util
import scipy.stats as st
from pyabc.population import Particle
from tqdm import tqdm

from model.calibration.config import CalibrationConfig
from model.calibration.priors import make_prior
from model.calibration.simulate import Simulator
from model.calibration.targets import Distance, Target
from model.errors import ScenarioError

DB_NAME = "abc.db"


class SpreadKernel(pyabc.MultivariateNormalTransition):
    """Gaussian perturbation whose covariance is the *unweighted* covariance of the last
    population.

    pyabc's default uses the weighted covariance scaled by Silverman's rule. In 29 dimensions
    the importance weights often concentrate on a few particles; the weighted covariance then
    collapses onto them, the next proposals crowd around them, and the weights concentrate
    again (an effective sample size of 3 of 150 was seen). The spread of all accepted
    particles does not collapse that way. The weights remain exact importance weights: pyabc
    computes them with this kernel's own density (:meth:`pdf`).

    With ``support`` (a prior with an ``inside(values, names)`` test), a single proposal is
    drawn the way pyabc draws it (a particle by weight, a Gaussian step, again until the
    prior density is positive), but in batches: in 29 dimensions most steps leave the prior's
    box, and drawing and testing them one at a time cost more than the simulations did.
    """

    BATCH = 256

    def __init__(self, *args, support=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.support = support

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:  # noqa: D102
        self._X_arr = X.to_numpy()
        even = np.full(len(X), 1.0 / len(X))
        self.cov = pyabc.transition.util.smart_cov(self._X_arr, even) * self.scaling
        self.normal = st.multivariate_normal(cov=self.cov, allow_singular=True)
        self._range = np.arange(len(self.X))
        self._names = list(X.columns)
        self._chol = _cholesky(self.cov)

    def rvs_single(self) -> pyabc.Parameter:  # noqa: D102
        if self.support is None:
            return super().rvs_single()
        d = len(self._names)
        for _ in range(10_000):
            idx = np.random.choice(self._range, size=self.BATCH, p=self.w, replace=True)  # noqa: NPY002
            steps = np.random.standard_normal((self.BATCH, d)) @ self._chol.T  # noqa: NPY002
            cand = self._X_arr[idx] + steps
            ok = np.flatnonzero(self.support.inside(cand, self._names))
            if ok.size:
                return pyabc.Parameter(dict(zip(self._names, cand[ok[0]], strict=True)))
        raise RuntimeError("no proposal inside the prior in 2.5 million draws")


def _cholesky(cov: np.ndarray) -> np.ndarray:
    """A factor ``L`` with ``L @ L.T == cov`` (eigen-decomposition if ``cov`` is singular)."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh(cov)
        return vecs * np.sqrt(np.clip(vals, 0.0, None))


def effective_sample_size(w) -> float:
    """Kish's effective sample size of importance weights: 1 / sum of squared normalised
    weights (the number of particles, if all weights are equal).
    """
    w = np.asarray(w, dtype=float)
    w = w / w.sum()
    return float(1.0 / np.sum(w**2))


def make_sampler(workers: int, scheduler: str | None) -> pyabc.sampler.Sampler:
    """Dask if a scheduler address is given, else local processes (one: in this process)."""
    if scheduler:
        from dask.distributed import Client
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as err:
            raise ScenarioError(scheduler, "--scheduler", f"cannot reach the Dask scheduler: "
                                f"{err}") from None
        return pyabc.sampler.DaskDistributedSampler(dask_client=client)
    # check_max_eval: stop a generation at pyabc's evaluation cap (population_size /
    # min_acceptance_rate); pyabc's local samplers ignore the cap unless asked.
    if workers <= 1:
        return pyabc.sampler.SingleCoreSampler(check_max_eval=True)
    return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers, check_max_eval=True)


class _ProgressHandler(logging.Handler):
    """Turns pyabc's log lines into a progress bar (generation, epsilon, acceptance rate)."""

    def __init__(self, bar: tqdm) -> None:
        super().__init__(logging.INFO)
        self.bar = bar
        self.eps = float("nan")

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if msg.startswith("t: ") and "eps:" in msg:
            self.eps = float(msg.split("eps:")[1].strip().rstrip("."))
            self.bar.set_postfix_str(f"gen {msg.split(',')[0][3:]} eps {self.eps:.3g}")
        elif msg.startswith("Accepted:"):
            rate = float(msg.split("=")[1].split(",")[0])
            self.bar.set_postfix_str(f"eps {self.eps:.3g} acceptance {rate:.3f}")
            self.bar.update(1)


class DeadlineABCSMC(pyabc.ABCSMC):
    """pyabc's ABC-SMC with a hard deadline on simulation.

    pyabc checks its walltime only between generations, and a late generation can take longer
    than all the earlier ones together. After :attr:`deadline` (``time.time()`` seconds) every
    proposal is rejected without being simulated, so the generation under way reaches
    pyabc's evaluation cap (``population_size / min_acceptance_rate``) incomplete, is
    discarded, and the run ends with the last complete generation in the history. Only for
    samplers that honour the cap (the local ones); pyabc's Dask sampler does not, so on a
    cluster the walltime is checked between generations only.
    """

    deadline: float = math.inf

    def _create_simulate_function(self, t: int):
        inner = super()._create_simulate_function(t)
        deadline = self.deadline

        def simulate_one():
            if time.time() > deadline:
                return Particle(m=0, parameter=pyabc.Parameter(), weight=0.0, sum_stat={},
                                distance=math.inf, accepted=False)
            return inner()

        return simulate_one


def generations_done(db: Path) -> int:
    """Finished generations in the history at ``db`` (0 if there is none)."""
    if not db.is_file():
        return 0
    history = pyabc.History(f"sqlite:///{db}", _id=1)
    return int(history.max_t) + 1


def run_abc(config: CalibrationConfig, targets: list[Target], out: Path, *, workers: int,
            scheduler: str | None = None, progress: bool = True) -> pyabc.History:
    """Run (or continue) ABC-SMC; returns the history."""
    s = config.settings
    out.mkdir(parents=True, exist_ok=True)
    db = out / DB_NAME
    # pyabc draws priors and perturbations from the legacy global generator.
    np.random.seed(s.seed % 2**32)  # noqa: NPY002
    prior = make_prior(config)
    abc = DeadlineABCSMC(Simulator(config), prior, Distance(targets),
                       population_size=s.population_size,
                       transitions=SpreadKernel(support=prior),
                       sampler=make_sampler(workers, scheduler))
    done = generations_done(db)
    if done:
        abc.load(f"sqlite:///{db}", 1)
    else:
        abc.new(f"sqlite:///{db}", Distance(targets).observed())
    remaining = s.max_generations - done
    logger = logging.getLogger("ABC")
    logger.setLevel(logging.INFO)
    old_handlers, old_propagate = logger.handlers[:], logger.propagate
    logger.handlers, logger.propagate = [], False
    with tqdm(total=s.max_generations, initial=done, desc="ABC-SMC generations", unit="gen",
              file=sys.stderr, disable=not progress) as bar:
        logger.addHandler(_ProgressHandler(bar))
        try:
            if remaining > 0:
                warnings.filterwarnings("ignore", "covariance is not symmetric",
                                        RuntimeWarning)
                if getattr(abc.sampler, "check_max_eval", False):
                    abc.deadline = time.time() + 60.0 * s.max_walltime_minutes
                abc.run(minimum_epsilon=s.min_epsilon, max_nr_populations=remaining,
                        min_acceptance_rate=s.min_acceptance_rate,
                        max_walltime=timedelta(minutes=s.max_walltime_minutes))
        finally:
            logger.handlers, logger.propagate = old_handlers, old_propagate
            sampler = abc.sampler
            if hasattr(sampler, "client"):
                sampler.client.close()
    return abc.history


def posterior(history: pyabc.History) -> pd.DataFrame:
    """The last generation: one row per particle, parameter columns, ``weight`` and
    ``distance``.
    """
    df, w = history.get_distribution(m=0, t=history.max_t)
    df = df.reset_index(drop=True)
    df.columns = [str(c) for c in df.columns]
    df["weight"] = np.asarray(w) / np.sum(w)
    dist = history.get_weighted_distances(t=history.max_t)
    df["distance"] = dist["distance"].to_numpy() if len(dist) == len(df) else np.nan
    return df


def generations(history: pyabc.History) -> pd.DataFrame:
    """Per generation: epsilon, simulations, accepted particles, acceptance rate, and the
    effective sample size of the particles' weights.
    """
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].copy()
    sizes = history.get_nr_particles_per_population()
    pops["accepted"] = [int(sizes.get(t, 0)) for t in pops["t"]]
    pops["acceptance_rate"] = pops["accepted"] / pops["samples"].clip(lower=1)
    pops["effective_sample_size"] = [
        effective_sample_size(history.get_distribution(t=int(t))[1]) for t in pops["t"]]
    return pops[["t", "epsilon", "samples", "accepted", "acceptance_rate",
                 "effective_sample_size"]].reset_index(drop=True)
