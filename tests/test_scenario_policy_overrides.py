"""``with_overrides`` addressing whole splits and policy fields (added for calibration)."""

from pathlib import Path

import pytest

from model import ScenarioError, load_scenario, with_overrides

JEMBER = Path(__file__).resolve().parent.parent / "scenarios" / "jember.toml"
EVEN = {"apps": 0.2, "competency": 0.2, "connectivity": 0.2, "regulation": 0.2,
        "interface": 0.2}


def test_policy_share_rescales_only_that_policy():
    sc = load_scenario(JEMBER)
    old = sc.policies[0].shares.as_dict()
    new = with_overrides(sc, {"policy.0.shares.apps": 0.2})
    got = new.policies[0].shares.as_dict()
    assert got["apps"] == 0.2 and sum(got.values()) == pytest.approx(1.0)
    rest = 1 - old["apps"]
    for c in ("competency", "connectivity", "regulation", "interface"):
        assert got[c] == pytest.approx(old[c] * 0.8 / rest)
    assert new.shares == sc.shares  # the base split is untouched


def test_whole_splits_and_scalar_policy_fields():
    sc = load_scenario(JEMBER)
    new = with_overrides(sc, {"shares": EVEN, "policy.0.shares": EVEN,
                              "policy.0.hire_quality": 0.7})
    assert new.shares.as_dict() == EVEN and new.policies[0].shares.as_dict() == EVEN
    assert new.policies[0].hire_quality == 0.7
    # existing behaviour kept: one share rescales the others
    assert with_overrides(sc, {"shares.apps": 0.5}).shares.apps == 0.5


@pytest.mark.parametrize("over, field", [
    ({"policy.3.shares.apps": 0.2}, "policy.3.shares.apps"),
    ({"policy.x.shares": EVEN}, "policy.x.shares"),
    ({"policy.0.colour": 1}, "policy.0.colour"),
    ({"shares": {"apps": 1.0}}, "shares"),
    ({"policy.0.shares": {**EVEN, "apps": 0.5}}, "policy[0].shares"),  # sums to 1.3
    ({"policy.0.hire_quality": 2.0}, "policy[0].hire_quality"),  # out of range
])
def test_bad_policy_overrides_name_the_field(over, field):
    with pytest.raises(ScenarioError, match=field.replace("[", r"\[").replace("]", r"\]")):
        with_overrides(load_scenario(JEMBER), over)
