"""Booking days: the capacity-locking save, the waiting list, attendance.

The rule enforced by save_bookings: a child may hold a place on an opening only if it has an
accepted registration to that activity in that group, the opening is open, the deadline has not
passed (families only), no unit excluding this one is booked that day, and the group's places
for that unit and day are not all taken — counted under a lock on the opening rows, in one short
transaction, so capacity is never exceeded whatever the number of families saving at once.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Case, F, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts.services import family_action_line, log_family_action
from ribambelle.activities.models import Activity, Opening, Unit, UnitExclusion
from ribambelle.core.actions import action, step_by_step
from ribambelle.core.compiled import insert_rows
from ribambelle.core.dates import booking_deadline, long_date
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit
from ribambelle.families.recipients import family_recipients
from ribambelle.outbox.services import queue_email
from ribambelle.registrations.models import Registration, RegistrationStatus

from .models import (
    LIVE_STATUSES,
    PLACE_STATUSES,
    Booking,
    BookingSettings,
    BookingStatus,
    PlacesHeld,
    WaitingListRule,
)


@dataclass(frozen=True)
class BookingChange:
    opening_id: int
    book: bool  # True: take a place (or join the waiting list); False: give it back
    join_waiting_list: bool = False  # the family knew the day was full and asks for the list


@dataclass
class BookingResult:
    booked: list[Booking] = field(default_factory=list)
    waitlisted: list[Booking] = field(default_factory=list)
    cancelled: list[Booking] = field(default_factory=list)
    full: list[Opening] = field(default_factory=list)  # became full meanwhile: offer the waiting list
    refused: list[tuple[Opening, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.booked or self.waitlisted or self.cancelled)


def deadline_for(opening: Opening):
    activity = opening.activity
    return booking_deadline(
        day=opening.date,
        days_before=activity.deadline_days,
        at=activity.deadline_time,
        working_days_only=activity.deadline_working_days,
        tz=activity.organisation.time_zone,
    )


def is_past_deadline(opening: Opening, *, now=None) -> bool:
    return (now or timezone.now()) > deadline_for(opening)


def settings_for(organisation) -> BookingSettings:
    found = BookingSettings.objects.filter(organisation=organisation).first()
    return found or BookingSettings(organisation=organisation)


def _label(opening: Opening) -> str:
    return f"{opening.unit.name} du {long_date(opening.date)}"


@action
def save_bookings(
    *,
    child,
    changes: list[BookingChange],
    acting_user,
    as_staff: bool = False,
    over_capacity_reason: str = "",
    request=None,
) -> BookingResult:
    """Apply a family's (or a staff member's) changes to a child's planning. See the module docstring.

    A change that changes nothing (booking a day the child already holds or waits for, cancelling a
    day it does not hold) is ignored: a planning page may send every day it shows.

    Its cost does not grow with the number of days (tests/test_save_queries.py): one read before
    the lock, one lock statement, one read of the places held (models.PlacesHeld, which the
    database keeps), and bulk writes — cancelling 40 days costs what cancelling one does, and the
    places they free go to the waiting lists in one step."""
    result = BookingResult()
    if not changes:
        return result
    organisation_id = child.organisation_id
    openings = _openings_for(child, {c.opening_id for c in changes})
    now = timezone.now()
    valid: list[tuple[BookingChange, Opening]] = []
    for change in changes:
        opening = openings.get(change.opening_id)
        if opening is None:
            continue  # not this organisation's: ignore silently, never reveal
        if change.book == (opening.live_booking_id is not None):
            continue  # already booked (or waiting), or nothing to cancel: no change
        if opening.accepted_registration_id is None:
            result.refused.append((opening, _("pas d'inscription acceptée à cette activité dans ce groupe")))
        elif opening.is_closed:
            result.refused.append((opening, _("la structure est fermée ce jour-là")))
        elif not as_staff and change.book and is_past_deadline(opening, now=now):
            result.refused.append((opening, _("le délai de réservation est dépassé")))
        else:
            valid.append((change, opening))

    # What concerns only this child is decided before the lock: the lock is held for the
    # capacity-critical part alone, so hundreds of families can save per second.
    wanted = [(c, o) for c, o in valid if c.book]
    to_cancel: dict[int, tuple[Opening, bool]] = {}  # booking id -> (opening, late)
    for change, opening in valid:
        if change.book:
            continue
        late = is_past_deadline(opening, now=now)
        if late and not as_staff:
            result.refused.append((opening, _("le délai d'annulation est dépassé")))
            continue
        to_cancel[opening.live_booking_id] = (opening, late)
    # The child's other bookings of those days matter only when some unit excludes another.
    exclusions = _exclusions({o.activity_id for _c, o in wanted}) if any(o.has_exclusions for _c, o in wanted) else {}
    booked_days = _live_units_by_day(child, {o.date for _c, o in wanted}) if exclusions else defaultdict(set)
    to_create: list[tuple[Opening, BookingChange]] = []
    for change, opening in wanted:
        if exclusions.get(opening.unit_id, set()) & booked_days.get(opening.date, set()):
            result.refused.append((opening, _("une autre unité incompatible est déjà réservée ce jour-là")))
            continue
        booked_days[opening.date].add(opening.unit_id)
        to_create.append((opening, change))
    if not (to_create or to_cancel):
        return result

    promoted: list[int] = []
    with transaction.atomic(savepoint=False):  # inside the action's transaction: no savepoint to pay
        # Lock the openings concerned, in primary-key order so concurrent savers never deadlock,
        # then read the places held (READ COMMITTED sees what every earlier saver committed).
        # Booking only (the rush): that read travels with the lock, in the same round trip.
        locked = sorted({o.pk for o, _c in to_create} | {o.pk for o, _late in to_cancel.values()})
        if to_cancel:
            _lock_openings(locked, organisation_id=organisation_id)
            freed = _cancel(to_cancel, result, now=now)
            places = _places_taken(organisation_id, sorted(freed | {o.pk for o, _c in to_create}))
        else:
            freed, places = set(), _lock_openings(locked, organisation_id=organisation_id, then_count=True)
        if freed:
            promoted = _promote_waiting_lists(organisation_id, places, freed, now=now)
        new = []
        for opening, change in to_create:
            capacity, taken = places[opening.pk]
            if taken < capacity or (as_staff and over_capacity_reason):
                status = BookingStatus.BOOKED
                taken += 1
                places[opening.pk] = (capacity, taken)
            elif change.join_waiting_list:
                status = BookingStatus.WAITING
            else:
                result.full.append(opening)
                continue
            new.append(
                Booking(
                    organisation_id=organisation_id,
                    family_id=child.family_id,
                    child=child,
                    registration_id=opening.accepted_registration_id,
                    opening=opening,
                    activity_id=opening.activity_id,
                    date=opening.date,
                    status=status,
                    created_by=acting_user if acting_user and acting_user.is_authenticated else None,
                    staff_note=over_capacity_reason if taken > capacity else "",
                    over_capacity=taken > capacity,
                )
            )
        # The history line commits with the bookings, and travels with them (one round trip).
        line = _history_line(child, new, result, acting_user=acting_user, as_staff=as_staff, request=request)
        try:
            created = insert_rows(new, [line] if line else [])
        except IntegrityError as exc:  # the same child saved twice at once (two tabs): all rolls back
            if "booking_capacity" in str(exc):  # the database's guard (bookings/0008): never overbooked
                raise DomainError(_("Ces places viennent d'être prises : rechargez la page et recommencez.")) from exc
            raise DomainError(
                _("Une autre modification de ce planning vient d'être enregistrée : rechargez la page et recommencez.")
            ) from exc
        for booking in created:
            (result.booked if booking.status == BookingStatus.BOOKED else result.waitlisted).append(booking)
        if result.changed:
            # The summary e-mail is written by the task worker, so the request never waits for
            # templates or SMTP.
            _record(child, result, acting_user=acting_user, as_staff=as_staff, reason=over_capacity_reason)
    if promoted:
        # After the commit, outside the lock: one read for all the families told of their place.
        transaction.on_commit(lambda: _notify_promotions(promoted))
    return result


def _cancel(to_cancel: dict, result: BookingResult, *, now) -> set[int]:
    """Cancel these bookings in one statement; return the openings where a place was freed.

    They were read before the lock: their state is read again under it (one statement), so two
    tabs cancelling the same day cannot both hand its place to the waiting list. A booking holding
    a place frees it (late when past the deadline); a family declining a place offered from the
    waiting list frees it too (never "late"); leaving the waiting list frees nothing."""
    current = Booking.objects.filter(pk__in=list(to_cancel)).values_list("pk", "status", "offer_expires_at")
    cancelled, late_ids, freed = [], [], set()
    for pk, status, offer_expires_at in current:
        opening, late = to_cancel[pk]
        if status in PLACE_STATUSES:
            freed.add(opening.pk)
            if late:
                late_ids.append(pk)
        elif status == BookingStatus.WAITING:
            if offer_expires_at is not None:
                freed.add(opening.pk)
        else:
            continue  # already cancelled meanwhile
        cancelled.append(pk)
    if not cancelled:
        return freed
    Booking.objects.filter(pk__in=cancelled).update(
        status=BookingStatus.CANCELLED,
        late_cancellation=Case(When(pk__in=late_ids, then=Value(True)), default=Value(False))
        if late_ids
        else Value(False),
        offer_expires_at=None,
        updated_at=now,
    )
    for pk in cancelled:
        opening, _late = to_cancel[pk]
        result.cancelled.append(
            Booking(
                pk=pk,
                organisation_id=opening.organisation_id,
                opening=opening,
                activity_id=opening.activity_id,
                date=opening.date,
                status=BookingStatus.CANCELLED,
                late_cancellation=pk in late_ids,
            )
        )
    return freed


def _lock_openings(ids, *, organisation_id, then_count: bool = False) -> dict | None:
    """Lock the openings concerned, in primary-key order so concurrent savers never deadlock;
    with `then_count`, return what `_places_taken` returns, read once the lock is held.

    On PostgreSQL the wait is bounded (BOOKING_LOCK_TIMEOUT, `SET LOCAL`: this transaction only,
    so a pooler in transaction mode is fine): in a rush a family waiting longer is told to retry
    rather than holding a worker. SQLite has no row locks: its IMMEDIATE transactions already
    serialise writers, and its busy `timeout` bounds the wait.

    Written in SQL, and sent in one round trip with the count: it runs on every save of a rush.
    The statements of one query string run one after the other, and in READ COMMITTED each takes
    its own snapshot: the count, after the lock was granted, sees every booking committed by the
    saver it waited for."""
    count_sql, count_params = _places_taken_sql(organisation_id, ids) if then_count else ("", [])
    if connection.vendor != "postgresql" or not ids:
        return _fetch_places(count_sql, count_params) if then_count else None
    opening = Opening._meta.db_table
    try:
        with connection.cursor() as cursor:
            # One round trip (psycopg binds the values on the client side); the rows of the last
            # statement are the count's.
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true); "
                f"SELECT id FROM {opening} WHERE organisation_id = %s AND id IN ({_marks(ids)}) ORDER BY id FOR UPDATE"
                + (f"; {count_sql}" if then_count else ""),
                [settings.BOOKING_LOCK_TIMEOUT, organisation_id, *ids, *count_params],
            )
            if not then_count:
                return None
            cursor.nextset()
            cursor.nextset()
            return {pk: (capacity, taken) for pk, capacity, taken in cursor.fetchall()}
    except OperationalError as exc:  # lock_timeout: nothing was written, the transaction rolls back
        raise DomainError(
            _("Beaucoup de familles réservent en ce moment : rien n'a été enregistré, réessayez dans un instant.")
        ) from exc


def _marks(values) -> str:
    return ", ".join(["%s"] * len(values))


def _as_date(value):
    return value if isinstance(value, date) else date.fromisoformat(value)  # SQLite answers text


def _as_time(value):
    return value if isinstance(value, time) or value is None else time.fromisoformat(value)


# In each model's column order, as Model.from_db takes them (tests/test_save_queries.py checks it).
_OPENING_COLUMNS = ("id", "organisation_id", "activity_id", "unit_id", "group_id", "date", "capacity", "is_closed")
_ACTIVITY_COLUMNS = ("id", "organisation_id", "deadline_days", "deadline_time", "deadline_working_days")
_UNIT_COLUMNS = ("id", "organisation_id", "activity_id", "name")


def _openings_for(child, opening_ids) -> dict[int, Opening]:
    """The openings asked for, by id, with what the checks need, in one statement: the child's
    accepted registration to that activity and group (or None), whether the unit excludes others,
    and the child's live booking on it (or None; at most one, constraint booking_once_per_opening).

    Written in SQL: it runs on every save of the rush, and building it through the ORM (two
    correlated subqueries and a join) cost more than the database took to answer it."""
    ids = sorted(opening_ids)
    if not ids:
        return {}
    organisation = child.organisation  # for the deadlines' time zone; usually already loaded
    tables = {
        "opening": Opening._meta.db_table,
        "activity": Activity._meta.db_table,
        "unit": Unit._meta.db_table,
        "registration": Registration._meta.db_table,
        "exclusion": UnitExclusion._meta.db_table,
        "booking": Booking._meta.db_table,
    }
    sql = """
        SELECT o.id, o.activity_id, o.unit_id, o.group_id, o.date, o.capacity, o.is_closed,
               a.deadline_days, a.deadline_time, a.deadline_working_days, u.name,
               (SELECT r.id FROM {registration} r WHERE r.organisation_id = o.organisation_id AND r.child_id = %s
                  AND r.activity_id = o.activity_id AND r.group_id = o.group_id AND r.status = %s
                ORDER BY r.id LIMIT 1),
               EXISTS (SELECT 1 FROM {exclusion} x WHERE x.organisation_id = o.organisation_id
                  AND x.from_unit_id = o.unit_id),
               b.id
        FROM {opening} o
        JOIN {activity} a ON a.id = o.activity_id AND a.organisation_id = o.organisation_id
        JOIN {unit} u ON u.id = o.unit_id AND u.organisation_id = o.organisation_id
        LEFT JOIN {booking} b ON b.organisation_id = o.organisation_id AND b.opening_id = o.id
             AND b.child_id = %s AND b.status IN ({live})
        WHERE o.organisation_id = %s AND o.id IN ({ids})
    """.format(**tables, live=_marks(LIVE_STATUSES), ids=_marks(ids))
    params = [child.pk, RegistrationStatus.ACCEPTED, child.pk, *LIVE_STATUSES, child.organisation_id, *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    openings = {}
    db, organisation_id = connection.alias, child.organisation_id
    for pk, activity_id, unit_id, group_id, day, capacity, is_closed, *rest in rows:
        deadline_days, deadline_time, deadline_working_days, unit_name, registration_id, excludes, booking_id = rest
        # Built as the ORM builds rows it reads (from_db: the other columns deferred), not through
        # the keyword constructor, which costs more than the row did.
        opening = Opening.from_db(
            db,
            _OPENING_COLUMNS,
            (pk, organisation_id, activity_id, unit_id, group_id, _as_date(day), capacity, bool(is_closed)),
        )
        opening.activity = Activity.from_db(
            db,
            _ACTIVITY_COLUMNS,
            (activity_id, organisation_id, deadline_days, _as_time(deadline_time), bool(deadline_working_days)),
        )
        opening.activity.organisation = organisation
        opening.unit = Unit.from_db(db, _UNIT_COLUMNS, (unit_id, organisation_id, activity_id, unit_name))
        opening.accepted_registration_id = registration_id
        opening.has_exclusions = bool(excludes)
        opening.live_booking_id = booking_id
        openings[pk] = opening
    return openings


def live_bookings(child, opening_ids) -> dict[int, Booking]:
    """The child's bookings holding or waiting for a place on these openings, by opening id."""
    return {
        b.opening_id: b
        for b in Booking.objects.filter(
            organisation_id=child.organisation_id,
            child=child,
            opening_id__in=list(opening_ids),
            status__in=LIVE_STATUSES,
        )
    }


