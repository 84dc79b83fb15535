"""Writes of the waiting room: joining it (one place per family)."""

import secrets

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ribambelle.core.actions import action
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
    # get_or_create: on a concurrent insert of the same family, the unique constraint
    # refuses the second row and the existing place is read back.
    entry, _created = RoomEntry.objects.get_or_create(
        organisation_id=room.organisation_id,
        room=room,
        family=family,
        defaults={"sort_key": _sort_key(room, now), "joined_at": now},
    )
    return entry
