"""``egovsim report``: a self-contained, plain-language HTML page in both languages."""

from __future__ import annotations

import base64
import re
import shutil
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from model import cli
from model.app.text import num, tr
from model.figures import band_table
from model.report import comparisons, load_results

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A small real ``egovsim run``: Jember, a Jember what-if and Kediri."""
    out = tmp_path_factory.mktemp("run") / "res"
    code = cli.main(["run", str(SCENARIOS / "jember.toml"),
                     str(SCENARIOS / "whatif" / "jember_recruitment_2025.toml"),
                     str(SCENARIOS / "kediri.toml"), "--replications", "3",
                     "--population", "600", "--years", "2018:2027", "--workers", "1",
                     "--out", str(out), "--quiet"])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def pages(results, tmp_path_factory) -> dict[str, str]:
    out = {}
    for lang in ("id", "en"):
        path = tmp_path_factory.mktemp(lang) / f"report_{lang}.html"
        assert cli.main(["report", str(results), "--lang", lang, "--out", str(path)]) == 0
        out[lang] = path.read_text(encoding="utf-8")
    return out


def _text(page: str) -> str:
    body = re.sub(r"<img[^>]*>", "", page)
    return unescape(re.sub(r"<[^>]+>", " ", body))


def test_report_is_self_contained_with_embedded_figures(pages):
    for lang, page in pages.items():
        assert page.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in page
        images = re.findall(r'<img[^>]+src="([^"]+)"', page)
        assert len(images) >= 6  # three indices, one difference, who gains, IPP aspects
        for src in images:
            assert src.startswith("data:image/png;base64,")
            assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
        # nothing is fetched from elsewhere: no external script, style sheet, image or font
        assert not re.search(r'<(script|link|iframe)\b', page)
        assert not re.search(r'src="(?!data:)', page)
        assert "url(" not in page


def test_report_speaks_its_language(pages):
    for lang, other in (("id", "en"), ("en", "id")):
        text = _text(pages[lang])
        for key in ("report.compared_h", "report.trajectories_h", "report.divide_h",
                    "report.uncertainty_h", "report.sources_h", "report.changes_h"):
            assert tr(lang, key) in text
            assert tr(other, key) not in text


def test_sentences_are_built_from_the_numbers(results, pages):
    annual, _ = load_results(results)
    for lang, page in pages.items():
        text = _text(page)
        for name in ("jember", "jember_recruitment_2025", "kediri"):
            b = band_table(annual[annual["scenario"] == name], "ipp").sort_values("year")
            first, last = b.iloc[0], b.iloc[-1]
            sentence = tr(lang, "report.trajectory", scenario=name,
                          index=tr(lang, "index_short.ipp"), y0=2018, v0=num(first["mean"], lang),
                          y1=2027, v1=num(last["mean"], lang), lo=num(last["lo"], lang),
                          hi=num(last["hi"], lang), label_name=tr(lang, "label_name.ipp"),
                          l0=_grade(first["mean"]), l1=_grade(last["mean"]))
            assert sentence[:1].upper() + sentence[1:] in text
    # Indonesian numbers use a decimal comma
    assert re.search(r"\b[1-5],\d\d\b", _text(pages["id"]))


def _grade(x: float) -> str:
    from model.rules import ipp_grade
    return ipp_grade(x)


def test_whatif_is_compared_with_its_base_and_divide_is_described(pages):
    for lang, page in pages.items():
        text = _text(page)
        assert tr(lang, "report.pair", other="jember_recruitment_2025", base="jember") in text
        assert text.count(tr(lang, "report.higher")) + text.count(tr(lang, "report.lower")) >= 3
        assert tr(lang, "group.q1") in text or tr(lang, "group.q5") in text
        # Kediri has no rural residents: no "rural" figure is invented for it
        kediri = [s for s in re.split(r"(?<=\.)\s+", text) if "kediri" in s.lower()]
        assert kediri and not any(re.search(r"\bnan\b|–%", s.lower()) for s in kediri)
        assert not re.search(r"\bnan\b", text.lower())


def test_assumptions_and_sources_are_listed(pages):
    for lang, page in pages.items():
        text = _text(page)
        assert "budget.apbd_idr" in text and "data: APBD 2024" in text
        assert "assumption:" in text
        assert tr(lang, "report.sources_data", n=0).split("(")[0] in text
        assert "https://" in page  # observed scores' sources, as links


def test_pairs_follow_policies():
    meta = {"scenarios": [
        {"name": "w", "region": "A", "policies": [{"x": 1}, {"y": 2}]},
        {"name": "a", "region": "A", "policies": [{"x": 1}]},
        {"name": "b", "region": "B", "policies": []},
    ]}
    assert comparisons(meta, ["w", "a", "b"]) == [("a", "w")]
    assert comparisons(meta, ["w", "b"]) == []


def _fails(capsys, *argv: str) -> str:
    assert cli.main(["report", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("egovsim: error:") and "\n" not in err
    return err


def test_bad_results_folder_is_one_line_and_writes_nothing(results, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert "results folder not found" in _fails(capsys, str(tmp_path / "nope"), "--out", str(out))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "metadata.json" in _fails(capsys, str(empty), "--out", str(out))
    broken = tmp_path / "broken"
    shutil.copytree(results, broken)
    (broken / "metadata.json").write_text("{not json")
    assert "cannot read JSON" in _fails(capsys, str(broken), "--out", str(out))
    cut = tmp_path / "cut"
    shutil.copytree(results, cut)
    (cut / "annual.parquet").unlink()
    pd.read_csv(cut / "annual.csv").drop(columns=["ipp"]).to_csv(cut / "annual.csv", index=False)
    assert "annual.csv: ipp: missing column" in _fails(capsys, str(cut), "--out", str(out))
    assert "is a folder" in _fails(capsys, str(results), "--out", str(tmp_path))
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken", "cut", "empty"]
