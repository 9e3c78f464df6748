"""``advice.md`` in Indonesian or English, and the figure of the trade-offs, from an
:class:`~model.advise.Advice`.

Text from files (scenario and region names) is data: it is shown as inline code with any
backtick or line break removed, so it cannot change the page's structure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from model.advise import Advice, Metric, grade_labels, objective_metric
from model.io import atomic_write
from model.scenario import COMPONENTS

LANGUAGES = ("id", "en")
DIGITS = 2
"""Decimals of the means and bad-case values in the text. A difference is printed as the
difference of the two printed values, so a reader's subtraction gives it."""

COMPONENT_LABELS = {
    "id": {"apps": "pengembangan aplikasi", "competency": "pengembangan kompetensi ASN",
           "connectivity": "konektivitas", "regulation": "regulasi",
           "interface": "antarmuka layanan warga"},
    "en": {"apps": "application development", "competency": "competency development (ASN)",
           "connectivity": "connectivity", "regulation": "regulation",
           "interface": "citizen interface"},
}
METRIC_LABELS = {
    "id": {"ipp": "IPP", "spbe": "indeks SPBE", "pemdi": "indeks Pemdi", "ikm": "IKM",
           "online_gap": "kesenjangan layanan daring (selisih kuintil akses 5 dan 1)",
           "satisfaction_gap": "kesenjangan kepuasan kota dan desa"},
    "en": {"ipp": "IPP", "spbe": "SPBE index", "pemdi": "Pemdi index", "ikm": "IKM",
           "online_gap": "online gap (access quintiles 5 and 1, either way)",
           "satisfaction_gap": "urban-rural satisfaction gap"},
}

AXIS_LABELS = {
    "id": {**METRIC_LABELS["id"], "online_gap": "kesenjangan daring (kuintil 5 dan 1)",
           "satisfaction_gap": "kesenjangan kepuasan kota - desa"},
    "en": {**METRIC_LABELS["en"], "online_gap": "online gap (quintiles 5 and 1)",
           "satisfaction_gap": "urban - rural satisfaction gap"},
}
"""Shorter labels for the figure's axes."""


@dataclass(frozen=True)
class Context:
    """What the advice was asked about, for the text."""

    scenario: str
    region: str
    year: int
    from_year: int
    worlds: int
    draws: int | None
    """Posterior draws per candidate, or None when no posterior was found (the point)."""
    replications: int
    hypothesis: str | None = None
    population: int | None = None
    """Simulated citizens per run, or None when not stated."""


