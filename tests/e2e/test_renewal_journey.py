"""Issue 22, renewal without paper: a parent re-enrols two children for next year in a real
browser, their valid documents carried over; the page loads and the taps are counted."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.activities.models import Activity
from ribambelle.activities.services import duplicate_activity
from ribambelle.communication.models import OutgoingEmail
from ribambelle.documents.models import DocumentScope, SubmissionStatus, Validity
from ribambelle.registrations.models import Registration, RegistrationStatus
from ribambelle.renewals.selectors import next_school_year

from ..factories import (
    ActivityFactory,
    DocumentTypeFactory,
    FamilyUserFactory,
    GroupFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    RegistrationFactory,
    SubmittedDocumentFactory,
    UnitFactory,
)
from .conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MAX_PAGE_LOADS = 10
MAX_TAPS = 15


@pytest.fixture
def quercy(db):
    """This school year's Wednesdays with Léa (9) and Hugo (5, MATER), duplicated for next year
    with the window open; the children's vaccination records, permanent, already accepted."""
    organisation = OrganisationFactory(
        name="Communauté de communes Quercy Vert-Aveyron", slug="quercy", primary_colour="#1d5e3a"
    )
    admin = MembershipFactory(organisation=organisation, role="administrator").user
    today = timezone.localdate()
    next_year = next_school_year(today)
    this_year = date(next_year.year - 1, 9, 1)
    wednesdays = ActivityFactory(
        organisation=organisation,
        name=f"Mercredis Nègrepelisse {this_year.year}-{next_year.year}",
        kind="mercredis",
        start_date=this_year,
        end_date=date(next_year.year, 7, 4),
        weekdays=0b0000100,
        registration_opens_at=timezone.now() - timedelta(days=200),
    )
    for position, (name, low, high) in enumerate([("Maternelle 3-5 ans", 36, 71), ("Élémentaire 6-11 ans", 72, 143)]):
        GroupFactory(
            organisation=organisation,
            activity=wednesdays,
            name=name,
            age_min_months=low,
            age_max_months=high,
            position=position,
        )
    UnitFactory(organisation=organisation, activity=wednesdays, name="Journée")
    parent = FamilyUserFactory(organisation=organisation, email="julie.martin@famille.example", family__name="MARTIN")
    family = parent.family
    record_consents(user=parent, personal=True, health=True)
    children = {
        "Léa": date(next_year.year - 9, 3, 10),
        "Hugo": date(next_year.year - 6, 5, 2),  # 5 this year, 6 on 1 September
    }
    vaccines = DocumentTypeFactory(
        organisation=organisation, name="Vaccins", scope=DocumentScope.CHILD, validity=Validity.PERMANENT
    )
    for first_name, born in children.items():
        child = PersonFactory(organisation=organisation, family=family, first_name=first_name, birth_date=born)
        group = wednesdays.groups.get(name="Maternelle 3-5 ans" if first_name == "Hugo" else "Élémentaire 6-11 ans")
        RegistrationFactory(organisation=organisation, family=family, child=child, group=group)
        SubmittedDocumentFactory(
            organisation=organisation,
            family=family,
            person=child,
            document_type=vaccines,
            period_start=None,
            status=SubmissionStatus.ACCEPTED,
        )
    copy = duplicate_activity(
        activity=wednesdays,
        start_date=next_year,
        name=f"Mercredis Nègrepelisse {next_year.year}-{next_year.year + 1}",
        acting_user=admin,
    )
    Activity.objects.filter(pk=copy.pk).update(registration_opens_at=timezone.now() - timedelta(days=1))
    return copy


def test_parent_renews_two_children_within_ten_pages_and_fifteen_taps(live_server, page, quercy):
    loads = []
    page.on("load", lambda: loads.append(page.url))
    taps = []

    def tap(locator):
        taps.append(locator)
        locator.click()

    base = live_server.url + "/quercy/"
    page.goto(base)
    page.get_by_label("Votre e-mail").fill("julie.martin@famille.example")
    page.get_by_label("Votre mot de passe").fill("Test-Passw0rd-Ok")
    widget = page.locator("altcha-widget .altcha")
    widget.wait_for()
    if widget.get_attribute("data-state") not in ("verifying", "verified"):
        tap(page.locator("altcha-widget input[type=checkbox]"))
    page.wait_for_selector("altcha-widget .altcha[data-state=verified]")
    tap(page.get_by_role("button", name="Se connecter"))

    call = page.get_by_role("link", name="Réinscrire pour l'année prochaine")
    assert call.is_visible()
    assert_accessible(page, context="tableau de bord avec la réinscription")
    tap(call)

    assert page.get_by_role("heading", name="Réinscrire pour l'année prochaine").is_visible()
    boxes = page.get_by_role("checkbox", name=quercy.name)
    assert boxes.count() == 2 and all(boxes.nth(i).is_checked() for i in range(2))
    # Next year's group, recomputed: Hugo moves up with his age.
    assert page.locator("strong", has_text="Élémentaire 6-11 ans").count() == 2
    assert page.get_by_text("Vaccins (Léa)").is_visible() and page.get_by_text("Vaccins (Hugo)").is_visible()
    assert_accessible(page, context="réinscription")
    tap(page.get_by_role("button", name="Confirmer la réinscription"))

    assert page.get_by_role("heading", name="Récapitulatif de la réinscription").is_visible()
    assert_accessible(page, context="récapitulatif de la réinscription")
    renewed = Registration.objects.filter(activity=quercy).select_related("child", "group")
    assert sorted((r.child.first_name, r.group.name, r.status) for r in renewed) == [
        ("Hugo", "Élémentaire 6-11 ans", RegistrationStatus.ACCEPTED),
        ("Léa", "Élémentaire 6-11 ans", RegistrationStatus.ACCEPTED),
    ]
    assert OutgoingEmail.objects.filter(template="renewal_confirmed", to="julie.martin@famille.example").count() == 1
    assert not page.js_errors
    assert len(loads) <= MAX_PAGE_LOADS, loads
    assert len(taps) <= MAX_TAPS, len(taps)
    print(f"renewal of two children: {len(loads)} page loads, {len(taps)} taps")
