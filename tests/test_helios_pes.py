"""Hélios PES V2 export (issue 16): a run of three families becomes one ORMC rôle whose
structure follows the documented order, with one SEPA debit and the invoice PDFs attached;
a missing field blocks the export without consuming a number; a second export is refused."""

import base64
import gzip
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from lxml import etree

from ribambelle.billing import sepa
from ribambelle.billing.models import RunStatus
from ribambelle.billing.pdf import invoice_pdf
from ribambelle.billing.services import settings_for
from ribambelle.core.exceptions import DomainError
from ribambelle.core.models import AuditEntry
from ribambelle.helios import pes, services
from ribambelle.helios.models import HeliosProductCode, PesRoll, RollCounter
from ribambelle.helios.selectors import export_plan, invoices_collected_by_tresor, num_dette
from ribambelle.tenancy.roles import Role

from .conftest import client_for
from .factories import (
    ActivityFactory,
    FamilyFactory,
    HeliosSettingsFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    InvoiceRunFactory,
    MembershipFactory,
    PersonFactory,
    SepaMandateFactory,
)

TODAY = date(2026, 11, 30)
NS = pes.NS
LONG_NAME = ("Éléonore-Françoise de la Côte-d'Azur Müller Øster " * 3)[:120]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Europe/Paris")), tick=False):
        yield


def _family(organisation, name, **kwargs):
    values = {
        "address_line": "3 rue des Écoles",
        "postal_code": "58150",
        "city": "Pouilly-sur-Loire",
        "payer_civility": "MME",
    }
    values.update(kwargs)
    family = FamilyFactory(organisation=organisation, name=name, **values)
    PersonFactory(organisation=organisation, family=family, role="adult", first_name="Camille", last_name=name)
    return family


def _invoice(run, family, sequence, amounts, *, paid=Decimal("0.00"), activities=()):
    total = sum(amounts, Decimal("0.00"))
    invoice = InvoiceFactory(
        organisation=run.organisation,
        family=family,
        run=run,
        sequence=sequence,
        total=total,
        amount_paid=paid,
        status="paid" if paid >= total else ("partial" if paid else "due"),
        family_address="3 rue des Écoles\n58150 Pouilly-sur-Loire",
    )
    for index, amount in enumerate(amounts):
        activity = activities[index] if index < len(activities) else None
        InvoiceLineFactory(
            organisation=run.organisation,
            family=family,
            invoice=invoice,
            activity=activity,
            activity_name=activity.name if activity else "Accueil",
            unit_price=amount,
            amount=amount,
        )
    return invoice


@pytest.fixture
def world(tenant_a):
    organisation = tenant_a.organisation
    settings = HeliosSettingsFactory(organisation=organisation, edition="06", cod_col="123")
    canteen = ActivityFactory(organisation=organisation, name="Restauration scolaire")
    leisure = ActivityFactory(organisation=organisation, name="Accueil de loisirs")
    HeliosProductCode.objects.create(organisation=organisation, settings=settings, activity=canteen, code="CANT")
    run = InvoiceRunFactory(organisation=organisation, status=RunStatus.DONE)
    debtor = _family(organisation, "Martin", payer_civility="M")
    mandate = SepaMandateFactory(organisation=organisation, family=debtor)
    accented = _family(organisation, LONG_NAME, payer_last_name=LONG_NAME, payer_first_name="Zoé-Anaïs")
    plain = _family(organisation, "Bernard")
    settled = _family(organisation, "Petit")
    invoices = [
        _invoice(run, debtor, 101, [Decimal("12.50"), Decimal("30.00")], activities=(canteen, leisure)),
        _invoice(run, accented, 102, [Decimal("8.40")], activities=(canteen,)),
        _invoice(run, plain, 103, [Decimal("20.00"), Decimal("15.00")], paid=Decimal("25.00"), activities=(leisure,)),
    ]
    paid = _invoice(run, settled, 104, [Decimal("9.00")], paid=Decimal("9.00"))
    return {
        "tenant": tenant_a,
        "organisation": organisation,
        "settings": settings,
        "run": run,
        "invoices": invoices,
        "paid": paid,
        "mandate": mandate,
        "families": (debtor, accented, plain),
    }


def _export(world, **kwargs):
    return services.export_pes(run=world["run"], settings=world["settings"], acting_user=world["tenant"].admin)


def _tree(roll):
    with roll.file.open("rb") as fh:
        return etree.parse(fh)


def _v(element, path):
    return element.find(path).get("V")


