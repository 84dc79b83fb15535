"""The one CSV writer every export uses: what a spreadsheet opens safely and correctly.

A cell a family typed (a child's allergies, a name, a bank reference) may start with `=`, `+`,
`-` or `@`: a spreadsheet would run it as a formula (CSV injection: `=HYPERLINK(…)` sends data
away on a click). defusedcsv prefixes such cells with `'` so they open as text; a leading tab or
carriage return, which some spreadsheets strip before reading the formula, gets the same.
Plain numbers (`-12,50`) stay numbers. UTF-8 with a BOM so Excel reads the accents; `;` because
French Excel expects it (the comma is the decimal separator).
"""

from collections.abc import Iterable

from defusedcsv import csv as defused
from django.http import HttpResponse

_HIDDEN_START = ("\t", "\r")


def _safe(cell):
    if isinstance(cell, str) and cell.startswith(_HIDDEN_START):
        return "'" + cell
    return cell


def csv_response(*, filename: str, header: list[str], rows: Iterable[Iterable]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = defused.writer(response, delimiter=";")
    writer.writerow(header)
    writer.writerows([_safe(cell) for cell in row] for row in rows)
    return response
