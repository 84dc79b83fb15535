"""Reads of the CAF activity report: the figures, the warnings, the frozen reports.

`build_report` reads everything in a fixed number of queries (one per kind of row: activities,
rules, units, attendance, invoice lines, children, families, quotients, brackets, openings,
unmarked days), then folds the rows in memory with integer minutes: the query count does not
grow with children or days (tests/test_caf_report.py counts them; bench/caf_report.py times a
year of 2,000 children).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ribambelle.activities.models import Activity, Opening, Unit
from ribambelle.billing.models import InvoiceKind, InvoiceLine, QuotientBracket
from ribambelle.bookings.models import Booking, BookingStatus
from ribambelle.families.models import Family, Person, PersonRole, QuotientRecord, Regime
from ribambelle.tenancy.access import structure_limit
from ribambelle.tenancy.models import Structure
from ribambelle.tenancy.roles import Area

from . import counting
from .counting import MONTH_TOTAL, UNKNOWN, DayRule, QuotientHistory
from .models import ActivityCafRule, CafSettings, CafSnapshot, CareType, StructureCafIdentifiers, UnitHourEquivalent

ALL_CARE = "all"
DIMENSIONS = {
    "total": _("Total"),
    "age": _("Tranche d'âge"),
    "regime": pgettext_lazy("protection sociale", "Régime"),
    "bracket": _("Tranche de QF"),
}
MEASURES = ("hours_attended", "hours_billed", "children", "contributions", "opening_days")
DECLARED_CARE_TYPES = [value for value in CareType.values if value != CareType.NOT_DECLARED]


# --- Reach ----------------------------------------------------------------------------------


def structures_for_caf(membership):
    """The active structures a member may report on: all, or those of their list."""
    structures = Structure.objects.filter(organisation=membership.organisation, is_active=True)
    limit = structure_limit(membership, Area.FAMILIES)
    return structures if limit is None else structures.filter(pk__in=limit)


def may_report_on_all(membership) -> bool:
    return structure_limit(membership, Area.FAMILIES) is None


def get_structure_for_caf(membership, structure_id) -> Structure:
    structure = structures_for_caf(membership).filter(pk=structure_id).first()
    if structure is None:
        raise Http404
    return structure


def snapshots_for_staff(membership):
    snapshots = CafSnapshot.objects.filter(organisation=membership.organisation).select_related("structure")
    limit = structure_limit(membership, Area.FAMILIES)
    return snapshots if limit is None else snapshots.filter(structure_id__in=limit)


def get_snapshot_for_staff(membership, snapshot_id) -> CafSnapshot:
    snapshot = snapshots_for_staff(membership).filter(pk=snapshot_id).first()
    if snapshot is None:
        raise Http404
    return snapshot


def activities_for_caf(membership):
    activities = Activity.objects.filter(organisation=membership.organisation).select_related("structure")
    limit = structure_limit(membership, Area.FAMILIES)
    activities = activities if limit is None else activities.filter(structure_id__in=limit)
    return activities.order_by("structure__name", "-start_date", "name")


def get_activity_for_caf(membership, activity_id) -> Activity:
    activity = activities_for_caf(membership).filter(pk=activity_id).first()
    if activity is None:
        raise Http404
    return activity


def caf_settings(organisation) -> CafSettings:
    return CafSettings.objects.filter(organisation=organisation).first() or CafSettings(organisation=organisation)


def identifiers_for(structure) -> StructureCafIdentifiers:
    return StructureCafIdentifiers.objects.filter(
        organisation=structure.organisation, structure=structure
    ).first() or StructureCafIdentifiers(organisation=structure.organisation, structure=structure)


def rule_for(activity) -> ActivityCafRule:
    return ActivityCafRule.objects.filter(
        organisation=activity.organisation, activity=activity
    ).first() or ActivityCafRule(
        organisation=activity.organisation, activity=activity, care_type=counting.default_care_type(activity.kind)
    )


def unit_hours_for(activity) -> list[tuple[Unit, Decimal | None]]:
    """The activity's units with their set hour-equivalent (None: their time span)."""
    units = list(Unit.objects.filter(organisation=activity.organisation, activity=activity))
    set_hours = dict(
        UnitHourEquivalent.objects.filter(organisation=activity.organisation, unit__in=units).values_list(
            "unit_id", "hours"
        )
    )
    return [(unit, set_hours.get(unit.pk)) for unit in units]


