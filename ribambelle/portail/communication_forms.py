from django import forms
from django.utils.translation import gettext_lazy as _

from ribambelle.communication.attachments import MAX_ATTACHMENT_BYTES
from ribambelle.core.forms import StyledForm
from ribambelle.core.robot import RobotProofField

ATTACHMENT_HELP = _("Facultatif. PDF, JPEG ou PNG, 5 Mo au plus.")
ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"


class ContactStructureForm(StyledForm):
    """Seed 004's "Formulaire de contact"."""

    structure = forms.ModelChoiceField(
        label=_("Choisir le destinataire"), queryset=None, empty_label=_("— Choisissez la structure —")
    )
    subject = forms.CharField(label=_("Objet du message"), max_length=150)
    body = forms.CharField(label=_("Contenu du message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    attachment = forms.FileField(
        label=_("Pièce jointe"),
        required=False,
        help_text=ATTACHMENT_HELP,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    robot = RobotProofField()

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures
        self.fields["structure"].error_messages["invalid_choice"] = _("Choisissez le destinataire dans la liste.")

    def clean_attachment(self):
        attachment = self.cleaned_data.get("attachment")
        if attachment and attachment.size > MAX_ATTACHMENT_BYTES:
            raise forms.ValidationError(_("Le fichier joint dépasse 5 Mo : réduisez-le ou envoyez-le autrement."))
        return attachment


class FollowUpForm(StyledForm):
    body = forms.CharField(label=_("Votre message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    attachment = ContactStructureForm.base_fields["attachment"]
    robot = RobotProofField()

    clean_attachment = ContactStructureForm.clean_attachment


class EmailPreferenceForm(StyledForm):
    accepts_optional_emails = forms.BooleanField(
        label=_("Je souhaite recevoir par e-mail les informations non essentielles (actualités, animations…)"),
        required=False,
    )
