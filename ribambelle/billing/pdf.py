"""Invoice, credit note and receipt PDFs with reportlab (no system dependency).

An issued invoice never changes, so its PDF is rendered from the rows on demand and is
the same every time; nothing to store or keep in sync."""

import io
from functools import wraps
from itertools import groupby

from django.conf import settings as django_settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ribambelle.core.dates import long_date
from ribambelle.core.pdf import pdf_bold, pdf_euros, pdf_paragraph, pdf_text

_STYLES = getSampleStyleSheet()
SMALL = _STYLES["BodyText"].clone("small", fontSize=8.5, leading=10.5)
BODY = _STYLES["BodyText"].clone("body", fontSize=9.5, leading=12)


def _p(text: str, style=BODY) -> Paragraph:
    return pdf_paragraph(text, style)


def _header(organisation, title: str, colour) -> list:
    story = []
    left = [pdf_paragraph(organisation.name, BODY, bold=True)]
    if organisation.postal_address:
        left.append(_p(organisation.postal_address, SMALL))
    contact = " · ".join(x for x in (organisation.phone, organisation.contact_email) if x)
    if contact:
        left.append(_p(contact, SMALL))
    logo = ""
    if organisation.logo:
        try:
            logo = Image(organisation.logo.open("rb"), width=28 * mm, height=28 * mm, kind="proportional")
        except (OSError, ValueError):
            logo = ""
    table = Table([[logo, left]], colWidths=[32 * mm, 150 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(table)
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(f'<font color="#{colour.hexval()[2:]}">{pdf_text(title)}</font>', _STYLES["Title"]))
    return story


def _colour(organisation):
    try:
        return colors.HexColor(organisation.primary_colour)
    except (ValueError, TypeError):
        return colors.HexColor("#1d4e89")


def in_french(render):
    """Invoices and receipts are official documents of a French authority: always in French,
    whatever language the family reads the portal in."""

    @wraps(render)
    def wrapped(*args, **kwargs):
        with translation.override(django_settings.LANGUAGE_CODE):
            return render(*args, **kwargs)

    return wrapped


@in_french
def invoice_pdf(invoice, *, lines, settings) -> bytes:
    organisation = invoice.organisation
    colour = _colour(organisation)
    buffer = io.BytesIO()
    title = _("%(kind)s n° %(number)s") % {"kind": invoice.get_kind_display(), "number": invoice.number}
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title=title,
        author=organisation.name,
        lang="fr-FR",
    )
    story = _header(organisation, title, colour)
    meta = [
        [_p(_("Émise le")), _p(long_date(invoice.issue_date)), _p(_("Famille"), BODY), _p(invoice.family_name)],
        [
            _p(_("Période")),
            _p(
                _("du %(start)s au %(end)s")
                % {"start": f"{invoice.period_start:%d/%m/%Y}", "end": f"{invoice.period_end:%d/%m/%Y}"}
            ),
            "",
            _p(invoice.family_address, SMALL),
        ],
        [_p(_("Échéance")), _p(long_date(invoice.due_date)), "", ""],
    ]
    if invoice.credited_invoice_id:
        cancelled = _("Facture %(number)s – %(reason)s") % {
            "number": invoice.credited_invoice.number,
            "reason": invoice.reason,
        }
        meta.append([_p(_("Annule")), _p(cancelled), "", ""])
    story.append(Table(meta, colWidths=[24 * mm, 70 * mm, 20 * mm, 68 * mm]))
    story.append(Spacer(1, 5 * mm))
    data = [[_("Enfant / activité"), _("Jour"), _("Détail"), _("Prix"), _("Réduction"), _("Montant")]]
    for (child, activity), group in groupby(lines, key=lambda line: (line.child_name, line.activity_name)):
        data.append([Paragraph(f"{pdf_bold(child)} – {pdf_text(activity)}", SMALL), "", "", "", "", ""])
        for line in group:
            data.append(
                [
                    _p(line.label, SMALL),
                    line.date.strftime("%d/%m/%Y") if line.date else "",
                    _p(line.note, SMALL),
                    pdf_euros(line.unit_price),
                    pdf_euros(line.reduction) if line.reduction else "",
                    pdf_euros(line.amount),
                ]
            )
    data.append(
        [
            "",
            "",
            "",
            "",
            pdf_paragraph(_("Total"), BODY, bold=True),
            pdf_paragraph(pdf_euros(invoice.total), BODY, bold=True),
        ]
    )
    table = Table(data, repeatRows=1, colWidths=[52 * mm, 20 * mm, 48 * mm, 20 * mm, 20 * mm, 22 * mm])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colour),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.grey),
                ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 5 * mm))
    if invoice.amount_paid:
        story.append(
            _p(
                _("Déjà réglé : %(paid)s – reste dû : %(balance)s")
                % {"paid": pdf_euros(invoice.amount_paid), "balance": pdf_euros(invoice.balance)}
            )
        )
    if settings.payment_instructions:
        story.append(_p(settings.payment_instructions))
    mentions = settings.legal_mentions or organisation.legal_notice
    if mentions:
        story.append(Spacer(1, 3 * mm))
        story.append(_p(mentions, SMALL))
    doc.build(story)
    return buffer.getvalue()


