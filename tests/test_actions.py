"""Every public writer is one atomic unit (ribambelle/core/actions.py): entry points run in
their own durable transaction, helpers refuse to run outside one, and every public function of
every services.py (and of the other modules that write) is marked or declared a read here."""

import importlib
import inspect
from pathlib import Path

import pytest
from django.db import transaction

from ribambelle.activities.models import Opening
from ribambelle.core.actions import action, action_helper, batch, step_by_step

ROOT = Path(__file__).resolve().parent.parent / "ribambelle"

# Modules that write besides the services.py files.
OTHER_WRITERS = [
    "accounts.consent",
    "accounts.family_accounts",
    "accounts.two_factor",
    "billing.sepa",
    "billing.sepa_collections",
    "billing.corrections",
    "bookings.family_services",
    "bookings.taps",
    "communication.mailing",
    "communication.messaging",
    "communication.publishing",
    "families.changes",
    "families.gdpr",
    "families.importing",
]

# Public functions of those modules that write nothing (reviewed): adding a writer without a
# marker, or a read without listing it here, fails the test below.
READS = {
    "accounts": {"find_token", "family_action_line"},
    "activities": {"opening_days"},
    "billing": {"format_number", "run_families", "preview_run"},
    "bookings": {"deadline_for", "is_past_deadline", "settings_for", "live_bookings"},
    "documents": {"add_months", "default_expiry", "content_type_for"},
    "payments": {"enabled_config", "provider_for"},
    "registrations": {"registration_window_state"},
    "accounts.consent": {"consent_state", "family_has_health_consent", "personal_consent_version"},
    "accounts.two_factor": {
        *("has_confirmed_device", "secret_for_display", "matching_device", "mark_verified", "is_locked_out"),
    },
    "billing.sepa": {"clean_iban", "clean_bic", "collectable", "check_creditor", "build_pain008"},
    "billing.sepa_collections": {"earliest_collection_date", "read_status_report"},
    "billing.corrections": {"unallocated"},
    "communication.mailing": {"resolve_audience", "validate_override"},
    "families.gdpr": {"inactive_families", "has_accounting_records", "anonymised_name"},
    "families.importing": {"decode", "parse"},
}


def _services():
    for path in sorted(ROOT.glob("*/services.py")):
        yield path.parent.name, importlib.import_module(f"ribambelle.{path.parent.name}.services")
    for name in OTHER_WRITERS:
        yield name, importlib.import_module(f"ribambelle.{name}")


def test_every_public_service_function_is_a_marked_writer_or_a_declared_read():
    unmarked = []
    for app, module in _services():
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or func.__module__ != module.__name__:
                continue
            if not hasattr(func, "writer_kind") and name not in READS.get(app, set()):
                unmarked.append(f"{module.__name__}.{name}")
    assert unmarked == [], "mark these @action / @action_helper / @one_statement / @step_by_step, or list them in READS"


def test_declared_reads_exist():
    found = {app: {n for n in READS.get(app, ()) if hasattr(module, n)} for app, module in _services()}
    assert {a: n for a, n in found.items() if n} == READS


@action
def _create_opening(**fields):
    return Opening.objects.create(**fields)


@action
def _nested(**fields):
    return _create_opening(**fields)


@action
def _nested_inner(**fields):
    return _create_opening.inner(**fields)


@action_helper
def _helper():
    return True


@step_by_step
def _job():
    return True


def _opening_fields(tenant):
    from .factories import OpeningFactory

    opening = OpeningFactory(organisation=tenant.organisation)
    return {
        "organisation": tenant.organisation,
        "activity": opening.activity,
        "unit": opening.unit,
        "group": opening.group,
        "date": opening.date.replace(day=1) if opening.date.day != 1 else opening.date.replace(day=2),
        "capacity": 3,
    }


def test_an_action_refuses_to_run_inside_another_transaction(tenant_a):
    fields = _opening_fields(tenant_a)
    with pytest.raises(RuntimeError, match="durable"):
        _nested(**fields)
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        _create_opening(**fields)
    assert not Opening.objects.filter(capacity=3).exists()
    # Its `inner` joins the caller's transaction; in a batch, actions nest as savepoints.
    assert _nested_inner(**fields).pk
    with batch():
        fields["date"] = fields["date"].replace(month=fields["date"].month % 12 + 1)
        assert _create_opening(**fields).pk
    assert Opening.objects.filter(capacity=3).count() == 2


def test_a_helper_needs_a_transaction_and_a_step_by_step_job_refuses_one(db):
    with pytest.raises(RuntimeError, match="inside one"):
        _helper()
    with pytest.raises(RuntimeError, match="inside one"):
        _create_opening.inner()
    with transaction.atomic():
        assert _helper()
        with pytest.raises(RuntimeError, match="outside a transaction"):
            _job()
    assert _job()
    with batch():
        assert _job()  # a batch asks for all or nothing on purpose
