"""« Je ne suis pas un robot » without any third party: ALTCHA proof-of-work.

The browser fetches a signed challenge from us, spends a fraction of a second of CPU
finding the number behind it (in a Web Worker, from our own static files), and sends
the solution with the form. We check the signature and expiry, and remember the proof
so it cannot be replayed. Nothing leaves the server; no cookie, no tracking.
"""

import base64
import hashlib
import json
import secrets
from datetime import timedelta

import altcha
from django import forms
from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .compiled import insert_unless_exists
from .models import UsedRobotProof

CHALLENGE_VALIDITY = timedelta(minutes=20)
# ~50k SHA-256 on average: well under a second on a phone, costly at scale for a bot.
MAX_NUMBER = 100_000

WIDGET_STRINGS = {
    "label": _("Je ne suis pas un robot"),
    "verified": _("Vérifié : vous n'êtes pas un robot"),
    "verifying": _("Vérification en cours…"),
    "waitAlert": _("Vérification en cours… veuillez patienter."),
    "error": _("La vérification a échoué. Réessayez."),
    "expired": _("La vérification a expiré. Cochez à nouveau la case."),
    "verificationRequired": _("Cochez « Je ne suis pas un robot »."),
    "verify": _("Vérifier"),
    "reload": _("Recommencer"),
    "ariaLinkLabel": "ALTCHA",
    "footer": "",
}


def _key() -> str:
    return hashlib.sha256(f"altcha:{settings.SECRET_KEY}".encode()).hexdigest()


def new_challenge() -> dict:
    challenge = altcha.create_challenge_v1(
        hmac_key=_key(), max_number=MAX_NUMBER, expires=timezone.now() + CHALLENGE_VALIDITY
    )
    return {
        "algorithm": challenge.algorithm,
        "challenge": challenge.challenge,
        "maxnumber": challenge.max_number,
        "salt": challenge.salt,
        "signature": challenge.signature,
    }


def verify_proof(payload: str) -> bool:
    """True once for a valid, unexpired solution; False for anything else, replays included."""
    if not payload or len(payload) > 4000:
        return False
    try:
        ok, _error = altcha.verify_solution_v1(payload, _key(), check_expires=True)
        signature = json.loads(base64.b64decode(payload))["signature"]
    except (ValueError, KeyError, TypeError):
        return False
    if not ok:
        return False
    if _tidies_up():
        UsedRobotProof.objects.filter(created_at__lt=timezone.now() - 2 * CHALLENGE_VALIDITY).delete()
    # One statement, and a replay (the row exists) leaves a surrounding transaction usable.
    return insert_unless_exists(UsedRobotProof(signature=str(signature)[:128]), "signature")


def _tidies_up() -> bool:
    """Proofs past their validity can be forgotten (a replay of one fails on its expiry): about one
    submission in a hundred does it, not every form of an opening morning's rush."""
    return secrets.randbelow(100) == 0


def solve_for_tests(challenge: dict) -> str:
    """What the widget does in the browser, for tests that post forms without one."""
    solution = altcha.solve_challenge_v1(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxnumber"]
    )
    payload = {
        "algorithm": challenge["algorithm"],
        "challenge": challenge["challenge"],
        "number": solution.number,
        "salt": challenge["salt"],
        "signature": challenge["signature"],
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


class RobotWidget(forms.Widget):
    def render(self, name, value, attrs=None, renderer=None):
        return format_html(
            '<altcha-widget name="{}" challengeurl="{}" workerurl="{}" strings="{}" hidefooter hidelogo '
            'auto="onfocus"></altcha-widget>'
            "<noscript><p>{}</p></noscript>",
            name,
            reverse("robot_challenge"),
            static("vendor/altcha/worker.js"),
            # Lazy translations become plain strings for JSON, in the language of this request.
            json.dumps({key: str(text) for key, text in WIDGET_STRINGS.items()}, ensure_ascii=False),
            _("Activez JavaScript pour cocher « Je ne suis pas un robot »."),
        )

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class RobotProofField(forms.Field):
    """A form field that is valid only with a fresh proof of work."""

    widget = RobotWidget
    default_error_messages = {
        "required": _("Cochez « Je ne suis pas un robot » et attendez la coche avant d'envoyer."),
        "invalid": _(
            "La vérification « Je ne suis pas un robot » a expiré ou a déjà servi : cochez à nouveau la case."
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Vérification"))
        super().__init__(**kwargs)

    def clean(self, value):
        if not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if not verify_proof(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return True