T = {
    "id": {
        "title": "# Saran pembagian anggaran digitalisasi: {region}, tahun {year}",
        "intro": "Skenario {scenario}. Pembagian baru berlaku mulai {from_year}; hasilnya "
                 "dibaca pada tahun {year}.",
        "goal_up": "Tujuan: menaikkan {goal}.",
        "goal_down": "Tujuan: memperkecil {goal}.",
        "target": "Sasaran: {target} atau lebih baik pada tahun {year}.",
        "target_top": "Sasaran: {target} pada tahun {year}.",
        "posterior": "Setiap pembagian diuji dalam {worlds} dunia yang sama: {draws} sampel "
                     "parameter dari hasil kalibrasi (`model/posterior.parquet`{hyp}), "
                     "masing-masing dengan {reps} ulangan acak, sehingga keyakinan di bawah "
                     "memuat ketidakpastian parameter dan keacakan.",
        "hyp": ", hanya hipotesis {name}",
        "point": "Berkas hasil kalibrasi `model/posterior.parquet` tidak ada, jadi saran "
                 "dihitung pada titik kalibrasi (`model/calibrated.toml`): ketidakpastian hanya "
                 "berasal dari keacakan simulasi ({worlds} ulangan), bukan dari parameter yang "
                 "belum diketahui pasti. Keyakinan di bawah karena itu terlalu tinggi.",
        "population": "Setiap simulasi memuat {pop} warga tiruan.",
        "search": "Pencarian dengan `NSGA-II` (pustaka `pymoo`): {n} pembagian dinilai, {f} di "
                  "antaranya berada di batas Pareto (tidak ada pembagian lain yang lebih baik "
                  "pada semua ukuran sekaligus, menurut nilai yang aman: persentil ke-10 untuk "
                  "indeks, persentil ke-90 untuk kesenjangan).",
        "h_split": "## Pembagian yang disarankan",
        "split_head": "| komponen | sekarang | disarankan |",
        "h_trade": "## Apa yang diperoleh dan apa yang dikorbankan",
        "trade_intro": "Rata-rata pada tahun {year}, dibanding pembagian yang berlaku sekarang:",
        "trade_head": "| ukuran | sekarang | disarankan | selisih |",
        "gives_up": "Yang dikorbankan: {items}.",
        "gives_nothing": "Tidak ada ukuran yang memburuk dibanding pembagian sekarang.",
        "best_other": "Pembagian terbaik untuk {label} memberi {best}; yang disarankan memberi "
                      "{rec}.",
        "h_sure": "## Seberapa yakin",
        "p_target": "Peluang mencapai {target}: {p_rec} dengan pembagian yang disarankan, "
                    "{p_sq} dengan pembagian sekarang.",
        "p_better": "Dibanding pembagian sekarang di dunia yang sama (berpasangan), pembagian "
                    "yang disarankan memberi {goal} yang lebih baik dalam {p}.",
        "of_worlds": "{p} ({k} dari {n} dunia)",
        "robust_up": "{goal} pada persentil ke-10 (kasus buruk): {rec} (sekarang {sq}).",
        "robust_down": "{goal} pada persentil ke-90 (kasus buruk): {rec} (sekarang {sq}).",
        "regret": "Penyesalan rata-rata {r} (selisih dari pembagian terbaik di tiap dunia), "
                  "terbesar {rmax}.",
        "same": "Pembagian yang disarankan sama dengan pembagian sekarang: tidak ada pembagian "
                "lain yang lebih aman untuk tujuan ini.",
        "files": "Semua pembagian yang dinilai ada di `advice.csv`, batas Pareto di "
                 "`pareto.csv`, gambarnya di `tradeoffs.png`.",
        "axis_goal": "{goal} (rata-rata)",
        "legend_all": "pembagian yang dinilai", "legend_front": "batas Pareto",
        "legend_sq": "sekarang", "legend_rec": "disarankan",
    },
    "en": {
        "title": "# Budget split advice: {region}, {year}",
        "intro": "Scenario {scenario}. The new split is in force from {from_year}; its result "
                 "is read in {year}.",
        "goal_up": "Objective: raise the {goal}.",
        "goal_down": "Objective: reduce the {goal}.",
        "target": "Target: {target} or better in {year}.",
        "target_top": "Target: {target} in {year}.",
        "posterior": "Every split meets the same {worlds} worlds: {draws} parameter draws from "
                     "the calibration's posterior (`model/posterior.parquet`{hyp}), each with "
                     "{reps} seed(s), so the confidence below carries parameter uncertainty "
                     "and luck.",
        "hyp": ", hypothesis {name} only",
        "point": "No posterior (`model/posterior.parquet`) was found, so the advice is computed "
                 "at the calibrated point (`model/calibrated.toml`): the uncertainty is only "
                 "seeds ({worlds} replications), not the parameters the data leave open. The "
                 "confidence below is therefore too high.",
        "population": "Each run simulates {pop} citizens.",
        "search": "Searched with `NSGA-II` (the `pymoo` library): {n} splits evaluated, {f} on "
                  "the Pareto front (no other split is better on every measure at once, by the "
                  "safe value: the 10th percentile of an index, the 90th of a gap).",
        "h_split": "## The recommended split",
        "split_head": "| component | now | recommended |",
        "h_trade": "## What it gains and what it gives up",
        "trade_intro": "Means in {year}, against the split in force now:",
        "trade_head": "| measure | now | recommended | difference |",
        "gives_up": "It gives up: {items}.",
        "gives_nothing": "No measure is worse than under the current split.",
        "best_other": "The best split for the {label} gives {best}; the recommended one {rec}.",
        "h_sure": "## How sure",
        "p_target": "Probability of reaching {target}: {p_rec} with the recommended split, "
                    "{p_sq} with the current one.",
        "p_better": "Against the current split in the same worlds (paired), the recommended "
                    "split gives a better {goal} in {p}.",
        "of_worlds": "{p} ({k} of {n} worlds)",
        "robust_up": "{goal} at the 10th percentile (a bad case): {rec} (now {sq}).",
        "robust_down": "{goal} at the 90th percentile (a bad case): {rec} (now {sq}).",
        "regret": "Mean regret {r} (shortfall from the best split in each world), largest "
                  "{rmax}.",
        "same": "The recommended split is the current one: no other split is safer for this "
                "objective.",
        "files": "Every evaluated split is in `advice.csv`, the Pareto front in `pareto.csv`, "
                 "the figure in `tradeoffs.png`.",
        "axis_goal": "{goal} (mean)",
        "legend_all": "evaluated splits", "legend_front": "Pareto front",
        "legend_sq": "now", "legend_rec": "recommended",
    },
}


