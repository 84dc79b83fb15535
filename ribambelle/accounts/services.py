"""Accounts: invitations and activation, login, the family's activity log."""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import login as django_login
from django.contrib.auth import password_validation
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.core.actions import action, action_helper, one_statement
from ribambelle.core.compiled import insert_rows
from ribambelle.core.exceptions import DomainError
from ribambelle.core.proxy import client_ip
from ribambelle.outbox.services import queue_email

from .devices import describe_device
from .models import AccountToken, ActivityLog, TokenPurpose, User

ACTIVATION_VALIDITY = timedelta(days=7)
RESET_VALIDITY = timedelta(hours=24)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _client_ip(request) -> str | None:
    return client_ip(request)  # the client's, not the balancer's (core.proxy)


# --- Activity log -------------------------------------------------------------------
@one_statement
def log_family_action(*, family, action: str, data: dict | None = None, user=None, request=None) -> ActivityLog | None:
    """The one entry point every app uses to add a line to "Historique de mes actions": an action
    code of `history.SENTENCES` and its data (the sentence is made when shown, in the reader's language)."""
    line = family_action_line(family=family, action=action, data=data, user=user, request=request)
    # One INSERT written once per process (core.compiled): a history line goes with every save.
    return insert_rows([line])[0] if line is not None else None


def family_action_line(*, family, action: str, data: dict | None = None, user=None, request=None) -> ActivityLog | None:
    """The history line `log_family_action` writes, not yet saved: for a writer that inserts it
    together with its own rows (bookings.services)."""
    if family is None:
        return None
    actor = user if user is not None else getattr(request, "user", None)
    if actor is not None and not actor.is_authenticated:
        actor = None
    return ActivityLog(
        organisation_id=family.organisation_id,
        family=family,
        user=actor,
        actor_is_staff=bool(actor is not None and not actor.is_family),
        action=action,
        data=data or {},
        ip_address=_client_ip(request),
        device=describe_device(request.META.get("HTTP_USER_AGENT", "")) if request is not None else "",
    )


# --- Tokens ---------------------------------------------------------------------------
@action_helper
def issue_token(*, user: User, purpose: str, validity: timedelta, new_email: str = "") -> tuple[str, AccountToken]:
    """Create a single-use link token; earlier unused tokens of the same purpose stop working."""
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    AccountToken.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now)
    token = AccountToken.objects.create(
        organisation_id=user.organisation_id,
        user=user,
        purpose=purpose,
        token_hash=_hash(raw),
        new_email=new_email,
        expires_at=now + validity,
    )
    return raw, token


def find_token(*, organisation, raw: str, purpose: str) -> AccountToken | None:
    """The token behind a link, usable or not (the page explains which); None if unknown."""
    return (
        AccountToken.objects.select_related("user", "user__family")
        .filter(organisation=organisation, purpose=purpose, token_hash=_hash(raw or ""))
        .first()
    )


# --- Invitations and activation ------------------------------------------------------
@action
def send_invitation(*, user: User, acting_user=None) -> AccountToken:
    """E-mail an activation link ("Activer mon compte") valid for seven days."""
    if user.is_activated:
        raise DomainError(_("Le compte %(email)s est déjà activé.") % {"email": user.email})
    organisation = user.organisation
    with transaction.atomic():
        raw, token = issue_token(user=user, purpose=TokenPurpose.ACTIVATION, validity=ACTIVATION_VALIDITY)
        path = reverse("portail:activate", kwargs={"org_slug": organisation.slug, "token": raw})
        queue_email(
            organisation=organisation,
            to=user.email,
            template="invitation",
            user=user,
            family=user.family,
            context={
                "user": user,
                "url": f"{_site_url()}{path}",
                "expires_at": token.expires_at,
                "is_staff": not user.is_family,
            },
        )
        if user.family is not None:
            log_family_action(
                family=user.family,
                user=acting_user,
                action="invitation",
                data={"email": user.email},
            )
    return token


def _site_url() -> str:
    from django.conf import settings

    return settings.SITE_URL


