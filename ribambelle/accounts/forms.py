from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from ribambelle.core.forms import StyledForm


class LoginForm(StyledForm):
    email = forms.EmailField(
        label=_("Votre e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True, "inputmode": "email"}),
        error_messages={
            "required": _("Indiquez votre adresse e-mail."),
            "invalid": _("Indiquez une adresse e-mail valide, par exemple nom@exemple.fr."),
        },
    )
    password = forms.CharField(
        label=_("Votre mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Indiquez votre mot de passe.")},
    )
    remember = forms.BooleanField(label=_("Rester connecté"), required=False)


class NewPasswordForm(StyledForm):
    """Password and confirmation, checked against the rules for this user."""

    password1 = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "data-password-rules": ""}),
        error_messages={"required": _("Choisissez un mot de passe.")},
    )
    password2 = forms.CharField(
        label=_("Confirmation"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Saisissez le mot de passe une seconde fois.")},
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password1(self):
        password = self.cleaned_data["password1"]
        password_validation.validate_password(password, self.user)
        return password

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        return cleaned
