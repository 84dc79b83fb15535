"""The password rules of the seed ("8 caractères, 1 minuscule, 1 majuscule, 1 chiffre,
ne doit pas être proche de l'email ou du nom de famille"), for families and staff alike.

The same list drives the live checklist on the page (PASSWORD_RULES) so the browser
and the server never disagree on what the rules are; the server alone decides.
"""

import re
from difflib import SequenceMatcher

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PASSWORD_RULES = [
    ("length", gettext_lazy("8 caractères"), r".{8,}"),
    ("lower", gettext_lazy("1 minuscule"), r"[a-zà-öø-ÿ]"),
    ("upper", gettext_lazy("1 majuscule"), r"[A-ZÀ-ÖØ-Þ]"),
    ("digit", gettext_lazy("1 chiffre"), r"[0-9]"),
]
NOT_CLOSE_RULE = gettext_lazy("Ne doit pas être proche de l'e-mail ou du nom de famille")


def _too_close(password: str, value: str) -> bool:
    password, value = password.lower(), value.lower()
    if not value or len(value) < 3:
        return False
    if value in password or password in value:
        return True
    return (
        SequenceMatcher(a=password, b=value).quick_ratio() >= 0.7
        and SequenceMatcher(a=password, b=value).ratio() >= 0.7
    )


def personal_words(user) -> list[str]:
    if user is None:
        return []
    words = [user.email, user.email.split("@")[0], user.first_name, user.last_name]
    family = getattr(user, "family", None)
    if family is not None:
        words.append(family.name)
    # Each part too ("julie", "martin", "famille", "example"), as Django's similarity check did.
    parts = [part for word in words if word for part in re.split(r"\W+", word) if len(part) >= 3]
    return list(dict.fromkeys(w for w in [*words, *parts] if w))


class RibambellePasswordValidator:
    def validate(self, password: str, user=None) -> None:
        errors = [
            ValidationError(_("Le mot de passe doit contenir au moins %(rule)s.") % {"rule": label}, code=key)
            for key, label, pattern in PASSWORD_RULES
            if not re.search(pattern, password)
        ]
        if any(_too_close(password, word) for word in personal_words(user)):
            errors.append(
                ValidationError(
                    _("Le mot de passe ne doit pas être proche de l'e-mail ou du nom de famille."), code="close"
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        rules = ", ".join(str(label) for _key, label, _p in PASSWORD_RULES)
        return _("Votre mot de passe doit contenir au moins : %(rules)s.") % {"rules": rules}
