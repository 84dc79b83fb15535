"""Writes on the organisation, its structures, sectors and staff."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ribambelle.accounts.models import User
from ribambelle.core.actions import action
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit, save_with_audit

from .models import AccessibilityStatus, Membership, MembershipStructure, Organisation, Sector, Structure
from .roles import Role

GDPR_FIELDS = ("gdpr_text", "gdpr_controller", "gdpr_retention_years", "gdpr_contact_email")
RESERVED_SLUGS = {
    "static",
    "media",
    "healthz",
    "readyz",
    "dev",
    "admin",
    "api",
    "robots.txt",
    "gestion",
    "accessibilite",
    "langue",
}


@action
def update_organisation(*, organisation: Organisation, fields: dict, acting_user) -> Organisation:
    """Save settings; a change to the GDPR wording bumps its version so families are asked again."""
    if any(name in fields and fields[name] != getattr(organisation, name) for name in GDPR_FIELDS):
        organisation.gdpr_text_version += 1
    status = fields.get("accessibility_status", organisation.accessibility_status)
    audit = fields.get("accessibility_audit", organisation.accessibility_audit)
    if status != AccessibilityStatus.NONE and not (audit or "").strip():
        # RGAA: conformity may only be claimed on the strength of an audit, which the statement must cite.
        raise ValidationError(
            {"accessibility_audit": _("Décrivez l'audit RGAA (date, auditeur, taux) qui établit cette conformité.")}
        )
    return save_with_audit(organisation, fields=fields, acting_user=acting_user)


def _check_same_organisation(organisation: Organisation, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.organisation_id != organisation.id:
            raise DomainError(_("Cet élément n'appartient pas à votre organisation."))


@action
def save_structure(
    *, organisation: Organisation, structure: Structure | None = None, fields: dict, acting_user
) -> Structure:
    _check_same_organisation(organisation, fields.get("sector"))
    structure = structure or Structure(organisation=organisation)
    _check_same_organisation(organisation, structure)
    return save_with_audit(structure, fields=fields, acting_user=acting_user)


@action
def save_sector(*, organisation: Organisation, sector: Sector | None = None, name: str, acting_user) -> Sector:
    sector = sector or Sector(organisation=organisation)
    _check_same_organisation(organisation, sector)
    return save_with_audit(sector, fields={"name": name.strip()}, acting_user=acting_user)


def _set_structures(membership: Membership, structures) -> None:
    _check_same_organisation(membership.organisation, *structures)
    MembershipStructure.objects.filter(membership=membership).delete()
    MembershipStructure.objects.bulk_create(
        MembershipStructure(organisation=membership.organisation, membership=membership, structure=s)
        for s in structures
    )


@action
def invite_staff_member(
    *, organisation: Organisation, email: str, first_name: str, last_name: str, role: str, structures=(), acting_user
) -> Membership:
    """Create a staff login with its role and e-mail the activation link."""
    from ribambelle.accounts.services import send_invitation

    if role not in Role.values:
        raise DomainError(_("Choisissez un rôle dans la liste."))
    email = email.strip().lower()
    if User.objects.filter(organisation=organisation, email__iexact=email).exists():
        raise DomainError(
            _("Un compte existe déjà avec l'adresse %(email)s dans votre organisation.") % {"email": email},
            field="email",
        )
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, organisation=organisation, first_name=first_name.strip(), last_name=last_name.strip()
            )
            membership = Membership.objects.create(organisation=organisation, user=user, role=role)
            _set_structures(membership, list(structures))
            record_audit(
                organisation=organisation,
                actor=acting_user,
                action="invite",
                obj=membership,
                changes={"email": email, "role": role},
            )
            send_invitation.inner(user=user, acting_user=acting_user)
    except IntegrityError as exc:
        raise DomainError(
            _("Un compte existe déjà avec l'adresse %(email)s dans votre organisation.") % {"email": email},
            field="email",
        ) from exc
    return membership


@action
def update_membership(*, membership: Membership, role: str, structures, is_active: bool, acting_user) -> Membership:
    """Change a staff member's role, structures or access. Nobody can lock the last administrator out."""
    if role not in Role.values:
        raise DomainError(_("Choisissez un rôle dans la liste."))
    losing_admin = membership.role == Role.ADMINISTRATOR and (role != Role.ADMINISTRATOR or not is_active)
    if losing_admin:
        other_admins = Membership.objects.filter(
            organisation=membership.organisation, role=Role.ADMINISTRATOR, user__is_active=True
        ).exclude(pk=membership.pk)
        if not other_admins.exists():
            raise DomainError(_("Il faut au moins un administrateur actif : nommez-en un autre avant ce changement."))
    with transaction.atomic():
        old = {
            "role": membership.role,
            "is_active": membership.user.is_active,
            "structures": sorted(s.name for s in membership.structures.all()),
        }
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        membership.user.is_active = is_active
        membership.user.save(update_fields=["is_active"])
        _set_structures(membership, list(structures))
        new = {"role": role, "is_active": is_active, "structures": sorted(s.name for s in structures)}
        record_audit(
            organisation=membership.organisation,
            actor=acting_user,
            action="update",
            obj=membership,
            changes={k: {"old": old[k], "new": new[k]} for k in old if old[k] != new[k]},
        )
    return membership
