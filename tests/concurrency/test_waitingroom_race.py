"""Twenty tabs and devices of one family join the waiting room in the same instant: one
place. Runs on PostgreSQL (the unique constraint makes the other inserts wait, then fail,
and each reads the winner's place back) and on SQLite (writers serialised).

Computing the place's key is slowed (as on a loaded server) so every request has looked
for an existing place and found none before any of them inserts."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from django_scopes import scope

from ribambelle.waitingroom import services
from ribambelle.waitingroom.models import RoomEntry, WaitingRoom

from ..factories import ActivityFactory, FamilyFactory, OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)

TABS = 20


def test_twenty_concurrent_joins_of_one_family_make_one_place(monkeypatch):
    sort_key = services._sort_key

    def slow(*args, **kwargs):
        time.sleep(0.05)
        return sort_key(*args, **kwargs)

    monkeypatch.setattr(services, "_sort_key", slow)
    organisation = OrganisationFactory()
    activity = ActivityFactory(organisation=organisation)
    opens_at = timezone.now() + timedelta(minutes=5)
    room = WaitingRoom.objects.create(
        organisation=organisation,
        activity=activity,
        opens_at=opens_at,
        prequeue_from=opens_at - timedelta(minutes=30),
        closes_at=opens_at + timedelta(hours=1),
    )
    family = FamilyFactory(organisation=organisation)
    barrier = threading.Barrier(TABS)
    entries, errors = [], []

    def join():
        try:
            barrier.wait(timeout=30)
            with scope(organisation=organisation.pk):
                entries.append(services.join_room(room=room, family=family).pk)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=join) for _ in range(TABS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(entries) == TABS and len(set(entries)) == 1
    assert RoomEntry.objects.filter(room=room).count() == 1
