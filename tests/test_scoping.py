"""Tenant scoping by construction (django-scopes): a query that forgets the organisation raises
outside a scope and cannot see another organisation's rows inside one.

The suite's autouse fixture disables scopes around test bodies (tests/conftest.py); the tests
here re-enter them explicitly: `scope()` with no organisation is what a worker, a command or
a URL without organisation sees.
"""

import sys
from contextlib import contextmanager
from io import StringIO
from unittest import mock

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.db.models.query import QuerySet
from django.shortcuts import get_object_or_404
from django_scopes import ScopeError, get_scope, scope, scopes_disabled

from ribambelle.communication.selectors import public_news
from ribambelle.core.models import TenantManager
from ribambelle.core.selectors import AuditFilters, audit_entries
from ribambelle.families.selectors import pending_count
from ribambelle.tenancy.models import Organisation

from .conftest import page_text
from .factories import (
    AuditEntryFactory,
    BookingFactory,
    ChangeRequestFactory,
    FamilyFactory,
    InvoiceRunFactory,
    NewsItemFactory,
    OutgoingEmailFactory,
    PersonFactory,
)


def ribambelle_models():
    return [m for m in apps.get_models() if m.__module__.startswith("ribambelle.")]


def organisation_field(model):
    try:
        field = model._meta.get_field("organisation")
    except Exception:  # noqa: BLE001 - FieldDoesNotExist: not owned by an organisation
        return None
    return field if field.is_relation and field.related_model is Organisation else None


def tenant_models():
    return [m for m in ribambelle_models() if organisation_field(m) is not None]


# Models that carry an organisation but are deliberately not scoped, and why.
UNSCOPED = {
    # A login is read from the session and compared with the URL's organisation before any
    # scope exists (the middleware needs it to choose the scope); platform administrators
    # have no organisation. Every User lookup names its organisation explicitly.
    "accounts.User": "login before scope; platform admins have no organisation",
}


# --- (a) outside any scope, a tenant query raises ------------------------------------
@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_a_query_on_a_tenant_model_outside_any_scope_raises(model, tenant_a):
    if model._meta.label in UNSCOPED:
        pytest.skip(UNSCOPED[model._meta.label])
    with scope():  # scoping on, no organisation: a worker or a page without organisation
        with pytest.raises(ScopeError):
            model.objects.count()
        with pytest.raises(ScopeError):
            list(model.objects.all())
        with pytest.raises(ScopeError):
            model.objects.filter(pk=1).first()


QUERIES_THAT_RUN = {
    "exists": lambda m: m.objects.exists(),
    "exclude+exists": lambda m: m.objects.exclude(pk=0).exists(),
    "select_related+len": lambda m: len(m.objects.select_related()),
    "in_bulk": lambda m: m.objects.in_bulk([1]),
    "iterator": lambda m: list(m.objects.iterator()),
    "update": lambda m: m.objects.update(organisation=None),
    "delete": lambda m: m.objects.all().delete(),
    "as a subquery": lambda m: list(Organisation.objects.filter(pk__in=m.objects.exclude(pk=0))),
    "exists() of a subquery": lambda m: list(
        Organisation.objects.filter(models.Exists(m.objects.exclude(pk=0))).values("pk")
    ),
}


@pytest.mark.parametrize("query", QUERIES_THAT_RUN.values(), ids=QUERIES_THAT_RUN.keys())
def test_every_way_of_running_a_tenant_query_outside_a_scope_raises(query, tenant_a, tenant_b):
    from ribambelle.families.models import Family

    before = sorted(Family.objects.values_list("pk", "organisation_id"))
    with scope(), pytest.raises(ScopeError):
        query(Family)
    assert sorted(Family.objects.values_list("pk", "organisation_id")) == before  # nothing changed or deleted


