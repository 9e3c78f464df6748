"""Each retained hypothesis' own final generation: more particles at the model selection's
final tolerance, until its posterior sample has the effective size the file asks for.

In model selection pyabc shares one population among the hypotheses in proportion to their
probabilities, so a hypothesis at 5% holds about 20 of a repeat's 400 particles: too few for
its parameter table and its forecasts. The posterior sample is taken at the smallest of the
repeats' last tolerances: a repeat's particles within it are a weighted sample of the ABC
posterior at it (a weighted sample restricted to a tighter tolerance is one of the posterior
at that tolerance), and those beyond it are left out. A hypothesis' final generation is one
more SMC generation of that hypothesis alone at that tolerance, in stages: proposals from
:class:`~model.calibration.abc.SpreadKernel` fitted to its pooled particles (all of them) and
the final generation's accepted particles of earlier stages, each simulated, accepted if its
distance is at most the tolerance, and weighted by prior density over its stage's proposal
density (the kernel's own, as pyabc weights a generation; the constant lost to proposals
outside the prior cancels when a stage's weights are normalised). A stage ends, and the kernel
is fitted again, after the round in which it has accepted :data:`REFIT_ACCEPTED` particles:
a hypothesis nearly dead in model selection starts from one or a few particles, and a kernel
fitted to them alone accepts a few proposals in a thousand, while one fitted to what the
tolerance accepted proposes where it accepts (population Monte Carlo). Each stage is an
importance sample of the same posterior, the stages are combined as below, and the
generation stops when the hypothesis' combined sample reaches ``min_effective_sample_size``
(0: no final generations), or at its share of ``final_walltime_minutes`` after at least one
round.

Samples of one posterior are combined (:func:`combine`) with weights proportional to their
effective sample sizes (about inverse to the variance of each sample's estimates), under
which the combined effective sample size is the sum of theirs, the largest any weighting of
the samples gives. A hypothesis' probability stays the model selection's: its final
generation adds to its parameter sample only.

Proposals come in rounds (:data:`PROPOSALS_PER_WORKER` per worker); round ``k`` of the
file's hypothesis ``i`` draws from seed ``run_seed(seed, FINAL_KEY + i, k)``, and every
proposal of a finished round (accepted or not) is appended to ``OUT/final_<hypothesis>.parquet``
atomically, with its stage, the tolerance, the basis particles and the round size it was
drawn with (a file drawn otherwise is refused; a stage's kernel follows from the basis and the
saved stages before it). A killed run continues with the next round; with the same
workers it reaches the particles of an uninterrupted one when both stop at the size, not the
walltime.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.backend import Backend
from model.calibration.abc import SpreadKernel, effective_sample_size, rounded_ess
from model.calibration.config import CalibrationConfig, Hypothesis
from model.calibration.priors import make_prior
from model.calibration.simulate import Simulator
from model.calibration.targets import Distance, Target
from model.errors import ScenarioError
from model.io import write_table
from model.seeds import run_seed

FINAL_KEY = 1_000
"""Seed key of the final generations, apart from the repeats' keys 0, 1, 2, ..."""
PROPOSALS_PER_WORKER = 8
"""Proposals per worker in one round (assumption: about two seconds of simulation per worker
at 5,000 citizens, so the walltime is checked often and a killed run loses little)."""
REFIT_ACCEPTED = 10
"""Accepted particles after which a stage ends and the kernel is fitted again (assumption:
enough to move the kernel's centres to where the tolerance accepts, and few enough that the
first refit comes within about 3,000 proposals at the lowest acceptance rate seen in a final
generation, 0.35%)."""
_DRAWN_WITH = ["round", "stage", "epsilon", "basis", "size"]


def file_of(out: Path, hypothesis: str) -> Path:
    """The saved rounds of one hypothesis' final generation."""
    return out / f"final_{hypothesis}.parquet"


def combine(sets: list[pd.DataFrame]) -> pd.DataFrame:
    """Importance samples of one posterior as one: each set's weights normalised, times its
    effective sample size over the sets' total (weights sum to 1). Sets without weight are
    left out; rows keep their columns.
    """
    kept = [s for s in sets if len(s) and s["weight"].sum() > 0]
    if not kept:
        return pd.concat(sets, ignore_index=True).assign(weight=0.0) if sets else pd.DataFrame()
    ess = np.array([effective_sample_size(s["weight"]) for s in kept])
    frames = [s.assign(weight=s["weight"] / s["weight"].sum() * e / ess.sum())
              for s, e in zip(kept, ess, strict=True)]
    return pd.concat(frames, ignore_index=True)


def accepted(rounds: pd.DataFrame) -> pd.DataFrame:
    """The accepted proposals of a final generation (positive weight) as one sample: its
    stages combined (:func:`combine`), without the columns saying what they were drawn from.
    """
    ok = rounds[rounds["weight"] > 0]
    if len(ok) and "stage" in ok:
        ok = combine([g for _, g in ok.groupby("stage", sort=True)])
    return ok.reset_index(drop=True).drop(columns=_DRAWN_WITH, errors="ignore")


