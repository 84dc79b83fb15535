"""Reminders before a booking deadline (issue 22): the usual days a family has not booked yet, once
per family and deadline, at the organisation's hour, never for a day booked, closed or full, and
not for a family that said no."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from ribambelle.activities.models import ClosureDay, Opening
from ribambelle.bookings.models import Booking
from ribambelle.outbox.models import OutgoingEmail
from ribambelle.outbox.services import deliver_due_emails
from ribambelle.reminders import selectors, services
from ribambelle.reminders.models import FamilyReminderPreference, ReminderSent, ReminderSettings

from .conftest import client_for, page_text
from .factories import BookingFactory, FamilyUserFactory, PersonFactory, RegistrationFactory
from .reminder_fixtures import MONDAY, NOW, THURSDAY, make_ground

pytestmark = pytest.mark.django_db


@pytest.fixture
def ground(tenant_a):
    return make_ground(tenant_a)


def _sweep(organisation, when=NOW, *, capture=None) -> int:
    with time_machine.travel(when, tick=False), scope(organisation=organisation):
        if capture is None:
            return services.send_due_reminders()
        with capture(execute=True):
            return services.send_due_reminders()


def _reminders(family=None):
    emails = OutgoingEmail.objects.filter(template="booking_reminder")
    return emails.filter(family=family) if family is not None else emails


def test_usual_days_are_the_weekdays_booked_in_three_of_the_last_four_weeks(ground):
    usual = selectors.usual_days(organisation=ground.organisation, today=MONDAY)
    assert usual == {(ground.lea.pk, ground.activity.pk, ground.unit.pk): {0, 3}}  # not the two Tuesdays
    assert selectors.usual_days(organisation=ground.organisation, today=MONDAY, min_weeks=2)[
        (ground.lea.pk, ground.activity.pk, ground.unit.pk)
    ] == {0, 1, 3}
    # Cancelled days are not a habit.
    Booking.objects.filter(child=ground.lea, date__week_day=5).update(status="cancelled")  # Thursdays
    assert selectors.usual_days(organisation=ground.organisation, today=MONDAY) == {
        (ground.lea.pk, ground.activity.pk, ground.unit.pk): {0}
    }


def test_one_reminder_for_the_unbooked_usual_day_then_never_again(ground, django_capture_on_commit_callbacks):
    assert _sweep(ground.organisation, capture=django_capture_on_commit_callbacks) == 1
    (email,) = _reminders()
    assert email.to == "parent@cc-a.example" and email.family == ground.family
    assert (
        email.subject
        == "Rappel : réservations à faire avant le mardi 8 décembre 2026 à 12:00 – Communauté de communes A"
    )
    assert "Léa :\n- Soir du jeudi 10 décembre 2026 – Périscolaire Saint-Étienne\n" in email.body_text
    assert f"/cc-a/reservations/enfant/{ground.lea.pk}/?vue=semaine&date=2026-12-10" in email.body_text
    assert "lundi 14" not in email.body_text  # Monday 14's deadline (Thursday) is not within 24 hours
    reminder = ReminderSent.objects.get()
    assert reminder.family == ground.family and reminder.emails == 1
    # The staff digest names who was reminded.
    (digest,) = OutgoingEmail.objects.filter(template="reminder_digest")
    assert digest.to == "accueil@cc-a.example"
    assert ground.family.name in digest.body_text and "Léa : Soir du jeudi 10 décembre 2026" in digest.body_text
    # The next sweeps, later the same day: nothing new.
    assert _sweep(ground.organisation) == 0
    assert _sweep(ground.organisation, NOW + timedelta(hours=5)) == 0
    assert _reminders().count() == 1 and ReminderSent.objects.count() == 1
    assert OutgoingEmail.objects.filter(template="reminder_digest").count() == 1


def test_sent_at_the_organisations_hour_not_before_and_not_after_the_deadline(ground, tenant_a):
    tuesday_noon = NOW.replace(hour=12) + timedelta(days=1)  # the deadline of Thursday 10
    assert _sweep(ground.organisation, tuesday_noon - timedelta(hours=24, minutes=1)) == 0
    ReminderSettings.objects.filter(organisation=ground.organisation).update(hours_before=48)
    assert _sweep(ground.organisation, tuesday_noon - timedelta(hours=24, minutes=1)) == 1
    ReminderSent.objects.all().delete()
    assert _sweep(ground.organisation, tuesday_noon + timedelta(minutes=1)) == 1  # the next deadline: Monday 14
    latest = _reminders().order_by("pk").last()
    assert "Soir du lundi 14 décembre 2026" in latest.body_text and "Soir du jeudi 10" not in latest.body_text


def test_a_day_booked_closed_or_full_is_never_reminded(ground, tenant_a):
    thursday = ground.opening(THURSDAY)
    booking = BookingFactory(
        organisation=ground.organisation,
        family=ground.family,
        registration=ground.registration,
        child=ground.lea,
        opening=thursday,
    )
    assert _sweep(ground.organisation) == 0
    booking.status = "waiting"  # on the waiting list: the family already asked
    booking.save()
    assert _sweep(ground.organisation) == 0
    booking.delete()

    ClosureDay.objects.create(organisation=ground.organisation, activity=ground.activity, date=THURSDAY)
    assert _sweep(ground.organisation) == 0
    ClosureDay.objects.all().delete()
    Opening.objects.filter(pk=thursday.pk).update(is_closed=True)
    assert _sweep(ground.organisation) == 0
    Opening.objects.filter(pk=thursday.pk).update(is_closed=False, capacity=1)

    other = FamilyUserFactory(organisation=ground.organisation).family
    child = PersonFactory(organisation=ground.organisation, family=other)
    registration = RegistrationFactory(organisation=ground.organisation, family=other, child=child, group=ground.group)
    BookingFactory(
        organisation=ground.organisation, family=other, registration=registration, child=child, opening=thursday
    )
    assert _sweep(ground.organisation) == 0  # full
    assert _reminders().count() == 0
    Opening.objects.filter(pk=thursday.pk).update(capacity=2)
    assert _sweep(ground.organisation) == 1


def test_a_family_that_opted_out_or_an_organisation_that_did_not_opt_in_gets_nothing(ground, tenant_a):
    with scope(organisation=ground.organisation):
        services.set_family_reminders(family=ground.family, enabled=False, acting_user=tenant_a.family_user)
    assert _sweep(ground.organisation) == 0
    FamilyReminderPreference.objects.update(enabled=True)
    ReminderSettings.objects.update(enabled=False)
    assert _sweep(ground.organisation) == 0
    ReminderSettings.objects.update(enabled=True)
    assert _sweep(ground.organisation) == 1


def test_one_message_per_family_and_deadline_lists_every_child(ground, tenant_a):
    ground.add_child("Hugo")
    neighbour = tenant_a.other_family_user.family
    ground.add_child("Nina", family=neighbour)
    assert _sweep(ground.organisation) == 2
    (ours,) = _reminders(ground.family)
    assert "Léa :\n- Soir du jeudi 10" in ours.body_text and "Hugo :\n- Soir du jeudi 10" in ours.body_text
    assert "réservés pour vos enfants" in ours.body_text
    assert "Nina" not in ours.body_text
    (theirs,) = _reminders(neighbour)
    assert "Nina" in theirs.body_text and "Léa" not in theirs.body_text
    digest = OutgoingEmail.objects.get(template="reminder_digest")
    assert ground.family.name in digest.body_text and neighbour.name in digest.body_text


def test_another_organisation_is_not_reminded_by_this_ones_sweep(ground, tenant_b):
    other = make_ground(tenant_b)
    assert _sweep(ground.organisation) == 1
    assert not ReminderSent.objects.filter(organisation=other.organisation).exists()
    assert _sweep(other.organisation) == 1
    assert _reminders().filter(organisation=other.organisation).get().to == "parent@cc-b.example"


def test_the_reminder_reads_as_written_in_the_mail_client(tenant_a, mail_server, django_capture_on_commit_callbacks):
    tenant_a.organisation.name = "Communauté d'agglomération l'Étoile"
    tenant_a.organisation.save(update_fields=["name"])
    ground = make_ground(tenant_a, activity_name="L'accueil du soir")
    assert _sweep(ground.organisation, capture=django_capture_on_commit_callbacks) == 1
    with time_machine.travel(NOW, tick=False), scope(organisation=ground.organisation):
        assert deliver_due_emails() == 2  # the family's reminder and the staff digest
    messages = {str(m["To"]): m for m in mail_server.received()}
    message = messages["parent@cc-a.example"]
    subject = " ".join(str(message["Subject"]).split())
    assert subject == (
        "Rappel : réservations à faire avant le mardi 8 décembre 2026 à 12:00 – Communauté d'agglomération l'Étoile"
    )
    text = message.get_body(("plain",)).get_content()
    assert "Ces jours sont d'habitude réservés pour Léa, mais ne le sont pas encore." in text
    assert "Soir du jeudi 10 décembre 2026 – L'accueil du soir" in text
    for entity in ("&#x27;", "&#39;", "&amp;"):
        assert entity not in subject and entity not in text
    html = message.get_body(("html",)).get_content()
    assert "L&#x27;accueil du soir" in html or "L&#39;accueil du soir" in html


def test_finding_due_days_costs_the_same_for_one_family_or_many(ground, tenant_a):
    def count() -> int:
        with scope(organisation=ground.organisation), CaptureQueriesContext(connection) as queries:
            settings = selectors.reminder_settings(ground.organisation)
            found = selectors.due_days(organisation=ground.organisation, now=NOW, settings=settings)
        return len(queries), len(found)

    one = count()
    for index in range(3):
        family = FamilyUserFactory(organisation=ground.organisation, email=f"famille{index}@cc-a.example").family
        ground.add_child(f"Enfant {index}", family=family)
    many = count()
    assert one[1] == 1 and many[1] == 4
    assert one[0] == many[0] == 6


def test_the_sweep_is_registered_in_the_periodic_command(ground, settings):
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with time_machine.travel(NOW, tick=False):
        call_command("periodic")
    assert ReminderSent.objects.filter(family=ground.family).count() == 1
    assert _reminders().count() == 1


# --- Mon compte -------------------------------------------------------------------------------
def test_the_family_turns_reminders_off_and_on_in_mon_compte(ground, tenant_a):
    client = client_for(tenant_a.family_user)
    from ribambelle.accounts.consent import record_consents

    record_consents(user=tenant_a.family_user, personal=True, health=False)
    page = page_text(client.get(tenant_a.url("mon-compte/")))
    assert "Rappels avant la date limite de réservation" in page
    assert 'name="rappels-enabled" id="id_rappels-enabled" checked' in page  # on by default
    response = client.post(tenant_a.url("mon-compte/rappels/"), {})
    assert response.status_code == 302 and response["Location"].endswith("/mon-compte/#rappels")
    assert not selectors.reminders_enabled_for(ground.family)
    assert _sweep(ground.organisation) == 0
    page = page_text(client.get(tenant_a.url("mon-compte/")))
    assert "Vous ne recevrez plus de rappels" in page
    assert 'id="id_rappels-enabled" checked' not in page
    client.post(tenant_a.url("mon-compte/rappels/"), {"rappels-enabled": "on"})
    assert selectors.reminders_enabled_for(ground.family)
    assert _sweep(ground.organisation) == 1


def test_a_familys_choice_is_its_own(ground, tenant_a, tenant_b):
    """The neighbour's opt-out does not silence this family; staff and other tenants cannot post it."""
    from ribambelle.accounts.consent import record_consents

    record_consents(user=tenant_a.other_family_user, personal=True, health=False)
    client_for(tenant_a.other_family_user).post(tenant_a.url("mon-compte/rappels/"), {})
    assert not selectors.reminders_enabled_for(tenant_a.other_family_user.family)
    assert selectors.reminders_enabled_for(ground.family)
    # A family of another organisation, logged in there, is not a family here.
    record_consents(user=tenant_b.family_user, personal=True, health=False)
    response = client_for(tenant_b.family_user).post(tenant_a.url("mon-compte/rappels/"), {})
    assert response.status_code in (302, 403, 404)
    assert response.status_code != 302 or "/connexion/" in response["Location"]
    response = client_for(tenant_a.admin).post(tenant_a.url("mon-compte/rappels/"), {})
    assert response.status_code == 403
    assert FamilyReminderPreference.objects.filter(enabled=False).count() == 1


