"""How attendance and invoice lines become the CAF's figures: pure functions, no queries.

The rules (reference caf-psu-qf.md A1 and "What Ribambelle must compute"):
- a child present for any part of a plage (a unit's time span) counts the whole plage: the
  hours of a present booking are its unit's hour-equivalent, whatever the arrival time;
- a unit's hour-equivalent is set per unit (a meal, a unit without times) or is its time span;
- a child's hours of one day in one activity are rounded up (optional), then capped by the
  activity's daily cap and, on a Wednesday, by its Wednesday cap;
- billed hours are billed units × hour-equivalent (invoice lines, never bookings); a credit
  note's line counts minus its units;
- every split is taken on the day: age band from the birth date, QF bracket from the quotient
  valid that day, régime from the family file.

Minutes are counted as integers and turned into hours (2 decimals) at the end: no float, and
summing integers keeps a yearly report fast.
"""

import bisect
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from ribambelle.activities.models import ActivityKind

from .models import CareType

UNKNOWN = "unknown"
MONTH_TOTAL = "total"

DEFAULT_CARE_TYPE = {
    ActivityKind.PERISCOLAIRE: CareType.PERISCOLAIRE,
    ActivityKind.MERCREDIS: CareType.MERCREDI,
    ActivityKind.VACANCES: CareType.EXTRASCOLAIRE,
    ActivityKind.STAGE: CareType.EXTRASCOLAIRE,
    ActivityKind.SEJOUR: CareType.EXTRASCOLAIRE,
    # Lunch service and crèche (PSU) are not declared as accueil de loisirs hours.
    ActivityKind.RESTAURATION: CareType.NOT_DECLARED,
    ActivityKind.MULTI_ACCUEIL: CareType.NOT_DECLARED,
}


def default_care_type(kind: str) -> str:
    return DEFAULT_CARE_TYPE.get(kind, CareType.NOT_DECLARED)


def span_minutes(start: time | None, end: time | None) -> int:
    if start is None or end is None:
        return 0
    delta = datetime.combine(date.min, end) - datetime.combine(date.min, start)
    return max(0, int(delta.total_seconds() // 60))


def hours_to_minutes(hours: Decimal | None) -> int | None:
    return None if hours is None else int((hours * 60).to_integral_value())


def minutes_to_hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class DayRule:
    """One activity's counting rule, in minutes."""

    care_type: str
    daily_cap: int | None = None
    wednesday_cap: int | None = None
    rounding: int = 0

    @property
    def adjusts(self) -> bool:
        return bool(self.rounding) or self.daily_cap is not None or self.wednesday_cap is not None

    def day_minutes(self, minutes: int, day: date) -> int:
        if self.rounding and minutes % self.rounding:
            minutes += self.rounding - minutes % self.rounding
        if self.daily_cap is not None:
            minutes = min(minutes, self.daily_cap)
        if self.wednesday_cap is not None and day.weekday() == 2:
            minutes = min(minutes, self.wednesday_cap)
        return minutes


# --- Age bands ------------------------------------------------------------------------------


def parse_age_bounds(text: str) -> list[int]:
    """ "6, 12" -> [6, 12]; raises ValueError on anything else than ages between 1 and 25."""
    bounds = sorted({int(part) for part in text.replace(";", ",").split(",") if part.strip()})
    if not bounds or bounds[0] < 1 or bounds[-1] > 25:
        raise ValueError(text)
    return bounds


def age_band_labels(bounds: list[int]) -> dict[str, str]:
    """Band keys ("0", "1"…: how many bounds the child has reached) and their labels."""
    labels = {"0": str(_("Moins de %(age)s ans") % {"age": bounds[0]})}
    for index, bound in enumerate(bounds, start=1):
        if index == len(bounds):
            labels[str(index)] = str(_("%(age)s ans et plus") % {"age": bound})
        else:
            labels[str(index)] = str(_("De %(low)s à %(high)s ans") % {"low": bound, "high": bounds[index] - 1})
    labels[UNKNOWN] = str(_("Date de naissance inconnue"))
    return labels


def birthday(birth: date, years: int) -> date:
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # born on 29 February: the birthday is 1 March in a common year
        return date(birth.year + years, 3, 1)


def band_thresholds(birth: date | None, bounds: list[int]) -> list[date] | None:
    """The days the child reaches each bound: the band of a day is how many are passed."""
    return None if birth is None else [birthday(birth, bound) for bound in bounds]


def age_band(thresholds: list[date] | None, day: date) -> str:
    if thresholds is None:
        return UNKNOWN
    return str(bisect.bisect_right(thresholds, day))


# --- Family quotient on the day --------------------------------------------------------------


class QuotientHistory:
    """A family's dated quotients: the one valid on a day is the latest whose month has begun.

    `brackets` given, it also keeps each quotient's bracket key, so a day's bracket is one lookup."""

    def __init__(self, records: list[tuple[date, Decimal]], brackets=None):
        records = sorted(records)
        self.starts = [start for start, _value in records]
        self.values = [value for _start, value in records]
        self.brackets = [bracket_for(value, brackets) for value in self.values] if brackets is not None else []

    def on(self, day: date) -> Decimal | None:
        index = bisect.bisect_right(self.starts, day)
        return self.values[index - 1] if index else None

    def bracket_on(self, day: date) -> str:
        index = bisect.bisect_right(self.starts, day)
        return self.brackets[index - 1] if index else UNKNOWN


def bracket_for(value: Decimal | None, brackets: list[tuple[Decimal | None, str]]) -> str:
    """The key of the bracket whose upper bound is above the QF (brackets sorted, None last)."""
    if value is None:
        return UNKNOWN
    for index, (upper, _label) in enumerate(brackets):
        if upper is None or value < upper:
            return str(index)
    return str(len(brackets) - 1) if brackets else UNKNOWN
