"""The family history ("Historique de mes actions") stores codes and data; the sentence is made in
the reader's language when shown (issue 15)."""

import ast
import importlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from ribambelle.accounts.consent import record_consents
from ribambelle.accounts.history import LEGACY, SENTENCES, sentence

from .conftest import client_for, page_text
from .factories import ActivityLogFactory

ROOT = Path(settings.BASE_DIR) / "ribambelle"


@pytest.fixture(autouse=True)
def _site_language_afterwards():
    # A request in English leaves English active in this thread: later tests expect French.
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _written_codes():
    """Every action code the code writes: literals, both sides of conditionals, f-string shapes."""
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = getattr(func, "id", None) or getattr(func, "attr", None)
            creates_log = name == "create" and "ActivityLog" in ast.unparse(func)
            if name != "log_family_action" and not creates_log:
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            assert "description" not in keywords, f"{path}:{node.lineno} writes a sentence, not a code"
            assert "action" in keywords, f"{path}:{node.lineno} writes no action code"
            for value in ast.walk(keywords["action"]):
                if isinstance(value, ast.JoinedStr):
                    shape = "".join(
                        re.escape(part.value) if isinstance(part, ast.Constant) else "[a-z_]+" for part in value.values
                    )
                    yield f"{path.name}:{node.lineno}", re.compile(shape + r"\Z")
                elif isinstance(value, ast.Constant) and isinstance(value.value, str):
                    if not any(isinstance(j, ast.JoinedStr) for j in ast.walk(keywords["action"])):
                        yield f"{path.name}:{node.lineno}", value.value


def test_every_code_written_has_a_sentence():
    written = list(_written_codes())
    assert len(written) > 40  # the scan does find the writers
    for where, code in written:
        if isinstance(code, str):
            assert code in SENTENCES, f"{where}: no sentence for {code!r}"
        else:
            assert any(code.match(known) for known in SENTENCES), f"{where}: no sentence for {code.pattern}"


@pytest.mark.django_db
def test_every_sentence_reads_with_its_data_in_french_and_english():
    data = {
        "email": "a@b.example",
        "old": "a@b.example",
        "new": "c@d.example",
        "version": 2,
        "person": "Léa MARTIN",
        "child": "Léa",
        "activity": "Mercredis",
        "group": "6-11 ans",
        "subject": "Famille MARTIN",
        "changes": [{"model": "families.family", "field": "phone", "label": "Téléphone", "old": "—", "new": "06"}],
        "reason": "illisible",
        "refusal": "full",
        "refusal_text": "",
        "summary": {"booked": 2, "waitlisted": 0, "cancelled": 1},
        "unit": "Journée",
        "date": "2023-07-10",
        "document": "Vaccins",
        "files": 2,
        "document_refusal": "",
        "note": "page manquante",
        "structure": "ALSH Bioule",
        "credit_note": "AV2026-000001",
        "invoice": "F2026-000001",
        "receipt": "R2026-000001",
        "amount": "12.50",
        "method": "cheque",
        "rum": "RUM-1",
    }
    for language in ("fr", "en"):
        with translation.override(language):
            for code in SENTENCES:
                text = sentence(code, data)
                assert text and "%(" not in text and "{" not in text, (language, code, text)
    with translation.override("fr"):
        assert sentence("payment_recorded", data) == "Règlement R2026-000001 de 12,50\xa0€ (Chèque)"
        assert sentence("bookings_changed", data) == "Réservations de Léa : 2 réservés, 1 annulé"
        assert (
            sentence("waiting_list_accepted", data)
            == "Place acceptée sur liste d'attente : Journée du lundi 10 juillet 2023"
        )
        assert sentence("family_change", data) == "Famille MARTIN modifié : Téléphone : — → 06"
    assert sentence(LEGACY, {"text": "Ancienne phrase"}) == "Ancienne phrase"


@pytest.mark.django_db
def test_the_history_page_reads_in_english_when_the_reader_chose_english(tenant_a):
    family = tenant_a.family_user.family
    ActivityLogFactory(organisation=tenant_a.organisation, family=family, action="password_changed")
    ActivityLogFactory(
        organisation=tenant_a.organisation, family=family, action=LEGACY, data={"text": "Phrase d'avant la migration"}
    )
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    client = client_for(tenant_a.family_user)
    french = page_text(client.get(tenant_a.url("historique/")))
    assert "Mot de passe modifié" in french and "Phrase d'avant la migration" in french
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = page_text(client.get(tenant_a.url("historique/")))
    assert "Password changed" in english and "Mot de passe modifié" not in english
    assert "Phrase d'avant la migration" in english  # a legacy entry shows as written


