"""Issue 16 in a real browser: the finance officer opens an issued run's PES page, sees the
blocking problem named by family and field, generates the rôle once it is fixed, downloads the
file; the page passes axe at desk (1,366 px) and phone (390 px) widths."""

import re

import pytest
from lxml import etree

from ribambelle.billing.models import RunStatus
from ribambelle.helios.models import PesRoll
from ribambelle.tenancy.roles import Role

from ..factories import (
    HeliosSettingsFactory,
    InvoiceRunFactory,
    MembershipFactory,
    OrganisationFactory,
    SepaMandateFactory,
)
from ..test_helios_pes import _family, _invoice
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Test-Passw0rd-Ok"


@pytest.fixture
def run(db):
    from decimal import Decimal

    organisation = OrganisationFactory(name="CC Pouilly-Bligny", slug="pouilly", primary_colour="#1d5e3a")
    MembershipFactory(organisation=organisation, role=Role.FINANCE, user__email="regie@pouilly.example")
    HeliosSettingsFactory(organisation=organisation, budget_label="Budget principal")
    run = InvoiceRunFactory(organisation=organisation, status=RunStatus.DONE)
    debtor = _family(organisation, "BOBLET")
    SepaMandateFactory(organisation=organisation, family=debtor)
    _invoice(run, debtor, 7, [Decimal("45.60")])
    _invoice(run, _family(organisation, "LEROY", payer_civility=""), 8, [Decimal("12.00")])
    return run


def test_preview_fix_generate_and_download(live_server, browser, page, run):
    base = live_server.url + "/pouilly/"
    desk_context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900})
    desk = desk_context.new_page()
    log_in(desk, base + "gestion/connexion/", "regie@pouilly.example", PASSWORD)
    desk.wait_for_url("**/gestion/")
    url = base + f"gestion/facturation/emissions/{run.pk}/pes/"
    desk.goto(url)
    assert desk.get_by_role("heading", name="Transmission au Trésor public (PES)", level=1).is_visible()
    problems = desk.get_by_role("region", name=re.compile("problème bloquant"))
    assert "LEROY" in problems.inner_text() and "civilité du payeur" in problems.inner_text()
    assert desk.get_by_role("button", name="Générer le fichier PES").is_disabled()
    assert_accessible(desk, context="aperçu du rôle avec un problème")

    from ribambelle.families.models import Family

    Family.objects.filter(name="LEROY").update(payer_civility="M")
    desk.reload()
    assert "57,60" in desk.get_by_role("main").inner_text()
    desk.get_by_role("button", name="Générer le fichier PES").click()
    assert desk.get_by_text(re.compile("Rôle n° 1 généré : 2 articles")).is_visible()
    roll = PesRoll.objects.get()
    with desk.expect_download() as download_info:
        desk.get_by_role("link", name=roll.file_name).click()
    tree = etree.parse(download_info.value.path())
    assert len(tree.getroot().findall("PES_RecetteAller/Bordereau/Piece")) == 2
    assert_accessible(desk, context="rôle généré")
    desk_context.close()

    # The same page on a phone.
    log_in(page, base + "gestion/connexion/", "regie@pouilly.example", PASSWORD)
    page.wait_for_url("**/gestion/")
    page.goto(url)
    assert page.get_by_role("link", name=roll.file_name).is_visible()
    assert_accessible(page, context="rôle généré, téléphone")
