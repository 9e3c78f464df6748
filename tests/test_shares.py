"""Split arithmetic (model/shares.py): every operation keeps a split summing to 1 and changes
only what it says it changes.
"""

import re
import tokenize
from pathlib import Path

import pytest
from conftest import REPO

from model.errors import ScenarioError
from model.shares import InfeasibleShares, fix_shares, rounded_split, set_share, shift_share

SPLIT = {"apps": 0.1, "competency": 0.2, "connectivity": 0.3, "regulation": 0.2,
         "interface": 0.2}


def test_fix_shares_gives_the_rest_in_proportion():
    out = fix_shares(SPLIT, {"apps": 0.5, "interface": 0.1})
    assert sum(out.values()) == pytest.approx(1.0)
    assert out["apps"] == 0.5 and out["interface"] == 0.1
    # the other three keep their 2:3:2 ratio over the remaining 0.4
    assert out["competency"] == pytest.approx(0.4 * 2 / 7)
    assert out["connectivity"] == pytest.approx(0.4 * 3 / 7)
    assert list(out) == list(SPLIT)
    with pytest.raises(InfeasibleShares):
        fix_shares(SPLIT, {"apps": 0.6, "interface": 0.36}, min_rest=0.05)
    with pytest.raises(InfeasibleShares):
        fix_shares(SPLIT, {"apps": 0.7, "interface": 0.4})


def test_others_all_zero_share_the_rest_equally():
    zero = {"apps": 1.0, "competency": 0.0, "connectivity": 0.0, "regulation": 0.0,
            "interface": 0.0}
    out = set_share(zero, "apps", 0.6)
    assert [out[c] for c in SPLIT if c != "apps"] == pytest.approx([0.1] * 4)


def test_set_share_is_fix_shares_of_one_and_rejects_bad_input():
    assert set_share(SPLIT, "regulation", 0.5) == fix_shares(SPLIT, {"regulation": 0.5})
    with pytest.raises(ScenarioError, match="shares.apps"):
        set_share(SPLIT, "apps", 1.2)
    with pytest.raises(ScenarioError, match="shares.roads"):
        set_share(SPLIT, "roads", 0.2)


def test_shift_moves_a_fraction_between_two_and_leaves_the_rest():
    out = shift_share(SPLIT, "connectivity", "apps", 0.5)
    assert out["connectivity"] == pytest.approx(0.15) and out["apps"] == pytest.approx(0.25)
    assert {c: out[c] for c in ("competency", "regulation", "interface")} == {
        c: SPLIT[c] for c in ("competency", "regulation", "interface")}
    with pytest.raises(ScenarioError, match="fraction"):
        shift_share(SPLIT, "apps", "interface", 1.5)


def test_rounded_split_sums_to_one_at_its_precision():
    third = {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}
    out = rounded_split(third, 4)
    assert sum(out.values()) == pytest.approx(1.0, abs=1e-12)
    assert sorted(out.values()) == [0.3333, 0.3333, 0.3334]


# Shapes in which shares or weights are rescaled by their sum: a share looked up and divided
# (``shares[c] / total``), or a weight divided by a sum (``w / total``, ``v / rest``).
_RESCALING = (re.compile(r"\b\w*(share|split|weight)s?\w*\s*\[[^\]]*\]\s*/"),
              re.compile(r"\b(w|v|weight|share)\s*/\s*(total|rest|base|sum)\b"))


def _code_lines(path: Path) -> list[tuple[int, str]]:
    """A module's code, line by line, with strings and comments removed."""
    lines: dict[int, list[str]] = {}
    with path.open("rb") as f:
        for tok in tokenize.tokenize(f.readline):
            if tok.type in (tokenize.STRING, tokenize.COMMENT, tokenize.ENCODING):
                continue
            lines.setdefault(tok.start[0], []).append(tok.string)
    return [(n, " ".join(parts)) for n, parts in sorted(lines.items())]


def test_shares_are_rescaled_in_model_shares_only():
    shares_py = REPO / "model" / "shares.py"
    assert any(p.search(line) for _, line in _code_lines(shares_py) for p in _RESCALING)
    found = [f"{path.relative_to(REPO)}:{n}: {line}"
             for path in sorted((REPO / "model").rglob("*.py")) if path != shares_py
             for n, line in _code_lines(path) if any(p.search(line) for p in _RESCALING)]
    assert not found, "share arithmetic outside model/shares.py:\n" + "\n".join(found)
