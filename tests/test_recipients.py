"""One rule for who receives a family's e-mails (families.recipients): the activated logins
and the legal guardians' addresses, each once; the family file's own e-mail only when there
is neither. Every e-mail sent to a family follows it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ribambelle.accounts.models import AccountToken, TokenPurpose
from ribambelle.accounts.services import confirm_email_change, request_email_change
from ribambelle.communication.mailing import resolve_audience, send_mass_mailing
from ribambelle.communication.messaging import reply_to_family
from ribambelle.communication.models import MailingScope, OutgoingEmail
from ribambelle.families.models import Family, PersonRole
from ribambelle.families.recipients import family_recipients, recipients_by_family
from ribambelle.outbox.services import deliver_due_emails

from .factories import (
    BillingSettingsFactory,
    BookingFactory,
    ChangeRequestFactory,
    FamilyFactory,
    FamilyUserFactory,
    MessageThreadFactory,
    PersonFactory,
    RegistrationFactory,
    StructureFactory,
    StructureFamilyFactory,
    SubmittedDocumentFactory,
    TariffFactory,
)

LOGIN, GUARDIAN = "julie.martin@famille.example", "marc.martin@famille.example"


@pytest.fixture
def family(tenant_a):
    """An activated login, the guardian it belongs to (same address, other case), a second
    guardian without a login, a guardian without an address, a child with an address, an
    invited login not yet activated, a disabled login and a separate family e-mail."""
    org = tenant_a.organisation
    family = FamilyFactory(organisation=org, name="MARTIN", email="foyer.martin@famille.example")
    FamilyUserFactory(organisation=org, family=family, email=LOGIN, first_name="Julie")
    FamilyUserFactory(organisation=org, family=family, email="invitee@famille.example", activated_at=None)
    FamilyUserFactory(organisation=org, family=family, email="ancien@famille.example", is_active=False)
    PersonFactory(organisation=org, family=family, role=PersonRole.ADULT, first_name="Julie", email=LOGIN.upper())
    PersonFactory(organisation=org, family=family, role=PersonRole.ADULT, first_name="Marc", email=GUARDIAN)
    PersonFactory(organisation=org, family=family, role=PersonRole.ADULT, first_name="Paul", email="")
    PersonFactory(organisation=org, family=family, role=PersonRole.CHILD, first_name="Léa", email="lea@famille.example")
    return family


def test_the_rule(family, django_assert_num_queries):
    with django_assert_num_queries(2):
        recipients = family_recipients(family)
    assert [r.email for r in recipients] == [LOGIN, GUARDIAN]
    assert recipients[0].user.email == LOGIN and recipients[1].user is None
    assert [r.first_name for r in recipients] == ["Julie", "Marc"]


def test_the_family_file_address_only_when_there_is_nothing_else(tenant_a, family):
    alone = FamilyFactory(organisation=tenant_a.organisation, email="seul@famille.example")
    nothing = FamilyFactory(organisation=tenant_a.organisation)
    found = recipients_by_family(tenant_a.organisation, [family.pk, alone.pk, nothing.pk])
    assert [r.email for r in found[alone.pk]] == ["seul@famille.example"]
    assert found[nothing.pk] == []
    assert len(found[family.pk]) == 2


def test_the_rule_costs_the_same_whatever_the_number_of_families(tenant_a, django_assert_num_queries):
    org = tenant_a.organisation
    families = [FamilyFactory(organisation=org) for _ in range(6)]
    for f in families:
        PersonFactory(organisation=org, family=f, role=PersonRole.ADULT, email=f"{f.name.lower()}@famille.example")
    with django_assert_num_queries(2):
        found = recipients_by_family(org, [f.pk for f in families])
    assert all(len(found[f.pk]) == 1 for f in families)


# --- Every e-mail sent to a family ------------------------------------------------------------
def _registration_accepted(tenant_a, family):
    from ribambelle.registrations.services import accept_registration

    registration = RegistrationFactory(organisation=tenant_a.organisation, family=family, status="requested")
    accept_registration(registration=registration, acting_user=tenant_a.admin)
    return "registration_accepted"


def _booking_summary(tenant_a, family):
    from ribambelle.bookings.services import send_summary

    booking = BookingFactory(organisation=tenant_a.organisation, family=family)
    send_summary(booking.child_id, {"booked": [booking.pk]})
    return "booking_summary"


def _document_accepted(tenant_a, family):
    from ribambelle.documents.services import accept_document

    submission = SubmittedDocumentFactory(organisation=tenant_a.organisation, family=family)
    accept_document(submission=submission, acting_user=tenant_a.admin)
    return "document_accepted"


def _change_accepted(tenant_a, family):
    from ribambelle.families.services import accept_change

    change = ChangeRequestFactory(organisation=tenant_a.organisation, family=family)
    accept_change(change_request=change, acting_user=tenant_a.admin)
    return "change_accepted"


def _message_reply(tenant_a, family):
    thread = MessageThreadFactory(organisation=tenant_a.organisation, family=family)
    reply_to_family(thread=thread, acting_user=tenant_a.admin, body="C'est noté.")
    return "message_reply"


def _mass_email(tenant_a, family):
    structure = StructureFactory(organisation=tenant_a.organisation)
    StructureFamilyFactory(organisation=tenant_a.organisation, structure=structure, family=family)
    send_mass_mailing(
        organisation=tenant_a.organisation,
        subject="Fermeture",
        body="Bonjour",
        scope=MailingScope.STRUCTURES,
        structures=[structure],
        essential=False,
        acting_user=tenant_a.admin,
    )
    return "mass_email"


def _invoice_receipt_reminder(tenant_a, family):
    """Issue an invoice, record a part payment, then remind: three e-mails."""
    from ribambelle.billing.models import Invoice
    from ribambelle.billing.services import create_run, process_run, record_payment, send_reminders

    org = tenant_a.organisation
    BillingSettingsFactory(organisation=org, payment_instructions="Chèque à l'ordre du Trésor public & CESU")
    booking = BookingFactory(organisation=org, family=family)
    TariffFactory(organisation=org, activity=booking.activity, flat_price=Decimal("9.50"))
    run = create_run(
        organisation=org,
        period_start=booking.date,
        period_end=booking.date + timedelta(days=1),
        acting_user=tenant_a.admin,
    )
    process_run(run_id=run.pk)
    invoice = Invoice.objects.get(family=family)
    record_payment(
        family=family,
        method="cash",
        amount=Decimal("2.00"),
        received_on=timezone.localdate(),
        acting_user=tenant_a.admin,
    )
    Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - timedelta(days=1))
    assert send_reminders(organisation=org, invoice_ids=[invoice.pk], acting_user=tenant_a.admin) == 1
    return ("invoice_issued", "payment_received", "invoice_reminder")


FAMILY_EMAILS = [
    _registration_accepted,
    _booking_summary,
    _document_accepted,
    _change_accepted,
    _message_reply,
    _mass_email,
    _invoice_receipt_reminder,
]


@pytest.mark.parametrize("send", FAMILY_EMAILS, ids=lambda f: f.__name__.strip("_"))
def test_every_family_email_goes_to_the_logins_and_guardians_once(send, tenant_a, family, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    templates = send(tenant_a, family)
    for template in [templates] if isinstance(templates, str) else templates:
        sent = list(OutgoingEmail.objects.filter(template=template, family=family).values_list("to", flat=True))
        assert sorted(sent) == sorted([LOGIN, GUARDIAN]), template


# --- Issue 14, item 6: a family created in the back office ---------------------------------
def test_a_family_created_in_the_back_office_gets_its_invoice_receipt_and_reminder(
    tenant_a, mail_server, django_capture_on_commit_callbacks
):
    """Staff fill the guardian's e-mail only (no separate family "E-mail"), as the creation page
    asks: the invoice, the receipt and the reminder reach the guardian."""
    from ribambelle.families.services import create_family

    family = create_family(
        organisation=tenant_a.organisation,
        values={"name": "DURAND", "city": "Bioule"},
        adult={"first_name": "Inès", "last_name": "DURAND", "email": "ines.durand@famille.example"},
        acting_user=tenant_a.admin,
    )
    assert family.email == ""
    with django_capture_on_commit_callbacks(execute=True):
        templates = _invoice_receipt_reminder(tenant_a, family)
    assert deliver_due_emails() == 3
    received = mail_server.received()
    assert [m["To"] for m in received] == ["ines.durand@famille.example"] * 3
    invoice_text = next(m for m in received if "facture" in m["Subject"]).get_body(("plain",)).get_content()
    assert "Chèque à l'ordre du Trésor public & CESU" in invoice_text
    assert sorted(OutgoingEmail.objects.values_list("template", flat=True)) == sorted(templates)


# --- Issue 14, item 7: the login's e-mail changes ------------------------------------------
def test_after_a_login_changes_its_address_the_old_one_receives_nothing(
    tenant_a, mail_server, django_capture_on_commit_callbacks
):
    """The login was created for the guardian (same address), and the family file holds it too."""
    org = tenant_a.organisation
    family = FamilyFactory(organisation=org, name="ROUSSEL", email="karim@famille.example")
    guardian = PersonFactory(organisation=org, family=family, role=PersonRole.ADULT, email="karim@famille.example")
    user = FamilyUserFactory(organisation=org, family=family, email="karim@famille.example")
    request_email_change(user=user, new_email="karim.roussel@nouveau.example")
    token = AccountToken.objects.get(user=user, purpose=TokenPurpose.EMAIL_CHANGE)
    confirm_email_change(token=token)

    guardian.refresh_from_db()
    assert guardian.email == "karim.roussel@nouveau.example"
    assert Family.objects.get(pk=family.pk).email == "karim.roussel@nouveau.example"
    assert "karim.roussel@nouveau.example" in Family.objects.get(pk=family.pk).search_text
    audience = resolve_audience(organisation=org, scope=MailingScope.ORGANISATION, structures=[], essential=True)
    assert dict(audience.recipients)[family] == ["karim.roussel@nouveau.example"]

    OutgoingEmail.objects.all().delete()
    structure = StructureFactory(organisation=org)
    StructureFamilyFactory(organisation=org, structure=structure, family=family)
    with django_capture_on_commit_callbacks(execute=True):
        send_mass_mailing(
            organisation=org,
            subject="Fermeture",
            body="Bonjour",
            scope=MailingScope.STRUCTURES,
            structures=[structure],
            essential=True,
            acting_user=tenant_a.admin,
        )
    deliver_due_emails()
    assert [m["To"] for m in mail_server.received()] == ["karim.roussel@nouveau.example"]


def test_a_guardian_with_another_address_keeps_it(tenant_a):
    """Only the address the login held follows it: the other guardian's stays."""
    org = tenant_a.organisation
    family = FamilyFactory(organisation=org)
    other = PersonFactory(organisation=org, family=family, role=PersonRole.ADULT, email="autre@famille.example")
    user = FamilyUserFactory(organisation=org, family=family, email="moi@famille.example")
    request_email_change(user=user, new_email="moi@nouveau.example")
    confirm_email_change(token=AccountToken.objects.get(user=user, purpose=TokenPurpose.EMAIL_CHANGE))
    other.refresh_from_db()
    assert other.email == "autre@famille.example"
    assert [r.email for r in family_recipients(family)] == ["moi@nouveau.example", "autre@famille.example"]