def code(text: str) -> str:
    """File text as inline code that cannot break out of it."""
    clean = " ".join(str(text).replace("`", "'").split())
    return f"`{clean}`"


def _num(value: float, lang: str, digits: int = DIGITS) -> str:
    if round(value, digits) == 0:
        value = 0.0  # no "-0.00"
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "id" else text


def _signed(value: float, lang: str) -> str:
    return ("+" if round(value, DIGITS) > 0 else "") + _num(value, lang)


def _shown(value: float) -> float:
    """``value`` as the text prints it (:data:`DIGITS` decimals)."""
    return round(float(value), DIGITS)


def _pct(value: float, lang: str) -> str:
    return f"{100 * value:.0f}%"


def _of_worlds(p: float, worlds: int, lang: str) -> str:
    """A probability over ``worlds`` with the count it rests on: ``50% (2 of 4 worlds)``."""
    return T[lang]["of_worlds"].format(p=_pct(p, lang), k=round(p * worlds), n=worlds)


def _count(n: int, lang: str) -> str:
    """A whole number with the language's thousands separator (``2.000``, ``2,000``)."""
    text = f"{n:,}"
    return text.replace(",", ".") if lang == "id" else text


def whole_percentages(shares: Sequence[float]) -> list[int]:
    """A split as whole percentages that add to 100 (largest remainder): each share's
    percentage rounded down, then one point more to the largest remainders, a tie going to
    the earlier share.
    """
    exact = [100.0 * s / math.fsum(shares) for s in shares]
    out = [math.floor(e) for e in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: out[i] - exact[i])
    for i in by_remainder[:100 - sum(out)]:
        out[i] += 1
    return out