# --- Back office ------------------------------------------------------------------------------
def test_the_organisation_sets_its_hour_and_sees_who_was_reminded(ground, tenant_a):
    _sweep(ground.organisation)
    client = client_for(tenant_a.admin)
    page = page_text(client.get(tenant_a.url("gestion/rappels/")))
    assert "Derniers rappels envoyés" in page and ground.family.name in page
    response = client.post(
        tenant_a.url("gestion/rappels/"),
        {"enabled": "on", "hours_before": "36", "weeks_observed": "4", "min_weeks": "5", "digest_email": ""},
    )
    assert response.status_code == 400
    assert "entre 1 et le nombre de semaines observées" in page_text(response)
    assert ReminderSettings.objects.get(organisation=ground.organisation).hours_before == 24
    response = client.post(
        tenant_a.url("gestion/rappels/"),
        {"enabled": "on", "hours_before": "36", "weeks_observed": "5", "min_weeks": "3", "digest_email": ""},
    )
    assert response.status_code == 302
    assert ReminderSettings.objects.get(organisation=ground.organisation).hours_before == 36
    assert client_for(tenant_a.agent).get(tenant_a.url("gestion/rappels/")).status_code == 403


def test_another_organisations_staff_never_sees_these_reminders(ground, tenant_a, tenant_b):
    _sweep(ground.organisation)
    make_ground(tenant_b)
    page = page_text(client_for(tenant_b.admin).get(tenant_b.url("gestion/rappels/")))
    assert "Aucun rappel envoyé" in page
    assert client_for(tenant_b.admin).get(tenant_a.url("gestion/rappels/")).status_code in (302, 403, 404)


