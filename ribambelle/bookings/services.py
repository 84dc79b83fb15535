"""Booking days: the capacity-locking save, the waiting list, attendance.

The rule enforced by save_bookings: a child may hold a place on an opening only if it has an
accepted registration to that activity in that group, the opening is open, the deadline has not
passed (families only), no unit excluding this one is booked that day, and the group's places
for that unit and day are not all taken — counted under a lock on the opening rows, in one short
transaction, so capacity is never exceeded whatever the number of families saving at once.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts.services import log_family_action
from ribambelle.activities.models import Opening, UnitExclusion
from ribambelle.core.actions import action, step_by_step
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
    live: dict | None = None,
) -> BookingResult:
    """Apply a family's (or a staff member's) changes to a child's planning. See the module docstring."""
    result = BookingResult()
    if not changes:
        return result
    organisation_id = child.organisation_id
    openings = {o.pk: o for o in _openings_for(child, {c.opening_id for c in changes})}
    now = timezone.now()
    valid: list[tuple[BookingChange, Opening]] = []
    for change in changes:
        opening = openings.get(change.opening_id)
        if opening is None:
            continue  # not this organisation's: ignore silently, never reveal
        if opening.accepted_registration_id is None:
            result.refused.append((opening, _("pas d'inscription acceptée à cette activité dans ce groupe")))
        elif opening.is_closed:
            result.refused.append((opening, _("la structure est fermée ce jour-là")))
        elif not as_staff and change.book and is_past_deadline(opening, now=now):
            result.refused.append((opening, _("le délai de réservation est dépassé")))
        else:
            valid.append((change, opening))

    ids = sorted({o.pk for _c, o in valid})
    # What concerns only this child is read before the lock: the lock is held for the
    # capacity-critical part alone, so hundreds of families can save per second.
    # `live`: the child's live bookings by opening id, when the caller has just read them.
    existing = live if live is not None else live_bookings(child, ids)
    wanted = [(c, o) for c, o in valid if c.book and o.pk not in existing]
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

    promoted: list[Booking] = []
    with transaction.atomic(savepoint=False):  # inside the action's transaction: no savepoint to pay
        # Lock the openings concerned, in primary-key order so concurrent savers never deadlock,
        # then count the places held (READ COMMITTED sees every committed booking).
        _lock_openings(ids)
        for change, opening in valid:
            booking = existing.get(opening.pk)
            if change.book or booking is None:
                continue
            late = is_past_deadline(opening, now=now)
            if late and not as_staff:
                result.refused.append((opening, _("le délai d'annulation est dépassé")))
                continue
            # The booking was read before the lock: cancel it only if it is still live now, so two
            # tabs cancelling the same day cannot both hand its place to the waiting list.
            gave_back = Booking.objects.filter(pk=booking.pk, status__in=PLACE_STATUSES).update(
                status=BookingStatus.CANCELLED, late_cancellation=late, updated_at=now
            )
            # A family declining a place offered from the waiting list frees it too (never "late").
            declined_offer = not gave_back and Booking.objects.filter(
                pk=booking.pk, status=BookingStatus.WAITING, offer_expires_at__isnull=False
            ).update(status=BookingStatus.CANCELLED, offer_expires_at=None, updated_at=now)
            freed_place = bool(gave_back or declined_offer)
            if not freed_place and not Booking.objects.filter(pk=booking.pk, status=BookingStatus.WAITING).update(
                status=BookingStatus.CANCELLED, updated_at=now
            ):
                continue  # already cancelled meanwhile
            booking.status = BookingStatus.CANCELLED
            booking.late_cancellation = bool(late and gave_back)
            result.cancelled.append(booking)
            if freed_place:
                promoted += _promote_waiting_list(opening, now=now)

        taken = _places_taken(organisation_id, [o.pk for o, _c in to_create])
        new = []
        for opening, change in to_create:
            if taken[opening.pk] < opening.capacity or (as_staff and over_capacity_reason):
                status = BookingStatus.BOOKED
                taken[opening.pk] += 1
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
                    staff_note=over_capacity_reason if taken[opening.pk] > opening.capacity else "",
                    over_capacity=taken[opening.pk] > opening.capacity,
                )
            )
        try:
            created = Booking.objects.bulk_create(new)
        except IntegrityError as exc:  # the same child saved twice at once (two tabs): all rolls back
            if "booking_capacity" in str(exc):  # the database's guard (bookings/0004): never overbooked
                raise DomainError(_("Ces places viennent d'être prises : rechargez la page et recommencez.")) from exc
            raise DomainError(
                _("Une autre modification de ce planning vient d'être enregistrée : rechargez la page et recommencez.")
            ) from exc
        for booking in created:
            (result.booked if booking.status == BookingStatus.BOOKED else result.waitlisted).append(booking)
        if result.changed:
            # The history line commits with the bookings (one commit, not two); the summary e-mail
            # is written by the task worker, so the request never waits for templates or SMTP.
            _record(
                child, result, acting_user=acting_user, as_staff=as_staff, reason=over_capacity_reason, request=request
            )
    for booking in promoted:
        transaction.on_commit(lambda b=booking: _notify_promotion(b))
    return result


