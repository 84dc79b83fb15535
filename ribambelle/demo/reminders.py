"""Demo of the reminders before a booking deadline (issue 22): Quercy sends them 24 hours before
the deadline, and Julie MARTIN has one due tomorrow.

Léa (MARTIN) goes to the périscolaire of Saint-Étienne on its four days, morning and evening:
her last four weeks are written as attended, so these are her usual days. One coming school day
is left unbooked, the first whose deadline (two working days before, at 12:00) falls the day
after tomorrow or later: the sweep (`manage.py periodic`, run by `make run`) reminds Julie
24 hours before that deadline, i.e. tomorrow at 12:00 on a school week. To see it at once:
`python manage.py booking_reminders --at "<that moment>"` (the command prints the next one due).
"""

from datetime import timedelta

from django.utils import timezone


def load(quercy) -> None:
    from ribambelle.activities.models import Activity, Opening
    from ribambelle.bookings.models import Booking, BookingStatus
    from ribambelle.bookings.services import BookingChange, save_bookings
    from ribambelle.core.dates import booking_deadline
    from ribambelle.families.models import Person
    from ribambelle.registrations.models import Registration, RegistrationStatus
    from ribambelle.reminders.models import ReminderSettings

    ReminderSettings.objects.update_or_create(
        organisation=quercy, defaults={"enabled": True, "hours_before": 24, "weeks_observed": 4, "min_weeks": 3}
    )
    lea = Person.objects.filter(organisation=quercy, family__name="MARTIN", first_name="Léa").first()
    today = timezone.localdate()
    activity = Activity.objects.filter(  # this school year's (the statistics demo has last year's too)
        organisation=quercy, name__startswith="Périscolaire Saint-Étienne", start_date__lte=today, end_date__gte=today
    ).first()
    if lea is None or activity is None:
        return
    registration = Registration.objects.filter(child=lea, activity=activity, status=RegistrationStatus.ACCEPTED).first()
    if registration is None:
        return
    this_monday = today - timedelta(days=today.weekday())
    past = Opening.objects.filter(
        activity=activity,
        group=registration.group,
        date__gte=this_monday - timedelta(weeks=4),
        date__lt=this_monday,
        is_closed=False,
    )
    held = set(Booking.objects.filter(child=lea, opening__in=past).values_list("opening_id", flat=True))
    Booking.objects.bulk_create(
        [
            Booking(
                organisation=quercy,
                family=lea.family,
                child=lea,
                registration=registration,
                opening=opening,
                activity=activity,
                date=opening.date,
                status=BookingStatus.PRESENT,
            )
            for opening in past
            if opening.pk not in held
        ]
    )
    # The coming day to remind: the first whose deadline is the day after tomorrow or later.
    now = timezone.now()
    upcoming = Opening.objects.filter(
        activity=activity, group=registration.group, date__gt=today, is_closed=False
    ).order_by("date", "unit__position")[:60]
    for opening in upcoming:
        deadline = booking_deadline(
            day=opening.date,
            days_before=activity.deadline_days,
            at=activity.deadline_time,
            working_days_only=activity.deadline_working_days,
            tz=quercy.time_zone,
        )
        if timezone.localtime(deadline).date() >= today + timedelta(days=2) and deadline > now + timedelta(days=1):
            day = opening.date
            break
    else:
        return
    same_day = Opening.objects.filter(activity=activity, group=registration.group, date=day).values_list(
        "pk", flat=True
    )
    save_bookings(child=lea, changes=[BookingChange(pk, False) for pk in same_day], acting_user=None, as_staff=True)
