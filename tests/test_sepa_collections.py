"""SEPA collections recorded: a pain.008 file makes a collection whose invoices are "prélèvement
en cours" (back office and portal, with the date) and never go into another file; at the
settlement date they become paid (one payment and receipt each) and a first mandate becomes
recurrent; a reject (by hand or read from a pain.002) makes the invoice due again, keeps the
reason, invoices the reject fee and tells the family."""

import hashlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scope
from lxml import etree

from ribambelle.accounts.consent import record_consents
from ribambelle.billing import sepa
from ribambelle.billing.models import BillingSettings, Invoice, InvoiceStatus, Payment, SepaMandate
from ribambelle.billing.sepa_collections import (
    create_collection,
    import_status_report,
    reject_line,
    settle_collection,
    settle_due_collections,
)
from ribambelle.billing.sepa_models import LineStatus, SepaCollection, SepaCollectionLine
from ribambelle.communication.models import OutgoingEmail
from ribambelle.core.exceptions import DomainError

from .conftest import client_for, page_text
from .factories import FamilyFactory, InvoiceFactory, OrganisationFactory, SepaMandateFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 12, 1)
DEBIT = date(2026, 12, 20)
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=PARIS), tick=False):
        yield


def _creditor(organisation, **extra):
    BillingSettings.objects.update_or_create(
        organisation=organisation,
        defaults={
            "sepa_creditor_name": "Communauté de communes",
            "sepa_creditor_id": "FR72ZZZ123456",
            "sepa_iban": "FR7630006000011234567890189",
            "sepa_bic": "AGRIFRPPXXX",
            **extra,
        },
    )


def _debtor(organisation, *, invoices=("42.50",), email="parent@famille.example"):
    family = FamilyFactory(organisation=organisation, email=email)
    mandate = SepaMandateFactory(organisation=organisation, family=family)
    made = [InvoiceFactory(organisation=organisation, family=family, total=Decimal(t)) for t in invoices]
    return family, mandate, made


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _e2e_ids(xml: bytes) -> list[str]:
    return etree.fromstring(xml).xpath("//p:EndToEndId/text()", namespaces=NS)


def test_a_collection_records_its_file_and_lines_and_its_invoices_go_in_no_other_file():
    org = OrganisationFactory()
    _creditor(org)
    family, mandate, (first, second) = _debtor(org, invoices=("42.50", "10.00"))
    collection = create_collection(organisation=org, collection_date=DEBIT, acting_user=None)
    content = bytes(collection.content)
    assert collection.sha256 == hashlib.sha256(content).hexdigest()
    assert (collection.line_count, collection.total) == (2, Decimal("52.50"))
    assert etree.XMLSchema(etree.parse(str(sepa.PAIN008_XSD))).validate(etree.fromstring(content))
    tree = etree.fromstring(content)
    assert tree.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "52.50"
    assert tree.findtext(".//p:ReqdColltnDt", namespaces=NS) == "2026-12-20"
    lines = list(SepaCollectionLine.objects.filter(collection=collection).order_by("invoice__due_date", "pk"))
    assert {line.invoice_id for line in lines} == {first.pk, second.pk}
    assert {line.status for line in lines} == {LineStatus.PENDING}
    assert sorted(_e2e_ids(content)) == sorted(line.end_to_end_id for line in lines)
    # Not in the next file: there is nothing left to collect.
    with pytest.raises(DomainError, match="Aucune facture à prélever"):
        create_collection(organisation=org, collection_date=date(2026, 12, 27), acting_user=None)
    # A new invoice goes alone into the next file.
    third = InvoiceFactory(organisation=org, family=family, total=Decimal("7.00"))
    later = create_collection(organisation=org, collection_date=date(2026, 12, 27), acting_user=None)
    assert list(later.lines.values_list("invoice_id", flat=True)) == [third.pk]
    # The mandate stays FRST until a collection is settled: both files present it as first.
    assert etree.fromstring(bytes(later.content)).findtext(".//p:SeqTp", namespaces=NS) == "FRST"
    mandate.refresh_from_db()
    assert mandate.sequence == "FRST"
    # The database refuses an invoice in two running collections.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SepaCollectionLine.objects.create(
            organisation=org,
            collection=later,
            invoice=first,
            family=family,
            mandate=mandate,
            amount=Decimal("1"),
            sequence="FRST",
            end_to_end_id="X-1",
        )


