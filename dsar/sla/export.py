"""The period's figures as CSV: one row per controller and per right, and a total.

Written with the csv module (quoting right for commas, quotes and newlines in names),
and guarded against formula injection: a spreadsheet runs a cell that starts with
= + - @ (or a tab or CR) as a formula, so such a cell is prefixed with a quote.
"""
from __future__ import annotations

import csv
import io

COLUMNS = ("scope", "id", "name", "from", "to", "received", "answered", "rejected",
           "statutory_met", "statutory_total", "statutory_met_pct",
           "processor_sla_met", "processor_sla_total", "processor_sla_met_pct", "median_days_to_answer")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """`value` as a CSV cell a spreadsheet will not run: text starting like a formula
    gets a leading apostrophe. Numbers are written as numbers (a negative one is data)."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def period_csv(figures: dict) -> str:
    """CSV text of `period_figures(...)`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    span = {"from": figures["from"], "to": figures["to"]}
    rows = [{"scope": "controller", "id": r["controller"], **r} for r in figures["by_controller"]]
    rows += [{"scope": "right", "id": r["right"], "name": r["article"], **r} for r in figures["by_right"]]
    rows.append({"scope": "total", "id": "", "name": "", **figures["total"]})
    for row in rows:
        row = {**row, **span}
        writer.writerow([safe_cell(row.get(column)) for column in COLUMNS])
    return out.getvalue()