def next_stage(rounds: pd.DataFrame) -> int:
    """The stage of the next round: the last round's, or one more if it has accepted
    :data:`REFIT_ACCEPTED` particles (0 before any round).
    """
    if not len(rounds):
        return 0
    last = int(rounds["stage"].max())
    got = int(((rounds["stage"] == last) & (rounds["weight"] > 0)).sum())
    return last + 1 if got >= REFIT_ACCEPTED else last


def stage_kernel(prior, pooled: pd.DataFrame, rounds: pd.DataFrame, names: list[str],
                 stage: int) -> SpreadKernel:
    """The proposal of ``stage``: fitted to the basis and the accepted particles of the
    stages before it, each an importance sample of the posterior, combined.
    """
    earlier = rounds[(rounds["weight"] > 0) & (rounds["stage"] < stage)] if len(rounds) \
        else rounds
    sets = [pooled[[*names, "weight"]]] + [g[[*names, "weight"]] for _, g in
                                           earlier.groupby("stage", sort=True)]
    basis = combine(sets)
    kernel = SpreadKernel(support=prior)
    w = basis["weight"].to_numpy(dtype=float)
    kernel.fit(basis[names].reset_index(drop=True), w / w.sum())
    return kernel


@dataclass(frozen=True)
class Evaluate:
    """Distance of one hypothesis' simulation at ``theta`` from the targets (picklable)."""

    config: CalibrationConfig
    hypothesis: str
    targets: tuple[Target, ...]

    def __call__(self, theta: dict[str, float]) -> float:  # noqa: D102
        return Distance(list(self.targets))(Simulator(self.config, self.hypothesis)(theta))


def basis_id(pooled: pd.DataFrame, names: list[str]) -> str:
    """A fingerprint of the particles a final generation's kernel is fitted to."""
    data = pooled[[*names, "weight"]].to_numpy(dtype=float)
    return hashlib.blake2b(data.tobytes(), digest_size=12).hexdigest()


def final_generation(config: CalibrationConfig, h: Hypothesis, pooled: pd.DataFrame,
                     epsilon: float, targets: list[Target], out: Path, *, backend: Backend,
                     deadline: float, have_ess: float, evaluate=None) -> pd.DataFrame:
    """Every proposal of ``h``'s final generation (saved rounds first, then new ones):
    its parameter columns, ``distance``, ``weight`` (0 if rejected; normalised within a
    stage only, see :func:`accepted`), ``round``, and what it was drawn from (``stage``,
    ``epsilon``, ``basis``: :func:`basis_id`, ``size``: proposals a round).
    A saved file drawn from other particles, tolerance or round size is refused.

    ``pooled``: ``h``'s particles from the repeats, the kernel's basis (``weight`` within
    them); ``have_ess``: the effective sample size ``h`` has without its final generation;
    ``evaluate`` (theta -> distance) defaults to simulating the hypothesis (:class:`Evaluate`).
    At least one round runs, whatever the deadline.
    """
    s = config.settings
    names = [p.name for p in config.estimated(h)]
    index = [x.name for x in config.hypotheses].index(h.name)
    path = file_of(out, h.name)
    size = PROPOSALS_PER_WORKER * backend.parallelism()
    basis = basis_id(pooled, names)
    columns = [*names, "distance", "weight", *_DRAWN_WITH]
    rounds = pd.read_parquet(path) if path.is_file() else pd.DataFrame(columns=columns)
    if len(rounds) and ("stage" not in rounds or rounds["basis"].iloc[0] != basis
                        or rounds["size"].iloc[0] != size
                        or rounds["epsilon"].iloc[0] != epsilon):
        raise ScenarioError(str(path), None, "holds a final generation drawn from other "
                            "particles, tolerance or number of workers; use a new --out folder")
    prior = make_prior(config, h)
    stage = next_stage(rounds)
    kernel = stage_kernel(prior, pooled, rounds, names, stage)
    evaluate = evaluate or Evaluate(config, h.name, tuple(targets))
    k = int(rounds["round"].max()) + 1 if len(rounds) else 0
    first = True

    def reached() -> bool:
        got = accepted(rounds)["weight"]  # rounded as the sizes it adds to (hypothesis_ess)
        return rounded_ess(have_ess + (effective_sample_size(got) if len(got) else 0.0)) \
            >= s.min_effective_sample_size

    while not reached() and (first or time.time() < deadline):
        first = False
        np.random.seed(run_seed(s.seed, FINAL_KEY + index, k))  # noqa: NPY002 (the kernel's)
        thetas = [{n: float(v) for n, v in kernel.rvs_single().items()} for _ in range(size)]
        distances = np.empty(size)
        backend.imap(evaluate, thetas, distances.__setitem__)
        new = pd.DataFrame(thetas, columns=names).assign(distance=distances, round=k)
        ok = distances <= epsilon
        new["weight"] = [prior.pdf(t) / kernel.pdf(pd.Series(t)) if a else 0.0
                         for t, a in zip(thetas, ok, strict=True)]
        new = new.assign(stage=stage, epsilon=float(epsilon), basis=basis, size=size)
        rounds = pd.concat([rounds, new], ignore_index=True) if len(rounds) else new
        write_table(rounds, parquet=path)
        k += 1
        if next_stage(rounds) != stage:
            stage = next_stage(rounds)
            kernel = stage_kernel(prior, pooled, rounds, names, stage)
    return rounds
