"""Files to hand on: the comparison table as CSV and XLSX, the paired differences, figures as PNG.

Each returns bytes or writes atomically through :mod:`model.io`, so the app (downloads) and the
command line (files) give the same content.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from model.io import atomic_write
from model.present.numbers import comparison_table, indices_in, paired_differences

FORMATS = ("html", "png", "csv", "xlsx")
"""What ``egovsim report --formats`` can write: the page, its figures, the comparison table."""
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def comparison_csv(annual: pd.DataFrame) -> bytes:
    """The comparison table (:func:`model.present.numbers.comparison_table`) as UTF-8 CSV."""
    return comparison_table(annual).to_csv(index=False, float_format="%.6g").encode("utf-8")


def comparison_xlsx(annual: pd.DataFrame) -> bytes:
    """The comparison table as an Excel workbook (one sheet, written with openpyxl)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        comparison_table(annual).to_excel(writer, sheet_name="comparison", index=False)
    return buf.getvalue()


def write_differences(annual: pd.DataFrame, path: str | Path,
                      indices: tuple[str, ...] | None = None) -> None:
    """``differences.csv``: every scenario after the first minus the first, paired by run
    (columns ``scenario, year, index, mean, lo90, hi90, p_positive``), for ``indices`` (default
    :func:`model.present.numbers.indices_in`: Pemdi too, in the years it is scored); header only
    when the table has one scenario.
    """
    table = paired_differences(annual, indices_in(annual) if indices is None else indices)
    atomic_write(path, lambda p: table.to_csv(p, index=False, float_format="%.6g"))


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    atomic_write(path, lambda p: p.write_bytes(data))
