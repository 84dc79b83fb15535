"""Reads for "Mes réservations" seen for the whole family at once (issue 22, "all children at once"):
every child's rows on one grid per activity, the copy of one child's choices to the others
("même chose pour tous"), and the pattern tool's preview ("tous les lundis et jeudis du … au …").

Each read costs a fixed number of queries, whatever the number of children, activities and weeks."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.activities.models import Activity, Opening, Unit, UnitExclusion
from ribambelle.core.dates import shown_date
from ribambelle.families.models import Person, PersonRole
from ribambelle.registrations.models import Registration, RegistrationStatus

from .models import LIVE_STATUSES, Booking, BookingStatus, holds_place
from .selectors import Cell, CellState, Row, _cell, _Deadlines
from .services import _exclusions, deadline_for


@dataclass
class ChildBlock:
    """One child's unit rows in a section (the child's group may differ from its siblings')."""

    child: Person
    registration: Registration
    rows: list[Row] = field(default_factory=list)


@dataclass
class FamilySection:
    """One activity of the week: the days it opens, and a block of rows per child registered to it."""

    activity: Activity
    days: list[date]
    children: list[ChildBlock] = field(default_factory=list)
    others: list[Person] = field(default_factory=list)  # the family's other children, not registered here


@dataclass
class Skipped:
    child: Person
    unit: Unit
    day: date
    reason: str


def family_children(family) -> list[Person]:
    """The family's children with an accepted registration (the ones that can be booked)."""
    return list(
        Person.objects.filter(
            organisation_id=family.organisation_id,
            family=family,
            role=PersonRole.CHILD,
            registrations__status=RegistrationStatus.ACCEPTED,
        )
        .distinct()
        .order_by("birth_date", "first_name", "pk")
    )


def children_for_family_or_404(family, child_ids) -> dict[int, Person]:
    """The family's children among these ids, by id; any other id (another family's child, an adult,
    another organisation's person) answers 404: nothing is read or changed for anyone."""
    ids = set(child_ids)
    if not ids:
        return {}
    found = {
        child.pk: child
        for child in Person.objects.filter(
            organisation_id=family.organisation_id, family=family, role=PersonRole.CHILD, pk__in=ids
        )
    }
    if set(found) != ids:
        raise Http404
    for child in found.values():
        child.family = family
        child.organisation = family.organisation
    return found


def _registrations(family, start: date, end: date, *, child_ids=None, unit_ids=None):
    registrations = Registration.objects.filter(
        organisation_id=family.organisation_id,
        family=family,
        child__family=family,
        child__role=PersonRole.CHILD,
        status=RegistrationStatus.ACCEPTED,
        activity__start_date__lte=end,
        activity__end_date__gte=start,
    )
    if child_ids is not None:
        registrations = registrations.filter(child_id__in=list(child_ids))
    if unit_ids is not None:
        registrations = registrations.filter(activity__units__id__in=list(unit_ids)).distinct()
    return list(
        registrations.select_related("child", "activity", "activity__organisation", "group").order_by(
            "activity__start_date", "activity_id", "child__birth_date", "child__first_name", "child_id"
        )
    )


def _openings(registrations, start: date, end: date, *, unit_ids=None) -> list[Opening]:
    pairs = Q()
    for registration in registrations:
        pairs |= Q(activity_id=registration.activity_id, group_id=registration.group_id)
    openings = Opening.objects.filter(
        pairs, organisation_id=registrations[0].organisation_id, date__range=(start, end)
    ).annotate(taken=Count("bookings", filter=holds_place("bookings__")))
    if unit_ids is not None:
        openings = openings.filter(unit_id__in=list(unit_ids))
    return list(openings.order_by("pk"))


def _exclusions_by_target(activity_ids) -> defaultdict:
    excluded_by = defaultdict(set)
    for source, target in UnitExclusion.objects.filter(from_unit__activity_id__in=activity_ids).values_list(
        "from_unit_id", "to_unit_id"
    ):
        excluded_by[target].add(source)
    return excluded_by