def test_texts_are_upper_case_ascii_cut_to_length():
    assert pes.pes_text("Éléonore Œdipe  d'Aÿ", 38) == "ELEONORE OEDIPE D'AY"
    assert len(pes.pes_text(LONG_NAME, 38)) <= 38
    assert pes.pes_text("Zoé & <Anaïs>", 38) == "ZOE & <ANAIS>"


def test_invoice_number_for_helios_is_numeric_and_fits(world):
    invoice = world["invoices"][0]
    assert invoice.number == "F2026-000101"
    assert num_dette(invoice) == "2026000101"
    assert num_dette(invoice).isdigit() and len(num_dette(invoice)) <= 15


def test_a_run_of_three_families_gives_the_documented_file(world):
    roll = _export(world)
    tree = _tree(roll)
    root = tree.getroot()
    assert root.tag == f"{{{NS}}}PES_Aller"
    assert root.nsmap == {"n": NS}
    assert tree.docinfo.encoding == "ISO-8859-1"
    assert [child.tag for child in root] == ["Enveloppe", "EnTetePES", "PES_RecetteAller", "PES_PJ"]
    assert [c.tag for c in root.find("Enveloppe/Parametres")] == ["Version", "TypFic", "NomFic"]
    assert _v(root, "Enveloppe/Parametres/TypFic") == "PESORMC"
    header = ["DteStr", "IdPost", "IdColl", "CodCol", "CodBud", "LibelleColBud"]
    assert [c.tag for c in root.find("EnTetePES")] == header
    assert _v(root, "EnTetePES/IdColl") == "21580123400018"
    bordereau = root.find("PES_RecetteAller/Bordereau")
    assert [c.tag for c in root.find("PES_RecetteAller")] == ["EnTeteRecette", "Bordereau"]
    bloc = bordereau.find("BlocBordereau")
    assert [c.tag for c in bloc] == ["Exer", "IdBord", "DteBordEm", "TypBord", "NbrPce", "MtBordHt", "Objet"]
    assert (_v(bloc, "Exer"), _v(bloc, "IdBord"), _v(bloc, "TypBord"), _v(bloc, "NbrPce")) == ("2026", "1", "06", "3")
    pieces = bordereau.findall("Piece")
    assert len(pieces) == 3
    lines = [Decimal(e.get("V")) for e in bordereau.iter("MtHT")]
    assert Decimal(_v(bloc, "MtBordHt")) == sum(lines) == Decimal("60.90")  # 42.50 + 8.40 + (35.00 - 25.00)
    first = pieces[0]
    assert [c.tag for c in first.find("BlocPiece")] == [
        "IdPce", "TypPce", "NatPce", "Edition", "ObjPce", "NumDette", "Per", "PJRef",
    ]  # fmt: skip
    assert (_v(first, "BlocPiece/TypPce"), _v(first, "BlocPiece/NatPce")) == ("15", "01")
    assert _v(first, "BlocPiece/NumDette") == "2026000101"
    # One line per product code: the canteen's own code, the default for the rest.
    codes = [_v(line, "BlocLignePiece/InfoLignePiece/CodProdLoc") for line in first.findall("LigneDePiece")]
    assert codes == ["ENF", "CANT"] or codes == ["CANT", "ENF"]
    info = first.find("LigneDePiece/BlocLignePiece/InfoLignePiece")
    assert [c.tag for c in info] == ["IdLigne", "ObjLignePce", "CodProdLoc", "Nature", "Majo", "TvaIntraCom", "MtHT"]
    # Exactly one SEPA debit: the family with the active mandate, bank account in Tiers.
    debits = [p for p in pieces if p.find("LigneDePiece/BlocLignePiece/InfoPrelevementSEPA") is not None]
    assert debits == [first]
    sepa_block = first.find("LigneDePiece/BlocLignePiece/InfoPrelevementSEPA")
    assert [c.tag for c in sepa_block] == [
        "NatPrel", "PerPrel", "DtePrel", "MtPrel", "SequencePres", "DateSignMandat", "RefUniMdt", "LibPrel",
    ]  # fmt: skip
    assert _v(sepa_block, "SequencePres") == "02"  # FRST
    assert _v(first, "LigneDePiece/Tiers/CpteBancaire/IBAN") == world["mandate"].iban
    assert roll.sepa_count == 1
    # The accented 120-character name: upper-case ASCII, cut to 38.
    tiers = pieces[1].find("LigneDePiece/Tiers/InfoTiers")
    assert [c.tag for c in tiers] == ["RefTiers", "CatTiers", "NatJur", "TypTiers", "Civilite", "Nom", "Prenom"]
    assert _v(tiers, "Nom") == pes.pes_text(LONG_NAME, 38) and _v(tiers, "Nom").startswith("ELEONORE-FRANCOISE")
    assert len(_v(tiers, "Nom")) <= 38 and _v(tiers, "Nom").isascii()
    assert _v(tiers, "Prenom") == "ZOE-ANAIS"
    # The settled invoice is not in the rôle.
    assert world["paid"].pk not in set(roll.pieces.values_list("invoice_id", flat=True))


