"""Absences in two taps (issue 22): reporting before and after the deadline, certificates within the
rule's delay, charges that name their rule and missed cut-off, waiving one line, staff views, tenancy."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from ribambelle.absences import services
from ribambelle.absences.models import AbsenceReport, AbsenceRule
from ribambelle.accounts.consent import record_consents
from ribambelle.billing import services as billing
from ribambelle.billing.models import BillingSettings, Invoice, InvoiceKind, InvoiceLine
from ribambelle.bookings.models import Booking, BookingStatus
from ribambelle.bookings.services import BookingChange, save_bookings
from ribambelle.core.exceptions import DomainError
from ribambelle.documents.samples import jpeg_bytes, pdf_bytes

from .conftest import client_for, page_text
from .factories import (
    AbsenceReportFactory,
    ActivityFactory,
    GroupFactory,
    InvoiceLineFactory,
    OpeningFactory,
    PersonFactory,
    RegistrationFactory,
    TariffFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 3, 9)
THURSDAY = date(2026, 3, 12)  # its deadline: 2 days before at 12:00 → Tuesday 10/03 at 12:00


def at(day: date, hour: int, minute: int = 0):
    return time_machine.travel(datetime.combine(day, time(hour, minute), tzinfo=PARIS), tick=False)


class World:
    def __init__(self, tenant):
        self.tenant = tenant
        self.org = org = tenant.organisation
        for user in (tenant.family_user, tenant.other_family_user):
            record_consents(user=user, personal=True, health=True)
        BillingSettings.objects.create(organisation=org, charge_late_cancellations=True)
        AbsenceRule.objects.create(
            organisation=org, certificate_days=3, charge_justified=False, charge_unjustified=True
        )
        self.activity = ActivityFactory(
            organisation=org,
            name="Mercredis et vacances",
            start_date=MONDAY,
            end_date=MONDAY + timedelta(days=11),
            deadline_days=2,
            deadline_time=time(12),
            deadline_working_days=False,
        )
        self.unit = UnitFactory(organisation=org, activity=self.activity, name="Journée")
        self.group = GroupFactory(organisation=org, activity=self.activity)
        TariffFactory(organisation=org, activity=self.activity, flat_price=Decimal("10.00"))
        self.family = tenant.family_user.family
        self.child = PersonFactory(organisation=org, family=self.family, first_name="Léa", birth_date=date(2017, 1, 1))
        RegistrationFactory(organisation=org, family=self.family, child=self.child, group=self.group)
        self.openings = {}

    def book(self, day: date = THURSDAY) -> Booking:
        opening = self.openings.get(day) or OpeningFactory(
            organisation=self.org, activity=self.activity, unit=self.unit, group=self.group, date=day
        )
        self.openings[day] = opening
        with at(MONDAY, 8):
            save_bookings(child=self.child, changes=[BookingChange(opening.pk, True)], acting_user=None, as_staff=True)
        return Booking.objects.get(child=self.child, opening=opening, status=BookingStatus.BOOKED)

    def invoice(self) -> Invoice:
        with at(date(2026, 3, 31), 9):
            try:
                run = billing.create_run(
                    organisation=self.org, period_start=MONDAY, period_end=date(2026, 3, 31), acting_user=None
                )
            except DomainError as nothing:
                assert "Rien à facturer" in nothing.message
                return None
            billing.process_run(run_id=run.pk, send_email=False)
        return Invoice.objects.filter(organisation=self.org, kind=InvoiceKind.INVOICE).order_by("-pk").first()


@pytest.fixture
def world(tenant_a):
    return World(tenant_a)


def photo(name="certificat.jpg"):
    return SimpleUploadedFile(name, jpeg_bytes("Certificat médical"), content_type="image/jpeg")


def _report(world, booking, **kwargs):
    return services.report_absence(
        booking=booking, acting_user=world.tenant.family_user, **{"reason": "illness", **kwargs}
    )


# --- Reporting ----------------------------------------------------------------------------


def test_before_the_deadline_an_absence_simply_cancels_the_booking(world):
    booking = world.book()
    with at(MONDAY, 18):
        outcome = _report(world, booking)
    booking.refresh_from_db()
    assert outcome.cancelled and outcome.report is None
    assert booking.status == BookingStatus.CANCELLED and not booking.late_cancellation
    assert not AbsenceReport.objects.exists()
    assert world.invoice() is None  # nothing to charge


def test_after_the_deadline_the_day_stays_booked_as_a_reported_absence(world):
    booking = world.book()
    with at(date(2026, 3, 11), 19, 40):
        outcome = _report(world, booking, reason="family", upload=photo())
    booking.refresh_from_db()
    report = outcome.report
    assert not outcome.cancelled and booking.status == BookingStatus.BOOKED
    assert report.reason == "family" and report.certificate_content_type == "image/jpeg"
    assert report.cutoff == datetime(2026, 3, 10, 12, tzinfo=PARIS)
    assert report.certificate.read()[:3] == b"\xff\xd8\xff"
    with at(date(2026, 3, 11), 20), pytest.raises(DomainError, match="déjà signalée"):
        _report(world, booking)


def test_an_absence_with_a_certificate_within_the_delay_is_not_charged(world):
    booking = world.book()
    other = world.book(date(2026, 3, 13))  # charged as usual: the invoice exists
    with at(date(2026, 3, 11), 19, 40):
        report = _report(world, booking).report
    with at(date(2026, 3, 15), 21):  # Thursday + 3 days: the last day accepted
        services.add_certificate(report=report, upload=photo(), acting_user=world.tenant.family_user)
    invoice = world.invoice()
    assert [line.booking_id for line in invoice.lines.all()] == [other.pk]
    assert invoice.total == Decimal("10.00")


def test_a_certificate_after_the_delay_is_refused_and_the_absence_is_charged_naming_rule_and_cutoff(world):
    booking = world.book()
    with at(date(2026, 3, 11), 19, 40):
        report = _report(world, booking).report
    with at(date(2026, 3, 16), 8), pytest.raises(DomainError, match="délai pour fournir un certificat est dépassé"):
        services.add_certificate(report=report, upload=photo(), acting_user=world.tenant.family_user)
    report.refresh_from_db()
    assert not report.certificate
    [line] = world.invoice().lines.all()
    assert line.booking_id == booking.pk and line.amount == Decimal("10.00")
    assert "règle : facturée sans certificat sous 3 jours" in line.note
    assert "signalée le 11/03 à 19:40, délai : 10/03 à 12:00" in line.note


def test_a_rule_that_does_not_charge_unjustified_absences_says_so(world):
    AbsenceRule.objects.filter(organisation=world.org).update(charge_unjustified=False)
    booking = world.book()
    world.book(date(2026, 3, 13))
    with at(date(2026, 3, 11), 19, 40):
        _report(world, booking)
    assert [line.booking_id for line in world.invoice().lines.all()] != [booking.pk]
    assert not InvoiceLine.objects.filter(booking=booking).exists()


def test_staff_marking_the_absence_justified_means_it_is_not_charged(world):
    booking = world.book()
    world.book(date(2026, 3, 13))
    with at(date(2026, 3, 11), 19, 40):
        report = _report(world, booking).report
    services.mark_justified(report=report, acting_user=world.tenant.admin)
    assert not InvoiceLine.objects.filter(booking=booking).exists() and world.invoice() is not None
    assert not InvoiceLine.objects.filter(booking=booking).exists()


def test_a_late_cancellation_line_names_its_rule_and_the_missed_cutoff(world):
    booking = world.book()
    with at(date(2026, 3, 11), 19, 40):
        save_bookings(
            child=world.child, changes=[BookingChange(booking.opening_id, False)], acting_user=None, as_staff=True
        )
    [line] = world.invoice().lines.all()
    assert line.booking_id == booking.pk
    assert line.note == (
        "Annulation hors délai (règle : annulation hors délai facturée) – "
        "annulé le 11/03 à 19:40, délai : 10/03 à 12:00"
    )


def test_a_past_day_or_a_day_already_marked_cannot_be_reported(world):
    booking = world.book()
    with at(date(2026, 3, 13), 9), pytest.raises(DomainError, match="Ce jour est passé"):
        _report(world, booking)
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.PRESENT)
    with at(date(2026, 3, 12), 9), pytest.raises(DomainError, match="plus réservée"):
        _report(world, booking)


def test_the_line_explained_on_the_portal_page_and_the_invoice_pdf(world):
    from pypdf import PdfReader

    booking = world.book()
    with at(date(2026, 3, 11), 19, 40):
        _report(world, booking)
    invoice = world.invoice()
    client = client_for(world.tenant.family_user)
    page = page_text(client.get(world.tenant.url(f"mes-factures/{invoice.pk}/")))
    assert "signalée le 11/03 à 19:40, délai : 10/03 à 12:00" in page
    pdf = client.get(world.tenant.url(f"mes-factures/{invoice.pk}/pdf/"))
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert "délai : 10/03 à 12:00" in " ".join(text.split())


# --- Waiving a line ------------------------------------------------------------------------


def test_waiving_a_charged_absence_makes_a_partial_credit_note_of_that_line(world):
    booking = world.book()
    world.book(date(2026, 3, 13))
    with at(date(2026, 3, 11), 19, 40):
        _report(world, booking)
    invoice = world.invoice()
    assert invoice.total == Decimal("20.00")
    absence = invoice.lines.get(booking=booking)
    ordinary = invoice.lines.exclude(pk=absence.pk).get()
    client = client_for(world.tenant.admin)
    page = client.get(world.tenant.url(f"gestion/facturation/factures/{invoice.pk}/"))
    assert f"/lignes/{absence.pk}/remise/" in page_text(page)
    assert f"/lignes/{ordinary.pk}/remise/" not in page_text(page)
    response = client.post(
        world.tenant.url(f"gestion/facturation/lignes/{absence.pk}/remise/"),
        {"reason": "Enfant malade, certificat remis à l'accueil"},
    )
    assert response.status_code == 302
    credit = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE, credited_invoice=invoice)
    assert credit.total == Decimal("-10.00")
    [credited] = credit.lines.all()
    assert credited.credits_line_id == absence.pk and credited.amount == Decimal("-10.00")
    invoice.refresh_from_db()
    assert invoice.amount_credited == Decimal("10.00") and invoice.net_total == Decimal("10.00")
    # The same line cannot be waived twice; an ordinary day is not a penalty to waive.
    again = client.post(world.tenant.url(f"gestion/facturation/lignes/{absence.pk}/remise/"), {"reason": "x"})
    assert again.status_code == 400 and "remise" in page_text(again)
    refused = client.post(world.tenant.url(f"gestion/facturation/lignes/{ordinary.pk}/remise/"), {"reason": "x"})
    assert refused.status_code == 400
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1


def test_a_line_of_another_organisation_answers_404_and_nothing_is_credited(world, tenant_b):
    foreign = InvoiceLineFactory(organisation=tenant_b.organisation)
    client = client_for(world.tenant.admin)
    url = world.tenant.url(f"gestion/facturation/lignes/{foreign.pk}/remise/")
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "x"}).status_code == 404
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()


# --- Portal ---------------------------------------------------------------------------------


def test_two_taps_from_the_dashboard_report_the_absence_with_a_photo(world):
    booking = world.book()
    client = client_for(world.tenant.family_user)
    with at(date(2026, 3, 11), 19, 40):
        dashboard = client.get(world.tenant.url())
        link = f"/{world.org.slug}/reservations/{booking.pk}/absence/"
        assert link in page_text(dashboard)
        form = client.get(link)  # tap 1
        html = page_text(form)
        assert 'value="illness"' in html and "checked" in html  # "Maladie" chosen: no tap needed
        assert 'accept="image/*,application/pdf' in html and 'capture="environment"' in html
        assert "Le délai d'annulation" in html
        response = client.post(link, {"reason": "illness", "certificate": photo()})  # tap 2
    assert response.status_code == 302
    report = AbsenceReport.objects.get(booking=booking)
    assert report.certificate and report.reported_by == world.tenant.family_user


def test_a_bad_file_is_refused_in_french_and_nothing_changes(world):
    booking = world.book()
    client = client_for(world.tenant.family_user)
    fake = SimpleUploadedFile("certificat.jpg", b"MZ\x90\x00 not an image at all", content_type="image/jpeg")
    with at(date(2026, 3, 11), 19, 40):
        response = client.post(
            f"/{world.org.slug}/reservations/{booking.pk}/absence/", {"reason": "illness", "certificate": fake}
        )
    assert response.status_code == 400
    assert "accepté" in page_text(response) or "PDF" in page_text(response)
    assert not AbsenceReport.objects.exists()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED
    # Before the deadline too: a bad file does not cancel anything.
    with at(MONDAY, 18):
        fake.seek(0)
        response = client.post(
            f"/{world.org.slug}/reservations/{booking.pk}/absence/", {"reason": "illness", "certificate": fake}
        )
    assert response.status_code == 400
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED


def test_a_certificate_sent_later_from_the_dashboard(world):
    booking = world.book()
    client = client_for(world.tenant.family_user)
    with at(date(2026, 3, 11), 19, 40):
        client.post(f"/{world.org.slug}/reservations/{booking.pk}/absence/", {"reason": "illness"})
    report = AbsenceReport.objects.get(booking=booking)
    with at(date(2026, 3, 13), 9):
        dashboard = page_text(client.get(world.tenant.url()))
        url = f"/{world.org.slug}/absences/{report.pk}/certificat/"
        assert url in dashboard and "sans certificat" in dashboard
        empty = client.post(url, {})
        assert empty.status_code == 400 and "Choisissez le certificat" in page_text(empty)
        pdf = SimpleUploadedFile("c.pdf", pdf_bytes("Certificat"), content_type="application/pdf")
        assert client.post(url, {"certificate": pdf}).status_code == 302
    report.refresh_from_db()
    assert report.certificate_content_type == "application/pdf"
    file = client.get(f"/{world.org.slug}/absences/{report.pk}/certificat/fichier/")
    assert file.status_code == 200 and file["Content-Type"] == "application/pdf"


def test_another_familys_booking_or_report_answers_404(world, tenant_b):
    booking = world.book()
    with at(date(2026, 3, 11), 19, 40):
        report = _report(world, booking).report
    neighbour = client_for(world.tenant.other_family_user)
    for url in (
        f"/{world.org.slug}/reservations/{booking.pk}/absence/",
        f"/{world.org.slug}/absences/{report.pk}/certificat/",
        f"/{world.org.slug}/absences/{report.pk}/certificat/fichier/",
    ):
        assert neighbour.get(url).status_code == 404
        assert neighbour.post(url, {"reason": "illness", "certificate": photo()}).status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED and AbsenceReport.objects.count() == 1
    # Staff of another organisation.
    outsider = client_for(tenant_b.admin)
    for url in (f"absences/{report.pk}/certificat/", f"absences/{report.pk}/justifier/"):
        assert outsider.post(f"/{world.org.slug}/gestion/{url}").status_code in (302, 403, 404)
        assert outsider.post(f"/{tenant_b.organisation.slug}/gestion/{url}").status_code == 404
    report.refresh_from_db()
    assert report.justified_at is None


def test_the_dashboard_costs_the_same_queries_for_one_booked_day_or_five(world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.tenant.family_user)
    world.book()
    with at(MONDAY, 9), CaptureQueriesContext(connection) as one:
        assert client.get(world.tenant.url()).status_code == 200
    for day in range(1, 5):
        booking = world.book(THURSDAY + timedelta(days=day))
        if day == 1:
            with at(date(2026, 3, 11), 19, 40):
                _report(world, booking)
    with at(MONDAY, 9), CaptureQueriesContext(connection) as five:
        page = page_text(client.get(world.tenant.url()))
    assert page.count("Signaler une absence") >= 4 and "Absence signalée" in page
    assert len(five) == len(one)


def test_the_planning_offers_to_report_an_absence_on_its_booked_days(world):
    booking = world.book()
    client = client_for(world.tenant.family_user)
    with at(MONDAY, 9):
        page = page_text(
            client.get(f"/{world.org.slug}/reservations/enfant/{world.child.pk}/?vue=semaine&date=2026-03-12")
        )
    assert f"/reservations/{booking.pk}/absence/?next=" in page


# --- Back office ------------------------------------------------------------------------------


def test_the_roll_call_and_the_days_list_show_the_reported_absence(world, django_assert_num_queries):
    booking = world.book()
    with at(date(2026, 3, 11), 19, 40):
        report = _report(world, booking, upload=photo()).report
    client = client_for(world.tenant.admin)
    for page in ("pointage", "presences"):
        html = page_text(client.get(world.tenant.url(f"gestion/activites/{world.activity.pk}/{page}/?date=2026-03-12")))
        assert "Absence signalée" in html and "Maladie" in html
        assert f"/gestion/absences/{report.pk}/certificat/" in html
    certificate = client.get(world.tenant.url(f"gestion/absences/{report.pk}/certificat/"))
    assert certificate.status_code == 200 and certificate["Content-Type"] == "image/jpeg"


def test_staff_list_the_reported_absences_and_mark_one_justified(world):
    booking = world.book()
    with at(date(2026, 3, 11), 19, 40):
        report = _report(world, booking).report
    client = client_for(world.tenant.agent)
    listing = page_text(client.get(world.tenant.url("gestion/absences/?jour=2026-03-12")))
    assert "Léa" in listing and "Marquer justifiée" in listing
    assert "Léa" not in page_text(client.get(world.tenant.url("gestion/absences/?jour=2026-03-13")))
    assert client.get(world.tenant.url("gestion/absences/?jour=2026-02-31")).status_code == 200
    response = client.post(world.tenant.url(f"gestion/absences/{report.pk}/justifier/"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.justified_at is not None and report.justified_by == world.tenant.agent
    assert "Léa" in page_text(client.get(world.tenant.url("gestion/absences/?etat=justifiee")))
    assert "Léa" not in page_text(client.get(world.tenant.url("gestion/absences/?etat=a_justifier")))


def test_the_absence_rule_page_saves_the_rule_and_the_late_cancellation_setting(world):
    client = client_for(world.tenant.admin)
    url = world.tenant.url("gestion/absences/reglage/")
    assert client.get(url).status_code == 200
    response = client.post(url, {"certificate_days": "5", "charge_justified": "", "charge_unjustified": "on"})
    assert response.status_code == 302
    rule = AbsenceRule.objects.get(organisation=world.org)
    assert rule.certificate_days == 5 and rule.charge_unjustified and not rule.charge_justified
    assert not BillingSettings.objects.get(organisation=world.org).charge_late_cancellations
    bad = client.post(url, {"certificate_days": "-2"})
    assert bad.status_code == 400
    assert AbsenceRule.objects.get(organisation=world.org).certificate_days == 5
    assert client_for(world.tenant.agent).get(url).status_code == 403


def test_a_report_made_by_factory_is_reachable_only_within_its_organisation(tenant_a, tenant_b):
    report = AbsenceReportFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    assert (
        client_for(tenant_b.admin)
        .get(f"/{tenant_b.organisation.slug}/gestion/absences/{report.pk}/certificat/")
        .status_code
        == 404
    )
    assert client_for(tenant_a.admin).get(f"/{tenant_a.organisation.slug}/gestion/absences/").status_code == 200


def test_an_image_made_of_bytes_that_lie_is_refused_by_the_service(world):
    booking = world.book()
    out = BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    upload = SimpleUploadedFile("x.png", out.getvalue(), content_type="image/png")
    with at(date(2026, 3, 11), 19, 40), pytest.raises(DomainError) as refused:
        _report(world, booking, upload=upload)
    assert refused.value.field == "certificate"
    assert not AbsenceReport.objects.exists()
