"""The portal dashboard's "Mes factures" tile: the amount due and the next due date."""

from datetime import date
from decimal import Decimal

import pytest

from ribambelle.accounts.consent import record_consents
from ribambelle.billing.models import InvoiceStatus

from .conftest import client_for, page_text
from .factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def _dashboard(tenant):
    record_consents(user=tenant.family_user, personal=True, health=True)
    return page_text(client_for(tenant.family_user).get(tenant.url()))


def test_the_tile_shows_the_amount_due_and_the_next_due_date(tenant_a):
    family = tenant_a.family_user.family
    organisation = tenant_a.organisation
    InvoiceFactory(organisation=organisation, family=family, total=Decimal("30"), due_date=date(2026, 12, 15))
    InvoiceFactory(
        organisation=organisation,
        family=family,
        total=Decimal("20"),
        amount_paid=Decimal("7.50"),
        status=InvoiceStatus.PARTIAL,
        due_date=date(2026, 12, 10),
    )
    InvoiceFactory(
        organisation=organisation,
        family=family,
        total=Decimal("99"),
        amount_paid=Decimal("99"),
        status=InvoiceStatus.PAID,
        due_date=date(2026, 12, 1),
    )
    InvoiceFactory(organisation=organisation, family=tenant_a.other_family_user.family, total=Decimal("500"))
    text = _dashboard(tenant_a)
    assert "À payer : 42,50\u00a0€ – prochaine échéance le jeudi 10 décembre 2026" in text


def test_the_tile_says_when_nothing_is_due(tenant_a):
    assert "Aucune facture à payer" in _dashboard(tenant_a)
