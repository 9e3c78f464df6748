"""Labels and help texts in Bahasa Indonesia and English, read from ``model/i18n/<lang>.toml``,
and numbers written the way each language writes them.

Each file is a TOML document of tables of strings; a key is ``table.name`` (``"ui.run"``).
Texts may hold ``{placeholders}`` filled by :func:`tr`. Both files must have the same keys
(a test checks it), so switching the language never falls back silently.
"""

from __future__ import annotations

import math
import tomllib
from functools import cache
from importlib import resources
from typing import Any

LANGS = ("id", "en")
"""Supported languages; Bahasa Indonesia first (the default of the app)."""


@cache
def texts(lang: str) -> dict[str, str]:
    """All texts of ``lang`` as a flat ``{"table.key": text}`` mapping."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    raw = resources.files("model").joinpath("i18n", f"{lang}.toml").read_text(encoding="utf-8")
    return dict(_flatten(tomllib.loads(raw)))


def _flatten(table: dict[str, Any], prefix: str = ""):
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, name + ".")
        else:
            yield name, str(value)


def tr(lang: str, key: str, **values: Any) -> str:
    """The text ``key`` in ``lang`` with ``{placeholders}`` filled; a missing key is a KeyError."""
    text = texts(lang)[key]
    return text.format(**values) if values else text


def num(x: float, lang: str, digits: int = 2, sign: bool = False) -> str:
    """A number as written in ``lang``: ``3,45`` in Indonesian, ``3.45`` in English."""
    if x is None or math.isnan(x):
        return "–"
    if round(x, digits) == 0:
        x = 0.0  # no "-0.00"
    s = f"{x:+,.{digits}f}" if sign else f"{x:,.{digits}f}"
    if lang == "id":
        s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return s.replace("-", "−")


INTERVAL_EXTRA_DIGITS = 2
"""Decimals an interval may add to its usual precision so that its two ends print apart."""


def interval_digits(lo: float, hi: float, digits: int) -> int:
    """Decimals to print the interval ``[lo, hi]`` with: ``digits``, or up to
    :data:`INTERVAL_EXTRA_DIGITS` more when its ends would print alike although they differ
    (not "between -0.07 and -0.07"); ``digits`` when they print alike even then (one value).
    """
    for d in range(digits, digits + INTERVAL_EXTRA_DIGITS + 1):
        if round(lo, d) != round(hi, d):
            return d
    return digits


def same_printed(lo: float, hi: float, digits: int) -> bool:
    """True when ``lo`` and ``hi`` print alike even with :func:`interval_digits`' extra decimals:
    the interval is one value.
    """
    return round(lo, digits + INTERVAL_EXTRA_DIGITS) == round(hi, digits + INTERVAL_EXTRA_DIGITS)


def pct(x: float, lang: str, digits: int = 0, sign: bool = False) -> str:
    """A share (0-1) as a percentage in ``lang`` (``45%``); with ``sign``, percentage points."""
    return num(100.0 * x, lang, digits, sign) + ("" if sign else "%")


MONEY_SCALES = {"id": ((1e12, "T"), (1e9, "M"), (1e6, "jt")),
                "en": ((1e12, "tn"), (1e9, "bn"), (1e6, "m"))}
"""Rupiah abbreviated by size: triliun (T), miliar (M), juta (jt) in Indonesian; trillion,
billion, million in English. Below a million the full amount is written."""


def money(x: float, lang: str, sign: bool = False) -> str:
    """Rupiah as written in ``lang``: ``Rp70,9 M`` (70.9 billion) in Indonesian, ``Rp70.9 bn``
    in English, with the language's thousands separator (``Rp1.234,5 M``); ``sign`` puts a
    plus or minus in front (``+Rp1,2 M``).
    """
    if x is None or math.isnan(x):
        return "–"
    for size, unit in MONEY_SCALES[lang]:
        if abs(x) >= size:
            text = f"Rp{num(abs(x) / size, lang, 1)} {unit}"
            break
    else:
        text = f"Rp{num(abs(x), lang, 0)}"
    if sign:
        return ("+" if x >= 0 else "−") + text
    return ("−" if x < 0 else "") + text
