"""The fixed-parameter screen (benchmarks/fixed_sensitivity.py) screens what it says it does."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest
from conftest import REPO

from model.behaviour import Behaviour
from model.calibration.config import load_config
from model.posterior import DEFAULT_POSTERIOR


@pytest.fixture(scope="module")
def screen():
    spec = importlib.util.spec_from_file_location(
        "fixed_sensitivity", REPO / "benchmarks" / "fixed_sensitivity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def config():
    return load_config(REPO / "experiments" / "calibration.toml")


def test_fixed_group_is_what_no_hypothesis_estimates_or_switches_off(screen, config):
    fixed = {f"behaviour.{name}" for name in screen.fixed_fields(config)}
    estimated = {p.key for p in config.parameters if p.region is None}
    switched = {k for h in config.hypotheses for k in h.fixed}
    assert fixed and not fixed & estimated and not fixed & switched
    # every other float behaviour field with a declared range is in it
    rest = {f"behaviour.{name}" for name, v in vars(Behaviour()).items()
            if isinstance(v, float)} - estimated - switched
    assert fixed == rest


def test_ranges_keep_values_inside_declared_bounds_and_ordered_pairs_apart(screen, config):
    post = pd.read_parquet(DEFAULT_POSTERIOR)
    factors, point = screen.factor_table(config, post, "measurement", 0.25)
    fixed = factors[factors["group"] == "fixed"].set_index("factor")
    # a quarter either way of each value, unless the declared range or an ordered pair stops it
    v = Behaviour().literacy_course_gain
    gain = fixed.loc["literacy_course_gain"]
    assert (gain["lo"], gain["hi"]) == pytest.approx((0.75 * v, 1.25 * v))
    for low, high in screen.ORDERED:
        assert fixed.loc[low, "hi"] < fixed.loc[high, "lo"]
        assert fixed.loc[low, "lo"] <= fixed.loc[low, "value"] <= fixed.loc[low, "hi"]
        assert fixed.loc[high, "lo"] <= fixed.loc[high, "value"] <= fixed.loc[high, "hi"]
    est = factors[factors["group"] == "estimated"]
    assert (est["lo"] <= est["value"]).all() and (est["value"] <= est["hi"]).all()
    # the splits are held at the point (their components are estimated jointly)
    assert not est["factor"].str.contains("shares").any()
    assert any("shares" in name for name in point)
