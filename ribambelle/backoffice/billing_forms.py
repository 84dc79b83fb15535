import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from ribambelle.billing.models import BillingSettings, PaymentMethod, QuotientBracket, Tariff
from ribambelle.core.forms import StyledForm, StyledModelForm
from ribambelle.core.money import EuroField
from ribambelle.payments.providers.registry import choices as provider_choices

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RunForm(StyledForm):
    period_start = forms.DateField(label=_("Du"), widget=DATE)
    period_end = forms.DateField(label=_("Au"), widget=DATE)
    structures = forms.MultipleChoiceField(
        label=_("Structures"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Aucune cochée : toutes les structures."),
    )

    def __init__(self, *args, structures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structures"].choices = [(s.pk, s.name) for s in structures]

    def clean(self):
        data = super().clean()
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            self.add_error("period_end", _("La fin de la période doit suivre son début."))
        return data


class PaymentForm(StyledForm):
    method = forms.ChoiceField(label=_("Mode de règlement"), choices=PaymentMethod.choices)
    amount = forms.DecimalField(label=_("Montant (€)"), min_value=0.01, max_digits=10, decimal_places=2)
    received_on = forms.DateField(label=_("Reçu le"), widget=DATE)
    reference = forms.CharField(label=_("Référence (n° de chèque, de virement…)"), required=False, max_length=100)
    by_hand = forms.BooleanField(
        label=_("Affecter à la main (sinon : aux factures les plus anciennes d'abord)"), required=False
    )
    # One-time token: the same form sent twice (double click, resubmission) records one payment.
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)


class CreditNoteForm(StyledForm):
    reason = forms.CharField(label=_("Motif de l'avoir"), max_length=200)


class MandateForm(StyledForm):
    holder = forms.CharField(label=_("Titulaire du compte"), max_length=70)
    iban = forms.CharField(label="IBAN", max_length=42)
    bic = forms.CharField(label="BIC", max_length=11)
    signed_on = forms.DateField(label=_("Signé le"), widget=DATE)
    rum = forms.CharField(label=_("RUM (laisser vide pour la créer)"), max_length=35, required=False)


class SepaExportForm(StyledForm):
    collection_date = forms.DateField(label=_("Date de prélèvement"), widget=DATE)


class BillingSettingsForm(StyledModelForm):
    class Meta:
        model = BillingSettings
        fields = [
            "payment_instructions",
            "legal_mentions",
            "due_days",
            "sibling_reduction_percent",
            "sibling_reduction_from_rank",
            "charge_excused_absences",
            "charge_unexcused_absences",
            "charge_late_cancellations",
            "quotient_validity_months",
            "territory_postal_codes",
            "sepa_creditor_name",
            "sepa_creditor_id",
            "sepa_iban",
            "sepa_bic",
            "sepa_prenotification_days",
            "sepa_reject_fee",
        ]
        field_classes = {"sepa_reject_fee": EuroField}
        widgets = {
            "payment_instructions": forms.Textarea(attrs={"rows": 3}),
            "legal_mentions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Added later than the other settings: a form posted without them keeps what is stored.
        for name in ("sepa_prenotification_days", "sepa_reject_fee"):
            self.fields[name].required = False

    def clean_sepa_prenotification_days(self):
        value = self.cleaned_data.get("sepa_prenotification_days")
        return self.instance.sepa_prenotification_days if value is None else value

    def clean_sepa_reject_fee(self):
        value = self.cleaned_data.get("sepa_reject_fee")
        return self.instance.sepa_reject_fee if value is None else value


class BracketForm(StyledModelForm):
    class Meta:
        model = QuotientBracket
        fields = ["label", "upper_bound"]
        help_texts = {"upper_bound": _("Vide : la tranche la plus haute.")}


class TariffForm(StyledModelForm):
    class Meta:
        model = Tariff
        fields = ["unit", "mode", "flat_price", "outside_price", "sibling_reduction"]

    def __init__(self, *args, activity, brackets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = activity.units.all()
        self.fields["unit"].empty_label = _("Toutes les unités")
        self.fields["unit"].required = False
        self.brackets = list(brackets)
        prices = {p.bracket_id: p.price for p in self.instance.prices.all()} if self.instance.pk else {}
        for bracket in self.brackets:
            self.fields[f"bracket_{bracket.pk}"] = forms.DecimalField(
                label=_("Prix %(bracket)s (€)") % {"bracket": bracket.label},
                min_value=0,
                max_digits=10,
                decimal_places=2,
                required=False,
                initial=prices.get(bracket.pk),
            )

    def bracket_prices(self):
        return {b: self.cleaned_data.get(f"bracket_{b.pk}") for b in self.brackets}


class ProviderForm(StyledForm):
    kind = forms.ChoiceField(label=_("Paiement en ligne"), choices=provider_choices, required=False)