def advice_markdown(advice: Advice, ctx: Context, lang: str = "id") -> str:
    """The advice in plain sentences (Indonesian by default)."""
    t = T[lang]
    labels = METRIC_LABELS[lang]
    goal = objective_metric(advice.objective, advice.metrics)
    rec, sq = advice.recommended, advice.status_quo
    names = [m.name for m in advice.metrics]
    j = names.index(goal.name)
    v = advice.values
    fmt = {"region": code(ctx.region), "scenario": code(ctx.scenario), "year": ctx.year,
           "from_year": ctx.from_year, "goal": labels[goal.name]}
    lines = [t["title"].format(**fmt), "", t["intro"].format(**fmt), "",
             t["goal_up" if goal.higher_is_better else "goal_down"].format(**fmt)]
    if advice.target is not None:
        top = advice.target == grade_labels(advice.objective)[0]
        lines.append(t["target_top" if top else "target"].format(target=code(advice.target),
                                                                 **fmt))
    lines.append("")
    if ctx.draws is None:
        basis = t["point"].format(worlds=ctx.worlds)
    else:
        hyp = t["hyp"].format(name=code(ctx.hypothesis)) if ctx.hypothesis else ""
        basis = t["posterior"].format(worlds=ctx.worlds, draws=ctx.draws,
                                      reps=ctx.replications, hyp=hyp)
    if ctx.population is not None:
        basis += " " + t["population"].format(pop=_count(ctx.population, lang))
    lines += [basis, "", t["search"].format(n=len(advice.table), f=len(advice.pareto)), "",
              t["h_split"], "", t["split_head"], "| --- | --- | --- |"]
    now, new = ([row[f"share_{c}"] for c in COMPONENTS] for row in (sq, rec))
    for c, a, b in zip(COMPONENTS, whole_percentages(now), whole_percentages(new), strict=True):
        lines.append(f"| {COMPONENT_LABELS[lang][c]} | {a}% | {b}% |")
    lines += ["", t["h_trade"], "", t["trade_intro"].format(**fmt), "", t["trade_head"],
              "| --- | --- | --- | --- |"]
    worse = []
    for m in advice.metrics:
        a, b = _shown(sq[f"{m.name}_mean"]), _shown(rec[f"{m.name}_mean"])
        lines.append(f"| {labels[m.name]} | {_num(a, lang)} | {_num(b, lang)} | "
                     f"{_signed(b - a, lang)} |")
        if (b - a) * (1 if m.higher_is_better else -1) < 0:
            worse.append(labels[m.name])
    lines.append("")
    lines.append(t["gives_up"].format(items=", ".join(worse)) if worse else t["gives_nothing"])
    for m in advice.metrics:
        if m.name == goal.name:
            continue
        best = _best_mean(advice, m)
        if _shown(best) != _shown(rec[f"{m.name}_mean"]):
            lines.append(t["best_other"].format(label=labels[m.name], best=_num(best, lang),
                                                rec=_num(rec[f"{m.name}_mean"], lang)))
    lines += ["", t["h_sure"], ""]
    if bool(rec["status_quo"]):
        lines.append("- " + t["same"])
    worlds = v.shape[1]
    if advice.target is not None:
        lines.append("- " + t["p_target"].format(
            target=code(advice.target), p_rec=_of_worlds(rec["p_target"], worlds, lang),
            p_sq=_of_worlds(sq["p_target"], worlds, lang)))
    sign = 1.0 if goal.higher_is_better else -1.0
    better = float(np.mean(sign * (v[int(rec["candidate"]), :, j] - v[0, :, j]) > 0))
    lines.append("- " + t["p_better"].format(p=_of_worlds(better, worlds, lang),
                                             goal=labels[goal.name]))
    key = "robust_up" if goal.higher_is_better else "robust_down"
    lines.append("- " + t[key].format(goal=labels[goal.name],
                                      rec=_num(rec[f"{goal.name}_{goal.robust}"], lang),
                                      sq=_num(sq[f"{goal.name}_{goal.robust}"], lang)))
    lines.append("- " + t["regret"].format(r=_num(rec[f"{goal.name}_regret_mean"], lang, 3),
                                           rmax=_num(rec[f"{goal.name}_regret_max"], lang, 3)))
    lines += ["", t["files"], ""]
    return "\n".join(lines)


def _best_mean(advice: Advice, m: Metric) -> float:
    col = advice.table[f"{m.name}_mean"]
    return float(col.max() if m.higher_is_better else col.min())


def tradeoff_figure(advice: Advice, path: str | Path, lang: str = "id") -> None:
    """The objective's mean against each other metric's: every candidate, the front, the
    current and the recommended split.
    """
    t = T[lang]
    labels = AXIS_LABELS[lang]
    goal = objective_metric(advice.objective, advice.metrics)
    others = [m for m in advice.metrics if m.name != goal.name]
    fig = Figure(figsize=(4.2 * len(others), 4), dpi=100)
    axes = fig.subplots(1, len(others), squeeze=False)
    tab = advice.table
    x = f"{goal.name}_mean"
    for ax, m in zip(axes[0], others, strict=True):
        y = f"{m.name}_mean"
        ax.scatter(tab[x], tab[y], s=10, color="0.75", label=t["legend_all"])
        front = advice.pareto
        ax.scatter(front[x], front[y], s=18, color="C0", label=t["legend_front"])
        ax.scatter([advice.status_quo[x]], [advice.status_quo[y]], s=70, marker="s",
                   color="C1", label=t["legend_sq"])
        ax.scatter([advice.recommended[x]], [advice.recommended[y]], s=110, marker="*",
                   color="C3", label=t["legend_rec"])
        ax.set_xlabel(t["axis_goal"].format(goal=labels[goal.name]))
        ax.set_ylabel(t["axis_goal"].format(goal=labels[m.name]))
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, format="png"))