def _places_taken(organisation_id: int, opening_ids) -> dict[int, tuple[int, int]]:
    """(capacity, places held) per opening, read after the lock was taken (READ COMMITTED sees
    committed rows): bookings holding a place, plus waiting-list places offered and not yet
    answered (models.holds_place).

    The database counts them as bookings are written (models.PlacesHeld): one row per day, so
    this read costs the same on the first save of the morning as on the thousandth — it runs
    under the lock, on every save of a rush. The capacity is read here, under the lock, too:
    staff may have just changed it."""
    return _fetch_places(*_places_taken_sql(organisation_id, opening_ids))


def _places_taken_sql(organisation_id: int, opening_ids) -> tuple[str, list]:
    ids = sorted(opening_ids)
    if not ids:
        return "", []
    sql = f"""
        SELECT o.id, o.capacity, COALESCE(p.held, 0)
        FROM {Opening._meta.db_table} o LEFT JOIN {PlacesHeld._meta.db_table} p ON p.opening_id = o.id
        WHERE o.organisation_id = %s AND o.id IN ({_marks(ids)})
    """
    return sql, [organisation_id, *ids]


def _fetch_places(sql: str, params: list) -> dict[int, tuple[int, int]]:
    if not sql:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {pk: (capacity, taken) for pk, capacity, taken in cursor.fetchall()}