def test_families_are_prenotified_with_amount_and_date_and_a_too_early_date_is_refused():
    org = OrganisationFactory(name="CC d'Auxois")
    _creditor(org)
    family, mandate, (invoice,) = _debtor(org, invoices=("1104.00",))
    with pytest.raises(DomainError, match="14 jours avant le prélèvement") as error:
        create_collection(organisation=org, collection_date=date(2026, 12, 10), acting_user=None)
    assert "15/12/2026" in error.value.message
    assert not SepaCollection.objects.exists() and not OutgoingEmail.objects.exists()
    create_collection(organisation=org, collection_date=DEBIT, acting_user=None)
    mail = OutgoingEmail.objects.get(template="sepa_prenotification")
    assert mail.to == "parent@famille.example"
    assert _plain(mail.subject) == "Prélèvement de 1 104,00 € le 20/12/2026 – CC d'Auxois"
    assert "nous prélèverons 1\u202f104,00\u00a0€ sur votre compte le 20/12/2026" in mail.body_text
    assert f"- la facture {invoice.number} : 1\u202f104,00\u00a0€" in mail.body_text
    assert mandate.rum in mail.body_text and "FR72ZZZ123456" in mail.body_text
    assert "&#x27;" not in mail.body_text + mail.subject


def test_the_organisation_sets_the_prenotification_delay():
    org = OrganisationFactory()
    _creditor(org, sepa_prenotification_days=5)
    _debtor(org)
    collection = create_collection(organisation=org, collection_date=date(2026, 12, 6), acting_user=None)
    assert collection.line_count == 1


def test_at_the_settlement_date_invoices_become_paid_with_receipts_and_the_mandate_recurrent():
    org = OrganisationFactory()
    _creditor(org)
    family, mandate, (first, second) = _debtor(org, invoices=("42.50", "10.00"))
    collection = create_collection(organisation=org, collection_date=DEBIT, acting_user=None)
    with pytest.raises(DomainError, match="n'a lieu que le 20/12/2026"):
        settle_collection(collection=collection, acting_user=None)
    with scope(organisation=org):
        assert settle_due_collections() == 0  # not yet
    with time_machine.travel(datetime(2026, 12, 20, 6, 0, tzinfo=PARIS), tick=False):
        with scope(organisation=org):
            assert settle_due_collections() == 2
    for invoice in (first, second):
        invoice.refresh_from_db()
        assert (invoice.status, invoice.balance) == (InvoiceStatus.PAID, Decimal("0.00"))
    payments = list(Payment.objects.filter(family=family).order_by("amount"))
    assert [(p.method, p.amount, p.received_on) for p in payments] == [
        ("sepa", Decimal("10.00"), DEBIT),
        ("sepa", Decimal("42.50"), DEBIT),
    ]
    assert all(p.receipt_number.startswith("R") for p in payments)
    assert OutgoingEmail.objects.filter(template="payment_received").count() == 2
    assert set(SepaCollectionLine.objects.values_list("status", flat=True)) == {LineStatus.SETTLED}
    mandate.refresh_from_db()
    assert mandate.sequence == "RCUR"
    collection.refresh_from_db()
    assert collection.settled_at is not None
    # The next file presents the mandate as recurrent.
    InvoiceFactory(organisation=org, family=family, total=Decimal("7.00"))
    with time_machine.travel(datetime(2026, 12, 21, 10, 0, tzinfo=PARIS), tick=False):
        later = create_collection(organisation=org, collection_date=date(2027, 1, 5), acting_user=None)
    assert etree.fromstring(bytes(later.content)).findtext(".//p:SeqTp", namespaces=NS) == "RCUR"


