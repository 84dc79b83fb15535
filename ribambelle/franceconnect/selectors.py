"""Reads of the FranceConnect app, scoped to the organisation (and the family) they serve."""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404

from .models import FranceConnectIdentity, FranceConnectSettings


def settings_for(organisation) -> FranceConnectSettings:
    """The organisation's settings, or unsaved defaults (disabled) when never saved."""
    found = FranceConnectSettings.objects.filter(organisation=organisation).first()
    return found or FranceConnectSettings(organisation=organisation)


def enabled_settings(organisation) -> FranceConnectSettings | None:
    found = settings_for(organisation)
    return found if found.is_usable else None


def identity_by_sub(organisation, sub: str) -> FranceConnectIdentity | None:
    return (
        FranceConnectIdentity.objects.filter(organisation=organisation, sub=sub)
        .select_related("user", "family")
        .first()
    )


def identities_for_user(user) -> list[FranceConnectIdentity]:
    return list(FranceConnectIdentity.objects.filter(organisation_id=user.organisation_id, user=user))


def get_identity_for_user(organisation, user, franceconnectidentity_id: int) -> FranceConnectIdentity:
    """One of this parent's own identities; 404 for anything else (another parent, family or organisation)."""
    return get_object_or_404(
        FranceConnectIdentity,
        organisation=organisation,
        family_id=user.family_id,
        user=user,
        pk=franceconnectidentity_id,
    )


def family_login_by_email(organisation, email: str):
    """The active, activated family login with this e-mail in this organisation, if any."""
    if not email:
        return None
    return (
        get_user_model()
        .objects.filter(
            organisation=organisation,
            email__iexact=email.strip(),
            family__isnull=False,
            is_active=True,
            activated_at__isnull=False,
        )
        .select_related("family")
        .first()
    )


def family_login_by_id(organisation, user_id: int):
    return (
        get_user_model()
        .objects.filter(organisation=organisation, pk=user_id, family__isnull=False, is_active=True)
        .select_related("family")
        .first()
    )
