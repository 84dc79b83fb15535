"""GDPR consents (seed step 5): personal data, required to use the portal; health data,
optional, without which health fields are neither shown nor collected."""

from dataclasses import dataclass

from django.db import transaction
from django.dispatch import Signal

from .models import ConsentKind, ConsentRecord
from .services import log_family_action

# Sent after a family withdraws its health consent: the families app erases health data.
health_consent_withdrawn = Signal()


@dataclass(frozen=True)
class ConsentState:
    personal: bool  # the current user agreed to the current text
    health: bool  # the family agreed to health data under the current text
    personal_record: ConsentRecord | None
    health_record: ConsentRecord | None


def consent_state(user) -> ConsentState:
    """Personal consent is each adult's own; health consent is the family's latest decision."""
    version = user.organisation.gdpr_text_version
    personal = (
        ConsentRecord.objects.filter(organisation_id=user.organisation_id, user=user, kind=ConsentKind.PERSONAL)
        .order_by("-created_at", "-id")
        .first()
    )
    health = (
        ConsentRecord.objects.filter(
            organisation_id=user.organisation_id, family_id=user.family_id, kind=ConsentKind.HEALTH
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return ConsentState(
        personal=bool(personal and personal.given and personal.text_version == version),
        health=bool(health and health.given and health.text_version == version),
        personal_record=personal,
        health_record=health,
    )


def family_has_health_consent(family) -> bool:
    latest = (
        ConsentRecord.objects.filter(organisation_id=family.organisation_id, family=family, kind=ConsentKind.HEALTH)
        .order_by("-created_at", "-id")
        .first()
    )
    return bool(latest and latest.given and latest.text_version == family.organisation.gdpr_text_version)


def record_consents(*, user, personal: bool, health: bool, request=None) -> ConsentState:
    """Record the answers of the consent page. Refusing personal data means no portal."""
    version = user.organisation.gdpr_text_version
    before = consent_state(user)
    with transaction.atomic():
        for kind, given, label in (
            (ConsentKind.PERSONAL, personal, "données personnelles"),
            (ConsentKind.HEALTH, health, "données sanitaires"),
        ):
            previous = before.personal_record if kind == ConsentKind.PERSONAL else before.health_record
            unchanged = previous is not None and previous.given == given and previous.text_version == version
            if unchanged or (previous is None and not given):
                continue
            ConsentRecord.objects.create(
                organisation_id=user.organisation_id,
                family_id=user.family_id,
                user=user,
                kind=kind,
                given=given,
                text_version=version,
            )
            log_family_action(
                family=user.family,
                user=user,
                request=request,
                action="consent",
                description=f"Consentement {label} {'donné' if given else 'retiré'} (texte v{version})",
            )
            # Only an explicit withdrawal erases health data; a consent left unrenewed after
            # the organisation changed its text only hides it until the family answers.
            if (
                kind == ConsentKind.HEALTH
                and not given
                and previous
                and previous.given
                and previous.text_version == version
            ):
                transaction.on_commit(lambda: health_consent_withdrawn.send(sender=None, family=user.family))
    return consent_state(user)


def withdraw_consent(*, user, kind: str, request=None) -> ConsentState:
    state = consent_state(user)
    return record_consents(
        user=user,
        personal=False if kind == ConsentKind.PERSONAL else state.personal,
        health=False if kind == ConsentKind.HEALTH else state.health,
        request=request,
    )