def rules_overview(membership) -> list[dict]:
    """Each activity in reach with its accueil type and caps (two queries)."""
    activities = list(activities_for_caf(membership))
    rules = {
        rule.activity_id: rule
        for rule in ActivityCafRule.objects.filter(
            organisation=membership.organisation, activity_id__in=[a.pk for a in activities]
        )
    }
    return [
        {"activity": activity, "rule": rules.get(activity.pk) or rule_for_default(activity)} for activity in activities
    ]


def rule_for_default(activity) -> ActivityCafRule:
    return ActivityCafRule(
        organisation=activity.organisation, activity=activity, care_type=counting.default_care_type(activity.kind)
    )


def identifiers_overview(membership) -> list[dict]:
    structures = list(structures_for_caf(membership).order_by("name"))
    identifiers = {
        row.structure_id: row
        for row in StructureCafIdentifiers.objects.filter(
            organisation=membership.organisation, structure__in=structures
        )
    }
    return [{"structure": s, "ids": identifiers.get(s.pk)} for s in structures]


# --- The report -----------------------------------------------------------------------------


@dataclass
class ReportRow:
    month: str  # "2026-10", or "total" for the whole period
    care_type: str  # a CareType value, or "all"
    dimension: str  # "total", "age", "regime", "bracket"
    value: str
    value_label: str
    hours_attended: Decimal = Decimal("0.00")
    hours_billed: Decimal = Decimal("0.00")
    children: int = 0
    contributions: Decimal = Decimal("0.00")
    opening_days: int | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.month, self.care_type, self.dimension, self.value)

    @property
    def month_label(self) -> str:
        return month_label(self.month)

    @property
    def care_type_label(self) -> str:
        return care_type_label(self.care_type)

    @property
    def dimension_label(self) -> str:
        return str(DIMENSIONS[self.dimension])

    def as_json(self) -> dict:
        return {
            "month": self.month,
            "care_type": self.care_type,
            "dimension": self.dimension,
            "value": self.value,
            "value_label": self.value_label,
            "hours_attended": str(self.hours_attended),
            "hours_billed": str(self.hours_billed),
            "children": self.children,
            "contributions": str(self.contributions),
            "opening_days": self.opening_days,
        }

    @classmethod
    def from_json(cls, data: dict) -> "ReportRow":
        return cls(
            month=data["month"],
            care_type=data["care_type"],
            dimension=data["dimension"],
            value=data["value"],
            value_label=data["value_label"],
            hours_attended=Decimal(data["hours_attended"]),
            hours_billed=Decimal(data["hours_billed"]),
            children=data["children"],
            contributions=Decimal(data["contributions"]),
            opening_days=data["opening_days"],
        )


def month_label(month: str) -> str:
    if month == MONTH_TOTAL:
        return str(_("Toute la période"))
    year, number = month.split("-")
    return date_format(date(int(year), int(number), 1), "F Y")


def care_type_label(care_type: str) -> str:
    return str(_("Tous types d'accueil")) if care_type == ALL_CARE else str(CareType(care_type).label)


@dataclass
class ReportWarning:
    kind: str
    message: str
    items: list[str] = field(default_factory=list)


@dataclass
class CafReport:
    start: date
    end: date
    structure: Structure | None
    rows: list[ReportRow]
    warnings: list[ReportWarning]
    identifiers: list[StructureCafIdentifiers] = field(default_factory=list)

    def sections(self) -> list[dict]:
        """Rows grouped for the screen: one table per month and accueil type."""
        grouped: dict[tuple[str, str], list[ReportRow]] = {}
        for row in self.rows:
            grouped.setdefault((row.month, row.care_type), []).append(row)
        return [
            {
                "month": month,
                "care_type": care,
                "rows": rows,
                "title": f"{month_label(month)} – {care_type_label(care)}",
            }
            for (month, care), rows in grouped.items()
        ]

    def figures(self) -> dict:
        return {"rows": [row.as_json() for row in self.rows]}


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


