"""The draw end to end: settings, wishes through the portal, run_draw, bookings, decision, verification."""

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_scopes import scope

from ribambelle.accounts.consent import record_consents
from ribambelle.allocation import draw as pure
from ribambelle.allocation.models import AllocationMode, Draw, FamilyDrawProfile, Wish
from ribambelle.allocation.services import configure_allocation, run_draw, save_wishes
from ribambelle.bookings.models import Booking, BookingStatus
from ribambelle.core.exceptions import DomainError
from ribambelle.outbox.models import OutgoingEmail
from tests.factories import (
    ActivityFactory,
    FamilyFactory,
    GroupFactory,
    OpeningFactory,
    PersonFactory,
    RegistrationFactory,
    UnitFactory,
)

PARIS = ZoneInfo("Europe/Paris")
OPENS = datetime(2027, 1, 4, 8, 0, tzinfo=PARIS)
CLOSES = datetime(2027, 1, 18, 18, 0, tzinfo=PARIS)
DURING = datetime(2027, 1, 10, 12, 0, tzinfo=PARIS)
AFTER = datetime(2027, 1, 19, 9, 0, tzinfo=PARIS)
SEED = "5eed" * 16
# The same scenario must give exactly these bytes on SQLite and on PostgreSQL.
GOLDEN_RESULT_HASH = "f234ea2e1b3f2f8b42d31f7db82bb442cddcd0db47f1fb83d62f330ed954de2d"
GOLDEN_WISHES_HASH = "60e7aee00692eb4dc273ee7a475ce07bad29de270f7540be332f7afd75162895"


def scenario(organisation, *, families=6, days=3, capacity=2, opens=OPENS, closes=CLOSES):
    activity = ActivityFactory(
        organisation=organisation,
        name="Séjour neige",
        kind="sejour",
        start_date=date(2027, 2, 8),
        end_date=date(2027, 2, 12),
        registration_opens_at=OPENS - timedelta(days=30),
    )
    group = GroupFactory(organisation=organisation, activity=activity, name="6-11 ans")
    unit = UnitFactory(organisation=organisation, activity=activity, name="Journée")
    openings = [
        OpeningFactory(
            organisation=organisation,
            activity=activity,
            unit=unit,
            group=group,
            date=date(2027, 2, 8 + d),
            capacity=capacity,
        )
        for d in range(days)
    ]
    settings = configure_allocation(
        activity=activity,
        mode=AllocationMode.WISHES_DRAW,
        wishes_open_at=opens,
        wishes_close_at=closes,
        family_cap=2,
        siblings_together=True,
        classes=[
            {
                "label": "Résidents, parents qui travaillent",
                "requires_resident": True,
                "requires_working_parents": True,
            },
            {"label": "Résidents", "requires_resident": True},
            {"label": "Autres"},
        ],
    )
    settings.seed = SEED
    settings.seed_commitment = pure.seed_commitment(SEED)
    settings.save()
    children = []
    for index in range(families):
        family = FamilyFactory(
            organisation=organisation,
            name=f"FAMILLE {index}",
            postal_code="82000" if index % 2 else "31000",
            email=f"famille{index}@exemple.fr",
        )
        FamilyDrawProfile.objects.create(
            organisation=organisation, family=family, public_id=f"fam{index:02d}", parents_working=index % 3 == 0
        )
        kids = [PersonFactory(organisation=organisation, family=family, first_name=f"Enfant{index}")]
        if index == 0:
            kids.append(PersonFactory(organisation=organisation, family=family, first_name="Cadet0"))
        for child in kids:
            RegistrationFactory(organisation=organisation, family=family, child=child, group=group, activity=activity)
            children.append((family, child))
    return activity, openings, children


def wish_all(activity, openings, children):
    with time_machine.travel(DURING, tick=False):
        for index, (family, child) in enumerate(children):
            order = openings[index % len(openings) :] + openings[: index % len(openings)]
            save_wishes(family=family, child=child, activity=activity, opening_ids=[o.pk for o in order])


