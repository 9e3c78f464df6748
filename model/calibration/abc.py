"""The ABC-SMC driver (pyabc): model selection over the file's hypotheses in one history,
resumable in SQLite, local or Dask workers, a progress bar with generation, epsilon and
acceptance rate.

Every hypothesis is one pyabc model (its own prior and :class:`SpreadKernel`); pyabc samples
models and parameters jointly and reports each model's posterior probability per generation.
Repeat ``r`` keeps its history in ``OUT/abc_<r>.db``. If it already holds a run, :func:`run_abc`
loads it (``pyabc.ABCSMC.load``) and runs only the generations still missing, so a killed
calibration continues where it stopped, whatever the moment it was killed.
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
import sqlalchemy.exc
from pyabc.population import Particle
from tqdm import tqdm

from model.calibration.config import CalibrationConfig
from model.calibration.priors import from_unit, make_prior, marginal_density
from model.calibration.simulate import Simulator
from model.calibration.targets import Distance, Target
from model.errors import ScenarioError
from model.seeds import run_seed


class SpreadKernel(pyabc.MultivariateNormalTransition):
    """Gaussian perturbation whose covariance is the *unweighted* covariance of the last
    population, with the parameters the data have not yet narrowed drawn from their prior.

    pyabc's default uses the weighted covariance scaled by Silverman's rule. In 29 dimensions
    the importance weights often concentrate on a few particles; the weighted covariance then
    collapses onto them, the next proposals crowd around them, and the weights concentrate
    again (an effective sample size of 3 of 150 was seen). The spread of all accepted
    particles does not collapse that way.

    **Prior proposals.** With a uniform prior the importance weight of a proposal is one over
    the kernel mixture's density, and that density varies along every perturbed dimension (it
    thins towards the prior box's faces and between particles): the variances of the log
    weights add up over dimensions, so in twenty or more of them a few particles carry all the
    weight. A parameter whose accepted particles still spread over its prior (standard
    deviation at least :data:`PRIOR_PROPOSAL_SPREAD` of the prior's) gains nothing from being
    perturbed, so it is drawn from its prior marginal instead; its factor in the weight is then
    exactly one. Parameters of an estimated split are always perturbed (their prior is
    truncated jointly). Which parameters are drawn from the prior is decided afresh at every
    generation from the population just accepted, which an SMC proposal may depend on.

    The weights remain exact importance weights: pyabc computes them with this kernel's own
    density (:meth:`pdf`): the mixture over the perturbed parameters times the prior marginal
    densities of the others.

    With ``support`` (a prior with ``inside(values, names)``, ``variances(names)`` and
    ``specs``), a single proposal is drawn the way pyabc draws it (a particle by weight, a
    Gaussian step, again until the prior density is positive), but in batches: in 29 dimensions
    most steps leave the prior's box, and drawing and testing them one at a time cost more than
    the simulations did.
    """

    BATCH = 256
    PRIOR_PROPOSAL_SPREAD = 0.85
    """Ratio of a parameter's spread in the accepted population to its prior's (standard
    deviations) from which it is proposed from its prior. Assumption: 0.85 is well below the
    ratio of a population still spread as its prior (1, give or take a few per cent at a few
    hundred particles) and above that of a parameter the data have begun to narrow."""

    def __init__(self, *args, support=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.support = support

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:  # noqa: D102
        self._names = list(X.columns)
        self._range = np.arange(len(X))
        self.from_prior = self._wide(X)
        self._X_arr = X.to_numpy()[:, ~self.from_prior]
        even = np.full(len(X), 1.0 / len(X))
        perturbed = [n for n, p in zip(self._names, self.from_prior, strict=True) if not p]
        if not perturbed:
            self.cov = np.zeros((0, 0))
        elif len(X) == 1 and self.support is not None:
            # One particle has no spread (a hypothesis nearly dead in model selection): step
            # with the prior's own variances (rather than pyabc's |x| fallback, whose steps in
            # many dimensions almost never land inside the prior).
            self.cov = np.diag(self.support.variances(perturbed)) * self.scaling
        elif len(X) <= len(perturbed) and self.support is not None:
            # Up to d particles in d dimensions span less than the space, so a Gaussian with
            # their covariance never proposes most of it; their spread along each parameter
            # does (a parameter they all share steps with its prior's variance). Stepping
            # with the prior's variances instead accepted 9 of 4,656 proposals in a final
            # generation whose seven particles were all inside the tolerance.
            spread = X.to_numpy()[:, ~self.from_prior].var(axis=0, ddof=1)
            spread = np.where(spread > 0, spread, self.support.variances(perturbed))
            self.cov = np.diag(spread) * self.scaling
        else:
            self.cov = np.atleast_2d(
                pyabc.transition.util.smart_cov(self._X_arr, even)) * self.scaling
        self.normal = (st.multivariate_normal(cov=self.cov, allow_singular=True)
                       if perturbed else None)
        self._chol = _cholesky(self.cov) if perturbed else self.cov

    def _wide(self, X: pd.DataFrame) -> np.ndarray:
        """Which parameters to draw from the prior (none without a prior that names them)."""
        specs = getattr(self.support, "specs", None)
        if specs is None or len(X) < 2:
            return np.zeros(len(self._names), dtype=bool)
        split = {n for g in getattr(self.support, "groups", []) for n in g}
        prior_sd = np.sqrt(self.support.variances(self._names))
        sd = X.to_numpy().std(axis=0, ddof=1)
        return np.array([n not in split and s >= self.PRIOR_PROPOSAL_SPREAD * p
                         for n, s, p in zip(self._names, sd, prior_sd, strict=True)])

    def _prior_draws(self, n: int) -> np.ndarray:
        """``n`` draws of the prior-proposed parameters from their marginals."""
        cols = [from_unit(self.support.specs[name],
                          np.random.random_sample(n))  # noqa: NPY002
                for name in np.array(self._names)[self.from_prior]]
        return np.column_stack(cols) if cols else np.zeros((n, 0))

    def _prior_density(self, x: np.ndarray) -> float:
        density = 1.0
        for name, v in zip(np.array(self._names)[self.from_prior], x[self.from_prior],
                           strict=True):
            density *= marginal_density(self.support.specs[name], float(v))
        return density

    def rvs_single(self) -> pyabc.Parameter:  # noqa: D102
        if self.support is None:
            return super().rvs_single()
        d = int((~self.from_prior).sum())
        for _ in range(10_000):
            idx = np.random.choice(self._range, size=self.BATCH, p=self.w, replace=True)  # noqa: NPY002
            steps = np.random.standard_normal((self.BATCH, d)) @ self._chol.T  # noqa: NPY002
            cand = np.empty((self.BATCH, len(self._names)))
            cand[:, ~self.from_prior] = self._X_arr[idx] + steps
            cand[:, self.from_prior] = self._prior_draws(self.BATCH)
            ok = np.flatnonzero(self.support.inside(cand, self._names))
            if ok.size:
                return pyabc.Parameter(dict(zip(self._names, cand[ok[0]], strict=True)))
        raise RuntimeError("no proposal inside the prior in 2.5 million draws")

    def rvs(self, size: int | None = None):  # noqa: D102
        if size is None or self.support is None:
            return self.rvs_single() if size is None else super().rvs(size)
        return pd.DataFrame([dict(self.rvs_single()) for _ in range(size)])

    def pdf(self, x):  # noqa: D102
        if isinstance(x, pyabc.Parameter | pd.Series):
            x = np.array([x[key] for key in self._names], dtype=float)
        else:
            x = x[self._names].to_numpy(dtype=float)
        if x.ndim == 2:
            return np.array([self._pdf_one(xi) for xi in x])
        return self._pdf_one(x)

    def _pdf_one(self, x: np.ndarray) -> float:
        mix = (1.0 if self.normal is None else
               float((self.normal.pdf(x[~self.from_prior] - self._X_arr) * self.w).sum()))
        return mix * (self._prior_density(x) if self.from_prior.any() else 1.0)


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


ESS_DIGITS = 10
"""Significant digits of a hypothesis' effective sample size as decided on and reported
(:func:`hypothesis_ess`). Kish's formula, in floating point, gives n equal weights a size of
n give or take a few units in the last place (9.999999999999996 for ten; a generation 0 has
equal weights), so a hypothesis holding exactly the file's ``min_effective_sample_size``
would be found short of it and given a final generation, while ``model_selection.csv``
(10 significant digits, :func:`model.io.write_table`) shows it reached. Rounding to the
digits the tables print removes the noise (about 1e-15 relative) and makes the decision the
one the table shows."""


def rounded_ess(ess: float) -> float:
    """An effective sample size to :data:`ESS_DIGITS` significant digits (as tables print it)."""
    return float(f"{ess:.{ESS_DIGITS}g}")


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


def db_path(out: Path, repeat: int) -> Path:
    """The history of repeat ``repeat`` in the output folder."""
    return out / f"abc_{repeat}.db"


def _history(db: Path) -> pyabc.History | None:
    """The ABC run stored at ``db`` (its latest run), or None if there is none yet."""
    if not db.is_file() or db.stat().st_size == 0:  # none, or killed as sqlite created it
        return None
    try:
        history = pyabc.History(f"sqlite:///{db}", create=False)
        if history.id is None or history.max_t is None:
            return None
    except AssertionError as err:
        # pyabc writes its format version right after creating the tables: a file without it
        # was killed in between and holds no run
        if "has version 0" in str(err):
            return None
        raise
    except sqlalchemy.exc.SQLAlchemyError as err:
        raise ScenarioError(str(db), None, f"not a readable ABC history ({type(err).__name__}); "
                            "use a new --out folder") from None
    return history


def load_history(db: Path) -> pyabc.History:
    """The finished history at ``db`` (for a repeat that is not run again)."""
    history = _history(db)
    if history is None:
        raise ScenarioError(str(db), None, "no ABC history to continue; use a new --out folder")
    return history


def generations_done(db: Path) -> int:
    """Finished generations in the history at ``db`` (0 if there is none)."""
    history = _history(db)
    return 0 if history is None else int(history.max_t) + 1


def _start_or_continue(abc: pyabc.ABCSMC, db: Path, observed: dict[str, float]) -> int:
    """Continue the run stored at ``db`` (returns its finished generations), or start one.

    A file with no run in it (the process was killed while pyabc created it) is replaced, so a
    restart never piles up new run ids beside a dead one; a run killed after its prior sample
    but before generation 0 is continued under its own id (pyabc draws generation 0 again).
    """
    history = _history(db)
    if history is None:
        for leftover in (db, db.with_name(db.name + "-journal")):
            leftover.unlink(missing_ok=True)
        abc.new(f"sqlite:///{db}", observed)
        return 0
    abc.load(f"sqlite:///{db}", history.id)
    return int(history.max_t) + 1


def models_and_priors(config: CalibrationConfig) -> tuple[list, list, list]:
    """One pyabc model (named as its hypothesis), prior and kernel per hypothesis."""
    models, priors, kernels = [], [], []
    for h in config.hypotheses:
        models.append(pyabc.model.FunctionModel(Simulator(config, h.name), name=h.name))
        prior = make_prior(config, h)
        priors.append(prior)
        kernels.append(SpreadKernel(support=prior))
    return models, priors, kernels


def run_abc(config: CalibrationConfig, targets: list[Target], out: Path, *, workers: int,
            scheduler: str | None = None, progress: bool = True, repeat: int = 0,
            deadline: float | None = None) -> pyabc.History:
    """Run (or continue) one ABC-SMC model selection over the file's hypotheses; returns the
    history (``db_path(out, repeat)``). Repeat ``r`` draws from ``run_seed(seed, r)``;
    ``deadline`` (``time.time()`` seconds) defaults to now plus the file's walltime.
    """
    s = config.settings
    out.mkdir(parents=True, exist_ok=True)
    db = db_path(out, repeat)
    # pyabc draws priors and perturbations from the legacy global generator.
    np.random.seed(run_seed(s.seed, repeat))  # noqa: NPY002
    models, priors, kernels = models_and_priors(config)
    abc = DeadlineABCSMC(models, priors, Distance(targets), population_size=s.population_size,
                         transitions=kernels, sampler=make_sampler(workers, scheduler))
    done = _start_or_continue(abc, db, Distance(targets).observed())
    remaining = s.max_generations - done
    if deadline is None:
        deadline = time.time() + 60.0 * s.max_walltime_minutes
    logger = logging.getLogger("ABC")
    logger.setLevel(logging.INFO)
    old_handlers, old_propagate = logger.handlers[:], logger.propagate
    logger.handlers, logger.propagate = [], False
    with tqdm(total=s.max_generations, initial=done, desc=f"ABC-SMC repeat {repeat}",
              unit="gen", file=sys.stderr, disable=not progress) as bar:
        logger.addHandler(_ProgressHandler(bar))
        try:
            if remaining > 0:
                warnings.filterwarnings("ignore", "covariance is not symmetric",
                                        RuntimeWarning)
                if getattr(abc.sampler, "check_max_eval", False):
                    abc.deadline = deadline
                abc.run(minimum_epsilon=s.min_epsilon, max_nr_populations=remaining,
                        min_acceptance_rate=s.min_acceptance_rate,
                        max_walltime=timedelta(seconds=max(deadline - time.time(), 0.0)))
        finally:
            logger.handlers, logger.propagate = old_handlers, old_propagate
            sampler = abc.sampler
            if hasattr(sampler, "client"):
                sampler.client.close()
    return abc.history


def population(history: pyabc.History, config: CalibrationConfig,
               t: int | None = None) -> pd.DataFrame:
    """Generation ``t`` (default: the last): one row per particle, a column per parameter of
    the file (NaN where its hypothesis does not estimate it), ``hypothesis``, ``weight`` (the
    joint weight: the hypothesis' probability times the particle's weight within it; sums to 1)
    and ``distance``.
    """
    t = history.max_t if t is None else t
    names = [h.name for h in config.hypotheses]
    rows = []
    for particle in history.get_population(t=t).particles:
        row = {n: np.nan for n in config.names}
        row.update({str(k): float(v) for k, v in particle.parameter.items()})
        row.update(hypothesis=names[particle.m], weight=float(particle.weight),
                   distance=float(particle.distance))
        rows.append(row)
    df = pd.DataFrame(rows, columns=[*config.names, "hypothesis", "weight", "distance"])
    df["weight"] = df["weight"] / df["weight"].sum()
    return df


def posterior(history: pyabc.History, config: CalibrationConfig) -> pd.DataFrame:
    """The last generation (see :func:`population`)."""
    return population(history, config)


def model_probabilities(post: pd.DataFrame, config: CalibrationConfig) -> dict[str, float]:
    """Each hypothesis' posterior probability in a population (0 for one that died out)."""
    by = post.groupby("hypothesis")["weight"].sum()
    return {h.name: float(by.get(h.name, 0.0)) for h in config.hypotheses}


def hypothesis_ess(post: pd.DataFrame, config: CalibrationConfig) -> dict[str, float]:
    """Kish's effective sample size of each hypothesis' particles (0 if it has none), to
    :data:`ESS_DIGITS` significant digits: the size final generations are decided on.
    """
    out = {}
    for h in config.hypotheses:
        w = post.loc[post["hypothesis"] == h.name, "weight"].to_numpy()
        out[h.name] = rounded_ess(effective_sample_size(w)) if w.size and w.sum() > 0 else 0.0
    return out


def generations(history: pyabc.History, config: CalibrationConfig) -> pd.DataFrame:
    """Per generation: epsilon, simulations, accepted particles, acceptance rate, the
    effective sample size of all weights, and per hypothesis its probability ``p.<name>``
    and effective sample size ``ess.<name>``.
    """
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].copy()
    rows = []
    for r in pops.itertuples():
        pop = population(history, config, int(r.t))
        row = {"t": int(r.t), "epsilon": float(r.epsilon), "samples": int(r.samples),
               "accepted": len(pop), "acceptance_rate": len(pop) / max(int(r.samples), 1),
               "effective_sample_size": effective_sample_size(pop["weight"])}
        row.update({f"p.{k}": v for k, v in model_probabilities(pop, config).items()})
        row.update({f"ess.{k}": v for k, v in hypothesis_ess(pop, config).items()})
        rows.append(row)
    return pd.DataFrame(rows)
