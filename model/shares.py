"""Split arithmetic: the one place where spending shares are set, fixed, shifted and rounded.

A split is a mapping ``component -> share`` whose shares are in [0, 1] and sum to 1. Every
operation here returns a new split over the same components and keeps the sum at 1:

- :func:`set_share` sets one share and rescales the others in proportion;
- :func:`fix_shares` sets several shares and gives the others the rest in proportion;
- :func:`shift_share` moves a fraction of one share to another;
- :func:`from_weights` gives some components what the others leave, by relative weights, and
  :func:`normalised` scales weights for all components to a split;
- :func:`rounded_split` rounds a split for a file without breaking its sum.

Errors are :class:`~model.errors.ScenarioError` (field ``shares.<component>``) or, when fixed
shares leave too little for the others, :class:`InfeasibleShares`.
"""

from __future__ import annotations

from collections.abc import Mapping

from model.errors import ScenarioError

SUM_TOLERANCE = 1e-12
"""Slack (share units) allowed when comparing a sum of shares with a bound (float rounding)."""


class InfeasibleShares(ValueError):
    """Fixed shares that leave the other components less than the required minimum."""


def _check(split: Mapping[str, float], component: str, value: float) -> None:
    if component not in split:
        raise ScenarioError(None, f"shares.{component}", "unknown component; valid are: "
                            + ", ".join(split))
    if not 0.0 <= value <= 1.0:
        raise ScenarioError(None, f"shares.{component}", f"{value!r} is outside [0, 1]")


def fix_shares(split: Mapping[str, float], fixed: Mapping[str, float],
               min_rest: float = 0.0) -> dict[str, float]:
    """``fixed`` shares as given; the other components share the rest in proportion to their
    values in ``split`` (equally, if those are all zero).

    Raises :class:`InfeasibleShares` if the rest is below ``min_rest`` (or negative).
    """
    for component, value in fixed.items():
        _check(split, component, value)
    rest = 1.0 - sum(fixed.values())
    if rest < max(min_rest, 0.0) - SUM_TOLERANCE:
        raise InfeasibleShares(f"fixed shares sum to {1.0 - rest:.3f}, leaving less than "
                               f"{min_rest:g} for the others")
    others = [c for c in split if c not in fixed]
    base = sum(split[c] for c in others)
    out = {c: float(fixed[c]) for c in fixed}
    for c in others:
        out[c] = rest * (split[c] / base if base > 0 else 1.0 / len(others))
    return {c: float(out[c]) for c in split}


def set_share(split: Mapping[str, float], component: str, value: float) -> dict[str, float]:
    """``component`` at ``value``, the others rescaled in proportion so the sum stays 1."""
    return fix_shares(split, {component: value})


def shift_share(split: Mapping[str, float], source: str, target: str,
                fraction: float) -> dict[str, float]:
    """Move ``fraction`` (0-1) of ``source``'s share to ``target``; the others unchanged."""
    _check(split, source, split.get(source, 0.0))
    _check(split, target, split.get(target, 0.0))
    if not 0.0 <= fraction <= 1.0:
        raise ScenarioError(None, "shift.fraction", f"{fraction!r} is outside [0, 1]")
    out = {c: float(v) for c, v in split.items()}
    moved = out[source] * fraction
    out[source] -= moved
    out[target] += moved
    return out


def from_weights(split: Mapping[str, float], weights: Mapping[str, float]) -> dict[str, float]:
    """The components in ``weights`` share what the others leave, in proportion to their
    weights (equally if all are zero); the other components keep their shares.
    """
    kept = {c: float(v) for c, v in split.items() if c not in weights}
    free = 1.0 - sum(kept.values())
    total = sum(weights.values())
    # the kept shares are passed as fixed, so they stay exactly what they were (rescaling them
    # by rest / their sum would move them in the last digit)
    return fix_shares(split, kept | {c: free * (w / total if total > 0 else 1.0 / len(weights))
                                     for c, w in weights.items()})


def normalised(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights for every component scaled to sum to 1."""
    total = sum(weights.values())
    if total <= 0:
        raise ScenarioError(None, "shares", "the shares sum to 0")
    return {c: float(v) / total for c, v in weights.items()}


def rounded_split(split: Mapping[str, float], decimals: int = 4) -> dict[str, float]:
    """Shares rounded to ``decimals``, the rounding residue given to the largest (sum 1)."""
    out = {k: round(float(v), decimals) for k, v in split.items()}
    top = max(out, key=out.get)
    out[top] = round(out[top] + 1.0 - sum(out.values()), decimals)
    return out