@action
def activate_account(*, token: AccountToken, password: str, request=None) -> User:
    """Set the first password from an activation link. The link then stops working."""
    user = token.user
    if not token.is_usable or token.purpose != TokenPurpose.ACTIVATION:
        raise DomainError(_("Ce lien n'est plus valable. Demandez un nouveau lien ci-dessous."))
    password_validation.validate_password(password, user)
    with transaction.atomic():
        locked = AccountToken.objects.select_for_update().get(pk=token.pk)
        if locked.used_at is not None:
            raise DomainError(_("Ce lien a déjà été utilisé. Connectez-vous avec votre mot de passe."))
        now = timezone.now()
        locked.used_at = now
        locked.save(update_fields=["used_at"])
        user.set_password(password)
        user.activated_at = user.activated_at or now
        user.save(update_fields=["password", "activated_at"])
        log_family_action(
            family=user.family,
            user=user,
            request=request,
            action="activation",
        )
    return user


@action
def log_in(request, user: User, *, remember: bool) -> None:
    """Log in (Django rotates the session key) and keep the session only if asked."""
    django_login(request, user, backend="ribambelle.accounts.backends.OrganisationEmailBackend")
    # "Rester connecté": a 30-day cookie; otherwise the session ends with the browser.
    request.session.set_expiry(None if remember else 0)
    log_family_action(
        family=user.family,
        user=user,
        request=request,
        action="login_remembered" if remember else "login",
    )


@action
def resend_activation(*, organisation, email: str) -> None:
    """Send a fresh activation link if this e-mail has an account not yet activated.

    Says nothing either way to the caller, so the form cannot be used to find out
    who has an account; at most one link per account every two minutes.
    """
    user = User.objects.filter(
        organisation=organisation, email__iexact=email.strip(), activated_at__isnull=True
    ).first()
    if user is None or not user.is_active:
        return
    recent = AccountToken.objects.filter(
        user=user, purpose=TokenPurpose.ACTIVATION, created_at__gte=timezone.now() - timedelta(minutes=2)
    ).exists()
    if not recent:
        send_invitation.inner(user=user)


