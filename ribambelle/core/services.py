"""Small write helpers every app's services build on."""

from datetime import date, datetime, time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, transaction

from .actions import action_helper, one_statement
from .models import AuditEntry


def _jsonable(value):
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, date | datetime | time | Decimal):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return value


@one_statement
def record_audit(*, organisation, actor, action: str, obj: models.Model, changes: dict | None = None) -> AuditEntry:
    return AuditEntry.objects.create(
        organisation=organisation,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk or ""),
        object_repr=str(obj)[:200],
        changes=changes or {},
    )


@action_helper
def save_with_audit(instance: models.Model, *, fields: dict, acting_user, action: str | None = None):
    """Apply `fields` to `instance`, validate it as a whole, save, and log old -> new.

    Raises ValidationError (French messages from the model) and saves nothing
    when the result would be invalid.
    """
    creating = instance.pk is None
    changes = {}
    for name, value in fields.items():
        # A new row's relations are unset: reading them would raise, and there is no "old" anyway.
        old = None if creating else getattr(instance, name)
        if creating or old != value:
            changes[name] = {"old": _jsonable(old), "new": _jsonable(value)}
        setattr(instance, name, value)
    instance.full_clean()
    with transaction.atomic():
        instance.save()
        if changes:
            record_audit(
                organisation=instance.organisation if hasattr(instance, "organisation_id") else instance,
                actor=acting_user,
                action=action or ("create" if creating else "update"),
                obj=instance,
                changes=changes,
            )
    return instance


__all__ = ["ValidationError", "record_audit", "save_with_audit"]
