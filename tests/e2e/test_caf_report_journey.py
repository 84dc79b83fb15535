"""The CAF activity report in a real browser (issue 17): a director picks October, reads the
figures and the warnings, downloads the CSV, freezes the report and finds it unchanged after a
correction of attendance, with the difference shown; axe clean on a phone (390 px) and at a desk
(1,366 px)."""

import re

import pytest
from django.test import Client

from ribambelle.bookings.models import BookingStatus
from ribambelle.tenancy.roles import Role

from ..factories import MembershipFactory, OrganisationFactory
from ..test_caf_report import Month
from .conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def month(db):
    organisation = OrganisationFactory(name="Communauté de communes Quercy Vert-Aveyron", slug="quercy")
    return Month(organisation).fill()


def _cookie(live_server, user) -> dict:
    client = Client()
    client.force_login(user, backend="ribambelle.accounts.backends.OrganisationEmailBackend")
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def _open_report(browser, live_server, user, width: int):
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900}, timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    context.add_cookies([_cookie(live_server, user)])
    page = context.new_page()
    page.goto(live_server.url + "/quercy/gestion/caf/bilan/")
    page.locator("#id_du").fill("2026-10-01")
    page.locator("#id_au").fill("2026-10-31")
    page.get_by_role("button", name="Afficher").click()
    return context, page


@pytest.mark.parametrize("width", [390, 1366])
def test_director_reads_downloads_and_freezes_the_report(browser, live_server, month, width):
    director = MembershipFactory(organisation=month.org, role=Role.DIRECTOR).user
    context, page = _open_report(browser, live_server, director, width)
    assert page.get_by_role("heading", name="Bilan d'activité CAF", level=1).is_visible()
    table = page.get_by_role("table", name=re.compile("octobre 2026 – Périscolaire"))
    total = table.locator('tr[data-key="2026-10|periscolaire|total|"]')
    assert total.locator('[data-cell="hours_attended"]').inner_text() == "16,00"
    assert page.get_by_text("Points à vérifier avant de déclarer").is_visible()
    assert_accessible(page, context=f"bilan CAF ({width} px)")

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en CSV").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert "octobre 2026;Périscolaire;Total;Ensemble;16,00" in text

    page.get_by_label("Libellé du bilan figé").fill("Octobre 2026 (réel)")
    page.get_by_role("button", name="Figer le bilan").click()
    assert page.get_by_role("heading", name=re.compile("Bilan CAF figé : Octobre 2026")).is_visible()
    assert page.get_by_text("Aucun écart").is_visible()
    assert_accessible(page, context=f"bilan figé ({width} px)")

    # The forgotten roll call of the 16th is corrected: the frozen figures stay, the gap shows.
    month.unmarked.status = BookingStatus.PRESENT
    month.unmarked.save()
    page.reload()
    gaps = page.get_by_role("region", name="Écarts")
    assert gaps.get_by_text("+2,00").first.is_visible()
    assert (
        page.get_by_role("table", name=re.compile("octobre 2026 – Périscolaire"))
        .locator('tr[data-key="2026-10|periscolaire|total|"] [data-cell="hours_attended"]')
        .inner_text()
        == "16,00"
    )
    assert_accessible(page, context=f"bilan figé avec écarts ({width} px)")
    context.close()
