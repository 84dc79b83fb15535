"""The back office's "Attribution des places": a director chooses first come, a fair waiting
room or wishes then a draw, with what each needs, without a shell (issue 20)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ribambelle.allocation.models import AllocationMode, AllocationSettings, PriorityClass, Wish
from ribambelle.allocation.services import configure_allocation
from ribambelle.waitingroom.models import RoomEntry, WaitingRoom
from ribambelle.waitingroom.services import join_room

from .conftest import client_for, page_text
from .test_bookings import setup  # noqa: F401 - the activity, its openings and Léa registered

PARIS = ZoneInfo("Europe/Paris")


def _url(tenant, activity):
    return tenant.url(f"gestion/activites/{activity.pk}/attribution/")


def _classes(*rows):
    data = {"classe-TOTAL_FORMS": "5", "classe-INITIAL_FORMS": "0"}
    for i, (label, resident, working) in enumerate(rows):
        data[f"classe-{i}-label"] = label
        if resident:
            data[f"classe-{i}-requires_resident"] = "on"
        if working:
            data[f"classe-{i}-requires_working_parents"] = "on"
    return data


def _room_fields(opens_at):
    return {
        "prequeue_from": (opens_at - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        "opens_at": opens_at.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (opens_at + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "admitted_per_interval": "80",
        "interval_seconds": "30",
        "pass_minutes": "12",
    }


def test_a_director_puts_a_fair_waiting_room_in_front_then_takes_it_away(tenant_a, setup):  # noqa: F811
    activity = setup["activity"]
    client = client_for(tenant_a.admin)
    page = page_text(client.get(_url(tenant_a, activity)))
    assert "Attribution des places" in page and "File d'attente équitable" in page
    opens_at = datetime(2031, 6, 3, 8, 30, tzinfo=PARIS)
    response = client.post(_url(tenant_a, activity), {"mode": "fair_queue", **_room_fields(opens_at), **_classes()})
    assert response.status_code == 302
    room = WaitingRoom.objects.get(activity=activity)
    assert room.opens_at == opens_at and room.admitted_per_interval == 80 and room.pass_minutes == 12
    assert AllocationSettings.objects.get(activity=activity).mode == AllocationMode.FAIR_QUEUE
    # The page shows the room back, then first come removes it.
    page = page_text(client.get(_url(tenant_a, activity)))
    assert 'value="2031-06-03T08:30"' in page
    assert client.post(_url(tenant_a, activity), {"mode": "first_come", **_classes()}).status_code == 302
    assert not WaitingRoom.objects.filter(activity=activity).exists()


def test_a_waiting_room_needs_its_times_and_nothing_changes_without_them(tenant_a, setup):  # noqa: F811
    activity = setup["activity"]
    client = client_for(tenant_a.admin)
    response = client.post(_url(tenant_a, activity), {"mode": "fair_queue", **_classes()})
    assert response.status_code == 400
    assert "obligatoire pour ce mode" in page_text(response)
    opens_at = datetime(2031, 6, 3, 8, 30, tzinfo=PARIS)
    fields = _room_fields(opens_at) | {"closes_at": (opens_at - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}
    response = client.post(_url(tenant_a, activity), {"mode": "fair_queue", **fields, **_classes()})
    assert response.status_code == 400 and "la salle d'attente ferme après l'ouverture" in page_text(response)
    assert not WaitingRoom.objects.exists() and not AllocationSettings.objects.exists()


def test_a_draw_with_its_window_cap_and_priority_classes(tenant_a, setup):  # noqa: F811
    activity = setup["activity"]
    client = client_for(tenant_a.admin)
    data = {
        "mode": "wishes_draw",
        "wishes_open_at": "2031-05-01T08:00",
        "wishes_close_at": "2031-05-15T18:00",
        "family_cap": "3",
        "siblings_together": "on",
        **_classes(("Résidents qui travaillent", True, True), ("Résidents", True, False), ("Autres", False, False)),
    }
    assert client.post(_url(tenant_a, activity), data).status_code == 302
    allocation = AllocationSettings.objects.get(activity=activity)
    assert allocation.family_cap == 3 and allocation.siblings_together
    assert allocation.wishes_close_at == datetime(2031, 5, 15, 18, 0, tzinfo=PARIS)
    classes = list(PriorityClass.objects.filter(settings=allocation).values_list("label", "requires_resident"))
    assert classes == [("Résidents qui travaillent", True), ("Résidents", True), ("Autres", False)]
    page = page_text(client.get(_url(tenant_a, activity)))
    assert 'value="Résidents qui travaillent"' in page and "Voir les vœux reçus et le tirage" in page


def test_families_promises_hold_wishes_made_and_families_waiting(tenant_a, setup):  # noqa: F811
    activity = setup["activity"]
    family = tenant_a.family_user.family
    configure_allocation(
        activity=activity,
        mode="wishes_draw",
        wishes_open_at=datetime(2031, 5, 1, 8, tzinfo=PARIS),
        wishes_close_at=datetime(2031, 5, 15, 18, tzinfo=PARIS),
    )
    Wish.objects.create(
        organisation=tenant_a.organisation,
        family=family,
        child=setup["lea"],
        activity=activity,
        opening=setup["openings"][0],
        preference=1,
    )
    client = client_for(tenant_a.admin)
    response = client.post(_url(tenant_a, activity), {"mode": "first_come", **_classes()})
    assert response.status_code == 400 and "Des familles ont déjà fait des vœux" in page_text(response)
    assert AllocationSettings.objects.get(activity=activity).mode == AllocationMode.WISHES_DRAW
    # A waiting room with a family in it: its opening can no longer move.
    Wish.objects.all().delete()
    opens_at = datetime(2031, 6, 3, 8, 30, tzinfo=PARIS)
    assert (
        client.post(
            _url(tenant_a, activity), {"mode": "fair_queue", **_room_fields(opens_at), **_classes()}
        ).status_code
        == 302
    )
    room = WaitingRoom.objects.get(activity=activity)
    join_room(room=room, family=family, now=opens_at - timedelta(minutes=1))
    moved = _room_fields(opens_at + timedelta(hours=1))
    response = client.post(_url(tenant_a, activity), {"mode": "fair_queue", **moved, **_classes()})
    assert response.status_code == 400 and "ne peuvent plus changer" in page_text(response)
    assert WaitingRoom.objects.get(activity=activity).opens_at == opens_at and RoomEntry.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organisations_activity_is_not_found(tenant_a, tenant_b, setup, method):  # noqa: F811
    client = client_for(tenant_b.admin)
    response = getattr(client, method)(
        tenant_b.url(f"gestion/activites/{setup['activity'].pk}/attribution/"), {"mode": "first_come", **_classes()}
    )
    assert response.status_code == 404
    assert not AllocationSettings.objects.exists()


def test_a_family_login_cannot_open_the_page(tenant_a, setup):  # noqa: F811
    response = client_for(tenant_a.family_user).get(_url(tenant_a, setup["activity"]))
    assert response.status_code in (302, 403, 404)
    assert not AllocationSettings.objects.exists()
