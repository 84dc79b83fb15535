"""GDPR rights on the family file: erasure on request or after the retention period."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ribambelle.core.actions import action
from ribambelle.core.models import AuditEntry
from ribambelle.core.services import record_audit

from .models import Family


@action
def erase_family(*, family: Family, acting_user=None, reason: str = "") -> None:
    """Right to erasure: the family file, its members, logins, health data and history go.
    The audit trail keeps only that family n°X was erased, by whom and why."""
    organisation = family.organisation
    family_id = family.pk
    with transaction.atomic():
        Family.objects.select_for_update().get(pk=family_id)
        record_audit(
            organisation=organisation,
            actor=acting_user,
            action="erase",
            obj=family,
            changes={"reason": reason or "effacement RGPD"},
        )
        # The entry's label must not keep the name either.
        AuditEntry.objects.filter(
            organisation=organisation, object_type="families.family", object_id=str(family_id), action="erase"
        ).update(object_repr=f"Famille n°{family_id} (effacée)")
        family.delete()


def inactive_families(organisation, *, now=None):
    """Families with no change, no login and no action for longer than the organisation's
    retention period (Organisation.gdpr_retention_years)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=365 * organisation.gdpr_retention_years + organisation.gdpr_retention_years // 4)
    return (
        Family.objects.filter(organisation=organisation, updated_at__lt=cutoff)
        .exclude(activity_log__created_at__gte=cutoff)
        .exclude(accounts__last_login__gte=cutoff)
        .exclude(change_requests__created_at__gte=cutoff)
        .distinct()
    )
