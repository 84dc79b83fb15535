"""CSV import: a preview with per-row French errors, then all or nothing, then invitations."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ribambelle.accounts.models import User
from ribambelle.communication.models import OutgoingEmail
from ribambelle.families import importing
from ribambelle.families.models import Family, Person

from .conftest import client_for, page_text

SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "exemples" / "import_familles.csv"
HEADER = "cle_famille;nom_famille;commune;role;nom;prenom;date_naissance;sexe;email;classe\n"


def _upload(client, tenant, content: bytes, encoding="auto"):
    return client.post(
        tenant.url("gestion/familles/import/"),
        {"file": SimpleUploadedFile("familles.csv", content, content_type="text/csv"), "encoding": encoding},
    )


def test_sample_file_previews_then_imports_then_invites(tenant_a):
    client = client_for(tenant_a.admin)
    response = _upload(client, tenant_a, SAMPLE.read_bytes())
    text = page_text(response)
    assert response.status_code == 200, text
    assert "Fichier correct : 2 famille(s), 3 responsable(s), 3 enfant(s)." in text
    assert not Family.objects.filter(name="GARNIER").exists()  # preview writes nothing

    response = client.post(tenant_a.url("gestion/familles/import/confirmer/"))
    assert response.status_code == 200
    garnier = Family.objects.get(organisation=tenant_a.organisation, name="GARNIER")
    assert garnier.external_ref == "F001" and garnier.family_quotient == 820 and garnier.city == "Bioule"
    chloe = Person.objects.get(family=garnier, first_name="Chloé")
    assert chloe.school_level == "CE2" and chloe.birth_date.isoformat() == "2016-09-21" and chloe.sex == "F"
    assert Person.objects.get(family=garnier, first_name="Élodie").relationship == "Mère"
    assert " chloe " in garnier.search_text
    lefevre = Family.objects.get(organisation=tenant_a.organisation, name="LEFÈVRE")
    adults = Person.objects.filter(role="adult", family__in=[garnier, lefevre])
    assert "Envoyer les invitations" in page_text(response)

    client.post(tenant_a.url("gestion/familles/import/invitations/"), {"adults": [a.pk for a in adults]})
    assert OutgoingEmail.objects.filter(template="invitation").count() == 3
    assert User.objects.filter(family=garnier).count() == 2

    # The same file again: every family is already there, nothing is written twice.
    response = _upload(client, tenant_a, SAMPLE.read_bytes())
    assert response.status_code == 400 and "a déjà été importée" in page_text(response)


def test_windows_1252_file_is_read_with_its_accents(tenant_a):
    content = (HEADER + "A1;LEFÈVRE;Nègrepelisse;responsable;LEFÈVRE;Inès;30/11/1990;F;ines@exemple.fr;\n").encode(
        "cp1252"
    )
    preview = importing.parse(content, organisation=tenant_a.organisation)
    assert preview.ok, preview.errors
    assert preview.families[0].values["name"] == "LEFÈVRE" and preview.families[0].adults[0]["first_name"] == "Inès"


def test_utf8_with_bom_and_comma_separator(tenant_a):
    content = "\ufeff" + HEADER.replace(";", ",") + "B1,ÉTIENNE,Albi,parent,ÉTIENNE,Loïc,01/02/1980,M,,\n"
    preview = importing.parse(content.encode("utf-8"), organisation=tenant_a.organisation)
    assert preview.ok, preview.errors
    assert preview.families[0].adults[0]["first_name"] == "Loïc"


def test_bad_file_is_refused_line_by_line_in_french_and_writes_nothing(tenant_a):
    rows = [
        "C1;MARTIN;Bioule;responsable;MARTIN;;01/01/1980;F;julie@exemple.fr;",  # missing first name
        "C1;MARTIN;Bioule;enfant;MARTIN;Léa;31/02/2016;F;;CE1",  # impossible date
        "C1;MARTIN;Bioule;enfant;;Hugo;01/01/2019;X;;",  # missing name, unknown sex
        "C2;DURAND;Albi;cousin;DURAND;Paul;01/01/2090;M;pas-un-email;",  # role, future date, e-mail
        "C3;PETIT;Albi;enfant;PETIT;Tom;01/01/2018;M;;CP",  # a family without an adult
        "C1;MARTIN;Bioule;enfant;MARTIN;Zoé;01/01/2018;F;;ZZ",  # unknown class
    ]
    content = (HEADER + "\n".join(rows) + "\n").encode("utf-8")
    client = client_for(tenant_a.admin)
    response = _upload(client, tenant_a, content)
    text = page_text(response)
    assert response.status_code == 400
    assert "Le fichier est refusé : rien n'a été importé." in text
    assert "le prénom est vide." in text
    assert "date de naissance « 31/02/2016 » impossible" in text
    assert "le nom est vide." in text and "sexe « X » inconnu" in text
    assert "rôle « cousin » inconnu" in text and "e-mail « pas-un-email » invalide." in text
    assert "classe « ZZ » inconnue" in text and "n'a aucun responsable légal" in text
    preview = importing.parse(content, organisation=tenant_a.organisation)
    assert [line for line, _ in preview.errors] == [2, 3, 4, 5, 6, 7]
    # Confirming without a clean preview imports nothing.
    response = client.post(tenant_a.url("gestion/familles/import/confirmer/"))
    assert response.status_code == 302
    assert not Family.objects.filter(name__in=["MARTIN", "DURAND", "PETIT"]).exists()
    with pytest.raises(importing.DomainError):
        importing.import_families(organisation=tenant_a.organisation, preview=preview, acting_user=tenant_a.admin)


def test_unknown_columns_are_refused(tenant_a):
    content = b"cle_famille;role;nom;prenom;pointure\nD1;responsable;ROY;Anne;38\n"
    preview = importing.parse(content, organisation=tenant_a.organisation)
    assert not preview.ok
    assert preview.errors[0][0] == 1 and "Colonnes inconnues : « pointure »" in preview.errors[0][1][0]


def test_windows_1252_file_declared_utf8_is_refused_with_advice(tenant_a):
    content = (HEADER + "E1;LEFÈVRE;Nègrepelisse;responsable;LEFÈVRE;Inès;30/11/1990;F;;\n").encode("cp1252")
    response = _upload(client_for(tenant_a.admin), tenant_a, content, encoding="utf-8")
    text = page_text(response)
    assert response.status_code == 400
    assert "n'est pas encodé en UTF-8 (caractère illisible ligne 2)" in text and "Windows-1252" in text
    assert not Family.objects.filter(name="LEFÈVRE").exists()


def test_double_encoded_file_is_refused(tenant_a):
    # UTF-8 bytes opened as Windows-1252 then saved again as UTF-8: "Ã¨" instead of "è".
    garbled = (HEADER + "G1;LEFÈVRE;Albi;responsable;LEFÈVRE;Inès;30/11/1990;F;;\n").encode("utf-8").decode("cp1252")
    preview = importing.parse(garbled.encode("utf-8"), organisation=tenant_a.organisation)
    assert not preview.ok and "caractères mal encodés" in preview.errors[0][1][0]
    preview = importing.parse(
        (HEADER + "G1;LEFÈVRE;Albi;responsable;LEFÈVRE;Inès;30/11/1990;F;;\n").encode("utf-8"),
        organisation=tenant_a.organisation,
        encoding="cp1252",
    )
    assert not preview.ok and "mauvais encodage" in preview.errors[0][1][0]


def test_agent_cannot_import(tenant_a):
    assert client_for(tenant_a.agent).get(tenant_a.url("gestion/familles/import/")).status_code == 403
