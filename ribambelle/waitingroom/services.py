"""Writes of the waiting room: setting it up in front of an activity, and joining it (one place per family)."""

import secrets

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ribambelle.core.actions import action
from ribambelle.core.compiled import insert_unless_exists
from ribambelle.core.exceptions import DomainError

from .models import LATE_BASE, RoomEntry, WaitingRoom


def _sort_key(room: WaitingRoom, now) -> int:
    if now < room.opens_at:
        # Drawn from `secrets`: nobody can predict or influence it, and the join time plays no part.
        return secrets.randbelow(LATE_BASE)
    return LATE_BASE + int((now - room.opens_at).total_seconds() * 1_000_000)


@action
def join_room(*, room: WaitingRoom, family, now=None) -> RoomEntry:
    """A family takes its one place: joining again (another tab, another device, a
    double click, twenty at once) returns the same place and never changes it. Before the
    pre-queue starts or after the room closes, nobody can join."""
    now = now or timezone.now()
    if family.organisation_id != room.organisation_id:
        raise DomainError(_("Cette salle d'attente n'existe pas."))
    if now < room.prequeue_from:
        raise DomainError(
            _("La salle d'attente ouvre le %(date)s : revenez à ce moment-là.")
            % {"date": date_format(timezone.localtime(room.prequeue_from), "l j F Y à H:i")}
        )
    if now >= room.closes_at:
        raise DomainError(_("La salle d'attente est fermée : les réservations se font directement."))
    # The family's place, unless it has one: on a concurrent insert of the same family, the
    # unique constraint keeps the first row, and the existing place is read back.
    entry = RoomEntry(
        organisation_id=room.organisation_id, room=room, family=family, sort_key=_sort_key(room, now), joined_at=now
    )
    if insert_unless_exists(entry, "organisation", "room", "family"):
        return entry
    return RoomEntry.objects.get(organisation_id=room.organisation_id, room=room, family=family)


@action
def configure_room(
    *,
    activity,
    prequeue_from,
    opens_at,
    closes_at,
    admitted_per_interval: int,
    interval_seconds: int,
    pass_minutes: int,
    now=None,
) -> WaitingRoom:
    """Put a waiting room in front of the activity's opening, or change it. Once families
    stand in it, its opening can no longer move: their shuffled places were drawn for it."""
    now = now or timezone.now()
    if not prequeue_from <= opens_at < closes_at:
        raise DomainError(_("La pré-file commence avant l'ouverture, et la salle d'attente ferme après l'ouverture."))
    if min(admitted_per_interval, interval_seconds, pass_minutes) <= 0:
        raise DomainError(_("Les familles admises, l'intervalle et la validité du passage sont des nombres positifs."))
    room = WaitingRoom.objects.filter(activity=activity).first()
    if room is None:
        room = WaitingRoom(organisation_id=activity.organisation_id, activity=activity)
    elif room.entries.exists() and (room.opens_at != opens_at or room.prequeue_from != prequeue_from):
        raise DomainError(
            _("Des familles attendent déjà dans la salle : son ouverture et sa pré-file ne peuvent plus changer.")
        )
    room.prequeue_from = prequeue_from
    room.opens_at = opens_at
    room.closes_at = closes_at
    room.admitted_per_interval = admitted_per_interval
    room.interval_seconds = interval_seconds
    room.pass_minutes = pass_minutes
    room.save()
    return room


@action
def remove_room(*, activity, now=None) -> None:
    """Take the waiting room away (bookings become direct again), unless families are waiting in it now."""
    now = now or timezone.now()
    room = WaitingRoom.objects.filter(activity=activity).first()
    if room is None:
        return
    if room.is_active(now) and room.entries.exists():
        raise DomainError(
            _("Des familles attendent dans la salle d'attente : elle ne peut pas être retirée maintenant.")
        )
    room.delete()
