import pytest

from ribambelle.communication.models import OutgoingEmail
from ribambelle.core.models import AuditEntry
from ribambelle.tenancy.models import Membership, Structure
from ribambelle.tenancy.roles import Role

from .conftest import client_for, page_text
from .factories import SectorFactory, StructureFactory


def test_create_structure_with_ages_and_audit(tenant_a):
    sector = SectorFactory(organisation=tenant_a.organisation, name="Bioule")
    response = client_for(tenant_a.admin).post(
        tenant_a.url("gestion/structures/nouvelle/"),
        {
            "name": "Accueil de loisirs de Bioule",
            "kind": "accueil_loisirs",
            "sector": sector.pk,
            "email": "alsh@bioule.example",
            "age_min_years": 3,
            "age_max_years": 17,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    structure = Structure.objects.get(organisation=tenant_a.organisation, name="Accueil de loisirs de Bioule")
    assert (structure.age_min_months, structure.age_max_months) == (36, 204)
    assert structure.age_range_label == "3 – 17 ans"
    entry = AuditEntry.objects.get(object_type="tenancy.structure", object_id=str(structure.pk))
    assert entry.actor == tenant_a.admin and entry.changes["name"]["new"] == "Accueil de loisirs de Bioule"


def test_bad_structure_input_is_refused_in_french_and_changes_nothing(tenant_a):
    response = client_for(tenant_a.admin).post(
        tenant_a.url("gestion/structures/nouvelle/"),
        {
            "name": "",
            "kind": "inconnu",
            "email": "pas-un-email",
            "age_min_years": 12,
            "age_max_years": 3,
        },
    )
    assert response.status_code == 400
    page = page_text(response)
    assert "Ce champ est obligatoire" in page
    assert "L'âge maximum doit être supérieur" in page
    assert not Structure.objects.filter(organisation=tenant_a.organisation).exists()


def test_structure_name_unique_per_organisation_with_french_message(tenant_a, tenant_b):
    StructureFactory(organisation=tenant_b.organisation, name="ALSH")  # same name elsewhere is fine
    StructureFactory(organisation=tenant_a.organisation, name="ALSH")
    response = client_for(tenant_a.admin).post(
        tenant_a.url("gestion/structures/nouvelle/"),
        {
            "name": "ALSH",
            "kind": "accueil_loisirs",
            "age_min_years": 3,
            "age_max_years": 12,
        },
    )
    assert response.status_code == 400
    assert "Une structure porte déjà ce nom." in response.content.decode()


def test_foreign_sector_cannot_be_attached(tenant_a, tenant_b):
    foreign = SectorFactory(organisation=tenant_b.organisation)
    response = client_for(tenant_a.admin).post(
        tenant_a.url("gestion/structures/nouvelle/"),
        {
            "name": "X",
            "kind": "accueil_loisirs",
            "sector": foreign.pk,
            "age_min_years": 3,
            "age_max_years": 12,
        },
    )
    assert response.status_code == 400
    assert not Structure.objects.filter(name="X").exists()


def test_invite_staff_member_queues_activation_email(tenant_a, django_capture_on_commit_callbacks):
    structure = StructureFactory(organisation=tenant_a.organisation)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant_a.admin).post(
            tenant_a.url("gestion/equipe/inviter/"),
            {
                "email": "Nouvelle.Directrice@Exemple.example",
                "first_name": "Inès",
                "last_name": "Garcia",
                "role": Role.DIRECTOR,
                "structures": [structure.pk],
            },
        )
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="nouvelle.directrice@exemple.example")
    assert membership.organisation == tenant_a.organisation and list(membership.structures.all()) == [structure]
    assert not membership.user.has_usable_password()
    email = OutgoingEmail.objects.get(to="nouvelle.directrice@exemple.example")
    assert "/cc-a/activation/" in email.body_text and "Activer mon compte" in email.body_html


def test_inviting_an_existing_email_is_refused(tenant_a):
    response = client_for(tenant_a.admin).post(
        tenant_a.url("gestion/equipe/inviter/"),
        {
            "email": tenant_a.agent.email.upper(),
            "first_name": "A",
            "last_name": "B",
            "role": Role.AGENT,
        },
    )
    assert response.status_code == 400
    assert "Un compte existe déjà" in response.content.decode()


def test_last_administrator_cannot_be_demoted(tenant_a):
    membership = tenant_a.admin.membership
    response = client_for(tenant_a.admin).post(
        tenant_a.url(f"gestion/equipe/{membership.pk}/"),
        {
            "role": Role.AGENT,
            "is_active": "on",
        },
    )
    assert response.status_code == 400
    assert "au moins un administrateur" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.ADMINISTRATOR


def test_restricted_director_sees_only_their_structures(tenant_a, login):
    from .factories import MembershipFactory, MembershipStructureFactory

    mine = StructureFactory(organisation=tenant_a.organisation, name="La mienne")
    other = StructureFactory(organisation=tenant_a.organisation, name="L'autre")
    director = MembershipFactory(organisation=tenant_a.organisation, role=Role.DIRECTOR)
    MembershipStructureFactory(organisation=tenant_a.organisation, membership=director, structure=mine)
    page = page_text(login(director.user).get(tenant_a.url("gestion/structures/")))
    assert "La mienne" in page and other.name not in page
    response = login(director.user).get(tenant_a.url(f"gestion/structures/{other.pk}/"))
    assert response.status_code == 403  # a director does not manage structures


@pytest.mark.parametrize("colour", ["#ffff00", "#cccccc"])
def test_too_light_colour_is_refused(tenant_a, colour):
    response = client_for(tenant_a.admin).post(
        tenant_a.url("gestion/organisation/"),
        {
            "name": "CC A",
            "primary_colour": colour,
            "time_zone": "Europe/Paris",
            "gdpr_retention_years": 5,
        },
    )
    assert response.status_code == 400
    assert "trop claire" in response.content.decode()


def test_changing_gdpr_text_bumps_its_version(tenant_a):
    organisation = tenant_a.organisation
    version = organisation.gdpr_text_version
    response = client_for(tenant_a.admin).post(
        tenant_a.url("gestion/organisation/"),
        {
            "name": organisation.name,
            "primary_colour": "#1d4e89",
            "time_zone": "Europe/Paris",
            "gdpr_retention_years": 5,
            "gdpr_text": "Nouveau texte",
        },
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.gdpr_text_version == version + 1 and organisation.gdpr_text == "Nouveau texte"


def test_qr_code_page_encodes_portal_url(tenant_a):
    page = client_for(tenant_a.agent).get(tenant_a.url("gestion/qr-code/")).content.decode()
    assert "<svg" in page and "http://testserver/cc-a/" in page
