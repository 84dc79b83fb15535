"""The change-tracking core of the family file: every change is diffed, split into what
applies at once and what waits for staff, and recorded as a ChangeRequest (old -> new).
The services in services.py build on it."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts.history import change_list
from ribambelle.accounts.services import log_family_action
from ribambelle.core.actions import one_statement
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit

from . import moderation
from .models import ChangeRequest, ChangeStatus, Diet, Family, FamilySettings, Person, PersonDiet
from .search import build_search_text


@dataclass
class ChangeOutcome:
    applied: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    obj: object | None = None

    @property
    def changed(self) -> bool:
        return bool(self.applied or self.pending)


@one_statement
def family_settings(organisation) -> FamilySettings:
    settings, _created = FamilySettings.objects.get_or_create(organisation=organisation)
    return settings


# --- Helpers --------------------------------------------------------------------------------
def _is_staff(user) -> bool:
    return user is not None and user.is_authenticated and not user.is_family


def _display(obj_class, name: str, value) -> str:
    if name == "diets":
        return ", ".join(d.name for d in value) if value else "—"
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",").removesuffix(",00")
    model_field = obj_class._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def _raw(name: str, value):
    if name == "diets":
        return sorted(d.pk for d in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _from_raw(obj_class, name: str, raw, organisation):
    if name == "diets":
        return list(Diet.objects.filter(organisation=organisation, pk__in=raw or []))
    model_field = obj_class._meta.get_field(name)
    if raw is not None and model_field.get_internal_type() == "DateField":
        return date.fromisoformat(raw)
    if raw is not None and model_field.get_internal_type() == "DecimalField":
        return Decimal(raw)
    return raw


def _current(obj, name: str):
    if name == "diets":
        if obj.pk is None:
            return []
        return sorted(obj.diets.all(), key=lambda d: d.pk)
    return getattr(obj, name)


def _same(name: str, old, new) -> bool:
    if name == "diets":
        return sorted(d.pk for d in old) == sorted(d.pk for d in new)
    return (old or "") == (new or "") if isinstance(old, str) or isinstance(new, str) else old == new


def _label(obj_class, name: str) -> str:
    return str(obj_class._meta.get_field(name).verbose_name).capitalize()


def _changes_dict(obj_class, diff: dict, current: dict) -> dict:
    return {
        name: {
            "label": _label(obj_class, name),
            "old": _display(obj_class, name, current.get(name)),
            "new": _display(obj_class, name, value),
            "value": _raw(name, value),
        }
        for name, value in diff.items()
    }


def _validate(obj, values: dict, *, exclude=()) -> None:
    """Apply values to a throw-away copy and validate, so nothing is half-written."""
    import copy

    probe = copy.copy(obj)
    for name, value in values.items():
        if name != "diets":
            setattr(probe, name, value)
    probe.full_clean(exclude=["organisation", "family", "child", *exclude], validate_unique=False)


def _set_diets(person: Person, diets) -> None:
    for diet in diets:
        if diet.organisation_id != person.organisation_id:
            raise DomainError(_("Ce régime n'existe pas dans votre collectivité."))
    PersonDiet.objects.filter(organisation_id=person.organisation_id, person=person).delete()
    PersonDiet.objects.bulk_create(
        PersonDiet(organisation_id=person.organisation_id, person=person, diet=diet) for diet in diets
    )


def _assign(obj, values: dict) -> None:
    diets = values.get("diets")
    for name, value in values.items():
        if name != "diets":
            setattr(obj, name, value)
    obj.save()
    if diets is not None:
        _set_diets(obj, diets)


@one_statement
def refresh_search_text(family: Family) -> None:
    members = Person.objects.filter(organisation_id=family.organisation_id, family=family).only(
        "first_name", "last_name", "email", "phone", "work_phone"
    )
    text = build_search_text(family, members)
    Family.objects.filter(pk=family.pk).update(search_text=text)
    family.search_text = text


def _moderated(organisation) -> set[str]:
    return set(family_settings(organisation).moderated)


def _new_request(*, family, kind, subject, key, changes, status, acting_user, person=None, authorised=None):
    return ChangeRequest.objects.create(
        organisation_id=family.organisation_id,
        family=family,
        kind=kind,
        person=person,
        authorised_person=authorised,
        subject=subject[:200],
        moderation_key=key,
        changes=changes,
        status=status,
        by_staff=_is_staff(acting_user),
        requested_by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
        decided_by=acting_user if status == ChangeStatus.APPLIED and _is_staff(acting_user) else None,
        decided_at=timezone.now() if status == ChangeStatus.APPLIED else None,
    )


def _submit(*, obj, family, kind, groups, values, subject, acting_user, request=None, person=None, authorised=None):
    """Split a form's values into changes applied now and changes waiting for staff."""
    obj_class = type(obj)
    current = {name: _current(obj, name) for name in values}
    diff = {name: value for name, value in values.items() if not _same(name, current[name], value)}
    outcome = ChangeOutcome(obj=obj)
    moderated = set() if _is_staff(acting_user) else _moderated(family.organisation)
    pending_open = ChangeRequest.objects.select_for_update().filter(
        organisation_id=family.organisation_id,
        family=family,
        kind=kind,
        status=ChangeStatus.PENDING,
        person=person,
        authorised_person=authorised,
    )
    now_diff, later = {}, {}
    for name, value in diff.items():
        key = moderation.key_for_field(groups, name)
        (later.setdefault(key, {}) if key in moderated else now_diff)[name] = value
    _validate(obj, diff)
    with transaction.atomic():
        open_by_key = {cr.moderation_key: cr for cr in pending_open}
        # A moderated group submitted again unchanged keeps its request; submitted back to the
        # current value, the family has withdrawn it.
        for key, cr in open_by_key.items():
            if key in moderated and key not in later:
                group_fields = groups[key][1]
                if any(name in values for name in group_fields):
                    cr.delete()
                    log_family_action(
                        family=family,
                        user=acting_user,
                        request=request,
                        action="change_withdrawn",
                        data={"subject": cr.subject},
                    )
        if now_diff:
            changes = _changes_dict(obj_class, now_diff, current)
            _assign(obj, now_diff)
            _new_request(
                family=family,
                kind=kind,
                subject=subject,
                key="",
                changes=changes,
                status=ChangeStatus.APPLIED,
                acting_user=acting_user,
                person=person,
                authorised=authorised,
            )
            outcome.applied = [c["label"] for c in changes.values()]
            log_family_action(
                family=family,
                user=acting_user,
                request=request,
                action="family_change",
                data={"subject": subject, "changes": change_list(obj_class, changes)},
            )
            if _is_staff(acting_user):
                record_audit(
                    organisation=family.organisation,
                    actor=acting_user,
                    action="update",
                    obj=obj,
                    changes={k: {"old": v["old"], "new": v["new"]} for k, v in changes.items()},
                )
        for key, group_values in later.items():
            changes = _changes_dict(obj_class, group_values, current)
            label = str(groups[key][0])
            existing = open_by_key.get(key)
            if existing is not None:
                if existing.changes != changes:
                    existing.changes = changes
                    existing.save(update_fields=["changes", "updated_at"])
                    log_family_action(
                        family=family,
                        user=acting_user,
                        request=request,
                        action="change_request_updated",
                        data={"subject": subject, "changes": change_list(obj_class, changes)},
                    )
            else:
                _new_request(
                    family=family,
                    kind=kind,
                    subject=f"{subject} – {label}",
                    key=key,
                    changes=changes,
                    status=ChangeStatus.PENDING,
                    acting_user=acting_user,
                    person=person,
                    authorised=authorised,
                )
                log_family_action(
                    family=family,
                    user=acting_user,
                    request=request,
                    action="change_requested",
                    data={"subject": subject, "changes": change_list(obj_class, changes)},
                )
            outcome.pending += [c["label"] for c in changes.values()]
    return outcome


def _check_family(family, *objects) -> None:
    for obj in objects:
        if obj is not None and (obj.organisation_id != family.organisation_id or obj.family_id != family.pk):
            raise DomainError(_("Cet élément n'appartient pas à cette famille."))
