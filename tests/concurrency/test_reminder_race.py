"""Two reminder sweeps at the same instant (two `periodic` processes, or a sweep and the
`booking_reminders` command): each family is reminded once per deadline, by the unique constraint
on the sent-record inserted in the transaction that queues the e-mails. Run on PostgreSQL."""

import threading

import pytest
from django.db import connection, connections
from django_scopes import scope, scopes_disabled

from ribambelle.outbox.models import OutgoingEmail
from ribambelle.reminders import services
from ribambelle.reminders.models import ReminderSent

from ..conftest import make_tenant
from ..factories import FamilyUserFactory
from ..reminder_fixtures import NOW, make_ground

pytestmark = pytest.mark.django_db(transaction=True)

SWEEPS = 4
FAMILIES = 6


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers: no race to show")
def test_concurrent_sweeps_remind_each_family_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with scopes_disabled():
        tenant = make_tenant("Communauté de communes A", "cc-a")
        ground = make_ground(tenant)
        for index in range(FAMILIES - 1):
            family = FamilyUserFactory(organisation=ground.organisation, email=f"f{index}@cc-a.example").family
            ground.add_child(f"Enfant {index}", family=family)
    organisation = ground.organisation
    barrier = threading.Barrier(SWEEPS)
    counts, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=30)
            with scope(organisation=organisation):
                counts.append(services.send_due_reminders(now=NOW, organisation=organisation))
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(SWEEPS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(counts) == FAMILIES
    with scopes_disabled():
        assert ReminderSent.objects.filter(organisation=organisation).count() == FAMILIES
        reminders = OutgoingEmail.objects.filter(organisation=organisation, template="booking_reminder")
        assert reminders.count() == FAMILIES
        assert reminders.values("family").distinct().count() == FAMILIES
