"""GDPR erasure: the family's files leave the disk once the erasure commits, and a family with
invoices or payments is anonymised (accounting records kept, with no personal data) instead of
a 500 (ProtectedError)."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from ribambelle.accounts.models import User
from ribambelle.billing.models import Invoice, InvoiceLine, Payment
from ribambelle.communication.models import Message
from ribambelle.documents.models import SubmittedDocument, SubmittedPage
from ribambelle.families import services
from ribambelle.families.models import Family, HealthRecord, Person

from .conftest import client_for, page_text
from .factories import (
    HealthRecordFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    MessageFactory,
    PaymentAllocationFactory,
    PaymentFactory,
    PersonFactory,
    SubmittedDocumentFactory,
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _files_of(family) -> list[Path]:
    pages = [Path(p.file.path) for p in SubmittedPage.objects.filter(family=family)]
    attachments = [Path(m.attachment.path) for m in Message.objects.filter(family=family)]
    return pages + attachments


def _with_files(tenant, family):
    SubmittedDocumentFactory(organisation=tenant.organisation, family=family)
    MessageFactory(organisation=tenant.organisation, family=family)
    files = _files_of(family)
    assert len(files) == 2 and all(path.exists() for path in files)
    return files


def test_erasure_deletes_the_family_files_once_committed(tenant_a, django_capture_on_commit_callbacks):
    family = tenant_a.family_user.family
    files = _with_files(tenant_a, family)
    neighbour_files = _with_files(tenant_a, tenant_a.other_family_user.family)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        anonymised = services.erase_family(family=family, reason="Demande écrite")
    assert not Family.objects.filter(pk=family.pk).exists()
    assert all(path.exists() for path in files), "files must wait for the commit"
    for callback in callbacks:
        callback()
    assert not any(path.exists() for path in files)
    assert all(path.exists() for path in neighbour_files)
    assert anonymised is False  # no accounting records: deleted outright


def _family_with_accounts(tenant):
    organisation = tenant.organisation
    family = tenant.family_user.family
    Family.objects.filter(pk=family.pk).update(
        name="MARTIN",
        address_line="12 rue des Lilas",
        postal_code="82800",
        city="Nègrepelisse",
        phone="0600000000",
        email="martin@famille.example",
        allocataire_number="1234567",
        family_quotient=Decimal("650"),
    )
    family.refresh_from_db()
    child = PersonFactory(organisation=organisation, family=family, first_name="Léa", last_name="MARTIN")
    HealthRecordFactory(organisation=organisation, family=family, child=child)
    invoice = InvoiceFactory(
        organisation=organisation, family=family, family_name="MARTIN Julie", family_address="12 rue des Lilas"
    )
    InvoiceLineFactory(organisation=organisation, family=family, invoice=invoice, child=child, child_name="Léa MARTIN")
    InvoiceLineFactory(organisation=organisation, family=family, invoice=invoice, child_name="Hugo MARTIN")
    payment = PaymentFactory(organisation=organisation, family=family, reference="Chèque 0012345")
    PaymentAllocationFactory(organisation=organisation, payment=payment, invoice=invoice, amount=Decimal("20.00"))
    return family, invoice, payment


PERSONAL = ["MARTIN", "Julie", "Léa", "Hugo", "Lilas", "martin@famille.example", "0600000000", "1234567"]


def test_staff_erasure_of_a_family_with_invoices_anonymises_it(tenant_a, django_capture_on_commit_callbacks):
    family, invoice, payment = _family_with_accounts(tenant_a)
    files = _with_files(tenant_a, family)
    staff = client_for(tenant_a.admin)
    url = tenant_a.url(f"gestion/familles/{family.pk}/effacer/")
    page = page_text(staff.get(url))
    assert "Cette famille a des factures ou des règlements" in page
    assert f"Famille anonymisée n°{family.pk}" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url, {"confirm_name": family.name, "reason": "Demande écrite"})
    assert response.status_code == 302
    assert not any(path.exists() for path in files)
    family.refresh_from_db()
    assert family.name == f"Famille anonymisée n°{family.pk}"
    assert not any(
        [family.address_line, family.postal_code, family.city, family.phone, family.email, family.allocataire_number]
    )
    assert family.family_quotient is None
    assert not Person.objects.filter(family=family).exists() and not HealthRecord.objects.exists()
    assert not User.objects.filter(pk=tenant_a.family_user.pk).exists()
    # Rows related with related_name="+" go too: messages, document pages.
    assert not Message.objects.filter(family=family).exists()
    assert not SubmittedDocument.objects.filter(family=family).exists()
    assert not SubmittedPage.objects.filter(family=family).exists()
    # The accounting records are all kept, amounts and numbers unchanged.
    invoice.refresh_from_db()
    assert invoice.family_name == family.name and invoice.family_address == ""
    assert invoice.total == Decimal("42.50") and Payment.objects.get(pk=payment.pk).amount == Decimal("20.00")
    assert sorted(InvoiceLine.objects.filter(invoice=invoice).values_list("child_name", flat=True)) == [
        "Enfant 1",
        "Enfant 2",
    ]
    assert payment.allocations.count() == 1
    # The invoice PDF, rendered from the rows, carries no personal data any more.
    pdf = staff.get(tenant_a.url(f"gestion/facturation/factures/{invoice.pk}/pdf/"))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert f"Famille anonymisée n°{family.pk}" in text and invoice.number in text
    assert not [word for word in PERSONAL if word in text]
    receipt = staff.get(tenant_a.url(f"gestion/facturation/reglements/{payment.pk}/recu/"))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(receipt.content)).pages)
    assert not [word for word in PERSONAL if word in text]


def test_retention_command_anonymises_families_with_invoices_once(tenant_a):
    family, invoice, _payment = _family_with_accounts(tenant_a)
    old = timezone.now() - timezone.timedelta(days=6 * 366)
    Family.objects.filter(pk=family.pk).update(updated_at=old)
    family.activity_log.all().delete()
    out = io.StringIO()
    call_command("erase_inactive_families", "--appliquer", stdout=out)
    assert "anonymisée" in out.getvalue()
    family.refresh_from_db()
    assert family.name == f"Famille anonymisée n°{family.pk}"
    assert Invoice.objects.filter(pk=invoice.pk).exists()
    # Years later it is not listed (nor audited) again.
    Family.objects.filter(pk=family.pk).update(updated_at=old)
    out = io.StringIO()
    call_command("erase_inactive_families", "--appliquer", stdout=out)
    assert family.name not in out.getvalue() and "0 famille(s)" in out.getvalue()


@pytest.mark.parametrize("with_invoices", [False, True])
def test_audit_entries_about_the_family_keep_no_personal_data(tenant_a, with_invoices):
    from ribambelle.core.models import AuditEntry

    from .factories import AuditEntryFactory

    family = _family_with_accounts(tenant_a)[0] if with_invoices else tenant_a.family_user.family
    child = PersonFactory(organisation=tenant_a.organisation, family=family, first_name="Léa", last_name="MARTIN")
    entries = [
        AuditEntryFactory(
            organisation=tenant_a.organisation,
            object_type="families.family",
            object_id=str(family.pk),
            object_repr="MARTIN",
            changes={"phone": {"old": "0600000000", "new": "0611111111"}},
        ),
        AuditEntryFactory(
            organisation=tenant_a.organisation,
            object_type="families.person",
            object_id=str(child.pk),
            object_repr="Léa MARTIN",
            changes={"first_name": {"old": "Lea", "new": "Léa"}},
        ),
    ]
    other = AuditEntryFactory(organisation=tenant_a.organisation, object_repr="Accueil de Bioule")
    services.erase_family(family=family, acting_user=tenant_a.admin, reason="Demande écrite")
    for entry in entries:
        entry.refresh_from_db()
        assert entry.object_repr == "(données effacées)" and entry.changes == {}
        assert entry.action == "update" and entry.created_at  # who did what and when stays
    erase = AuditEntry.objects.get(action="erase")
    assert erase.changes["reason"] == "Demande écrite" and "MARTIN" not in erase.object_repr
    other.refresh_from_db()
    assert other.object_repr == "Accueil de Bioule"