def _live_units_by_day(child, days) -> defaultdict:
    units = defaultdict(set)
    for day, unit_id in Booking.objects.filter(child=child, date__in=days, status__in=LIVE_STATUSES).values_list(
        "date", "opening__unit_id"
    ):
        units[day].add(unit_id)
    return units


def _exclusions(activity_ids) -> dict[int, set[int]]:
    excluded = defaultdict(set)
    for source, target in UnitExclusion.objects.filter(from_unit__activity_id__in=activity_ids).values_list(
        "from_unit_id", "to_unit_id"
    ):
        excluded[source].add(target)
    return excluded


def _promote_waiting_lists(organisation_id: int, places: dict, opening_ids, *, now) -> list[int]:
    """Places freed on these openings (locked by the caller): the first in line on each gets one
    (or an offer), by the organisation's rule — as many as the day has free places: its capacity
    may have been lowered below the places held. `places` ((capacity, held) by opening, counted
    under the lock) is kept up to date. Returns the ids of the bookings promoted.

    The same statements whatever the number of openings: one read of the first in line on each
    (by created_at, id), the rule read once, one update. The waiting rows need no lock of their
    own: every writer that changes a waiting booking holds its opening's lock, as the caller does."""
    free = {pk: places[pk][0] - places[pk][1] for pk in opening_ids if places[pk][0] > places[pk][1]}
    if not free:
        return []
    rank = Window(RowNumber(), partition_by=[F("opening_id")], order_by=[F("created_at").asc(), F("id").asc()])
    candidates = (
        Booking.objects.filter(
            organisation_id=organisation_id,
            opening_id__in=list(free),
            status=BookingStatus.WAITING,
            offer_expires_at__isnull=True,
        )
        .annotate(rank=rank)
        .filter(rank__lte=max(free.values()))
        .values_list("pk", "opening_id", "rank")
    )
    first = [(pk, opening_id) for pk, opening_id, position in candidates if position <= free[opening_id]]
    if not first:
        return []
    rule = BookingSettings.objects.filter(organisation_id=organisation_id).first() or BookingSettings()
    ids = [pk for pk, _opening_id in first]
    if rule.waiting_list_rule == WaitingListRule.OFFER:
        Booking.objects.filter(pk__in=ids).update(
            offer_expires_at=now + timedelta(hours=rule.offer_hours), updated_at=now
        )
    else:
        Booking.objects.filter(pk__in=ids).update(status=BookingStatus.BOOKED, updated_at=now)
    for _pk, opening_id in first:
        capacity, held = places[opening_id]
        places[opening_id] = (capacity, held + 1)
    return ids