_DAYS: dict = {}


class _MonthOf(dict):
    """day -> "2026-10", computed once per day."""

    def __missing__(self, day):
        self[day] = value = _month(day)
        return value


CENT = Decimal("0.01")


def _as_date(raw) -> date:
    """A date column as read raw: a date (PostgreSQL) or its ISO text (SQLite), parsed once per day."""
    found = _DAYS.get(raw)
    if found is None:
        found = _DAYS[raw] = raw if isinstance(raw, date) else date.fromisoformat(raw)
    return found


def _decimal(raw) -> Decimal:
    return raw if isinstance(raw, Decimal) else Decimal(str(raw)).quantize(CENT)


def _raw_rows(queryset):
    """The rows of a `values_list` query straight from the cursor, in chunks: a yearly report
    reads hundreds of thousands of rows, and Django's per-row converters would cost more than
    the report itself. The SQL is the queryset's (scoped, filtered by organisation)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # filtered on an empty list: nothing to read
        return
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(10000):
            yield from chunk


def build_report(organisation, *, start: date, end: date, structure=None, structure_ids=None) -> CafReport:
    """The CAF figures of `structure` (None: `structure_ids`, or the whole organisation) from
    `start` to `end` inclusive. The caller has checked the structures are within reach."""
    if structure is not None:
        structure_ids = [structure.pk]
    settings = caf_settings(organisation)
    bounds = counting.parse_age_bounds(settings.age_bounds)
    band_labels = counting.age_band_labels(bounds)

    activities = Activity.objects.filter(organisation=organisation)
    if structure_ids is not None:
        activities = activities.filter(structure_id__in=structure_ids)
    activity_rows = list(activities.values_list("pk", "kind", "name"))
    rules = {
        row.activity_id: row
        for row in ActivityCafRule.objects.filter(
            organisation=organisation, activity_id__in=[pk for pk, _k, _n in activity_rows]
        )
    }
    day_rules: dict[int, DayRule] = {}
    activity_names = {}
    for pk, kind, name in activity_rows:
        rule = rules.get(pk)
        care = rule.care_type if rule else counting.default_care_type(kind)
        if care == CareType.NOT_DECLARED:
            continue
        activity_names[pk] = name
        day_rules[pk] = DayRule(
            care_type=care,
            daily_cap=counting.hours_to_minutes(rule.daily_cap_hours) if rule else None,
            wednesday_cap=counting.hours_to_minutes(rule.wednesday_cap_hours) if rule else None,
            rounding=rule.rounding if rule else 0,
        )
    declared = list(day_rules)

    set_minutes = {
        unit_id: counting.hours_to_minutes(hours)
        for unit_id, hours in UnitHourEquivalent.objects.filter(
            organisation=organisation, unit__activity_id__in=declared
        ).values_list("unit_id", "hours")
    }
    unit_minutes = {
        unit_id: set_minutes.get(unit_id, counting.span_minutes(start_time, end_time))
        for unit_id, start_time, end_time in Unit.objects.filter(
            organisation=organisation, activity_id__in=declared
        ).values_list("pk", "start_time", "end_time")
    }

    # Each opening's unit (its minutes) and the days an activity of each type was open.
    opening_minutes: dict[int, int] = {}
    opening_days: dict[tuple[str, str], set] = defaultdict(set)
    for opening_id, activity_id, unit_id, raw_day, closed in _raw_rows(
        Opening.objects.filter(
            organisation=organisation, activity_id__in=declared, date__gte=start, date__lte=end
        ).values_list("pk", "activity_id", "unit_id", "date", "is_closed")
    ):
        opening_minutes[opening_id] = unit_minutes.get(unit_id, 0)
        if not closed:
            day = _as_date(raw_day)
            care = day_rules[activity_id].care_type
            for month in (_month(day), MONTH_TOTAL):
                for care_key in (care, ALL_CARE):
                    opening_days[(month, care_key)].add(day)

    # The organisation's children, families and quotients: a few columns of every row, which
    # costs less than asking the database for the ones in the period.
    children = {
        pk: (counting.band_thresholds(_as_date(birth) if birth else None, bounds), f"{first} {last}")
        for pk, birth, first, last in _raw_rows(
            Person.objects.filter(organisation=organisation, role=PersonRole.CHILD).values_list(
                "pk", "birth_date", "first_name", "last_name"
            )
        )
    }
    families = {}
    quotient_records: dict[int, list] = defaultdict(list)
    for pk, name, regime, qf, qf_date in _raw_rows(
        Family.objects.filter(organisation=organisation).values_list(
            "pk", "name", "regime", "family_quotient", "family_quotient_date"
        )
    ):
        families[pk] = (name, regime)
        if qf is not None:
            # The current QF fields count as one more dated record (from their date, or always).
            quotient_records[pk].append((_as_date(qf_date) if qf_date else date.min, _decimal(qf)))
    for family_id, month, value in _raw_rows(
        QuotientRecord.objects.filter(organisation=organisation).values_list("family_id", "reference_month", "value")
    ):
        quotient_records[family_id].append((_as_date(month), _decimal(value)))
    brackets = list(QuotientBracket.objects.filter(organisation=organisation).values_list("upper_bound", "label"))
    if not brackets:
        brackets = [(None, str(_("Tous quotients")))]
    bracket_labels = {str(index): label for index, (_upper, label) in enumerate(brackets)}
    bracket_labels[UNKNOWN] = str(_("QF inconnu"))

    histories = {pk: QuotientHistory(records, brackets) for pk, records in quotient_records.items()}
    no_history = QuotientHistory([], brackets)

    # Fine cells: (month, care, band, regime, bracket) -> [attended min, billed min, cents, children]
    cells: dict[tuple, list] = {}
    no_qf_families: set[int] = set()
    missing_child = (None, "")
    unknown_family = ("", Regime.UNKNOWN)

    def cell(key):
        found = cells.get(key)
        if found is None:
            found = cells[key] = [0, 0, Decimal("0.00"), set()]
        return found

    # Attendance: a child's minutes of one day in one activity, then the day's rule.
    attendance = Booking.objects.filter(
        organisation=organisation,
        status=BookingStatus.PRESENT,
        date__gte=start,
        date__lte=end,
        activity_id__in=declared,
    ).values_list("child_id", "family_id", "date", "activity_id", "opening_id")
    day_minutes: dict[tuple, int] = defaultdict(int)
    day_family = {}
    for child_id, family_id, raw_day, activity_id, opening_id in _raw_rows(attendance):
        key = (child_id, raw_day, activity_id)
        day_minutes[key] += opening_minutes.get(opening_id, 0)
        day_family[key] = family_id
    age_band, months = counting.age_band, _MonthOf()
    for (child_id, raw_day, activity_id), minutes in day_minutes.items():
        day = _as_date(raw_day)
        rule = day_rules[activity_id]
        family_id = day_family[(child_id, raw_day, activity_id)]
        bracket = histories.get(family_id, no_history).bracket_on(day)
        if bracket == UNKNOWN:
            no_qf_families.add(family_id)
        target = cell(
            (
                months[day],
                rule.care_type,
                age_band(children.get(child_id, missing_child)[0], day),
                families.get(family_id, unknown_family)[1],
                bracket,
            )
        )
        target[0] += rule.day_minutes(minutes, day) if rule.adjusts else minutes
        target[3].add(child_id)

    # Invoice lines: billed units × hour-equivalent, and the amounts families paid.
    lines = (
        InvoiceLine.objects.filter(organisation=organisation, activity_id__in=declared)
        .filter(
            Q(date__gte=start, date__lte=end)
            | Q(date__isnull=True, invoice__period_start__gte=start, invoice__period_start__lte=end)
        )
        .values_list(
            "child_id",
            "family_id",
            "date",
            "invoice__period_start",
            "activity_id",
            "booking__opening_id",
            "invoice__kind",
            "amount",
        )
    )
    line_families = set()
    for child_id, family_id, raw_day, period_start, activity_id, opening_id, kind, amount in _raw_rows(lines):
        day = _as_date(raw_day or period_start)
        sign = -1 if kind == InvoiceKind.CREDIT_NOTE else 1
        line_families.add(family_id)
        target = cell(
            (
                months[day],
                day_rules[activity_id].care_type,
                age_band(children.get(child_id, missing_child)[0], day),
                families.get(family_id, unknown_family)[1],
                histories.get(family_id, no_history).bracket_on(day),
            )
        )
        if opening_id:
            target[1] += sign * opening_minutes.get(opening_id, 0)
        target[2] += _decimal(amount)

    rows = _marginals(cells, band_labels, bracket_labels, opening_days, start, end)
    warnings = _warnings(
        organisation,
        children=children,
        families=families,
        no_qf_families=no_qf_families,
        attendance_child_ids={child for child, _day, _activity in day_minutes},
        attendance_family_ids=set(day_family.values()) | line_families,
        declared=declared,
        activity_names=activity_names,
        start=start,
        end=end,
    )
    identifiers = list(
        StructureCafIdentifiers.objects.filter(organisation=organisation)
        .filter(Q() if structure_ids is None else Q(structure_id__in=structure_ids))
        .select_related("structure")
    )
    return CafReport(start=start, end=end, structure=structure, rows=rows, warnings=warnings, identifiers=identifiers)


def _marginals(cells, band_labels, bracket_labels, opening_days, start: date, end: date) -> list[ReportRow]:
    """Sum the fine cells into the report's rows: per month (and the whole period), per accueil
    type (and all), the total and each split. Distinct children are unions of the cells' sets."""
    sums: dict[tuple, list] = {}
    for (month, care, band, regime, bracket), (attended, billed, cents, kids) in cells.items():
        for month_key in (month, MONTH_TOTAL):
            for care_key in (care, ALL_CARE):
                for dimension, value in (("total", ""), ("age", band), ("regime", regime), ("bracket", bracket)):
                    key = (month_key, care_key, dimension, value)
                    found = sums.get(key)
                    if found is None:
                        found = sums[key] = [0, 0, Decimal("0.00"), set()]
                    found[0] += attended
                    found[1] += billed
                    found[2] += cents
                    found[3] |= kids

    months = sorted({key[0] for key in sums if key[0] != MONTH_TOTAL})
    care_types = [care for care in DECLARED_CARE_TYPES if any(key[1] == care for key in sums)]
    if len(care_types) > 1:
        care_types.append(ALL_CARE)
    value_orders = {
        "total": [("", str(_("Ensemble")))],
        "age": list(band_labels.items()),
        "regime": [(value, str(label)) for value, label in Regime.choices],
        "bracket": list(bracket_labels.items()),
    }
    rows = []
    for month in [*months, MONTH_TOTAL] if months else []:
        for care in care_types:
            if (month, care, "total", "") not in sums:
                continue
            for dimension, values in value_orders.items():
                for value, label in values:
                    found = sums.get((month, care, dimension, value))
                    if found is None and value == UNKNOWN:
                        continue  # "unknown" rows only when something is unknown
                    attended, billed, cents, kids = found or (0, 0, Decimal("0.00"), ())
                    rows.append(
                        ReportRow(
                            month=month,
                            care_type=care,
                            dimension=dimension,
                            value=value,
                            value_label=label,
                            hours_attended=counting.minutes_to_hours(attended),
                            hours_billed=counting.minutes_to_hours(billed),
                            children=len(kids),
                            contributions=cents,
                            opening_days=len(opening_days.get((month, care), ())) if dimension == "total" else None,
                        )
                    )
    return rows


