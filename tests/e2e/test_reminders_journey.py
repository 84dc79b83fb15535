"""Issue 22, reminders: on "Mon compte" a parent sees the reminders, turns them off and on, and is
offered "Recevoir les rappels sur ce téléphone" where the browser supports push (localhost is a
secure context). axe-clean on a phone."""

import pytest

from ribambelle.accounts.consent import record_consents
from ribambelle.reminders import push
from ribambelle.reminders.models import FamilyReminderPreference, ReminderSettings

from ..factories import FamilyUserFactory, OrganisationFactory
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Test-Passw0rd-Ok"


def test_a_parent_manages_reminders_in_mon_compte(live_server, page, settings):
    keys = push.generate_keys()
    settings.WEBPUSH_VAPID_PRIVATE_KEY, settings.WEBPUSH_VAPID_PUBLIC_KEY = keys.private_key, keys.public_key
    organisation = OrganisationFactory(slug="quercy", name="CC Quercy Vert-Aveyron")
    ReminderSettings.objects.create(organisation=organisation, enabled=True, hours_before=24)
    parent = FamilyUserFactory(organisation=organisation, email="julie@famille.example")
    record_consents(user=parent, personal=True, health=True)

    log_in(page, f"{live_server.url}/quercy/", parent.email, PASSWORD)
    page.wait_for_selector("h1")
    page.goto(f"{live_server.url}/quercy/mon-compte/")
    section = page.locator("#rappels")
    assert "Le rappel part 24 heures avant la date limite." in section.inner_text()
    box = section.get_by_label("M'envoyer un rappel avant la date limite pour les jours habituels de mes enfants")
    assert box.is_checked()
    button = section.get_by_role("button", name="Recevoir les rappels sur ce téléphone")
    button.wait_for(state="visible")  # Push supported, served from localhost
    assert_accessible(page, context="Mon compte, rappels")

    box.uncheck()
    section.get_by_role("button", name="Enregistrer mon choix").click()
    page.wait_for_selector("text=Vous ne recevrez plus de rappels")
    assert FamilyReminderPreference.objects.get(family=parent.family).enabled is False
    assert (
        not page.locator("#rappels")
        .get_by_label("M'envoyer un rappel avant la date limite pour les jours habituels de mes enfants")
        .is_checked()
    )
    assert_accessible(page, context="Mon compte, rappels désactivés")
    assert page.js_errors == []
