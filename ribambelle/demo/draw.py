"""Demo: the "Séjour neige" of Quercy in wishes-then-draw mode, with wishes from the demo
families and a draw that already ran (its public page and each family's decision to look at).

The wish window is in the past (it closed two days ago), so the wishes are written as the
families left them and the draw is run through its service, dated yesterday. Few places on
the first two days (3 each) make the draw visible: waiting lists, ranks, classes."""

from datetime import timedelta

from django.utils import timezone


def load_draw(organisation) -> None:
    from ribambelle.activities.models import Activity, Opening
    from ribambelle.allocation.models import AllocationMode, Draw, FamilyDrawProfile, Wish
    from ribambelle.allocation.services import configure_allocation, run_draw
    from ribambelle.families.models import Person, PersonRole
    from ribambelle.registrations.models import Registration, RegistrationStatus

    stay = Activity.objects.filter(organisation=organisation, name__startswith="Séjour neige").first()
    if stay is None or Draw.objects.filter(activity=stay).exists():
        return
    group = stay.groups.order_by("position").first()
    openings = list(Opening.objects.filter(activity=stay, group=group).order_by("date", "pk"))
    if group is None or len(openings) < 3:
        return
    for opening in openings[:2]:
        opening.capacity = 3
    Opening.objects.bulk_update(openings[:2], ["capacity"])
    now = timezone.now()
    configure_allocation(
        activity=stay,
        mode=AllocationMode.WISHES_DRAW,
        wishes_open_at=now - timedelta(days=16),
        wishes_close_at=now - timedelta(days=2),
        family_cap=4,
        siblings_together=True,
        classes=[
            {
                "label": "Résidents dont les parents (ou le parent seul) travaillent",
                "requires_resident": True,
                "requires_working_parents": True,
            },
            {"label": "Résidents", "requires_resident": True},
            {"label": "Autres familles"},
        ],
    )
    children = list(
        Person.objects.filter(organisation=organisation, role=PersonRole.CHILD).select_related("family").order_by("pk")
    )[:10]
    registered = set(
        Registration.objects.filter(activity=stay, status=RegistrationStatus.ACCEPTED).values_list(
            "child_id", flat=True
        )
    )
    Registration.objects.bulk_create(
        Registration(
            organisation=organisation,
            family=child.family,
            child=child,
            activity=stay,
            group=group,
            status=RegistrationStatus.ACCEPTED,
            decided_at=now - timedelta(days=20),
        )
        for child in children
        if child.pk not in registered
    )
    families = {child.family_id for child in children}
    existing = set(FamilyDrawProfile.objects.filter(family_id__in=families).values_list("family_id", flat=True))
    FamilyDrawProfile.objects.bulk_create(
        FamilyDrawProfile(organisation=organisation, family_id=family_id, parents_working=index % 2 == 0)
        for index, family_id in enumerate(sorted(families))
        if family_id not in existing
    )
    wishes = []
    for index, child in enumerate(children):
        order = openings[index % 2 :] + openings[: index % 2]  # everyone wants the first days
        wishes += [
            Wish(
                organisation=organisation,
                family=child.family,
                child=child,
                activity=stay,
                opening=opening,
                preference=preference,
            )
            for preference, opening in enumerate(order[:4], start=1)
        ]
    Wish.objects.bulk_create(wishes)
    run_draw.inner(activity=stay, now=now - timedelta(days=1))
