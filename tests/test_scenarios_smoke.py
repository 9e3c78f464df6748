"""Smoke test: every scenario file in scenarios/ (recursively) validates and runs."""

from __future__ import annotations

import pytest
from conftest import REPO, SCENARIOS, run_cli

import model
from model.scenario import load_scenario

FILES = sorted(SCENARIOS.rglob("*.toml"))


def test_there_are_region_and_whatif_scenarios():
    names = {p.relative_to(SCENARIOS).as_posix() for p in FILES}
    assert {"jember.toml", "kediri.toml"} <= names
    assert sum(n.startswith("whatif/") for n in names) >= 2


def test_egovsim_validate_accepts_every_scenario_file():
    proc = run_cli("validate", *(p.relative_to(REPO) for p in FILES))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("ok: ") == len(FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(SCENARIOS).as_posix())
def test_every_scenario_runs_with_indices_within_their_scales(path):
    sc = load_scenario(path)
    df = model.run(sc, 3, years=(2024, 2026), population=400)
    assert len(df) == 3
    assert df["spbe"].between(1, 5).all()
    assert df["ipp"].between(1, 5).all()
    assert df["ikm"].between(1, 4).all()
    assert df["online_share"].between(0, 1).all()
    assert not df[["spbe", "ipp", "ikm"]].isna().any().any()
