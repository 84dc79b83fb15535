"""Forms for documents: they collect and display; services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ribambelle.core.forms import StyledForm, StyledModelForm

from .files import ACCEPT_ATTRIBUTE, MAX_FILE_BYTES, MAX_PAGES
from .models import ACTIVITY_KINDS, DocumentType, PublishedDocument, RefusalReason

MAX_MB = MAX_FILE_BYTES // (1024 * 1024)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class RawFilesField(forms.Field):
    """Hands the uploaded files to the service untouched: the service checks their content."""

    widget = MultipleFileInput

    def clean(self, value):
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        return [item for item in value if item]


class RawFileField(RawFilesField):
    widget = forms.FileInput


class UploadForm(StyledForm):
    document_type = forms.ModelChoiceField(queryset=DocumentType.objects.none(), label=_("Document à transmettre"))
    photo = RawFileField(
        label=_("Prendre une photo du document"),
        required=False,
        help_text=_("Sur un téléphone ou une tablette, ouvre directement l'appareil photo."),
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    pages = RawFilesField(
        label=_("Ou choisir un ou plusieurs fichiers"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE, "multiple": True}),
    )

    def __init__(self, *args, types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document_type"].queryset = types
        self.fields["document_type"].empty_label = _("Choisissez le document")
        self.fields["pages"].help_text = _(
            "PDF, JPEG, PNG ou HEIC (photo d'iPhone) ; %(mb)s Mo au plus par fichier, %(pages)s fichiers au plus. "
            "Une photo par page si le document en a plusieurs."
        ) % {"mb": MAX_MB, "pages": MAX_PAGES}

    @property
    def uploads(self) -> list:
        return list(self.cleaned_data.get("photo") or []) + list(self.cleaned_data.get("pages") or [])


class StaffUploadForm(UploadForm):
    person = forms.TypedChoiceField(label=_("Pour"), coerce=int, empty_value=0)
    field_order = ["person", "document_type", "photo", "pages"]

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(0, _("La famille"))] + [
            (member.pk, f"{member.first_name} {member.last_name} ({member.get_role_display().lower()})")
            for member in members
        ]


class AcceptForm(StyledForm):
    expires_on = forms.DateField(
        label=_("Valable jusqu'au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Vide : la validité du type (fin d'année scolaire, nombre de mois, ou permanent)."),
    )


class RefuseForm(StyledForm):
    reason = forms.ChoiceField(label=_("Motif du refus"), choices=RefusalReason.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Précision pour la famille"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire pour « Autre raison ». La famille la lit dans son espace et dans l'e-mail."),
    )


class DocumentTypeForm(StyledModelForm):
    activity_kinds = forms.MultipleChoiceField(
        label=_("Exigé pour les activités de type"),
        choices=ACTIVITY_KINDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    blank_form = RawFileField(
        label=_("Formulaire vierge à télécharger (facultatif)"),
        required=False,
        help_text=_("PDF, JPEG ou PNG."),
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )

    class Meta:
        model = DocumentType
        fields = [
            "name",
            "scope",
            "validity",
            "validity_months",
            "is_mandatory",
            "activity_kinds",
            "is_health",
            "instructions",
            "reminder_days",
            "is_active",
        ]
        widgets = {"instructions": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        data = super().clean()
        if data.get("validity") == "months" and not data.get("validity_months"):
            self.add_error("validity_months", _("Indiquez la durée de validité en mois."))
        return data


class PublishedDocumentForm(StyledModelForm):
    upload = RawFileField(
        label=_("Fichier"),
        required=False,
        help_text=_("PDF, JPEG ou PNG, 10 Mo au plus."),
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )

    class Meta:
        model = PublishedDocument
        fields = [
            "title",
            "description",
            "category",
            "structure",
            "visibility",
            "published_from",
            "published_until",
            "to_return",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "published_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "published_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        from ribambelle.tenancy.models import Structure

        self.fields["structure"].queryset = Structure.objects.filter(organisation=organisation)
        self.fields["structure"].empty_label = _("L'organisation")
        self.fields["to_return"].queryset = DocumentType.objects.filter(organisation=organisation, is_active=True)
        self.fields["to_return"].empty_label = _("Non, document à consulter seulement")
        if not self.instance.pk:
            self.initial.setdefault("published_from", timezone.localdate())
