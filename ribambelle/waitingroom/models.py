"""The fair waiting room in front of a first-come opening (issue 20, reference 2.A).

Families who come before the opening wait in a pre-queue; at the opening they stand in a
random order, later arrivals behind them in arrival order. One place per family: several
tabs or devices share it. Admission is computed from the clock, never written: every
`interval_seconds` after the opening, `admitted_per_interval` more families are let in.
"""

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel

# Pre-queue entries draw a random key below this bound; later arrivals get this bound plus
# their arrival time in microseconds after the opening: so every early family stands before
# every late one, in a random order among themselves (the shuffle at the opening, drawn in
# advance and revealed only at the opening).
LATE_BASE = 2**62


class WaitingRoom(TenantModel):
    activity = models.ForeignKey(
        "activities.Activity", on_delete=models.CASCADE, related_name="+", verbose_name=_("activité")
    )
    opens_at = models.DateTimeField(_("ouverture des réservations"))
    prequeue_from = models.DateTimeField(_("début de la pré-file"))
    closes_at = models.DateTimeField(_("fin de la salle d'attente"))
    admitted_per_interval = models.PositiveIntegerField(_("familles admises par intervalle"), default=50)
    interval_seconds = models.PositiveIntegerField(_("intervalle (secondes)"), default=60)
    pass_minutes = models.PositiveIntegerField(_("validité du passage (minutes)"), default=10)

    class Meta:
        verbose_name = _("salle d'attente")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "activity"], name="waitingroom_one_room_per_activity"),
            models.CheckConstraint(
                condition=models.Q(prequeue_from__lte=models.F("opens_at"), opens_at__lt=models.F("closes_at")),
                name="waitingroom_times_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(admitted_per_interval__gt=0, interval_seconds__gt=0, pass_minutes__gt=0),
                name="waitingroom_positive_settings",
            ),
        ]

    def __str__(self) -> str:
        return str(self.activity_id)

    @property
    def pass_validity(self) -> timedelta:
        return timedelta(minutes=self.pass_minutes)

    def is_active(self, now) -> bool:
        return self.prequeue_from <= now < self.closes_at

    # The organisation row carries the span of its rooms (from the earliest pre-queue to the latest
    # closing): it comes with every login, so a save outside that span needs no query to know no
    # room stands in front of it (waitingroom.guard). Kept exact on every write of a room.
    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        _refresh_rooms_span(self.organisation_id)

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        _refresh_rooms_span(self.organisation_id)
        return result


def _refresh_rooms_span(organisation_id: int) -> None:
    from django.db.models import Max, Min, OuterRef, Subquery
    from django_scopes import scopes_disabled

    from ribambelle.tenancy.models import Organisation

    with scopes_disabled():  # one organisation's rooms, named explicitly
        rooms = WaitingRoom.objects.filter(organisation_id=OuterRef("pk")).order_by().values("organisation_id")
        Organisation.objects.filter(pk=organisation_id).update(
            waiting_rooms_from=Subquery(rooms.annotate(first=Min("prequeue_from")).values("first")),
            waiting_rooms_until=Subquery(rooms.annotate(last=Max("closes_at")).values("last")),
        )


class RoomEntry(TenantModel):
    room = models.ForeignKey(WaitingRoom, on_delete=models.CASCADE, related_name="entries")
    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    sort_key = models.BigIntegerField(_("clé de rang"))
    joined_at = models.DateTimeField(_("arrivée"))

    class Meta:
        verbose_name = _("place en salle d'attente")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "room", "family"], name="waitingroom_one_entry_per_family")
        ]
        # The position read: how many entries of this room stand before this key.
        indexes = [models.Index(fields=["room", "sort_key", "id"], name="waitingroom_entry_rank")]

    def __str__(self) -> str:
        return f"{self.room_id}:{self.family_id}"