def test_reverse_relations_and_get_object_or_404_are_scoped_too(tenant_a):
    family = FamilyFactory(organisation=tenant_a.organisation)
    PersonFactory(organisation=tenant_a.organisation, family=family)
    with scope():
        with pytest.raises(ScopeError):
            list(family.members.all())  # Django builds reverse managers from the scoped manager's class
        with pytest.raises(ScopeError):
            get_object_or_404(type(family), pk=family.pk)
    with scope(organisation=tenant_a.organisation):
        assert len(family.members.all()) == 1


def test_a_query_declared_outside_a_scope_never_runs_later(tenant_a, tenant_b):
    """Form classes copy `Model.objects` when they are defined (at import, outside any scope).
    Such a query may be built, but still refuses to run once a scope is active: a form that
    forgot to set its field's queryset from the request raises instead of listing every
    organisation's rows."""
    FamilyFactory(organisation=tenant_a.organisation)
    with scope():
        declared = type(tenant_a.family_user.family).objects.all()
    with scope(organisation=tenant_a.organisation), pytest.raises(ScopeError):
        list(declared.all())


# --- (b) inside a scope, a selector that forgot `organisation=` sees only that organisation ---
def _calling_module() -> str:
    """The module that asked for this filter, past Django's own relays (`Model.objects.filter`
    goes through the manager, `get_object_or_404` through the shortcut)."""
    frame = sys._getframe(2)
    while frame.f_globals.get("__name__", "").startswith(("django.db.models", "django.shortcuts")):
        frame = frame.f_back
    return frame.f_globals.get("__name__", "")


@contextmanager
def organisation_filters_removed():
    """Make every `.filter(organisation=…)` / `.filter(organisation_id=…)` written in our own
    code (`ribambelle.*`) lose that condition, as if the selector had been written without it.
    The scope's filter, added by django-scopes' manager, is kept. Yields the list of
    conditions removed, so a test can check it really removed one."""
    removed = []
    original = QuerySet.filter

    def filter_without_organisation(self, *args, **kwargs):
        caller = _calling_module()
        if caller.startswith("ribambelle."):
            for key in ("organisation", "organisation_id"):
                if key in kwargs:
                    removed.append((caller, key))
                    del kwargs[key]
        return original(self, *args, **kwargs)

    with mock.patch.object(QuerySet, "filter", filter_without_organisation):
        yield removed


def _pending_count(tenant):
    ChangeRequestFactory(organisation=tenant.organisation)
    membership = tenant.admin.membership  # staff selectors take the member (structure limits)
    return lambda organisation: pending_count(membership)


def _audit_entries(tenant):
    AuditEntryFactory(organisation=tenant.organisation, object_repr=f"Structure de {tenant.organisation.slug}")
    return lambda organisation: sorted(e.object_repr for e in audit_entries(organisation, AuditFilters()))


def _public_news(tenant):
    NewsItemFactory(organisation=tenant.organisation, title=f"Actualité de {tenant.organisation.slug}")
    return lambda organisation: sorted(n.title for n in public_news(organisation))


@pytest.mark.parametrize("arrange", [_pending_count, _audit_entries, _public_news], ids=lambda f: f.__name__[1:])
def test_a_selector_without_its_organisation_filter_still_sees_only_the_scope(arrange, tenant_a, tenant_b):
    read = arrange(tenant_a)
    arrange(tenant_b)
    with scope(organisation=tenant_a.organisation):
        expected = read(tenant_a.organisation)  # the selector as written
    with organisation_filters_removed() as removed:
        with scopes_disabled():
            leaked = read(tenant_a.organisation)
        with scope(organisation=tenant_a.organisation):
            scoped = read(tenant_a.organisation)
    assert removed, "the selector filters on its organisation explicitly"
    # Control: without the scope, the selector stripped of its filter reads both organisations,
    # so the removal is real and the next assertion can fail.
    assert leaked != expected
    assert scoped == expected