def test_the_periodic_command_settles_due_collections():
    org = OrganisationFactory()
    _creditor(org)
    _family, _mandate, (invoice,) = _debtor(org)
    create_collection(organisation=org, collection_date=DEBIT, acting_user=None)
    with time_machine.travel(datetime(2026, 12, 21, 3, 0, tzinfo=PARIS), tick=False):
        call_command("periodic")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_a_reject_makes_the_invoice_due_again_with_a_fee_invoice_and_an_email():
    org = OrganisationFactory()
    _creditor(org, sepa_reject_fee=Decimal("5.00"), payment_instructions="Par chèque à l'ordre du Trésor public.")
    family, mandate, (invoice,) = _debtor(org)
    collection = create_collection(organisation=org, collection_date=DEBIT, acting_user=None)
    line = collection.lines.get()
    reject_line(line=line, code="AM04", acting_user=None)
    line.refresh_from_db()
    assert (line.status, line.reject_code, line.reject_label) == (LineStatus.REJECTED, "AM04", "Provision insuffisante")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance) == (InvoiceStatus.DUE, Decimal("42.50"))
    fee = line.fee_invoice
    assert (fee.family_id, fee.total, fee.status) == (family.pk, Decimal("5.00"), InvoiceStatus.DUE)
    assert fee.lines.get().label == f"Frais de rejet de prélèvement (facture {invoice.number})"
    mail = OutgoingEmail.objects.get(template="sepa_rejected")
    assert mail.subject.startswith(f"Prélèvement rejeté – facture {invoice.number}")
    assert "Motif : Provision insuffisante." in mail.body_text
    assert f"Les frais de rejet (5,00\u00a0€) font l'objet de la facture {fee.number}." in mail.body_text
    assert "Par chèque à l'ordre du Trésor public." in mail.body_text
    # Due again: the invoice (and the fee) go into the next file; the mandate is still first.
    later = create_collection(organisation=org, collection_date=date(2026, 12, 27), acting_user=None)
    assert set(later.lines.values_list("invoice_id", flat=True)) == {invoice.pk, fee.pk}
    mandate.refresh_from_db()
    assert mandate.sequence == "FRST"
    with pytest.raises(DomainError, match="déjà enregistré comme rejeté"):
        reject_line(line=line, code="AM04", acting_user=None)


def test_a_reject_after_settlement_voids_the_payment_and_the_mandate_stays_first_until_then():
    org = OrganisationFactory()
    _creditor(org)  # no reject fee
    family, mandate, (invoice,) = _debtor(org)
    collection = create_collection(organisation=org, collection_date=DEBIT, acting_user=None)
    with time_machine.travel(datetime(2026, 12, 20, 10, 0, tzinfo=PARIS), tick=False):
        settle_collection(collection=collection, acting_user=None)
        line = collection.lines.get()
        reject_line(line=line, code="MS02", acting_user=None)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.DUE, Decimal("0.00"))
    payment = Payment.objects.get(family=family)
    assert payment.voided_at is not None and "MS02" in payment.void_reason
    line.refresh_from_db()
    assert line.fee_invoice is None
    assert Invoice.objects.filter(family=family).count() == 1  # no fee invoice


