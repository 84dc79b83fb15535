"""Several runs exported to PES at the same instant for one budget: the rôle numbers are
consecutive and unique (the counter row is locked inside each exporting transaction), and two
exports of the same run at once give one rôle, the other refused. Meaningful on PostgreSQL."""

from decimal import Decimal

import pytest

from ribambelle.billing.models import RunStatus
from ribambelle.helios import services
from ribambelle.helios.models import PesRoll, RollCounter

from ..factories import (
    FamilyFactory,
    HeliosSettingsFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    InvoiceRunFactory,
    OrganisationFactory,
)
from .test_invoice_numbering_race import _threads

pytestmark = pytest.mark.django_db(transaction=True)

RUNS = 4


def _run(organisation, index):
    run = InvoiceRunFactory(organisation=organisation, status=RunStatus.DONE)
    for n in range(2):
        family = FamilyFactory(
            organisation=organisation,
            name=f"Famille {index}-{n}",
            address_line="1 place de la Mairie",
            postal_code="58150",
            city="Pouilly-sur-Loire",
            payer_civility="MME",
            payer_last_name=f"Nom {index}",
            payer_first_name="Léa",
        )
        invoice = InvoiceFactory(
            organisation=organisation, family=family, run=run, sequence=index * 10 + n, total=Decimal("10.00")
        )
        InvoiceLineFactory(organisation=organisation, family=family, invoice=invoice, amount=Decimal("10.00"))
    return run


def test_concurrent_exports_get_consecutive_roll_numbers():
    organisation = OrganisationFactory()
    settings = HeliosSettingsFactory(organisation=organisation)
    runs = [_run(organisation, index) for index in range(1, RUNS + 1)]
    errors = _threads(
        [lambda run=run: services.export_pes(run=run, settings=settings, acting_user=None) for run in runs]
    )
    assert errors == []
    numbers = sorted(PesRoll.objects.filter(organisation=organisation).values_list("number", flat=True))
    assert numbers == list(range(1, RUNS + 1))
    assert RollCounter.objects.get(organisation=organisation).last_number == RUNS


def test_the_same_run_exported_twice_at_once_gives_one_roll():
    organisation = OrganisationFactory()
    settings = HeliosSettingsFactory(organisation=organisation)
    run = _run(organisation, 1)
    errors = _threads([lambda: services.export_pes(run=run, settings=settings, acting_user=None) for _ in range(2)])
    assert len(errors) == 1 and "déjà son rôle" in errors[0]
    assert list(PesRoll.objects.filter(organisation=organisation).values_list("number", flat=True)) == [1]