@pytest.fixture
def territory(tenant_a):
    from ribambelle.billing.models import BillingSettings

    BillingSettings.objects.update_or_create(
        organisation=tenant_a.organisation, defaults={"territory_postal_codes": "82000, 82100"}
    )


def test_the_draw_books_within_capacity_lists_the_rest_and_tells_each_family(
    tenant_a, territory, django_capture_on_commit_callbacks
):
    activity, openings, children = scenario(tenant_a.organisation)
    wish_all(activity, openings, children)
    with time_machine.travel(AFTER, tick=False), django_capture_on_commit_callbacks(execute=True):
        created = run_draw(activity=activity)
    booked = Booking.objects.filter(activity=activity, status=BookingStatus.BOOKED)
    for opening in openings:
        assert booked.filter(opening=opening).count() <= opening.capacity
    assert booked.count() == 6  # 3 days × 2 places, all wanted
    # Siblings together: the family with two children has both or neither on each day.
    family0 = children[0][0]
    days = [set(booked.filter(child=c).values_list("date", flat=True)) for f, c in children if f == family0]
    assert days[0] == days[1]
    # Classes: resident (82000) families with working parents come first (fam03), then residents.
    ranks = {r["family"]: r["class"] for r in created.result["ranks"]}
    assert ranks["fam03"] == 0 and ranks["fam01"] == 1 and ranks["fam00"] == 2
    waiting = Booking.objects.filter(activity=activity, status=BookingStatus.WAITING).order_by("created_at", "id")
    assert waiting.count() == sum(len(q) for q in created.result["waiting_lists"].values())
    from django_tasks import default_task_backend

    for queued in default_task_backend.results:  # as the worker does, after the draw committed
        queued.task.call(*queued.args, **queued.kwargs)
    default_task_backend.results.clear()
    emails = OutgoingEmail.objects.filter(template="draw_decision").order_by("to")
    assert emails.count() == 6
    first = emails.first()
    assert first.subject == "Résultat du tirage : Séjour neige – Communauté de communes A"
    assert "L311-3-1" in first.body_text and "Votre rang dans cette classe" in first.body_text
    assert "&#x27;" not in first.body_text and "/tirages/" in first.body_text
    # verify_draw agrees from the published JSON alone
    ok, problems = pure.verify(created.published)
    assert ok, problems


def test_the_same_wishes_and_seed_give_the_same_bytes_on_every_database(tenant_a, territory):
    activity, openings, children = scenario(tenant_a.organisation)
    wish_all(activity, openings, children)
    with time_machine.travel(AFTER, tick=False):
        created = run_draw(activity=activity)
    assert created.wishes_hash == pure.sha256_hex(pure.canonical(created.inputs))
    assert created.wishes_hash == GOLDEN_WISHES_HASH, created.wishes_hash
    assert created.result_hash == GOLDEN_RESULT_HASH, created.result_hash


def test_wishes_only_while_the_window_is_open_and_on_the_childs_days(tenant_a):
    activity, openings, children = scenario(tenant_a.organisation, families=1)
    family, child = children[0]
    with time_machine.travel(OPENS - timedelta(minutes=1), tick=False), pytest.raises(DomainError):
        save_wishes(family=family, child=child, activity=activity, opening_ids=[openings[0].pk])
    other = OpeningFactory(organisation=tenant_a.organisation)
    with time_machine.travel(DURING, tick=False):
        with pytest.raises(DomainError):
            save_wishes(family=family, child=child, activity=activity, opening_ids=[other.pk])
        with pytest.raises(DomainError):
            save_wishes(family=family, child=child, activity=activity, opening_ids=[openings[0].pk, openings[0].pk])
    with time_machine.travel(DURING, tick=False), pytest.raises(DomainError):
        run_draw(activity=activity)  # not before the close