@action
def change_capacity(*, opening: Opening, capacity: int, acting_user) -> list[Booking]:
    """A new number of places for a day (staff); see change_capacities."""
    return change_capacities.inner(capacities=[(opening, capacity)], acting_user=acting_user)


@action
def change_capacities(*, capacities: list[tuple[Opening, int]], acting_user) -> list[Booking]:
    """New numbers of places for several days of one organisation (the calendar's save), all or
    none. The places it frees go at once to the waiting list, first in line first, by the
    organisation's rule; lowering a capacity takes no place from anyone. Returns the bookings
    promoted, first in line first."""
    from ribambelle.activities.services import set_capacity

    if not capacities:
        return []
    organisation_id = capacities[0][0].organisation_id
    ids = sorted({opening.pk for opening, _capacity in capacities})
    _lock_openings(ids, organisation_id=organisation_id)
    for opening, capacity in capacities:
        set_capacity.inner(opening=opening, capacity=capacity, acting_user=acting_user)
    places = _places_taken(organisation_id, ids)
    promoted = _promote_waiting_lists(organisation_id, places, ids, now=timezone.now())
    if not promoted:
        return []
    transaction.on_commit(lambda: _notify_promotions(promoted))
    return list(Booking.objects.filter(pk__in=promoted).select_related("child").order_by("created_at", "id"))


