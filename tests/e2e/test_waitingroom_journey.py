"""The fair waiting room in a real browser (issue 20): the parent enters the pre-queue (robot
check), sees the countdown in place of the form, then its position once the room opens, is
admitted by the page's own refresh (htmx, with jitter, polling with its ticket), follows the link
and books a day. axe-clean at each step."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ribambelle.accounts.consent import record_consents
from ribambelle.activities.services import generate_openings
from ribambelle.bookings.models import Booking
from ribambelle.waitingroom.models import RoomEntry, WaitingRoom
from ribambelle.waitingroom.services import join_room

from ..factories import (
    ActivityFactory,
    FamilyFactory,
    FamilyUserFactory,
    GroupFactory,
    OrganisationFactory,
    PersonFactory,
    RegistrationFactory,
    UnitFactory,
)
from .conftest import assert_accessible, log_in, prove_not_robot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def opening_day(db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    organisation = OrganisationFactory(name="Communauté de communes Quercy Vert-Aveyron", slug="quercy")
    start = timezone.localdate() + timedelta(days=28)
    start -= timedelta(days=start.weekday())
    activity = ActivityFactory(
        organisation=organisation, name="Stage multisport", start_date=start, end_date=start + timedelta(days=4)
    )
    group = GroupFactory(organisation=organisation, activity=activity, name="6-12 ans", default_capacity=12)
    UnitFactory(organisation=organisation, activity=activity, name="Journée")
    generate_openings(activity=activity)
    parent = FamilyUserFactory(organisation=organisation, email="julie.martin@famille.example", family__name="MARTIN")
    lea = PersonFactory(organisation=organisation, family=parent.family, first_name="Léa")
    RegistrationFactory(organisation=organisation, family=parent.family, child=lea, group=group)
    record_consents(user=parent, personal=True, health=True)
    opens_at = timezone.now() + timedelta(seconds=25)
    room = WaitingRoom.objects.create(
        organisation=organisation,
        activity=activity,
        prequeue_from=timezone.now() - timedelta(minutes=5),
        opens_at=opens_at,
        closes_at=opens_at + timedelta(hours=1),
        admitted_per_interval=1,
        interval_seconds=8,
        pass_minutes=10,
    )
    # Two other families in the pre-queue, drawn before ours: one is let in at the opening,
    # the other one interval later, ours the interval after.
    for key in (-2, -1):
        other = join_room(room=room, family=FamilyFactory(organisation=organisation))
        RoomEntry.objects.filter(pk=other.pk).update(sort_key=key)
    return {"activity": activity, "lea": lea, "room": room, "start": start}


def test_countdown_position_admitted_then_booking_saved(live_server, page, opening_day):
    base = live_server.url + "/quercy/"
    log_in(page, base, "julie.martin@famille.example", "Test-Passw0rd-Ok")
    # The dashboard tells of the room, and leads in.
    assert page.get_by_role("heading", name="« Stage multisport » : salle d'attente équitable").is_visible()
    assert_accessible(page, context="tableau de bord, salle d'attente annoncée")
    page.get_by_role("link", name="Aller à la salle d'attente").click()
    page.wait_for_url(re.compile(rf"/salle-attente/{opening_day['activity'].pk}/$"))
    assert page.get_by_role("heading", name=re.compile("Salle d'attente")).is_visible()
    prove_not_robot(page)
    assert_accessible(page, context="salle d'attente, entrée")
    page.get_by_role("button", name="Entrer dans la salle d'attente").click()

    # The answer takes the form's place (htmx, no second page) and the focus.
    expect(page.locator("#room-status")).to_be_focused()
    status = page.get_by_role("status")
    assert re.search(r"Ouverture dans 00:00:\d\d", status.inner_text())
    assert_accessible(page, context="salle d'attente, compte à rebours")
    # The page refreshes itself: at the opening, one family before ours.
    page.get_by_text("1 famille devant vous").wait_for(timeout=40_000)
    assert "environ 1 minute" in status.inner_text()
    assert_accessible(page, context="salle d'attente, position")
    page.get_by_text("C'est votre tour").wait_for(timeout=40_000)
    assert_accessible(page, context="salle d'attente, admis")

    # The button opens Léa's planning at the activity's first week.
    page.get_by_role("link", name="Réserver les journées de Léa").click()
    page.wait_for_url(
        re.compile(rf"/reservations/enfant/{opening_day['lea'].pk}/.*date={opening_day['start']:%Y-%m-%d}")
    )
    page.locator("td.cell-free label.cell-btn").first.click()
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("1 journée(s) réservée(s)").is_visible()
    assert Booking.objects.filter(child=opening_day["lea"], status="booked").count() == 1
    assert page.js_errors == []
