from django import forms
from django.utils.translation import gettext_lazy

from ribambelle.core.forms import StyledForm


class FranceConnectSettingsForm(StyledForm):
    enabled = forms.BooleanField(
        label=gettext_lazy("Proposer « S'identifier avec FranceConnect » aux familles"), required=False
    )
    base_url = forms.URLField(
        label=gettext_lazy("Adresse du fournisseur FranceConnect"),
        max_length=300,
        assume_scheme="https",
        help_text=gettext_lazy(
            "Intégration : https://fcp-low.sbx.dev-franceconnect.fr/api/v2 ; "
            "production : https://oidc.franceconnect.gouv.fr/api/v2"
        ),
    )
    client_id = forms.CharField(label=gettext_lazy("Identifiant client (client_id)"), max_length=200, required=False)
    client_secret = forms.CharField(
        label=gettext_lazy("Secret client (client_secret)"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Laissez vide pour garder le secret enregistré. Il n'est jamais affiché."),
    )
    request_qf_scopes = forms.BooleanField(
        label=gettext_lazy("Demander aussi l'accès au quotient familial (scopes CNAF d'API Particulier)"),
        required=False,
    )
