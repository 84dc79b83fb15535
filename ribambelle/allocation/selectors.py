"""Reads of the allocation: what the draw is fed, and what families and the public see of it."""

from collections import defaultdict

from django.http import Http404

from ribambelle.activities.models import Activity, Opening
from ribambelle.registrations.models import Registration, RegistrationStatus

from .models import AllocationMode, AllocationSettings, Draw, FamilyDrawProfile, Wish


def wish_window_is_open(settings: AllocationSettings, *, now) -> bool:
    return (
        settings.mode == AllocationMode.WISHES_DRAW
        and settings.wishes_open_at is not None
        and settings.wishes_open_at <= now < settings.wishes_close_at
        and not Draw.objects.filter(activity_id=settings.activity_id).exists()
    )


def allocation_settings(activity) -> AllocationSettings | None:
    return AllocationSettings.objects.filter(activity=activity).prefetch_related("classes").first()


def accepted_registrations(activity):
    return Registration.objects.filter(activity=activity, status=RegistrationStatus.ACCEPTED)


def _territory(organisation_id) -> set[str]:
    from ribambelle.billing.models import BillingSettings  # the territory is a billing setting

    found = BillingSettings.objects.filter(organisation_id=organisation_id).first()
    return found.territory_codes if found else set()


def family_class(classes, *, resident: bool, working: bool) -> int:
    """The first class whose criteria the family meets; the last one takes everyone else."""
    for index, klass in enumerate(classes):
        if (not klass.requires_resident or resident) and (not klass.requires_working_parents or working):
            return index
    return len(classes) - 1


def slot_name(opening) -> str:
    return f"{opening.date.isoformat()} {opening.unit.name} / {opening.group.name}"


def draw_inputs(settings: AllocationSettings, *, taken) -> tuple[dict, dict]:
    """The sealed document the draw runs on (draw.py's format) and the keys back to the rows.

    Every name in it is derived from data, never from row ids (days, units and groups by name,
    families by their public pseudonym, children by their order in the family), and every list
    is in a fixed order: the same wishes give the same bytes on PostgreSQL and SQLite."""
    activity = settings.activity
    classes = list(settings.classes.all())
    territory = _territory(activity.organisation_id)
    openings = list(
        Opening.objects.filter(activity=activity, is_closed=False)
        .select_related("unit", "group")
        .order_by("date", "unit__name", "group__name")
    )
    slots = {o.pk: slot_name(o) for o in openings}
    capacities = {slots[o.pk]: max(0, o.capacity - taken.get(o.pk, 0)) for o in openings}
    wishes = (
        Wish.objects.filter(activity=activity, opening_id__in=slots)
        .select_related("family", "child", "opening__unit")
        .order_by("family_id", "child_id", "preference")
    )
    profiles = dict(
        FamilyDrawProfile.objects.filter(family__wishes__activity=activity)
        .distinct()
        .values_list("family_id", "public_id")
    )
    working = set(
        FamilyDrawProfile.objects.filter(family_id__in=list(profiles), parents_working=True).values_list(
            "family_id", flat=True
        )
    )
    by_family: dict[int, dict] = {}
    keys = {"families": {}, "children": {}, "slots": {}, "dates": {}}
    for wish in wishes:
        family = wish.family
        public_id = profiles[family.pk]
        entry = by_family.setdefault(family.pk, {"public_id": public_id, "family": family, "children": {}})
        children = entry["children"]
        if wish.child_id not in children:
            children[wish.child_id] = (f"{public_id}.{len(children) + 1}", [])
        children[wish.child_id][1].append(wish)
        keys["families"][public_id] = family.pk
        keys["children"][children[wish.child_id][0]] = wish.child_id
        slot = slots[wish.opening_id]
        keys["slots"][slot] = wish.opening_id
        keys["dates"][slot] = wish.opening.date.isoformat()
    families = []
    for entry in by_family.values():
        family = entry["family"]
        resident = not territory or family.postal_code.strip() in territory
        items = []  # (preference, child order, pairs)
        together: dict[tuple, list] = {}
        for order, (ref, child_wishes) in enumerate(entry["children"].values()):
            for wish in child_wishes:
                pair = [ref, slots[wish.opening_id]]
                if settings.siblings_together:
                    key = (wish.opening.date, wish.opening.unit.name)
                    if key in together:
                        together[key][2].append(pair)
                        together[key][0] = min(together[key][0], wish.preference)
                        continue
                    together[key] = [wish.preference, order, [pair]]
                    items.append(together[key])
                else:
                    items.append([wish.preference, order, [pair]])
        items.sort(key=lambda item: (item[0], item[1]))
        families.append(
            {
                "id": entry["public_id"],
                "class": family_class(classes, resident=resident, working=family.pk in working),
                "wishes": [item[2] for item in items],
            }
        )
    families.sort(key=lambda f: f["id"])
    inputs = {
        "activity": activity.name,
        "classes": [k.label for k in classes],
        "family_cap": settings.family_cap,
        "siblings_together": settings.siblings_together,
        "capacities": capacities,
        "families": families,
    }
    keys["dates"] = {slot: day for slot, day in keys["dates"].items()}
    return inputs, keys


