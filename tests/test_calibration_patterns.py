"""The secondary pattern facts on hand-made draws: each reads its columns on their own scale.

Known answers come from the facts' statements (model/calibration/patterns.py) and, for the
facilities fact, from the IPP's scale: an aspect score s (0-1) is 1 + 4 s on the 1-5 index.
"""

from __future__ import annotations

import pandas as pd
import pytest

from model.calibration.patterns import HIGH_FACILITIES, secondary_facts


def _frames(**kediri_2024) -> dict[str, pd.DataFrame]:
    """A draw of both regions in 2021-2024 where nothing moves, Kediri's 2024 row overridden."""
    base = {"stock_connectivity": 0.3, "maladmin_rate": 0.1, "staff_integrity": 0.6,
            "spbe": 3.0, "ipp_facilities": 0.5}
    frames = {}
    for region in ("jember", "kediri"):
        rows = [{"year": y, **base} for y in range(2021, 2025)]
        if region == "kediri":
            rows[-1].update(kediri_2024)
        frames[region] = pd.DataFrame(rows)
    return frames


@pytest.mark.parametrize("score, holds", [(0.80, True), (0.76, True), (0.74, False),
                                          (0.70, False)])
def test_the_facilities_fact_reads_the_aspect_on_the_index_scale(score, holds):
    """HIGH_FACILITIES is an index value (4.0): an aspect score of 0.75 is exactly 4.0."""
    assert HIGH_FACILITIES == pytest.approx(1.0 + 4.0 * 0.75)
    assert secondary_facts(_frames(ipp_facilities=score))["kediri_mpp_facilities_2024"] is holds


def test_connectivity_and_integrity_facts_follow_their_statements():
    kept = secondary_facts(_frames())
    assert kept["jember_connectivity_kept_2022"] and kept["jember_integrity_kept_2023"]
    fell = _frames()
    fell["jember"].loc[fell["jember"]["year"] == 2022, "stock_connectivity"] = 0.29
    worse = _frames()
    worse["jember"].loc[worse["jember"]["year"] == 2023, "maladmin_rate"] = 0.11
    assert not secondary_facts(fell)["jember_connectivity_kept_2022"]
    assert not secondary_facts(worse)["jember_integrity_kept_2023"]


def test_a_fact_whose_years_were_not_simulated_is_none():
    short = {r: f[f["year"] <= 2023] for r, f in _frames().items()}
    facts = secondary_facts(short)
    assert facts["kediri_mpp_facilities_2024"] is None and facts["national_spbe_2024"] is None
