"""Sharding by organisation stays possible (CONVENTIONS.md rule 14).

Every tenant-owned model carries its own non-null `organisation` column, and every unique
constraint on it includes that column: one organisation's rows can then move to another
database (or a Citus cluster distributed by `organisation_id`) without a key colliding.
And no model change is left without its migration (`makemigrations --check`).
"""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models

from ribambelle.core.models import TenantModel

# Models shared by every organisation, on purpose (platform level), with the reason. A
# tenant-owned model must never be added here: give it its organisation (TenantModel).
PLATFORM_MODELS = {
    "tenancy.Organisation": "the organisation itself",
    "core.UsedRobotProof": "an ALTCHA proof, single use, not tied to any organisation",
    "demo.DemoRecord": "the demo loader's registry of what it created, across demo organisations",
    "core.WorkerHeartbeat": "one line per background process of the platform",
}
# Tenant-owned models that do not inherit TenantModel (read before any scope exists: the login,
# its tokens and consents) but still carry their own organisation column.
UNSCOPED_TENANT_MODELS = {
    "accounts.User": "a login is looked up by (organisation, e-mail) before a scope exists; "
    "platform administrators have no organisation",
    "accounts.AccountToken": "an activation or reset link is followed before any login",
    "accounts.ActivityLog": "written at login, before the scope of a session exists",
    "accounts.ConsentRecord": "written at first login, before the scope of a session exists",
}
NULLABLE_ORGANISATION = {"accounts.User"}  # platform administrators
# Unique columns that do not include the organisation, each with why moving one organisation to
# another database (or sharding by organisation_id) keeps them unique. Adding one here needs the
# same argument; on Citus they become UniqueConstraint(organisation, …) first (expand, contract).
UNIQUE_WITHOUT_ORGANISATION = {
    ("accounts.User", "user_unique_platform_email"): "platform administrators only (organisation IS NULL)",
    ("accounts.AccountToken", "token_hash (unique=True)"): "hash of a random 256-bit secret: never collides",
    ("bookings.CalendarFeed", "token (unique=True)"): "random secret of the feed's address: never collides",
    ("bookings.CalendarFeed", "family (unique=True)"): "one-to-one with a family of the same organisation",
    ("families.HealthRecord", "child (unique=True)"): "one-to-one with a child of the same organisation",
    ("absences.AbsenceReport", "booking (unique=True)"): "one-to-one with a booking of the same organisation",
    ("tenancy.Membership", "user (unique=True)"): "one-to-one with a login of the same organisation",
    ("custody.HouseholdLogin", "user (unique=True)"): "one-to-one with a login of the same organisation",
}


def ribambelle_models():
    return [m for m in apps.get_models() if m.__module__.startswith("ribambelle.")]


def tenant_models():
    """Every model with an organisation column: TenantModel subclasses and the few listed above."""
    return [m for m in ribambelle_models() if issubclass(m, TenantModel) or m._meta.label in UNSCOPED_TENANT_MODELS]


def test_there_are_tenant_models():
    assert len(tenant_models()) > 20


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_tenant_model_has_its_own_organisation_column(model):
    field = model._meta.get_field("organisation")
    assert isinstance(field, models.ForeignKey)
    assert field.related_model._meta.label == "tenancy.Organisation"
    assert field.column == "organisation_id"
    if model._meta.label not in NULLABLE_ORGANISATION:
        assert not field.null, f"{model._meta.label}.organisation must not be nullable"


def _names_in(expression) -> set[str]:
    if isinstance(expression, str):
        return {expression}
    if isinstance(expression, models.F):
        return {expression.name}
    names = set()
    for node in expression.get_source_expressions():
        names |= _names_in(node)
    return names


def _unique_sets(model):
    """Every set of columns the database keeps unique, named as the guard reports it."""
    found = []
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            names = set(constraint.fields)
            for expression in constraint.expressions:
                names |= _names_in(expression)
            found.append((constraint.name, names))
    for fields in model._meta.unique_together:
        found.append((f"unique_together{tuple(fields)}", set(fields)))
    for field in model._meta.local_fields:
        if field.unique and not field.primary_key:
            found.append((f"{field.name} (unique=True)", {field.name}))
    return found


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_every_unique_constraint_includes_the_organisation(model):
    label = model._meta.label
    missing = [
        name
        for name, fields in _unique_sets(model)
        if "organisation" not in fields and (label, name) not in UNIQUE_WITHOUT_ORGANISATION
    ]
    assert not missing, f"{label}: unique without organisation (CONVENTIONS rule 14): {missing}"


def test_the_exceptions_still_exist():
    """An exception whose constraint is gone is removed from the list (it stays short and true)."""
    present = {(m._meta.label, name) for m in tenant_models() for name, _fields in _unique_sets(m)}
    assert set(UNIQUE_WITHOUT_ORGANISATION) <= present, set(UNIQUE_WITHOUT_ORGANISATION) - present


def test_every_model_is_tenant_owned_or_declared_platform_wide():
    others = {
        m._meta.label
        for m in ribambelle_models()
        if not issubclass(m, TenantModel) and m._meta.label not in UNSCOPED_TENANT_MODELS
    }
    unlisted = others - set(PLATFORM_MODELS)
    assert not unlisted, f"models neither TenantModel nor declared platform-wide: {sorted(unlisted)}"


def test_no_missing_migration(db):
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when a change has no migration
        pytest.fail(f"makemigrations --check: a model change has no migration:\n{out.getvalue()}\n{exc}")