def family_planning(family, start: date, end: date, *, show_remaining: bool = True, now=None) -> list[FamilySection]:
    """The week (or any range) for every child of the family: one section per activity, in it one
    block of unit rows per child registered, one cell per day the activity opens. Five queries."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    registrations = _registrations(family, start, end)
    if not registrations:
        return []
    openings = _openings(registrations, start, end)
    activity_ids = {r.activity_id for r in registrations}
    units = list(Unit.objects.filter(activity_id__in=activity_ids).order_by("position", "start_time", "id"))
    activities = {r.activity_id: r.activity for r in registrations}
    units_by_pk = {u.pk: u for u in units}
    for opening in openings:
        opening.activity = activities[opening.activity_id]
        opening.unit = units_by_pk[opening.unit_id]
    bookings = {
        (b.child_id, b.opening_id): b
        for b in Booking.objects.filter(
            organisation_id=family.organisation_id,
            family=family,
            child_id__in={r.child_id for r in registrations},
            date__range=(start, end),
            status__in=LIVE_STATUSES,
        )
    }
    unit_of_opening = {o.pk: o.unit_id for o in openings}
    booked_units = defaultdict(set)  # (child, day) -> units held, for the exclusions
    for (child_id, opening_id), booking in bookings.items():
        booked_units[(child_id, booking.date)].add(unit_of_opening.get(opening_id))
    excluded_by = _exclusions_by_target(activity_ids)
    by_key = {(o.activity_id, o.group_id, o.unit_id, o.date): o for o in openings}
    open_days = defaultdict(set)
    for opening in openings:
        open_days[opening.activity_id].add(opening.date)
    children = {r.child_id: r.child for r in registrations}
    deadlines = _Deadlines()
    day_labels = {day: shown_date(day, year=False) for day in sorted({o.date for o in openings})}
    sections: dict[int, FamilySection] = {}
    for registration in registrations:
        days = sorted(open_days[registration.activity_id])
        if not days:
            continue  # nothing open this week for this activity
        section = sections.setdefault(
            registration.activity_id, FamilySection(activity=registration.activity, days=days)
        )
        child = registration.child
        child.family = family
        block = ChildBlock(child=child, registration=registration)
        for unit in (u for u in units if u.activity_id == registration.activity_id):
            row = Row(unit=unit)
            for day in days:
                opening = by_key.get((registration.activity_id, registration.group_id, unit.pk, day))
                booking = bookings.get((child.pk, opening.pk)) if opening else None
                if opening and booking is None and excluded_by[unit.pk] & booked_units[(child.pk, day)]:
                    cell = Cell(day=day, state=CellState.EXCLUDED, opening=opening)
                else:
                    cell = _cell(
                        day,
                        opening,
                        booking,
                        now=now,
                        today=today,
                        show_remaining=show_remaining,
                        as_staff=False,
                        deadlines=deadlines,
                    )
                cell.child = child
                cell.day_label = day_labels[day]
                cell.saved = cell.wanted = cell.checked
                row.cells.append(cell)
            block.rows.append(row)
        section.children.append(block)
    for section in sections.values():
        inside = {b.child.pk for b in section.children}
        section.others = [c for pk, c in children.items() if pk not in inside]
    return list(sections.values())


def apply_posted_choices(sections, *, shown: set[tuple[int, int]], wanted: set[tuple[int, int]]) -> None:
    """The choices a family ticked but has not saved (the grid posted back), on the grid's cells."""
    for cell in _cells(sections):
        if cell.actionable and (cell.child.pk, cell.opening.pk) in shown:
            cell.wanted = (cell.child.pk, cell.opening.pk) in wanted


def pending_count(sections) -> int:
    """How many cells show a choice not saved yet."""
    return sum(1 for cell in _cells(sections) if cell.wanted != cell.saved)


def _cells(sections):
    for section in sections:
        for block in section.children:
            for row in block.rows:
                yield from row.cells


