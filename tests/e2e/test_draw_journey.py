"""Wishes then draw in a real browser: a parent ranks days on the phone-sized wishes page, the
draw runs, the parent reads the decision and the draw's public page; axe finds nothing."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.allocation.models import Wish
from ribambelle.allocation.services import run_draw

from ..factories import FamilyUserFactory, OrganisationFactory, PersonFactory, RegistrationFactory
from ..test_allocation_service import scenario
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_wishes_then_decision_and_public_draw_page(live_server, page, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    organisation = OrganisationFactory(name="Communauté de communes Quercy Vert-Aveyron", slug="quercy")
    now = timezone.now()
    activity, openings, _children = scenario(
        organisation, families=3, opens=now - timedelta(days=1), closes=now + timedelta(hours=1)
    )
    parent = FamilyUserFactory(organisation=organisation, email="julie.martin@famille.example", family__name="MARTIN")
    lea = PersonFactory(organisation=organisation, family=parent.family, first_name="Léa")
    RegistrationFactory(
        organisation=organisation, family=parent.family, child=lea, group=openings[0].group, activity=activity
    )
    record_consents(user=parent, personal=True, health=True)
    base = live_server.url + "/quercy/"
    log_in(page, base, "julie.martin@famille.example", "Test-Passw0rd-Ok")
    page.goto(base + f"voeux/{activity.pk}/")
    assert page.get_by_text("L'heure de saisie ne compte pas.").is_visible()
    assert_accessible(page, context="vœux")
    page.locator(f"#voeu-{lea.pk}-{openings[1].pk}").fill("1")
    page.locator(f"#voeu-{lea.pk}-{openings[0].pk}").fill("2")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    assert page.get_by_text("Vos vœux sont enregistrés").is_visible()
    assert list(Wish.objects.filter(child=lea).values_list("opening_id", flat=True)) == [openings[1].pk, openings[0].pk]

    with time_machine.travel(now + timedelta(hours=2), tick=False):
        draw = run_draw(activity=activity)
    page.goto(base + f"voeux/{activity.pk}/decision/")
    assert page.get_by_role("heading", name=re.compile("Décision du tirage")).is_visible()
    assert page.get_by_text(re.compile("L311-3-1")).is_visible()
    assert_accessible(page, context="décision")
    page.get_by_role("link", name=re.compile("page publique")).click()
    page.wait_for_load_state()
    assert page.get_by_text(draw.seed).is_visible()
    assert_accessible(page, context="tirage public")
