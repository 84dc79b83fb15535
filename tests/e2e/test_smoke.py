import pytest

from ..factories import MembershipFactory, OrganisationFactory
from .conftest import assert_accessible, log_in, prove_not_robot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def organisations(db):
    quercy = OrganisationFactory(
        name="Communauté de communes Quercy Vert-Aveyron", slug="quercy", primary_colour="#1d5e3a"
    )
    OrganisationFactory(name="Communauté de communes Pouilly-en-Auxois / Bligny-sur-Ouche", slug="pouilly")
    MembershipFactory(organisation=quercy, user__email="admin@quercy.example")
    return quercy


def test_organisation_list_portal_home_and_back_office_login(live_server, page, organisations):
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Choisissez votre collectivité"
    assert_accessible(page, context="liste des collectivités")

    page.get_by_role("link", name="Espace Famille – Communauté de communes Quercy Vert-Aveyron").click()
    page.wait_for_url("**/quercy/")
    assert page.get_by_role("heading", name="Bienvenue dans votre Espace Famille").is_visible()
    assert page.get_by_label("Rester connecté").is_visible()
    assert_accessible(page, context="accueil du portail")

    page.goto(live_server.url + "/quercy/gestion/")
    page.wait_for_url("**/quercy/gestion/connexion/**")
    page.get_by_label("Votre e-mail").fill("admin@quercy.example")
    page.get_by_label("Votre mot de passe").fill("mauvais")
    prove_not_robot(page)
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_text("E-mail ou mot de passe incorrect.").is_visible()
    assert_accessible(page, context="connexion gestion avec erreur")
    page.get_by_label("Votre mot de passe").fill("Test-Passw0rd-Ok")
    prove_not_robot(page)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/quercy/gestion/")
    assert page.get_by_role("heading", name="Tableau de bord").is_visible()
    assert_accessible(page, context="tableau de bord gestion")
    assert not page.js_errors, page.js_errors


def test_back_office_pages_are_accessible(live_server, desk_page, organisations):
    page = desk_page
    log_in(page, live_server.url + "/quercy/gestion/connexion/", "admin@quercy.example", "Test-Passw0rd-Ok")
    page.wait_for_url("**/quercy/gestion/")
    for path in [
        "structures/",
        "structures/nouvelle/",
        "secteurs/",
        "equipe/",
        "equipe/inviter/",
        "organisation/",
        "qr-code/",
        "courriels/",
        "journal/",
    ]:
        page.goto(f"{live_server.url}/quercy/gestion/{path}")
        assert_accessible(page, context=path)


def test_morning_dashboard_with_children_today_is_accessible(live_server, desk_page, organisations):
    """The director's first screen at 7:30, filled: groups, counts, roll call link; axe clean."""
    from ..test_dashboard_today import _activity_today, _book

    _activity, openings = _activity_today(organisations, "Mercredis Bioule")
    _book(organisations, openings["MATER"]["Journée"], "present", also=openings["MATER"]["Repas"])
    _book(organisations, openings["PRIM"]["Journée"])
    page = desk_page
    log_in(page, live_server.url + "/quercy/gestion/connexion/", "admin@quercy.example", "Test-Passw0rd-Ok")
    page.wait_for_url("**/quercy/gestion/")
    assert page.get_by_role("heading", name="Mercredis Bioule").is_visible()
    assert_accessible(page, context="tableau de bord du matin")
    page.get_by_role("link", name="PRIM").click()
    page.wait_for_url("**/pointage/?groupe=*")
    assert_accessible(page, context="pointage d'un groupe")


def test_switching_the_portal_to_english_with_the_keyboard(live_server, page, organisations):
    """French first; English on request from the footer, keyboard only, and the page says lang="en"."""
    page.goto(live_server.url + "/quercy/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_label("Langue / Language").focus()
    page.keyboard.press("ArrowDown")  # Français → English
    assert page.get_by_label("Langue / Language").input_value() == "en"
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the "OK" button
    page.get_by_role("heading", name="Welcome to your Family portal").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("Stay signed in").is_visible()
    assert_accessible(page, context="portal home in English")

    page.get_by_label("Langue / Language").select_option("fr")
    with page.expect_navigation():
        page.get_by_role("button", name="OK").click()
    page.get_by_role("heading", name="Bienvenue dans votre Espace Famille").wait_for()
    assert not page.js_errors, page.js_errors