@action
def accept_offer(*, booking: Booking, acting_user, request=None) -> Booking:
    """The family takes the place offered from the waiting list, before the offer expires."""
    with transaction.atomic():
        Opening.objects.select_for_update().filter(pk=booking.opening_id).exists()
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.status != BookingStatus.WAITING or locked.offer_expires_at is None:
            raise DomainError(_("Aucune place ne vous est proposée pour ce jour."))
        if locked.offer_expires_at < timezone.now():
            raise DomainError(_("La proposition a expiré : la place est passée à la famille suivante."))
        locked.status = BookingStatus.BOOKED
        locked.offer_expires_at = None
        locked.save(update_fields=["status", "offer_expires_at", "updated_at"])
        log_family_action(
            family=locked.family,
            user=acting_user,
            request=request,
            action="waiting_list_accepted",
            data={"unit": locked.opening.unit.name, "date": locked.opening.date.isoformat()},
        )
    return locked


@step_by_step
def expire_offers(*, now=None) -> int:
    """Offers not taken in time go back to the end of the queue; the next in line is offered the place."""
    now = now or timezone.now()
    expired = 0
    for booking in Booking.objects.filter(status=BookingStatus.WAITING, offer_expires_at__lt=now).select_related(
        "opening__activity__organisation"
    ):
        with transaction.atomic():
            _lock_openings([booking.opening_id], organisation_id=booking.organisation_id)
            Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CANCELLED, updated_at=now)
            places = _places_taken(booking.organisation_id, [booking.opening_id])
            promoted = _promote_waiting_lists(booking.organisation_id, places, [booking.opening_id], now=now)
            if promoted:
                transaction.on_commit(lambda ids=promoted: _notify_promotions(ids))
        expired += 1
    return expired


