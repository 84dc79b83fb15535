"""Writes on the family file.

Every change made by a family goes through `_submit`: the fields the organisation
moderates become a PENDING ChangeRequest (old -> new) that staff accept or refuse;
the rest applies at once and is recorded as an APPLIED ChangeRequest, so the file's
history shows every change, who made it and when. Staff changes apply at once.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ribambelle.accounts.services import log_family_action
from ribambelle.core.actions import action, one_statement
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit
from ribambelle.core.versioning import merge_edit
from ribambelle.outbox.services import queue_email

from . import moderation
from .changes import (  # noqa: F401 - re-exported: services is the app's write API
    ChangeOutcome,
    _assign,
    _changes_dict,
    _check_family,
    _from_raw,
    _is_staff,
    _moderated,
    _new_request,
    _submit,
    _validate,
    family_settings,
    refresh_search_text,
)
from .gdpr import erase_family, has_accounting_records, inactive_families  # noqa: F401
from .models import (
    AuthorisedPerson,
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    Diet,
    Family,
    FamilySettings,
    HealthRecord,
    Person,
    PersonRole,
    Vaccination,
)
from .recipients import family_recipients

FAMILY_EDITABLE = [f for _k, (_l, fields) in moderation.FAMILY_FIELD_GROUPS.items() for f in fields]
FAMILY_STAFF_ONLY = [
    "family_quotient",
    "family_quotient_date",
    "family_quotient_source",
    "allocataire_number",
    "external_ref",
]
ADULT_FIELDS = ["first_name", "last_name", "birth_date", "sex", "relationship", "phone", "work_phone", "email"]
ADULT_FIELDS += ["occupation", "employer"]
CHILD_FIELDS = ["first_name", "last_name", "birth_date", "sex", "school", "school_level", "diets", "diet_notes"]
CHILD_FIELDS += ["care_recommendations", "image_rights", "may_leave_alone", "transport_allowed"]
AUTHORISED_FIELDS = ["first_name", "last_name", "relationship", "phone", "phone_2", "may_pick_up", "emergency_contact"]
HEALTH_FIELDS = ["allergies", "has_pai", "pai_details", "doctor_name", "doctor_phone", "medical_notes", "swimming"]


# --- Settings -------------------------------------------------------------------------------
@action
def update_moderated_keys(*, organisation, keys: list[str], acting_user) -> FamilySettings:
    valid = {key for key, _label in moderation.all_keys()}
    unknown = set(keys) - valid
    if unknown:
        raise DomainError(_("Choisissez les données à modérer dans la liste."))
    settings = family_settings(organisation)
    old = sorted(settings.moderated)
    settings.moderated = sorted(keys)
    with transaction.atomic():
        settings.save(update_fields=["moderated", "updated_at"])
        record_audit(
            organisation=organisation,
            actor=acting_user,
            action="update",
            obj=settings,
            changes={"moderated": {"old": old, "new": settings.moderated}},
        )
    return settings


@action
def set_diets(*, organisation, names: list[str], acting_user) -> list[Diet]:
    """The organisation's diet list: new names are added, missing ones stop being offered
    (kept on the children who have them, so no family loses information)."""
    wanted = []
    for name in names:
        name = " ".join(name.split())[:80]
        if name and name.lower() not in {w.lower() for w in wanted}:
            wanted.append(name)
    with transaction.atomic():
        existing = {d.name.lower(): d for d in Diet.objects.select_for_update().filter(organisation=organisation)}
        for name in wanted:
            diet = existing.get(name.lower())
            if diet is None:
                Diet.objects.create(organisation=organisation, name=name)
            elif not diet.is_active or diet.name != name:
                diet.is_active, diet.name = True, name
                diet.save(update_fields=["is_active", "name", "updated_at"])
        keep = {n.lower() for n in wanted}
        for key, diet in existing.items():
            if key not in keep and diet.is_active:
                diet.is_active = False
                diet.save(update_fields=["is_active", "updated_at"])
        record_audit(
            organisation=organisation,
            actor=acting_user,
            action="update",
            obj=family_settings(organisation),
            changes={"diets": {"old": sorted(d.name for d in existing.values() if d.is_active), "new": wanted}},
        )
    return list(Diet.objects.filter(organisation=organisation, is_active=True))


# --- Family ---------------------------------------------------------------------------------
@action
def update_family(
    *, family: Family, values: dict, acting_user, request=None, read: dict | None = None
) -> ChangeOutcome:
    """Change the family's name, address, contact details or e-mail preferences.

    Families cannot touch the quotient, the allocataire number or the import reference."""
    allowed = FAMILY_EDITABLE + (FAMILY_STAFF_ONLY if _is_staff(acting_user) else [])
    values = {k: v for k, v in values.items() if k in allowed}
    groups = dict(moderation.FAMILY_FIELD_GROUPS)
    groups["staff.quotient"] = (_("Quotient familial"), FAMILY_STAFF_ONLY)
    with transaction.atomic():
        family = Family.objects.select_for_update().get(pk=family.pk)
        values = merge_edit(family, values, read)  # `read`: the values the editor's form was read at
        return _submit(
            obj=family,
            family=family,
            kind=ChangeKind.FAMILY_UPDATE,
            groups=groups,
            values=values,
            subject=f"Famille {family.name}",
            acting_user=acting_user,
            request=request,
        )


@action
def create_family(*, organisation, values: dict, adult: dict, acting_user) -> Family:
    """Staff create a family file with its first responsible adult."""
    family = Family(organisation=organisation, **{k: v for k, v in values.items() if k in FAMILY_EDITABLE})
    family.full_clean()
    person = Person(organisation=organisation, family=family, role=PersonRole.ADULT, **adult)
    person.full_clean(exclude=["family"])
    with transaction.atomic():
        family.save()
        person.family = family
        person.save()
        _new_request(
            family=family,
            kind=ChangeKind.PERSON_ADD,
            subject=f"Création du dossier {family.name}",
            key="",
            changes=_changes_dict(Family, {"name": family.name}, {}),
            status=ChangeStatus.APPLIED,
            acting_user=acting_user,
            person=person,
        )
        record_audit(organisation=organisation, actor=acting_user, action="create", obj=family)
        log_family_action(family=family, user=acting_user, action="family_created")
    return family


# --- Persons --------------------------------------------------------------------------------
@action
def update_person(
    *, person: Person, values: dict, acting_user, request=None, read: dict | None = None
) -> ChangeOutcome:
    allowed = CHILD_FIELDS if person.is_child else ADULT_FIELDS
    values = {k: v for k, v in values.items() if k in allowed}
    with transaction.atomic():
        family = Family.objects.select_for_update().get(pk=person.family_id)
        person = Person.objects.get(pk=person.pk)
        values = merge_edit(person, values, read)
        return _submit(
            obj=person,
            family=family,
            kind=ChangeKind.PERSON_UPDATE,
            groups=moderation.PERSON_FIELD_GROUPS,
            values=values,
            subject=str(person),
            acting_user=acting_user,
            request=request,
            person=person,
        )


@action
def add_person(*, family: Family, role: str, values: dict, acting_user, request=None) -> ChangeOutcome:
    """Add a child (or, for staff, an adult). A family's new child waits for staff when the
    organisation moderates "child.add"; nothing is created until it is accepted."""
    if role not in PersonRole.values:
        raise DomainError(_("Choisissez « responsable légal » ou « enfant »."))
    if role == PersonRole.ADULT and not _is_staff(acting_user):
        raise DomainError(_("Pour ajouter un responsable légal, contactez le service."))
    allowed = CHILD_FIELDS if role == PersonRole.CHILD else ADULT_FIELDS
    values = {k: v for k, v in values.items() if k in allowed}
    if role == PersonRole.CHILD and not values.get("birth_date"):
        raise DomainError(_("Indiquez la date de naissance de l'enfant."), field="birth_date")
    if values.get("birth_date") and values["birth_date"] > timezone.localdate():
        raise DomainError(_("La date de naissance ne peut pas être dans le futur."), field="birth_date")
    person = Person(organisation_id=family.organisation_id, family=family, role=role)
    _validate(person, values)
    subject = f"{values.get('first_name', '')} {values.get('last_name', '')}".strip()
    outcome = ChangeOutcome()
    with transaction.atomic():
        family = Family.objects.select_for_update().get(pk=family.pk)
        changes = _changes_dict(Person, {k: v for k, v in values.items() if v not in ("", None, [], False)}, {})
        if role == PersonRole.CHILD and not _is_staff(acting_user) and "child.add" in _moderated(family.organisation):
            changes = _changes_dict(Person, values, {})
            _new_request(
                family=family,
                kind=ChangeKind.CHILD_ADD,
                subject=subject,
                key="child.add",
                changes=changes,
                status=ChangeStatus.PENDING,
                acting_user=acting_user,
            )
            log_family_action(
                family=family,
                user=acting_user,
                request=request,
                action="child_add_requested",
                data={"person": subject},
            )
            outcome.pending = [subject]
            return outcome
        _assign(person, values)
        _new_request(
            family=family,
            kind=ChangeKind.CHILD_ADD if role == PersonRole.CHILD else ChangeKind.PERSON_ADD,
            subject=subject,
            key="",
            changes=changes,
            status=ChangeStatus.APPLIED,
            acting_user=acting_user,
            person=person,
        )
        log_family_action(
            family=family,
            user=acting_user,
            request=request,
            action="child_added" if role == PersonRole.CHILD else "adult_added",
            data={"person": subject},
        )
        if _is_staff(acting_user):
            record_audit(organisation=family.organisation, actor=acting_user, action="create", obj=person)
        outcome.applied, outcome.obj = [subject], person
    return outcome


@action
def remove_person(*, person: Person, acting_user) -> None:
    """Staff only: a member leaves the family file (their history stays, without the link)."""
    if not _is_staff(acting_user):
        raise DomainError(_("Pour retirer un membre de la famille, contactez le service."))
    family = person.family
    with transaction.atomic():
        _new_request(
            family=family,
            kind=ChangeKind.PERSON_UPDATE,
            subject=f"{person} retiré du dossier",
            key="",
            changes={},
            status=ChangeStatus.APPLIED,
            acting_user=acting_user,
        )
        record_audit(organisation=family.organisation, actor=acting_user, action="delete", obj=person)
        log_family_action(family=family, user=acting_user, action="person_removed", data={"person": str(person)})
        person.delete()


# --- Authorised persons ---------------------------------------------------------------------
AUTHORISED_GROUPS = {
    "authorised.update": (gettext_lazy("Personne autorisée"), AUTHORISED_FIELDS),
}


@action
def save_authorised_person(
    *, child: Person, values: dict, acting_user, authorised: AuthorisedPerson | None = None, request=None
) -> ChangeOutcome:
    if not child.is_child:
        raise DomainError(_("Les personnes autorisées se rattachent à un enfant."))
    _check_family(child.family, authorised)
    if authorised is not None and authorised.child_id != child.pk:
        raise DomainError(_("Cette personne n'est pas rattachée à cet enfant."))
    values = {k: v for k, v in values.items() if k in AUTHORISED_FIELDS}
    family = child.family
    if authorised is not None:
        with transaction.atomic():
            Family.objects.select_for_update().get(pk=family.pk)
            return _submit(
                obj=authorised,
                family=family,
                kind=ChangeKind.AUTHORISED_UPDATE,
                groups=AUTHORISED_GROUPS,
                values=values,
                subject=f"{authorised} (pour {child.first_name})",
                acting_user=acting_user,
                request=request,
                person=child,
                authorised=authorised,
            )
    new = AuthorisedPerson(organisation_id=family.organisation_id, family=family, child=child)
    _validate(new, values)
    subject = f"{values.get('first_name', '')} {values.get('last_name', '')} (pour {child.first_name})"
    changes = _changes_dict(AuthorisedPerson, values, {})
    outcome = ChangeOutcome()
    with transaction.atomic():
        Family.objects.select_for_update().get(pk=family.pk)
        if not _is_staff(acting_user) and "authorised.add" in _moderated(family.organisation):
            _new_request(
                family=family,
                kind=ChangeKind.AUTHORISED_ADD,
                subject=subject,
                key="authorised.add",
                changes=changes,
                status=ChangeStatus.PENDING,
                acting_user=acting_user,
                person=child,
            )
            log_family_action(
                family=family,
                user=acting_user,
                request=request,
                action="authorised_add_requested",
                data={"person": subject},
            )
            outcome.pending = [subject]
            return outcome
        _assign(new, values)
        _new_request(
            family=family,
            kind=ChangeKind.AUTHORISED_ADD,
            subject=subject,
            key="",
            changes=changes,
            status=ChangeStatus.APPLIED,
            acting_user=acting_user,
            person=child,
            authorised=new,
        )
        log_family_action(
            family=family,
            user=acting_user,
            request=request,
            action="authorised_added",
            data={"person": subject},
        )
        outcome.applied, outcome.obj = [subject], new
    return outcome


@action
def remove_authorised_person(*, authorised: AuthorisedPerson, acting_user, request=None) -> ChangeOutcome:
    family = authorised.family
    subject = f"{authorised} (pour {authorised.child.first_name})"
    outcome = ChangeOutcome()
    with transaction.atomic():
        Family.objects.select_for_update().get(pk=family.pk)
        if not _is_staff(acting_user) and "authorised.remove" in _moderated(family.organisation):
            already = ChangeRequest.objects.filter(
                organisation_id=family.organisation_id,
                authorised_person=authorised,
                kind=ChangeKind.AUTHORISED_REMOVE,
                status=ChangeStatus.PENDING,
            ).exists()
            if not already:
                _new_request(
                    family=family,
                    kind=ChangeKind.AUTHORISED_REMOVE,
                    subject=subject,
                    key="authorised.remove",
                    changes={},
                    status=ChangeStatus.PENDING,
                    acting_user=acting_user,
                    person=authorised.child,
                    authorised=authorised,
                )
                log_family_action(
                    family=family,
                    user=acting_user,
                    request=request,
                    action="authorised_remove_requested",
                    data={"person": subject},
                )
            outcome.pending = [subject]
            return outcome
        _new_request(
            family=family,
            kind=ChangeKind.AUTHORISED_REMOVE,
            subject=subject,
            key="",
            changes={},
            status=ChangeStatus.APPLIED,
            acting_user=acting_user,
            person=authorised.child,
        )
        log_family_action(
            family=family,
            user=acting_user,
            request=request,
            action="authorised_removed",
            data={"person": subject},
        )
        authorised.delete()
        outcome.applied = [subject]
    return outcome


# --- Health ------------------------------------------------------------------------------------
def _require_health_consent(family: Family) -> None:
    from ribambelle.accounts.consent import family_has_health_consent

    if not family_has_health_consent(family):
        raise DomainError(
            _("La famille n'a pas donné son accord pour les données de santé : elles ne peuvent pas être enregistrées.")
        )


@action
def save_health_record(
    *, child: Person, values: dict, acting_user, request=None, read: dict | None = None
) -> HealthRecord:
    """Health data is collected only with the family's health consent. Its values are never
    copied into the history: only the fact that it changed, and by whom."""
    if not child.is_child:
        raise DomainError(_("Les informations sanitaires concernent les enfants."))
    family = child.family
    _require_health_consent(family)
    values = {k: v for k, v in values.items() if k in HEALTH_FIELDS}
    record = (
        HealthRecord.objects.select_for_update().filter(organisation_id=family.organisation_id, child=child).first()
    )
    record = record or HealthRecord(organisation_id=family.organisation_id, family=family, child=child)
    values = merge_edit(record, values, read)
    if "has_pai" in values and not values["has_pai"]:
        values["pai_details"] = ""
    for name, value in values.items():
        setattr(record, name, value)
    record.full_clean(exclude=["organisation", "family", "child"])
    with transaction.atomic():
        record.save()
        log_family_action(
            family=family,
            user=acting_user,
            request=request,
            action="health_updated",
            data={"child": child.first_name},
        )
        if _is_staff(acting_user):
            record_audit(
                organisation=family.organisation,
                actor=acting_user,
                action="health_update",
                obj=child,
                changes={"fields": sorted(values)},
            )
    return record


@action
def add_vaccination(*, child: Person, vaccine: str, when: date, acting_user, request=None) -> Vaccination:
    family = child.family
    _require_health_consent(family)
    if when > timezone.localdate():
        raise DomainError(_("La date de vaccination ne peut pas être dans le futur."), field="date")
    vaccination = Vaccination(
        organisation_id=family.organisation_id, family=family, child=child, vaccine=vaccine.strip(), date=when
    )
    vaccination.full_clean()
    with transaction.atomic():
        vaccination.save()
        log_family_action(
            family=family,
            user=acting_user,
            request=request,
            action="vaccination_added",
            data={"child": child.first_name},
        )
    return vaccination


@action
def delete_vaccination(*, vaccination: Vaccination, acting_user, request=None) -> None:
    with transaction.atomic():
        log_family_action(
            family=vaccination.family,
            user=acting_user,
            request=request,
            action="vaccination_removed",
            data={"child": vaccination.child.first_name},
        )
        vaccination.delete()


@one_statement
def record_health_access(*, child: Person, acting_user) -> None:
    """Every opening of a child's health data by staff is logged (SPEC: personal data)."""
    record_audit(
        organisation=child.family.organisation,
        actor=acting_user,
        action="health_view",
        obj=child,
        changes={"family_id": child.family_id},
    )


