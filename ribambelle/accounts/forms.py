from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from ribambelle.core.forms import StyledForm
from ribambelle.core.robot import RobotProofField


class LoginForm(StyledForm):
    # A failed login saves nothing: its error says what is wrong, without "the form was not saved".
    no_error_heading = True

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
    robot = RobotProofField()


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


class ConsentForm(StyledForm):
    personal = forms.BooleanField(
        required=False,
        label=_(
            "En soumettant ce formulaire, j'accepte que mes données personnelles saisies soient utilisées "
            "dans le cadre d'une exploitation interne"
        ),
    )
    health = forms.BooleanField(
        required=False,
        label=_(
            "En soumettant ce formulaire, j'accepte que mes données sanitaires saisies soient utilisées "
            "dans le cadre d'une exploitation interne (facultatif)"
        ),
    )

    def clean_personal(self):
        if not self.cleaned_data["personal"]:
            raise forms.ValidationError(
                _(
                    "L'Espace Famille ne peut pas fonctionner sans vos données personnelles : cochez cette case "
                    "pour continuer, ou contactez la structure pour faire vos démarches autrement."
                )
            )
        return True


class ForgotPasswordForm(StyledForm):
    email = forms.EmailField(
        label=_("Votre e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
        error_messages={
            "required": _("Indiquez votre adresse e-mail."),
            "invalid": _("Indiquez une adresse e-mail valide, par exemple nom@exemple.fr."),
        },
    )
    robot = RobotProofField()


class ChangePasswordForm(NewPasswordForm):
    current = forms.CharField(
        label=_("Mot de passe actuel"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Indiquez votre mot de passe actuel.")},
    )
    field_order = ["current", "password1", "password2"]

    def clean_current(self):
        if not self.user.check_password(self.cleaned_data["current"]):
            raise forms.ValidationError(_("Ce n'est pas votre mot de passe actuel."))
        return self.cleaned_data["current"]


class ChangeEmailForm(StyledForm):
    new_email = forms.EmailField(
        label=_("Nouvelle adresse e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": _("Indiquez une adresse e-mail valide, par exemple nom@exemple.fr.")},
    )
    current = forms.CharField(
        label=_("Mot de passe actuel"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_current(self):
        if not self.user.check_password(self.cleaned_data["current"]):
            raise forms.ValidationError(_("Ce n'est pas votre mot de passe actuel."))
        return self.cleaned_data["current"]


class DisableTwoFactorForm(StyledForm):
    password = forms.CharField(
        label=_("Votre mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Saisissez votre mot de passe.")},
    )
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label=_("Code à 6 chiffres de votre application"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"invalid": _("Le code comporte 6 chiffres."), "required": _("Saisissez le code.")},
    )


class TOTPForm(StyledForm):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label=_("Code à 6 chiffres de votre application"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"invalid": _("Le code comporte 6 chiffres."), "required": _("Saisissez le code.")},
    )
