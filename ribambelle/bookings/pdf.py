"""Printable attendance list (PDF) with reportlab: no system dependency, French characters
through the standard fonts' WinAnsi encoding."""

import io

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ribambelle.core.pdf import pdf_bold, pdf_paragraph, pdf_text


def attendance_pdf(*, title: str, organisation, rows) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author=organisation.name,
        lang="fr-FR",
    )
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8.5, leading=10)
    data = [
        [
            _("Groupe"),
            _("Enfant"),
            _("Unité"),
            _("Régime"),
            _("Allergies"),
            _("PAI"),
            _("Personnes autorisées"),
            _("Arrivée"),
            _("Départ"),
        ]
    ]
    for row in rows:
        booking, care = row["booking"], row["care"]
        data.append(
            [
                pdf_paragraph(booking.opening.group.name, small),
                Paragraph(f"{pdf_bold(booking.child.last_name)} {pdf_text(booking.child.first_name)}", small),
                pdf_paragraph(booking.opening.unit.name, small),
                pdf_paragraph(care.get("diet", ""), small),
                pdf_paragraph(care.get("allergies", ""), small),
                _("PAI") if care.get("pai") else "",
                pdf_paragraph(care.get("authorised", ""), small),
                "",
                "",
            ]
        )
    table = Table(
        data, repeatRows=1, colWidths=[28 * mm, 42 * mm, 24 * mm, 30 * mm, 38 * mm, 12 * mm, 60 * mm, 18 * mm, 18 * mm]
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f2933")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f1f3f5")]),
            ]
        )
    )
    story = [
        pdf_paragraph(organisation.name, styles["Heading3"]),
        pdf_paragraph(_("Liste de présence – %(title)s") % {"title": title}, styles["Title"]),
        pdf_paragraph(_("%(count)s réservation(s)") % {"count": len(rows)}, styles["BodyText"]),
        Spacer(1, 4 * mm),
        table,
    ]
    doc.build(story)
    return buffer.getvalue()
