"""SEPA direct debit: mandates checked with schwifty, pain.008 built by sepaxml and validated
against its XSD (the file is refused, not offered, when it does not validate). Collections
(what a file debits, its settlement and rejects) are in `sepa_collections`."""

from datetime import date
from functools import cache
from pathlib import Path

import sepaxml
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from lxml import etree
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaDD
from sepaxml.validation import ValidationError as SepaValidationError

from ribambelle.accounts.services import log_family_action
from ribambelle.core.actions import action
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit
from ribambelle.helios.selectors import invoices_collected_by_tresor  # debited by the Trésor inside a PES rôle

from .models import ZERO, Invoice, InvoiceKind, SepaMandate
from .selectors import OPEN


def clean_iban(value: str) -> str:
    try:
        return IBAN(value).compact
    except SchwiftyException:
        raise DomainError(
            _("Cet IBAN n'est pas valide : vérifiez-le sur le RIB (27 caractères pour la France)."), field="iban"
        ) from None


def clean_bic(value: str) -> str:
    try:
        return BIC(value).compact
    except SchwiftyException:
        raise DomainError(
            _("Ce BIC n'est pas valide : 8 ou 11 caractères, par exemple BNPAFRPPXXX."), field="bic"
        ) from None


@action
def create_mandate(
    *, family, holder: str, iban: str, bic: str, signed_on: date, rum: str = "", acting_user
) -> SepaMandate:
    iban = clean_iban(iban)
    bic = clean_bic(bic)
    if not holder.strip():
        raise DomainError(_("Indiquez le titulaire du compte."), field="holder")
    with transaction.atomic():
        SepaMandate.objects.filter(organisation=family.organisation, family=family, is_active=True).update(
            is_active=False
        )
        mandate = SepaMandate.objects.create(
            organisation=family.organisation,
            family=family,
            rum=rum.strip() or f"RIB-{family.organisation_id}-{family.pk}-{signed_on:%Y%m%d}",
            holder=holder.strip()[:70],
            iban=iban,
            bic=bic,
            signed_on=signed_on,
        )
        record_audit(organisation=family.organisation, actor=acting_user, action="create", obj=mandate)
        log_family_action(
            family=family,
            action="sepa_mandate",
            data={"rum": mandate.rum},
            user=acting_user if acting_user is not None and acting_user.is_authenticated else None,
        )
    return mandate


def collectable(organisation):
    """THE selection of a pain.008: open invoices (balance > 0) of families with an active
    mandate, with that mandate, leaving out every invoice already in a collection under way
    (a family is never debited twice for one invoice). Every rule about which invoices we
    collect ourselves goes here, and only here."""
    from .sepa_models import LineStatus, SepaCollectionLine

    mandates = {m.family_id: m for m in SepaMandate.objects.filter(organisation=organisation, is_active=True)}
    in_collection = SepaCollectionLine.objects.filter(
        organisation=organisation, invoice=OuterRef("pk"), status=LineStatus.PENDING
    )
    invoices = (
        Invoice.objects.filter(
            organisation=organisation, kind=InvoiceKind.INVOICE, status__in=OPEN, family_id__in=list(mandates)
        )
        # A separated parent's invoice is not debited on the family's mandate (perhaps the other
        # parent's account): that parent pays it another way.
        .filter(household__isnull=True)
        .filter(~Exists(in_collection))
        .select_related("family")
        .order_by("family_id", "due_date", "pk")
    )
    invoices = invoices.exclude(pk__in=invoices_collected_by_tresor(organisation))
    return [(invoice, mandates[invoice.family_id]) for invoice in invoices if invoice.balance > ZERO]


PAIN008_XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"


@cache
def _pain008_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(PAIN008_XSD)))


def check_creditor(settings) -> None:
    if not (settings.sepa_creditor_id and settings.sepa_iban and settings.sepa_bic):
        raise DomainError(
            _("Renseignez l'identifiant créancier SEPA, l'IBAN et le BIC dans les réglages de facturation.")
        )


def build_pain008(*, organisation, settings, collection_date: date, lines) -> bytes:
    """The pain.008.001.02 file for `lines` (invoice, mandate, amount, sequence, end-to-end id):
    built by sepaxml, then checked by lxml against the XSD sepaxml ships; a file that does not
    validate is refused, never offered."""
    sepa = SepaDD(
        {
            "name": (settings.sepa_creditor_name or organisation.name)[:70],
            "IBAN": settings.sepa_iban,
            "BIC": settings.sepa_bic,
            "batch": True,
            "creditor_id": settings.sepa_creditor_id,
            "currency": "EUR",
        },
        schema="pain.008.001.02",
    )
    for invoice, mandate, amount, sequence, end_to_end_id in lines:
        sepa.add_payment(
            {
                "name": mandate.holder,
                "IBAN": mandate.iban,
                "BIC": mandate.bic,
                "amount": int((amount * 100).to_integral_value()),
                "type": sequence,
                "collection_date": collection_date,
                "mandate_id": mandate.rum,
                "mandate_date": mandate.signed_on,
                "description": f"Facture {invoice.number}",
                "endtoend_id": end_to_end_id,
            }
        )
    try:
        xml = sepa.export(validate=True)
    except SepaValidationError as exc:
        raise DomainError(
            _("Le fichier de prélèvement ne respecte pas le format SEPA : vérifiez les IBAN et BIC.")
        ) from exc
    schema = _pain008_schema()
    if not schema.validate(etree.fromstring(xml)):
        raise DomainError(_("Le fichier de prélèvement ne respecte pas le format SEPA : vérifiez les IBAN et BIC."))
    return xml
