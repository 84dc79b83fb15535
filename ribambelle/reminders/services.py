"""Reminders before a booking deadline: who is reminded, once, by e-mail and web push.

The rule enforced by send_due_reminders: a family whose organisation turned reminders on, and
who did not opt out, receives ONE message per deadline falling within the organisation's
`hours_before`, listing every child and day among its usual days (selectors.usual_days) that is
open, not full and not booked yet. "Once" is held by the database: the ReminderSent row is
inserted in the same transaction as the e-mails it queues, under a unique constraint on
(organisation, family, deadline), so two sweeps running at once remind a family once.
"""

import logging
from collections import defaultdict
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ribambelle.core.actions import action, step_by_step
from ribambelle.core.dates import long_date
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit
from ribambelle.families.models import Family
from ribambelle.families.recipients import recipients_by_family
from ribambelle.outbox.services import queue_email

from . import push, selectors
from .models import FamilyReminderPreference, PushSubscription, ReminderSent, ReminderSettings

logger = logging.getLogger(__name__)


def _booking_url(organisation, child_id: int, day) -> str:
    query = urlencode({"vue": "semaine", "date": f"{day:%Y-%m-%d}"})
    return f"{settings.SITE_URL}/{organisation.slug}/reservations/enfant/{child_id}/?{query}"


def _deadline_label(deadline, organisation) -> str:
    """ "mardi 8 décembre 2026 à 12:00", in the organisation's time zone (e-mails are in French)."""
    local = deadline.astimezone(ZoneInfo(organisation.time_zone))
    return f"{long_date(local.date())} à {local:%H:%M}"


def _group(days: list[selectors.DueDay]) -> list[dict]:
    """Per child, in order: its days ("Journée du mercredi 9 décembre 2026 – Mercredis …") and the
    link to the week of its first day."""
    children: dict[int, dict] = {}
    for due in days:
        child = children.setdefault(
            due.child_id, {"first_name": due.child_name, "lines": [], "first_day": due.day, "child_id": due.child_id}
        )
        child["lines"].append(f"{due.unit_name} du {long_date(due.day)} – {due.activity_name}")
        child["first_day"] = min(child["first_day"], due.day)
    return list(children.values())


@step_by_step
def send_due_reminders(*, now=None, organisation=None) -> int:
    """Remind the families of the organisation given, or in scope (a sweep: core.scoping), as the
    module docstring says. Returns how many families were reminded; then e-mails the staff digest."""
    organisation = organisation or _organisation_in_scope()
    reminder_settings = selectors.reminder_settings(organisation)
    if not reminder_settings.enabled:
        return 0
    now = now or timezone.now()
    due = selectors.due_days(organisation=organisation, now=now, settings=reminder_settings)
    by_message: dict[tuple[int, object], list[selectors.DueDay]] = defaultdict(list)
    for day in due:
        by_message[(day.family_id, day.deadline)].append(day)
    if not by_message:
        return 0
    already = set(
        ReminderSent.objects.filter(organisation=organisation, deadline__in={d for _f, d in by_message}).values_list(
            "family_id", "deadline"
        )
    )
    todo = {key: days for key, days in by_message.items() if key not in already}
    recipients = recipients_by_family(organisation.pk, {family_id for family_id, _d in todo})
    families = {f.pk: f for f in Family.objects.filter(organisation=organisation, pk__in={f for f, _d in todo})}
    sent: list[ReminderSent] = []
    for (family_id, deadline), days in sorted(todo.items(), key=lambda item: (item[0][1], item[0][0])):
        reminder = _remind(
            organisation=organisation,
            family=families[family_id],
            deadline=deadline,
            days=days,
            recipients=recipients.get(family_id, []),
        )
        if reminder is not None:
            sent.append(reminder)
    if sent:
        _send_digest(organisation=organisation, reminder_settings=reminder_settings, reminders=sent, families=families)
    return len(sent)


def _organisation_in_scope():
    from django_scopes import get_scope

    from ribambelle.tenancy.models import Organisation

    current = get_scope().get("organisation")
    return current if isinstance(current, Organisation) else Organisation.objects.get(pk=current)


def _remind(*, organisation, family, deadline, days, recipients) -> ReminderSent | None:
    children = _group(days)
    context = {
        "deadline": deadline,
        "deadline_label": _deadline_label(deadline, organisation),
        "account_url": f"{settings.SITE_URL}/{organisation.slug}/mon-compte/#rappels",
        "children": [
            {**child, "url": _booking_url(organisation, child["child_id"], child["first_day"])} for child in children
        ],
    }
    try:
        with transaction.atomic(durable=True):
            reminder = ReminderSent.objects.create(
                organisation=organisation,
                family=family,
                deadline=deadline,
                days=[{"child": c["first_name"], "lines": c["lines"]} for c in children],
                emails=len(recipients),
            )
            for recipient in recipients:
                queue_email(
                    organisation=organisation,
                    to=recipient.email,
                    template="booking_reminder",
                    user=recipient.user,
                    family=family,
                    context={**context, "user": recipient},
                )
            if PushSubscription.objects.filter(organisation=organisation, family=family).exists():
                transaction.on_commit(lambda: _enqueue_push(reminder.pk))
    except IntegrityError:
        return None  # another sweep reminded this family of this deadline first
    return reminder


