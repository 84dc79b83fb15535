"""The family's history ("Historique de mes actions") as codes: each entry stores an action code
and its data (names, numbers, dates, choice codes); the sentence is made when the entry is shown,
in the reader's language. Writers call `services.log_family_action(action=<code>, data={…})`;
a test checks every code written has its sentence here.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from ribambelle.core.wording import of, of_organisation

# An entry written before codes existed and that the migration could not read: shown as written.
LEGACY = "legacy"

SENTENCES = {
    # Account
    "invitation": _("Invitation à activer l'Espace Famille envoyée à %(email)s"),
    "activation": _("Compte activé et premier mot de passe créé"),
    "login": _("Connexion"),
    "login_remembered": _("Connexion (rester connecté)"),
    "login_franceconnect": _("Connexion avec FranceConnect"),
    "franceconnect_linked": _("Identité FranceConnect liée au compte : %(person)s"),
    "franceconnect_unlinked": _("Identité FranceConnect déliée du compte : %(person)s"),
    "login_failed": _("Tentative de connexion échouée sur le compte %(email)s"),
    "password_reset": _("Mot de passe réinitialisé par e-mail"),
    "password_changed": _("Mot de passe modifié"),
    "email_change_requested": _("Demande de changement d'e-mail vers %(email)s (confirmation envoyée)"),
    "email_changed": _("E-mail de connexion modifié : %(old)s → %(new)s"),
    "consent_personal_given": _("Consentement données personnelles donné (texte v%(version)s)"),
    "consent_personal_withdrawn": _("Consentement données personnelles retiré (texte v%(version)s)"),
    "consent_health_given": _("Consentement données sanitaires donné (texte v%(version)s)"),
    "consent_health_withdrawn": _("Consentement données sanitaires retiré (texte v%(version)s)"),
    "data_export": _("Export de nos données (RGPD)"),
    "email_preference_accepted": _("Informations non essentielles par e-mail : acceptées"),
    "email_preference_refused": _("Informations non essentielles par e-mail : refusées"),
    # Family file
    "family_created": _("Dossier famille créé"),
    "family_import": _("Dossier créé par import"),
    "child_added": _("Enfant ajouté : %(person)s"),
    "adult_added": _("Responsable légal ajouté : %(person)s"),
    "person_removed": _("%(person)s retiré"),
    "child_add_requested": _("Ajout de l'enfant %(person)s envoyé en modération"),
    "authorised_add_requested": _("Ajout de la personne autorisée %(person)s envoyé en modération"),
    "authorised_added": _("Personne autorisée ajoutée : %(person)s"),
    "authorised_remove_requested": _("Retrait de la personne autorisée %(person)s envoyé en modération"),
    "authorised_removed": _("Personne autorisée retirée : %(person)s"),
    "health_updated": _("Informations sanitaires %(of_child)s mises à jour"),
    "vaccination_added": _("Vaccination ajoutée pour %(child)s"),
    "vaccination_removed": _("Vaccination retirée pour %(child)s"),
    "health_erased": _("Informations sanitaires effacées (consentement retiré)"),
    "family_change": _("%(subject)s modifié : %(changes)s"),
    "change_requested": _("Modification envoyée en modération (%(subject)s) : %(changes)s"),
    "change_request_updated": _("Demande mise à jour (%(subject)s) : %(changes)s"),
    "change_withdrawn": _("Demande retirée : %(subject)s"),
    "change_accepted": _("Modification acceptée par le service : %(subject)s"),
    "change_refused": _("Modification refusée par le service : %(subject)s (motif : %(reason)s)"),
    # Registrations and bookings
    "registration_requested": _("Demande d'inscription %(of_child)s à « %(activity)s » (%(group)s)"),
    "registration_automatic": _("Inscription %(of_child)s à « %(activity)s » (%(group)s)"),
    "registration_by_staff": _("Inscription %(of_child)s à « %(activity)s » par le service"),
    "registration_accepted": _("Inscription %(of_child)s à « %(activity)s » acceptée"),
    "registration_refused": _("Inscription %(of_child)s à « %(activity)s » refusée (%(refusal)s)"),
    "registration_withdrawn": _("Demande d'inscription %(of_child)s à « %(activity)s » retirée"),
    "registration_cancelled_by_staff": _("Inscription %(of_child)s à « %(activity)s » annulée par le service"),
    "bookings_changed": _("Réservations %(of_child)s : %(summary)s"),
    "bookings_changed_by_staff": _("Réservations %(of_child)s par le service : %(summary)s"),
    "waiting_list_accepted": _("Place acceptée sur liste d'attente : %(unit)s du %(date)s"),
    "absence_reported": _("Absence signalée %(of_child)s : %(unit)s du %(date)s"),
    "absence_certificate": _("Certificat envoyé pour l'absence %(of_child)s du %(date)s"),
    # Documents
    "document_sent": ngettext_lazy(
        "Document envoyé : %(document)s (%(files)s fichier)",
        "Document envoyé : %(document)s (%(files)s fichiers)",
        "files",
    ),
    "document_sent_for": ngettext_lazy(
        "Document envoyé pour %(person)s : %(document)s (%(files)s fichier)",
        "Document envoyé pour %(person)s : %(document)s (%(files)s fichiers)",
        "files",
    ),
    "document_deposited_by_staff": _("Document déposé par le service : %(document)s"),
    "document_deposited_by_staff_for": _("Document déposé par le service pour %(person)s : %(document)s"),
    "document_accepted": _("Document accepté : %(document)s"),
    "document_refused": _("Document refusé : %(document)s (%(document_refusal)s)"),
    # Messages
    "message_sent": _("Message envoyé à %(structure)s : %(subject)s"),
    "message_reply": _("Réponse %(of_structure)s à votre message : %(subject)s"),
    # Billing and payments
    "credit_note": _("Avoir %(credit_note)s annulant la facture %(invoice)s"),
    "payment_recorded": _("Règlement %(receipt)s de %(amount)s (%(method)s)"),
    "invoice_reminder": _("Relance des factures impayées"),
    "sepa_mandate": _("Mandat de prélèvement %(rum)s enregistré"),
    "sepa_rejected": _("Prélèvement de la facture %(invoice)s rejeté par la banque (%(reason)s)"),
    "payment_voided": _("Règlement %(receipt)s de %(amount)s annulé"),
    "partial_credit_note": _("Avoir %(credit_note)s de %(amount)s sur la facture %(invoice)s"),
    "invoice_download": _("Téléchargement de la facture %(invoice)s"),
    "receipt_download": _("Téléchargement du reçu %(receipt)s"),
    "online_payment_start": _("Paiement en ligne de la facture %(invoice)s commencé (%(amount)s)"),
    "online_payment_failed": _("Paiement en ligne de la facture %(invoice)s non abouti"),
}


def sentence(action: str, data: dict | None) -> str:
    """The entry in the reader's language (the active translation)."""
    data = data or {}
    template = SENTENCES.get(action)
    if template is None:
        return str(data.get("text", ""))  # LEGACY, or a code this version no longer writes
    values = {key: _in_words(key, value, data) for key, value in data.items()}
    # "d'Emma", "de l'Accueil de loisirs…": the preposition agrees with the name (core.wording).
    if "child" in values:
        values["of_child"] = of(values["child"])
    if "structure" in values:
        values["of_structure"] = of_organisation(str(values["structure"]))
    try:
        return str(template % values)  # a lazy plural needs its number: formatted before str()
    except (KeyError, ValueError, TypeError):
        return str(data.get("text", "")) or str(template)


