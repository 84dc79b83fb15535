from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ribambelle.activities.models import Group
from ribambelle.communication.models import Banner, MailingScope, NewsItem, ThreadStatus
from ribambelle.core.forms import StyledForm, StyledModelForm

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _datetime_widget():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


class NewsForm(StyledModelForm):
    structures = forms.ModelMultipleChoiceField(
        label=_("Seulement les familles de ces structures"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("Pour « Familles connectées » : aucune case cochée = toutes les familles."),
    )

    class Meta:
        model = NewsItem
        fields = ["title", "date", "body", "audience", "publish_from", "publish_until"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "body": forms.Textarea(attrs={"rows": 5}),
            "publish_from": _datetime_widget(),
            "publish_until": _datetime_widget(),
        }
        help_texts = {
            "body": _(
                "Texte simple : les retours à la ligne et les adresses web sont conservés, aucune mise en forme "
                "HTML n'est interprétée."
            ),
        }

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structures"].queryset = structures
        if self.instance.pk:
            self.fields["structures"].initial = list(self.instance.structures.values_list("pk", flat=True))
        else:
            self.fields["date"].initial = timezone.localdate()
            self.fields["publish_from"].initial = timezone.localtime().replace(second=0, microsecond=0)
        for name in ("publish_from", "publish_until"):
            self.fields[name].input_formats = [DATETIME_FORMAT]

    def domain_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class BannerForm(StyledModelForm):
    class Meta:
        model = Banner
        fields = ["text", "publish_from", "publish_until"]
        widgets = {"publish_from": _datetime_widget(), "publish_until": _datetime_widget()}
        help_texts = {"text": _("Une phrase courte (200 caractères au plus), lisible sur un téléphone.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["publish_from"].initial = timezone.localtime().replace(second=0, microsecond=0)
        for name in ("publish_from", "publish_until"):
            self.fields[name].input_formats = [DATETIME_FORMAT]

    def domain_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ReplyForm(StyledForm):
    body = forms.CharField(label=_("Votre réponse"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    handled = forms.BooleanField(label=_("Marquer la demande comme traitée"), required=False, initial=True)


class ThreadStatusForm(StyledForm):
    status = forms.ChoiceField(label=_("Statut"), choices=ThreadStatus.choices)


class MassMailingForm(StyledForm):
    scope = forms.ChoiceField(
        label=_("Destinataires"),
        choices=MailingScope.choices,
        widget=forms.RadioSelect,
        initial=MailingScope.STRUCTURES,
    )
    structures = forms.ModelMultipleChoiceField(
        label=_("Structures"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Groupes d'activité"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("Cochez tous les groupes d'une activité pour écrire à toutes ses familles."),
    )
    subject = forms.CharField(label=_("Objet"), max_length=150)
    body = forms.CharField(
        label=_("Message"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Texte simple : les retours à la ligne et les adresses web sont conservés."),
    )
    essential = forms.BooleanField(
        label=_(
            "Information indispensable (fermeture, sécurité, changement d'horaires…) : l'envoyer aussi aux "
            "familles qui ont refusé les informations non essentielles"
        ),
        required=False,
    )

    def __init__(self, *args, structures, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structures"].queryset = structures
        self.fields["groups"].queryset = groups if groups is not None else Group.objects.none()
        self.fields["groups"].label_from_instance = lambda group: f"{group.activity.name} – {group.name}"

    def clean(self):
        data = super().clean()
        if data.get("scope") == MailingScope.STRUCTURES and not data.get("structures"):
            self.add_error("structures", _("Cochez au moins une structure."))
        if data.get("scope") == MailingScope.GROUPS and not data.get("groups"):
            self.add_error("groups", _("Cochez au moins un groupe d'activité."))
        return data


class EmailOverrideForm(StyledForm):
    subject = forms.CharField(label=_("Objet"), max_length=200)
    body = forms.CharField(label=_("Texte"), max_length=5000, widget=forms.Textarea(attrs={"rows": 12}))


class LinkFamilyForm(StyledForm):
    family = forms.ModelChoiceField(label=_("Famille"), queryset=None, empty_label=_("— Choisissez la famille —"))

    def __init__(self, *args, families, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["family"].queryset = families