@action
def erase_health_data(*, family: Family) -> int:
    """Withdrawal of the health consent: the children's health forms and vaccinations go."""
    with transaction.atomic():
        count, _detail = HealthRecord.objects.filter(organisation_id=family.organisation_id, family=family).delete()
        Vaccination.objects.filter(organisation_id=family.organisation_id, family=family).delete()
        log_family_action(
            family=family,
            action="health_erased",
        )
    return count


# --- Moderation -------------------------------------------------------------------------------
def _lock_pending(change_request: ChangeRequest) -> ChangeRequest:
    locked = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("family", "person", "authorised_person")
        .get(pk=change_request.pk, organisation_id=change_request.organisation_id)
    )
    if locked.status != ChangeStatus.PENDING:
        raise DomainError(_("Cette demande a déjà été traitée."))
    return locked


def _values(cr: ChangeRequest, obj_class) -> dict:
    return {name: _from_raw(obj_class, name, c.get("value"), cr.family.organisation) for name, c in cr.changes.items()}


def _apply(cr: ChangeRequest) -> None:
    family = cr.family
    try:
        if cr.kind == ChangeKind.FAMILY_UPDATE:
            values = _values(cr, Family)
            _validate(family, values)
            _assign(family, values)
        elif cr.kind == ChangeKind.PERSON_UPDATE:
            if cr.person is None:
                raise DomainError(_("Ce membre n'existe plus dans le dossier."))
            values = _values(cr, Person)
            _validate(cr.person, values)
            _assign(cr.person, values)
        elif cr.kind == ChangeKind.CHILD_ADD:
            person = Person(organisation_id=family.organisation_id, family=family, role=PersonRole.CHILD)
            values = _values(cr, Person)
            _validate(person, values)
            _assign(person, values)
            cr.person = person
        elif cr.kind == ChangeKind.AUTHORISED_ADD:
            if cr.person is None:
                raise DomainError(_("Cet enfant n'existe plus dans le dossier."))
            new = AuthorisedPerson(organisation_id=family.organisation_id, family=family, child=cr.person)
            values = _values(cr, AuthorisedPerson)
            _validate(new, values)
            _assign(new, values)
            cr.authorised_person = new
        elif cr.kind == ChangeKind.AUTHORISED_UPDATE:
            if cr.authorised_person is None:
                raise DomainError(_("Cette personne autorisée n'existe plus."))
            values = _values(cr, AuthorisedPerson)
            _assign(cr.authorised_person, values)
        elif cr.kind == ChangeKind.AUTHORISED_REMOVE:
            if cr.authorised_person is not None:
                cr.authorised_person.delete()
                cr.authorised_person = None
    except ValidationError as error:
        raise DomainError(
            _("Cette modification n'est plus valable : %(errors)s") % {"errors": " ".join(error.messages)}
        ) from error


