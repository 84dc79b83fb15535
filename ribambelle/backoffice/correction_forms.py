"""Forms of the SEPA collections and of corrections (void, partial credit note, refund)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ribambelle.billing.models import PaymentMethod
from ribambelle.billing.sepa_models import REJECT_REASONS
from ribambelle.core.forms import StyledForm
from ribambelle.core.money import EuroField

from .billing_forms import DATE, PaymentForm

# A payment more than this much above what the family owes, and more than half as much again,
# is probably a typing slip (1 104,00 for 11,04): it is recorded only once confirmed.
FAR_ABOVE = Decimal("50.00")


class CheckedPaymentForm(PaymentForm):
    """The payments desk form: amounts with a comma or a dot, and a confirmation step when the
    amount is far above what is due."""

    amount = EuroField(label=_("Montant (€)"), min_value=Decimal("0.01"))
    confirm_amount = forms.BooleanField(
        label=_("Je confirme ce montant, bien supérieur au reste dû"), required=False, widget=forms.HiddenInput
    )

    field_order = ["method", "amount", "received_on", "reference", "by_hand", "confirm_amount"]

    def __init__(self, *args, due: Decimal = Decimal(0), **kwargs):
        super().__init__(*args, **kwargs)
        self.due = due

    def clean(self):
        data = super().clean()
        amount = data.get("amount")
        if amount is not None and amount - self.due > FAR_ABOVE and amount > self.due * Decimal("1.5"):
            if not data.get("confirm_amount"):
                self.fields["confirm_amount"].widget = forms.CheckboxInput()
                self.add_error(
                    "confirm_amount",
                    _(
                        "Ce montant (%(amount)s €) dépasse de loin ce que la famille doit (%(due)s €) : "
                        "vérifiez-le, puis cochez la case pour confirmer."
                    )
                    % {"amount": f"{amount:.2f}".replace(".", ","), "due": f"{self.due:.2f}".replace(".", ",")},
                )
        return data


class CollectionForm(StyledForm):
    collection_date = forms.DateField(label=_("Date de prélèvement"), widget=DATE)


class RejectForm(StyledForm):
    code = forms.ChoiceField(
        label=_("Motif du rejet (code de la banque)"),
        choices=[(code, f"{code} – {label}") for code, label in REJECT_REASONS.items()],
    )
    rejected_on = forms.DateField(label=_("Rejeté le"), widget=DATE)


class StatusReportForm(StyledForm):
    report = forms.FileField(
        label=_("Rapport de la banque (pain.002, XML)"),
        help_text=_("Le fichier de statut que la banque renvoie : les prélèvements rejetés y sont lus."),
    )

    def clean_report(self):
        report = self.cleaned_data["report"]
        if report.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("Ce fichier dépasse 5 Mo : ce n'est pas un rapport pain.002."))
        return report


class VoidPaymentForm(StyledForm):
    reason = forms.CharField(
        label=_("Motif de l'annulation"),
        max_length=200,
        help_text=_("Par exemple : erreur de saisie du montant, chèque revenu impayé."),
    )


class PartialCreditForm(StyledForm):
    lines = forms.MultipleChoiceField(
        label=_("Lignes à reprendre"), required=False, widget=forms.CheckboxSelectMultiple
    )
    amount = EuroField(label=_("Ou un montant (€)"), required=False, min_value=Decimal("0.01"))
    reason = forms.CharField(label=_("Motif de l'avoir"), max_length=200)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [
            (
                line.pk,
                " – ".join(
                    part
                    for part in (
                        line.child_name,
                        line.date.strftime("%d/%m/%Y") if line.date else "",
                        line.label,
                        f"{line.amount:.2f} €".replace(".", ","),
                    )
                    if part
                ),
            )
            for line in lines
        ]

    def clean(self):
        data = super().clean()
        if bool(data.get("lines")) == (data.get("amount") is not None) and not self.errors:
            raise forms.ValidationError(_("Cochez des lignes à reprendre, ou indiquez un montant (pas les deux)."))
        return data


class RefundForm(StyledForm):
    amount = EuroField(label=_("Montant remboursé (€)"), min_value=Decimal("0.01"))
    refunded_on = forms.DateField(label=_("Remboursé le"), widget=DATE)
    method = forms.ChoiceField(
        label=_("Mode"),
        choices=[
            (PaymentMethod.TRANSFER, PaymentMethod.TRANSFER.label),
            (PaymentMethod.CASH, PaymentMethod.CASH.label),
        ],
    )
    reason = forms.CharField(label=_("Motif"), max_length=200)
