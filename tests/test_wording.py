"""Issue 14, item 11: French wording around names (elision, the organisation's article, agreement)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation

from ribambelle.accounts.consent import record_consents
from ribambelle.bookings import services as booking_services
from ribambelle.core import wording
from ribambelle.tenancy.models import Organisation

from .conftest import client_for, login_data, page_text
from .factories import (
    ActivityFactory,
    GroupFactory,
    OrganisationFactory,
    PersonFactory,
    RegistrationFactory,
    UnitFactory,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "name,expected",
    [
        ("Emma", "d'Emma"),
        ("Léa", "de Léa"),
        ("Hugo", "d'Hugo"),  # mute h
        ("Yann", "de Yann"),  # y before a vowel sounds as a consonant
        ("Yasmine", "de Yasmine"),
        ("Yves", "d'Yves"),
        ("Élise", "d'Élise"),
        ("Œdipe", "d'Œdipe"),
        ("Isaac", "d'Isaac"),
        ("ulysse", "d'ulysse"),
        ("Hameau des Pins", "de Hameau des Pins"),  # aspirated h
        ("Nolan", "de Nolan"),
    ],
)
def test_elision_before_a_name(name, expected):
    with translation.override("fr"):
        assert wording.of(name) == expected
        assert Template("{% load wording %}{{ name|de }}").render(Context({"name": name}, autoescape=False)) == expected


def test_elision_of_que_and_le():
    assert wording.elide("que", "Emma", french=True) == "qu'Emma"
    assert wording.elide("que", "Yann", french=True) == "que Yann"
    assert wording.elide("le", "Hôtel de ville", french=True) == "l'Hôtel de ville"


@pytest.mark.parametrize(
    "name,article,expected",
    [
        ("Communauté de communes Quercy Vert-Aveyron", "", "de la Communauté de communes Quercy Vert-Aveyron"),
        ("Syndicat intercommunal du Lot", "", "du Syndicat intercommunal du Lot"),
        ("Ville de Nègrepelisse", "", "de la Ville de Nègrepelisse"),
        ("Agglomération du Grand Albi", "", "de l'Agglomération du Grand Albi"),
        ("Albi", "", "d'Albi"),
        ("Nègrepelisse", "", "de Nègrepelisse"),
        ("Les Villes du Lot", "", "des Villes du Lot"),
        ("Pays de Serres", "le", "du Pays de Serres"),  # the organisation's own setting wins
        ("Mairie annexe", "-", "de Mairie annexe"),
    ],
)
def test_organisation_article(name, article, expected):
    with translation.override("fr"):
        assert wording.of_organisation(Organisation(name=name, article=article)) == expected


def test_agreement_with_the_child():
    boy, girl, unknown = PersonFactory.build(sex="M"), PersonFactory.build(sex="F"), PersonFactory.build(sex="")
    with translation.override("fr"):
        assert [wording.registered(p) for p in (boy, girl, unknown)] == ["inscrit", "inscrite", "inscrit(e)"]


# Every template or message that puts a name after "de" goes through the helper: a bare
# "de {{ x.first_name }}" or "de %(name)s" would write "de Emma" again.
BARE_NAME_AFTER_DE = [
    re.compile(r"\b[dD]e (?:<strong>)?\{\{ *[\w.]*(?:first_name|name|controller)(?:\|(?!de\b|de_org\b)[^}]*)? *\}\}"),
    re.compile(r"\b[dD]e %\((?:name|child|user|first_name|structure|organisation)\)s"),
    re.compile(r"\b[dD]e \{[\w.]*(?:first_name|\.name)\}"),
]


def test_no_name_is_put_after_de_without_elision():
    offenders = []
    for folder, patterns in (("templates", "*.[ht][tx][mt]*"), ("ribambelle", "*.py")):
        for path in (ROOT / folder).rglob(patterns):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if any(p.search(line) for p in BARE_NAME_AFTER_DE):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders)


def test_login_page_uses_the_organisation_article(client, tenant_a):
    text = page_text(client.get(tenant_a.url("connexion/")))
    assert "documents de la Communauté de communes A" in text
    assert "documents de Communauté" not in text


def test_a_failed_login_says_what_is_wrong_not_that_a_form_was_not_saved(client, tenant_a):
    response = client.post(tenant_a.url("connexion/"), login_data(tenant_a.family_user.email, "mauvais"))
    text = page_text(response)
    assert "E-mail ou mot de passe incorrect" in text
    assert "Le formulaire n'a pas été enregistré" not in text
    response = client.post(tenant_a.url("gestion/connexion/"), login_data(tenant_a.admin.email, "mauvais"))
    text = page_text(response)
    assert "E-mail ou mot de passe incorrect" in text and "Le formulaire n'a pas été enregistré" not in text


@pytest.mark.parametrize("password", ["Julie.martin1", "Martin2026x", "Famille-Example1"])
def test_a_password_close_to_the_e_mail_is_refused_once(tenant_a, password):
    user = tenant_a.family_user
    user.email, user.first_name, user.last_name = "julie.martin@famille.example", "Julie", "MARTIN"
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert len(refused.value.messages) == 1, refused.value.messages
    assert "proche de l'e-mail" in refused.value.messages[0]


@pytest.fixture
def emma(tenant_a):
    family = tenant_a.family_user.family
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    return PersonFactory(organisation=tenant_a.organisation, family=family, first_name="Emma", sex="F")


def test_history_and_registration_summary_say_d_emma_and_inscrite(tenant_a, emma):
    from ribambelle.activities.services import generate_openings

    activity = ActivityFactory(organisation=tenant_a.organisation, name="BIOULE vacances juillet")
    group = GroupFactory(organisation=tenant_a.organisation, activity=activity, age_min_months=0, age_max_months=240)
    UnitFactory(organisation=tenant_a.organisation, activity=activity, name="Journée")
    generate_openings(activity=activity)
    registration = RegistrationFactory(
        organisation=tenant_a.organisation, family=emma.family, child=emma, group=group, activity=activity
    )
    opening = activity.openings.order_by("date").first()
    booking_services.save_bookings(
        child=emma,
        changes=[booking_services.BookingChange(opening.pk, True)],
        acting_user=tenant_a.family_user,
    )
    parent = client_for(tenant_a.family_user)
    history = page_text(parent.get(tenant_a.url("historique/")))
    assert "Réservations d'Emma" in history and "Réservations de Emma" not in history
    summary = page_text(parent.get(tenant_a.url(f"inscriptions/{registration.pk}/")))
    assert "✔ </span>inscrite</span>" in summary and "inscrit(e)" not in summary


def test_other_organisation_article_override_from_the_back_office(tenant_a):
    organisation = OrganisationFactory(name="Pays de Serres", slug="serres")
    organisation.article = "le"
    organisation.save()
    with translation.override("fr"):
        assert wording.of_organisation(Organisation.objects.get(pk=organisation.pk)) == "du Pays de Serres"
