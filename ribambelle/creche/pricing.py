"""PSU arithmetic, pure (no query): reference caf-psu-qf.md 2.B.

- R = clamp(annual resources / 12, floor(d), ceiling(d)), in euros, to the cent;
- n = dependent children + 1 when a child of the family has the AEEH (next bracket's rate);
- T = R × rate of effort (%) / 100, in €/h, NOT rounded to the cent (the worked example keeps
  1.806 €/h, and 1.4455 €/h with the AEEH): kept to 4 decimals, half up, as the CNAF's examples;
- each amount (monthly amount, extra hours, deduction) = hours × T, rounded half up to the cent,
  line by line: 1,620 h × 1.806 / 12 = 243.81 €; 3 h × 1.806 = 5.42 €; 18 h × 1.806 = 32.51 €.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ribambelle.core.formats import round_money

HUNDRED = Decimal("100")
TWELVE = Decimal("12")
FOUR_PLACES = Decimal("0.0001")
HOUR_PLACES = Decimal("0.01")


def monthly_resources(annual: Decimal, *, floor: Decimal, ceiling: Decimal) -> Decimal:
    monthly = round_money(Decimal(annual) / TWELVE)
    return min(max(monthly, floor), ceiling)


def children_bracket(dependent_children: int, aeeh: bool) -> int:
    return max(1, dependent_children) + (1 if aeeh else 0)


@dataclass(frozen=True)
class Rate:
    monthly_resources: Decimal
    rate_percent: Decimal
    hourly: Decimal  # €/h, unrounded to the cent


def hourly_rate(*, scale, care_type: str, annual_resources: Decimal, dependent_children: int, aeeh: bool) -> Rate:
    resources = monthly_resources(annual_resources, floor=scale.floor, ceiling=scale.ceiling)
    percent = scale.rate(care_type, children_bracket(dependent_children, aeeh))
    hourly = (resources * percent / HUNDRED).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)
    return Rate(resources, percent, hourly)


def amount(hours: Decimal, hourly: Decimal) -> Decimal:
    return round_money(Decimal(hours) * hourly)


def monthly_amount(*, yearly_hours: Decimal, hourly: Decimal, months: int) -> Decimal:
    return round_money(Decimal(yearly_hours) * hourly / Decimal(months))


def monthly_hours(yearly_hours: Decimal, months: int) -> Decimal:
    return (Decimal(yearly_hours) / Decimal(months)).quantize(HOUR_PLACES, rounding=ROUND_HALF_UP)


# --- Times ---------------------------------------------------------------------------------


def parse_time(text: str) -> time:
    return datetime.strptime(text, "%H:%M").time()


def minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def round_up(total_minutes: int, step: int) -> int:
    """Rounded to the started step (30: 7 h 05 counts 7 h 30)."""
    if step <= 0 or total_minutes <= 0:
        return max(total_minutes, 0)
    return -(-total_minutes // step) * step


def as_hours(total_minutes: int) -> Decimal:
    return (Decimal(total_minutes) / Decimal(60)).quantize(HOUR_PLACES, rounding=ROUND_HALF_UP)


def slot_hours(slot) -> Decimal:
    if not slot:
        return Decimal("0")
    start, end = parse_time(slot[0]), parse_time(slot[1])
    return as_hours(max(0, minutes(end) - minutes(start)))


def weekly_hours(schedule: dict) -> Decimal:
    return sum((slot_hours(slot) for slot in schedule.values()), Decimal("0"))


def day_hours(*, arrival: time, departure: time, slot, step: int) -> tuple[Decimal, Decimal]:
    """(hours attended, extra hours) of a day: attended time rounded to the started step; extra =
    time before the contracted slot's start plus time after its end, each rounded the same way
    (a whole day when no slot was contracted that day)."""
    attended = round_up(minutes(departure) - minutes(arrival), step)
    if not slot:
        return as_hours(attended), as_hours(attended)
    start, end = minutes(parse_time(slot[0])), minutes(parse_time(slot[1]))
    before = round_up(max(0, start - minutes(arrival)), step)
    after = round_up(max(0, minutes(departure) - end), step)
    return as_hours(attended), as_hours(before + after)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def months_between(start: date, end: date) -> list[date]:
    """First days of the months that overlap [start, end]."""
    months, current = [], month_start(start)
    while current <= end:
        months.append(current)
        current = next_month(current)
    return months
