"""The back office's audit trail: who changed what, when — one organisation's entries only."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from ribambelle.core.models import AuditEntry
from ribambelle.core.services import record_audit, save_with_audit

from .conftest import client_for, page_text
from .factories import StructureFactory

pytestmark = pytest.mark.django_db


def _journal(tenant, query: str = ""):
    return client_for(tenant.admin).get(tenant.url(f"gestion/journal/{query}"))


def test_the_administrator_reads_who_changed_what_in_words(tenant_a, tenant_b):
    structure = StructureFactory(organisation=tenant_a.organisation, name="Accueil de loisirs de Bioule")
    with transaction.atomic():  # save_with_audit is a step of an action
        save_with_audit(structure, fields={"phone": "05 63 00 00 01"}, acting_user=tenant_a.admin)
    record_audit(organisation=tenant_a.organisation, actor=tenant_a.agent, action="health_view", obj=structure)
    StructureFactory(organisation=tenant_b.organisation, name="Structure secrète de B")
    record_audit(
        organisation=tenant_b.organisation,
        actor=tenant_b.admin,
        action="update",
        obj=tenant_b.organisation,
        changes={"name": {"old": "B", "new": "Secret"}},
    )

    page = page_text(_journal(tenant_a))
    assert "Accueil de loisirs de Bioule" in page
    assert "<td>Modification</td>" in page and "<td>Consultation des informations de santé</td>" in page
    assert "→ 05 63 00 00 01" in page  # old → new, with the field's own name
    assert "Secret" not in page and "secrète" not in page  # another organisation's trail never shows


def test_filters_narrow_the_trail_and_wrong_values_are_explained(tenant_a):
    structure = StructureFactory(organisation=tenant_a.organisation, name="Bioule")
    record_audit(organisation=tenant_a.organisation, actor=tenant_a.admin, action="update", obj=structure)
    record_audit(organisation=tenant_a.organisation, actor=tenant_a.agent, action="health_view", obj=structure)
    old = record_audit(organisation=tenant_a.organisation, actor=tenant_a.agent, action="attendance", obj=structure)
    AuditEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))

    only_agent = page_text(_journal(tenant_a, f"?actor={tenant_a.agent.pk}"))
    assert "<td>Consultation des informations de santé</td>" in only_agent and "<td>Modification</td>" not in only_agent
    recent = page_text(_journal(tenant_a, f"?since={timezone.localdate() - timedelta(days=7):%Y-%m-%d}"))
    assert "<td>Pointage</td>" not in recent and "<td>Modification</td>" in recent

    wrong = _journal(tenant_a, "?since=2026-13-45&actor=999999999999&until=2026-01-01")
    assert wrong.status_code == 200
    text = page_text(wrong)
    assert "Saisissez une date valide" in text or "date valide" in text
    assert "<td>Pointage</td>" in text  # the wrong filter is ignored: everything is listed
    backwards = page_text(_journal(tenant_a, "?since=2026-05-01&until=2026-04-01"))
    assert "La date de début doit précéder la date de fin." in backwards


def test_only_administrators_see_the_trail(tenant_a):
    from .factories import MembershipFactory

    director = MembershipFactory(organisation=tenant_a.organisation, role="director").user
    assert client_for(director).get(tenant_a.url("gestion/journal/")).status_code == 403
    assert client_for(tenant_a.agent).get(tenant_a.url("gestion/journal/")).status_code == 403
    assert client_for(tenant_a.family_user).get(tenant_a.url("gestion/journal/")).status_code in (302, 403)


@pytest.mark.parametrize("entries", [3, 60])
def test_the_page_costs_the_same_queries_for_3_or_60_entries(tenant_a, entries, django_assert_max_num_queries):
    structure = StructureFactory(organisation=tenant_a.organisation)
    for i in range(entries):
        actor = tenant_a.admin if i % 2 else tenant_a.agent
        record_audit(organisation=tenant_a.organisation, actor=actor, action="update", obj=structure)
    client = client_for(tenant_a.admin)
    with django_assert_max_num_queries(13):
        response = client.get(tenant_a.url("gestion/journal/?page=2"))
    assert response.status_code == 200


def test_every_action_the_code_records_has_words():
    """An action recorded without a label would show its code to staff and be missing from the filter."""
    import ast
    from pathlib import Path

    from django.conf import settings

    from ribambelle.core.selectors import ACTION_LABELS

    recorded = set()
    for path in (Path(settings.BASE_DIR) / "ribambelle").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            name = getattr(getattr(node, "func", None), "id", None) or getattr(
                getattr(node, "func", None), "attr", None
            )
            if isinstance(node, ast.Call) and name in ("record_audit", "save_with_audit"):
                for keyword in node.keywords:
                    if keyword.arg == "action":
                        recorded |= {
                            c.value
                            for c in ast.walk(keyword.value)
                            if isinstance(c, ast.Constant) and isinstance(c.value, str)
                        }
    # registrations record their new status as the action
    recorded |= {"accepted", "refused"}
    assert len(recorded) > 25
    assert sorted(recorded - set(ACTION_LABELS)) == []


def test_values_read_in_words_booleans_choices_dates_amounts_and_related_objects(tenant_a):
    """Entries as the code records them (JSON: True, "2023-07-10", "12.50", an id) read as words,
    old entries included since the words are made at display time."""
    from .factories import ActivityFactory

    structure = StructureFactory(organisation=tenant_a.organisation, name="Accueil de loisirs de Bioule")
    activity = ActivityFactory(organisation=tenant_a.organisation, structure=structure, name="Mercredis")
    record_audit(
        organisation=tenant_a.organisation,
        actor=tenant_a.admin,
        action="create",
        obj=activity,
        changes={"staff_only": {"old": None, "new": True}, "kind": {"old": None, "new": "vacances"}},
    )
    record_audit(
        organisation=tenant_a.organisation,
        actor=tenant_a.admin,
        action="update",
        obj=activity,
        changes={
            "start_date": {"old": "2023-07-10", "new": "2023-07-11"},
            "staff_only": {"old": True, "new": False},
            "structure": {"old": None, "new": structure.pk},
            "registration_opens_at": {"old": None, "new": "2023-07-01 06:30:00+00:00"},
        },
    )
    AuditEntry.objects.create(
        organisation=tenant_a.organisation,
        actor=tenant_a.admin,
        action="create",
        object_type="billing.payment",
        object_id="1",
        object_repr="Chèque",
        changes={"amount": {"old": None, "new": "12.50"}, "method": {"old": None, "new": "cheque"}},
    )

    page = page_text(_journal(tenant_a))
    assert "True" not in page and "False" not in page and "2023-07" not in page and "12.50" not in page
    assert "oui → non" in page
    assert "lundi 10 juillet 2023 → mardi 11 juillet 2023" in page
    assert "— → Accueil de loisirs de Bioule" in page
    assert "samedi 1 juillet 2023 à 08:30" in page  # 06:30 UTC is 08:30 in Paris
    assert "12,50\xa0€" in page and "Chèque" in page
    assert "Vacances" in page


def test_a_change_recorded_under_a_reverse_relations_name_reads_in_words(tenant_a):
    """Separated parents' households record the logins ticked under "logins", the name of the
    reverse relation Household → HouseholdLogin: the trail must name it, not fail (HTTP 500)."""
    from .factories import HouseholdFactory

    household = HouseholdFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    record_audit(
        organisation=tenant_a.organisation,
        actor=tenant_a.admin,
        action="update",
        obj=household,
        changes={"adults": [], "logins": [tenant_a.family_user.pk]},  # "adults" is the m2m field itself
    )
    response = _journal(tenant_a)
    assert response.status_code == 200
    assert "comptes du foyer" in page_text(response) and "responsables" in page_text(response)
