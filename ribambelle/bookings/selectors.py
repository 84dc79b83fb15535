"""Reads for the planning grid, occupancy and attendance lists — a fixed number of queries
whatever the number of days, units or activities shown."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import models
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ribambelle.activities.models import Opening, Unit, UnitExclusion
from ribambelle.core.compiled import CompiledQuery
from ribambelle.core.dates import shown_date
from ribambelle.families.models import Family, Person, PersonRole
from ribambelle.registrations.models import Registration, RegistrationStatus
from ribambelle.tenancy.selectors import structures_for_staff

from .models import LIVE_STATUSES, PLACE_STATUSES, Booking, BookingStatus, holds_place
from .services import deadline_for


class CellState:
    FREE = "free"
    BOOKED = "booked"
    FULL = "full"
    WAITING = "waiting"
    OFFERED = "offered"
    CLOSED = "closed"
    LOCKED = "locked"  # past the deadline, not booked
    EXCLUDED = "excluded"  # another unit booked that day rules this one out
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


# What the legend says, in the order it shows: colour AND symbol AND word.
LEGEND = [
    (CellState.FREE, "○", gettext_lazy("Libre : cliquez pour réserver")),
    (CellState.BOOKED, "✔", gettext_lazy("Réservé")),
    (CellState.FULL, "●", gettext_lazy("Complet : cliquez pour la liste d'attente")),
    (CellState.WAITING, "◔", gettext_lazy("Liste d'attente")),
    (CellState.OFFERED, "★", gettext_lazy("Place proposée : à accepter")),
    (CellState.CLOSED, "✖", gettext_lazy("Fermé")),
    (CellState.LOCKED, "⊘", gettext_lazy("Délai dépassé")),
    (CellState.EXCLUDED, "⊖", gettext_lazy("Incompatible : une autre unité est réservée ce jour-là")),
    (CellState.PRESENT, "P", gettext_lazy("Présent")),
    (CellState.ABSENT, "A", gettext_lazy("Absent")),
    (CellState.EXCUSED, "J", gettext_lazy("Absence justifiée")),
]
SYMBOLS = {state: symbol for state, symbol, _label in LEGEND}
# The legend's words without their explanation, for each cell.
LABELS = {
    CellState.FREE: gettext_lazy("Libre"),
    CellState.BOOKED: gettext_lazy("Réservé"),
    CellState.FULL: gettext_lazy("Complet"),
    CellState.WAITING: gettext_lazy("Liste d'attente"),
    CellState.OFFERED: gettext_lazy("Place proposée"),
    CellState.CLOSED: gettext_lazy("Fermé"),
    CellState.LOCKED: gettext_lazy("Délai dépassé"),
    CellState.EXCLUDED: gettext_lazy("Incompatible"),
    CellState.PRESENT: gettext_lazy("Présent"),
    CellState.ABSENT: gettext_lazy("Absent"),
    CellState.EXCUSED: gettext_lazy("Absence justifiée"),
}


@dataclass
class Cell:
    day: date
    state: str
    opening: Opening | None = None
    booking: Booking | None = None
    remaining: int | None = None
    actionable: bool = False  # the family can tick or untick it now
    day_label: str = ""  # "mercredi 9 décembre", for screen readers

    @property
    def remaining_label(self) -> str:
        if self.remaining is None:
            return ""
        return _("1 place") if self.remaining == 1 else _("%(n)s places") % {"n": self.remaining}

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.state]

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def checked(self) -> bool:
        return self.state in (CellState.BOOKED, CellState.WAITING, CellState.OFFERED)


@dataclass
class Row:
    unit: Unit
    cells: list[Cell] = field(default_factory=list)


@dataclass
class ActivityBlock:
    registration: Registration
    rows: list[Row] = field(default_factory=list)


def children_with_accepted_registrations(family):
    return (
        Person.objects.filter(
            organisation_id=family.organisation_id,
            family=family,
            role=PersonRole.CHILD,
            registrations__status=RegistrationStatus.ACCEPTED,
        )
        .distinct()
        .order_by("birth_date", "first_name")
    )


_FAMILY_CHILD = CompiledQuery(
    lambda organisation_id, family_id, pk: Person.objects.filter(
        organisation_id=organisation_id, family_id=family_id, role=PersonRole.CHILD, pk=pk
    ),
    "organisation_id",
    "family_id",
    "pk",
)


def get_child_for_family(family, person_id: int) -> Person:
    """One of the family's children, or 404 (compiled once: it opens every planning page and save)."""
    child = _FAMILY_CHILD.first(organisation_id=family.organisation_id, family_id=family.pk, pk=person_id)
    if child is None:
        raise Http404
    child.family = family  # already loaded: saves a query on every save
    if Family.organisation.is_cached(family):
        child.organisation = family.organisation
    return child


