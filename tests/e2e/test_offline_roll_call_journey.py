"""Issue 17, "Done when": the roll call with the network cut, in a real browser.

An animateur opens the day's roll call (the service worker keeps it on the tablet), the network
goes (Playwright's offline mode), they mark 10 children, reload the page still offline and still
see the marks, the network comes back and every mark reaches the server exactly once; the same
batch sent again changes nothing. axe finds nothing on the page, online and offline."""

import re

import pytest
from django.core.signals import request_started
from django.utils import timezone
from playwright.sync_api import expect

from ribambelle.bookings.models import AttendanceTap, Booking
from ribambelle.tenancy.roles import Role

from ..factories import (
    PASSWORD,
    ActivityFactory,
    BookingFactory,
    HealthRecordFactory,
    MembershipFactory,
    OpeningFactory,
    OrganisationFactory,
)
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAMES = ["Léa", "Tom", "Inès", "Jules", "Chloé", "Adam", "Zoé", "Louis", "Jade", "Hugo", "Emma", "Nina"]
# The 10 taps: 7 present, 2 absent, 1 justified absence.
MARKS = {name: "Présent" for name in NAMES[:7]} | {"Louis": "Absent", "Jade": "Absent", "Hugo": "Justifié"}
STATUS = {"Présent": "present", "Absent": "absent", "Justifié": "excused"}


@pytest.fixture
def today_list(db):
    organisation = OrganisationFactory(
        name="Communauté de communes Quercy Vert-Aveyron",
        short_name="CC Quercy Vert-Aveyron",
        slug="quercy",
        primary_colour="#1d5e3a",
    )
    MembershipFactory(organisation=organisation, role=Role.AGENT, user__email="animateur@quercy.example")
    today = timezone.localdate()
    activity = ActivityFactory(organisation=organisation, name="Périscolaire soir", start_date=today, end_date=today)
    opening = OpeningFactory(organisation=organisation, activity=activity, capacity=30)
    bookings = {
        name: BookingFactory(
            organisation=organisation,
            registration__group=opening.group,
            registration__child__first_name=name,
            registration__family__name=f"FAMILLE{i}",
            opening=opening,
        )
        for i, name in enumerate(NAMES)
    }
    lea = bookings["Léa"]
    HealthRecordFactory(
        organisation=organisation, family=lea.family, child=lea.child, allergies="Arachide", has_pai=True
    )
    return {"activity": activity, "bookings": bookings}


@pytest.fixture
def server_hits():
    """Paths the test server was asked for, to prove nothing reached it while offline."""
    paths = []

    def record(sender, environ=None, **kwargs):
        paths.append(environ.get("PATH_INFO", "") if environ else "")

    request_started.connect(record, weak=False)
    yield paths
    request_started.disconnect(record)


def _card(page, name):
    return page.locator(".roll-card", has=page.get_by_text(re.compile(rf"FAMILLE\d+ {name}$")))