def _enqueue_push(reminder_id: int) -> None:
    from .tasks import send_reminder_push

    try:
        send_reminder_push.enqueue(reminder_id)
    except Exception:  # noqa: BLE001 - a push is a courtesy: the e-mail is on its way
        logger.exception("Could not enqueue the push of reminder %s", reminder_id)


def _reminder_text(reminder: ReminderSent) -> tuple[str, str]:
    """(title, body) of the push notification: short, the children and the deadline."""
    names = [entry["child"] for entry in reminder.days]
    count = sum(len(entry["lines"]) for entry in reminder.days)
    deadline = reminder.deadline.astimezone(ZoneInfo(reminder.organisation.time_zone))
    title = _("Réservations à faire avant le %(date)s à %(time)s") % {
        "date": f"{deadline:%d/%m}",
        "time": f"{deadline:%H:%M}",
    }
    body = _("%(names)s : %(count)s jour(s) habituel(s) pas encore réservé(s).") % {
        "names": ", ".join(names),
        "count": count,
    }
    return title, body


@step_by_step
def deliver_pushes(reminder_id: int) -> int:
    """Send the reminder's notification to each browser of the family; a subscription the push
    service says is gone (404/410) is forgotten. Returns how many were accepted."""
    reminder = ReminderSent.objects.select_related("organisation").filter(pk=reminder_id).first()
    if reminder is None or reminder.pushes:
        return 0
    with translation.override(settings.LANGUAGE_CODE):  # in French, as the e-mails (README, Langues)
        title, body = _reminder_text(reminder)
    url = f"/{reminder.organisation.slug}/reservations/"
    accepted = 0
    for subscription in PushSubscription.objects.filter(
        organisation_id=reminder.organisation_id, family_id=reminder.family_id
    ):
        outcome = push.send(subscription, {"title": title, "body": body, "url": url, "tag": f"rappel-{reminder.pk}"})
        if outcome == push.GONE:
            PushSubscription.objects.filter(pk=subscription.pk).delete()
        elif outcome == push.ACCEPTED:
            accepted += 1
    ReminderSent.objects.filter(pk=reminder.pk).update(pushes=accepted)
    return accepted


def _send_digest(*, organisation, reminder_settings, reminders, families) -> None:
    to = reminder_settings.digest_email or organisation.contact_email
    if not to:
        return
    with transaction.atomic(durable=True):
        queue_email(
            organisation=organisation,
            to=to,
            template="reminder_digest",
            context={
                "reminders": [
                    {
                        "family": families[r.family_id].name,
                        "deadline_label": _deadline_label(r.deadline, organisation),
                        "days": r.days,
                        "emails": r.emails,
                    }
                    for r in reminders
                ],
                "settings_url": f"{settings.SITE_URL}/{organisation.slug}/gestion/rappels/",
            },
        )


# --- Settings and choices ----------------------------------------------------------------
@action
def save_reminder_settings(*, organisation, values: dict, acting_user) -> ReminderSettings:
    """The organisation's reminder setting; a usual day needs at least one week and no more weeks
    than are observed."""
    current = ReminderSettings.objects.filter(organisation=organisation).first() or ReminderSettings(
        organisation=organisation
    )
    for name, value in values.items():
        setattr(current, name, value)
    if not 1 <= current.min_weeks <= current.weeks_observed:
        raise DomainError(
            _("Le nombre de semaines réservées doit être compris entre 1 et le nombre de semaines observées.")
        )
    if not 1 <= current.hours_before <= 24 * 14:
        raise DomainError(_("Le rappel part entre 1 heure et 14 jours (336 heures) avant la date limite."))
    current.full_clean()
    current.save()
    record_audit(
        organisation=organisation,
        actor=acting_user,
        action="update",
        obj=current,
        changes={k: str(v) for k, v in values.items()},
    )
    return current


@action
def set_family_reminders(*, family, enabled: bool, acting_user) -> FamilyReminderPreference:
    """A family turns the reminders before deadlines on or off ("Mon compte")."""
    preference, _created = FamilyReminderPreference.objects.update_or_create(
        organisation_id=family.organisation_id, family=family, defaults={"enabled": enabled}
    )
    return preference


@action
def subscribe_push(*, family, user, endpoint: str, p256dh: str, auth: str, user_agent: str = "") -> PushSubscription:
    """Remember a browser that agreed to receive notifications (the same browser again updates its keys)."""
    push.check_subscription(endpoint=endpoint, p256dh=p256dh, auth=auth)
    subscription, _created = PushSubscription.objects.update_or_create(
        organisation_id=family.organisation_id,
        endpoint=endpoint,
        defaults={"family": family, "user": user, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:250]},
    )
    return subscription


@action
def unsubscribe_push(*, family, endpoint: str) -> int:
    deleted, _details = PushSubscription.objects.filter(
        organisation_id=family.organisation_id, family=family, endpoint=endpoint
    ).delete()
    return deleted
