"""Shared ground for every domain model."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        abstract = True


class TenantModel(TimeStampedModel):
    """A row owned by one organisation.

    Every tenant-owned table carries its own non-null organisation, even when a
    parent row already has one: queries filter on it directly, unique
    constraints include it, and an authority can later move to a database of
    its own (CONVENTIONS.md rules 3 and 14).
    """

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )

    class Meta:
        abstract = True


class AuditEntry(TenantModel):
    """Who changed what, when: the staff-side audit trail (SPEC "see an audit trail")."""

    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("auteur")
    )
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("type d'objet"), max_length=60)
    object_id = models.CharField(_("identifiant"), max_length=40, blank=True)
    object_repr = models.CharField(_("objet"), max_length=200, blank=True)
    changes = models.JSONField(_("modifications"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("entrée du journal")
        indexes = [models.Index(fields=["organisation", "object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_repr}"


class UsedRobotProof(models.Model):
    """An ALTCHA proof already accepted: each proof opens one form submission, never two."""

    signature = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.signature[:12]
