"""The roll call that works offline, server side: taps sent in batches by a device, each applied
once (a retry never doubles it), the later tap winning a disagreement, conflicts shown in the back
office, every booking checked against the staff member's reach."""

import json
import re
import uuid
from datetime import time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ribambelle.bookings.models import AttendanceTap, Booking
from ribambelle.core.models import AuditEntry
from ribambelle.tenancy.roles import Role

from .conftest import client_for, page_text
from .factories import (
    ActivityFactory,
    BookingFactory,
    MembershipFactory,
    MembershipStructureFactory,
    OpeningFactory,
    StructureFactory,
)
from .test_posted_ids import _snapshot

pytestmark = pytest.mark.django_db


def _today_bookings(organisation, n=3, structure=None):
    today = timezone.localdate()
    extra = {"structure": structure, "sector": structure.sector} if structure else {}
    activity = ActivityFactory(organisation=organisation, start_date=today, end_date=today, **extra)
    opening = OpeningFactory(organisation=organisation, activity=activity, capacity=30)
    return [
        BookingFactory(
            organisation=organisation,
            registration__group=opening.group,
            registration__child__first_name=f"Enfant{i}",
            opening=opening,
        )
        for i in range(n)
    ]


def _tap(booking, status="present", *, at=None, arrived="08:05", left="", tap_id=None) -> dict:
    return {
        "id": str(tap_id or uuid.uuid4()),
        "booking": booking.pk,
        "status": status,
        "arrived_at": arrived if status == "present" else "",
        "left_at": left,
        "at": (at or timezone.now()).isoformat(),
    }


def _send(client, tenant, taps):
    return client.post(
        tenant.url("gestion/pointage/envoi/"), data=json.dumps({"taps": taps}), content_type="application/json"
    )


def test_a_batch_of_ten_taps_is_applied_once_and_sent_again_changes_nothing(tenant_a):
    bookings = _today_bookings(tenant_a.organisation, n=10)
    client = client_for(tenant_a.agent)
    batch = [_tap(b, "present" if i % 3 else "absent") for i, b in enumerate(bookings)]
    response = _send(client, tenant_a, batch)
    assert response.status_code == 200
    answer = response.json()
    assert [r["outcome"] for r in answer["results"]] == ["applied"] * 10
    statuses = dict(Booking.objects.filter(pk__in=[b.pk for b in bookings]).values_list("pk", "status"))
    assert statuses == {b.pk: "present" if i % 3 else "absent" for i, b in enumerate(bookings)}
    assert Booking.objects.get(pk=bookings[1].pk).arrived_at == time(8, 5)
    assert AttendanceTap.objects.filter(organisation=tenant_a.organisation).count() == 10
    assert AuditEntry.objects.filter(action="attendance").count() == 10
    assert answer["bookings"][str(bookings[1].pk)] == {"status": "present", "arrived_at": "08:05", "left_at": ""}

    # The answer was lost on the way: the device sends the same batch again, then again.
    before = _snapshot()
    for _attempt in range(2):
        again = _send(client, tenant_a, batch)
        assert again.status_code == 200
        assert [r["outcome"] for r in again.json()["results"]] == ["duplicate"] * 10
    assert _snapshot() == before


def test_a_batch_mixing_sent_and_new_taps_applies_only_the_new_ones(tenant_a):
    first, second = _today_bookings(tenant_a.organisation, n=2)
    client = client_for(tenant_a.agent)
    old = _tap(first, "present")
    _send(client, tenant_a, [old])
    new = _tap(second, "excused")
    outcomes = {r["id"]: r["outcome"] for r in _send(client, tenant_a, [old, new]).json()["results"]}
    assert outcomes == {old["id"]: "duplicate", new["id"]: "applied"}
    assert AttendanceTap.objects.count() == 2
    assert Booking.objects.get(pk=second.pk).status == "excused"


def test_ids_of_another_organisation_or_another_structure_are_refused_and_change_nothing(tenant_a, tenant_b):
    org = tenant_a.organisation
    mine, other = StructureFactory(organisation=org), StructureFactory(organisation=org)
    membership = MembershipFactory(organisation=org, role=Role.AGENT)
    MembershipStructureFactory(organisation=org, membership=membership, structure=mine)
    own = _today_bookings(org, n=1, structure=mine)[0]
    theirs = _today_bookings(org, n=1, structure=other)[0]
    foreign = _today_bookings(tenant_b.organisation, n=1)[0]
    client = client_for(membership.user)
    before = _snapshot()
    for batch in ([_tap(theirs)], [_tap(foreign)], [_tap(own), _tap(theirs)], [_tap(own), _tap(foreign)]):
        response = _send(client, tenant_a, batch)
        assert response.status_code == 400
        assert "hors de votre portée" in response.json()["error"]
        assert response.json()["refused"] == [batch[-1]["id"]]  # the device drops those, keeps the others
        assert _snapshot() == before
    # An id that is no booking at all, as well.
    ghost = {**_tap(own), "booking": 10**9}
    assert _send(client, tenant_a, [ghost]).status_code == 400
    assert _snapshot() == before
    # Control: their own centre's child is marked.
    assert _send(client, tenant_a, [_tap(own)]).status_code == 200
    assert Booking.objects.get(pk=own.pk).status == "present"


