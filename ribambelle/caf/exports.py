"""The CAF report as a table, and as CSV (core.exports) and XLSX (openpyxl): one list of rows
feeds the screen's figures, both files and the command, so they cannot disagree."""

import io
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from ribambelle.core.exports import csv_response

from .selectors import CafReport, ReportRow

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def header() -> list[str]:
    return [
        _("Mois"),
        _("Type d'accueil"),
        _("Répartition"),
        _("Valeur"),
        _("Heures réalisées"),
        _("Heures facturées"),
        _("Enfants distincts"),
        _("Participations des familles (€)"),
        _("Jours d'ouverture"),
    ]


def values(row: ReportRow) -> list:
    """A row's cells as typed values (Decimal, int or None for "not applicable")."""
    return [
        row.month_label,
        row.care_type_label,
        row.dimension_label,
        row.value_label,
        row.hours_attended,
        row.hours_billed,
        row.children,
        row.contributions,
        row.opening_days,
    ]


def french(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    return str(value)


def csv_rows(report: CafReport) -> list[list[str]]:
    return [[french(cell) for cell in values(row)] for row in report.rows]


def filename(report: CafReport, extension: str) -> str:
    return f"bilan-caf-{report.start:%Y%m%d}-{report.end:%Y%m%d}.{extension}"


def report_csv(report: CafReport) -> HttpResponse:
    return csv_response(filename=filename(report, "csv"), header=header(), rows=csv_rows(report))


def xlsx_bytes(report: CafReport) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Bilan CAF")[:31]
    sheet.append(header())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in report.rows:
        sheet.append(values(row))
    for column in ("E", "F", "H"):
        for cell in sheet[column][1:]:
            cell.number_format = "0.00"
    for column, width in zip("ABCDEFGHI", (18, 22, 16, 28, 16, 16, 16, 20, 16), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_xlsx(report: CafReport) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(report), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename(report, "xlsx")}"'
    return response