def test_a_page_whose_selector_forgot_the_organisation_shows_only_its_own(client, tenant_a, tenant_b):
    """The middleware enters the URL's organisation scope for the request, even inside the
    tests' `scopes_disabled()` (the inner scope re-enables scoping), and leaves it after."""
    NewsItemFactory(organisation=tenant_a.organisation, title="Fête de l'école à A")
    NewsItemFactory(organisation=tenant_b.organisation, title="Fête du village à B")
    with organisation_filters_removed() as removed:
        response = client.get(tenant_a.url())
    assert removed
    text = page_text(response)
    assert "Fête de l'école à A" in text
    assert "Fête du village à B" not in text
    assert get_scope().get("_enabled") is False  # back to the test's own (disabled) state


def test_a_streamed_body_is_produced_in_the_organisation_scope(rf, tenant_a, tenant_b):
    """A streamed export is iterated by the server after the middleware has returned: its
    rows are read then, and must still be read in the URL's organisation scope."""
    from django.contrib.auth.models import AnonymousUser
    from django.http import StreamingHttpResponse

    from ribambelle.families.models import Family
    from ribambelle.tenancy.middleware import OrganisationMiddleware

    FamilyFactory(organisation=tenant_a.organisation, name="AAA-EXPORT")
    FamilyFactory(organisation=tenant_b.organisation, name="BBB-EXPORT")

    def export(request):
        def rows():  # the query is built only when the server asks for the first chunk
            for family in Family.objects.filter(name__endswith="-EXPORT"):
                yield f"{family.name}\n"

        return StreamingHttpResponse(rows())

    def handler(request):
        middleware.process_view(request, export, (), {"org_slug": tenant_a.organisation.slug})
        return export(request)

    middleware = OrganisationMiddleware(handler)
    request = rf.get("/export")
    request.user = AnonymousUser()
    with scope():  # a server thread: no scope of its own
        response = middleware(request)
        body = b"".join(response.streaming_content).decode()
        assert get_scope().get("organisation") is None  # left between and after the chunks
    assert body == "AAA-EXPORT\n"


def test_nesting_a_scope_inside_scopes_disabled_enables_scoping(tenant_a, tenant_b):
    FamilyFactory(organisation=tenant_a.organisation)
    FamilyFactory(organisation=tenant_b.organisation)
    Family = tenant_a.family_user.family.__class__
    with scopes_disabled():
        everyone = Family.objects.count()
        with scope(organisation=tenant_a.organisation):
            assert set(Family.objects.values_list("organisation_id", flat=True)) == {tenant_a.organisation.id}
        assert Family.objects.count() == everyone


# --- Workers and sweeps enter the scope themselves -------------------------------------
def test_the_outbox_task_runs_in_its_email_organisation_scope(tenant_a, mailoutbox):
    from ribambelle.outbox.tasks import deliver_email

    email = OutgoingEmailFactory(organisation=tenant_a.organisation, to="parent@cc-a.example")
    with scope():  # a db_worker process: no scope until the task enters one
        assert deliver_email.call(email.pk) == "sent"
    assert [m.to for m in mailoutbox] == [["parent@cc-a.example"]]


def test_the_outbox_sweep_visits_each_organisation_in_its_scope(tenant_a, tenant_b, mailoutbox):
    from ribambelle.outbox.tasks import deliver_due_emails

    OutgoingEmailFactory(organisation=tenant_a.organisation, to="a@cc-a.example")
    OutgoingEmailFactory(organisation=tenant_b.organisation, to="b@cc-b.example")
    with scope():
        assert deliver_due_emails.call() == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["a@cc-a.example", "b@cc-b.example"]


def test_the_booking_summary_task_runs_in_its_child_organisation_scope(tenant_a):
    from ribambelle.bookings.tasks import send_booking_summary
    from ribambelle.outbox.models import OutgoingEmail

    booking = BookingFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    with scope():
        send_booking_summary.call(booking.child_id, {"booked": [booking.pk], "waitlisted": [], "cancelled": []})
    assert OutgoingEmail.objects.filter(organisation=tenant_a.organisation, to=tenant_a.family_user.email).exists()


