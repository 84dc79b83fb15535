from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ribambelle.core.forms import StyledForm, StyledModelForm
from ribambelle.portail.branding import contrast_ratio
from ribambelle.tenancy.models import Organisation, Sector, Structure
from ribambelle.tenancy.roles import Role

MAX_LOGO_BYTES = 1024 * 1024


class OrganisationForm(StyledModelForm):
    website = forms.URLField(label=_("site internet"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = [
            "name",
            "short_name",
            "article",
            "logo",
            "primary_colour",
            "contact_email",
            "phone",
            "postal_address",
            "website",
            "time_zone",
            "contact_guidance",
            "legal_notice",
            "gdpr_controller",
            "gdpr_contact_email",
            "gdpr_retention_years",
            "gdpr_text",
            "staff_requires_2fa",
            "accessibility_status",
            "accessibility_updated_on",
            "accessibility_audit",
            "accessibility_issues",
            "accessibility_contact_email",
        ]
        widgets = {
            "accessibility_audit": forms.Textarea(attrs={"rows": 3}),
            "accessibility_updated_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "accessibility_issues": forms.Textarea(attrs={"rows": 4}),
            "primary_colour": forms.TextInput(attrs={"type": "color"}),
            "postal_address": forms.Textarea(attrs={"rows": 3}),
            "legal_notice": forms.Textarea(attrs={"rows": 6}),
            "contact_guidance": forms.Textarea(attrs={"rows": 8}),
            "gdpr_text": forms.Textarea(attrs={"rows": 6}),
            "logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left out of a post (an older form, a script), the statement's status stays what it was.
        self.fields["accessibility_status"].required = False

    def clean_accessibility_status(self):
        return self.cleaned_data["accessibility_status"] or self.instance.accessibility_status

    def clean_primary_colour(self):
        colour = self.cleaned_data["primary_colour"].lower()
        # White text sits on this colour in the header and buttons: keep WCAG AA (4.5:1).
        if len(colour) == 7 and contrast_ratio(colour, "#ffffff") < 4.5:
            raise ValidationError(
                _(
                    "Cette couleur est trop claire : le texte blanc y serait illisible (contraste %(ratio).1f:1, "
                    "4,5:1 minimum). Choisissez une teinte plus foncée."
                ),
                params={"ratio": contrast_ratio(colour, "#ffffff")},
            )
        return colour

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "size") and logo.size > MAX_LOGO_BYTES:
            raise ValidationError(_("Le logo dépasse 1 Mo : réduisez-le avant de l'envoyer."))
        if logo and hasattr(logo, "image") and getattr(logo.image, "format", "") not in {"PNG", "JPEG", "WEBP"}:
            raise ValidationError(_("Le logo doit être une image PNG, JPEG ou WebP."))
        return logo


class StructureForm(StyledModelForm):
    age_min_years = forms.IntegerField(label=_("Âge minimum (ans)"), min_value=0, max_value=25, required=False)
    age_min_extra_months = forms.IntegerField(label=_("et mois"), min_value=0, max_value=11, required=False)
    age_max_years = forms.IntegerField(label=_("Âge maximum (ans)"), min_value=0, max_value=25)
    age_max_extra_months = forms.IntegerField(label=_("et mois"), min_value=0, max_value=11, required=False)

    class Meta:
        model = Structure
        fields = ["name", "kind", "sector", "address", "email", "phone", "phone_2", "description", "is_active"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = Sector.objects.filter(organisation=organisation)
        self.fields["sector"].empty_label = _("— Aucun —")
        if self.instance.pk:
            self.initial.update(
                age_min_years=self.instance.age_min_months // 12,
                age_min_extra_months=self.instance.age_min_months % 12,
                age_max_years=self.instance.age_max_months // 12,
                age_max_extra_months=self.instance.age_max_months % 12,
            )
        else:
            self.initial.setdefault("age_min_years", 3)
            self.initial.setdefault("age_max_years", 12)

    def clean(self):
        cleaned = super().clean()
        low = (cleaned.get("age_min_years") or 0) * 12 + (cleaned.get("age_min_extra_months") or 0)
        high = (cleaned.get("age_max_years") or 0) * 12 + (cleaned.get("age_max_extra_months") or 0)
        if "age_max_years" in cleaned and low > high:
            self.add_error("age_max_years", _("L'âge maximum doit être supérieur ou égal à l'âge minimum."))
        cleaned["age_min_months"], cleaned["age_max_months"] = low, high
        return cleaned

    def domain_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["age_min_months"] = self.cleaned_data["age_min_months"]
        data["age_max_months"] = self.cleaned_data["age_max_months"]
        return data


class SectorForm(StyledModelForm):
    class Meta:
        model = Sector
        fields = ["name"]


class StaffInviteForm(StyledForm):
    email = forms.EmailField(label=_("E-mail"))
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices)
    structures = forms.ModelMultipleChoiceField(
        label=_("Limiter à ces structures"),
        queryset=Structure.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Laissez vide pour donner accès à toutes les structures."),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structures"].queryset = Structure.objects.filter(organisation=organisation)


class StaffEditForm(StyledForm):
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices)
    structures = forms.ModelMultipleChoiceField(
        label=_("Limiter à ces structures"),
        queryset=Structure.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Laissez vide pour donner accès à toutes les structures."),
    )
    is_active = forms.BooleanField(label=_("Compte actif"), required=False)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structures"].queryset = Structure.objects.filter(organisation=organisation)
