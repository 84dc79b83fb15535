"""Reads of the waiting room, and the admission computed from the clock."""

import functools
import math
import operator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from ribambelle.activities.models import Activity, Opening, Unit
from ribambelle.core.compiled import CompiledQuery

from .models import RoomEntry, WaitingRoom


def get_room_for_family(organisation, activity_id: int) -> WaitingRoom | None:
    """The activity's room; None when this organisation's activity has none; 404 for an
    activity outside the organisation."""
    room = _ROOM.first(organisation_id=organisation.pk, activity_id=activity_id)
    if room is None:
        get_object_or_404(Activity, organisation=organisation, pk=activity_id)
    return room


def entry_with_rank(room: WaitingRoom, family) -> RoomEntry | None:
    """The family's place and the number of families before it, in one indexed read."""
    return _ENTRY_WITH_RANK.first(room_id=room.pk, family_id=family.pk)


def entry_for_ticket(*, slug: str, room_id: int, entry_id: int) -> RoomEntry | None:
    """The place a position ticket names, with its room and rank: the poll's one read. Only
    within the organisation in the URL (a ticket used under another one: None)."""
    return _ENTRY_FOR_TICKET.first(slug=slug, room_id=room_id, entry_id=entry_id)


def _ahead():
    """Entries of the same room standing before this one (the rank index)."""
    return (
        RoomEntry.objects.filter(room_id=OuterRef("room_id"))
        .filter(Q(sort_key__lt=OuterRef("sort_key")) | Q(sort_key=OuterRef("sort_key"), id__lt=OuterRef("id")))
        .order_by()
        .values("room_id")
        .annotate(n=Count("id"))
        .values("n")
    )


def _entry_with_rank(room_id, family_id):
    entries = RoomEntry.objects.filter(room_id=room_id, family_id=family_id)
    return entries.annotate(ahead=Coalesce(Subquery(_ahead()), 0)).order_by("pk")[:1]


def _entry_for_ticket(slug, room_id, entry_id):
    entries = RoomEntry.objects.filter(
        pk=entry_id, room_id=room_id, organisation__slug=slug, organisation__is_active=True
    )
    return entries.select_related("room").annotate(ahead=Coalesce(Subquery(_ahead()), 0)).order_by("pk")[:1]


# On every poll of every waiting family (every 4 to 7 s): compiled once per process.
_ENTRY_WITH_RANK = CompiledQuery(_entry_with_rank, "room_id", "family_id")
_ENTRY_FOR_TICKET = CompiledQuery(_entry_for_ticket, "slug", "room_id", "entry_id")
_ROOM = CompiledQuery(
    lambda organisation_id, activity_id: WaitingRoom.objects.select_related("activity").filter(
        organisation_id=organisation_id, activity_id=activity_id
    )[:1],
    "organisation_id",
    "activity_id",
)


# A family hears of a room from a week before its pre-queue opens.
ANNOUNCED_BEFORE = timedelta(days=7)


def rooms_to_announce(organisation, now) -> list[WaitingRoom]:
    """The rooms to tell families of, by opening time: from a week before their pre-queue until
    they close. No query outside the organisation's span of rooms (read with the login)."""
    start, end = organisation.waiting_rooms_from, organisation.waiting_rooms_until
    if start is None or not (start - ANNOUNCED_BEFORE <= now < end):
        return []
    rooms = WaitingRoom.objects.filter(
        organisation=organisation, prequeue_from__lte=now + ANNOUNCED_BEFORE, closes_at__gt=now
    )
    return list(rooms.select_related("activity").order_by("opens_at", "pk"))


def active_rooms(organisation, *, now, activity_ids=(), opening_ids=(), unit_ids=()) -> list[WaitingRoom]:
    """The rooms active now in front of these activities (given directly, or by their days or
    units): one query, on the booking path of every save."""
    if not (activity_ids or opening_ids or unit_ids):
        return []
    parts = []
    if activity_ids:
        parts.append(Q(activity_id__in=activity_ids))
    if opening_ids:
        days = Opening.objects.filter(organisation=organisation, pk__in=opening_ids)
        parts.append(Q(activity__in=days.values("activity_id")))
    if unit_ids:
        units = Unit.objects.filter(organisation=organisation, pk__in=unit_ids)
        parts.append(Q(activity__in=units.values("activity_id")))
    concerned = functools.reduce(operator.or_, parts)
    return list(
        WaitingRoom.objects.filter(
            concerned, organisation=organisation, prequeue_from__lte=now, closes_at__gt=now
        ).select_related("activity")
    )


@dataclass(frozen=True)
class RoomState:
    phase: str  # "prequeue" (before the opening), "waiting", "admitted", "closed"
    ahead: int = 0
    minutes: int = 0
    seconds_to_open: int = 0
    admitted_at: datetime | None = None
    pass_expires_at: datetime | None = None


def admitted_count(room: WaitingRoom, now) -> int:
    """How many families are let in by `now`: a first wave at the opening, then one per interval."""
    if now < room.opens_at:
        return 0
    waves = int((now - room.opens_at).total_seconds() // room.interval_seconds) + 1
    return waves * room.admitted_per_interval


def state(room: WaitingRoom, ahead: int, now, *, joined_at=None) -> RoomState:
    """Where a family stands. A family let in on arrival (the admissions so far exceed the
    queue) is admitted from its arrival: its pass runs from then, never from the past."""
    if now >= room.closes_at:
        return RoomState(phase="closed")
    if now < room.opens_at:
        return RoomState(phase="prequeue", seconds_to_open=math.ceil((room.opens_at - now).total_seconds()))
    admitted_at = room.opens_at + timedelta(seconds=(ahead // room.admitted_per_interval) * room.interval_seconds)
    if joined_at is not None and joined_at > admitted_at:
        admitted_at = joined_at
    if ahead < admitted_count(room, now):
        return RoomState(
            phase="admitted", admitted_at=admitted_at, pass_expires_at=admitted_at + room.pass_validity, ahead=0
        )
    # Families still before this one (those already admitted have left the queue).
    still_ahead = ahead - admitted_count(room, now)
    return RoomState(
        phase="waiting",
        ahead=still_ahead,
        minutes=max(1, math.ceil((admitted_at - now).total_seconds() / 60)),
        admitted_at=admitted_at,
    )


def room_for_activity(activity) -> WaitingRoom | None:
    """The waiting room set in front of the activity, if any (back office)."""
    return WaitingRoom.objects.filter(activity=activity).first()