def _pain002(msg_id: str, rejects, *, group_status="PART", ns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"):
    txs = "".join(
        f"<TxInfAndSts><StsId>S{i}</StsId><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>RJCT</TxSts>"
        f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf></TxInfAndSts>"
        for i, (e2e, code) in enumerate(rejects)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{ns}"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>REPORT1</MsgId><CreDtTm>2026-12-21T08:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{msg_id}</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId>"
        f"<GrpSts>{group_status}</GrpSts></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>P1</OrgnlPmtInfId>{txs}</OrgnlPmtInfAndSts>"
        f"</CstmrPmtStsRpt></Document>"
    ).encode()


def _msg_id(collection) -> str:
    return etree.fromstring(bytes(collection.content)).findtext(".//p:GrpHdr/p:MsgId", namespaces=NS)


def test_a_pain002_status_report_records_its_rejects():
    org = OrganisationFactory()
    _creditor(org)
    _f1, _m1, (kept,) = _debtor(org, email="un@famille.example")
    _f2, _m2, (rejected,) = _debtor(org, email="deux@famille.example")
    collection = create_collection(organisation=org, collection_date=DEBIT, acting_user=None)
    line = collection.lines.get(invoice=rejected)
    report = _pain002(_msg_id(collection), [(line.end_to_end_id, "AC04")])
    assert import_status_report(collection=collection, content=report, acting_user=None) == 1
    line.refresh_from_db()
    assert (line.status, line.reject_code, line.reject_label) == (LineStatus.REJECTED, "AC04", "Compte clôturé")
    assert collection.lines.get(invoice=kept).status == LineStatus.PENDING
    assert OutgoingEmail.objects.get(template="sepa_rejected").to == "deux@famille.example"
    # The same report read twice records nothing more.
    assert import_status_report(collection=collection, content=report, acting_user=None) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"pas du xml", "n'est pas un XML lisible"),
        (b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"/>', "pain.002"),
        (_pain002("AUTRE-FICHIER", []), "concerne un autre fichier"),
        (b'<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>&e;</d>', "pain.002"),
    ],
)
def test_a_wrong_status_report_is_refused_in_french_and_changes_nothing(content, message):
    org = OrganisationFactory()
    _creditor(org)
    _debtor(org)
    collection = create_collection(organisation=org, collection_date=DEBIT, acting_user=None)
    with pytest.raises(DomainError, match=message):
        import_status_report(collection=collection, content=content, acting_user=None)
    assert set(collection.lines.values_list("status", flat=True)) == {LineStatus.PENDING}


def test_a_status_report_naming_an_unknown_debit_is_refused():
    org = OrganisationFactory()
    _creditor(org)
    _debtor(org)
    collection = create_collection(organisation=org, collection_date=DEBIT, acting_user=None)
    report = _pain002(_msg_id(collection), [("INCONNU-1", "AM04")])
    with pytest.raises(DomainError, match="opération inconnue dans ce prélèvement : INCONNU-1"):
        import_status_report(collection=collection, content=report, acting_user=None)
    assert not OutgoingEmail.objects.filter(template="sepa_rejected").exists()


def test_a_whole_file_rejected_by_the_bank_rejects_every_line():
    org = OrganisationFactory()
    _creditor(org)
    _debtor(org, invoices=("10.00", "20.00"))
    collection = create_collection(organisation=org, collection_date=DEBIT, acting_user=None)
    report = _pain002(_msg_id(collection), [], group_status="RJCT")
    assert import_status_report(collection=collection, content=report, acting_user=None) == 2


# --- Back office and portal -------------------------------------------------------------


