"""A director opens "Statistiques" in a real browser: every chart is drawn, none relies on colour
alone (each series has its pattern or marker and a label in the rendered SVG), each data table
opens from its toggle without JavaScript, a table downloads as CSV, and the elected officials'
summary downloads as a PDF whose text holds the key figures. axe is clean at 390 and 1,366 px."""

import io

import pytest
from pypdf import PdfReader

from ribambelle.stats.figures import CHARTS

from ..factories import PASSWORD
from ..test_statistics import world  # noqa: F401 - the fixed data set of the figure tests
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Every series of every drawn chart: a pattern (bars) or a marker and a direct label (lines), and
# its name in the legend.
NOT_COLOUR_ALONE = """() => [...document.querySelectorAll('svg.rb-chart')].flatMap((svg) => {
  const legend = [...svg.querySelectorAll('.legend-item')].map((item) => item.dataset.series);
  return [...svg.querySelectorAll('g.series')].filter((series) => {
    const name = series.dataset.series;
    const pattern = series.dataset.pattern && svg.querySelector(`pattern[data-pattern="${series.dataset.pattern}"]`);
    const marker = series.dataset.marker && series.querySelector('.direct-label');
    return !(legend.includes(name) && (pattern || marker));
  }).map((series) => `${svg.id || svg.getAttribute('aria-labelledby')}: ${series.dataset.series}`);
})"""


def _open(browser, live_server, tenant, width: int):
    context = browser.new_context(
        locale="fr-FR", viewport={"width": width, "height": 900}, timezone_id="Europe/Paris", accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, live_server.url + f"/{tenant.organisation.slug}/gestion/connexion/", tenant.admin.email, PASSWORD)
    page.wait_for_url("**/gestion/")
    return context, page


def test_charts_tables_csv_and_elected_summary(live_server, browser, tenant_a, world):  # noqa: F811
    base = live_server.url + f"/{tenant_a.organisation.slug}/gestion/"
    context, page = _open(browser, live_server, tenant_a, 1366)
    page.get_by_role("link", name="Statistiques").first.click()
    assert page.get_by_role("heading", name="Statistiques", level=1).is_visible()
    assert page.locator("figure.rb-figure").count() == len(CHARTS)
    assert page.locator("svg.rb-chart[role=img]").count() >= 6
    assert page.evaluate(NOT_COLOUR_ALONE) == []
    assert_accessible(page, context="Statistiques (bureau)")

    for key in CHARTS:
        figure = page.locator(f"#graphique-{key}")
        table = figure.locator("table")
        assert not table.is_visible()
        figure.get_by_text("Afficher le tableau des données").click()
        assert table.is_visible(), key
    assert page.locator("#graphique-heures table").get_by_text("10,00").is_visible()
    assert_accessible(page, context="Statistiques, tableaux ouverts")

    with page.expect_download() as download:
        page.locator("#graphique-anciennete-impayes").get_by_role("link", name="Télécharger le tableau").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0] == "Ancienneté;Reste à payer (€);Factures"
    assert "Plus de 90 jours;40,00;1" in text

    page.get_by_role("link", name="Synthèse pour les élus").first.click()
    assert page.get_by_role("heading", name="Synthèse pour les élus", level=1).is_visible()
    assert_accessible(page, context="Synthèse pour les élus")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger la synthèse (PDF)").click()
    content = open(download.value.path(), "rb").read()
    assert content.startswith(b"%PDF")
    pdf_text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "Synthèse pour les élus" in pdf_text and "Enfants accueillis" in pdf_text
    context.close()

    # On a phone: the same page, its charts scroll sideways inside a focusable region.
    context, phone = _open(browser, live_server, tenant_a, 390)
    phone.goto(base + "statistiques/")
    assert phone.locator("svg.rb-chart").first.is_visible()
    phone.locator("#graphique-presences").get_by_text("Afficher le tableau des données").click()
    assert phone.locator("#graphique-presences table").is_visible()
    assert_accessible(phone, context="Statistiques (téléphone)")
    context.close()
