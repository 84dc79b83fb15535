"""Ma famille: what applies at once, what waits for staff, and what the family sees."""

import pytest

from ribambelle.accounts.consent import record_consents
from ribambelle.accounts.models import ActivityLog
from ribambelle.communication.models import OutgoingEmail
from ribambelle.families import services
from ribambelle.families.models import AuthorisedPerson, ChangeRequest, HealthRecord, Person, Vaccination

from .conftest import client_for, page_text
from .factories import AuthorisedPersonFactory, DietFactory, PersonFactory, VaccinationFactory

PENDING = "Certaines données sont en attente de modération"


@pytest.fixture
def parent(tenant_a):
    user = tenant_a.family_user
    record_consents(user=user, personal=True, health=True)
    family = user.family
    family.address_line, family.city, family.postal_code = "12 rue des Écoles", "Bioule", "82800"
    family.save()
    PersonFactory(organisation=tenant_a.organisation, family=family, role="adult", first_name="Julie", phone="")
    return user


def _contact(family, **changes):
    data = {
        "name": family.name,
        "address_line": family.address_line,
        "postal_code": family.postal_code,
        "city": family.city,
        "phone": family.phone,
        "email": family.email,
        "email_notifications": "on",
    }
    data.update(changes)
    return data


def test_phone_applies_at_once_address_waits_for_moderation(tenant_a, parent):
    client = client_for(parent)
    family = parent.family
    response = client.post(
        tenant_a.url("ma-famille/coordonnees/"),
        _contact(family, phone="06 12 34 56 78", address_line="3 chemin du Moulin", city="Nègrepelisse"),
        follow=True,
    )
    text = page_text(response)
    assert "Vos modifications sont enregistrées." in text
    assert PENDING in text and "3 chemin du Moulin" in text
    family.refresh_from_db()
    assert family.phone == "06 12 34 56 78"  # applied
    assert family.address_line == "12 rue des Écoles" and family.city == "Bioule"  # not yet
    pending = ChangeRequest.objects.get(family=family, status="pending")
    assert pending.changes["city"]["old"] == "Bioule" and pending.changes["city"]["new"] == "Nègrepelisse"
    applied = ChangeRequest.objects.get(family=family, status="applied")
    assert applied.changes["phone"]["new"] == "06 12 34 56 78" and applied.requested_by == parent
    descriptions = [log.description for log in ActivityLog.objects.filter(family=family)]
    assert any("Téléphone : — → 06 12 34 56 78" in d for d in descriptions)
    assert any("modération" in d for d in descriptions)


def test_resubmitting_the_form_keeps_one_pending_request_and_the_form_shows_it(tenant_a, parent):
    client = client_for(parent)
    family = parent.family
    client.post(tenant_a.url("ma-famille/coordonnees/"), _contact(family, city="Montauban"))
    form_page = page_text(client.get(tenant_a.url("ma-famille/coordonnees/")))
    assert 'value="Montauban"' in form_page and PENDING in form_page
    client.post(tenant_a.url("ma-famille/coordonnees/"), _contact(family, city="Montauban", phone="0563000000"))
    assert ChangeRequest.objects.filter(family=family, status="pending").count() == 1
    # Back to the current value: the family has withdrawn its request.
    client.post(tenant_a.url("ma-famille/coordonnees/"), _contact(family, city="Bioule", phone="0563000000"))
    assert not ChangeRequest.objects.filter(family=family, status="pending").exists()


def test_bad_input_is_refused_in_french_and_changes_nothing(tenant_a, parent):
    client = client_for(parent)
    family = parent.family
    response = client.post(tenant_a.url("ma-famille/coordonnees/"), _contact(family, phone="appelez-moi", name=""))
    assert response.status_code == 400
    text = page_text(response)
    assert "Indiquez un numéro de téléphone" in text and "Ce champ est obligatoire" in text
    assert not ChangeRequest.objects.filter(family=family).exists()