def first_bookable_day(registration, *, now=None) -> date:
    """The day the planning should open on for this registration: its first open day the family
    can still book (deadline not passed), else its first day to come, else today."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    upcoming = (
        Opening.objects.filter(
            organisation_id=registration.organisation_id,
            activity_id=registration.activity_id,
            group_id=registration.group_id,
            is_closed=False,
            date__gte=today,
        )
        .select_related("activity", "activity__organisation")
        .order_by("date", "pk")
    )
    first = None
    # Deadlines fall a few days before their day: the first bookable day is among the first few.
    for opening in upcoming[:40]:
        first = first or opening.date
        if now <= deadline_for(opening):
            return opening.date
    return first or max(today, min(registration.activity.start_date, registration.activity.end_date))


def view_range(view: str, anchor: date) -> tuple[date, date]:
    if view == "jour":
        return anchor, anchor
    if view == "mois":
        start = anchor.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return start, end
    start = anchor - timedelta(days=anchor.weekday())
    return start, start + timedelta(days=6)


def planning(
    child,
    start: date,
    end: date,
    *,
    show_remaining: bool = True,
    now=None,
    as_staff: bool = False,
    structure_ids: list[int] | None = None,
) -> list[ActivityBlock]:
    """The child's activities as blocks of unit rows, one cell per day from start to end
    (only those of `structure_ids` when given: what a structure-limited member may book)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    registrations = Registration.objects.filter(
        organisation_id=child.organisation_id,
        child=child,
        status=RegistrationStatus.ACCEPTED,
        activity__start_date__lte=end,
        activity__end_date__gte=start,
    )
    if structure_ids is not None:
        registrations = registrations.filter(activity__structure_id__in=structure_ids)
    registrations = list(
        registrations.select_related("activity", "activity__organisation", "group").order_by(
            "activity__start_date", "activity_id"
        )
    )
    if not registrations:
        return []
    pairs = Q()
    for registration in registrations:
        pairs |= Q(activity_id=registration.activity_id, group_id=registration.group_id)
    openings = list(
        Opening.objects.filter(pairs, organisation_id=child.organisation_id, date__range=(start, end)).annotate(
            taken=Count("bookings", filter=holds_place("bookings__"))
        )
    )
    units = list(
        Unit.objects.filter(activity_id__in={r.activity_id for r in registrations}).order_by(
            "position", "start_time", "id"
        )
    )
    # The activity and unit rows already loaded, rather than one copy of each per opening.
    activities = {r.activity_id: r.activity for r in registrations}
    units_by_pk = {u.pk: u for u in units}
    for opening in openings:
        opening.activity = activities[opening.activity_id]
        opening.unit = units_by_pk[opening.unit_id]
    bookings = {
        b.opening_id: b
        for b in Booking.objects.filter(
            organisation_id=child.organisation_id, child=child, date__range=(start, end), status__in=LIVE_STATUSES
        )
    }
    by_key = {(o.activity_id, o.unit_id, o.date): o for o in openings}
    units_by_id = {o.pk: o.unit_id for o in openings}
    booked_units = defaultdict(set)
    for booking in bookings.values():
        booked_units[booking.date].add(units_by_id.get(booking.opening_id))
    excluded_by = defaultdict(set)
    for source, target in UnitExclusion.objects.filter(
        from_unit__activity_id__in={r.activity_id for r in registrations}
    ).values_list("from_unit_id", "to_unit_id"):
        excluded_by[target].add(source)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    # Formatted once per day rather than once per cell: the month view has hundreds of cells.
    day_labels = {day: shown_date(day, year=False) for day in days}
    deadlines = _Deadlines()
    blocks = []
    for registration in registrations:
        block = ActivityBlock(registration=registration)
        for unit in (u for u in units if u.activity_id == registration.activity_id):
            row = Row(unit=unit)
            for day in days:
                opening = by_key.get((registration.activity_id, unit.pk, day))
                booking = bookings.get(opening.pk) if opening else None
                if opening and booking is None and excluded_by[unit.pk] & booked_units[day]:
                    cell = Cell(day=day, state=CellState.EXCLUDED, opening=opening)
                else:
                    cell = _cell(
                        day,
                        opening,
                        booking,
                        now=now,
                        today=today,
                        show_remaining=show_remaining,
                        as_staff=as_staff,
                        deadlines=deadlines,
                    )
                cell.day_label = day_labels[day]
                row.cells.append(cell)
            block.rows.append(row)
        blocks.append(block)
    return blocks


