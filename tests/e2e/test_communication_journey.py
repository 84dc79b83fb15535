"""Seed 000 "Actualités" and the banner, seed 004 "Contactez la structure", in a real browser:
the public login page shows the news; a parent writes to "Accueil de loisirs de Bligny" (the
structure's address receives it through the outbox); a director replies from the inbox; the
parent sees the reply in the portal and by e-mail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.communication.models import OutgoingEmail
from ribambelle.tenancy.roles import Role

from ..factories import (
    PASSWORD,
    BannerFactory,
    FamilyUserFactory,
    MembershipFactory,
    NewsItemFactory,
    OrganisationFactory,
    StructureFactory,
)
from .conftest import assert_accessible, log_in, prove_not_robot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pouilly(db):
    organisation = OrganisationFactory(
        name="Communauté de communes Pouilly-en-Auxois / Bligny-sur-Ouche", slug="pouilly", primary_colour="#0b6e75"
    )
    StructureFactory(
        organisation=organisation,
        name="Accueil de loisirs de Bligny",
        email="accueildeloisirs@ccpouillybligny.fr",
        phone="07 84 72 20 45",
    )
    StructureFactory(organisation=organisation, name="Multi-accueil de Pouilly-en-Auxois", kind="multi_accueil")
    MembershipFactory(organisation=organisation, role=Role.DIRECTOR, user__email="directrice@pouilly.example")
    parent = FamilyUserFactory(
        organisation=organisation, email="allan.boblet@famille.example", first_name="Allan", family__name="BOBLET"
    )
    record_consents(user=parent, personal=True, health=True)
    NewsItemFactory(
        organisation=organisation,
        title="Inscriptions été",
        body="Ouverture des inscriptions le mercredi 31 mai.",
        date=timezone.localdate() - timedelta(days=3),
    )
    BannerFactory(
        organisation=organisation, text="Inscriptions de l'été : ouverture le mercredi 31 mai sur votre espace."
    )
    BannerFactory(organisation=organisation, text="Pensez à transmettre l'attestation d'assurance de l'année.")
    return organisation


def test_news_message_reply_journey(live_server, browser, page, pouilly):
    base = live_server.url + "/pouilly/"

    # The public login page shows the news: date, title, text.
    page.goto(base)
    news = page.get_by_role("region", name="Actualités")
    assert news.get_by_role("heading", name="Inscriptions été").is_visible()
    assert news.get_by_text("Ouverture des inscriptions le mercredi 31 mai.").is_visible()
    assert news.get_by_text((timezone.localdate() - timedelta(days=3)).strftime("%d/%m/%Y")).is_visible()
    assert_accessible(page, context="connexion avec actualités")

    # The dashboard's banner scrolls, and its pause control works and is accessible.
    log_in(page, base, "allan.boblet@famille.example", PASSWORD)
    page.wait_for_url(base)
    pause = page.get_by_role("button", name="Mettre en pause – bandeau d'informations")
    assert pause.is_visible()
    assert page.locator(".rb-banner-track.is-scrolling").count() == 1
    assert_accessible(page, context="tableau de bord avec bandeau défilant")
    pause.click()
    assert page.locator(".rb-banner-track.is-scrolling").count() == 0
    assert page.get_by_text("Pensez à transmettre l'attestation d'assurance de l'année.").is_visible()
    resume = page.get_by_role("button", name="Reprendre le défilement – bandeau d'informations")
    assert resume.is_visible()
    assert_accessible(page, context="bandeau en pause")
    assert not page.js_errors, page.js_errors

    # "Contact" → "Contactez la structure": the seed's form.
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Contact", exact=True).click()
    assert page.get_by_role("heading", name="Contacts").is_visible()
    assert page.get_by_text("07 84 72 20 45").is_visible()
    assert_accessible(page, context="contacts")
    page.get_by_role("link", name="Écrire à Accueil de loisirs de Bligny").click()
    assert page.get_by_label("Choisir le destinataire").input_value() != ""
    page.get_by_label("Objet du message").fill("Sortie de mercredi")
    page.get_by_label("Contenu du message").fill("Bonjour, à quelle heure revient le car ?")
    assert_accessible(page, context="formulaire de contact")
    prove_not_robot(page)
    page.get_by_role("button", name="ENVOYER LE MESSAGE").click()
    assert page.get_by_text("Votre message est envoyé à « Accueil de loisirs de Bligny ».").is_visible()
    assert_accessible(page, context="conversation envoyée")

    # The structure's address receives it through the outbox.
    to_structure = OutgoingEmail.objects.get(template="structure_message")
    assert to_structure.to == "accueildeloisirs@ccpouillybligny.fr"
    assert "à quelle heure revient le car ?" in to_structure.body_text

    # A director replies from the inbox.
    staff = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    desk = staff.new_page()
    log_in(desk, base + "gestion/connexion/", "directrice@pouilly.example", PASSWORD)
    desk.wait_for_url("**/gestion/")
    desk.goto(base + "gestion/messages/")
    assert_accessible(desk, context="boîte de réception")
    desk.get_by_role("link", name="Sortie de mercredi").click()
    assert desk.get_by_text("Bonjour, à quelle heure revient le car ?").is_visible()
    desk.get_by_label("Votre réponse").fill("Bonjour, le car revient vers 17 h 30.")
    assert_accessible(desk, context="conversation côté gestion")
    desk.get_by_role("button", name="Envoyer la réponse").click()
    assert desk.get_by_text("Votre réponse est envoyée à la famille BOBLET.").is_visible()
    staff.close()

    # The parent sees it in the portal and receives it by e-mail.
    page.goto(base + "messages/")
    assert page.get_by_text("Nouvelle réponse").is_visible()
    assert_accessible(page, context="mes messages")
    page.get_by_role("link", name="Sortie de mercredi").click()
    assert page.get_by_text("Bonjour, le car revient vers 17 h 30.").is_visible()
    reply = OutgoingEmail.objects.get(template="message_reply")
    assert reply.to == "allan.boblet@famille.example"
    assert "le car revient vers 17 h 30." in reply.body_text
    assert not page.js_errors, page.js_errors


def test_banner_does_not_move_for_reduced_motion(live_server, browser, pouilly):
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, reduced_motion="reduce")
    page = context.new_page()
    log_in(page, live_server.url + "/pouilly/", "allan.boblet@famille.example", PASSWORD)
    page.wait_for_url("**/pouilly/")
    assert page.locator(".rb-banner-track.is-scrolling").count() == 0
    assert page.get_by_role("button", name="Mettre en pause – bandeau d'informations").count() == 0
    assert page.get_by_text("Pensez à transmettre l'attestation d'assurance de l'année.").is_visible()
    assert_accessible(page, context="bandeau sans animation")
    context.close()