def invoice_enclosure(invoice_id: int, organisation_id: int):
    """The invoice's PDF joined to the "invoice issued" e-mail (built by the mail worker)."""
    from ribambelle.outbox.enclosures import Enclosure

    from .models import Invoice
    from .services import settings_for

    invoice = Invoice.objects.select_related("organisation", "family").get(
        pk=invoice_id, organisation_id=organisation_id
    )
    pdf = invoice_pdf(invoice, lines=list(invoice.lines.all()), settings=settings_for(invoice.organisation))
    return Enclosure(f"facture-{invoice.number}.pdf", pdf, "application/pdf")


def receipt_enclosure(payment_id: int, organisation_id: int):
    """The receipt's PDF joined to the "payment received" e-mail (built by the mail worker)."""
    from ribambelle.outbox.enclosures import Enclosure

    from .models import Payment

    payment = Payment.objects.select_related("organisation", "family").get(
        pk=payment_id, organisation_id=organisation_id
    )
    return Enclosure(f"recu-{payment.receipt_number}.pdf", receipt_pdf(payment), "application/pdf")


@in_french
def receipt_pdf(payment) -> bytes:
    organisation = payment.organisation
    buffer = io.BytesIO()
    title = _("Reçu de paiement n° %(number)s") % {"number": payment.receipt_number}
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=12 * mm,
        title=title,
        author=organisation.name,
        lang="fr-FR",
    )
    story = _header(organisation, title, _colour(organisation))
    if payment.voided_at is not None:
        # A cancelled receipt stays readable, and says it is void (never reused, never valid).
        story.append(
            _p(
                _("REÇU ANNULÉ le %(date)s : %(reason)s")
                % {"date": long_date(timezone.localdate(payment.voided_at)), "reason": payment.void_reason}
            )
        )
    story.append(_p(_("Famille : %(name)s") % {"name": payment.family.name}))
    values = {
        "date": long_date(payment.received_on),
        "amount": pdf_euros(payment.amount),
        "method": payment.get_method_display(),
        "reference": payment.reference,
    }
    if payment.reference:
        received = _("Reçu le %(date)s : %(amount)s (%(method)s – %(reference)s)") % values
    else:
        received = _("Reçu le %(date)s : %(amount)s (%(method)s)") % values
    story.append(_p(received))
    rows = [[_("Facture"), _("Montant affecté")]]
    rows += [[a.invoice.number, pdf_euros(a.amount)] for a in payment.allocations.all()]
    story.append(Spacer(1, 4 * mm))
    story.append(Table(rows, colWidths=[60 * mm, 40 * mm], style=[("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.grey)]))
    doc.build(story)
    return buffer.getvalue()