def test_adding_a_child_waits_then_staff_accept_creates_it_and_emails(
    tenant_a, parent, django_capture_on_commit_callbacks
):
    client = client_for(parent)
    diet = DietFactory(organisation=tenant_a.organisation, name="Sans porc")
    response = client.post(
        tenant_a.url("ma-famille/enfants/ajouter/"),
        {
            "first_name": "Hugo",
            "last_name": parent.family.name,
            "birth_date": "2019-05-04",
            "sex": "M",
            "diets": [diet.pk],
            "image_rights": "on",
        },
        follow=True,
    )
    assert PENDING in page_text(response) and "ajout d'Hugo" in page_text(response)
    assert not Person.objects.filter(family=parent.family, first_name="Hugo").exists()
    change = ChangeRequest.objects.get(family=parent.family, status="pending", kind="child_add")
    services.accept_change(change_request=change, acting_user=tenant_a.admin)
    hugo = Person.objects.get(family=parent.family, first_name="Hugo")
    assert [d.name for d in hugo.diets.all()] == ["Sans porc"] and hugo.image_rights
    mail = OutgoingEmail.objects.get(template="change_accepted")
    assert mail.to == parent.email and "Hugo" in mail.body_text
    text = page_text(client.get(tenant_a.url("ma-famille/")))
    assert "Acceptée" in text and "Hugo" in text and PENDING not in text


def test_refusal_keeps_the_file_and_tells_the_family_why(tenant_a, parent):
    client = client_for(parent)
    client.post(tenant_a.url("ma-famille/coordonnees/"), _contact(parent.family, name="DUPONT-MARTIN"))
    change = ChangeRequest.objects.get(family=parent.family, status="pending")
    with pytest.raises(services.DomainError):
        services.refuse_change(change_request=change, reason="  ", acting_user=tenant_a.admin)
    services.refuse_change(change_request=change, reason="Joignez le livret de famille.", acting_user=tenant_a.admin)
    parent.family.refresh_from_db()
    assert parent.family.name != "DUPONT-MARTIN"
    mail = OutgoingEmail.objects.get(template="change_refused")
    assert "Joignez le livret de famille." in mail.body_text and "DUPONT-MARTIN" in mail.body_text
    text = page_text(client.get(tenant_a.url("ma-famille/")))
    assert "Refusée" in text and "Joignez le livret de famille." in text
    with pytest.raises(services.DomainError, match="déjà été traitée"):
        services.accept_change(change_request=change, acting_user=tenant_a.admin)


def test_authorised_person_added_at_once_removal_moderated(tenant_a, parent):
    child = PersonFactory(organisation=tenant_a.organisation, family=parent.family, first_name="Léa")
    client = client_for(parent)
    response = client.post(
        tenant_a.url(f"ma-famille/enfants/{child.pk}/personnes-autorisees/ajouter/"),
        {
            "first_name": "Josette",
            "last_name": "GRAND",
            "relationship": "Grand-mère",
            "phone": "06 01 02 03 04",
            "may_pick_up": "on",
        },
    )
    assert response.status_code == 302
    authorised = AuthorisedPerson.objects.get(child=child)
    response = client.post(tenant_a.url(f"ma-famille/personnes-autorisees/{authorised.pk}/retirer/"), follow=True)
    assert PENDING in page_text(response) and "retrait demandé" in page_text(response)
    assert AuthorisedPerson.objects.filter(pk=authorised.pk).exists()
    change = ChangeRequest.objects.get(status="pending", kind="authorised_remove")
    services.accept_change(change_request=change, acting_user=tenant_a.admin)
    assert not AuthorisedPerson.objects.filter(pk=authorised.pk).exists()


def test_authorised_person_needs_one_permission(tenant_a, parent):
    child = PersonFactory(organisation=tenant_a.organisation, family=parent.family)
    response = client_for(parent).post(
        tenant_a.url(f"ma-famille/enfants/{child.pk}/personnes-autorisees/ajouter/"),
        {"first_name": "Josette", "last_name": "GRAND", "phone": "0601020304"},
    )
    assert response.status_code == 400 and "Cochez au moins une autorisation" in page_text(response)