def test_attached_pdfs_are_exactly_the_invoice_pdfs(world):
    roll = _export(world)
    root = _tree(roll).getroot()
    attachments = root.findall("PES_PJ/PJ")
    assert _v(root, "PES_PJ/EnTetePES_PJ/IdVer") == "1"
    assert len(attachments) == 3
    references = [_v(p, "BlocPiece/PJRef/IdUnique") for p in root.iter("Piece")]
    assert [_v(pj, "IdUnique") for pj in attachments] == references
    assert len(set(references)) == 3
    billing = settings_for(world["organisation"])
    for invoice, pj in zip(world["invoices"], attachments, strict=True):
        fichier = pj.find("Contenu/Fichier")
        assert fichier.get("MIMEType") == "application/pdf"
        assert _v(pj, "TypePJ") == "010"  # Edition 06: printed and posted by the DGFiP
        decoded = gzip.decompress(base64.b64decode(fichier.text))
        invoice.refresh_from_db()
        assert decoded == invoice_pdf(invoice, lines=list(invoice.lines.all()), settings=billing)


def test_the_file_is_stored_with_its_hash_and_validates(world):
    import hashlib

    roll = _export(world)
    data = roll.file.open("rb").read()
    assert hashlib.sha256(data).hexdigest() == roll.sha256
    assert roll.size == len(data)
    assert roll.file.name.startswith(f"helios/{world['organisation'].pk}/2026/")
    assert roll.file_name == "PESORMC_21580123400018_2026_0000001.xml"
    assert roll.total == Decimal("60.90") and roll.piece_count == 3
    pes.validate(Path(roll.file.path), expected_total=Decimal("60.90"), expected_pieces=3)
    assert AuditEntry.objects.filter(action="pes_export", object_id=str(roll.pk)).exists()


def test_a_family_without_address_is_named_and_nothing_is_consumed(world, settings):
    family = world["families"][2]
    family.address_line = ""
    family.save()
    with pytest.raises(DomainError) as refused:
        _export(world)
    assert "Bernard" in refused.value.message and "adresse" in refused.value.message
    assert not PesRoll.objects.exists()
    assert not RollCounter.objects.filter(last_number__gt=0).exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.xml"))
    family.address_line = "3 rue des Écoles"
    family.save()
    assert _export(world).number == 1  # the number was not consumed


def test_the_preview_lists_problems_by_family_and_field(world):
    debtor, accented, _plain = world["families"]
    accented.payer_civility = ""
    accented.save()
    world["mandate"].bic = ""
    world["mandate"].save()
    plan = export_plan(world["run"], world["settings"], issued_on=TODAY)
    found = {(p.family_name, p.field) for p in plan.problems}
    assert found == {(LONG_NAME, "civilité du payeur"), ("Martin", "coordonnées bancaires du mandat")}
    assert plan.count == 3 and plan.total == Decimal("60.90") and plan.sepa_count == 1
    assert [s.number for s in plan.skipped] == [world["paid"].number]


def test_a_second_export_is_refused_until_the_first_is_cancelled(world):
    first = _export(world)
    with pytest.raises(DomainError, match="déjà son rôle"):
        _export(world)
    with pytest.raises(DomainError):
        services.cancel_pes_roll(roll=first, reason="  ", acting_user=world["tenant"].admin)
    services.cancel_pes_roll(roll=first, reason="Rejet Hélios : doublon", acting_user=world["tenant"].admin)
    assert AuditEntry.objects.filter(action="pes_cancel", object_id=str(first.pk)).exists()
    second = _export(world)
    assert second.number == 2
    first_ids = set(first.pieces.values_list("attachment_id", flat=True))
    assert not first_ids & set(second.pieces.values_list("attachment_id", flat=True))


def test_invoices_debited_by_the_tresor_stay_out_of_our_pain008(world):
    organisation = world["organisation"]
    debtor_invoice = world["invoices"][0]
    assert debtor_invoice.pk in {invoice.pk for invoice, _m in sepa.collectable(organisation)}
    roll = _export(world)
    assert list(invoices_collected_by_tresor(organisation).values_list("invoice_id", flat=True)) == [debtor_invoice.pk]
    assert debtor_invoice.pk not in {invoice.pk for invoice, _m in sepa.collectable(organisation)}
    services.cancel_pes_roll(roll=roll, reason="Refait", acting_user=world["tenant"].admin)
    assert debtor_invoice.pk in {invoice.pk for invoice, _m in sepa.collectable(organisation)}


