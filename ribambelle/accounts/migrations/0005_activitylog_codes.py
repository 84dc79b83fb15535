"""The family history stores an action code and its data instead of a French sentence.

Entries written before are read back from the sentence shapes the code used to write; a sentence
of no known shape is kept as a "legacy" entry that displays its text as is. Frozen here on purpose:
the patterns are those of the old writers, not of today's code.
"""

import re
from datetime import date

from django.db import migrations, models

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
METHODS = {
    "Chèque": "cheque",
    "Espèces": "cash",
    "Virement": "transfer",
    "Carte bancaire": "card",
    "Paiement en ligne": "online",
    "Prélèvement SEPA": "sepa",
    "CESU": "cesu",
    "Chèques-vacances ANCV": "ancv",
}
CHILD = r"(?P<child>.+?) à « (?P<activity>.+) »"

# (pattern, code or function of the match giving the code); the first that matches wins.
FIXED = {
    "Compte activé et premier mot de passe créé": "activation",
    "Connexion": "login",
    "Connexion (rester connecté)": "login_remembered",
    "Mot de passe réinitialisé par e-mail": "password_reset",
    "Mot de passe modifié": "password_changed",
    "Export de nos données (RGPD)": "data_export",
    "Informations non essentielles par e-mail : acceptées": "email_preference_accepted",
    "Informations non essentielles par e-mail : refusées": "email_preference_refused",
    "Dossier famille créé": "family_created",
    "Dossier créé par import": "family_import",
    "Informations sanitaires effacées (consentement retiré)": "health_erased",
    "Relance des factures impayées": "invoice_reminder",
}
PATTERNS = [
    (r"Invitation à activer l'Espace Famille envoyée à (?P<email>.+)", "invitation"),
    (r"Tentative de connexion échouée sur le compte (?P<email>.+)", "login_failed"),
    (r"Demande de changement d'e-mail vers (?P<email>.+) \(confirmation envoyée\)", "email_change_requested"),
    (r"E-mail de connexion modifié : (?P<old>.+) → (?P<new>.+)", "email_changed"),
    (r"Consentement données personnelles donné \(texte v(?P<version>\d+)\)", "consent_personal_given"),
    (r"Consentement données personnelles retiré \(texte v(?P<version>\d+)\)", "consent_personal_withdrawn"),
    (r"Consentement données sanitaires donné \(texte v(?P<version>\d+)\)", "consent_health_given"),
    (r"Consentement données sanitaires retiré \(texte v(?P<version>\d+)\)", "consent_health_withdrawn"),
    (r"Enfant ajouté : (?P<person>.+)", "child_added"),
    (r"Responsable légal ajouté : (?P<person>.+)", "adult_added"),
    (r"Ajout de l'enfant (?P<person>.+) envoyé en modération", "child_add_requested"),
    (r"Ajout de la personne autorisée (?P<person>.+) envoyé en modération", "authorised_add_requested"),
    (r"Personne autorisée ajoutée : (?P<person>.+)", "authorised_added"),
    (r"Retrait de la personne autorisée (?P<person>.+) envoyé en modération", "authorised_remove_requested"),
    (r"Personne autorisée retirée : (?P<person>.+)", "authorised_removed"),
    (r"Informations sanitaires de (?P<child>.+) mises à jour", "health_updated"),
    (r"Vaccination ajoutée pour (?P<child>.+)", "vaccination_added"),
    (r"Vaccination retirée pour (?P<child>.+)", "vaccination_removed"),
    (r"Modification envoyée en modération \((?P<subject>.+?)\) : (?P<changes>.*)", "change_requested"),
    (r"Demande mise à jour \((?P<subject>.+?)\) : (?P<changes>.*)", "change_request_updated"),
    (r"Demande retirée : (?P<subject>.+)", "change_withdrawn"),
    (r"Modification acceptée par le service : (?P<subject>.+)", "change_accepted"),
    (r"Modification refusée par le service : (?P<subject>.+) \(motif : (?P<reason>.*)\)", "change_refused"),
    (rf"Demande d'inscription de {CHILD} \((?P<group>[^()]*)\)", "registration_requested"),
    (rf"Demande d'inscription de {CHILD} retirée", "registration_withdrawn"),
    (rf"Inscription de {CHILD} \((?P<group>[^()]*)\)", "registration_automatic"),
    (rf"Inscription de {CHILD} par le service", "registration_by_staff"),
    (rf"Inscription de {CHILD} acceptée", "registration_accepted"),
    (rf"Inscription de {CHILD} refusée \((?P<refusal_text>.*)\)", "registration_refused"),
    (rf"Inscription de {CHILD} annulée par le service", "registration_cancelled_by_staff"),
    (r"Place acceptée sur liste d'attente : (?P<unit>.+) du \S+ (?P<day>\d+) (?P<month>\S+) (?P<year>\d{4})", "waiting"),
    (r"Réservations de (?P<child>.+?) par le service : (?P<summary>.*)", "bookings_changed_by_staff"),
    (r"Réservations de (?P<child>.+?) : (?P<summary>.*)", "bookings_changed"),
    (r"Document déposé par le service pour (?P<person>.+?) : (?P<document>.+)", "document_deposited_by_staff_for"),
    (r"Document déposé par le service : (?P<document>.+)", "document_deposited_by_staff"),
    (r"Document envoyé pour (?P<person>.+?) : (?P<document>.+) \((?P<files>\d+) fichier\(s\)\)", "document_sent_for"),
    (r"Document envoyé : (?P<document>.+) \((?P<files>\d+) fichier\(s\)\)", "document_sent"),
    (r"Document accepté : (?P<document>.+)", "document_accepted"),
    (r"Document refusé : (?P<document>.+) \((?P<note>.*)\)", "document_refused"),
    (r"Message envoyé à (?P<structure>.+?) : (?P<subject>.*)", "message_sent"),
    (r"Réponse de (?P<structure>.+?) à votre message : (?P<subject>.*)", "message_reply"),
    (r"Avoir (?P<credit_note>\S+) annulant la facture (?P<invoice>\S+)", "credit_note"),
    (r"Règlement (?P<receipt>\S+) de (?P<amount>[\d\s.,\u202f\xa0]+?)\s?€ \((?P<method>.+)\)", "payment_recorded"),
    (r"Mandat de prélèvement (?P<rum>.+) enregistré", "sepa_mandate"),
    (r"Téléchargement de la facture (?P<invoice>.+)", "invoice_download"),
    (r"Téléchargement du reçu (?P<receipt>.+)", "receipt_download"),
    (
        r"Paiement en ligne de la facture (?P<invoice>\S+) commencé \((?P<amount>[\d\s.,\u202f\xa0]+?)\s?€\)",
        "online_payment_start",
    ),
    (r"Paiement en ligne de la facture (?P<invoice>\S+) non abouti", "online_payment_failed"),
    (r"(?P<subject>.+?) modifié : (?P<changes>.*)", "family_change"),
    (r"(?P<person>.+) retiré", "person_removed"),
]
COMPILED = [(re.compile(pattern + r"\Z", re.DOTALL), code) for pattern, code in PATTERNS]