def test_health_form_and_vaccinations(tenant_a, parent):
    child = PersonFactory(organisation=tenant_a.organisation, family=parent.family, first_name="Léa")
    client = client_for(parent)
    response = client.post(
        tenant_a.url(f"ma-famille/enfants/{child.pk}/sante/"),
        {
            "sante-allergies": "Arachide",
            "sante-has_pai": "on",
            "sante-pai_details": "Stylo d'adrénaline",
            "sante-swimming": "with_aid",
        },
    )
    assert response.status_code == 302
    assert HealthRecord.objects.get(child=child).allergies == "Arachide"
    client.post(
        tenant_a.url(f"ma-famille/enfants/{child.pk}/sante/"),
        {"vaccin-vaccine": "DTP", "vaccin-date": "2023-03-01", "add_vaccination": "1"},
    )
    assert Vaccination.objects.filter(child=child).count() == 1
    assert "Allergies : Arachide" in page_text(client.get(tenant_a.url("ma-famille/")))


def test_health_erased_on_withdrawal(tenant_a, parent, django_capture_on_commit_callbacks):
    from ribambelle.accounts.consent import withdraw_consent

    child = PersonFactory(organisation=tenant_a.organisation, family=parent.family, first_name="Léa")
    services.save_health_record(child=child, values={"allergies": "Kiwi"}, acting_user=parent)
    VaccinationFactory(organisation=tenant_a.organisation, family=parent.family, child=child)
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_consent(user=parent, kind="health")
    assert not HealthRecord.objects.filter(family=parent.family).exists()
    assert not Vaccination.objects.filter(family=parent.family).exists()
    client = client_for(parent)
    page = page_text(client.get(tenant_a.url("ma-famille/")))
    assert "Informations de santé" not in page
    response = client.get(tenant_a.url(f"ma-famille/enfants/{child.pk}/sante/"))
    assert response.status_code == 302 and "mon-compte" in response["Location"]
    with pytest.raises(services.DomainError, match="accord pour les données de santé"):
        services.save_health_record(child=child, values={"allergies": "Kiwi"}, acting_user=parent)


def test_family_cannot_add_an_adult_or_touch_the_quotient(tenant_a, parent):
    with pytest.raises(services.DomainError):
        services.add_person(family=parent.family, role="adult", values={"first_name": "X"}, acting_user=parent)
    services.update_family(family=parent.family, values={"family_quotient": 1}, acting_user=parent)
    parent.family.refresh_from_db()
    assert parent.family.family_quotient is None


def test_moderated_fields_follow_the_organisation_settings(tenant_a, parent):
    services.update_moderated_keys(
        organisation=tenant_a.organisation, keys=["family.contact"], acting_user=tenant_a.admin
    )
    client = client_for(parent)
    client.post(tenant_a.url("ma-famille/coordonnees/"), _contact(parent.family, phone="0612345678", city="Albi"))
    parent.family.refresh_from_db()
    assert parent.family.city == "Albi" and parent.family.phone == ""
    assert ChangeRequest.objects.get(status="pending").moderation_key == "family.contact"


def test_export_contains_the_family_data_and_health_only_with_consent(tenant_a, parent):
    child = PersonFactory(organisation=tenant_a.organisation, family=parent.family, first_name="Léa")
    AuthorisedPersonFactory(organisation=tenant_a.organisation, family=parent.family, child=child)
    services.save_health_record(child=child, values={"allergies": "Kiwi"}, acting_user=parent)
    response = client_for(parent).get(tenant_a.url("mon-compte/mes-donnees/"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    import json

    data = json.loads(response.content)
    lea = next(m for m in data["membres"] if m["first_name"] == "Léa")
    assert lea["informations_sanitaires"]["allergies"] == "Kiwi"
    assert lea["personnes_autorisees"][0]["first_name"] == "Josette"
    assert data["famille"]["name"] == parent.family.name
    assert "search_text" not in data["famille"]
    account = page_text(client_for(parent).get(tenant_a.url("mon-compte/")))
    assert "Télécharger toutes nos données" in account


def test_ma_famille_tab_is_after_the_dashboard(tenant_a, parent):
    text = page_text(client_for(parent).get(tenant_a.url("")))
    assert text.index("Tableau de bord") < text.index("Ma famille") < text.index("Historique de mes actions")
