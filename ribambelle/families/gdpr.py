"""GDPR rights on the family file: erasure on request or after the retention period."""

import logging
from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone

from ribambelle.core.actions import action
from ribambelle.core.models import AuditEntry
from ribambelle.core.services import record_audit

from .models import Family

logger = logging.getLogger(__name__)


def has_accounting_records(family: Family) -> bool:
    """Invoices, credit notes and payments are accounting records: the law has them kept (ten
    years for a public accountant), so such a family is anonymised rather than deleted."""
    from ribambelle.billing.models import Invoice, Payment

    return (
        Invoice.objects.filter(organisation_id=family.organisation_id, family=family).exists()
        or Payment.objects.filter(organisation_id=family.organisation_id, family=family).exists()
    )


def anonymised_name(family_id: int) -> str:
    return f"Famille anonymisée n°{family_id}"


@action
def erase_family(*, family: Family, acting_user=None, reason: str = "") -> bool:
    """Right to erasure: the family file, its members, logins, health data, documents, messages
    and history go, and their files are deleted from storage once the erasure has committed.
    A family with invoices or payments keeps only those, with no personal data (see _anonymise).
    The audit trail keeps only that family n°X was erased, by whom and why.

    Returns True when the family was anonymised (accounting records kept), False when deleted."""
    organisation = family.organisation
    family_id = family.pk
    with transaction.atomic():
        Family.objects.select_for_update().get(pk=family_id)
        files = _stored_files(family)
        audited_rows = _personal_rows(family)
        anonymise = has_accounting_records(family)
        record_audit(
            organisation=organisation,
            actor=acting_user,
            action="erase",
            obj=family,
            changes={"reason": reason or "effacement RGPD", **({"anonymised": True} if anonymise else {})},
        )
        # The entry's label must not keep the name either.
        AuditEntry.objects.filter(
            organisation=organisation, object_type="families.family", object_id=str(family_id), action="erase"
        ).update(object_repr=f"Famille n°{family_id} (effacée)")
        if anonymise:
            _anonymise(family)
        else:
            family.delete()
        _scrub_audit(organisation, audited_rows)
        # Files are not part of the transaction: deleted only once the rows are surely gone.
        transaction.on_commit(lambda: _delete_files(files))
    return anonymise


def _stored_files(family: Family) -> list:
    """(storage, name) of every file held by a row erased with the family (document pages,
    message attachments…): found from the models, so a new kind of upload is covered too."""
    found = []
    for relation in _erased_with_family():
        model = relation.related_model
        file_fields = [f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        if not file_fields:
            continue
        for row in model._base_manager.filter(**{relation.field.name: family}).only("pk", *file_fields):
            found += [(getattr(row, name).storage, getattr(row, name).name) for name in file_fields]
    return [(storage, name) for storage, name in found if name]


def _erased_with_family():
    """The relations whose rows go when the family row goes; hidden ones too (related_name="+",
    as for messages and document pages), which Family._meta.related_objects leaves out."""
    return [
        field
        for field in Family._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete and getattr(field, "on_delete", None) is models.CASCADE
    ]


def _personal_rows(family: Family) -> dict[str, list[str]]:
    """The family's rows that go with it (its own and every row deleted with it), by audit object
    type: the audit entries about them name people and hold old and new values."""
    rows = {Family._meta.label_lower: [str(family.pk)]}
    for relation in _erased_with_family():
        model = relation.related_model
        ids = model._base_manager.filter(**{relation.field.name: family}).values_list("pk", flat=True)
        rows.setdefault(model._meta.label_lower, []).extend(str(pk) for pk in ids)
    return rows


def _scrub_audit(organisation, rows: dict[str, list[str]]) -> None:
    """Audit entries about those rows keep who did what and when, not the personal data."""
    for object_type, ids in rows.items():
        for start in range(0, len(ids), 500):
            AuditEntry.objects.filter(
                organisation=organisation, object_type=object_type, object_id__in=ids[start : start + 500]
            ).exclude(action="erase").update(object_repr="(données effacées)", changes={})


def _delete_files(files: list) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:  # the row is gone; a file left behind is logged for the administrator
            logger.exception("GDPR erasure: could not delete the stored file %s", name)


def _anonymise(family: Family) -> None:
    """Delete everything the family's deletion would delete, except the accounting records
    (which protect the family row); then strip the family row, its invoices and lines of
    personal data. Invoice PDFs are rendered from these rows, so they come out anonymised."""
    from ribambelle.billing.models import Invoice, InvoiceLine

    for relation in _erased_with_family():
        relation.related_model._base_manager.filter(**{relation.field.name: family}).delete()
    name = anonymised_name(family.pk)
    Family.objects.filter(pk=family.pk).update(
        name=name,
        address_line="",
        address_line_2="",
        postal_code="",
        city="",
        phone="",
        phone_2="",
        email="",
        email_notifications=False,
        email_invoices=False,
        family_quotient=None,
        family_quotient_date=None,
        family_quotient_source="",
        allocataire_number="",
        external_ref="",
        search_text=name.lower(),
        updated_at=timezone.now(),
    )
    Invoice.objects.filter(organisation_id=family.organisation_id, family=family).update(
        family_name=name, family_address=""
    )
    lines = InvoiceLine.objects.filter(organisation_id=family.organisation_id, family=family)
    # Children become "Enfant 1", "Enfant 2"…: an invoice still groups its lines per child.
    children = sorted(set(lines.values_list("child_name", flat=True)))
    for number, child_name in enumerate(children, start=1):
        lines.filter(child_name=child_name).update(child_name=f"Enfant {number}", child=None)


def inactive_families(organisation, *, now=None):
    """Families with no change, no login and no action for longer than the organisation's
    retention period (Organisation.gdpr_retention_years); families already anonymised are not
    listed again."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=365 * organisation.gdpr_retention_years + organisation.gdpr_retention_years // 4)
    erased = AuditEntry.objects.filter(organisation=organisation, object_type="families.family", action="erase")
    erased_ids = [int(pk) for pk in erased.values_list("object_id", flat=True) if pk.isdigit()]
    return (
        Family.objects.filter(organisation=organisation, updated_at__lt=cutoff)
        .exclude(pk__in=erased_ids)
        .exclude(activity_log__created_at__gte=cutoff)
        .exclude(accounts__last_login__gte=cutoff)
        .exclude(change_requests__created_at__gte=cutoff)
        .distinct()
    )