def _history_line(child, new: list[Booking], result: BookingResult, *, acting_user, as_staff: bool, request):
    """The family's history line for this save (not yet written), or None when it changes nothing."""
    if not (new or result.cancelled):
        return None
    booked = sum(1 for booking in new if booking.status == BookingStatus.BOOKED)
    summary = {"booked": booked, "waitlisted": len(new) - booked, "cancelled": len(result.cancelled)}
    return family_action_line(
        family=child.family,
        user=acting_user,
        request=request,
        action="bookings_changed_by_staff" if as_staff else "bookings_changed",
        data={"child": child.first_name, "summary": summary},
    )


def _record(child, result: BookingResult, *, acting_user, as_staff: bool, reason: str) -> None:
    if as_staff:
        record_audit(
            organisation=child.family.organisation,
            actor=acting_user,
            action="bookings",
            obj=child,
            changes={"booked": len(result.booked), "cancelled": len(result.cancelled), "reason": reason},
        )
    booking_ids = {
        "booked": [b.pk for b in result.booked],
        "waitlisted": [b.pk for b in result.waitlisted],
        "cancelled": [b.pk for b in result.cancelled],
    }
    # Queued in the same transaction as the bookings: both commit or neither (one commit, and a
    # saved booking can never lose its summary). The worker only sees the task once committed.
    from .tasks import send_booking_summary

    send_booking_summary.enqueue(child.pk, booking_ids)