def _lock_openings(ids) -> None:
    """Lock the openings concerned, in primary-key order so concurrent savers never deadlock.

    On PostgreSQL the wait is bounded (BOOKING_LOCK_TIMEOUT, `SET LOCAL`: this transaction only,
    so a pooler in transaction mode is fine): in a rush a family waiting longer is told to retry
    rather than holding a worker. SQLite has no row locks: its IMMEDIATE transactions already
    serialise writers, and its busy `timeout` bounds the wait."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [settings.BOOKING_LOCK_TIMEOUT])
    try:
        list(Opening.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    except OperationalError as exc:  # lock_timeout: nothing was written, the transaction rolls back
        raise DomainError(
            _("Beaucoup de familles réservent en ce moment : rien n'a été enregistré, réessayez dans un instant.")
        ) from exc


def _openings_for(child, opening_ids):
    """The openings asked for, with what the checks need in the same query: the child's accepted
    registration to that activity and group (or None), and whether the unit excludes others."""
    organisation = child.organisation  # for the deadlines' time zone; usually already loaded
    registration = Registration.objects.filter(
        organisation_id=child.organisation_id,
        child=child,
        activity_id=OuterRef("activity_id"),
        group_id=OuterRef("group_id"),
        status=RegistrationStatus.ACCEPTED,
    )
    openings = (
        Opening.objects.filter(organisation_id=child.organisation_id, pk__in=opening_ids)
        .select_related("activity", "unit")
        # Only what the checks and messages use: this query runs on every save of the rush.
        .only(
            *("organisation_id", "activity_id", "unit_id", "group_id", "date", "capacity", "is_closed"),
            *("activity__deadline_days", "activity__deadline_time", "activity__deadline_working_days"),
            "unit__name",
        )
        .annotate(
            accepted_registration_id=Subquery(registration.values("pk")[:1]),
            has_exclusions=Exists(UnitExclusion.objects.filter(from_unit_id=OuterRef("unit_id"))),
        )
    )
    for opening in openings:
        opening.activity.organisation = organisation
        yield opening


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


def _places_taken(organisation_id: int, opening_ids) -> defaultdict:
    """Places held per opening, counted after the lock was taken (READ COMMITTED sees committed rows):
    bookings holding a place, plus waiting-list places offered and not yet answered (models.holds_place).

    Two index-only branches (the (organisation, opening, status) index and the partial index of
    offers), so the count reads the places held, never the whole waiting list — it runs under the
    lock, on every save of a rush."""
    mine = Booking.objects.filter(organisation_id=organisation_id, opening_id__in=opening_ids).order_by()
    places = mine.filter(status__in=PLACE_STATUSES).values("opening_id").annotate(n=Count("id"))
    offers = mine.filter(status=BookingStatus.WAITING, offer_expires_at__isnull=False)
    taken = defaultdict(int)
    for row in places.union(offers.values("opening_id").annotate(n=Count("id")), all=True):
        taken[row["opening_id"]] += row["n"]
    return taken


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


def _promote_waiting_list(opening: Opening, *, now) -> list[Booking]:
    """A place freed: the first in line gets it (or an offer), by the organisation's rule — if the
    day still has a free place: its capacity may have been lowered below the places held."""
    capacity = Opening.objects.filter(pk=opening.pk).values_list("capacity", flat=True).get()
    if _places_taken(opening.organisation_id, [opening.pk])[opening.pk] >= capacity:
        return []
    rule = settings_for(opening.activity.organisation)
    first = (
        Booking.objects.select_for_update()
        .filter(opening=opening, status=BookingStatus.WAITING, offer_expires_at__isnull=True)
        .order_by("created_at", "id")
        .first()
    )
    if first is None:
        return []
    if rule.waiting_list_rule == WaitingListRule.OFFER:
        first.offer_expires_at = now + timedelta(hours=rule.offer_hours)
        first.save(update_fields=["offer_expires_at", "updated_at"])
    else:
        first.status = BookingStatus.BOOKED
        first.save(update_fields=["status", "updated_at"])
    return [first]


@action
def change_capacity(*, opening: Opening, capacity: int, acting_user) -> list[Booking]:
    """A new number of places for a day (staff); see change_capacities."""
    return change_capacities.inner(capacities=[(opening, capacity)], acting_user=acting_user)


@action
def change_capacities(*, capacities: list[tuple[Opening, int]], acting_user) -> list[Booking]:
    """New numbers of places for several days of one organisation (the calendar's save), all or
    none. The places it frees go at once to the waiting list, first in line first, by the
    organisation's rule; lowering a capacity takes no place from anyone."""
    from ribambelle.activities.services import set_capacity

    if not capacities:
        return []
    _lock_openings(sorted({opening.pk for opening, _capacity in capacities}))
    taken = _places_taken(capacities[0][0].organisation_id, [opening.pk for opening, _capacity in capacities])
    now = timezone.now()
    promoted: list[Booking] = []
    for opening, capacity in capacities:
        set_capacity.inner(opening=opening, capacity=capacity, acting_user=acting_user)
        for _place in range(max(0, capacity - taken[opening.pk])):
            first = _promote_waiting_list(opening, now=now)
            if not first:
                break
            promoted += first
            taken[opening.pk] += 1
    for booking in promoted:
        transaction.on_commit(lambda b=booking: _notify_promotion(b))
    return promoted


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
            Opening.objects.select_for_update().filter(pk=booking.opening_id).exists()
            Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CANCELLED, updated_at=now)
            for promoted in _promote_waiting_list(booking.opening, now=now):
                transaction.on_commit(lambda b=promoted: _notify_promotion(b))
        expired += 1
    return expired


def _record(child, result: BookingResult, *, acting_user, as_staff: bool, reason: str, request) -> None:
    summary = {"booked": len(result.booked), "waitlisted": len(result.waitlisted), "cancelled": len(result.cancelled)}
    log_family_action(
        family=child.family,
        user=acting_user,
        request=request,
        action="bookings_changed_by_staff" if as_staff else "bookings_changed",
        data={"child": child.first_name, "summary": summary},
    )
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


def _notify_promotion(booking: Booking) -> None:
    booking = Booking.objects.select_related("child", "family__organisation", "opening__unit").get(pk=booking.pk)
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
