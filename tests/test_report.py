"""``egovsim report``: a self-contained, plain-language HTML page in both languages."""

from __future__ import annotations

import base64
import os
import re
import shutil
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from model import cli
from model.figures import band_table
from model.present.text import num, tr
from model.report import build_report, comparisons, load_results, titles

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
    annual, metadata = load_results(results)
    for lang, page in pages.items():
        text = _text(page)
        names = titles(metadata, ["jember", "jember_recruitment_2025", "kediri"], lang)
        for name, title in names.items():
            b = band_table(annual[annual["scenario"] == name], "ipp").sort_values("year")
            last = b.iloc[-1]
            assert f"{title}, " in text or f"{title} " in text
            assert f"{num(last['mean'], lang)} " in text
        # places by their region, never by file stem
        assert names["kediri"] == "Kota Kediri" and names["jember"] == "Kabupaten Jember"
        assert names["jember_recruitment_2025"].startswith("Kabupaten Jember, ")
        for stem in ("jember_recruitment_2025", "kediri"):
            # commands and source addresses may hold file names; nothing else does
            outside_code = re.sub(r'<code lang="zxx">.*?</code>|<a [^>]*>.*?</a>', "", page,
                                  flags=re.S)
            assert not re.search(rf"\b{stem}\b", _text(outside_code)), stem
    # Indonesian numbers use a decimal comma
    assert re.search(r"\b[1-5],\d\d\b", _text(pages["id"]))


def test_whatif_is_compared_with_its_base_and_divide_is_described(results, pages):
    _, metadata = load_results(results)
    for lang, page in pages.items():
        text = _text(page)
        names = titles(metadata, ["jember", "jember_recruitment_2025", "kediri"], lang)
        assert tr(lang, "report.pair", other=names["jember_recruitment_2025"],
                  base=names["jember"]) in text
        assert tr(lang, "group.q1") in text or tr(lang, "group.q5") in text
        # Kediri has no rural residents: no "rural" figure is invented for it
        said = text.split(tr(lang, "report.sources_h"))[0]  # the notes quote the files
        kediri = [s for s in re.split(r"(?<=\.)\s+", said) if "Kota Kediri" in s]
        assert kediri and not any(tr(lang, "group.rural") in s for s in kediri)
        assert not re.search(r"\bnan\b|–%", text.lower())


CONTRADICTIONS = [r"dari (\S+) menjadi \1\b", r"from (\S+) to \1\b",
                  r"antara \+0,00 dan \+0,00\)\. Sedikitnya", r"selisih \d+%",
                  r"Warga perkotaan: \d+%", r"paling membaik .* Yang memburuk"]


def test_no_contradictory_phrasing(pages):
    for page in pages.values():
        text = _text(page)
        for pattern in CONTRADICTIONS:
            assert not re.search(pattern, text), pattern


ENGLISH = {"the", "and", "of", "with", "from", "to", "is", "are", "for", "baseline", "what-if",
           "observed", "share", "year", "years", "mean", "band", "budget", "staff", "online",
           "assumption", "data:", "not", "found", "which", "that", "by", "on", "points",
           "replications", "scenario", "policy", "people", "money", "training", "apps"}


def test_the_indonesian_report_has_no_english_outside_marked_quotations(pages):
    page = re.sub(r"<(\w+)[^>]*\blang=\"(en|zxx)\"[^>]*>.*?</\1>", " ", pages["id"], flags=re.S)
    page = re.sub(r"<a [^>]*>.*?</a>", " ", page, flags=re.S)  # addresses of sources
    words = {w.lower().strip(".,;:()\"'") for w in _text(page).split()}
    assert not words & ENGLISH, sorted(words & ENGLISH)
    # and the quotations are really marked, not dropped
    assert pages["id"].count('lang="en"') > 20


def test_method_changes_are_explained(pages):
    for lang, page in pages.items():
        text = _text(page)
        for key in ("spbe_2021", "ipp_2022"):
            assert tr(lang, f"method.{key}.text") in text
        assert tr(lang, "observed.reading_note") in text


def test_assumptions_and_sources_are_listed(pages):
    for lang, page in pages.items():
        text = _text(page)
        assert "budget.apbd_idr" in text and "APBD 2024" in text
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


def test_a_truncated_or_nan_table_is_refused(results, tmp_path, capsys):
    out = tmp_path / "r.html"
    short = tmp_path / "short"
    shutil.copytree(results, short)
    (short / "annual.parquet").unlink()
    full = pd.read_csv(short / "annual.csv")
    full.head(3).to_csv(short / "annual.csv", index=False)
    assert "incomplete: scenario 'jember' has 3 of 30 rows" in _fails(
        capsys, str(short), "--out", str(out))
    holes = tmp_path / "holes"
    shutil.copytree(short, holes)
    full.assign(ikm=full["ikm"].where(full.index != 5)).to_csv(holes / "annual.csv", index=False)
    assert "annual.csv: ikm: 1 missing values" in _fails(capsys, str(holes), "--out", str(out))
    assert not out.exists()