def test_run_and_verify_draw_commands(tenant_a, territory, tmp_path, capsys):
    activity, openings, children = scenario(tenant_a.organisation)
    wish_all(activity, openings, children)
    with time_machine.travel(AFTER, tick=False):
        call_command("run_draw", str(activity.pk))
        with pytest.raises(CommandError):
            call_command("run_draw", str(activity.pk))  # once only
    with scope(organisation=tenant_a.organisation):
        created = Draw.objects.get(activity=activity)
    path = tmp_path / "donnees.json"
    path.write_text(json.dumps(created.published), encoding="utf-8")
    call_command("verify_draw", str(path))
    assert "Tirage vérifié" in capsys.readouterr().out
    tampered = created.published
    tampered["result"]["ranks"].reverse()
    path.write_text(json.dumps(tampered), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("verify_draw", str(path))


def test_portal_wishes_page_public_page_and_decision(tenant_a, territory, login):
    now = timezone.now()
    activity, openings, children = scenario(
        tenant_a.organisation, families=2, opens=now - timedelta(days=1), closes=now + timedelta(days=1)
    )
    user = tenant_a.family_user
    family = user.family
    child = PersonFactory(organisation=tenant_a.organisation, family=family, first_name="Zoé")
    RegistrationFactory(
        organisation=tenant_a.organisation, family=family, child=child, group=openings[0].group, activity=activity
    )
    record_consents(user=user, personal=True, health=False)
    record_consents(user=tenant_a.other_family_user, personal=True, health=False)
    client = login(user)
    url = tenant_a.url(f"voeux/{activity.pk}/")
    page = client.get(url)
    assert page.status_code == 200
    assert "heure de saisie ne compte pas." in page.content.decode()
    bad = client.post(url, {f"voeu-{child.pk}-{openings[0].pk}": "1", f"voeu-{child.pk}-{openings[1].pk}": "1"})
    assert bad.status_code == 400
    assert "même numéro" in bad.content.decode()
    ok = client.post(url, {f"voeu-{child.pk}-{openings[2].pk}": "1", f"voeu-{child.pk}-{openings[0].pk}": "2"})
    assert ok.status_code == 302
    assert list(Wish.objects.filter(child=child).values_list("opening_id", flat=True)) == [
        openings[2].pk,
        openings[0].pk,
    ]
    assert client.get(tenant_a.url("voeux/")).status_code == 200
    with time_machine.travel(now + timedelta(days=2), tick=False):
        created = run_draw(activity=activity)
    decision = client.get(tenant_a.url(f"voeux/{activity.pk}/decision/"))
    assert decision.status_code == 200
    text = decision.content.decode()
    assert "L311-3-1" in text and "Votre rang dans cette classe" in text
    public = client.get(tenant_a.url(f"tirages/{created.public_token}/"))
    assert public.status_code == 200 and created.seed in public.content.decode()
    data = client.get(tenant_a.url(f"tirages/{created.public_token}/donnees.json"))
    assert pure.verify(json.loads(data.content)) == (True, [])
    # Another family sees no decision for an activity it is not in.
    other = login(tenant_a.other_family_user)
    page = other.get(tenant_a.url(f"voeux/{activity.pk}/decision/"))
    assert "pas de vœux ni de décision de tirage pour votre famille" in page.content.decode()
    assert "Zoé" not in page.content.decode()


def test_backoffice_draw_screen_runs_the_draw_once_after_the_close(tenant_a, territory, login):
    now = timezone.now()
    activity, openings, children = scenario(
        tenant_a.organisation, families=3, opens=now - timedelta(days=3), closes=now + timedelta(days=1)
    )
    client = login(tenant_a.admin)
    url = tenant_a.url(f"gestion/activites/{activity.pk}/tirage/")
    page = client.get(url)
    assert page.status_code == 200 and "Le tirage pourra être lancé après la clôture" in page.content.decode()
    refused = client.post(url)
    assert refused.status_code == 400 and not Draw.objects.filter(activity=activity).exists()
    with time_machine.travel(now + timedelta(days=2), tick=False):
        client = login(tenant_a.admin)
        assert client.post(url).status_code == 302
        assert Draw.objects.filter(activity=activity).count() == 1
        again = client.get(url)
        assert "Page publique du tirage" in again.content.decode()