def _notify(cr: ChangeRequest, template: str) -> None:
    from django.conf import settings

    family = cr.family
    path = reverse("portail:family", kwargs={"org_slug": family.organisation.slug})
    for recipient in family_recipients(family):
        queue_email(
            organisation=family.organisation,
            to=recipient.email,
            template=template,
            user=recipient.user,
            family=family,
            context={"change": cr, "family": family, "url": f"{settings.SITE_URL}{path}"},
        )


@action
def accept_change(*, change_request: ChangeRequest, acting_user) -> ChangeRequest:
    """Apply a pending change as it was asked, and tell the family by e-mail."""
    with transaction.atomic():
        Family.objects.select_for_update().get(pk=change_request.family_id)
        cr = _lock_pending(change_request)
        _apply(cr)
        cr.status = ChangeStatus.ACCEPTED
        cr.decided_by, cr.decided_at = acting_user, timezone.now()
        cr.save()
        record_audit(
            organisation=cr.family.organisation,
            actor=acting_user,
            action="change_accepted",
            obj=cr,
            changes={k: {"old": v.get("old"), "new": v.get("new")} for k, v in cr.changes.items()},
        )
        log_family_action(
            family=cr.family,
            user=acting_user,
            action="change_accepted",
            data={"subject": cr.subject},
        )
        _notify(cr, "change_accepted")
    return cr


@action
def refuse_change(*, change_request: ChangeRequest, reason: str, acting_user) -> ChangeRequest:
    """Refuse a pending change; the family is told why by e-mail. Nothing in the file changes."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Indiquez le motif du refus : il est envoyé à la famille."), field="reason")
    with transaction.atomic():
        cr = _lock_pending(change_request)
        cr.status = ChangeStatus.REFUSED
        cr.reason = reason[:2000]
        cr.decided_by, cr.decided_at = acting_user, timezone.now()
        cr.save()
        record_audit(
            organisation=cr.family.organisation,
            actor=acting_user,
            action="change_refused",
            obj=cr,
            changes={"reason": reason},
        )
        log_family_action(
            family=cr.family,
            user=acting_user,
            action="change_refused",
            data={"subject": cr.subject, "reason": reason},
        )
        _notify(cr, "change_refused")
    return cr
