"""Issue 14, items 3 and 12: the portal fits every screen, from a small phone to a wide desk."""

import pytest

from ribambelle.accounts.consent import record_consents

from ..factories import FamilyUserFactory, MembershipFactory, OrganisationFactory, PersonFactory
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Test-Passw0rd-Ok"
# The demo organisations' names: the longest is the one a desk header broke on.
ORGANISATIONS = [
    ("quercy", "Communauté de communes Quercy Vert-Aveyron", "CC Quercy Vert-Aveyron", "#1d5e3a"),
    ("pouilly", "Communauté de communes Pouilly-en-Auxois / Bligny-sur-Ouche", "CC Pouilly-Bligny", "#0b6e75"),
]
WIDTHS = [390, 1024, 1366, 1920]
LONG_WORD = "Maximilien" * 12  # 120 characters, no space to break on


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _within_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("slug,name,short_name,colour", ORGANISATIONS)
def test_portal_header_fits_from_phone_to_wide_desk(live_server, browser, slug, name, short_name, colour):
    organisation = OrganisationFactory(name=name, short_name=short_name, slug=slug, primary_colour=colour)
    parent = FamilyUserFactory(organisation=organisation, email=f"parent@{slug}.example")
    record_consents(user=parent, personal=True, health=True)
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, f"{live_server.url}/{slug}/", parent.email, PASSWORD)
    page.wait_for_selector("h1")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        # "Mon compte" is then the current page: its highlight must keep the contrast too.
        page.goto(f"{live_server.url}/{slug}/mon-compte/")
        assert _page_width(page) <= width, f"{slug} à {width} px : la page défile sur le côté"
        header = page.locator("header.rb-header")
        for label in ("Mon compte", "Se déconnecter"):
            link = header.get_by_role("link", name=label).or_(header.get_by_role("button", name=label))
            assert link.is_visible() and _within_viewport(page, link), f"{label} hors de l'écran à {width} px"
        if width >= 992:
            # On a desk every tab is shown, each on screen, and the name stays on at most two lines.
            tabs = header.get_by_role("navigation", name="Menu principal").get_by_role("link")
            assert tabs.count() >= 9
            for index in range(tabs.count()):
                assert _within_viewport(page, tabs.nth(index)), f"onglet {index} hors de l'écran à {width} px"
            brand = header.locator(".rb-brand-name")
            line_height = float(brand.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
            assert brand.bounding_box()["height"] <= 2 * line_height + 1, f"nom sur plus de deux lignes à {width} px"
        else:
            page.get_by_role("button", name="Menu").click()
            tab = page.get_by_role("link", name="Mes réservations").first
            tab.wait_for(state="visible")
            assert _within_viewport(page, tab)
            assert _page_width(page) <= width
        assert_accessible(page, context=f"{slug} à {width} px")
    context.close()


def test_back_office_header_fits_from_phone_to_wide_desk(live_server, browser):
    slug, name, short_name, _colour = ORGANISATIONS[1]
    organisation = OrganisationFactory(name=name, short_name=short_name, slug=slug)
    MembershipFactory(organisation=organisation, user__email=f"admin@{slug}.example")
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, f"{live_server.url}/{slug}/gestion/connexion/", f"admin@{slug}.example", PASSWORD)
    page.wait_for_url(f"**/{slug}/gestion/")
    for width in [320, *WIDTHS]:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/{slug}/gestion/familles/")
        assert _page_width(page) <= width, f"gestion à {width} px : la page défile sur le côté"
        logout = page.get_by_role("button", name="Se déconnecter")
        assert logout.is_visible() and _within_viewport(page, logout)
    context.close()


def test_a_120_character_name_wraps_on_a_phone(live_server, page):
    """A name with no space to break on wraps inside its box instead of widening the page."""
    organisation = OrganisationFactory(slug="quercy", name="Communauté de communes " + LONG_WORD)
    parent = FamilyUserFactory(
        organisation=organisation, email="parent@quercy.example", family__name=LONG_WORD.upper(), last_name=LONG_WORD
    )
    PersonFactory(organisation=organisation, family=parent.family, first_name=LONG_WORD, last_name=LONG_WORD)
    record_consents(user=parent, personal=True, health=True)
    base = f"{live_server.url}/quercy/"
    log_in(page, base, parent.email, PASSWORD)
    page.wait_for_selector("h1")
    for path in ["", "ma-famille/", "inscriptions/", "reservations/", "mes-documents/", "mon-compte/", "historique/"]:
        page.goto(base + path)
        assert _page_width(page) <= 390, f"/{path} fait {_page_width(page)} px de large à 390 px"
    assert_accessible(page, context="nom de 120 caractères")
