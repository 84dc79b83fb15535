import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel


def new_public_id() -> str:
    return secrets.token_hex(8)


def new_public_token() -> str:
    return secrets.token_urlsafe(24)


class AllocationMode(models.TextChoices):
    FIRST_COME = "first_come", _("Premier arrivé")
    FAIR_QUEUE = "fair_queue", _("File d'attente équitable")
    WISHES_DRAW = "wishes_draw", _("Vœux puis tirage")


class AllocationSettings(TenantModel):
    """How an activity's places are given out. Without a row: first come, first served (today's rule)."""

    # One per activity (constraint below, with the organisation: CONVENTIONS rule 14).
    activity = models.ForeignKey(
        "activities.Activity",
        on_delete=models.CASCADE,
        related_name="allocations",
        related_query_name="allocation",
        verbose_name=_("activité"),
    )
    mode = models.CharField(_("attribution des places"), max_length=12, choices=AllocationMode.choices)
    wishes_open_at = models.DateTimeField(_("ouverture des vœux"), null=True, blank=True)
    wishes_close_at = models.DateTimeField(_("clôture des vœux"), null=True, blank=True)
    family_cap = models.PositiveSmallIntegerField(
        _("places au plus par famille"),
        null=True,
        blank=True,
        help_text=_("Nombre de journées (par enfant) qu'une famille peut obtenir au tirage ; vide : pas de limite."),
    )
    siblings_together = models.BooleanField(
        _("frères et sœurs ensemble"),
        default=True,
        help_text=_("Les enfants d'une famille qui demandent le même jour l'obtiennent ensemble ou pas du tout."),
    )
    # Commit-reveal: the hash is published when the window opens, the seed only at the draw.
    seed = models.CharField(max_length=64, default=secrets.token_hex, editable=False)
    seed_commitment = models.CharField(_("engagement sur la graine (SHA-256)"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("réglage d'attribution")
        constraints = [models.UniqueConstraint(fields=["organisation", "activity"], name="allocation_one_per_activity")]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.mode}"


class PriorityClass(TenantModel):
    """One class of the draw, from the organisation's règlement; a family is in the first one whose
    criteria it meets (the last one, without criteria, takes everybody else)."""

    settings = models.ForeignKey(AllocationSettings, on_delete=models.CASCADE, related_name="classes")
    position = models.PositiveSmallIntegerField(_("ordre"))
    label = models.CharField(_("intitulé"), max_length=120)
    requires_resident = models.BooleanField(
        _("résident"), default=False, help_text=_("Code postal dans la liste du territoire (réglages de facturation).")
    )
    requires_working_parents = models.BooleanField(_("parents (ou parent seul) qui travaillent"), default=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("classe de priorité")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "settings", "position"], name="priority_class_position")
        ]

    def __str__(self) -> str:
        return self.label


class FamilyDrawProfile(TenantModel):
    """What the draw needs of a family and the family file does not hold: its public pseudonym
    (the rank is HMAC(seed, public id), published without the name) and the working-parents criterion."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="draw_profiles")
    public_id = models.CharField(max_length=16, default=new_public_id)
    parents_working = models.BooleanField(_("les deux parents, ou le parent seul, travaillent"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "family"], name="draw_profile_one_per_family"),
            models.UniqueConstraint(fields=["organisation", "public_id"], name="draw_profile_public_id"),
        ]

    def __str__(self) -> str:
        return self.public_id


class Wish(TenantModel):
    """A child's wish for one opening (a day and unit), with its preference (1 = first)."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="wishes")
    child = models.ForeignKey("families.Person", on_delete=models.CASCADE, related_name="wishes")
    activity = models.ForeignKey("activities.Activity", on_delete=models.CASCADE, related_name="wishes")
    opening = models.ForeignKey("activities.Opening", on_delete=models.CASCADE, related_name="wishes")
    preference = models.PositiveSmallIntegerField(_("préférence"))

    class Meta:
        ordering = ["child_id", "preference"]
        verbose_name = _("vœu")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "child", "opening"], name="wish_once_per_opening"),
            models.UniqueConstraint(
                fields=["organisation", "child", "activity", "preference"], name="wish_preference_unique"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "activity", "family"])]

    def __str__(self) -> str:
        return f"{self.child_id} {self.opening_id} #{self.preference}"


class Draw(TenantModel):
    """A draw that ran: everything published, so anyone can recompute it (`manage.py verify_draw`)."""

    activity = models.ForeignKey("activities.Activity", on_delete=models.PROTECT, related_name="draws")
    public_token = models.CharField(max_length=32, default=new_public_token)
    drawn_at = models.DateTimeField(_("tiré le"))
    seed = models.CharField(_("graine"), max_length=64)
    seed_commitment = models.CharField(max_length=64)
    wishes_hash = models.CharField(_("empreinte des vœux scellés"), max_length=64)
    result_hash = models.CharField(_("empreinte de l'attribution"), max_length=64)
    inputs = models.JSONField()
    result = models.JSONField()
    # Which published names stand for which rows (not published): slot → opening id,
    # child ref → person id, public id → family id.
    keys = models.JSONField()

    class Meta:
        verbose_name = _("tirage")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "activity"], name="draw_once_per_activity"),
            models.UniqueConstraint(fields=["organisation", "public_token"], name="draw_public_token"),
        ]

    def __str__(self) -> str:
        return f"Tirage {self.activity_id}"

    @property
    def published(self) -> dict:
        return {
            "inputs": self.inputs,
            "seed": self.seed,
            "seed_commitment": self.seed_commitment,
            "wishes_hash": self.wishes_hash,
            "result": self.result,
            "result_hash": self.result_hash,
        }
