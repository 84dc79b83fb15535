"""Text typed by families and staff reaches our PDFs as text, never as reportlab markup.

reportlab reads a Paragraph's text as markup: an allergy "Arachide <b>grave" made the day's
attendance list a 500, and "<img src=…/>" embedded any image the server could read. Every
field that reaches a PDF is filled here with markup; the PDF must open, show it literally and
hold no image."""

import io
import os
import tempfile
from decimal import Decimal

import pytest
from PIL import Image
from pypdf import PdfReader

from .conftest import client_for
from .factories import (
    AuthorisedPersonFactory,
    BillingSettingsFactory,
    BookingFactory,
    DietFactory,
    HealthRecordFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    PaymentAllocationFactory,
    PaymentFactory,
    PersonDietFactory,
)


@pytest.fixture
def server_image():
    """An image file the server can read: it must never end up in a PDF. A short path, so the
    marked text fits the shortest fields (100 characters)."""
    handle, path = tempfile.mkstemp(suffix=".png", dir="/tmp")
    os.close(handle)
    Image.new("RGB", (40, 40), "red").save(path)
    yield path
    os.unlink(path)


def _marked(label: str, image: str) -> str:
    return f'{label}<b>&x <img src="{image}"/>'


def _pdf(response) -> PdfReader:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))


def _squeezed_text(reader: PdfReader) -> str:
    """The PDF's text without white space: table cells wrap long values over several lines."""
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def _assert_literal(reader: PdfReader, labels: list[str], image: str) -> None:
    text = _squeezed_text(reader)
    for label in labels:
        assert "".join(_marked(label, image).split()) in text, label
    assert not any(page.images for page in reader.pages), "an image was pulled into the PDF"


def _mark_organisation(organisation, image):
    organisation.name = _marked("Orga", image)
    organisation.postal_address = _marked("Adr", image)
    organisation.phone = "05<b>&"
    organisation.legal_notice = _marked("Mentions", image)
    organisation.save()


def test_attendance_pdf_shows_family_text_literally(tenant_a, server_image):
    organisation = tenant_a.organisation
    _mark_organisation(organisation, server_image)
    booking = BookingFactory(
        organisation=organisation,
        family=tenant_a.family_user.family,
        registration__child__first_name=_marked("Prenom", server_image),
        registration__child__last_name=_marked("NOM", server_image),
        registration__child__diet_notes=_marked("Notes", server_image),
        registration__group__name=_marked("Groupe", server_image),
        registration__group__activity__name=_marked("Activite", server_image),
        opening__unit__name=_marked("Unite", server_image),
    )
    child = booking.child
    family = booking.family
    HealthRecordFactory(
        organisation=organisation, family=family, child=child, allergies=_marked("Arachide", server_image)
    )
    PersonDietFactory(
        organisation=organisation,
        person=child,
        diet=DietFactory(organisation=organisation, name=_marked("Regime", server_image)),
    )
    AuthorisedPersonFactory(
        organisation=organisation,
        family=family,
        child=child,
        first_name=_marked("Josette", server_image),
        last_name="GRAND",
        relationship=_marked("Lien", server_image),
    )
    response = client_for(tenant_a.admin).get(
        tenant_a.url(f"gestion/activites/{booking.activity_id}/presences/?date={booking.date:%Y-%m-%d}&format=pdf")
    )
    labels = ["Orga", "Groupe", "NOM", "Prenom", "Unite", "Regime", "Notes", "Arachide", "Josette", "Lien", "Activite"]
    _assert_literal(_pdf(response), labels, server_image)


def test_invoice_and_receipt_pdfs_show_text_literally(tenant_a, server_image):
    organisation = tenant_a.organisation
    _mark_organisation(organisation, server_image)
    family = tenant_a.family_user.family
    BillingSettingsFactory(
        organisation=organisation,
        payment_instructions=_marked("Payer", server_image),
        legal_mentions=_marked("Legal", server_image),
    )
    cancelled = InvoiceFactory(organisation=organisation, family=family)
    invoice = InvoiceFactory(
        organisation=organisation,
        family=family,
        kind="credit_note",
        credited_invoice=cancelled,
        reason=_marked("Motif", server_image),
        family_name=_marked("Famille", server_image),
        family_address=_marked("Rue", server_image),
    )
    InvoiceLineFactory(
        organisation=organisation,
        family=family,
        invoice=invoice,
        child_name=_marked("Enfant", server_image),
        activity_name=_marked("Sortie", server_image),
        label=_marked("Ligne", server_image),
        note=_marked("Note", server_image),
    )
    staff = client_for(tenant_a.admin)
    response = staff.get(tenant_a.url(f"gestion/facturation/factures/{invoice.pk}/pdf/"))
    labels = ["Orga", "Adr", "Famille", "Rue", "Motif", "Enfant", "Sortie", "Ligne", "Note", "Payer", "Legal"]
    _assert_literal(_pdf(response), labels, server_image)

    family.name = _marked("Famille", server_image)
    family.save()
    payment = PaymentFactory(
        organisation=organisation, family=family, reference=_marked("Cheque", server_image), amount=Decimal("20.00")
    )
    PaymentAllocationFactory(organisation=organisation, payment=payment, invoice=cancelled, amount=Decimal("20.00"))
    response = staff.get(tenant_a.url(f"gestion/facturation/reglements/{payment.pk}/recu/"))
    _assert_literal(_pdf(response), ["Orga", "Adr", "Famille", "Cheque"], server_image)


def test_amounts_of_a_thousand_euros_and_more_print_without_a_black_box(tenant_a):
    """Our thousands separator (U+202F) is not in the PDF's standard fonts: it printed as a black
    box ("1■104,00 €") on invoices and receipts."""
    from ribambelle.billing.pdf import invoice_pdf, receipt_pdf
    from ribambelle.core.pdf import pdf_euros

    assert pdf_euros(Decimal("1104")) == "1\u00a0104,00\u00a0€"
    invoice = InvoiceFactory(organisation=tenant_a.organisation, total=Decimal("1104.00"))
    line = InvoiceLineFactory(organisation=tenant_a.organisation, invoice=invoice, family=invoice.family)
    line.unit_price = line.amount = Decimal("1104.00")
    line.save()
    payment = PaymentFactory(organisation=tenant_a.organisation, family=invoice.family, amount=Decimal("1104.00"))
    PaymentAllocationFactory(
        organisation=tenant_a.organisation, payment=payment, invoice=invoice, amount=payment.amount
    )
    settings = BillingSettingsFactory(organisation=tenant_a.organisation)
    for pdf in (invoice_pdf(invoice, lines=[line], settings=settings), receipt_pdf(payment)):
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert "1\u00a0104,00" in text or "1 104,00" in text, text
        assert "\u202f" not in text and "■" not in text