# Why a day cannot take the copied choice, by the state of the other child's cell.
def _reason(cell: Cell) -> str:
    return {
        CellState.CLOSED: _("fermé"),
        CellState.FULL: _("complet"),
        CellState.LOCKED: _("délai dépassé"),
        CellState.BOOKED: _("délai dépassé"),
        CellState.WAITING: _("délai dépassé"),
        CellState.OFFERED: _("délai dépassé"),
        CellState.EXCLUDED: _("une autre unité incompatible est réservée ce jour-là"),
        CellState.PRESENT: _("présence déjà notée"),
        CellState.ABSENT: _("présence déjà notée"),
        CellState.EXCUSED: _("présence déjà notée"),
    }.get(cell.state, _("impossible"))


def copy_choices(sections, *, source_id: int) -> tuple[list[Skipped], list[tuple[Person, Activity]]]:
    """ "Même chose pour tous": the other children registered to the same activities take the source
    child's choices (ticked or not) on the days shown, unsaved. Returns the days that could not take
    them (closed, full, past the deadline…) and the children not registered to those activities."""
    skipped: list[Skipped] = []
    not_registered: list[tuple[Person, Activity]] = []
    for section in sections:
        source = next((b for b in section.children if b.child.pk == source_id), None)
        if source is None:
            continue
        not_registered.extend((child, section.activity) for child in section.others)
        choices = {
            (row.unit.pk, cell.day): cell.wanted
            for row in source.rows
            for cell in row.cells
            if cell.opening is not None and cell.state != CellState.CLOSED
        }
        for block in section.children:
            if block is source:
                continue
            for row in block.rows:
                for cell in row.cells:
                    want = choices.get((row.unit.pk, cell.day))
                    if want is None or want == cell.wanted:
                        continue
                    if cell.actionable and not (want and cell.state == CellState.FULL):
                        cell.wanted = want
                    else:
                        skipped.append(Skipped(block.child, row.unit, cell.day, _reason(cell)))
    return skipped, not_registered


# --- The pattern tool ------------------------------------------------------------------------------
BOOK, WAIT, CANCEL, SKIP = "book", "wait", "cancel", "skip"


@dataclass
class PlanLine:
    opening: Opening
    outcome: str  # BOOK, WAIT (full: the waiting list), CANCEL, or SKIP with its reason
    reason: str = ""


@dataclass
class ChildPlan:
    child: Person
    lines: list[PlanLine] = field(default_factory=list)
    not_registered: list[str] = field(default_factory=list)  # units chosen of activities it is not in

    def _of(self, outcome):
        return [line for line in self.lines if line.outcome == outcome]

    @property
    def booked(self):
        return self._of(BOOK)

    @property
    def waitlisted(self):
        return self._of(WAIT)

    @property
    def cancelled(self):
        return self._of(CANCEL)

    @property
    def skipped(self):
        return self._of(SKIP)

    @property
    def changes(self) -> int:
        return len(self.booked) + len(self.waitlisted) + len(self.cancelled)


def pattern_units(family) -> list[Unit]:
    """The units a family may use in the pattern tool: those of the activities its children are
    registered to (accepted) and that are not over, with their activity."""
    today = timezone.localdate()
    return list(
        Unit.objects.filter(
            organisation_id=family.organisation_id,
            activity__registrations__family=family,
            activity__registrations__status=RegistrationStatus.ACCEPTED,
            activity__end_date__gte=today,
        )
        .select_related("activity")
        .distinct()
        .order_by("activity__start_date", "activity_id", "position", "start_time", "pk")
    )


