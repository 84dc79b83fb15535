"""Forms of the family file, shared by the portal and the back office. They validate and
display; the rules (moderation, consent, same family) live in services.py."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ribambelle.core.forms import StyledForm, StyledModelForm
from ribambelle.core.versioning import ReadValuesMixin

from .models import AuthorisedPerson, Family, HealthRecord, Person, Vaccination
from .moderation import all_keys
from .selectors import diets_for_form

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FamilyFormBase(ReadValuesMixin, StyledModelForm):
    """Edits carry the values they were read at (core/versioning.py): no lost updates."""


class FamilyContactForm(FamilyFormBase):
    """What a family edits about its household."""

    class Meta:
        model = Family
        fields = [
            "name",
            "address_line",
            "address_line_2",
            "postal_code",
            "city",
            "phone",
            "phone_2",
            "email",
            "email_notifications",
            "email_invoices",
        ]
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "phone_2": forms.TextInput(attrs={"type": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "postal_code": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
            "address_line": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line_2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
        }


class FamilyStaffForm(FamilyContactForm):
    class Meta(FamilyContactForm.Meta):
        fields = FamilyContactForm.Meta.fields + [
            "family_quotient",
            "family_quotient_date",
            "family_quotient_source",
            "allocataire_number",
            "payer_civility",
            "payer_last_name",
            "payer_first_name",
            "debtor_category",
        ]
        widgets = {**FamilyContactForm.Meta.widgets, "family_quotient_date": DATE_WIDGET}


class FamilyCreateForm(FamilyContactForm):
    adult_first_name = forms.CharField(label=_("Prénom du responsable légal"), max_length=120)
    adult_last_name = forms.CharField(label=_("Nom du responsable légal"), max_length=120)
    adult_email = forms.EmailField(label=_("E-mail du responsable légal"), required=False)
    adult_phone = forms.CharField(label=_("Téléphone du responsable légal"), max_length=30, required=False)
    adult_birth_date = forms.DateField(
        label=_("Date de naissance du responsable légal"), required=False, widget=DATE_WIDGET
    )

    class Meta(FamilyContactForm.Meta):
        fields = ["name", "address_line", "address_line_2", "postal_code", "city", "phone", "email"]

    def adult_values(self) -> dict:
        return {
            "first_name": self.cleaned_data["adult_first_name"],
            "last_name": self.cleaned_data["adult_last_name"],
            "email": self.cleaned_data["adult_email"],
            "phone": self.cleaned_data["adult_phone"],
            "birth_date": self.cleaned_data["adult_birth_date"],
        }

    def clean_adult_birth_date(self):
        return _check_birth_date(self.cleaned_data.get("adult_birth_date"))


def _check_birth_date(value):
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("La date de naissance ne peut pas être dans le futur."))
    if value and value.year < 1900:
        raise forms.ValidationError(_("Vérifiez l'année de naissance."))
    return value


class AdultForm(FamilyFormBase):
    class Meta:
        model = Person
        fields = [
            "first_name",
            "last_name",
            "birth_date",
            "sex",
            "relationship",
            "phone",
            "work_phone",
            "email",
            "occupation",
            "employer",
        ]
        widgets = {
            "birth_date": DATE_WIDGET,
            "phone": forms.TextInput(attrs={"type": "tel"}),
            "work_phone": forms.TextInput(attrs={"type": "tel"}),
        }

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relationship"].help_text = _("Par exemple : mère, père, tuteur.")

    def clean_birth_date(self):
        return _check_birth_date(self.cleaned_data.get("birth_date"))


class ChildForm(FamilyFormBase):
    class Meta:
        model = Person
        fields = [
            "first_name",
            "last_name",
            "birth_date",
            "sex",
            "school",
            "school_level",
            "diets",
            "diet_notes",
            "care_recommendations",
            "image_rights",
            "may_leave_alone",
            "transport_allowed",
        ]
        widgets = {
            "birth_date": DATE_WIDGET,
            "diets": forms.CheckboxSelectMultiple,
            "care_recommendations": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["birth_date"].required = True
        self.fields["diets"].queryset = diets_for_form(organisation, self.instance)
        self.fields["diets"].help_text = _("Cochez les régimes à respecter au repas.")
        self.fields["care_recommendations"].help_text = _(
            "Ce que l'équipe doit savoir pour bien s'occuper de votre enfant (sieste, doudou, lunettes…)."
        )

    def clean_birth_date(self):
        return _check_birth_date(self.cleaned_data.get("birth_date"))

    def values(self) -> dict:
        values = dict(self.cleaned_data)
        values["diets"] = list(values.get("diets") or [])
        return values


class AuthorisedPersonForm(FamilyFormBase):
    class Meta:
        model = AuthorisedPerson
        fields = ["first_name", "last_name", "relationship", "phone", "phone_2", "may_pick_up", "emergency_contact"]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel"}), "phone_2": forms.TextInput(attrs={"type": "tel"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relationship"].help_text = _("Par exemple : grand-mère, voisin, oncle.")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("may_pick_up") and not cleaned.get("emergency_contact"):
            raise forms.ValidationError(
                _("Cochez au moins une autorisation : venir chercher l'enfant ou être appelé en cas d'urgence.")
            )
        return cleaned


class HealthRecordForm(FamilyFormBase):
    class Meta:
        model = HealthRecord
        fields = ["allergies", "has_pai", "pai_details", "doctor_name", "doctor_phone", "medical_notes", "swimming"]
        widgets = {
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "pai_details": forms.Textarea(attrs={"rows": 3}),
            "medical_notes": forms.Textarea(attrs={"rows": 3}),
            "doctor_phone": forms.TextInput(attrs={"type": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allergies"].help_text = _("Alimentaires, médicamenteuses, autres. Laissez vide s'il n'y en a pas.")
        self.fields["medical_notes"].help_text = _("Traitement en cours, asthme, lunettes, appareil dentaire…")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("has_pai") and not (cleaned.get("pai_details") or "").strip():
            self.add_error("pai_details", _("Décrivez le PAI : traitement, protocole en cas de crise."))
        return cleaned


class VaccinationForm(StyledModelForm):
    class Meta:
        model = Vaccination
        fields = ["vaccine", "date"]
        widgets = {"date": DATE_WIDGET}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vaccine"].help_text = _("Par exemple : DTP (diphtérie, tétanos, polio), ROR.")
        self.fields["date"].label = _("Date du dernier rappel")

    def clean_date(self):
        value = self.cleaned_data.get("date")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("La date de vaccination ne peut pas être dans le futur."))
        return value


class RefuseForm(StyledForm):
    reason = forms.CharField(
        label=_("Motif du refus (envoyé à la famille)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": _("Indiquez le motif du refus : il est envoyé à la famille.")},
    )


class FamilySettingsForm(StyledForm):
    moderated = forms.MultipleChoiceField(
        label=_("Données soumises à modération"),
        choices=all_keys,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Les modifications cochées attendent votre validation ; les autres s'appliquent aussitôt."),
    )
    diets = forms.CharField(
        label=_("Régimes alimentaires proposés (un par ligne)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
    )


class EraseForm(StyledForm):
    confirm_name = forms.CharField(label=_("Pour confirmer, recopiez le nom de la famille"), max_length=150)
    reason = forms.CharField(label=_("Motif (gardé dans le journal d'audit)"), max_length=200)

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.family = family

    def clean_confirm_name(self):
        value = self.cleaned_data["confirm_name"].strip()
        if value.casefold() != self.family.name.casefold():
            raise forms.ValidationError(_("Le nom recopié ne correspond pas au nom de la famille."))
        return value


class ImportUploadForm(StyledForm):
    ENCODINGS = [
        ("auto", _("Détection automatique (UTF-8 ou Windows-1252)")),
        ("utf-8", _("UTF-8")),
        ("cp1252", _("Windows-1252 (Excel sous Windows)")),
    ]
    file = forms.FileField(
        label=_("Fichier CSV"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": _("Choisissez le fichier CSV à importer.")},
    )
    encoding = forms.ChoiceField(label=_("Encodage du fichier"), choices=ENCODINGS, initial="auto")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError(_("Le fichier dépasse 2 Mo : découpez-le en plusieurs fichiers."))
        return upload
