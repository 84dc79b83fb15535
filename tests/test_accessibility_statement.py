"""The accessibility statement (RGAA 4.1, article 47 of law 2005-102): public, linked from every footer."""

import pytest
from django.core.exceptions import ValidationError

from ribambelle.tenancy.models import AccessibilityStatus
from ribambelle.tenancy.services import update_organisation

from .conftest import page_text

pytestmark = pytest.mark.django_db


def test_the_statement_is_public_and_says_non_conforme_without_an_audit(client, tenant_a):
    tenant_a.organisation.contact_email = "enfance@cc-a.example"
    tenant_a.organisation.save()
    text = page_text(client.get(tenant_a.url("accessibilite/")))
    assert "Déclaration d'accessibilité" in text
    assert "article 47 de la loi n° 2005-102" in text
    assert "non conforme" in text
    assert "Aucun audit de conformité n'a encore été réalisé" in text
    assert "mailto:enfance@cc-a.example" in text  # the contact falls back to the organisation's
    assert "Défenseur des droits, Libre réponse 71120" in text


def test_every_footer_links_to_the_statement_with_its_status(client, login, tenant_a):
    link = f'href="/{tenant_a.organisation.slug}/accessibilite/"'
    for response in (
        client.get(tenant_a.url()),  # portal login page
        login(tenant_a.admin).get(tenant_a.url("gestion/")),  # back office
    ):
        assert link in response.content.decode()
        assert "Accessibilité : non conforme" in page_text(response)


def test_the_platform_page_lists_each_organisations_statement(client, tenant_a, tenant_b):
    home = client.get("/").content.decode()
    assert 'href="/accessibilite/"' in home
    text = page_text(client.get("/accessibilite/"))
    assert f"Déclaration d'accessibilité – {tenant_a.organisation.name}" in text
    assert f"Déclaration d'accessibilité – {tenant_b.organisation.name}" in text


def test_conformity_cannot_be_claimed_without_an_audit(tenant_a):
    organisation = tenant_a.organisation
    with pytest.raises(ValidationError) as error:
        update_organisation(
            organisation=organisation, fields={"accessibility_status": AccessibilityStatus.PARTIAL}, acting_user=None
        )
    assert "accessibility_audit" in error.value.message_dict
    organisation.refresh_from_db()
    assert organisation.accessibility_status == AccessibilityStatus.NONE


def test_an_audited_status_and_the_organisations_own_issues_are_published(client, login, tenant_a):
    response = login(tenant_a.admin).post(
        tenant_a.url("gestion/organisation/"),
        {
            "name": tenant_a.organisation.name,
            "primary_colour": "#1d4e89",
            "time_zone": "Europe/Paris",
            "gdpr_retention_years": 5,
            "accessibility_status": "partiel",
            "accessibility_audit": "Audit du 12/03/2026 par Access42 : 78 % des critères respectés.",
            "accessibility_issues": "Le plan d'accès des structures est une image.",
            "accessibility_contact_email": "accessibilite@cc-a.example",
            "accessibility_updated_on": "2026-03-20",
        },
    )
    assert response.status_code == 302, page_text(response)
    text = page_text(client.get(tenant_a.url("accessibilite/")))
    assert "partiellement conforme" in text
    assert "78 % des critères respectés" in text
    assert "Le plan d'accès des structures est une image." in text
    assert "mailto:accessibilite@cc-a.example" in text
    assert "20 mars 2026" in text
    assert "Accessibilité : partiellement conforme" in text
