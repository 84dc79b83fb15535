"""Forms of the Hélios (PES V2) pages: a budget's settings with a product code per activity,
the choice of budget for an export, and the reason of a cancellation."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ribambelle.core.forms import StyledForm, StyledModelForm
from ribambelle.helios.models import HeliosSettings

CODE_PREFIX = "code_"


class HeliosSettingsForm(StyledModelForm):
    class Meta:
        model = HeliosSettings
        fields = [
            "budget_label",
            "id_post",
            "siret",
            "cod_col",
            "cod_bud",
            "default_product_code",
            "nature",
            "edition",
            "roll_subject",
            "article_subject",
            "debit_label",
            "debit_days",
            "sepa_creditor_id",
        ]
        widgets = {
            "id_post": forms.TextInput(attrs={"inputmode": "numeric"}),
            "siret": forms.TextInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args, activities=(), codes=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Typed as printed ("215 801 234 00018"): spaces are taken out before the checks.
        for name in ("siret", "id_post"):
            self.fields[name].max_length = 20
            self.fields[name].validators = []
            self.fields[name].widget.attrs["maxlength"] = 20
        codes = codes or {}
        for activity in activities:
            self.fields[f"{CODE_PREFIX}{activity.pk}"] = forms.CharField(
                label=_("Code produit : %(activity)s") % {"activity": activity.name},
                required=False,
                max_length=4,
                initial=codes.get(activity.pk, ""),
                help_text=_("Vide : le code par défaut."),
            )

    def clean_siret(self):
        return "".join(self.cleaned_data["siret"].split())

    def clean_id_post(self):
        return "".join(self.cleaned_data["id_post"].split())

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def codes(self) -> dict[int, str]:
        return {
            int(name.removeprefix(CODE_PREFIX)): value or ""
            for name, value in self.cleaned_data.items()
            if name.startswith(CODE_PREFIX)
        }


class PesGenerateForm(StyledForm):
    settings = forms.ModelChoiceField(label=_("Budget"), queryset=HeliosSettings.objects.none(), empty_label=None)

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["settings"].queryset = choices if choices is not None else HeliosSettings.objects.none()


class PesCancelForm(StyledForm):
    reason = forms.CharField(
        label=_("Motif de l'annulation"),
        max_length=200,
        help_text=_("Par exemple : rejet par Hélios, erreur de saisie à corriger."),
    )
