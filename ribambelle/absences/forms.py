"""Forms of the absence pages: they validate and display; the services decide (and check the file)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ribambelle.core.forms import StyledForm, StyledModelForm
from ribambelle.documents.files import ACCEPT_ATTRIBUTE
from ribambelle.documents.forms import RawFileField

from .models import AbsenceReason, AbsenceRule


def _certificate_field(*, required: bool) -> RawFileField:
    return RawFileField(
        label=_("Certificat (photo ou PDF)") if required else _("Certificat (photo ou PDF, facultatif)"),
        required=required,
        help_text=_("Sur un téléphone, ouvre l'appareil photo. PDF, JPEG, PNG ou HEIC ; 10 Mo au plus."),
        # `capture` opens the camera on phones; the documents app checks the file's content.
        widget=forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE, "capture": "environment"}),
    )


class ReportForm(StyledForm):
    reason = forms.ChoiceField(
        label=_("Motif"), choices=AbsenceReason.choices, initial=AbsenceReason.ILLNESS, widget=forms.RadioSelect
    )
    certificate = _certificate_field(required=False)


class CertificateForm(StyledForm):
    certificate = _certificate_field(required=True)


class RuleForm(StyledModelForm):
    charge_late_cancellations = forms.BooleanField(
        label=_("facturer les annulations hors délai"),
        required=False,
        help_text=_("Une réservation annulée par le service après le délai."),
    )

    class Meta:
        model = AbsenceRule
        fields = ["certificate_days", "charge_justified", "charge_unjustified"]


class WaiveForm(StyledForm):
    reason = forms.CharField(
        label=_("Motif de la remise"),
        max_length=200,
        help_text=_("Repris sur l'avoir envoyé à la famille."),
    )