def test_back_office_collection_pages_and_portal(tenant_a):
    org = tenant_a.organisation
    _creditor(org, sepa_reject_fee=Decimal("4.00"))
    family = tenant_a.family_user.family
    SepaMandateFactory(organisation=org, family=family)
    invoice = InvoiceFactory(organisation=org, family=family, total=Decimal("42.50"))
    admin = client_for(tenant_a.admin)
    response = admin.post(tenant_a.url("gestion/facturation/prelevements/"), {"collection_date": "2026-12-05"})
    assert response.status_code == 400
    assert "choisissez une date à partir du 15/12/2026" in page_text(response)
    response = admin.post(tenant_a.url("gestion/facturation/prelevements/"), {"collection_date": "2026-12-20"})
    assert response.status_code == 302
    collection = SepaCollection.objects.get()
    assert response["Location"].endswith(f"/prelevements/{collection.pk}/")
    page = page_text(admin.get(response["Location"]))
    assert invoice.number in page and "Prélèvement en cours" in page and collection.sha256 in page
    download = admin.get(tenant_a.url(f"gestion/facturation/prelevements/{collection.pk}/fichier/"))
    assert download["Content-Type"] == "application/xml"
    assert hashlib.sha256(download.content).hexdigest() == collection.sha256
    # The invoice says so, with the date, in the back office and in the portal.
    assert "Prélèvement en cours, le 20/12/2026" in page_text(admin.get(tenant_a.url("gestion/facturation/factures/")))
    assert "Prélèvement en cours, le 20/12/2026" in page_text(
        admin.get(tenant_a.url(f"gestion/facturation/factures/{invoice.pk}/"))
    )
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    parent = client_for(tenant_a.family_user)
    assert "Prélèvement en cours, le 20/12/2026" in page_text(parent.get(tenant_a.url("mes-factures/")))
    assert "Prélèvement en cours, le 20/12/2026" in page_text(parent.get(tenant_a.url(f"mes-factures/{invoice.pk}/")))
    # Settling early is refused; entering a reject works.
    response = admin.post(tenant_a.url(f"gestion/facturation/prelevements/{collection.pk}/regler/"))
    assert response.status_code == 302
    assert Payment.objects.count() == 0
    line = collection.lines.get()
    url = tenant_a.url(f"gestion/facturation/prelevements/lignes/{line.pk}/rejet/")
    assert admin.get(url).status_code == 200
    response = admin.post(url, {"code": "ZZZZ", "rejected_on": "2026-12-21"})
    assert response.status_code == 400
    response = admin.post(url, {"code": "MD01", "rejected_on": "2026-12-21"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.reject_code, line.fee_invoice.total) == ("rejected", "MD01", Decimal("4.00"))
    page = page_text(admin.get(tenant_a.url(f"gestion/facturation/prelevements/{collection.pk}/")))
    assert "MD01 – Pas de mandat" in page and line.fee_invoice.number in page
    assert "Prélèvement en cours" not in page_text(parent.get(tenant_a.url("mes-factures/")))


def test_back_office_reads_a_pain002_upload(tenant_a):
    org = tenant_a.organisation
    _creditor(org)
    family = tenant_a.family_user.family
    SepaMandateFactory(organisation=org, family=family)
    InvoiceFactory(organisation=org, family=family)
    collection = create_collection(organisation=org, collection_date=DEBIT, acting_user=None)
    line = collection.lines.get()
    admin = client_for(tenant_a.admin)
    url = tenant_a.url(f"gestion/facturation/prelevements/{collection.pk}/")
    response = admin.post(url, {"report": SimpleUploadedFile("rapport.xml", b"<oops", "text/xml")})
    assert response.status_code == 400 and "n'est pas un XML lisible" in page_text(response)
    report = _pain002(_msg_id(collection), [(line.end_to_end_id, "AM04")])
    response = admin.post(url, {"report": SimpleUploadedFile("rapport.xml", report, "text/xml")})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == LineStatus.REJECTED


def test_collections_are_refused_to_staff_limited_to_structures(tenant_a):
    from ribambelle.tenancy.roles import Role

    from .factories import MembershipFactory, MembershipStructureFactory, StructureFactory

    org = tenant_a.organisation
    _creditor(org)
    family = tenant_a.family_user.family
    SepaMandateFactory(organisation=org, family=family)
    InvoiceFactory(organisation=org, family=family)
    collection = create_collection(organisation=org, collection_date=DEBIT, acting_user=None)
    membership = MembershipFactory(organisation=org, role=Role.ADMINISTRATOR)
    MembershipStructureFactory(organisation=org, membership=membership, structure=StructureFactory(organisation=org))
    client = client_for(membership.user)
    assert client.get(tenant_a.url(f"gestion/facturation/prelevements/{collection.pk}/")).status_code == 404
    assert client.get(tenant_a.url(f"gestion/facturation/prelevements/{collection.pk}/fichier/")).status_code == 404


def test_mandate_factory_sequence_default():
    assert SepaMandate._meta.get_field("sequence").default == "FRST"


def test_the_demo_has_a_settled_collection_and_a_reject():
    from ribambelle.tenancy.models import Organisation

    call_command("load_demo", stdout=open("/dev/null", "w"))
    call_command("load_demo", stdout=open("/dev/null", "w"))
    pouilly = Organisation.objects.get(slug="pouilly-bligny")
    collections = list(SepaCollection.objects.filter(organisation=pouilly).order_by("collection_date"))
    assert len(collections) == 2
    rejected, settled = collections
    assert rejected.lines.get().status == LineStatus.REJECTED and rejected.lines.get().reject_code == "AM04"
    assert settled.settled_at is not None
    assert set(settled.lines.values_list("status", flat=True)) == {LineStatus.SETTLED}
    assert SepaMandate.objects.get(organisation=pouilly, is_active=True).sequence == "RCUR"


def test_the_prenotification_delay_and_the_reject_fee_are_settings(tenant_a):
    admin = client_for(tenant_a.admin)
    data = {
        "payment_instructions": "",
        "due_days": 30,
        "sibling_reduction_percent": "0",
        "sibling_reduction_from_rank": 2,
        "quotient_validity_months": 12,
        "sepa_prenotification_days": 7,
        "sepa_reject_fee": "4,50",
    }
    response = admin.post(tenant_a.url("gestion/facturation/reglages/"), data)
    assert response.status_code == 302, page_text(response)
    settings = BillingSettings.objects.get(organisation=tenant_a.organisation)
    assert (settings.sepa_prenotification_days, settings.sepa_reject_fee) == (7, Decimal("4.50"))
    response = admin.post(tenant_a.url("gestion/facturation/reglages/"), {**data, "sepa_prenotification_days": 0})
    assert response.status_code == 400


def test_the_collection_list_filters_by_state_and_sorts_by_amount(tenant_a):
    """The SEPA home lists its collections through a FilterSet (en cours / réglé, `?tri=`), aria-sort
    on the sorted column; a wrong state is explained and ignored."""
    org = tenant_a.organisation
    _creditor(org)
    _debtor(org, invoices=("42.50",), email="un@famille.example")
    first = create_collection(organisation=org, collection_date=DEBIT, acting_user=None)
    _debtor(org, invoices=("99.00",), email="deux@famille.example")
    second = create_collection(organisation=org, collection_date=DEBIT + timedelta(days=1), acting_user=None)
    SepaCollection.objects.filter(pk=first.pk).update(settled_at=timezone.now())
    admin = client_for(tenant_a.admin)
    url = tenant_a.url("gestion/facturation/prelevements/")

    def listed(params):
        response = admin.get(url, params)
        assert response.status_code == 200
        return [c.pk for c in response.context["page"]], response

    assert listed({})[0] == [second.pk, first.pk]
    assert listed({"etat": "regle"})[0] == [first.pk]
    assert listed({"etat": "en-cours"})[0] == [second.pk]
    ids, response = listed({"tri": "montant"})
    assert ids == [first.pk, second.pk]
    assert 'aria-sort="ascending"' in response.content.decode()
    assert listed({"tri": "-montant"})[0] == [second.pk, first.pk]
    ids, response = listed({"etat": "peut-etre"})
    assert ids == [second.pk, first.pk] and "Sélectionnez un choix valide" in page_text(response)


def test_an_invoice_in_a_collection_under_way_cannot_be_paid_online_too(tenant_a):
    """Paying by card an invoice the bank will debit would take the money twice."""
    from ribambelle.payments.services import start_payment

    from .factories import ProviderConfigFactory

    org = tenant_a.organisation
    _creditor(org)
    ProviderConfigFactory(organisation=org, kind="dummy")
    _family, _mandate, (invoice,) = _debtor(org)
    create_collection(organisation=org, collection_date=DEBIT, acting_user=None)
    with pytest.raises(DomainError, match="sera prélevée sur votre compte le 20/12/2026"):
        start_payment(invoice=invoice, user=None, base_url="http://testserver")