class _Deadlines(dict):
    """Booking deadlines by activity and day: the same for every unit and group of a day."""

    def of(self, opening):
        key = (opening.activity_id, opening.date)
        if key not in self:
            self[key] = deadline_for(opening)
        return self[key]


def _cell(day, opening, booking, *, now, today, show_remaining, as_staff, deadlines) -> Cell:
    if opening is None or opening.is_closed:
        return Cell(day=day, state=CellState.CLOSED, opening=opening)
    remaining = max(opening.capacity - opening.taken, 0)
    # Staff may still act after the families' deadline (the reason is logged).
    past = not as_staff and now > deadlines.of(opening)
    if booking is not None:
        if booking.status in (BookingStatus.PRESENT, BookingStatus.ABSENT, BookingStatus.EXCUSED):
            return Cell(day=day, state=booking.status, opening=opening, booking=booking)
        if booking.status == BookingStatus.WAITING:
            state = CellState.OFFERED if booking.offer_expires_at else CellState.WAITING
            # Leaving the waiting list is always possible while the day is to come.
            return Cell(day=day, state=state, opening=opening, booking=booking, actionable=day >= today)
        return Cell(day=day, state=CellState.BOOKED, opening=opening, booking=booking, actionable=not past)
    if past:
        return Cell(day=day, state=CellState.LOCKED, opening=opening)
    state = CellState.FREE if remaining > 0 else CellState.FULL
    return Cell(day=day, state=state, opening=opening, remaining=remaining if show_remaining else None, actionable=True)


# --- Staff ----------------------------------------------------------------------------------------
def occupancy(activity, day_from: date, day_to: date):
    """Per opening: places, booked, waiting — for the occupancy table."""
    return (
        Opening.objects.filter(
            organisation_id=activity.organisation_id, activity=activity, date__range=(day_from, day_to)
        )
        .select_related("unit", "group")
        .annotate(
            booked=Count("bookings", filter=Q(bookings__status__in=PLACE_STATUSES)),
            waiting=Count("bookings", filter=Q(bookings__status=BookingStatus.WAITING)),
        )
        .order_by("date", "group__position", "group_id", "unit__position", "unit_id")
    )


def attendance_list(activity, day: date, group_id: int | None = None):
    """The children expected on a day (one row per child and unit), with what the staff must know."""
    bookings = (
        Booking.objects.filter(
            organisation_id=activity.organisation_id, activity=activity, date=day, status__in=PLACE_STATUSES
        )
        # The absence reported by the family (ribambelle.absences), in the same query: its badge.
        .select_related("child", "family", "opening__unit", "opening__group", "absence_report")
        .order_by("opening__group__position", "child__last_name", "child__first_name", "opening__unit__position")
    )
    if group_id:
        bookings = bookings.filter(opening__group_id=group_id)
    return bookings


def opening_ids_for_staff(membership, opening_ids) -> set[int]:
    """The ids, among those posted, of openings of the member's structures (others dropped)."""
    openings = Opening.objects.filter(
        organisation_id=membership.organisation_id,
        activity__structure__in=structures_for_staff(membership),
        pk__in=opening_ids,
    )
    return set(openings.values_list("pk", flat=True))


def get_booking_for_staff(membership, booking_id: int) -> Booking:
    return get_object_or_404(
        Booking.objects.filter(
            organisation_id=membership.organisation_id, activity__structure__in=structures_for_staff(membership)
        ).select_related("family", "child", "opening"),
        pk=booking_id,
    )


def get_booking_for_family(family, booking_id: int) -> Booking:
    return get_object_or_404(
        Booking.objects.filter(organisation_id=family.organisation_id, family=family).select_related("opening"),
        pk=booking_id,
    )


def upcoming_for_family(family, *, days: int = 400):
    today = timezone.localdate()
    return (
        Booking.objects.filter(
            organisation_id=family.organisation_id,
            family=family,
            status__in=PLACE_STATUSES,
            date__range=(today - timedelta(days=30), today + timedelta(days=days)),
        )
        .select_related("child", "activity", "activity__structure", "opening__unit")
        .order_by("date")
    )


# --- Back-office dashboard: the day at a glance -------------------------------------------------
@dataclass
class GroupToday:
    group_id: int
    group_name: str
    expected: int  # children with a place today (booked, present or absent)
    present: int
    absent: int  # absent or justified absence

    @property
    def unmarked(self) -> int:
        return self.expected - self.present - self.absent


@dataclass
class ActivityToday:
    activity_id: int
    name: str
    structure: str
    groups: list[GroupToday] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return sum(g.expected for g in self.groups)


