"""Second factor for staff: TOTP (an authenticator app), through django-otp.

An organisation may require it for all its staff (Organisation.staff_requires_2fa).
"""

from base64 import b32encode

import django_otp
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from ribambelle.core.actions import action, one_statement
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit

DEVICE_NAME = "Application d'authentification"


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


@action
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


def mark_verified(request, device: TOTPDevice) -> None:
    django_otp.login(request, device)


@action
def disable(*, request, user) -> None:
    if user.organisation.staff_requires_2fa:
        raise DomainError(_("Votre organisation impose la double authentification : elle ne peut pas être désactivée."))
    TOTPDevice.objects.filter(user=user).delete()
    record_audit(organisation=user.organisation, actor=request.user, action="2fa_disabled", obj=user)