@action
def send_summary(child_id: int, booking_ids: dict) -> None:
    """One e-mail per save, listing what was booked, cancelled and put on the waiting list."""
    from ribambelle.families.models import Person

    child = Person.objects.select_related("family__organisation").get(pk=child_id)
    family = child.family
    bookings = {
        b.pk: b
        for b in Booking.objects.filter(pk__in=[pk for ids in booking_ids.values() for pk in ids]).select_related(
            "opening__unit"
        )
    }
    context = {
        "child": child,
        **{key: [_label(bookings[pk].opening) for pk in ids if pk in bookings] for key, ids in booking_ids.items()},
    }
    for recipient in family_recipients(family):
        queue_email(
            organisation=family.organisation,
            to=recipient.email,
            template="booking_summary",
            user=recipient.user,
            family=family,
            context={**context, "user": recipient},
        )


def _notify_promotions(booking_ids) -> None:
    """Tell each family promoted from a waiting list (after the commit: one read for them all)."""
    for booking in Booking.objects.filter(pk__in=booking_ids).select_related(
        "child", "family__organisation", "opening__unit"
    ):
        family = booking.family
        for recipient in family_recipients(family):
            queue_email(
                organisation=family.organisation,
                to=recipient.email,
                template="waiting_list_place",
                user=recipient.user,
                family=family,
                context={"user": recipient, "booking": booking, "label": _label(booking.opening)},
            )


# --- Attendance -------------------------------------------------------------------------------
ATTENDANCE = {BookingStatus.PRESENT, BookingStatus.ABSENT, BookingStatus.EXCUSED, BookingStatus.BOOKED}


@action
def mark_attendance(*, booking: Booking, status: str, arrived_at=None, left_at=None, acting_user) -> Booking:
    """One tap on the attendance screen: present, absent, justified absence (or back to booked)."""
    if status not in ATTENDANCE:
        raise DomainError(_("Choisissez présent, absent ou absence justifiée."))
    if booking.status not in PLACE_STATUSES:
        raise DomainError(_("Cet enfant n'a pas de réservation ce jour-là."))
    if booking.date > timezone.localdate():
        raise DomainError(_("La présence se note le jour même, pas à l'avance."))
    now = timezone.localtime(timezone=ZoneInfo(booking.organisation.time_zone))
    if status == BookingStatus.PRESENT and arrived_at is None and booking.date == now.date():
        # "Présent" tapped as the child comes in: that is the arrival, unless one was recorded or typed.
        arrived_at = booking.arrived_at or now.time().replace(second=0, microsecond=0)
    booking.status = status
    booking.arrived_at = arrived_at if status == BookingStatus.PRESENT else None
    booking.left_at = left_at if status == BookingStatus.PRESENT else None
    booking.save(update_fields=["status", "arrived_at", "left_at", "updated_at"])
    record_audit(
        organisation=booking.family.organisation,
        actor=acting_user,
        action="attendance",
        obj=booking,
        changes={"status": status},
    )
    return booking


@action
def regenerate_calendar_token(*, family):
    from .models import CalendarFeed

    feed, _created = CalendarFeed.objects.get_or_create(organisation_id=family.organisation_id, family=family)
    if not _created:
        import secrets

        feed.token = secrets.token_urlsafe()
        feed.save(update_fields=["token", "updated_at"])
    return feed