def pattern_plan(
    family,
    *,
    children: list[Person],
    unit_ids,
    weekdays,
    start: date,
    end: date,
    cancel: bool,
    waitlist: bool,
    now=None,
) -> list[ChildPlan]:
    """Exactly what applying the pattern would change, per child, and what it would skip and why.

    It decides as save_bookings does, in the order the family save applies it (children by id, days
    by opening id): closed, past the deadline (booking or cancelling), already booked, an incompatible
    unit held that day, full (the waiting list when asked, else refused) — places counted as the
    earlier children of the same plan take them. Five queries whatever the period and the children."""
    now = now or timezone.now()
    unit_ids, weekdays = set(unit_ids), set(weekdays)
    children = sorted(children, key=lambda c: c.pk)
    plans = {child.pk: ChildPlan(child=child) for child in children}
    registrations = _registrations(family, start, end, child_ids=plans, unit_ids=unit_ids)
    units = {
        u.pk: u
        for u in Unit.objects.filter(organisation_id=family.organisation_id, pk__in=unit_ids).select_related("activity")
    }
    registered = {(r.child_id, r.activity_id) for r in registrations}
    chosen_activities = {u.activity_id: u.activity.name for u in units.values()}
    for plan in plans.values():
        plan.not_registered = sorted(
            {name for activity_id, name in chosen_activities.items() if (plan.child.pk, activity_id) not in registered}
        )
    activities = {r.activity_id: r.activity for r in registrations}
    if not registrations:
        return list(plans.values())
    openings = [o for o in _openings(registrations, start, end, unit_ids=unit_ids) if o.date.weekday() in weekdays]
    for opening in openings:
        opening.activity = activities[opening.activity_id]
        opening.unit = units[opening.unit_id]
    live = defaultdict(dict)  # child -> opening -> status
    units_held = defaultdict(set)  # (child, day) -> units
    for child_id, opening_id, unit_id, day, status in Booking.objects.filter(
        organisation_id=family.organisation_id,
        family=family,
        child_id__in=list(plans),
        date__range=(start, end),
        status__in=LIVE_STATUSES,
    ).values_list("child_id", "opening_id", "opening__unit_id", "date", "status"):
        live[child_id][opening_id] = status
        units_held[(child_id, day)].add(unit_id)
    # As save_bookings reads them: the units this unit excludes (from_unit -> to_unit).
    excludes = _exclusions(set(activities)) if not cancel else {}
    group_of = {(r.child_id, r.activity_id): r.group_id for r in registrations}
    remaining = {o.pk: o.capacity - o.taken for o in openings}
    for child in children:
        plan = plans[child.pk]
        for opening in openings:
            if group_of.get((child.pk, opening.activity_id)) != opening.group_id:
                continue
            status = live[child.pk].get(opening.pk)
            past = now > deadline_for(opening)
            if cancel:
                if status is None:
                    continue  # nothing to cancel that day
                if opening.is_closed:
                    plan.lines.append(PlanLine(opening, SKIP, _("fermé")))
                elif past:
                    plan.lines.append(PlanLine(opening, SKIP, _("hors délai")))
                else:
                    plan.lines.append(PlanLine(opening, CANCEL))
                continue
            if status is not None:
                reason = _("déjà en liste d'attente") if status == BookingStatus.WAITING else _("déjà réservé")
                plan.lines.append(PlanLine(opening, SKIP, reason))
            elif opening.is_closed:
                plan.lines.append(PlanLine(opening, SKIP, _("fermé")))
            elif past:
                plan.lines.append(PlanLine(opening, SKIP, _("hors délai")))
            elif excludes.get(opening.unit_id, set()) & units_held[(child.pk, opening.date)]:
                plan.lines.append(PlanLine(opening, SKIP, _("une autre unité incompatible est réservée ce jour-là")))
            elif remaining[opening.pk] > 0:
                remaining[opening.pk] -= 1
                units_held[(child.pk, opening.date)].add(opening.unit_id)
                plan.lines.append(PlanLine(opening, BOOK))
            elif waitlist:
                units_held[(child.pk, opening.date)].add(opening.unit_id)
                plan.lines.append(PlanLine(opening, WAIT, _("complet : liste d'attente")))
            else:
                plan.lines.append(PlanLine(opening, SKIP, _("complet : refusé")))
        plan.lines.sort(key=lambda line: (line.opening.date, line.opening.unit.position, line.opening.unit_id))
    return list(plans.values())


def plan_changes(plans: list[ChildPlan], *, waitlist: bool) -> list[tuple[Person, int, bool, bool]]:
    """(child, opening id, book?, join the waiting list?) for every line that changes something; a
    day booked that fills up before the confirmation goes to its waiting list when the family asked."""
    return [
        (plan.child, line.opening.pk, line.outcome != CANCEL, line.outcome == WAIT or waitlist)
        for plan in plans
        for line in plan.lines
        if line.outcome in (BOOK, WAIT, CANCEL)
    ]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
