"""Demo: SEPA collections in Pouilly (the organisation whose family BOBLET has a mandate). A
first collection, a month ago, was rejected by the bank (insufficient funds, AM04, with the
reject fee); the next one took the invoice and the fee again and is settled, so the mandate is
now recurrent. Written through the services, back-dated with their `as_of` / dates."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone


def load_sepa_collections(organisation) -> None:
    from ribambelle.billing.models import BillingSettings, Invoice, SepaMandate
    from ribambelle.billing.sepa_collections import create_collection, reject_line, settle_collection
    from ribambelle.billing.sepa_models import SepaCollection
    from ribambelle.core.exceptions import DomainError

    if SepaCollection.objects.filter(organisation=organisation).exists():
        return
    mandate = SepaMandate.objects.filter(organisation=organisation, is_active=True).first()
    if mandate is None or not Invoice.objects.filter(organisation=organisation, family=mandate.family_id).exists():
        return
    BillingSettings.objects.filter(organisation=organisation).update(sepa_reject_fee=Decimal("4.00"))
    today = timezone.localdate()
    try:
        first = create_collection(
            organisation=organisation,
            collection_date=today - timedelta(days=20),
            as_of=today - timedelta(days=35),
            acting_user=None,
        )
        for line in first.lines.all():
            reject_line(line=line, code="AM04", rejected_on=today - timedelta(days=18), acting_user=None)
        second = create_collection(
            organisation=organisation,
            collection_date=today - timedelta(days=2),
            as_of=today - timedelta(days=16),
            acting_user=None,
        )
        settle_collection(collection=second, acting_user=None)
    except DomainError:
        return  # nothing to collect (the demo family has already paid): no collection shown
