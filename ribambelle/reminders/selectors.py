"""Reads for the reminders: a family's usual days, the days still to book before a deadline."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import ExtractIsoWeekDay

from ribambelle.activities.models import ClosureDay, Opening
from ribambelle.bookings.models import LIVE_STATUSES, PLACE_STATUSES, Booking, holds_place
from ribambelle.core.dates import booking_deadline
from ribambelle.registrations.models import Registration, RegistrationStatus

from .models import FamilyReminderPreference, PushSubscription, ReminderSettings


def reminder_settings(organisation) -> ReminderSettings:
    found = ReminderSettings.objects.filter(organisation=organisation).first()
    return found or ReminderSettings(organisation=organisation)


def reminders_enabled_for(family) -> bool:
    """A family's choice in "Mon compte": on unless it said no."""
    return not FamilyReminderPreference.objects.filter(
        organisation_id=family.organisation_id, family=family, enabled=False
    ).exists()


def push_subscriptions_for(family):
    return PushSubscription.objects.filter(organisation_id=family.organisation_id, family=family).order_by("pk")


def observed_weeks(today: date, weeks: int) -> tuple[date, date]:
    """The `weeks` whole weeks (Monday to Sunday) before the current one."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(weeks=weeks), this_monday - timedelta(days=1)


def usual_days(*, organisation, today: date, weeks: int = 4, min_weeks: int = 3, family=None) -> dict:
    """A child's usual days: {(child_id, activity_id, unit_id): {weekday, …}} (0 = Monday), a weekday
    being usual when the child held a place on it in at least `min_weeks` of the last `weeks` weeks
    for that unit of that activity.

    One grouped query whatever the number of families: a child holds at most one place per opening,
    so the distinct dates of one weekday in the window are the weeks it was booked."""
    since, until = observed_weeks(today, weeks)
    bookings = Booking.objects.filter(
        organisation=organisation, date__gte=since, date__lte=until, status__in=PLACE_STATUSES
    )
    if family is not None:
        bookings = bookings.filter(family=family)
    rows = (
        bookings.annotate(weekday=ExtractIsoWeekDay("date"))
        .values("child_id", "activity_id", "opening__unit_id", "weekday")
        .annotate(weeks=Count("date", distinct=True))
        .filter(weeks__gte=min_weeks)
        .order_by()
    )
    found: dict[tuple[int, int, int], set[int]] = defaultdict(set)
    for row in rows:
        found[(row["child_id"], row["activity_id"], row["opening__unit_id"])].add(row["weekday"] - 1)
    return dict(found)


@dataclass(frozen=True)
class DueDay:
    """One usual day not booked yet whose deadline falls in the reminder window."""

    family_id: int
    child_id: int
    child_name: str
    activity_id: int
    activity_name: str
    unit_name: str
    day: date
    deadline: datetime


def due_days(*, organisation, now: datetime, settings: ReminderSettings) -> list[DueDay]:
    """The usual days whose deadline is between `now` and `now + hours_before`, still open, not
    full, not booked (nor on a waiting list) by the child, and whose family did not opt out.

    A fixed number of queries: usual days, registrations, candidate openings (with their places
    and the child's bookings read by the same statement), opt-outs."""
    today = now.astimezone(_tz(organisation)).date()
    usual = usual_days(
        organisation=organisation, today=today, weeks=settings.weeks_observed, min_weeks=settings.min_weeks
    )
    if not usual:
        return []
    children = {child_id for child_id, _a, _u in usual}
    registrations = {
        (r.child_id, r.activity_id): r
        for r in Registration.objects.filter(
            organisation=organisation,
            child_id__in=children,
            status=RegistrationStatus.ACCEPTED,
            activity__is_published=True,
        ).select_related("child", "activity")
    }
    # The deadline is at most `deadline_days` working days before the day, weekends and holidays
    # between: a day more than three times as far away cannot be due.
    horizon = now + timedelta(hours=settings.hours_before)
    longest = max((r.activity.deadline_days for r in registrations.values()), default=0)
    last_day = horizon.date() + timedelta(days=3 * longest + 7)
    openings = (
        Opening.objects.filter(
            organisation=organisation,
            is_closed=False,
            date__gt=today,
            date__lte=last_day,
            group_id__in={r.group_id for r in registrations.values()},
            unit_id__in={unit for _c, _a, unit in usual},
        )
        .exclude(Exists(ClosureDay.objects.filter(activity_id=OuterRef("activity_id"), date=OuterRef("date"))))
        .annotate(held=Count("bookings", filter=holds_place("bookings__")))
        .select_related("unit")
        .order_by("date", "unit__position", "pk")
    )
    openings = list(openings)
    booked = set(
        Booking.objects.filter(
            organisation=organisation,
            child_id__in=children,
            opening_id__in=[o.pk for o in openings],
            status__in=LIVE_STATUSES,
        ).values_list("child_id", "opening_id")
    )
    opted_out = set(
        FamilyReminderPreference.objects.filter(organisation=organisation, enabled=False).values_list(
            "family_id", flat=True
        )
    )
    by_slot: dict[tuple[int, int], list[Opening]] = defaultdict(list)  # (group, unit) -> openings
    for opening in openings:
        by_slot[(opening.group_id, opening.unit_id)].append(opening)
    found = []
    tz = organisation.time_zone
    for (child_id, activity_id, unit_id), weekdays in usual.items():
        registration = registrations.get((child_id, activity_id))
        if registration is None or registration.family_id in opted_out:
            continue
        activity = registration.activity
        for opening in by_slot.get((registration.group_id, unit_id), []):
            if opening.date.weekday() not in weekdays or (child_id, opening.pk) in booked:
                continue
            if opening.held >= opening.capacity:
                continue  # full: nothing to book (the waiting list is the family's own choice)
            deadline = booking_deadline(
                day=opening.date,
                days_before=activity.deadline_days,
                at=activity.deadline_time,
                working_days_only=activity.deadline_working_days,
                tz=tz,
            )
            if now < deadline <= horizon:
                found.append(
                    DueDay(
                        family_id=registration.family_id,
                        child_id=child_id,
                        child_name=registration.child.first_name,
                        activity_id=activity_id,
                        activity_name=activity.name,
                        unit_name=opening.unit.name,
                        day=opening.date,
                        deadline=deadline,
                    )
                )
    found.sort(key=lambda d: (d.family_id, d.deadline, d.day, d.child_name, d.activity_name, d.unit_name))
    return found


def _tz(organisation):
    from zoneinfo import ZoneInfo

    return ZoneInfo(organisation.time_zone)


def recent_reminders(organisation, limit: int = 50):
    """The last reminders sent, newest first, with their family (one query)."""
    from .models import ReminderSent

    return (
        ReminderSent.objects.filter(organisation=organisation)
        .select_related("family")
        .order_by("-created_at", "-pk")[:limit]
    )