def today_for_staff(membership, day: date) -> list[ActivityToday]:
    """Per activity and group of the staff member's structures: children expected, present, absent.

    One query; a child with several units that day (morning, meal…) counts once per group."""
    child = "child_id"
    rows = (
        Booking.objects.filter(
            organisation_id=membership.organisation_id,
            date=day,
            status__in=PLACE_STATUSES,
            activity__structure__in=structures_for_staff(membership),
        )
        .values("activity_id", "activity__name", "activity__structure__name", "opening__group_id")
        .annotate(
            group_name=models.F("opening__group__name"),
            group_position=models.F("opening__group__position"),
            expected=Count(child, distinct=True),
            present=Count(child, distinct=True, filter=Q(status=BookingStatus.PRESENT)),
            absent=Count(child, distinct=True, filter=Q(status__in=[BookingStatus.ABSENT, BookingStatus.EXCUSED])),
        )
        .order_by("activity__structure__name", "activity__name", "group_position", "opening__group_id")
    )
    activities: dict[int, ActivityToday] = {}
    for row in rows:
        activity = activities.setdefault(
            row["activity_id"],
            ActivityToday(row["activity_id"], row["activity__name"], row["activity__structure__name"]),
        )
        activity.groups.append(
            GroupToday(row["opening__group_id"], row["group_name"], row["expected"], row["present"], row["absent"])
        )
    return list(activities.values())


# "Presque complet": the occupancy table's rule (its caption says "◐ plus que 3 places").
NEARLY_FULL_PLACES_LEFT = 3


def filling_up(membership, start: date, *, days: int = 21, limit: int = 12):
    """Openings of the next days that are full or have 3 places or fewer left (the rush, seen from the office)."""
    return (
        Opening.objects.filter(
            organisation_id=membership.organisation_id,
            activity__structure__in=structures_for_staff(membership),
            date__range=(start, start + timedelta(days=days)),
            is_closed=False,
            capacity__gt=0,
        )
        .select_related("activity", "unit", "group")
        .annotate(
            booked=Count("bookings", filter=Q(bookings__status__in=PLACE_STATUSES)),
            waiting=Count("bookings", filter=Q(bookings__status=BookingStatus.WAITING)),
        )
        .filter(booked__gt=0, booked__gte=models.F("capacity") - NEARLY_FULL_PLACES_LEFT)
        .order_by("date", "activity__name", "group__position", "unit__position")[:limit]
    )


def booked_opening_ids(child, opening_ids) -> set[int]:
    """Among these openings, those where the child holds a live booking."""
    return set(
        Booking.objects.filter(
            organisation_id=child.organisation_id, child=child, opening_id__in=opening_ids, status__in=LIVE_STATUSES
        ).values_list("opening_id", flat=True)
    )


def openings_to_repeat(child, *, unit_ids, start: date, end: date):
    """(id, date) of the openings of these units in the child's accepted groups between two dates."""
    return (
        Opening.objects.filter(
            organisation_id=child.organisation_id,
            unit_id__in=unit_ids,
            date__range=(start, end),
            activity__registrations__child=child,
            activity__registrations__status="accepted",
            group_id__in=child.registrations.filter(status="accepted").values("group_id"),
        )
        .values_list("pk", "date")
        .distinct()
    )


def calendar_feed_of(family):
    from .models import CalendarFeed

    return CalendarFeed.objects.filter(organisation_id=family.organisation_id, family=family).first()


def get_calendar_feed(organisation, token: str):
    from .models import CalendarFeed

    return get_object_or_404(
        CalendarFeed.objects.select_related("family", "family__organisation"), organisation=organisation, token=token
    )


# --- Roll-call taps (sent by devices, possibly after working offline) ---------------------------
def booking_ids_for_staff(membership, booking_ids) -> set[int]:
    """The ids, among those sent, of bookings of the member's structures (others dropped)."""
    bookings = Booking.objects.filter(
        organisation_id=membership.organisation_id,
        activity__structure__in=structures_for_staff(membership),
        pk__in=list(booking_ids),
    )
    return set(bookings.values_list("pk", flat=True))


def tap_conflicts(activity, day: date):
    """Taps of the day where two staff members marked the same child differently, latest first."""
    from .models import AttendanceTap

    return (
        AttendanceTap.objects.filter(
            organisation_id=activity.organisation_id,
            booking__activity=activity,
            booking__date=day,
            conflicts_with__isnull=False,
        )
        .select_related("booking__child", "booking__opening__unit", "recorded_by", "conflicts_with__recorded_by")
        .order_by("-received_at", "-pk")
    )