def _in_words(key: str, value, data: dict):
    words = _WORDS.get(key)
    if words is None:
        return value
    try:
        return words(value, data)
    except (ValueError, TypeError, InvalidOperation, LookupError):
        return value  # an older shape: shown as recorded


def _amount(value, data) -> str:
    from ribambelle.core.formats import format_euros

    return format_euros(Decimal(str(value)))


def _day(value, data) -> str:
    from ribambelle.core.dates import shown_date

    return shown_date(date.fromisoformat(str(value)))


def _choice(model: str, field: str):
    def label(value, data) -> str:
        if not value:
            return ""  # gettext("") would answer the catalogue's header
        choices = dict(apps.get_model(model)._meta.get_field(field).flatchoices)
        return str(choices[value]) if value in choices else gettext(str(value))

    return label


def _refusal(value, data) -> str:
    """A registration refusal: the reason's label, then the staff's own words."""
    parts = [_choice("registrations.Registration", "refusal_reason")(value, data)] if value else []
    if data.get("refusal_text"):
        parts.append(data["refusal_text"])
    return " – ".join(parts)


def _document_refusal(value, data) -> str:
    label = _choice("documents.SubmittedDocument", "refusal_reason")(value, data)
    note = data.get("note", "")
    return f"{label} : {note}" if label and note else label or note


def _summary(value, data) -> str:
    counts = value or {}
    parts = []
    if counts.get("booked"):
        parts.append(ngettext("%(n)s réservé", "%(n)s réservés", counts["booked"]) % {"n": counts["booked"]})
    if counts.get("waitlisted"):
        n = counts["waitlisted"]
        parts.append(ngettext("%(n)s en liste d'attente", "%(n)s en liste d'attente", n) % {"n": n})
    if counts.get("cancelled"):
        parts.append(ngettext("%(n)s annulé", "%(n)s annulés", counts["cancelled"]) % {"n": counts["cancelled"]})
    return ", ".join(parts)


def _changes(value, data) -> str:
    """[{field, model, label, old, new}] → "téléphone : 06… → 07…", field names in the reader's language."""
    if isinstance(value, str):
        return value  # a legacy entry's text
    return " ; ".join(f"{_field_label(change)} : {change.get('old', '')} → {change.get('new', '')}" for change in value)


def _field_label(change: dict) -> str:
    try:
        return capfirst(apps.get_model(change["model"])._meta.get_field(change["field"]).verbose_name)
    except (KeyError, LookupError, ValueError, FieldDoesNotExist):
        return gettext(change.get("label", "")) if change.get("label") else change.get("field", "")


_WORDS = {
    "amount": _amount,
    "date": _day,
    "method": _choice("billing.Payment", "method"),
    "refusal": _refusal,
    "document_refusal": _document_refusal,
    "summary": _summary,
    "changes": _changes,
}


def change_list(obj_class, changes: dict) -> list[dict]:
    """The data of a family-file change: field names (their label is read at display time) and
    the values as shown when the change was made."""
    model = obj_class._meta.label_lower
    return [
        {"model": model, "field": name, "label": str(c["label"]), "old": str(c["old"]), "new": str(c["new"])}
        for name, c in changes.items()
    ]