def _amount(text: str) -> str:
    return re.sub(r"[\s\u202f\xa0]", "", text).replace(",", ".")


def _count(summary: str, word: str) -> int:
    found = re.search(rf"(\d+) {word}", summary)
    return int(found.group(1)) if found else 0


def parse(text: str) -> tuple[str, dict]:
    """(code, data) of an old sentence; ("legacy", {"text": …}) when it has no known shape."""
    if text in FIXED:
        return FIXED[text], {}
    for pattern, code in COMPILED:
        found = pattern.match(text)
        if found is None:
            continue
        data = found.groupdict()
        if code == "waiting":
            month = MONTHS.index(data.pop("month")) + 1 if data.get("month") in MONTHS else None
            if month is None:
                break
            day = date(int(data.pop("year")), month, int(data.pop("day")))
            return "waiting_list_accepted", {"unit": data["unit"], "date": day.isoformat()}
        if code.startswith("bookings_changed"):
            summary = data["summary"]
            data["summary"] = {
                "booked": _count(summary, "réservé"),
                "waitlisted": _count(summary, "en liste d'attente"),
                "cancelled": _count(summary, "annulé"),
            }
        if code in ("payment_recorded", "online_payment_start"):
            data["amount"] = _amount(data["amount"])
        if code == "payment_recorded":
            if data["method"] not in METHODS:
                break
            data["method"] = METHODS[data["method"]]
        if code.startswith("document_sent"):
            data["files"] = int(data["files"])
        if code == "document_refused":
            data["document_refusal"] = ""
        if code == "registration_refused":
            data["refusal"] = ""
        return code, data
    return "legacy", {"text": text}


def to_codes(apps, schema_editor):
    ActivityLog = apps.get_model("accounts", "ActivityLog")
    batch = []
    for entry in ActivityLog.objects.only("id", "description").iterator(chunk_size=2000):
        entry.action, entry.data = parse(entry.description)
        batch.append(entry)
        if len(batch) >= 2000:
            ActivityLog.objects.bulk_update(batch, ["action", "data"])
            batch = []
    ActivityLog.objects.bulk_update(batch, ["action", "data"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_consent_user_index")]

    operations = [
        migrations.AddField(
            model_name="activitylog",
            name="data",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(to_codes, migrations.RunPython.noop),
        migrations.RemoveField(model_name="activitylog", name="description"),
    ]
