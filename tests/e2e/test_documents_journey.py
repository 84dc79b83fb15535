"""The issue's journey: a parent sends the insurance certificate from a phone, a director accepts it."""

import re
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ribambelle.accounts.consent import record_consents
from ribambelle.documents import samples
from ribambelle.documents.models import school_year_label, school_year_start

from ..factories import PASSWORD, DocumentTypeFactory, FamilyUserFactory, MembershipFactory, OrganisationFactory
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quercy(db):
    organisation = OrganisationFactory(name="Communauté de communes Quercy Vert-Aveyron", slug="quercy")
    MembershipFactory(organisation=organisation, role="director", user__email="directrice@quercy.example")
    parent = FamilyUserFactory(organisation=organisation, email="julie.martin@famille.example", family__name="MARTIN")
    record_consents(user=parent, personal=True, health=True)
    DocumentTypeFactory(
        organisation=organisation,
        name="Assurance Responsabilité Civile",
        scope="family",
        validity="school_year",
        is_mandatory=True,
        instructions="L'attestation de l'année scolaire.",
    )
    return organisation


def test_parent_uploads_insurance_director_accepts(live_server, browser, page, quercy):
    base = live_server.url + "/quercy/"
    year = school_year_start(timezone.localdate())
    title = f"Assurance Responsabilité Civile {school_year_label(year)}"

    log_in(page, base, "julie.martin@famille.example", PASSWORD)
    page.wait_for_url(base)
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation").get_by_role("link", name="Mes documents").click()
    expect(page.get_by_role("heading", name="Mes documents", exact=True)).to_be_visible()
    assert page.get_by_text("1 document attendu ou en cours de traitement").is_visible()
    assert page.get_by_text(f"{title} obligatoire").is_visible()
    assert page.get_by_text("Aucun document transmis").is_visible()
    assert_accessible(page, context="mes documents")

    page.get_by_role("link", name=f"Transmettre {title}").click()
    expect(page.get_by_role("heading", name="Ajouter un document famille")).to_be_visible()
    assert page.get_by_label("Document à transmettre").input_value() != ""
    camera = page.get_by_label("Prendre une photo du document")
    assert camera.get_attribute("capture") == "environment" and camera.get_attribute("accept") == "image/*"
    assert_accessible(page, context="ajouter un document")
    camera.set_input_files(
        {"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg_bytes("Attestation", with_gps=True)}
    )
    page.get_by_role("button", name="Envoyer le document").click()
    expect(page.get_by_text("est bien transmis")).to_be_visible()
    assert page.locator(".doc-received").get_by_text("En cours de traitement").is_visible()
    assert_accessible(page, context="document transmis")

    # The director reviews it on a desk screen.
    staff = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    desk = staff.new_page()
    log_in(desk, base + "gestion/connexion/", "directrice@quercy.example", PASSWORD)
    desk.wait_for_url("**/gestion/")
    desk.get_by_role("link", name=re.compile("^Documents à vérifier")).click()
    expect(desk.get_by_role("heading", name="Documents à examiner")).to_be_visible()
    assert_accessible(desk, context="file des documents")
    desk.get_by_role("link", name="Examiner Assurance Responsabilité Civile – MARTIN").click()
    preview = desk.get_by_role("img", name="Page 1 du document Assurance Responsabilité Civile")
    preview.wait_for()
    # The preview really loads through the protected view (an image that failed has no width).
    desk.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=preview.element_handle())
    assert_accessible(desk, context="examen du document")
    desk.get_by_role("button", name="Accepter le document").click()
    expect(desk.get_by_text("Document accepté")).to_be_visible()
    staff.close()

    # The parent sees it accepted until the end of the school year.
    page.reload()
    end = date(year.year + 1, 8, 31)
    expect(page.get_by_text(f"Accepté, valable jusqu'au {end:%d/%m/%Y}")).to_be_visible()
    assert page.get_by_text("Aucun document attendu ou en cours de traitement").first.is_visible()
    assert_accessible(page, context="document accepté")
    assert not page.js_errors, page.js_errors