# --- Password reset, password and e-mail changes --------------------------------------
@action
def request_password_reset(*, organisation, email: str) -> None:
    """E-mail a reset link if the account exists. The caller shows the same message either way."""
    user = User.objects.filter(organisation=organisation, email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return
    recent = AccountToken.objects.filter(
        user=user, purpose=TokenPurpose.RESET, created_at__gte=timezone.now() - timedelta(minutes=1)
    ).exists()
    if recent:
        return
    with transaction.atomic():
        raw, token = issue_token(user=user, purpose=TokenPurpose.RESET, validity=RESET_VALIDITY)
        path = reverse("portail:password_reset", kwargs={"org_slug": organisation.slug, "token": raw})
        queue_email(
            organisation=organisation,
            to=user.email,
            template="password_reset",
            user=user,
            family=user.family,
            context={"user": user, "url": f"{_site_url()}{path}", "expires_at": token.expires_at},
        )


@action
def reset_password(*, token: AccountToken, password: str, request=None) -> User:
    """Set a new password from a reset link; every session of the account is closed."""
    if not token.is_usable or token.purpose != TokenPurpose.RESET:
        raise DomainError(_("Ce lien n'est plus valable. Demandez un nouveau lien."))
    user = token.user
    password_validation.validate_password(password, user)
    with transaction.atomic():
        locked = AccountToken.objects.select_for_update().get(pk=token.pk)
        if locked.used_at is not None:
            raise DomainError(_("Ce lien a déjà été utilisé. Demandez un nouveau lien si besoin."))
        locked.used_at = timezone.now()
        locked.save(update_fields=["used_at"])
        _set_password(user, password, action="password_reset", request=request)
        # Someone who can read the mailbox has proven they own the address: an account never
        # activated (lost invitation) becomes active too.
        if user.activated_at is None:
            user.activated_at = timezone.now()
            user.save(update_fields=["activated_at"])
    return user


def _set_password(user: User, password: str, *, action: str, request=None) -> None:
    # A new password changes the session hash: every other session of this account is
    # logged out at its next request (Django's session verification).
    user.set_password(password)
    user.save(update_fields=["password"])
    log_family_action(family=user.family, user=user, request=request, action=action)
    queue_email(
        organisation=user.organisation,
        to=user.email,
        template="password_changed",
        user=user,
        family=user.family,
        context={"user": user, "when": timezone.now()},
    )


@action
def change_password(*, user: User, password: str, request) -> None:
    """Change the password of the logged-in user; keep this session, close the others."""
    from django.contrib.auth import update_session_auth_hash

    password_validation.validate_password(password, user)
    with transaction.atomic():
        _set_password(user, password, action="password_changed", request=request)
    update_session_auth_hash(request, user)


@action
def request_email_change(*, user: User, new_email: str, request=None) -> None:
    """Send a confirmation link to the new address; the login changes only once it is clicked."""
    new_email = new_email.strip().lower()
    if new_email == user.email:
        raise DomainError(_("C'est déjà votre adresse de connexion."), field="new_email")
    if User.objects.filter(organisation_id=user.organisation_id, email__iexact=new_email).exists():
        raise DomainError(_("Cette adresse est déjà utilisée par un autre compte."), field="new_email")
    with transaction.atomic():
        raw, token = issue_token(
            user=user, purpose=TokenPurpose.EMAIL_CHANGE, validity=RESET_VALIDITY, new_email=new_email
        )
        path = reverse("portail:email_confirm", kwargs={"org_slug": user.organisation.slug, "token": raw})
        queue_email(
            organisation=user.organisation,
            to=new_email,
            template="email_change",
            user=user,
            family=user.family,
            context={
                "user": user,
                "new_email": new_email,
                "url": f"{_site_url()}{path}",
                "expires_at": token.expires_at,
            },
        )
        log_family_action(
            family=user.family,
            user=user,
            request=request,
            action="email_change_requested",
            data={"email": new_email},
        )


@action
def confirm_email_change(*, token: AccountToken, request=None) -> User:
    if not token.is_usable or token.purpose != TokenPurpose.EMAIL_CHANGE:
        raise DomainError(_("Ce lien n'est plus valable. Refaites la demande depuis « Mon compte »."))
    user = token.user
    if (
        User.objects.filter(organisation_id=user.organisation_id, email__iexact=token.new_email)
        .exclude(pk=user.pk)
        .exists()
    ):
        raise DomainError(_("Cette adresse est déjà utilisée par un autre compte."))
    old_email = user.email
    with transaction.atomic():
        locked = AccountToken.objects.select_for_update().get(pk=token.pk)
        if locked.used_at is not None:
            raise DomainError(_("Ce lien a déjà été utilisé."))
        locked.used_at = timezone.now()
        locked.save(update_fields=["used_at"])
        user.email = token.new_email
        user.save(update_fields=["email"])
        _follow_login_address(user, old_email=old_email)
        log_family_action(
            family=user.family,
            user=user,
            request=request,
            action="email_changed",
            data={"old": old_email, "new": user.email},
        )
        queue_email(
            organisation=user.organisation,
            to=old_email,
            template="email_changed",
            user=user,
            family=user.family,
            context={"user": user, "old_email": old_email},
        )
    return user


def _follow_login_address(user: User, *, old_email: str) -> None:
    """The family file follows a login's new address: the guardian it was created for (linked
    by address, see family_accounts) and the file's own e-mail, where they held the old one.
    Otherwise the old address would go on receiving the family's e-mails (families.recipients)."""
    if user.family_id is None:
        return
    from ribambelle.families.changes import refresh_search_text
    from ribambelle.families.models import Family, Person, PersonRole

    scope = {"organisation_id": user.organisation_id, "email__iexact": old_email}
    adults = Person.objects.filter(family_id=user.family_id, role=PersonRole.ADULT, **scope).update(email=user.email)
    files = Family.objects.filter(pk=user.family_id, **scope).update(email=user.email)
    if adults or files:
        refresh_search_text(Family.objects.get(pk=user.family_id))


@one_statement
def record_failed_login(*, organisation, email: str, request=None) -> None:
    """A failed attempt on a family's account appears in its history."""
    if organisation is None or not email:
        return
    user = User.objects.filter(organisation=organisation, email__iexact=email.strip()).select_related("family").first()
    if user is not None and user.family is not None:
        ActivityLog.objects.create(
            organisation_id=organisation.id,
            family=user.family,
            user=None,
            action="login_failed",
            data={"email": user.email},
            ip_address=_client_ip(request),
            device=describe_device(request.META.get("HTTP_USER_AGENT", "")) if request is not None else "",
        )
