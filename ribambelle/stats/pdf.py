"""The elected officials' summary as a one-page PDF in the organisation's colours (reportlab):
its key figures, then each chart drawn with reportlab's graphics — bars with a legend, and the
figures written under the chart, so colour is never the only way to read it."""

import io

from django.conf import settings as django_settings
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ribambelle.core.pdf import pdf_paragraph, pdf_plain, pdf_text

from .charts import PALETTE, Chart, with_unit
from .svg import nice_max

_STYLES = getSampleStyleSheet()
BODY = _STYLES["BodyText"].clone("stats-body", fontSize=8.5, leading=10.5)
SMALL = _STYLES["BodyText"].clone("stats-small", fontSize=7, leading=8.5)
HEADING = _STYLES["Heading3"].clone("stats-heading", fontSize=10, leading=12, spaceBefore=2, spaceAfter=1)


def _colour(organisation):
    try:
        return colors.HexColor(organisation.primary_colour)
    except (ValueError, TypeError, AttributeError):
        return colors.HexColor("#1d4e89")


def _header(organisation, title: str, subtitle: str, colour) -> list:
    left = [pdf_paragraph(organisation.name, BODY, bold=True)]
    if getattr(organisation, "postal_address", ""):
        left.append(pdf_paragraph(organisation.postal_address, SMALL))
    logo = ""
    if organisation.logo:
        try:
            logo = Image(organisation.logo.open("rb"), width=18 * mm, height=18 * mm, kind="proportional")
        except (OSError, ValueError):
            logo = ""
    table = Table([[logo, left]], colWidths=[22 * mm, 160 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    title_style = _STYLES["Title"].clone("stats-title", fontSize=15, leading=18, spaceAfter=2)
    return [
        table,
        Paragraph(f'<font color="#{colour.hexval()[2:]}">{pdf_text(title)}</font>', title_style),
        pdf_paragraph(subtitle, BODY),
        Spacer(1, 2 * mm),
    ]


def chart_drawing(chart: Chart, *, width: float = 85 * mm, height: float = 42 * mm) -> Drawing:
    """A bar or stacked-bar chart with its axis and legend (series named next to their colour)."""
    drawing = Drawing(width, height)
    legend_height = 9 * ((len(chart.series) + 1) // 2)
    left, bottom, top = 30, 14, height - legend_height - 4
    n = max(len(chart.categories), 1)
    if chart.kind == "stacked":
        peak = max(
            (sum(float(s.values[i] or 0) for s in chart.series) for i in range(len(chart.categories))), default=0
        )
    else:
        peak = max((float(v or 0) for s in chart.series for v in s.values), default=0)
    maximum = nice_max(peak)
    band = (width - left - 4) / n

    def y_of(value: float) -> float:
        return bottom + (top - bottom) * value / maximum

    for tick in range(3):
        value = maximum * tick / 2
        drawing.add(Line(left, y_of(value), width - 4, y_of(value), strokeColor=colors.HexColor("#c8c8c8")))
        text = with_unit(round(value), "" if chart.unit == "€" else chart.unit)
        drawing.add(String(left - 2, y_of(value) - 2, pdf_plain(text), fontSize=5.5, textAnchor="end"))
    for index, series in enumerate(chart.series):
        fill = colors.HexColor(PALETTE[index % len(PALETTE)])
        for i, raw in enumerate(series.values):
            value = float(raw or 0)
            if chart.kind == "stacked":
                below = sum(float(s.values[i] or 0) for s in chart.series[:index])
                x, w, y0 = left + band * i + band * 0.15, band * 0.7, y_of(below)
            else:
                w = band * 0.8 / len(chart.series)
                x, y0 = left + band * i + band * 0.1 + w * index, bottom
            if value:
                drawing.add(
                    Rect(x, y0, w, y_of(value) - bottom, fillColor=fill, strokeColor=colors.black, strokeWidth=0.3)
                )
    step = max(1, -(-len(chart.categories) // 8))
    for i, label in enumerate(chart.categories):
        if i % step == 0:
            drawing.add(String(left + band * (i + 0.5), 5, pdf_plain(label[:14]), fontSize=5.5, textAnchor="middle"))
    for index, series in enumerate(chart.series):
        x = left + (index % 2) * (width - left) / 2
        y = height - 8 - 9 * (index // 2)
        drawing.add(
            Rect(
                x,
                y,
                6,
                6,
                fillColor=colors.HexColor(PALETTE[index % len(PALETTE)]),
                strokeColor=colors.black,
                strokeWidth=0.3,
            )
        )
        drawing.add(String(x + 9, y + 1, pdf_plain(series.name[:40]), fontSize=6))
    return drawing


def _block(chart: Chart):
    return [pdf_paragraph(chart.title, HEADING, bold=True), chart_drawing(chart), pdf_paragraph(chart.summary, SMALL)]


def summary_pdf(organisation, *, scope, charts: list[Chart], key_figures: list[tuple[str, str]]) -> bytes:
    """One A4 page: key figures of the period, then the charts two by two."""
    with translation.override(django_settings.LANGUAGE_CODE):
        colour = _colour(organisation)
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=12 * mm,
            rightMargin=12 * mm,
            topMargin=10 * mm,
            bottomMargin=10 * mm,
            title=_("Synthèse pour les élus"),
            author=organisation.name,
        )
        period = _("Du %(start)s au %(end)s") % {
            "start": scope.start.strftime("%d/%m/%Y"),
            "end": scope.end.strftime("%d/%m/%Y"),
        }
        story = _header(organisation, _("Synthèse pour les élus"), period, colour)
        cells = [
            [pdf_paragraph(value, HEADING, bold=True), pdf_paragraph(label, SMALL)] for label, value in key_figures
        ]
        rows = [sum(cells[i : i + 4], []) for i in range(0, len(cells), 4)]
        for row in rows:
            row.extend([""] * (8 - len(row)))
        figures_table = Table(rows, colWidths=[20 * mm, 26 * mm] * 4)
        figures_table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.5, colour),
                ]
            )
        )
        story += [figures_table, Spacer(1, 3 * mm)]
        blocks = [_block(chart) for chart in charts]
        grid = [blocks[i : i + 2] + [""] * (2 - len(blocks[i : i + 2])) for i in range(0, len(blocks), 2)]
        layout = Table(grid, colWidths=[93 * mm, 93 * mm])
        layout.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(layout)
        story.append(Spacer(1, 2 * mm))
        story.append(
            pdf_paragraph(
                _(
                    "Les tableaux de chaque graphique sont consultables et téléchargeables dans l'espace gestion, "
                    "rubrique Statistiques."
                ),
                SMALL,
            )
        )
        doc.build(story)
        return buffer.getvalue()
