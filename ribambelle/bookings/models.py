import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Réservé")
    WAITING = "waiting", _("Liste d'attente")
    CANCELLED = "cancelled", _("Annulé")
    PRESENT = "present", _("Présent")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Absence justifiée")


# A booking holds a place in these states; a waiting one does not (yet).
PLACE_STATUSES = (BookingStatus.BOOKED, BookingStatus.PRESENT, BookingStatus.ABSENT, BookingStatus.EXCUSED)
LIVE_STATUSES = (*PLACE_STATUSES, BookingStatus.WAITING)


def holds_place(prefix: str = "") -> models.Q:
    """Bookings that hold one of the places: booked (or marked), and a waiting-list place offered
    to a family until it answers — nobody else may take it meanwhile."""
    return models.Q(**{f"{prefix}status__in": PLACE_STATUSES}) | models.Q(
        **{f"{prefix}status": BookingStatus.WAITING, f"{prefix}offer_expires_at__isnull": False}
    )


class WaitingListRule(models.TextChoices):
    AUTO_BOOK = "auto_book", _("Réserver automatiquement le premier de la liste et le prévenir")
    OFFER = "offer", _("Proposer la place au premier de la liste pendant un temps limité")


class BookingSettings(TenantModel):
    """Per-organisation booking rules (kept in the bookings app; CONVENTIONS rule 12)."""

    waiting_list_rule = models.CharField(
        _("quand une place se libère"),
        max_length=10,
        choices=WaitingListRule.choices,
        default=WaitingListRule.AUTO_BOOK,
    )
    offer_hours = models.PositiveSmallIntegerField(_("durée de la proposition (heures)"), default=24)
    show_remaining_places = models.BooleanField(_("afficher les places restantes aux familles"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation"], name="booking_settings_one_per_org")]

    def __str__(self) -> str:
        return f"Réglages des réservations – {self.organisation_id}"


class Booking(TenantModel):
    """A child booked (or waiting) on a unit of an activity on a day; later marked present or absent."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="bookings")
    child = models.ForeignKey("families.Person", on_delete=models.CASCADE, related_name="bookings")
    registration = models.ForeignKey("registrations.Registration", on_delete=models.CASCADE, related_name="bookings")
    opening = models.ForeignKey("activities.Opening", on_delete=models.PROTECT, related_name="bookings")
    activity = models.ForeignKey("activities.Activity", on_delete=models.CASCADE, related_name="bookings")
    date = models.DateField(_("jour"))
    status = models.CharField(_("statut"), max_length=10, choices=BookingStatus.choices)
    offer_expires_at = models.DateTimeField(_("proposition valable jusqu'au"), null=True, blank=True)
    arrived_at = models.TimeField(_("arrivée"), null=True, blank=True)
    left_at = models.TimeField(_("départ"), null=True, blank=True)
    late_cancellation = models.BooleanField(_("annulé après le délai"), default=False)
    staff_note = models.CharField(_("motif (personnel)"), max_length=200, blank=True)
    # A place given by staff beyond the day's capacity: only with its reason (constraint below).
    over_capacity = models.BooleanField(_("au-delà de la capacité"), default=False)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["date", "created_at", "id"]
        verbose_name = _("réservation")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "child", "opening"],
                condition=~models.Q(status="cancelled"),
                name="booking_once_per_opening",
            ),
            # The capacity rule itself spans rows (places held on a day vs its capacity), which a
            # CHECK cannot read: it is enforced under the openings' row lock (services.save_bookings),
            # proven by tests/concurrency. What one row can say, the database holds: a place beyond
            # capacity always carries the staff member's reason.
            models.CheckConstraint(
                condition=models.Q(over_capacity=False) | ~models.Q(staff_note=""),
                name="booking_over_capacity_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "opening", "status"]),
            models.Index(fields=["organisation", "child", "date"]),
            # Leads with (organisation, activity, date) like the index it replaced, and carries what
            # the statistics group and count (status, child, family, opening, late cancellation), so
            # their year-long aggregates read the index alone (bench/stats.py).
            models.Index(
                fields=[
                    "organisation",
                    "activity",
                    "date",
                    "status",
                    "child",
                    "family",
                    "opening",
                    "late_cancellation",
                ],
                name="booking_stats_covering",
            ),
            # Places offered from the waiting list hold a place: counted on every save (services._places_taken).
            models.Index(
                fields=["organisation", "opening"],
                condition=models.Q(status="waiting", offer_expires_at__isnull=False),
                name="booking_offers_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child} {self.date:%d/%m/%Y} {self.get_status_display()}"


class PlacesHeld(TenantModel):
    """The places held on a day (bookings holding a place: `holds_place`, those given by staff
    beyond capacity included), kept by the database itself on every write of a booking (migration
    0008's triggers), which also refuse a place that would go beyond the day's capacity.

    Why a counter: every save of the opening rush reads the places of its days under their lock,
    and counting them cost more the more places were taken; the counter is one row per day,
    whatever the number of bookings. Python only reads it (services._places_taken): never write it."""

    opening = models.OneToOneField(
        "activities.Opening", on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("ouverture")
    )
    held = models.PositiveIntegerField(_("places prises"), default=0)

    class Meta:
        verbose_name = _("places prises d'une ouverture")

    def __str__(self) -> str:
        return f"{self.opening_id}: {self.held}"


class CalendarFeed(TenantModel):
    """A family's private iCalendar address; changing the token revokes the old address."""

    family = models.OneToOneField("families.Family", on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)

    def __str__(self) -> str:
        return f"Agenda {self.family_id}"


class TapOutcome(models.TextChoices):
    APPLIED = "applied", _("appliqué")
    SUPERSEDED = "superseded", _("remplacé par un pointage plus récent")
    REJECTED = "rejected", _("refusé")


class AttendanceTap(TenantModel):
    """One tap on the roll call (present, absent, justified, times), as the device recorded it.

    The device gives each tap its own id: a batch sent twice (a retry after a lost answer) finds
    its taps already here and changes nothing. When two taps on the same booking disagree, the
    one tapped later on its device wins (server receipt breaks a tie); a disagreement between two
    staff members is kept as a conflict (`conflicts_with`) for the back office to look at."""

    tap_id = models.UUIDField(_("identifiant du pointage"))
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="taps")
    status = models.CharField(_("statut"), max_length=10, choices=BookingStatus.choices)
    arrived_at = models.TimeField(_("arrivée"), null=True, blank=True)
    left_at = models.TimeField(_("départ"), null=True, blank=True)
    tapped_at = models.DateTimeField(_("pointé le (appareil)"))
    received_at = models.DateTimeField(_("reçu le"))
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    outcome = models.CharField(_("résultat"), max_length=10, choices=TapOutcome.choices)
    message = models.CharField(_("motif"), max_length=200, blank=True)
    conflicts_with = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("en conflit avec")
    )

    class Meta:
        verbose_name = _("pointage")
        constraints = [models.UniqueConstraint(fields=["organisation", "tap_id"], name="attendance_tap_once")]
        indexes = [models.Index(fields=["organisation", "booking", "outcome", "tapped_at"])]

    def __str__(self) -> str:
        return f"{self.tap_id} {self.status}"
