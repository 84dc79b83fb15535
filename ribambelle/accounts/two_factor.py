"""Second factor for staff: TOTP (an authenticator app), through django-otp.

An organisation may require it for all its staff (Organisation.staff_requires_2fa).

A wrong code counts as a failed login for django-axes, like a wrong password, for the same
account and address: after AXES_FAILURE_LIMIT failures of either kind both are refused for
AXES_COOLOFF_TIME. Without that, whoever knew a password could guess codes without end
(a new login with the password gave new tries). django-otp's own throttling (a growing delay
after each wrong code) applies on top.
"""

from base64 import b32encode

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from ribambelle.core.actions import one_statement, step_by_step
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit

DEVICE_NAME = "Application d'authentification"
WRONG_CODE_MESSAGE = gettext_lazy(
    "Ce code ne correspond pas. Saisissez le code affiché maintenant par votre application."
)
LOCKED_MESSAGE = gettext_lazy(
    "Trop de tentatives ont échoué : par sécurité, ce compte est bloqué pendant 15 minutes. Réessayez plus tard."
)


def has_confirmed_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@one_statement
def pending_device(user) -> TOTPDevice:
    """The device being enrolled (created once, shown as a QR code until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_for_display(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# Step by step, not one transaction: a wrong code is counted (django-otp's throttling, django-axes)
# and that count must survive the refusal; the change itself is one transaction below.
@step_by_step
def confirm_device(*, request, device: TOTPDevice, code: str) -> None:
    if not device.verify_token(code.strip()):
        raise DomainError(
            _("Ce code ne correspond pas. Vérifiez l'heure de votre téléphone et saisissez le code affiché.")
        )
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        record_audit(organisation=device.user.organisation, actor=request.user, action="2fa_enabled", obj=device.user)
    django_otp.login(request, device)


def matching_device(*, user, code: str) -> TOTPDevice | None:
    """The confirmed device that accepts this code (each code works once), or None."""
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(code.strip()):
            return device
    return None


def _credentials(user) -> dict:
    # The same key as a password attempt (accounts.lockout.lockout_username).
    return {"email": user.email}


def is_locked_out(request, user) -> bool:
    return AxesProxyHandler.is_locked(request, credentials=_credentials(user))


@one_statement
def count_failure(request, user) -> None:
    """A wrong code (or password) for this account: django-axes counts it and locks at the limit."""
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)


@one_statement
def verify_code(*, request, user, code: str) -> TOTPDevice | None:
    """The device accepting the code, or None after counting the failure."""
    device = matching_device(user=user, code=code)
    if device is None:
        count_failure(request, user)
    return device


def mark_verified(request, device: TOTPDevice) -> None:
    django_otp.login(request, device)


@step_by_step  # a wrong password or code is counted and kept (see confirm_device)
def disable(*, request, user, password: str, code: str) -> None:
    """Turning the second factor off needs the password and a current code: an open session
    left on a desk is not enough to remove it."""
    if user.organisation.staff_requires_2fa:
        raise DomainError(_("Votre organisation impose la double authentification : elle ne peut pas être désactivée."))
    if is_locked_out(request, user):
        raise DomainError(LOCKED_MESSAGE)
    if not user.check_password(password):
        count_failure(request, user)
        raise DomainError(_("Mot de passe incorrect : la double authentification reste activée."), field="password")
    if verify_code(request=request, user=user, code=code) is None:
        raise DomainError(WRONG_CODE_MESSAGE, field="code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        record_audit(organisation=user.organisation, actor=request.user, action="2fa_disabled", obj=user)
