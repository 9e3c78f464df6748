"""Write a calibration's chosen point where ``egovsim run`` reads it.

    .venv/bin/python scripts/apply_calibration.py results/calibration/calibrated.toml

- ``model/calibrated.toml``: the ``[behaviour]`` table, with the calibration's header comment;
- ``scenarios/<region>.toml``: each ``[region.<name>]`` value replaces the line of that field
  (``shares``, ``policy.<i>.shares``, ``initial.*``, ``apps.*``), and ``[sources]`` gets an
  entry saying the value is a calibration estimate. Comments and layout are kept.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from model.calibration.report import rounded_split
from model.io import dumps_toml, toml_value, write_toml
from model.scenario import load_scenario

SOURCE = ("assumption: estimated by calibration (the default point: the closest posterior "
          "particle, each region's own quantities refined), see docs/calibration.md")
ROOT = Path(__file__).resolve().parent.parent


def fmt(v: float) -> str:
    """A number for a scenario file (4 significant digits, 6 from 10,000)."""
    return f"{v:.4g}" if abs(v) < 1e4 else f"{v:.6g}"


def value(v: Any) -> str:
    """A TOML value as it appears after ``key = `` (numbers rounded by :func:`fmt`)."""
    if isinstance(v, dict):
        v = {k: float(fmt(x)) for k, x in v.items()}
    elif isinstance(v, float):
        v = float(fmt(v))
    return toml_value(v)


def set_field(lines: list[str], table: str, field: str, value: str, nth: int = 0) -> None:
    """Replace ``field = ...`` in the ``nth`` occurrence of ``[table]`` / ``[[table]]``."""
    current, seen = None, -1
    for i, line in enumerate(lines):
        m = re.match(r"^\s*\[\[?([^\]]+)\]\]?\s*$", line)
        if m:
            current = m.group(1).strip()
            if current == table:
                seen += 1
            continue
        if current == table and seen == nth and re.match(rf"^\s*{re.escape(field)}\s*=", line):
            lines[i] = f"{field} = {value}"
            return
    raise KeyError(f"{table}.{field} not found")


def set_source(lines: list[str], key: str) -> None:
    """Add or replace the ``[sources]`` entry of ``key``."""
    text = dumps_toml({key: SOURCE}).strip()
    head = text.partition(" = ")[0]
    for i, line in enumerate(lines):
        if line.startswith(f"{head} ="):
            lines[i] = text
            return
    start = lines.index("[sources]")
    lines.insert(start + 1 + sum(1 for x in lines[start + 1:] if x.startswith('"')), text)


def apply_region(path: Path, values: dict) -> None:
    """Write one region's estimates into its scenario file (validated after)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for key, estimate in values.items():
        parts = key.split(".")
        if key == "shares":
            for c, v in rounded_split(estimate).items():
                set_field(lines, "shares", c, value(v))
                if c == "apps" or any(x.startswith(f'"shares.{c}" = "assumption: estimated')
                                      for x in lines):
                    set_source(lines, f"shares.{c}")  # the estimated ones say how
        elif parts[0] == "policy":
            set_field(lines, "policy", "shares", value(rounded_split(estimate)),
                      nth=int(parts[1]))
        else:
            set_field(lines, parts[0], parts[1], value(float(estimate)))
            set_source(lines, key)
    tmp = path.with_name(f".{path.name}.check.toml")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        load_scenario(tmp)  # validate before replacing the file
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    """Apply ``argv[0]`` (a calibration's calibrated.toml)."""
    src = Path(argv[0])
    text = src.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    header = "\n".join(line[1:].removeprefix(" ") for line in text.splitlines()
                       if line.startswith("#"))
    write_toml(ROOT / "model" / "calibrated.toml", {"behaviour": data["behaviour"]}, header)
    for region, values in data.get("region", {}).items():
        apply_region(ROOT / "scenarios" / f"{region}.toml", values)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
