"""model.behaviour: the one place yearly rates become monthly ones, and the defaults."""

from __future__ import annotations

import math

import pytest

from model.behaviour import Behaviour, default_behaviour, per_month


@pytest.mark.parametrize("rate", [0.0, 0.05, 0.15, 0.5, 0.9])
def test_per_month_compounds_back_to_the_yearly_rate(rate):
    m = per_month(rate)
    assert 1.0 - (1.0 - m) ** 12 == pytest.approx(rate, abs=1e-12)


def test_per_month_known_answers():
    assert per_month(0.0) == 0.0
    assert per_month(0.75) == pytest.approx(1.0 - 0.25 ** (1 / 12))
    assert per_month(1 - 0.5 ** 12) == pytest.approx(0.5)
    # a certain yearly loss is capped below 1 so stocks never vanish in one month
    assert 0.6 < per_month(1.0) < 1.0
    assert per_month(5.0) == per_month(1.0)


def test_per_month_lies_between_a_twelfth_of_the_rate_and_the_hazard_over_twelve():
    for rate in (0.01, 0.2, 0.6):
        assert rate / 12 < per_month(rate) < -math.log(1 - rate) / 12


def test_default_behaviour_is_the_declared_defaults_overlaid_by_calibration():
    bh = default_behaviour()
    assert isinstance(bh, Behaviour)
    from model.behaviour import _calibrated_table
    overlay = _calibrated_table()
    for name, value in overlay.items():
        assert getattr(bh, name) == pytest.approx(value)
    for name in set(Behaviour.__dataclass_fields__) - set(overlay):
        assert getattr(bh, name) == getattr(Behaviour(), name)
