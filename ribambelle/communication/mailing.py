"""Writes for mass e-mail, families' e-mail preferences, structures' families and e-mail wording."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts.services import log_family_action
from ribambelle.core.actions import action
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit
from ribambelle.families.models import Family
from ribambelle.families.recipients import recipients_by_family
from ribambelle.outbox.services import queue_email
from ribambelle.outbox.templating import EMAIL_KINDS, PLACEHOLDER, unknown_placeholders

from .audience import families_in_scope, family_ids_for_groups
from .models import (
    CommunicationPreference,
    EmailTemplateOverride,
    MailingScope,
    MassMailing,
    MassMailingGroup,
    MassMailingRecipient,
    MassMailingStructure,
    StructureFamily,
)


# --- Preferences ---------------------------------------------------------------------------
@action
def set_email_preference(*, user, accepts_optional_emails: bool, request=None) -> CommunicationPreference:
    family = user.family
    with transaction.atomic():
        pref, _created = CommunicationPreference.objects.update_or_create(
            organisation_id=family.organisation_id,
            family=family,
            defaults={"accepts_optional_emails": accepts_optional_emails},
        )
        log_family_action(
            family=family,
            action="email_preference_accepted" if accepts_optional_emails else "email_preference_refused",
            user=user,
            request=request,
        )
    return pref


# --- Audience --------------------------------------------------------------------------------
@dataclass
class Audience:
    # (family, [addresses]) for each family that will receive the message
    recipients: list = field(default_factory=list)
    opted_out: list = field(default_factory=list)
    without_address: list = field(default_factory=list)

    @property
    def address_count(self) -> int:
        return sum(len(addresses) for _family, addresses in self.recipients)


def resolve_audience(*, organisation, scope: str, structures, essential: bool, groups=()) -> Audience:
    """The families a mass e-mail reaches, with their addresses (families.recipients: the one
    rule for who receives a family's e-mails). Families that
    refused non-essential e-mails are left out unless the message is essential.
    A constant number of queries, whatever the number of families."""
    if scope == MailingScope.STRUCTURES:
        if not structures:
            raise DomainError(_("Choisissez au moins une structure."), field="structures")
        if any(s.organisation_id != organisation.pk for s in structures):
            raise DomainError(_("Choisissez les structures dans la liste."), field="structures")
        families = families_in_scope(organisation, structure_ids=[s.pk for s in structures])
    elif scope == MailingScope.GROUPS:
        if not groups:
            raise DomainError(_("Choisissez au moins un groupe d'activité."), field="groups")
        if any(g.organisation_id != organisation.pk for g in groups):
            raise DomainError(_("Choisissez les groupes dans la liste."), field="groups")
        families = Family.objects.filter(
            organisation=organisation, pk__in=family_ids_for_groups(organisation, [g.pk for g in groups])
        )
    elif scope == MailingScope.ORGANISATION:
        families = families_in_scope(organisation)
    else:
        raise DomainError(_("Choisissez les destinataires."), field="scope")
    families = list(families.order_by("name", "pk"))
    ids = [f.pk for f in families]
    addresses = {pk: [r.email for r in found] for pk, found in recipients_by_family(organisation, ids).items()}
    refused = set(
        CommunicationPreference.objects.filter(
            organisation=organisation, family_id__in=ids, accepts_optional_emails=False
        ).values_list("family_id", flat=True)
    )
    audience = Audience()
    for f in families:
        if not essential and f.pk in refused:
            audience.opted_out.append(f)
        elif not addresses[f.pk]:
            audience.without_address.append(f)
        else:
            audience.recipients.append((f, addresses[f.pk]))
    return audience


@action
def send_mass_mailing(
    *, organisation, subject: str, body: str, scope: str, structures, essential: bool, acting_user, groups=()
) -> MassMailing:
    """Write to many families at once: one outbox row per address, each with its own status."""
    subject = (subject or "").strip()
    body = (body or "").replace("\r\n", "\n").strip()
    if not subject or not body:
        raise DomainError(_("Indiquez l'objet et le message."))
    structures = list(structures or [])
    groups = list(groups or [])
    audience = resolve_audience(
        organisation=organisation, scope=scope, structures=structures, essential=essential, groups=groups
    )
    if not audience.recipients:
        raise DomainError(_("Aucune famille à qui écrire avec ces choix : rien n'a été envoyé."))
    preferences_url = settings.SITE_URL + reverse("portail:messages", kwargs={"org_slug": organisation.slug})
    with transaction.atomic():
        mailing = MassMailing.objects.create(
            organisation=organisation,
            subject=subject[:150],
            body=body,
            scope=scope,
            essential=essential,
            created_by=acting_user,
            sent_at=timezone.now(),
            opted_out_count=len(audience.opted_out),
        )
        if scope == MailingScope.STRUCTURES:
            MassMailingStructure.objects.bulk_create(
                [MassMailingStructure(organisation=organisation, massmailing=mailing, structure=s) for s in structures]
            )
        if scope == MailingScope.GROUPS:
            MassMailingGroup.objects.bulk_create(
                [MassMailingGroup(organisation=organisation, massmailing=mailing, group=g) for g in groups]
            )
        rows = []
        for family, addresses in audience.recipients:
            for address in addresses:
                email = queue_email(
                    organisation=organisation,
                    to=address,
                    template="mass_email",
                    context={"mailing": mailing, "preferences_url": preferences_url},
                    family=family,
                )
                rows.append(
                    MassMailingRecipient(
                        organisation=organisation, mailing=mailing, family=family, address=address, email=email
                    )
                )
        MassMailingRecipient.objects.bulk_create(rows)
        record_audit(
            organisation=organisation,
            actor=acting_user,
            action="mass_mailing",
            obj=mailing,
            changes={"families": len(audience.recipients), "addresses": len(rows)},
        )
    return mailing


# --- Families of a structure --------------------------------------------------------------
@action
def link_family_to_structure(*, structure, family, acting_user) -> StructureFamily:
    if family.organisation_id != structure.organisation_id:
        raise DomainError(_("Choisissez la famille dans la liste."), field="family")
    with transaction.atomic():
        link, created = StructureFamily.objects.get_or_create(
            organisation_id=structure.organisation_id, structure=structure, family=family
        )
        if created:
            record_audit(organisation=structure.organisation, actor=acting_user, action="create", obj=link)
    return link


@action
def unlink_family_from_structure(*, link: StructureFamily, acting_user) -> None:
    with transaction.atomic():
        record_audit(organisation=link.structure.organisation, actor=acting_user, action="delete", obj=link)
        link.delete()


# --- E-mail wording -----------------------------------------------------------------------
def validate_override(*, template: str, subject: str, body: str) -> tuple[str, str]:
    kind = EMAIL_KINDS.get(template)
    if kind is None:
        raise DomainError(_("Cet e-mail n'existe pas."))
    subject = " ".join((subject or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    if not subject:
        raise DomainError(_("Indiquez l'objet de l'e-mail."), field="subject")
    if not body:
        raise DomainError(_("Indiquez le texte de l'e-mail."), field="body")
    for name, text in (("subject", subject), ("body", body)):
        unknown = unknown_placeholders(kind, text)
        if unknown:
            allowed = ", ".join("{" + p + "}" for p in kind.all_placeholders())
            raise DomainError(
                _("Champs inconnus : %(unknown)s. Utilisez seulement : %(allowed)s.")
                % {"unknown": ", ".join("{" + u + "}" for u in unknown), "allowed": allowed},
                field=name,
            )
    used = set(PLACEHOLDER.findall(subject + body))
    missing = [p for p in kind.required if p not in used]
    if missing:
        raise DomainError(
            _("Le texte doit contenir %(placeholders)s, sinon l'essentiel du message manquerait.")
            % {"placeholders": ", ".join("{" + p + "}" for p in missing)},
            field="body",
        )
    return subject, body


@action
def save_override(*, organisation, template: str, subject: str, body: str, acting_user) -> EmailTemplateOverride:
    subject, body = validate_override(template=template, subject=subject, body=body)
    with transaction.atomic():
        override, created = EmailTemplateOverride.objects.update_or_create(
            organisation=organisation,
            template=template,
            defaults={"subject": subject[:200], "body": body, "updated_by": acting_user},
        )
        record_audit(
            organisation=organisation,
            actor=acting_user,
            action="create" if created else "update",
            obj=override,
            changes={"subject": subject, "body": body},
        )
    return override


@action
def reset_override(*, organisation, template: str, acting_user) -> None:
    with transaction.atomic():
        for override in EmailTemplateOverride.objects.filter(organisation=organisation, template=template):
            record_audit(organisation=organisation, actor=acting_user, action="delete", obj=override)
            override.delete()