def test_the_invoice_run_task_runs_in_its_run_organisation_scope(tenant_a):
    from ribambelle.billing.models import RunStatus
    from ribambelle.billing.tasks import process_invoice_run

    run = InvoiceRunFactory(organisation=tenant_a.organisation)
    with scope():
        process_invoice_run.call(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE


@pytest.mark.parametrize(
    "command", ["periodic", "send_outbox", "document_reminders", "erase_inactive_families", "load_demo"]
)
def test_management_commands_enter_the_scopes_they_need(command, tenant_a, tenant_b, mailoutbox):
    """Run as from a shell: no scope at all until the command enters one per organisation."""
    OutgoingEmailFactory(organisation=tenant_a.organisation, to="a@cc-a.example")
    OutgoingEmailFactory(organisation=tenant_b.organisation, to="b@cc-b.example")
    with scope():
        call_command(command, stdout=StringIO())
    if command in ("periodic", "send_outbox"):
        assert sorted(m.to[0] for m in mailoutbox) == ["a@cc-a.example", "b@cc-b.example"]


# --- Tenancy guard ---------------------------------------------------------------------
# Unique constraints that need not include the organisation, and why.
UNIQUE_WITHOUT_ORGANISATION = {
    # Random secrets (a hashed 256-bit link token, a calendar feed's token): unique across the
    # platform by construction, and looked up together with the organisation of the URL.
    ("accounts.AccountToken", "token_hash"),
    ("bookings.CalendarFeed", "token"),
    # One-to-one with a parent row of the same organisation (the service checks it): the
    # parent's id already belongs to one organisation, so the rule is per organisation.
    ("tenancy.Membership", "user_id"),
    ("custody.HouseholdLogin", "user_id"),
    ("families.HealthRecord", "child_id"),
    ("bookings.CalendarFeed", "family_id"),
    ("absences.AbsenceReport", "booking_id"),
    # Platform administrators (no organisation) have e-mails unique among themselves.
    ("accounts.User", "user_unique_platform_email"),
}


def _unique_sets(model):
    """Each unique rule of the model as the set of column names it covers."""
    meta = model._meta
    for field in meta.local_fields:
        if field.unique and not field.primary_key:
            yield field.attname, {field.attname}
    for fields in meta.unique_together:
        yield ",".join(fields), {meta.get_field(f).attname for f in fields}
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            names = set(constraint.fields)
            for expression in constraint.expressions:
                names |= {ref for ref in _refs(expression)}
            yield constraint.name, {meta.get_field(n).attname for n in names}


def _refs(expression):
    if isinstance(expression, models.F):
        yield expression.name
    for source in getattr(expression, "get_source_expressions", lambda: [])():
        if source is not None:
            yield from _refs(source)


def test_every_model_owned_by_an_organisation_carries_it_and_is_scoped():
    problems = []
    tenants = {m for m in tenant_models()}
    for model in ribambelle_models():
        label = model._meta.label
        if model in tenants:
            field = organisation_field(model)
            if field.null and label not in UNSCOPED:
                problems.append(f"{label}: organisation may be null")
            if label not in UNSCOPED and not isinstance(model._default_manager, TenantManager):
                problems.append(f"{label}: default manager is not the scoped TenantManager")
            for name, columns in _unique_sets(model):
                if "organisation_id" not in columns and (label, name) not in UNIQUE_WITHOUT_ORGANISATION:
                    problems.append(f"{label}: unique rule {name} does not include organisation")
        else:
            # A row pointing at a tenant row belongs to that organisation too: it needs its own column.
            parents = [f.name for f in model._meta.fields if f.is_relation and f.related_model in tenants]
            if parents:
                problems.append(f"{label}: refers to tenant rows ({', '.join(parents)}) without an organisation")
        for m2m in model._meta.local_many_to_many:
            if m2m.remote_field.through._meta.auto_created:
                problems.append(f"{label}.{m2m.name}: auto-created join table has no organisation")
    assert problems == []


def test_the_guard_sees_the_tenant_models():
    """The guard above must not pass by finding nothing."""
    labels = {m._meta.label for m in tenant_models()}
    assert {"families.Family", "families.HealthRecord", "billing.Invoice", "accounts.ConsentRecord"} <= labels
    assert len(labels) > 40