def test_mark_ten_children_offline_reload_and_send_once_back_online(live_server, page, today_list, server_hits):
    base = live_server.url + "/quercy/"
    log_in(page, base + "gestion/connexion/", "animateur@quercy.example", PASSWORD)
    page.wait_for_url(re.compile("/gestion/$"))
    roll_call = base + f"gestion/activites/{today_list['activity'].pk}/pointage/"
    page.goto(roll_call)
    assert page.get_by_role("heading", name=re.compile("Pointage")).is_visible()
    assert_accessible(page, context="pointage en ligne")
    # The worker is installed and has kept the day's list on the device.
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.wait_for_function(
        "async () => (await (await caches.open('rb-pointage-pages')).keys()).length > 0", polling=200
    )

    context = page.context
    context.set_offline(True)
    server_hits.clear()
    for name, button in MARKS.items():
        _card(page, name).get_by_role("button", name=f"{button} – {name}").click()
    pending = page.locator("#taps-pending")
    expect(pending).to_contain_text("10 pointages en attente d'envoi")
    assert "Hors ligne" in pending.inner_text()
    assert _card(page, "Tom").locator(".roll-state").inner_text().startswith("P Présent · arrivé à")

    # Reloaded without network: the kept list, with the marks waiting on the device.
    response = page.reload()
    assert response.from_service_worker
    assert page.get_by_role("heading", name=re.compile("Pointage")).is_visible()
    for name, button in MARKS.items():
        state = _card(page, name).locator(".roll-state").inner_text()
        assert ("Absence justifiée" if button == "Justifié" else button) in state and "non envoyé" in state, state
    expect(page.locator("#taps-pending")).to_contain_text("10 pointages en attente d'envoi")
    # The care flags are there offline too.
    assert "Allergies : Arachide" in _card(page, "Léa").inner_text()
    assert_accessible(page, context="pointage hors ligne")
    # Nothing reached the server while offline: neither the list nor a tap. (Chromium's own check
    # for a new version of the worker script is not covered by Playwright's offline mode: it may
    # show up here, and is no data.)
    assert [p for p in server_hits if "pointage" in p and not p.endswith("/pointage-sw.js")] == [], server_hits
    assert not AttendanceTap.objects.exists()
    assert set(Booking.objects.values_list("status", flat=True)) == {"booked"}

    # The network is back: the waiting taps go, each applied once.
    context.set_offline(False)
    expect(page.locator("#taps-pending")).to_have_text("Tous les pointages sont envoyés.")
    taps = list(AttendanceTap.objects.all())
    assert len(taps) == 10 and len({t.tap_id for t in taps}) == 10
    assert all(t.outcome == "applied" for t in taps)
    statuses = {b.child.first_name: b.status for b in Booking.objects.select_related("child")}
    assert statuses == {name: STATUS.get(MARKS.get(name), "booked") for name in NAMES}
    tom = Booking.objects.get(pk=today_list["bookings"]["Tom"].pk)
    assert tom.arrived_at is not None  # "Présent" tapped offline: the arrival time of the tap
    assert "non envoyé" not in page.locator(".roll-call").inner_text()
    assert_accessible(page, context="pointage après envoi")

    # The same batch sent twice more (the answer lost on the way): nothing changes.
    before = sorted(Booking.objects.values_list("pk", "status", "arrived_at", "left_at", "updated_at"))
    outcomes = page.evaluate(
        """async () => {
          const db = await new Promise((ok) => {
            const r = indexedDB.open('rb-pointage', 1); r.onsuccess = () => ok(r.result);
          });
          const taps = await new Promise((ok) => {
            const r = db.transaction('taps').objectStore('taps').getAll(); r.onsuccess = () => ok(r.result);
          });
          const root = document.getElementById('roll-call-sync');
          const token = document.querySelector('input[name=csrfmiddlewaretoken]').value;
          const send = () => fetch(root.dataset.tapsUrl, {method: 'POST', credentials: 'same-origin',
              headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
              body: JSON.stringify({taps: taps.map(({id, booking, status, arrived_at, left_at, at}) =>
                  ({id, booking, status, arrived_at, left_at, at}))})}).then((r) => r.json());
          const first = await send(); const second = await send();
          return [taps.length, ...first.results.map((r) => r.outcome), ...second.results.map((r) => r.outcome)];
        }"""
    )
    assert outcomes == [10] + ["duplicate"] * 20
    assert AttendanceTap.objects.count() == 10
    assert sorted(Booking.objects.values_list("pk", "status", "arrived_at", "left_at", "updated_at")) == before

    # Online, a tap goes at once: "Départ" records the departure time.
    # Wait for the server's answer to that tap: the counter already said "all sent" before it.
    with page.expect_response(lambda r: r.request.method == "POST" and "pointage/envoi" in r.url and r.ok):
        _card(page, "Tom").get_by_role("button", name="Départ – Tom").click()
    expect(_card(page, "Tom").locator(".roll-state")).to_contain_text("parti à")
    expect(page.locator("#taps-pending")).to_have_text("Tous les pointages sont envoyés.")
    assert Booking.objects.get(pk=tom.pk).left_at is not None
    # The phone page never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    # The browser's own failed requests while offline are not script errors.
    assert not [e for e in page.js_errors if "ERR_INTERNET_DISCONNECTED" not in e], page.js_errors

    # Logging out takes the kept lists (health flags) off the device.
    assert page.evaluate("caches.has('rb-pointage-pages')")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile("/connexion/"))
    page.wait_for_function("async () => !(await caches.has('rb-pointage-pages'))", polling=200)


def test_the_roll_call_on_a_tablet_is_accessible_and_fits(live_server, browser, today_list):
    context = browser.new_context(locale="fr-FR", viewport={"width": 820, "height": 1180}, timezone_id="Europe/Paris")
    page = context.new_page()
    try:
        base = live_server.url + "/quercy/"
        log_in(page, base + "gestion/connexion/", "animateur@quercy.example", PASSWORD)
        page.wait_for_url(re.compile("/gestion/$"))
        page.goto(base + f"gestion/activites/{today_list['activity'].pk}/pointage/")
        _card(page, "Léa").get_by_role("button", name="Présent – Léa").click()
        expect(page.locator("#taps-pending")).to_have_text("Tous les pointages sont envoyés.")
        assert Booking.objects.get(pk=today_list["bookings"]["Léa"].pk).status == "present"
        assert_accessible(page, context="pointage tablette")
        assert page.evaluate("document.documentElement.scrollWidth") <= 820
    finally:
        context.close()