def test_only_issued_runs_are_exported(world):
    world["run"].status = RunStatus.PREVIEW
    world["run"].save()
    with pytest.raises(DomainError, match="émise"):
        _export(world)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("siret", "21580123400017"),  # wrong Luhn key
        ("siret", "2158012340001"),
        ("id_post", "58000"),
        ("cod_col", "12"),
        ("cod_bud", "1"),
        ("default_product_code", "TROP LONG"),
        ("article_subject", "Facture {inconnue}"),
    ],
)
def test_settings_are_checked_on_entry(tenant_a, field, value):
    values = {
        "id_post": "058000",
        "siret": "21580123400018",
        "cod_col": "123",
        "cod_bud": "01",
        "budget_label": "Budget principal",
        "default_product_code": "ENF",
        "nature": "588",
        "roll_subject": "Facturation du {debut} au {fin}",
        "article_subject": "Facture {facture}",
        "edition": "",
        "debit_label": "Facture {facture}",
        "debit_days": 10,
    }
    saved = services.save_helios_settings(
        organisation=tenant_a.organisation, instance=None, values=values, codes={}, acting_user=tenant_a.admin
    )
    assert saved.siret == "21580123400018"
    with pytest.raises(DomainError) as refused:
        services.save_helios_settings(
            organisation=tenant_a.organisation,
            instance=saved,
            values={**values, field: value},
            codes={},
            acting_user=tenant_a.admin,
        )
    assert refused.value.field == field


def test_the_command_writes_the_file(world, tmp_path):
    output = tmp_path / "role.xml"
    call_command("export_pes", organisation=world["organisation"].slug, run=world["run"].pk, output=str(output))
    roll = PesRoll.objects.get()
    assert output.read_bytes() == roll.file.open("rb").read()


def test_back_office_preview_generate_download_cancel(world):
    tenant = world["tenant"]
    finance = MembershipFactory(organisation=world["organisation"], role=Role.FINANCE).user
    client = client_for(finance)
    base = tenant.url(f"gestion/facturation/emissions/{world['run'].pk}/pes/")
    page = client.get(base)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Générer le fichier PES" in text and "60,90" in text and "Petit" in text
    response = client.post(base + "generer/", {"settings": world["settings"].pk})
    assert response.status_code == 302
    roll = PesRoll.objects.get()
    download = client.get(base.replace("pes/", f"pes/{roll.pk}/fichier/").replace(f"emissions/{world['run'].pk}/", ""))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == roll.file.open("rb").read()
    again = client.post(base + "generer/", {"settings": world["settings"].pk}, follow=True)
    assert "déjà son rôle" in again.content.decode()
    assert PesRoll.objects.count() == 1
    cancel = client.post(tenant.url(f"gestion/facturation/pes/{roll.pk}/annuler/"), {"reason": "Doublon"})
    assert cancel.status_code == 302
    roll.refresh_from_db()
    assert roll.cancelled_at is not None and roll.cancel_reason == "Doublon"
    # An animateur never reaches the page.
    assert client_for(tenant.agent).get(base).status_code == 403


def test_back_office_settings_form_saves_codes_per_activity(tenant_a):
    activity = ActivityFactory(organisation=tenant_a.organisation, name="Mercredis")
    client = client_for(tenant_a.admin)
    url = tenant_a.url("gestion/facturation/helios/nouveau/")
    page = client.get(url)
    assert page.status_code == 200 and "Code produit : Mercredis" in page.content.decode()
    data = {
        "budget_label": "Budget principal",
        "id_post": "058000",
        "siret": "215 801 234 00018",
        "cod_col": "123",
        "cod_bud": "01",
        "default_product_code": "enf",
        "nature": "588",
        "edition": "06",
        "roll_subject": "Facturation du {debut} au {fin}",
        "article_subject": "Facture {facture}",
        "debit_label": "Facture {facture}",
        "debit_days": "10",
        f"code_{activity.pk}": "merc",
    }
    refused = client.post(url, {**data, "siret": "21580123400017"})
    assert refused.status_code == 400 and "SIRET" in refused.content.decode()
    assert client.post(url, data).status_code == 302
    settings = tenant_a.organisation and HeliosProductCode.objects.get().settings
    assert (settings.siret, settings.default_product_code) == ("21580123400018", "ENF")
    assert HeliosProductCode.objects.get().code == "MERC"
    assert client.get(tenant_a.url("gestion/facturation/helios/")).status_code == 200
