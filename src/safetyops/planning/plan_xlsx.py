"""Write a manpower plan as an XLSX workbook: a summary sheet, then one sheet per scenario (numbers as numbers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

_NUMBER_FORMATS = {"hires": "0", "working_days": "0"}


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "scenario"
    candidate, n = clean, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = clean[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _write(ws: Any, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws.append(list(columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([row.get(c) for c in columns])
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(10, min(28, len(col) + 2))
        for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, float):
                cell.number_format = _NUMBER_FORMATS.get(col, "0.00")
    ws.freeze_panes = "A2"


def plan_workbook(
    rows: Sequence[dict[str, Any]],
    summary: Sequence[dict[str, Any]],
    service_level: str,
    notes: Sequence[str] = (),
) -> bytes:
    """The workbook as bytes: 'summary' (totals per scenario and period, then notes) and one sheet per scenario."""
    from openpyxl import Workbook  # on first use: server workers that never export a plan need not carry it

    wb = Workbook()
    ws = wb.active
    ws.title = "summary"
    columns = list(summary[0]) if summary else ["scenario", "period_start", "period_end"]
    _write(ws, summary, columns)
    ws.append([])
    ws.append(["service level", service_level])
    for note in notes:
        ws.append(["note", note])
    used = {"summary"}
    row_columns = list(rows[0]) if rows else []
    for scenario in dict.fromkeys(r["scenario"] for r in rows):
        sheet = wb.create_sheet(_sheet_name(scenario, used))
        _write(sheet, [r for r in rows if r["scenario"] == scenario], row_columns)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_plan_xlsx(
    path: Path,
    rows: Sequence[dict[str, Any]],
    summary: Sequence[dict[str, Any]],
    service_level: str,
    notes: Sequence[str] = (),
) -> None:
    path.write_bytes(plan_workbook(rows, summary, service_level, notes))
