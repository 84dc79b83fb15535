import pytest

from ribambelle.tenancy.models import Organisation

from .conftest import client_for
from .factories import OrganisationFactory


@pytest.mark.django_db
def test_root_lists_organisations_or_redirects_to_the_only_one(client):
    OrganisationFactory(slug="seule", name="Seule")
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/seule/"
    OrganisationFactory(slug="autre", name="Autre collectivité")
    response = client.get("/")
    assert response.status_code == 200
    assert "Autre collectivité" in response.content.decode()


@pytest.mark.django_db
def test_unknown_or_inactive_organisation_is_404(client):
    assert client.get("/inconnue/").status_code == 404
    OrganisationFactory(slug="fermee", is_active=False)
    assert client.get("/fermee/").status_code == 404
    assert client.get("/fermee/gestion/").status_code == 404


def test_portal_home_shows_the_organisation_login(client, tenant_a):
    response = client.get(tenant_a.url())
    assert response.status_code == 200
    page = response.content.decode()
    assert tenant_a.organisation.name in page
    assert "Bienvenue dans votre Espace Famille" in page
    assert "Rester connecté" in page


def test_staff_of_one_organisation_is_anonymous_in_another(tenant_a, tenant_b):
    client = client_for(tenant_a.admin)
    assert client.get(tenant_a.url("gestion/")).status_code == 200
    response = client.get(tenant_b.url("gestion/"))
    assert response.status_code == 302 and "/cc-b/gestion/connexion/" in response["Location"]


def test_family_user_cannot_open_back_office(tenant_a):
    client = client_for(tenant_a.family_user)
    assert client.get(tenant_a.url("gestion/")).status_code == 403
    assert client.get(tenant_a.url("gestion/structures/")).status_code == 403


def test_staff_user_is_not_a_family(tenant_a):
    client = client_for(tenant_a.admin)
    assert client.get(tenant_a.url("historique/")).status_code == 403


def test_outsider_without_role_cannot_open_back_office(tenant_a):
    assert client_for(tenant_a.outsider).get(tenant_a.url("gestion/")).status_code == 403


@pytest.mark.parametrize(
    "path", ["gestion/organisation/", "gestion/equipe/", "gestion/equipe/inviter/", "gestion/structures/nouvelle/"]
)
def test_agent_cannot_open_administration_pages(tenant_a, path):
    assert client_for(tenant_a.agent).get(tenant_a.url(path)).status_code == 403


def test_anonymous_is_sent_to_the_back_office_login(client, tenant_a):
    response = client.get(tenant_a.url("gestion/structures/"))
    assert response.status_code == 302
    assert response["Location"].startswith("/cc-a/gestion/connexion/?next=")


def test_manifest_and_icons_per_organisation(client, tenant_a):
    manifest = client.get(tenant_a.url("manifest.webmanifest")).json()
    assert manifest["start_url"] == "/cc-a/"
    assert manifest["lang"] == "fr"
    icon = client.get(manifest["icons"][0]["src"])
    assert icon.status_code == 200 and icon.content.startswith(b"\x89PNG")
    assert client.get(tenant_a.url("icone-64.png")).status_code == 404


def test_theme_uses_the_organisation_colour(client, tenant_a):
    Organisation.objects.filter(pk=tenant_a.organisation.pk).update(primary_colour="#123456")
    assert "--rb-primary: #123456" in client.get(tenant_a.url("theme.css")).content.decode()


@pytest.mark.django_db
def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_security_headers(client, tenant_a):
    response = client.get(tenant_a.url())
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