def test_the_settings_page_costs_the_same_whatever_the_number_of_reminders(ground, tenant_a):
    from django.test.utils import CaptureQueriesContext

    client = client_for(tenant_a.admin)
    _sweep(ground.organisation)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(tenant_a.url("gestion/rappels/")).status_code == 200
        return len(queries)

    one = count()
    for index in range(3):
        family = FamilyUserFactory(organisation=ground.organisation, email=f"autre{index}@cc-a.example").family
        ground.add_child(f"Enfant {index}", family=family)
    ReminderSent.objects.all().delete()
    assert _sweep(ground.organisation) == 4
    assert one == 7  # measured; the same below with four times as many reminders
    assert count() == one


def test_the_command_previews_then_sends_at_the_moment_given(ground, tenant_b):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("booking_reminders", "--preview", "--at", "2026-12-07 13:00", stdout=out)
    assert "cc-a" in out.getvalue() and "Léa · Soir 10/12/2026 · limite 08/12/2026 12:00" in out.getvalue()
    assert not ReminderSent.objects.exists()
    out = StringIO()
    call_command("booking_reminders", "--at", "2026-12-07 13:00", stdout=out)
    assert "1 famille(s) rappelée(s)." in out.getvalue()
    assert ReminderSent.objects.get().family == ground.family
    with pytest.raises(CommandError, match="Heure illisible"):
        call_command("booking_reminders", "--at", "demain midi")