def test_report_refuses_to_replace_a_device_or_other_non_file(results, tmp_path, capsys):
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    assert "not a regular file" in _fails(capsys, str(results), "--out", str(fifo))
    assert fifo.is_fifo()


def test_formats_write_every_figure_and_the_comparison_table(results, tmp_path, capsys):
    out = tmp_path / "deck.html"
    assert cli.main(["report", str(results), "--lang", "en", "--out", str(out),
                     "--formats", "png,csv,xlsx"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "deck.html" not in names  # html was not asked for
    pngs = [n for n in names if n.endswith(".png")]
    assert {"deck_index_spbe.png", "deck_index_ipp.png", "deck_index_ikm.png",
            "deck_difference_1.png", "deck_gains_1.png"} <= set(pngs)
    assert all((tmp_path / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for n in pngs)
    csv = pd.read_csv(tmp_path / "deck_comparison.csv")
    xlsx = pd.read_excel(tmp_path / "deck_comparison.xlsx")
    # scenarios x years x SPBE, IPP, IKM, and Pemdi in the years it is scored (2026, 2027)
    assert len(csv) == len(xlsx) == 3 * 10 * 3 + 3 * 2
    pemdi = csv[csv["index"] == "pemdi"]
    assert sorted(set(pemdi["year"])) == [2026, 2027] and pemdi["mean"].notna().all()
    assert set(csv["scenario"]) == {"jember", "jember_recruitment_2025", "kediri"}
    with pytest.raises(SystemExit) as exc:
        cli.main(["report", str(results), "--out", str(out), "--formats", "png,pdf"])
    assert exc.value.code == 2 and "'pdf' is not a format" in capsys.readouterr().err


def test_pemdi_is_reported_when_a_run_declares_and_carries_it(results, monkeypatch):
    from model import outputs
    from model.report import build_report
    annual, metadata = load_results(results)
    annual = annual.assign(pemdi=(annual["spbe"] + 0.3).where(annual["year"] >= 2026))
    assert "pemdi" in outputs.OUTPUTS_BY_NAME
    text = _text(build_report(annual, metadata, "id"))
    assert tr("id", "index.pemdi") in text and tr("id", "method.pemdi_2026.text") in text
    assert re.search(r"Pemdi bergerak dari [0-9,]+ pada 2026", text)


def test_a_posterior_run_says_its_bands_carry_parameter_draws(tmp_path):
    """A report of ``run --posterior K`` must not say the bands leave out parameter
    uncertainty; a point run must."""
    out = tmp_path / "post"
    code = cli.main(["run", str(SCENARIOS / "kediri.toml"), "--posterior", "2",
                     "--replications", "1", "--population", "500", "--years", "2018:2020",
                     "--workers", "1", "--out", str(out), "--quiet"])
    assert code == 0
    page = tmp_path / "report.html"
    assert cli.main(["report", str(out), "--lang", "en", "--out", str(page)]) == 0
    text = _text(page.read_text(encoding="utf-8"))
    assert "2 parameter vectors drawn from the calibration's posterior" in text
    assert "They do not include the uncertainty" not in text


def test_a_posterior_run_counts_its_runs_as_draws_times_seeds(results):
    """Two parameter draws x three seeds are six runs per scenario, not "3 replications"."""
    annual, metadata = load_results(results)
    annual = pd.concat([annual.assign(draw=0), annual.assign(draw=1, spbe=annual["spbe"] + 0.1)],
                       ignore_index=True)
    for lang, says, not_says in (
            ("en", ["Each was simulated 6 times from 2018 to 2027",
                    "2 parameter draws from the calibration's posterior, each with 3 random seed"],
             "simulated 3 times (replications)"),
            ("id", ["Setiap skenario disimulasikan 6 kali dari 2018 sampai 2027",
                    "2 tarikan parameter dari posterior kalibrasi, masing-masing dengan 3 benih"],
             "disimulasikan 3 kali (replikasi)")):
        text = _text(build_report(annual, metadata, lang))
        assert all(s in text for s in says) and not_says not in text
    point = _text(build_report(*load_results(results), "en"))
    assert "Each was simulated 3 times (replications)" in point


def test_a_point_run_says_its_bands_are_chance_only(pages):
    assert "They do not include the uncertainty" in _text(pages["en"])