def test_a_conflict_keeps_the_later_tap_whatever_the_order_they_arrive_in(tenant_a):
    org = tenant_a.organisation
    booking, other = _today_bookings(org, n=2)
    colleague = MembershipFactory(organisation=org, role=Role.AGENT, user__first_name="Inès", user__last_name="ROCHE")
    now = timezone.now()
    # The colleague's tablet was offline: her "Présent" of 09:00 arrives after the agent's "Absent" of 09:05.
    _send(client_for(tenant_a.agent), tenant_a, [_tap(booking, "absent", at=now - timedelta(minutes=55))])
    late = _send(client_for(colleague.user), tenant_a, [_tap(booking, "present", at=now - timedelta(hours=1))])
    assert late.json()["results"][0]["outcome"] == "superseded"
    assert late.json()["results"][0]["conflict"] is True
    assert late.json()["bookings"][str(booking.pk)]["status"] == "absent"
    assert Booking.objects.get(pk=booking.pk).status == "absent"
    # In the other order the later one wins too: absent at 09:05 received after present at 09:00.
    _send(client_for(colleague.user), tenant_a, [_tap(other, "present", at=now - timedelta(hours=1))])
    answer = _send(client_for(tenant_a.agent), tenant_a, [_tap(other, "absent", at=now - timedelta(minutes=55))])
    assert answer.json()["results"][0] == {**answer.json()["results"][0], "outcome": "applied", "conflict": True}
    assert Booking.objects.get(pk=other.pk).status == "absent"

    # Both are shown in the back office: a flag on the roll call, and the day's list of conflicts.
    activity_id = booking.activity_id
    roll_call = page_text(client_for(tenant_a.admin).get(tenant_a.url(f"gestion/activites/{activity_id}/pointage/")))
    assert "2 conflits de pointage ce jour-là" in roll_call
    assert roll_call.count("Conflit de pointage :") == 2
    assert "Inès ROCHE avait noté « Présent » à" in roll_call and "plus ancien, est écarté" in roll_call
    listing = client_for(tenant_a.admin).get(tenant_a.url(f"gestion/activites/{activity_id}/pointage/conflits/"))
    assert listing.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", page_text(listing), flags=re.S)[1:]
    assert len(rows) == 2
    for row in rows:
        kept, set_aside = re.findall(r"<td>(.*?)</td>", row, flags=re.S)[1:]
        assert "Absent" in kept and "Présent" in set_aside and "Inès ROCHE" in set_aside


def test_same_device_time_the_later_receipt_wins_and_a_change_of_mind_is_no_conflict(tenant_a):
    org = tenant_a.organisation
    booking, other = _today_bookings(org, n=2)
    colleague = MembershipFactory(organisation=org, role=Role.AGENT)
    at = timezone.now() - timedelta(minutes=5)
    _send(client_for(tenant_a.agent), tenant_a, [_tap(booking, "absent", at=at)])
    _send(client_for(colleague.user), tenant_a, [_tap(booking, "present", at=at)])
    assert Booking.objects.get(pk=booking.pk).status == "present"
    # One animateur correcting their own tap: the later wins, nobody else disagreed.
    client = client_for(tenant_a.agent)
    _send(client, tenant_a, [_tap(other, "present", at=at), _tap(other, "excused", at=at + timedelta(minutes=1))])
    assert Booking.objects.get(pk=other.pk).status == "excused"
    assert not AttendanceTap.objects.filter(booking=other, conflicts_with__isnull=False).exists()


def test_a_device_clock_running_ahead_cannot_win_every_disagreement(tenant_a):
    booking = _today_bookings(tenant_a.organisation, n=1)[0]
    _send(client_for(tenant_a.agent), tenant_a, [_tap(booking, "absent", at=timezone.now() + timedelta(days=1))])
    tap = AttendanceTap.objects.get()
    assert tap.tapped_at <= tap.received_at
    # The form posted a minute later (server time) wins over the clock from the future.
    client_for(tenant_a.admin).post(tenant_a.url(f"gestion/reservations/{booking.pk}/presence/"), {"status": "present"})
    assert Booking.objects.get(pk=booking.pk).status == "present"


def test_a_tap_the_rules_refuse_is_kept_as_refused_and_not_retried(tenant_a):
    cancelled = _today_bookings(tenant_a.organisation, n=1)[0]
    Booking.objects.filter(pk=cancelled.pk).update(status="cancelled")
    client = client_for(tenant_a.agent)
    tap = _tap(cancelled)
    result = _send(client, tenant_a, [tap]).json()["results"][0]
    assert result["outcome"] == "rejected" and "pas de réservation" in result["message"]
    assert _send(client, tenant_a, [tap]).json()["results"][0]["outcome"] == "duplicate"
    assert Booking.objects.get(pk=cancelled.pk).status == "cancelled"


