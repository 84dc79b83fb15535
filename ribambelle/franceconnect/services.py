"""Writes of the FranceConnect app: the settings, linking and unlinking an identity, logging in."""

from django.contrib.auth import login as django_login
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts.services import log_family_action
from ribambelle.core import crypto
from ribambelle.core.actions import action
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit, save_with_audit

from .models import FranceConnectIdentity, FranceConnectSettings


@action
def save_settings(*, organisation, values: dict, client_secret: str = "", acting_user) -> FranceConnectSettings:
    """Save the settings; a new client secret (typed, never shown back) replaces the stored one,
    encrypted. Enabling needs a client id and a secret."""
    current = FranceConnectSettings.objects.filter(organisation=organisation).first() or FranceConnectSettings(
        organisation=organisation
    )
    secret = (client_secret or "").strip()
    fields = {
        "enabled": bool(values.get("enabled")),
        "base_url": (values.get("base_url") or "").strip().rstrip("/"),
        "client_id": (values.get("client_id") or "").strip(),
        "request_qf_scopes": bool(values.get("request_qf_scopes")),
    }
    if fields["enabled"] and not fields["client_id"]:
        raise DomainError(
            _("Indiquez l'identifiant client fourni par FranceConnect avant d'activer."), field="client_id"
        )
    if fields["enabled"] and not (secret or current.has_secret):
        raise DomainError(
            _("Indiquez le secret client fourni par FranceConnect avant d'activer."), field="client_secret"
        )
    saved = save_with_audit(current, fields=fields, acting_user=acting_user)
    if secret:
        saved.client_secret_encrypted = crypto.encrypt(secret)
        saved.client_secret_hint = secret[-4:] if len(secret) >= 12 else ""
        saved.save(update_fields=["client_secret_encrypted", "client_secret_hint", "updated_at"])
        # The audit says the secret changed, never what it is.
        record_audit(
            organisation=organisation,
            actor=acting_user,
            action="update",
            obj=saved,
            changes={"client_secret": {"old": "•••", "new": "•••"}},
        )
    return saved


def _log_in(request, user) -> None:
    """A session ending with the browser ("rester connecté" is only offered with the password)."""
    django_login(request, user, backend="ribambelle.accounts.backends.OrganisationEmailBackend")
    request.session.set_expiry(0)


@action
def link_identity(*, request, organisation, user, sub: str, claims: dict, how: str) -> FranceConnectIdentity:
    """Link the FranceConnect identity to this family login (after the parent proved the login
    with its password, or confirmed the e-mail match), then log in. One identity, one login."""
    if user.organisation_id != organisation.id or not user.is_family or not user.is_active:
        raise DomainError(_("Ce compte ne peut pas être lié à FranceConnect."))
    if how not in ("login", "email"):
        raise DomainError(_("Ce compte ne peut pas être lié à FranceConnect."))
    if FranceConnectIdentity.objects.filter(organisation=organisation, sub=sub).exists():
        raise DomainError(_("Cette identité FranceConnect est déjà liée à un compte de l'Espace Famille."))
    identity = FranceConnectIdentity(
        organisation=organisation,
        user=user,
        family=user.family,
        sub=sub,
        given_name=(claims.get("given_name") or "")[:200],
        family_name=(claims.get("family_name") or "")[:200],
        linked_by=how,
        last_login_at=timezone.now(),
    )
    identity.full_clean()
    identity.save()
    _log_in(request, user)
    log_family_action(
        family=user.family,
        user=user,
        request=request,
        action="franceconnect_linked",
        data={"person": str(identity), "how": how},
    )
    log_family_action(family=user.family, user=user, request=request, action="login_franceconnect")
    return identity


@action
def log_in_with_identity(*, request, identity: FranceConnectIdentity) -> None:
    """A linked identity logs its family login in (an inactive login stays out)."""
    user = identity.user
    if not user.is_active or not user.is_family:
        raise DomainError(_("Ce compte est désactivé. Contactez le service."))
    FranceConnectIdentity.objects.filter(pk=identity.pk).update(last_login_at=timezone.now())
    _log_in(request, user)
    log_family_action(family=user.family, user=user, request=request, action="login_franceconnect")


@action
def unlink_identity(*, request, identity: FranceConnectIdentity) -> None:
    """The parent unlinks the identity: FranceConnect no longer opens this login."""
    family, name = identity.family, str(identity)
    identity.delete()
    log_family_action(
        family=family, user=request.user, request=request, action="franceconnect_unlinked", data={"person": name}
    )