def _warnings(
    organisation,
    *,
    children,
    families,
    no_qf_families,
    attendance_child_ids,
    attendance_family_ids,
    declared,
    activity_names,
    start,
    end,
) -> list[ReportWarning]:
    warnings = []
    no_birth = sorted(
        name for pk, (thresholds, name) in children.items() if thresholds is None and pk in attendance_child_ids
    )
    if no_birth:
        warnings.append(
            ReportWarning(
                "birth_date",
                str(_("Enfants sans date de naissance : leurs heures sont comptées dans « âge inconnu ».")),
                no_birth,
            )
        )
    unknown = sorted(
        name for pk, (name, regime) in families.items() if regime == Regime.UNKNOWN and pk in attendance_family_ids
    )
    if unknown:
        warnings.append(
            ReportWarning(
                "regime",
                str(_("Familles dont le régime (CAF, MSA, autre) n'est pas renseigné.")),
                unknown,
            )
        )
    no_qf = sorted(families[pk][0] for pk in no_qf_families if pk in families)
    if no_qf:
        warnings.append(
            ReportWarning(
                "quotient",
                str(_("Familles sans quotient familial valable sur des jours de présence.")),
                no_qf,
            )
        )
    today = timezone.localdate()
    unmarked = (
        Booking.objects.filter(
            organisation=organisation,
            status=BookingStatus.BOOKED,
            activity_id__in=declared,
            date__gte=start,
            date__lte=min(end, today - timedelta(days=1)),
        )
        .values_list("activity_id", "date")
        .distinct()
        .order_by("date", "activity_id")
    )
    days = [f"{day:%d/%m/%Y} – {activity_names[activity_id]}" for activity_id, day in unmarked]
    if days:
        warnings.append(
            ReportWarning(
                "roll_call",
                str(_("Jours avec des réservations mais sans pointage des présences : les heures manquent.")),
                days,
            )
        )
    return warnings