@pytest.mark.parametrize(
    "body",
    [
        "pas du JSON",
        json.dumps({"taps": []}),
        json.dumps({"taps": "x"}),
        json.dumps([1, 2]),
        json.dumps({"taps": [{"id": "pas-un-uuid", "booking": 1, "status": "present", "at": "2026-01-01T08:00Z"}]}),
        json.dumps({"taps": [{"id": str(uuid.uuid4()), "booking": "x", "status": "present", "at": "x"}]}),
        json.dumps({"taps": [{"id": str(uuid.uuid4()), "booking": 1, "status": "present", "at": "2026-01-01T08:00"}]}),
        json.dumps(
            {"taps": [{"id": str(uuid.uuid4()), "booking": 10**30, "status": "present", "at": "2026-01-01T08:00Z"}]}
        ),
        json.dumps({"taps": [None]}),
        json.dumps({"taps": [{"id": str(uuid.uuid4()), "booking": 1, "status": "present", "at": "0001-01-01T00:00Z"}]}),
    ],
)
def test_an_unreadable_batch_gets_a_french_message_and_changes_nothing(tenant_a, body):
    client = client_for(tenant_a.agent)
    before = _snapshot()
    response = client.post(tenant_a.url("gestion/pointage/envoi/"), data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]
    assert _snapshot() == before


def test_bad_times_and_unknown_states_are_refused_in_french(tenant_a):
    booking = _today_bookings(tenant_a.organisation, n=1)[0]
    client = client_for(tenant_a.agent)
    response = _send(client, tenant_a, [_tap(booking, arrived="25:99")])
    assert response.status_code == 400 and "HH:MM" in response.json()["error"]
    result = _send(client, tenant_a, [_tap(booking, "parti")]).json()["results"][0]
    assert result["outcome"] == "rejected" and "Choisissez présent" in result["message"]
    assert Booking.objects.get(pk=booking.pk).status == "booked"


def test_the_endpoint_is_for_staff_who_mark_attendance_with_a_csrf_token(tenant_a):
    booking = _today_bookings(tenant_a.organisation, n=1)[0]
    url = tenant_a.url("gestion/pointage/envoi/")
    assert client_for(tenant_a.agent).get(url).status_code == 405
    assert _send(Client(), tenant_a, [_tap(booking)]).status_code == 302  # to the login page
    assert _send(client_for(tenant_a.family_user), tenant_a, [_tap(booking)]).status_code == 403
    finance = MembershipFactory(organisation=tenant_a.organisation, role=Role.FINANCE).user
    assert _send(client_for(finance), tenant_a, [_tap(booking)]).status_code == 403
    # CSRF: refused without the token, accepted with the page's token in the header.
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant_a.agent, backend="ribambelle.accounts.backends.OrganisationEmailBackend")
    body = json.dumps({"taps": [_tap(booking)]})
    assert client.post(url, data=body, content_type="application/json").status_code == 403
    page = client.get(tenant_a.url(f"gestion/activites/{booking.activity_id}/pointage/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    assert client.post(url, data=body, content_type="application/json", HTTP_X_CSRFTOKEN=token).status_code == 200
    assert Booking.objects.get(pk=booking.pk).status == "present"


def test_the_form_without_javascript_still_marks_and_departure_records_the_time(tenant_a):
    booking = _today_bookings(tenant_a.organisation, n=1)[0]
    client = client_for(tenant_a.agent)
    url = tenant_a.url(f"gestion/reservations/{booking.pk}/presence/")
    response = client.post(url, {"status": "present", "arrived_at": "08:10"})
    assert response.status_code == 302
    client.post(url, {"status": "left", "arrived_at": "08:10", "left_at": "16:45"})
    booking.refresh_from_db()
    assert (booking.status, booking.arrived_at, booking.left_at) == ("present", time(8, 10), time(16, 45))
    client.post(url, {"status": "left", "arrived_at": "08:10", "left_at": ""})
    booking.refresh_from_db()
    assert booking.left_at is not None  # "Départ" with no time typed: now
    assert AttendanceTap.objects.filter(booking=booking, outcome="applied").count() == 3


def test_the_roll_call_is_installable_and_its_service_worker_covers_it(tenant_a):
    booking = _today_bookings(tenant_a.organisation, n=1)[0]
    client = client_for(tenant_a.agent)
    roll_call = tenant_a.url(f"gestion/activites/{booking.activity_id}/pointage/")
    html = page_text(client.get(roll_call))
    assert 'rel="manifest"' in html and 'crossorigin="use-credentials"' in html
    assert 'id="taps-pending"' in html and 'aria-live="polite"' in html
    assert "js/roll_call_offline.js" in html and 'id="roll-call-texts"' in html
    manifest = client.get(roll_call + "manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert data["start_url"] == roll_call and data["scope"] == roll_call and data["display"] == "standalone"
    assert [icon["sizes"] for icon in data["icons"]] == ["192x192", "512x512"]
    # The worker: public like a static file, its scope the back office (every activity's roll call).
    worker = Client().get(tenant_a.url("gestion/pointage-sw.js"))
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == tenant_a.url("gestion/")
    source = worker.content.decode()
    assert "/static/js/roll_call_offline.js" in source and "__VERSION__" not in source
    assert roll_call.startswith(worker["Service-Worker-Allowed"])
