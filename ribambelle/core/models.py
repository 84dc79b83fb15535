"""Shared ground for every domain model."""

from django.db import models
from django.db.models.sql import Query
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager, ScopeError
from django_scopes.manager import DisabledQuerySet


class OutOfScopeQuery(Query):
    """The SQL of a tenant query built outside any scope: it refuses to compile, so the
    query cannot run in any form, not even inside another one (`Exists(…)`, `Subquery(…)`
    take the query itself, past every queryset method)."""

    def get_compiler(self, *args, **kwargs):
        raise ScopeError("A scope on dimension(s) organisation needs to be active for this query.")


class OutOfScopeQuerySet(DisabledQuerySet):
    """What a tenant manager gives outside any organisation's scope: a query that raises
    `ScopeError` as soon as it would filter or run, but that may be declared and copied,
    because Django does that when a form class is defined (a ModelForm's foreign-key field
    copies `Model.objects` at import). Such a copied query still raises when the form is
    shown unless the form sets its field's queryset from the request: it never lists every
    organisation's rows."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if type(self.query) is Query:
            self.query.__class__ = OutOfScopeQuery  # kept by every clone of the query

    def all(self):
        return self._chain()

    def none(self):
        empty = super().none()  # runs no SQL: may be compiled, to nothing
        empty.query.__class__ = Query
        return empty


class TenantManager(type(ScopedManager(organisation="organisation"))):
    """The manager of every tenant-owned model: it refuses to query unless an organisation's
    scope is active (`django_scopes.scope(organisation=…)`, entered by the organisation
    middleware, the task entry points and the commands), and then filters by it.

    So a query that forgets `organisation=` cannot read another tenant's rows: outside a
    scope it raises `ScopeError`, inside one it sees only that organisation. Code that
    really spans organisations says so with `scopes_disabled()` and a comment.
    Django also uses this manager's class for reverse relations (`family.members`), so
    those are scoped too; forward FK access (`person.family`) goes through the plain
    `_base_manager`, which is safe because the id comes from a row read in scope.
    Not used in migrations (`use_in_migrations` stays False): historical models get a
    plain manager.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        if type(queryset) is DisabledQuerySet:
            return OutOfScopeQuerySet(self.model, using=self._db, missing_scopes=queryset.missing_scopes)
        return queryset


def tenant_manager() -> TenantManager:
    return TenantManager()


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

    objects = tenant_manager()

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


class WorkerHeartbeat(models.Model):
    """A background process saying it is alive (`manage.py worker`, `manage.py periodic`).

    Platform-wide, not an organisation's row: one line per process, refreshed every few
    seconds; `/readyz` and the monitoring read how long ago each kind was last seen.
    """

    worker_id = models.CharField(_("processus"), max_length=64, unique=True)
    kind = models.CharField(_("type"), max_length=20)
    hostname = models.CharField(_("machine"), max_length=200, blank=True)
    pid = models.PositiveIntegerField(_("pid"), null=True, blank=True)
    started_at = models.DateTimeField(_("démarré le"))
    seen_at = models.DateTimeField(_("vu le"), db_index=True)
    tasks_run = models.PositiveIntegerField(_("tâches exécutées"), default=0)

    class Meta:
        verbose_name = _("signe de vie d'un processus")

    def __str__(self) -> str:
        return f"{self.kind} {self.worker_id}"
