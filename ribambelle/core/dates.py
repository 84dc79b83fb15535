"""Dates the French way: ages, working days, booking deadlines."""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.utils.formats import date_format

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def age_in_months(birth_date: date, on: date) -> int:
    """Full months of age on a day: a child born on 10 July is 8 years old on 10 July, 8 years later."""
    months = (on.year - birth_date.year) * 12 + (on.month - birth_date.month)
    if on.day < birth_date.day:
        months -= 1
    return months


def long_date(day: date) -> str:
    """ "lundi 10 juillet 2023", always in French: for what is stored (history) or sent (e-mails, invoices)."""
    return f"{DAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def shown_date(day: date, *, year: bool = True) -> str:
    """The same in the reader's language, for pages: "lundi 10 juillet 2023" / "Monday 10 July 2023"."""
    return date_format(day, "l j F Y" if year else "l j F")


@lru_cache(maxsize=32)
def _french_holidays(year: int):
    return holidays.France(years=year)


def is_public_holiday(day: date) -> bool:
    return day in _french_holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_public_holiday(day)


def booking_deadline(*, day: date, days_before: int, at: time, working_days_only: bool, tz: str) -> datetime:
    """Last moment to book or cancel `day`: `days_before` days earlier at `at`, in the organisation's time zone.

    With working_days_only, weekends and French public holidays are not counted: "2 days
    before at 12:00" for a Monday is the previous Thursday at 12:00.
    """
    deadline_day = day
    remaining = days_before
    while remaining > 0:
        deadline_day -= timedelta(days=1)
        if not working_days_only or is_working_day(deadline_day):
            remaining -= 1
    return datetime.combine(deadline_day, at, tzinfo=ZoneInfo(tz))
