"""Seeded regression baseline: a small fixed run of both regions against tests/baseline.json."""

from __future__ import annotations

import copy

import pytest
from update_baseline import CONFIG, compute, differences, load


def test_simulation_matches_the_committed_baseline():
    old = load()
    assert old, "tests/baseline.json is missing: run .venv/bin/python tests/update_baseline.py"
    changes = differences(old, compute())
    if changes:
        pytest.fail(f"{len(changes)} value(s) differ from tests/baseline.json; if the change is "
                    "intended, run .venv/bin/python tests/update_baseline.py and commit the "
                    "result:\n  " + "\n  ".join(changes[:25]), pytrace=False)


def test_baseline_covers_both_regions_every_year_and_column():
    old = load()
    assert old["config"] == CONFIG
    first, last = CONFIG["years"]
    assert set(old["runs"]) == {"jember", "kediri"}
    for rows in old["runs"].values():
        assert [r["year"] for r in rows] == list(range(first, last + 1))
        for r in rows:
            assert set(r) == {"year", *CONFIG["columns"]}


def test_differences_reports_moved_values_only():
    old = load()
    new = copy.deepcopy(old)
    assert differences(old, new) == []
    row = new["runs"]["kediri"][2]
    row["spbe"] += 1e-3
    row["ipp"] *= 1 + 1e-9  # within tolerance
    lines = differences(old, new)
    assert len(lines) == 1 and lines[0].startswith(f"kediri {row['year']} spbe:")
