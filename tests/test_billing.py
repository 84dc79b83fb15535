"""Billing: tariffs rule by rule, invoice runs, numbering, credit notes, payments, SEPA."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from lxml import etree

from ribambelle.billing import sepa, services
from ribambelle.billing.charges import PricingContext, choose_bracket, family_charges
from ribambelle.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceKind,
    InvoiceRun,
    InvoiceStatus,
    Payment,
    RunStatus,
    TariffMode,
)
from ribambelle.communication.models import OutgoingEmail
from ribambelle.core.exceptions import DomainError

from .factories import (
    ActivityFactory,
    BookingFactory,
    FamilyFactory,
    GroupFactory,
    OpeningFactory,
    OrganisationFactory,
    PersonFactory,
    QuotientBracketFactory,
    RegistrationFactory,
    SepaMandateFactory,
    TariffFactory,
    TariffPriceFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db

START = date(2026, 3, 2)


class World:
    """An organisation with QF brackets (<600, 600–900, >900), one activity, one unit."""

    def __init__(self, *, mode=TariffMode.QUOTIENT, **settings):
        self.org = OrganisationFactory()
        BillingSettings.objects.create(organisation=self.org, **settings)
        self.low = QuotientBracketFactory(organisation=self.org, label="QF < 600", upper_bound=Decimal("600"))
        self.mid = QuotientBracketFactory(organisation=self.org, label="QF 600 – 900", upper_bound=Decimal("900"))
        self.high = QuotientBracketFactory(organisation=self.org, label="QF > 900", upper_bound=None)
        self.activity = ActivityFactory(organisation=self.org, start_date=START, end_date=START + timedelta(days=30))
        self.unit = UnitFactory(organisation=self.org, activity=self.activity, name="Journée")
        self.group = GroupFactory(organisation=self.org, activity=self.activity)
        self.tariff = TariffFactory(
            organisation=self.org, activity=self.activity, mode=mode, flat_price=Decimal("12.00")
        )
        for bracket, price in ((self.low, "4.00"), (self.mid, "8.00"), (self.high, "12.00")):
            TariffPriceFactory(organisation=self.org, tariff=self.tariff, bracket=bracket, price=Decimal(price))
        self.openings = {}

    def opening(self, day: date):
        if day not in self.openings:
            self.openings[day] = OpeningFactory(
                organisation=self.org, activity=self.activity, unit=self.unit, group=self.group, date=day
            )
        return self.openings[day]

    def family(self, qf=None, qf_date=None, **fields):
        return FamilyFactory(
            organisation=self.org,
            family_quotient=Decimal(qf) if qf is not None else None,
            family_quotient_date=qf_date or (START if qf is not None else None),
            **fields,
        )

    def child(self, family, birth: date = date(2016, 5, 1), first_name="Léa"):
        child = PersonFactory(organisation=self.org, family=family, birth_date=birth, first_name=first_name)
        RegistrationFactory(organisation=self.org, family=family, child=child, group=self.group, activity=self.activity)
        return child

    def book(self, child, day: date, status="booked", **fields):
        opening = self.opening(day)
        return BookingFactory(
            organisation=self.org,
            family=child.family,
            registration=child.registrations.get(),
            child=child,
            opening=opening,
            activity=self.activity,
            date=day,
            status=status,
            **fields,
        )

    def charges(self, family):
        from ribambelle.bookings.models import Booking

        ctx = PricingContext.load(self.org, on=START + timedelta(days=30))
        bookings = Booking.objects.filter(family=family).select_related("child", "activity", "opening__unit")
        return family_charges(family, list(bookings), ctx)


# --- Tariffs and charges, rule by rule ------------------------------------------------


@pytest.mark.parametrize(
    ("qf", "expected"), [("0", "4.00"), ("599.99", "4.00"), ("600", "8.00"), ("899", "8.00"), ("900", "12.00")]
)
def test_price_follows_the_quotient_bracket(qf, expected):
    world = World()
    family = world.family(qf)
    world.book(world.child(family), START)
    [line] = world.charges(family)
    assert line.amount == Decimal(expected)


def test_missing_quotient_gets_the_highest_bracket_and_says_why():
    world = World()
    family = world.family(None)
    world.book(world.child(family), START)
    [line] = world.charges(family)
    assert line.amount == Decimal("12.00")
    assert "non renseigné" in line.note


def test_expired_quotient_gets_the_highest_bracket_and_says_why():
    world = World(quotient_validity_months=12)
    family = world.family("300", qf_date=START - timedelta(days=800))
    world.book(world.child(family), START)
    [line] = world.charges(family)
    assert line.amount == Decimal("12.00")
    assert "mettre à jour" in line.note
    assert choose_bracket(family, PricingContext.load(world.org, on=START)).bracket == world.high


def test_flat_tariff_ignores_the_quotient():
    world = World(mode=TariffMode.FLAT)
    family = world.family("100")
    world.book(world.child(family), START)
    assert world.charges(family)[0].amount == Decimal("12.00")


def test_outside_territory_rate():
    world = World(territory_postal_codes="82800, 82000")
    world.tariff.outside_price = Decimal("15.00")
    world.tariff.save()
    inside = world.family("100", postal_code="82800")
    outside = world.family("100", postal_code="75011")
    world.book(world.child(inside), START)
    world.book(world.child(outside), START)
    assert world.charges(inside)[0].amount == Decimal("4.00")
    assert world.charges(outside)[0].amount == Decimal("15.00")


def test_sibling_reduction_applies_from_the_second_child_by_birth_order():
    world = World(sibling_reduction_percent=Decimal("10"))
    family = world.family("700")
    younger = world.child(family, birth=date(2019, 1, 1), first_name="Hugo")
    older = world.child(family, birth=date(2016, 1, 1), first_name="Léa")
    world.book(younger, START)
    world.book(older, START)
    lines = {line.child.first_name: line for line in world.charges(family)}
    assert lines["Léa"].amount == Decimal("8.00")
    assert lines["Hugo"].reduction == Decimal("0.80")
    assert lines["Hugo"].amount == Decimal("7.20")
    assert "fratrie" in lines["Hugo"].note


def test_amounts_are_rounded_half_up_to_the_cent():
    world = World(sibling_reduction_percent=Decimal("33.33"))
    family = world.family("100")
    world.tariff.prices.filter(bracket=world.low).update(price=Decimal("4.55"))
    first = world.child(family, birth=date(2015, 1, 1))
    second = world.child(family, birth=date(2018, 1, 1), first_name="Hugo")
    world.book(first, START)
    world.book(second, START)
    lines = {line.child.pk: line for line in world.charges(family)}
    # 4.55 × 33.33 % = 1.516515 → 1.52 ; 4.55 − 1.52 = 3.03
    assert lines[second.pk].reduction == Decimal("1.52")
    assert lines[second.pk].amount == Decimal("3.03")
    assert all(line.amount.as_tuple().exponent == -2 for line in lines.values())


@pytest.mark.parametrize(
    ("status", "late", "rules", "charged"),
    [
        ("booked", False, {}, True),
        ("present", False, {}, True),
        ("excused", False, {}, False),
        ("excused", False, {"charge_excused_absences": True}, True),
        ("absent", False, {}, True),
        ("absent", False, {"charge_unexcused_absences": False}, False),
        ("cancelled", True, {}, True),
        ("cancelled", True, {"charge_late_cancellations": False}, False),
        ("cancelled", False, {}, False),
        ("waiting", False, {}, False),
    ],
)
def test_absence_rules(status, late, rules, charged):
    world = World(**rules)
    family = world.family("100")
    world.book(world.child(family), START, status=status, late_cancellation=late)
    assert bool(world.charges(family)) is charged


def test_booking_without_tariff_is_not_charged():
    world = World()
    family = world.family("100")
    world.tariff.delete()
    world.book(world.child(family), START)
    assert world.charges(family) == []


# --- Invoice runs, numbers, credit notes ----------------------------------------------


def _run(world, acting_user=None):
    return services.create_run(
        organisation=world.org, period_start=START, period_end=START + timedelta(days=30), acting_user=acting_user
    )


def test_run_preview_then_issue_numbers_without_gaps_and_mails_families():
    world = World()
    families = []
    for i in range(5):
        family = world.family("100", email=f"f{i}@example.org")
        child = world.child(family)
        world.book(child, START)
        world.book(child, START + timedelta(days=1))
        families.append(family)
    run = _run(world)
    assert run.family_count == 5
    preview = services.preview_run(run)
    assert [p.total for p in preview] == [Decimal("8.00")] * 5
    assert Invoice.objects.count() == 0  # the preview writes nothing

    run = services.process_run(run_id=run.pk, batch_size=2)
    assert run.status == RunStatus.DONE
    invoices = Invoice.objects.filter(organisation=world.org).order_by("sequence")
    year = timezone.localdate().year
    assert [i.number for i in invoices] == [f"F{year}-{n:06d}" for n in range(1, 6)]
    assert run.total == Decimal("40.00")
    assert OutgoingEmail.objects.filter(template="invoice_issued").count() == 5
    mail = OutgoingEmail.objects.filter(template="invoice_issued", to="f0@example.org").get()
    first = invoices.get(family=families[0])
    assert first.number in mail.subject and "8,00" in mail.body_text
    assert f"/mes-factures/{first.pk}/" in mail.body_text
    assert (mail.enclosure_kind, mail.enclosure_id) == ("invoice_pdf", first.pk)  # its PDF, joined when sent
    # A second run of the same period finds nothing left to bill: refused, no empty run.
    with pytest.raises(DomainError, match="déjà facturées"):
        _run(world)
    assert InvoiceRun.objects.filter(organisation=world.org).count() == 1


def test_run_resumes_after_the_last_committed_batch():
    world = World()
    for _ in range(5):
        world.book(world.child(world.family("100")), START)
    run = _run(world)
    run = services.process_run(run_id=run.pk, batch_size=2, max_batches=1)
    assert (run.status, run.processed_count, Invoice.objects.count()) == (RunStatus.ISSUING, 2, 2)
    run = services.process_run(run_id=run.pk, batch_size=2)
    assert (run.status, run.processed_count, Invoice.objects.count()) == (RunStatus.DONE, 5, 5)
    assert sorted(Invoice.objects.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5]


def test_credit_note_cancels_an_invoice_with_its_own_numbering():
    world = World()
    family = world.family("100")
    world.book(world.child(family), START)
    services.process_run(run_id=_run(world).pk)
    invoice = Invoice.objects.get()
    credit = services.issue_credit_note(invoice=invoice, reason="Erreur de pointage", acting_user=None)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CREDITED
    assert credit.kind == InvoiceKind.CREDIT_NOTE
    assert credit.number == f"AV{timezone.localdate().year}-000001"
    assert credit.total == -invoice.total
    assert [line.amount for line in credit.lines.all()] == [Decimal("-4.00")]
    with pytest.raises(DomainError):
        services.issue_credit_note(invoice=invoice, reason="encore", acting_user=None)
    # The cancelled bookings can be billed again, correctly, on a new numbered invoice.
    services.process_run(run_id=_run(world).pk)
    assert Invoice.objects.filter(kind=InvoiceKind.INVOICE).count() == 2


def test_credit_note_needs_a_reason():
    world = World()
    world.book(world.child(world.family("100")), START)
    services.process_run(run_id=_run(world).pk)
    with pytest.raises(DomainError):
        services.issue_credit_note(invoice=Invoice.objects.get(), reason=" ", acting_user=None)


# --- Payments -------------------------------------------------------------------------


def _invoices(world, family, count):
    child = world.child(family)
    for i in range(count):
        world.book(child, START + timedelta(days=i))
        run = services.create_run(
            organisation=world.org,
            period_start=START + timedelta(days=i),
            period_end=START + timedelta(days=i),
            acting_user=None,
        )
        services.process_run(run_id=run.pk)
    invoices = list(Invoice.objects.filter(family=family).order_by("sequence"))
    for n, invoice in enumerate(invoices):
        Invoice.objects.filter(pk=invoice.pk).update(due_date=START + timedelta(days=n))
    return list(Invoice.objects.filter(family=family).order_by("due_date"))


def test_payment_is_allocated_oldest_first_and_leaves_a_credit():
    world = World()
    family = world.family("700")  # 8.00 per day
    first, second = _invoices(world, family, 2)
    payment = services.record_payment(
        family=family, method="cheque", amount=Decimal("10"), received_on=START, acting_user=None
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.amount_paid) == (InvoiceStatus.PAID, Decimal("8.00"))
    assert (second.status, second.amount_paid) == (InvoiceStatus.PARTIAL, Decimal("2.00"))
    assert payment.receipt_number.startswith("R")


def test_a_payment_received_is_mailed_with_its_receipt():
    from ribambelle.outbox.enclosures import build

    world = World()
    family = world.family("700", email="parent@example.org")
    first, second = _invoices(world, family, 2)
    payment = services.record_payment(
        family=family, method="cheque", amount=Decimal("10"), received_on=START, acting_user=None
    )
    mail = OutgoingEmail.objects.get(template="payment_received")
    assert mail.to == "parent@example.org" and payment.receipt_number in mail.subject
    assert f"- la facture {first.number} : 8,00" in mail.body_text
    assert f"- la facture {second.number} : 2,00" in mail.body_text and "chèque" in mail.body_text
    receipt = build(mail.enclosure_kind, mail.enclosure_id, mail.organisation_id)
    assert receipt.filename == f"recu-{payment.receipt_number}.pdf" and receipt.content.startswith(b"%PDF")
    with pytest.raises(Payment.DoesNotExist):  # looked up within the e-mail's organisation only
        build(mail.enclosure_kind, mail.enclosure_id, OrganisationFactory().pk)
    family.email_invoices = False
    family.save()
    services.record_payment(family=family, method="cash", amount=Decimal("5"), received_on=START, acting_user=None)
    assert OutgoingEmail.objects.filter(template="payment_received").count() == 1  # the family opted out


def test_payment_allocated_by_hand():
    world = World()
    family = world.family("700")
    first, second = _invoices(world, family, 2)
    services.record_payment(
        family=family,
        method="ancv",
        amount=Decimal("8"),
        received_on=START,
        allocations={second.pk: Decimal("8")},
        acting_user=None,
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (InvoiceStatus.DUE, InvoiceStatus.PAID)
    with pytest.raises(DomainError):
        services.record_payment(
            family=family,
            method="cash",
            amount=Decimal("20"),
            received_on=START,
            allocations={first.pk: Decimal("20")},
            acting_user=None,
        )


def test_zero_payment_is_refused():
    world = World()
    with pytest.raises(DomainError):
        services.record_payment(
            family=world.family("1"), method="cash", amount=Decimal("0"), received_on=START, acting_user=None
        )


# --- SEPA -----------------------------------------------------------------------------


def test_mandate_iban_and_bic_are_validated():
    world = World()
    family = world.family("100")
    with pytest.raises(DomainError) as error:
        sepa.create_mandate(
            family=family,
            holder="M",
            iban="FR7630006000011234567890188",
            bic="PSSTFRPPPAR",
            signed_on=START,
            acting_user=None,
        )
    assert error.value.field == "iban"
    mandate = sepa.create_mandate(
        family=family,
        holder="Marie",
        iban="FR14 2004 1010 0505 0001 3M02 606",
        bic="PSSTFRPPPAR",
        signed_on=START,
        acting_user=None,
    )
    assert mandate.iban == "FR1420041010050500013M02606"


def test_pain008_is_generated_and_valid_against_its_schema():
    import os

    import sepaxml
    import xmlschema

    from ribambelle.billing.sepa_collections import create_collection, settle_collection

    world = World(
        sepa_creditor_id="FR72ZZZ123456",
        sepa_iban="FR7630006000011234567890189",
        sepa_bic="AGRIFRPPXXX",
        sepa_creditor_name="Communauté de communes",
    )
    family = world.family("700")
    _invoices(world, family, 2)
    SepaMandateFactory(organisation=world.org, family=family)
    today = timezone.localdate()
    collection = create_collection(organisation=world.org, collection_date=today + timedelta(days=20), acting_user=None)
    xml = bytes(collection.content)
    schema = xmlschema.XMLSchema(os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.008.001.02.xsd"))
    schema.validate(xml.decode())
    tree = etree.fromstring(xml)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
    assert tree.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns) == "16.00"
    assert tree.findtext(".//p:SeqTp", namespaces=ns) == "FRST"
    # Once that first collection is settled, the mandate is recurrent.
    settle_collection(collection=collection, acting_user=None, force=True)
    _invoices(world, family, 1)
    later = create_collection(organisation=world.org, collection_date=today + timedelta(days=30), acting_user=None)
    assert etree.fromstring(bytes(later.content)).findtext(".//p:SeqTp", namespaces=ns) == "RCUR"


def test_pain008_needs_the_creditor_settings():
    from ribambelle.billing.sepa_collections import create_collection

    world = World()
    with pytest.raises(DomainError):
        create_collection(organisation=world.org, collection_date=START, acting_user=None)


def test_invoice_runs_are_per_organisation():
    world, other = World(), World()
    world.book(world.child(world.family("100")), START)
    other.book(other.child(other.family("100")), START)
    services.process_run(run_id=_run(world).pk)
    services.process_run(run_id=_run(other).pk)
    assert set(Invoice.objects.values_list("sequence", flat=True)) == {1}
    assert InvoiceRun.objects.filter(status=RunStatus.DONE).count() == 2


def test_run_limited_to_some_structures():
    world = World()
    other_activity = ActivityFactory(organisation=world.org, start_date=START, end_date=START + timedelta(days=30))
    TariffFactory(organisation=world.org, activity=other_activity, flat_price=Decimal("3.00"))
    family = world.family("100")
    world.book(world.child(family), START)
    BookingFactory(
        organisation=world.org,
        family=family,
        registration__activity=other_activity,
        registration__group=GroupFactory(organisation=world.org, activity=other_activity),
        opening__date=START,
        date=START,
    )
    run = services.create_run(
        organisation=world.org,
        period_start=START,
        period_end=START + timedelta(days=30),
        structure_ids=[world.activity.structure_id],
        acting_user=None,
    )
    services.process_run(run_id=run.pk)
    invoice = Invoice.objects.get()
    assert invoice.total == Decimal("4.00")
    # The other structure's day is billed by a later run.
    services.process_run(run_id=_run(world).pk)
    assert sorted(Invoice.objects.values_list("total", flat=True)) == [Decimal("3.00"), Decimal("4.00")]
