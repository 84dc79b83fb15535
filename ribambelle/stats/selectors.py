"""Statistics reads: each figure is one aggregate query (GROUP BY week or month, conditional
counts and sums), so its cost depends on the number of weeks, activities and units shown,
never on the number of children or bookings — no Python loop over the year's bookings. The
occupancy figures add up, in Python, one row per open day of a unit and group (the bookings
already counted by the database): a few thousand rows a year, whatever the number of children.

Everything is bounded by the staff member's reach: the activities of their structures
(`tenancy.selectors.structures_for_staff`), and for money the families within reach of
the billing area (`tenancy.access.in_reach`: the finance office sees the whole organisation).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Substr, TruncMonth, TruncWeek

from ribambelle.activities.models import Activity, ActivityKind, Opening, Unit
from ribambelle.billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment
from ribambelle.bookings.models import PLACE_STATUSES, Booking, BookingStatus
from ribambelle.families.models import Person
from ribambelle.tenancy.access import in_reach
from ribambelle.tenancy.roles import Area
from ribambelle.tenancy.selectors import structures_for_staff

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=12, decimal_places=2)
OPEN_INVOICES = (InvoiceStatus.DUE, InvoiceStatus.PARTIAL)
# Age on the first day of the period; the bands of French children's services.
AGE_BANDS = [("0-2", 0, 3), ("3-5", 3, 6), ("6-11", 6, 12), ("12+", 12, None)]


@dataclass(frozen=True)
class StatsScope:
    """Who looks (their reach), at which period, narrowed to a structure or an activity."""

    membership: object
    start: date
    end: date
    structure_id: int | None = None
    activity_id: int | None = None

    @property
    def organisation_id(self) -> int:
        return self.membership.organisation_id


def school_year(day: date) -> tuple[date, date]:
    """The school year holding `day`: 1 September to 31 August (the summer closes it)."""
    first = day.year if day.month >= 9 else day.year - 1
    return date(first, 9, 1), date(first + 1, 8, 31)


def structures_for_stats(membership):
    return structures_for_staff(membership).order_by("name")


def activities_for_stats(membership):
    return (
        Activity.objects.filter(
            organisation_id=membership.organisation_id, structure__in=structures_for_staff(membership)
        )
        .select_related("structure")
        .order_by("name", "id")
    )


def _activity_filter(scope: StatsScope, prefix: str = "") -> Q:
    condition = Q(**{f"{prefix}activity__in": activities_for_stats(scope.membership).values("pk")})
    if scope.structure_id:
        condition &= Q(**{f"{prefix}activity__structure_id": scope.structure_id})
    if scope.activity_id:
        condition &= Q(**{f"{prefix}activity_id": scope.activity_id})
    return condition


def _scoped_activities(scope: StatsScope):
    activities = activities_for_stats(scope.membership)
    if scope.structure_id:
        activities = activities.filter(structure_id=scope.structure_id)
    if scope.activity_id:
        activities = activities.filter(pk=scope.activity_id)
    return activities


def _bookings(scope: StatsScope):
    return Booking.objects.filter(
        _activity_filter(scope), organisation_id=scope.organisation_id, date__gte=scope.start, date__lte=scope.end
    )


def _month(field: str):
    """The month of a date column, to GROUP BY. PostgreSQL truncates natively; on SQLite Django's
    Trunc is a Python function called once per row (seconds over a year of bookings), whereas the
    ISO text of the date cut to "YYYY-MM" stays inside the database engine."""
    if connection.vendor == "sqlite":
        return Substr(Cast(field, CharField()), 1, 7)
    return TruncMonth(field)


def _to_date(value) -> date:
    if isinstance(value, str):  # "YYYY-MM" from _month on SQLite
        return date(int(value[:4]), int(value[5:7]), 1)
    return value.date() if isinstance(value, datetime) else value


# --- Occupancy ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpeningCount:
    activity_id: int
    activity_name: str
    day: date
    capacity: int
    held: int
    waiting: int


def opening_counts(scope: StatsScope) -> list[OpeningCount]:
    """Each open day (unit and group) of the period with its places held and its waiting list.
    Two queries whatever the period: the openings, then the bookings grouped by opening in one
    pass over the covering index. Per-opening sub-selects read each day's bookings again for
    every figure (three times per opening: 0.7 s a year on PostgreSQL)."""
    openings = (
        Opening.objects.filter(
            _activity_filter(scope),
            organisation_id=scope.organisation_id,
            date__gte=scope.start,
            date__lte=scope.end,
            is_closed=False,
        )
        .values_list("pk", "activity_id", "activity__name", "date", "capacity")
        .order_by()
    )
    counts = {
        opening_id: (held, waiting)
        for opening_id, held, waiting in _bookings(scope)
        .values("opening_id")
        .annotate(
            held=Count("pk", filter=Q(status__in=PLACE_STATUSES)),
            waiting=Count("pk", filter=Q(status=BookingStatus.WAITING)),
        )
        .values_list("opening_id", "held", "waiting")
        .order_by()
    }
    return [
        OpeningCount(activity_id, name, day, capacity, *counts.get(pk, (0, 0)))
        for pk, activity_id, name, day, capacity in openings
    ]


def _name_order(activity_id: int, names: dict) -> tuple:
    return (names[activity_id], activity_id)


def occupancy_by_week(scope: StatsScope, openings: list[OpeningCount] | None = None) -> list[dict]:
    """Per activity and week: places offered (open days' capacities), places held, openings
    full (held ≥ capacity) and bookings left on the waiting list."""
    openings = opening_counts(scope) if openings is None else openings
    rows, names = {}, {}
    for item in openings:
        names[item.activity_id] = item.activity_name
        week = item.day - timedelta(days=item.day.weekday())
        row = rows.setdefault(
            (item.activity_id, week),
            {"places": 0, "booked": 0, "waiting": 0, "openings": 0, "full": 0},
        )
        row["places"] += item.capacity
        row["booked"] += item.held
        row["waiting"] += item.waiting
        row["openings"] += 1
        row["full"] += item.held >= item.capacity
    return [
        {"activity_id": activity_id, "activity__name": names[activity_id], "week": week, **figures}
        for (activity_id, week), figures in sorted(
            rows.items(), key=lambda pair: (pair[0][1], *_name_order(pair[0][0], names))
        )
    ]


def full_days(scope: StatsScope, openings: list[OpeningCount] | None = None) -> list[dict]:
    """Per activity: the days on which at least one unit and group was full, and the days open."""
    openings = opening_counts(scope) if openings is None else openings
    days, full, names = defaultdict(set), defaultdict(set), {}
    for item in openings:
        names[item.activity_id] = item.activity_name
        days[item.activity_id].add(item.day)
        if item.held >= item.capacity:
            full[item.activity_id].add(item.day)
    return [
        {
            "activity_id": activity_id,
            "activity__name": names[activity_id],
            "days": len(days[activity_id]),
            "full_days": len(full[activity_id]),
        }
        for activity_id in sorted(names, key=lambda pk: _name_order(pk, names))
    ]


# --- Attendance ----------------------------------------------------------------------------------
def attendance_by_month(scope: StatsScope) -> list[dict]:
    """Per activity and month: places held, present, absent (unjustified), excused, not yet
    marked, and cancellations after the deadline. One query."""
    rows = (
        _bookings(scope)
        .values("activity_id", "activity__name")
        .annotate(month=_month("date"))
        .values("activity_id", "activity__name", "month")
        .annotate(
            booked=Count("pk", filter=Q(status__in=PLACE_STATUSES)),
            present=Count("pk", filter=Q(status=BookingStatus.PRESENT)),
            absent=Count("pk", filter=Q(status=BookingStatus.ABSENT)),
            excused=Count("pk", filter=Q(status=BookingStatus.EXCUSED)),
            unmarked=Count("pk", filter=Q(status=BookingStatus.BOOKED)),
            late_cancelled=Count("pk", filter=Q(status=BookingStatus.CANCELLED, late_cancellation=True)),
        )
        .order_by("month", "activity__name", "activity_id")
    )
    return [{**row, "month": _to_date(row["month"])} for row in rows]


# --- Children and families -------------------------------------------------------------------------
def _age_band(scope: StatsScope, field: str) -> Case:
    whens = []
    for key, _low, high in AGE_BANDS:
        if high is None:
            break
        whens.append(When(**{f"{field}__gt": scope.start - relativedelta(years=high)}, then=Value(key)))
    return Case(*whens, default=Value(AGE_BANDS[-1][0]), output_field=CharField())


def children_by_month(scope: StatsScope) -> list[dict]:
    """Per month and age band (age on the period's first day): children who held a place.

    One query, in two steps: the distinct (month, child) pairs are taken from the bookings alone
    (the covering index `booking_stats_covering` answers them without reading the table), then
    only those pairs — children × months, not bookings — are joined to the children for their
    age band and counted. A COUNT(DISTINCT child) over every booking joined to its child was the
    page's slowest query."""
    pairs = (
        _bookings(scope)
        .filter(status__in=PLACE_STATUSES)
        .annotate(month=_month("date"))
        .values("month", "child_id")
        .distinct()
        .order_by()
    )
    pairs_sql, pairs_params = pairs.query.sql_with_params()
    whens, band_params = [], []
    for key, _low, high in AGE_BANDS:
        if high is None:
            break
        whens.append("WHEN person.birth_date > %s THEN %s")
        band_params += [connection.ops.adapt_datefield_value(scope.start - relativedelta(years=high)), key]
    person_table = connection.ops.quote_name(Person._meta.db_table)
    sql = (
        f"SELECT pairs.month, CASE {' '.join(whens)} ELSE %s END AS band, COUNT(*) "
        f"FROM ({pairs_sql}) pairs INNER JOIN {person_table} person ON person.id = pairs.child_id "
        "WHERE person.organisation_id = %s GROUP BY 1, 2 ORDER BY 1, 2"
    )
    params = [*band_params, AGE_BANDS[-1][0], *pairs_params, scope.organisation_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [{"month": _to_date(month), "band": band, "children": count} for month, band, count in rows]


def people_served(scope: StatsScope) -> dict:
    """Over the period: children served by age band, families served, and new families (whose
    first place ever held, in the structures shown, falls in the period). Two queries."""
    served = _bookings(scope).filter(status__in=PLACE_STATUSES)
    children = _children_by_band(scope, served)
    return {**children, **_families_served(scope, served)}


def _families_served(scope: StatsScope, served) -> dict:
    """Families served in the period, and the new ones among them. Each engine gets the form it
    answers fastest (bench/stats.py, a school year of 339,160 bookings): PostgreSQL groups the
    places held up to the period's end by family in one pass (a family served has its last place
    on or after the start, a new one also its first): 0.19 s for the whole chart, where two
    COUNT(DISTINCT), one filtered by a sub-select, took four times as long; SQLite counts those
    two DISTINCT in 0.1 s but takes 0.5 s to group by family."""
    held = Booking.objects.filter(
        _activity_filter(scope), organisation_id=scope.organisation_id, status__in=PLACE_STATUSES, date__lte=scope.end
    )
    if connection.vendor == "postgresql":
        per_family = (
            held.values("family_id")
            .annotate(first=Min("date"), last=Max("date"))
            .filter(last__gte=scope.start)
            .order_by()
        )
        return per_family.aggregate(
            families=Count("family_id"), new_families=Count("family_id", filter=Q(first__gte=scope.start))
        )
    counts = held.aggregate(
        families=Count("family", distinct=True, filter=Q(date__gte=scope.start)),
        returning=Count(
            "family", distinct=True, filter=Q(date__lt=scope.start, family_id__in=served.values("family_id"))
        ),
    )
    return {"families": counts["families"], "new_families": counts["families"] - counts["returning"]}


def _children_by_band(scope: StatsScope, served) -> dict:
    rows = (
        Person.objects.filter(organisation_id=scope.organisation_id, pk__in=served.values("child_id"))
        .annotate(band=_age_band(scope, "birth_date"))
        .values("band")
        .annotate(n=Count("pk"))
        .order_by()
    )
    bands = {key: 0 for key, *_ in AGE_BANDS}
    for row in rows:  # one row per age band
        bands[row["band"]] = row["n"]
    return {"children": sum(bands.values()), "bands": bands}


# --- Money -------------------------------------------------------------------------------------------
def _invoices(scope: StatsScope):
    return Invoice.objects.filter(in_reach(scope.membership, area=Area.BILLING), organisation_id=scope.organisation_id)


def money_by_month(scope: StatsScope) -> list[dict]:
    """Per month: invoiced (net of credit notes, by issue date), collected (payments received)
    and still unpaid on the invoices issued that month. Two queries."""
    balance = F("total") - F("amount_paid")
    invoiced = (
        _invoices(scope)
        .filter(issue_date__gte=scope.start, issue_date__lte=scope.end)
        .annotate(month=_month("issue_date"))
        .values("month")
        .annotate(
            invoiced=Coalesce(Sum("total"), ZERO, output_field=MONEY),
            unpaid=Coalesce(
                Sum(balance, filter=Q(kind=InvoiceKind.INVOICE, status__in=OPEN_INVOICES)), ZERO, output_field=MONEY
            ),
        )
        .order_by("month")
    )
    collected = (
        Payment.objects.filter(
            in_reach(scope.membership, area=Area.BILLING),
            organisation_id=scope.organisation_id,
            received_on__gte=scope.start,
            received_on__lte=scope.end,
        )
        .annotate(month=_month("received_on"))
        .values("month")
        .annotate(collected=Coalesce(Sum("amount"), ZERO, output_field=MONEY))
        .order_by("month")
    )
    months = defaultdict(lambda: {"invoiced": ZERO, "collected": ZERO, "unpaid": ZERO})
    for row in invoiced:
        months[_to_date(row["month"])].update(invoiced=row["invoiced"], unpaid=row["unpaid"])
    for row in collected:
        months[_to_date(row["month"])]["collected"] = row["collected"]
    return [{"month": month, **months[month]} for month in sorted(months)]


AGEING_BUCKETS = ["not_due", "under_30", "30_90", "over_90"]


def unpaid_ageing(scope: StatsScope, *, today: date) -> dict:
    """What families still owe today, by days past the due date: not yet due, under 30 days,
    30 to 90 days, over 90 days (amount and number of invoices). One query."""
    balance = F("total") - F("amount_paid")
    buckets = {
        "not_due": Q(due_date__gte=today),
        "under_30": Q(due_date__lt=today, due_date__gt=today - timedelta(days=30)),
        "30_90": Q(due_date__lte=today - timedelta(days=30), due_date__gte=today - timedelta(days=90)),
        "over_90": Q(due_date__lt=today - timedelta(days=90)),
    }
    totals = (
        _invoices(scope)
        .filter(kind=InvoiceKind.INVOICE, status__in=OPEN_INVOICES)
        .aggregate(
            **{
                f"{key}_amount": Coalesce(Sum(balance, filter=q), ZERO, output_field=MONEY)
                for key, q in buckets.items()
            },
            **{f"{key}_count": Count("pk", filter=q) for key, q in buckets.items()},
        )
    )
    return {key: {"amount": totals[f"{key}_amount"], "count": totals[f"{key}_count"]} for key in AGEING_BUCKETS}


# --- Hours -------------------------------------------------------------------------------------------
# How the hours are split. The CAF report (issue of the "caf" app) will add its régime
# (general / MSA / other) here as another entry: a field reachable from Booking and a label.
HOURS_SPLITS = {
    "kind": ("activity__kind", lambda value: str(ActivityKind(value).label) if value in ActivityKind.values else value),
}


def _minutes(start, end) -> int:
    if start is None or end is None:
        return 0
    return max(0, (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute))


def _presences_by_month_and_unit(presences) -> list[dict]:
    """Presences per month and unit, in one query of two steps: counted per month and opening from
    the bookings' covering index alone, then only those groups (months × openings, not bookings)
    joined to the openings for their unit."""
    grouped = presences.values("month", "opening_id").annotate(n=Count("pk")).order_by()
    grouped_sql, params = grouped.query.sql_with_params()
    opening_table = connection.ops.quote_name(Opening._meta.db_table)
    sql = (
        f"SELECT grouped.month, opening.unit_id, SUM(grouped.n) FROM ({grouped_sql}) grouped "
        f"INNER JOIN {opening_table} opening ON opening.id = grouped.opening_id GROUP BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [{"month": month, "opening__unit_id": unit_id, "n": n} for month, unit_id, n in cursor.fetchall()]


def hours_by_month(scope: StatsScope, *, split: str = "kind") -> list[dict]:
    """Hours attended per month: children present × their unit's duration, split by type of care.

    Two queries: presences grouped by month and unit (and split), then the units' durations; the
    rows (months × units) are multiplied out here — their number does not depend on the children."""
    field, label = HOURS_SPLITS[split]
    # A split read on the activity (its kind) comes with the units' durations in a second, small
    # query: the big one then joins nothing but the opening. A split read on the booking or the
    # family (the CAF régime) is grouped in the big query itself.
    on_activity = field.startswith("activity__")
    grouped = ["month", "opening__unit_id"] + ([] if on_activity else [field])
    presences = _bookings(scope).filter(status=BookingStatus.PRESENT).annotate(month=_month("date"))
    if on_activity:
        rows = _presences_by_month_and_unit(presences)
    else:
        rows = presences.values(*grouped).annotate(n=Count("pk")).order_by()
    units = {
        pk: (_minutes(start, end), value)
        for pk, start, end, value in Unit.objects.filter(
            organisation_id=scope.organisation_id, activity__in=_scoped_activities(scope).values("pk")
        ).values_list("pk", "start_time", "end_time", field)
    }
    hours = defaultdict(Decimal)
    for row in rows:
        minutes, value = units.get(row["opening__unit_id"], (0, ""))
        split_value = value if on_activity else row[field]
        hours[(_to_date(row["month"]), label(split_value))] += Decimal(minutes * row["n"]) / 60
    return [
        {"month": month, "split": name, "hours": value.quantize(Decimal("0.01"))}
        for (month, name), value in sorted(hours.items())
    ]


# --- Dashboard trend -----------------------------------------------------------------------------------
def weekly_trend(membership, *, today: date, weeks: int = 8) -> list[dict]:
    """The last `weeks` weeks (this one last): places held and children present. One query."""
    monday = today - timedelta(days=today.weekday())
    start = monday - timedelta(weeks=weeks - 1)
    scope = StatsScope(membership=membership, start=start, end=monday + timedelta(days=6))
    rows = (
        _bookings(scope)
        .annotate(week=TruncWeek("date"))
        .values("week")
        .annotate(
            booked=Count("pk", filter=Q(status__in=PLACE_STATUSES)),
            present=Count("pk", filter=Q(status=BookingStatus.PRESENT)),
            children=Count("child", distinct=True, filter=Q(status__in=PLACE_STATUSES)),
        )
        .order_by("week")
    )
    found = {_to_date(row["week"]): row for row in rows}
    return [
        {"week": week, **{k: found.get(week, {}).get(k, 0) for k in ("booked", "present", "children")}}
        for week in (start + timedelta(weeks=i) for i in range(weeks))
    ]