# --- Frozen reports and their differences -------------------------------------------------


@dataclass
class Difference:
    row: ReportRow  # the frozen row (or a zero row when the line is new)
    current: ReportRow
    changes: dict  # measure -> (frozen, current, delta)


def differences(snapshot: CafSnapshot, current: CafReport) -> list[Difference]:
    """The rows whose figures changed since the report was frozen (attendance corrected later)."""
    frozen = {row.key: row for row in (ReportRow.from_json(data) for data in snapshot.figures.get("rows", []))}
    now = {row.key: row for row in current.rows}
    result = []
    for key in list(frozen) + [key for key in now if key not in frozen]:
        old = frozen.get(key) or _zero_like(now[key])
        new = now.get(key) or _zero_like(old)
        changes = {}
        for measure in MEASURES:
            before, after = getattr(old, measure), getattr(new, measure)
            if before != after:
                changes[measure] = (before, after, (after or 0) - (before or 0))
        if changes:
            result.append(Difference(row=old, current=new, changes=changes))
    return result


def _zero_like(row: ReportRow) -> ReportRow:
    return ReportRow(
        month=row.month,
        care_type=row.care_type,
        dimension=row.dimension,
        value=row.value,
        value_label=row.value_label,
        opening_days=0 if row.opening_days is not None else None,
    )


def frozen_rows(snapshot: CafSnapshot) -> list[ReportRow]:
    return [ReportRow.from_json(data) for data in snapshot.figures.get("rows", [])]


# --- For other features (charts) ----------------------------------------------------------


def hours_by_month(organisation, *, start: date, end: date, structure_ids: list[int] | None = None) -> dict:
    """Hours attended as the CAF counts them, per month and accueil type:
    {(date(year, month, 1), care_type): Decimal hours}. The caller checks structure reach."""
    report = build_report(organisation, start=start, end=end, structure_ids=structure_ids)
    return {
        (date(int(row.month[:4]), int(row.month[5:]), 1), row.care_type): row.hours_attended
        for row in report.rows
        if row.month != MONTH_TOTAL and row.dimension == "total" and row.care_type != ALL_CARE
    }


def quotient_history(family) -> list[QuotientRecord]:
    return list(
        QuotientRecord.objects.filter(organisation=family.organisation, family=family)
        .select_related("recorded_by")
        .order_by("-reference_month")
    )
