"""French first, English on request: the catalogue is complete, compiled, and chosen explicitly."""

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

from ribambelle.accounts.consent import record_consents

from .conftest import client_for, page_text

LOCALE = Path(settings.BASE_DIR) / "locale"
PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdif]|%[sdif]|\{[a-z_0-9]*\}")


def _entries():
    return [e for e in polib.pofile(str(PO)) if not e.obsolete]


def test_every_french_text_has_an_english_translation():
    entries = _entries()
    assert len(entries) > 1000
    missing = [e.msgid for e in entries if not e.translated() or "fuzzy" in e.flags]
    assert missing == []


def test_translations_keep_every_placeholder():
    wrong = []
    for entry in _entries():
        pairs = [(entry.msgid, entry.msgstr)]
        if entry.msgid_plural:
            pairs = [(entry.msgid_plural, text) for text in entry.msgstr_plural.values()]
        for source, translated in pairs:
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translated)):
                wrong.append((source, translated))
    assert wrong == []


def _compiled_text(compiled, entry):
    """An entry with a context (pgettext) is looked up with it: "de" as a preposition is not "de"."""
    return compiled.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else compiled.gettext(entry.msgid)


def test_the_compiled_catalogue_is_the_one_in_the_po_file():
    """`make messages` compiles it; a .po edited without recompiling would ship stale English."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [e.msgid for e in _entries() if not e.msgid_plural and _compiled_text(compiled, e) != e.msgstr]
    assert stale == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext n'est pas installé (make test l'installe)")
def test_no_text_of_the_code_is_missing_from_the_catalogue(tmp_path):
    """Run makemessages on a copy of the sources: a string marked in the code but absent from the
    .po (someone forgot `make messages`) would stay French for English readers."""
    base = Path(settings.BASE_DIR)
    for name in ("ribambelle", "templates", "locale"):
        shutil.copytree(base / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(base / "manage.py", tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    fresh = {e.msgid for e in polib.pofile(str(tmp_path / "locale/en/LC_MESSAGES/django.po")) if not e.obsolete}
    known = {e.msgid for e in _entries()}
    assert sorted(fresh - known) == []


def test_french_first_even_for_an_english_browser(client, tenant_a):
    response = client.get(tenant_a.url(""), follow=True, headers={"accept-language": "en-GB,en;q=0.9"})
    assert "Bienvenue dans votre Espace Famille" in page_text(response)
    assert response.headers["Content-Language"] == "fr"


def test_a_family_chooses_english_and_the_portal_follows(tenant_a):
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    client = client_for(tenant_a.family_user)
    page = tenant_a.url("compte/")
    response = client.post("/langue/", {"language": "en", "next": page})
    assert response.status_code == 302 and response.headers["Location"] == page
    english = client.get(tenant_a.url(""), follow=True)
    text = page_text(english)
    assert '<html lang="en">' in text and english.headers["Content-Language"] == "en"
    assert "Tableau de bord" not in text and "Dashboard" in text
    client.post("/langue/", {"language": "fr", "next": page})
    assert "Tableau de bord" in page_text(client.get(tenant_a.url(""), follow=True))


def test_an_unknown_language_or_foreign_next_changes_nothing_harmful(client, tenant_a):
    response = client.post("/langue/", {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code in (200, 302)
    assert response.headers.get("Location", "/") == "/"
    assert "Bienvenue" in page_text(client.get(tenant_a.url(""), follow=True))


def test_emails_stay_in_french_when_the_parent_reads_english(tenant_a):
    """The spec wants e-mails in French; labels passed to them (lazy translations) must not turn
    English because the request that queued them was."""
    from django.utils import translation

    from ribambelle.bookings.models import BookingStatus
    from ribambelle.communication.models import OutgoingEmail
    from ribambelle.outbox.services import queue_email

    with translation.override("en"):
        assert str(BookingStatus.BOOKED.label) == "Booked"
        queue_email(
            organisation=tenant_a.organisation,
            to="parent@example.org",
            template="booking_summary",
            context={"child": None, "booked": [BookingStatus.BOOKED.label], "user": tenant_a.family_user},
        )
    body = OutgoingEmail.objects.get().body_text
    assert "- Réservé" in body and "Booked" not in body
