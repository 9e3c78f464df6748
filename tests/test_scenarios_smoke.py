"""Smoke test: every scenario file in scenarios/ (recursively) validates and runs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SCENARIOS

import model
from model.rules import IKM_ELEMENTS, IPP_UNITS
from model.scenario import COMPONENTS, load_scenario

FILES = sorted(SCENARIOS.rglob("*.toml"))


def test_there_are_region_and_whatif_scenarios():
    names = {p.relative_to(SCENARIOS).as_posix() for p in FILES}
    assert {"jember.toml", "kediri.toml"} <= names
    assert sum(n.startswith("whatif/") for n in names) >= 2


def test_egovsim_validate_accepts_every_scenario_file(capsys):
    from model.cli import main
    assert main(["validate", *map(str, FILES)]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("ok: ") == len(FILES), captured.err


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(SCENARIOS).as_posix())
def test_every_scenario_runs_and_its_indices_are_composed_by_their_rules(path):
    sc = load_scenario(path)
    df = model.run(sc, 3, years=(2024, 2026), population=400)
    assert len(df) == 3
    assert not df[["spbe", "ipp", "ikm"]].isna().any().any()
    # the regional IPP is the mean of the three evaluated units; the IKM the mean of its
    # nine elements; the components' spending is the whole e-government budget
    units = df[[f"ipp_{u}" for u in IPP_UNITS]].mean(axis=1)
    assert np.allclose(df["ipp"], units)
    assert np.allclose(df["ikm"], df[[f"ikm_{e}" for e in IKM_ELEMENTS]].mean(axis=1))
    spent = df[[f"spend_{c}_idr" for c in COMPONENTS]].sum(axis=1)
    assert np.allclose(spent, df["budget_egov_idr"])
    # Pemdi is scored from its first round (2026) only
    assert df.loc[df.year < 2026, "pemdi"].isna().all()
    assert df.loc[df.year >= 2026, "pemdi"].notna().all()