def draw_for_activity(activity) -> Draw | None:
    return Draw.objects.filter(activity=activity).first()


def get_public_draw(organisation, token: str) -> Draw:
    draw = Draw.objects.filter(organisation=organisation, public_token=token).select_related("activity").first()
    if draw is None:
        raise Http404
    return draw


def public_ranks(draw: Draw) -> list[dict]:
    labels = draw.inputs["classes"]
    return [dict(rank, class_label=labels[rank["class"]]) for rank in draw.result["ranks"]]


def family_decision(draw_id: int, family_id: int) -> dict | None:
    """What one family was given by a draw: its class, its rank, its days, its waiting-list places."""
    draw = Draw.objects.filter(pk=draw_id).select_related("activity", "organisation").first()
    if draw is None:
        return None
    public_id = next((p for p, f in draw.keys["families"].items() if f == family_id), None)
    if public_id is None:
        return None
    from ribambelle.families.models import Family, Person

    family = Family.objects.get(pk=family_id)
    names = dict(Person.objects.filter(family=family).values_list("pk", "first_name"))
    rank = next(r for r in draw.result["ranks"] if r["family"] == public_id)
    outcome = draw.result["families"][public_id]
    wishes = next(f["wishes"] for f in draw.inputs["families"] if f["id"] == public_id)

    def lines(preferences, *, waiting=False):
        found = []
        for preference in preferences:
            for child_ref, slot in wishes[preference]:
                line = {"child": names.get(draw.keys["children"][child_ref], child_ref), "slot": slot}
                if waiting:
                    queue = draw.result["waiting_lists"].get(slot, [])
                    line["position"] = queue.index([public_id, child_ref]) + 1
                found.append(line)
        return found

    return {
        "organisation": draw.organisation,
        "family": family,
        "email": family.email,
        "activity": draw.activity,
        "draw": draw,
        "public_id": public_id,
        "class_label": draw.inputs["classes"][rank["class"]],
        "class_number": rank["class"] + 1,
        "rank_in_class": rank["rank_in_class"],
        "class_size": sum(1 for r in draw.result["ranks"] if r["class"] == rank["class"]),
        "granted": lines(outcome["granted"]),
        "waiting": lines(outcome["waiting"], waiting=True),
        "over_cap": lines(outcome["over_cap"]),
    }


def decisions_for_family(family) -> list[Draw]:
    return list(
        Draw.objects.filter(activity__wishes__family=family).distinct().select_related("activity").order_by("-drawn_at")
    )


def wish_activities_for_family(family, *, now) -> list[dict]:
    """Activities in wishes-then-draw mode to which a child of the family is registered."""
    registrations = (
        Registration.objects.filter(
            family=family,
            status=RegistrationStatus.ACCEPTED,
            activity__allocation__mode=AllocationMode.WISHES_DRAW,
        )
        .select_related("activity__allocation", "child", "group")
        .order_by("activity__start_date", "child__first_name")
    )
    grouped = defaultdict(list)
    for registration in registrations:
        grouped[registration.activity].append(registration)
    return [
        {"activity": activity, "registrations": regs, "open": wish_window_is_open(activity.allocation, now=now)}
        for activity, regs in grouped.items()
    ]


def get_wish_activity_for_family(family, activity_id: int) -> Activity:
    activity = (
        Activity.objects.filter(
            pk=activity_id,
            registrations__family=family,
            registrations__status=RegistrationStatus.ACCEPTED,
            allocation__mode=AllocationMode.WISHES_DRAW,
        )
        .select_related("allocation")
        .distinct()
        .first()
    )
    if activity is None:
        raise Http404
    return activity


def wish_form_data(family, activity) -> list[dict]:
    """Per child: the days of its group and its current wishes in order."""
    registrations = list(
        accepted_registrations(activity).filter(family=family).select_related("child", "group").order_by("child_id")
    )
    openings = defaultdict(list)
    for opening in (
        Opening.objects.filter(activity=activity, is_closed=False, group_id__in={r.group_id for r in registrations})
        .select_related("unit")
        .order_by("date", "unit__position", "pk")
    ):
        openings[opening.group_id].append(opening)
    current = defaultdict(list)
    for wish in Wish.objects.filter(activity=activity, family=family).order_by("preference"):
        current[wish.child_id].append(wish.opening_id)
    return [
        {"registration": r, "child": r.child, "openings": openings[r.group_id], "wishes": current[r.child_id]}
        for r in registrations
    ]
