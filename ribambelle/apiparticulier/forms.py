"""Forms of API Particulier's pages: the organisation's settings (the token write-only), the
allocataire's birth identity, and the choices of a confirmation."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from ribambelle.core.forms import StyledForm
from ribambelle.families.models import Sex

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SettingsForm(StyledForm):
    enabled = forms.BooleanField(label=_("Activer la lecture du quotient auprès de la CAF / MSA"), required=False)
    base_url = forms.URLField(
        label=_("Adresse du service"),
        help_text=_("https://particulier.api.gouv.fr en production ; l'adresse de bac à sable pour les essais."),
        assume_scheme="https",
    )
    token = forms.CharField(
        label=_("Jeton d'accès (API Particulier)"),
        required=False,
        strip=True,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    siret = forms.CharField(
        label=_("SIRET de la collectivité"),
        required=False,
        max_length=20,
        help_text=_("14 chiffres : le destinataire (recipient) déclaré dans l'habilitation DataPass."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, masked_token: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if masked_token:
            self.fields["token"].help_text = _(
                "Jeton enregistré : %(masked)s. Laissez vide pour le garder ; saisissez-en un pour le remplacer."
            ) % {"masked": masked_token}
        else:
            self.fields["token"].help_text = _("Aucun jeton enregistré. Il est conservé chiffré et jamais réaffiché.")

    def clean_siret(self):
        return re.sub(r"\s", "", self.cleaned_data["siret"])


class IdentityForm(StyledForm):
    """The allocataire's birth identity (what the CAF / MSA match the file on)."""

    birth_name = forms.CharField(label=_("Nom de naissance"), max_length=120)
    first_names = forms.CharField(
        label=_("Prénoms"), max_length=120, help_text=_("Tous les prénoms de l'état civil, séparés par des espaces.")
    )
    sex = forms.ChoiceField(label=_("Sexe à l'état civil"), choices=[("", "—"), *Sex.choices])
    birth_date = forms.DateField(label=_("Date de naissance"), widget=DATE_WIDGET)
    born_abroad = forms.BooleanField(label=_("Né(e) hors de France"), required=False)
    birth_country_cog = forms.CharField(
        label=_("Pays de naissance (code INSEE à 5 chiffres)"),
        required=False,
        max_length=5,
        help_text=_("Seulement pour une naissance hors de France, par exemple 99351 pour la Tunisie."),
    )
    birth_commune_cog = forms.CharField(
        label=_("Commune de naissance (code INSEE)"),
        required=False,
        max_length=5,
        help_text=_("Code INSEE à 5 caractères (ce n'est pas le code postal), par exemple 82121 pour Montauban."),
    )
    birth_commune_name = forms.CharField(label=_("Ou : nom de la commune de naissance"), required=False, max_length=120)
    birth_department = forms.CharField(
        label=_("et son département (numéro)"), required=False, max_length=3, help_text=_("Par exemple 82.")
    )

    def clean(self):
        cleaned = super().clean()
        abroad = cleaned.get("born_abroad")
        country = (cleaned.get("birth_country_cog") or "").strip()
        if abroad:
            if not re.fullmatch(r"99[0-9]{3}", country) or country == "99100":
                self.add_error("birth_country_cog", _("Indiquez le code INSEE du pays : 5 chiffres commençant par 99."))
        else:
            cleaned["birth_country_cog"] = "99100"
            cog = (cleaned.get("birth_commune_cog") or "").strip().upper()
            cleaned["birth_commune_cog"] = cog
            if cog and not re.fullmatch(r"[0-9][0-9AB][0-9]{3}", cog):
                self.add_error(
                    "birth_commune_cog", _("Le code INSEE d'une commune compte 5 caractères, par exemple 82121.")
                )
            elif not cog and not (cleaned.get("birth_commune_name") and cleaned.get("birth_department")):
                self.add_error(
                    "birth_commune_cog",
                    _("Indiquez le code INSEE de la commune de naissance, ou son nom et son département."),
                )
        return cleaned

    @classmethod
    def initial_for(cls, person) -> dict:
        return {
            "birth_name": person.birth_name or person.last_name,
            "first_names": person.birth_first_names or person.first_name,
            "sex": person.sex,
            "birth_date": person.birth_date,
            "born_abroad": bool(person.birth_country_cog and person.birth_country_cog != "99100"),
            "birth_country_cog": person.birth_country_cog if person.birth_country_cog != "99100" else "",
            "birth_commune_cog": person.birth_commune_cog,
            "birth_commune_name": person.birth_commune_name,
            "birth_department": person.birth_department,
        }


class ConsentForm(StyledForm):
    agree = forms.BooleanField(
        label=_("J'accepte que le service lise mon quotient familial auprès de la CAF ou de la MSA."), required=True
    )
