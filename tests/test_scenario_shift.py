"""model.scenario: a what-if's pairwise ``shift = { from, to, fraction }`` as a file writes it.

Only the documented keys are read; the internal field names (``Shift.source``/``target``) never
appear in a message unless the file itself used them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import KEDIRI, SCENARIOS

from model.errors import ScenarioError
from model.scenario import Shift, load_scenario, shares_in_year, with_overrides

VALID_KEYS = "unknown key; valid keys are: fraction, from, to"
MISSING = "missing; a shift needs from, to and fraction"

# shift table as written -> (field the error names, its message).
BAD_SHIFTS = {
    "missing from": ('{ to = "competency", fraction = 0.2 }', "policy[0].shift.from", MISSING),
    "missing to": ('{ from = "apps", fraction = 0.2 }', "policy[0].shift.to", MISSING),
    "missing fraction": ('{ from = "apps", to = "competency" }', "policy[0].shift.fraction",
                         MISSING),
    "typo key": ('{ form = "apps", to = "competency", fraction = 0.2 }', "policy[0].shift.form",
                 VALID_KEYS),
    "internal names": ('{ source = "apps", target = "competency", fraction = 0.2 }',
                       "policy[0].shift.source", VALID_KEYS),
    "internal name beside from": ('{ from = "apps", target = "competency", fraction = 0.2 }',
                                  "policy[0].shift.target", VALID_KEYS),
    "from not text": ('{ from = 3, to = "competency", fraction = 0.2 }', "policy[0].shift.from",
                      "3 is not a component; use one of apps, competency, connectivity, "
                      "regulation, interface"),
}


def _whatif(tmp_path: Path, shift: str) -> Path:
    """A what-if over Kediri with one policy carrying ``shift = <shift>``."""
    p = tmp_path / "whatif.toml"
    p.write_text(f'base = "{KEDIRI.as_posix()}"\n\n[scenario]\nname = "w"\nregion = "Kota Kediri"\n'
                 f'\n[[policy]]\nname = "p"\nstart_year = 2025\nshift = {shift}\n',
                 encoding="utf-8")
    return p


@pytest.mark.parametrize("case", BAD_SHIFTS)
def test_bad_shift_names_the_file_and_the_key_the_user_wrote(tmp_path, case):
    shift, field, message = BAD_SHIFTS[case]
    path = _whatif(tmp_path, shift)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert (info.value.path, info.value.field, info.value.message) == (str(path), field, message)
    assert str(info.value) == f"{path}: {field}: {message}"


@pytest.mark.parametrize("case", ["missing from", "missing to", "typo key", "internal names"])
def test_bad_shift_through_the_entry_point_exits_2_and_writes_nothing(tmp_path, capsys, case):
    from model.cli import main
    shift, field, message = BAD_SHIFTS[case]
    path = _whatif(tmp_path, shift)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--years", "2018:2019", "--population",
                 "300", "--replications", "1", "--quiet"]) == 2
    assert main(["validate", str(path)]) == 2
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert lines == [f"egovsim: error: {path}: {field}: {message}"] * 2
    assert not out.exists()


def test_documented_shift_loads_with_its_effect(tmp_path, kediri):
    path = _whatif(tmp_path, '{ from = "apps", to = "competency", fraction = 0.2 }')
    sc = load_scenario(path)
    assert sc.policies[-1].shift == Shift(source="apps", target="competency", fraction=0.2)
    base, after = kediri.shares.as_dict(), shares_in_year(sc, 2025)
    assert shares_in_year(sc, 2024) == base
    assert after["apps"] == pytest.approx(0.8 * base["apps"])
    assert after["competency"] == pytest.approx(base["competency"] + 0.2 * base["apps"])
    # Rebuilding from the scenario's own table writes the shift back in the file's names.
    assert with_overrides(sc, {}) == sc


def test_shipped_whatif_shift_is_unchanged():
    sc = load_scenario(SCENARIOS / "whatif" / "kediri_apps_to_training_2025.toml")
    shifts = [p.shift for p in sc.policies if p.shift is not None]
    assert shifts == [Shift(source="apps", target="competency", fraction=0.2)]