# Sentences the writers produced before codes (one of each shape), as stored in existing databases.
OLD_SENTENCES = [
    "Invitation à activer l'Espace Famille envoyée à julie@famille.example",
    "Compte activé et premier mot de passe créé",
    "Connexion (rester connecté)",
    "Tentative de connexion échouée sur le compte julie@famille.example",
    "E-mail de connexion modifié : a@b.example → c@d.example",
    "Consentement données sanitaires retiré (texte v3)",
    "Enfant ajouté : Léa MARTIN",
    "Personne autorisée retirée : Josette MARTIN",
    "Vaccination ajoutée pour Léa",
    "Modification refusée par le service : Famille MARTIN – coordonnées (motif : justificatif manquant)",
    "Modification envoyée en modération (Famille MARTIN) : Ville : Bioule → Nègrepelisse",
    "Famille MARTIN modifié : Téléphone : — → 06 12 34 56 78",
    "Demande d'inscription de Léa à « BIOULE vacances juillet 2027 » (PRIM 8-10 ans)",
    "Inscription de Léa à « Mercredis » refusée (Complet – plus de place)",
    "Document refusé : Vaccins (Illisible : page 2 floue)",
    "Message envoyé à Accueil de loisirs de Bioule : Absence d'Emma",
    "Avoir AV2026-000001 annulant la facture F2026-000004",
    "Mandat de prélèvement RUM-2026-0001 enregistré",
    "Paiement en ligne de la facture F2026-000004 non abouti",
    "Léa MARTIN retiré",
]
# Shapes whose wording improved with codes (plurals instead of "(s)").
OLD_TO_NEW = {
    "Document envoyé pour Léa : Vaccins (2 fichier(s))": "Document envoyé pour Léa : Vaccins (2 fichiers)",
    "Réservations de Léa par le service : 3 réservé(s), 1 en liste d'attente": (
        "Réservations de Léa par le service : 3 réservés, 1 en liste d'attente"
    ),
    "Règlement R2026-000002 de 1\u202f234,50\xa0€ (Chèques-vacances ANCV)": (
        "Règlement R2026-000002 de 1\u202f234,50\xa0€ (Chèques-vacances ANCV)"
    ),
    "Place acceptée sur liste d'attente : Journée du mercredi 9 juin 2027": (
        "Place acceptée sur liste d'attente : Journée du mercredi 9 juin 2027"
    ),
    # Elision before a vowel or a mute h (core.wording).
    "Inscription de Hugo à « Mercredis » annulée par le service": (
        "Inscription d'Hugo à « Mercredis » annulée par le service"
    ),
}


@pytest.mark.django_db
def test_the_migration_reads_old_sentences_back_to_codes():
    parse = importlib.import_module("ribambelle.accounts.migrations.0005_activitylog_codes").parse
    with translation.override("fr"):
        for text in OLD_SENTENCES:
            code, data = parse(text)
            assert code != LEGACY, text
            assert sentence(code, data) == text
        for old, new in OLD_TO_NEW.items():
            code, data = parse(old)
            assert code != LEGACY and sentence(code, data) == new, old
    assert parse("Une phrase d'une version inconnue") == (LEGACY, {"text": "Une phrase d'une version inconnue"})


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_turns_stored_sentences_into_codes(tenant_a):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("accounts", "0004_consent_user_index")], [("accounts", "0005_activitylog_codes")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldLog = old_apps.get_model("accounts", "ActivityLog")
    for text in ("Mot de passe modifié", "Vaccination ajoutée pour Léa", "Une phrase inconnue"):
        OldLog.objects.create(
            organisation_id=tenant_a.organisation.pk,
            family_id=tenant_a.family_user.family_id,
            action="x",
            description=text,
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)

    from ribambelle.accounts.models import ActivityLog

    rows = {log.action: log.data for log in ActivityLog.objects.filter(family=tenant_a.family_user.family)}
    assert rows == {
        "password_changed": {},
        "vaccination_added": {"child": "Léa"},
        LEGACY: {"text": "Une phrase inconnue"},
    }
