"""The issue's journey: a parent reports an absence with a photo of the certificate in two taps from
the dashboard (the taps are counted), then a director sees it in "Absences signalées"; axe clean."""

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ribambelle.absences.models import AbsenceReport, AbsenceRule
from ribambelle.accounts.consent import record_consents
from ribambelle.activities.models import Opening
from ribambelle.bookings.models import BookingStatus
from ribambelle.bookings.services import BookingChange, save_bookings
from ribambelle.documents import samples

from ..factories import (
    PASSWORD,
    ActivityFactory,
    FamilyUserFactory,
    GroupFactory,
    MembershipFactory,
    OpeningFactory,
    OrganisationFactory,
    PersonFactory,
    RegistrationFactory,
    UnitFactory,
)
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quercy(db):
    organisation = OrganisationFactory(name="Communauté de communes Quercy Vert-Aveyron", slug="quercy")
    MembershipFactory(organisation=organisation, role="director", user__email="directrice@quercy.example")
    parent = FamilyUserFactory(organisation=organisation, email="julie.martin@famille.example", family__name="MARTIN")
    record_consents(user=parent, personal=True, health=True)
    AbsenceRule.objects.create(organisation=organisation, certificate_days=3)
    tomorrow = timezone.localdate() + timedelta(days=1)
    # Two days before at noon: tomorrow's deadline has passed, the day will stay booked.
    activity = ActivityFactory(
        organisation=organisation,
        name="Mercredis",
        start_date=tomorrow,
        end_date=tomorrow,
        deadline_days=2,
        deadline_time=time(12),
        deadline_working_days=False,
    )
    unit = UnitFactory(organisation=organisation, activity=activity, name="Journée")
    group = GroupFactory(organisation=organisation, activity=activity)
    child = PersonFactory(organisation=organisation, family=parent.family, first_name="Léa")
    RegistrationFactory(organisation=organisation, family=parent.family, child=child, group=group)
    opening = Opening.objects.filter(activity=activity, date=tomorrow).first() or OpeningFactory(
        organisation=organisation, activity=activity, unit=unit, group=group, date=tomorrow
    )
    save_bookings(child=child, changes=[BookingChange(opening.pk, True)], acting_user=None, as_staff=True)
    return organisation


def test_parent_reports_an_absence_with_a_photo_in_two_taps(live_server, browser, page, quercy):
    base = live_server.url + "/quercy/"
    log_in(page, base, "julie.martin@famille.example", PASSWORD)
    page.wait_for_url(base)
    expect(page.get_by_role("heading", name="Prochaines journées")).to_be_visible()
    assert_accessible(page, context="tableau de bord")

    taps = 0
    page.get_by_role("link", name=re.compile("^Signaler une absence – Léa")).click()
    taps += 1
    expect(page.get_by_role("heading", name="Signaler une absence")).to_be_visible()
    assert page.get_by_label("Maladie").is_checked()  # the usual reason is already chosen
    assert_accessible(page, context="signaler une absence")
    camera = page.get_by_label("Certificat (photo ou PDF, facultatif)")
    assert camera.get_attribute("capture") == "environment"
    assert camera.get_attribute("accept").startswith("image/*,application/pdf")
    # The phone's camera hands the photo to the input (what Playwright does without a tap).
    camera.set_input_files(
        {"name": "IMG_3107.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg_bytes("Certificat", with_gps=True)}
    )
    page.get_by_role("button", name="Signaler l'absence").click()
    taps += 1
    expect(page.get_by_text("signalée, avec son certificat")).to_be_visible()
    assert taps == 2
    expect(page.locator(".upcoming-days").get_by_text("Absence signalée")).to_be_visible()
    assert_accessible(page, context="absence signalée")
    report = AbsenceReport.objects.get()
    assert report.booking.status == BookingStatus.BOOKED and report.certificate_content_type == "image/jpeg"
    assert not page.js_errors

    staff = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    desk = staff.new_page()
    log_in(desk, base + "gestion/connexion/", "directrice@quercy.example", PASSWORD)
    desk.wait_for_url("**/gestion/")
    desk.get_by_role("link", name="Absences signalées").click()
    expect(desk.get_by_role("heading", name="Absences signalées")).to_be_visible()
    expect(desk.get_by_role("link", name=re.compile("^Certificat – Léa"))).to_be_visible()
    assert_accessible(desk, context="absences signalées")
    desk.get_by_role("button", name=re.compile("^Marquer justifiée – Léa")).click()
    expect(desk.get_by_text("marquée justifiée")).to_be_visible()
    staff.close()
