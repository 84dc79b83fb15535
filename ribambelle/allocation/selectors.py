"""Reads of the allocation: what the draw is fed, and what families and the public see of it."""

from collections import defaultdict
from datetime import date

from django.http import Http404
from django.utils.formats import date_format

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


def shown_slot(slot: str) -> str:
    """A published slot name as a family reads it: "lundi 22/02/2027 – Journée (Ados 11-15 ans)"."""
    day, _space, rest = slot.partition(" ")
    unit, _sep, group = rest.partition(" / ")
    try:
        when = date.fromisoformat(day)
    except ValueError:
        return slot
    return f"{date_format(when, 'l d/m/Y')} – {unit}" + (f" ({group})" if group else "")


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
    by_pk = {o.pk: o for o in openings}
    # Plain tuples, not model instances: a draw reads tens of thousands of wishes.
    wishes = (
        Wish.objects.filter(activity=activity, opening_id__in=slots)
        .order_by("family_id", "child_id", "preference")
        .values_list("family_id", "child_id", "opening_id", "preference")
    )
    profiles = {
        family_id: (public_id, working)
        for family_id, public_id, working in FamilyDrawProfile.objects.filter(
            family_id__in=Wish.objects.filter(activity=activity).values("family_id")
        ).values_list("family_id", "public_id", "parents_working")
    }
    from ribambelle.families.models import Family

    postal_codes = dict(
        Family.objects.filter(pk__in=Wish.objects.filter(activity=activity).values("family_id")).values_list(
            "pk", "postal_code"
        )
    )
    by_family: dict[int, dict] = {}
    keys = {"families": {}, "children": {}, "slots": {}, "dates": {}}
    for family_id, child_id, opening_id, preference in wishes:
        public_id = profiles[family_id][0]
        entry = by_family.get(family_id)
        if entry is None:
            entry = by_family[family_id] = {"public_id": public_id, "family_id": family_id, "children": {}}
            keys["families"][public_id] = family_id
        children = entry["children"]
        if child_id not in children:
            children[child_id] = (f"{public_id}.{len(children) + 1}", [])
            keys["children"][children[child_id][0]] = child_id
        children[child_id][1].append((opening_id, preference))
        slot = slots[opening_id]
        keys["slots"][slot] = opening_id
        keys["dates"][slot] = by_pk[opening_id].date.isoformat()
    families = []
    for entry in by_family.values():
        family_id = entry["family_id"]
        resident = not territory or postal_codes.get(family_id, "").strip() in territory
        items = []  # (preference, child order, pairs)
        together: dict[tuple, list] = {}
        for order, (ref, child_wishes) in enumerate(entry["children"].values()):
            for opening_id, preference in child_wishes:
                pair = [ref, slots[opening_id]]
                if settings.siblings_together:
                    key = (by_pk[opening_id].date, by_pk[opening_id].unit.name)
                    if key in together:
                        together[key][2].append(pair)
                        together[key][0] = min(together[key][0], preference)
                        continue
                    together[key] = [preference, order, [pair]]
                    items.append(together[key])
                else:
                    items.append([preference, order, [pair]])
        items.sort(key=lambda item: (item[0], item[1]))
        families.append(
            {
                "id": entry["public_id"],
                "class": family_class(classes, resident=resident, working=profiles[family_id][1]),
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


def family_decisions(draw: Draw, *, family_ids=None) -> dict[int, dict]:
    """What each family was given by a draw (all of them, or `family_ids`), in one pass: its
    class, its rank, its days, its places on the waiting lists."""
    from ribambelle.families.models import Family, Person

    wanted = set(draw.keys["families"].values()) if family_ids is None else set(family_ids)
    public_ids = {f: p for p, f in draw.keys["families"].items() if f in wanted}
    if not public_ids:
        return {}
    families = Family.objects.in_bulk(list(public_ids))
    names = dict(Person.objects.filter(family_id__in=list(public_ids)).values_list("pk", "first_name"))
    ranks = {r["family"]: r for r in draw.result["ranks"]}
    class_sizes: dict[int, int] = defaultdict(int)
    for rank in draw.result["ranks"]:
        class_sizes[rank["class"]] += 1
    wishes = {f["id"]: f["wishes"] for f in draw.inputs["families"]}
    positions = {
        (slot, public_id, child_ref): index
        for slot, queue in draw.result["waiting_lists"].items()
        for index, (public_id, child_ref) in enumerate(queue, start=1)
    }
    children = draw.keys["children"]
    found = {}
    for family_id, public_id in public_ids.items():
        family = families.get(family_id)
        if family is None:
            continue
        outcome = draw.result["families"][public_id]

        def lines(preferences, *, waiting=False, public_id=public_id):
            result = []
            for preference in preferences:
                for child_ref, slot in wishes[public_id][preference]:
                    line = {"child": names.get(children[child_ref], child_ref), "slot": shown_slot(slot)}
                    if waiting:
                        line["position"] = positions[(slot, public_id, child_ref)]
                    result.append(line)
            return result

        rank = ranks[public_id]
        found[family_id] = {
            "organisation": draw.organisation,
            "family": family,
            "email": family.email,
            "activity": draw.activity,
            "draw": draw,
            "public_id": public_id,
            "class_label": draw.inputs["classes"][rank["class"]],
            "class_number": rank["class"] + 1,
            "rank_in_class": rank["rank_in_class"],
            "class_size": class_sizes[rank["class"]],
            "granted": lines(outcome["granted"]),
            "waiting": lines(outcome["waiting"], waiting=True),
            "over_cap": lines(outcome["over_cap"]),
        }
    return found


def family_decision(draw: Draw, family) -> dict | None:
    return family_decisions(draw, family_ids=[family.pk]).get(family.pk)


def draw_with_organisation(draw_id: int) -> Draw | None:
    return Draw.objects.filter(pk=draw_id).select_related("activity", "organisation").first()


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
        .select_related("activity", "child", "group")
        .order_by("activity__start_date", "child__first_name")
    )
    grouped = defaultdict(list)
    for registration in registrations:
        grouped[registration.activity].append(registration)
    settings = {s.activity_id: s for s in AllocationSettings.objects.filter(activity__in=list(grouped))}
    return [
        {
            "activity": activity,
            "allocation": settings[activity.pk],
            "registrations": regs,
            "open": wish_window_is_open(settings[activity.pk], now=now),
        }
        for activity, regs in grouped.items()
    ]


def get_wish_activity_for_family(family, activity_id: int) -> Activity:
    """An activity of the family's organisation shown to families (the catalogue is open to all
    of them); what the family may wish or was given is read per family after."""
    activity = Activity.objects.filter(pk=activity_id, is_published=True).first()
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


def wish_counts(activity) -> dict:
    wishes = Wish.objects.filter(activity=activity)
    return {
        "wishes": wishes.count(),
        "families": wishes.values("family_id").distinct().count(),
        "children": wishes.values("child_id").distinct().count(),
    }
