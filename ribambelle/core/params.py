"""Reading ids and dates from query strings and forms: anything that is not a plausible database
id is ignored (never a 500 from "abc" or a 40-digit number); a date must fall within bounds."""

from datetime import date, datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_ID = 2**63 - 1  # the largest primary key PostgreSQL and SQLite accept


def parse_id(value) -> int | None:
    text = str(value or "").strip()
    if not text.isdigit() or not text.isascii():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values) -> list[int]:
    return [number for number in (parse_id(v) for v in values) if number is not None]


# Dates: every date read from a query string or a form goes through parse_date/DATE_BOUNDS.
# Far-off years are refused: Python's date stops at 9999, so "31/12/9999 plus a week" (a
# planning's next page, a deadline) raises OverflowError. Nobody books, is born or is billed
# outside these bounds.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def parse_date(value, *, earliest: date = EARLIEST_DATE, latest: date = LATEST_DATE) -> date | None:
    """A "YYYY-MM-DD" date within the bounds, or None for anything else."""
    text = str(value or "").strip()
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None
    return day if earliest <= day <= latest else None


def date_param(request, name: str, default: date, *, source=None) -> date:
    """A date from the query string (or `source`); a wrong one falls back to `default` and
    says so, rather than answering a 500 or silently showing another week."""
    raw = (request.GET if source is None else source).get(name, "")
    day = parse_date(raw)
    if day is None and str(raw).strip():
        messages.warning(request, date_bounds_message())
    return day if day is not None else default


def date_bounds_message() -> str:
    return _("Cette date n'est pas valide : indiquez une date entre le %(earliest)s et le %(latest)s.") % {
        "earliest": f"{EARLIEST_DATE:%d/%m/%Y}",
        "latest": f"{LATEST_DATE:%d/%m/%Y}",
    }


def validate_date_bounds(day) -> None:
    """Validator for every form date and date-time field (added by core.forms)."""
    if isinstance(day, datetime):
        day = day.date()
    if isinstance(day, date) and not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(date_bounds_message(), code="date_bounds")
