"""Portal pages of the draw ("vœux puis tirage"): a family's wishes and decision, and the
public page of each draw (rules, classes, seed, hashes, pseudonymous ranks, its JSON)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.allocation import selectors
from ribambelle.allocation.draw import canonical
from ribambelle.allocation.models import AllocationMode
from ribambelle.allocation.services import save_wishes
from ribambelle.core.exceptions import DomainError
from ribambelle.tenancy.access import family_required


@family_required
def wish_activities(request):
    family = request.user.family
    return render(
        request,
        "portail/draw/activities.html",
        {
            "active_tab": "registrations",
            "items": selectors.wish_activities_for_family(family, now=timezone.now()),
            "draws": selectors.decisions_for_family(family),
        },
    )


def _preferences(request, child_id: int, openings) -> tuple[list[int], str]:
    """The days ranked for one child, from the numbers typed next to them (empty: not wanted)."""
    ranked = []
    for opening in openings:
        raw = request.POST.get(f"voeu-{child_id}-{opening.pk}", "").strip()
        if not raw:
            continue
        if not raw.isdigit() or not 1 <= int(raw) <= len(openings):
            return [], _("Indiquez pour chaque jour voulu un numéro de préférence entre 1 et %(n)s.") % {
                "n": len(openings)
            }
        ranked.append((int(raw), opening.date, opening.pk))
    if len({rank for rank, _d, _p in ranked}) != len(ranked):
        return [], _("Deux jours ont le même numéro de préférence : donnez à chacun un numéro différent.")
    return [pk for _r, _d, pk in sorted(ranked)], ""


@family_required
def wishes(request, activity_id: int):
    family = request.user.family
    activity = selectors.get_wish_activity_for_family(family, activity_id)
    allocation = selectors.allocation_settings(activity)
    if allocation is None or allocation.mode != AllocationMode.WISHES_DRAW:
        return render(request, "portail/draw/no_draw.html", {"active_tab": "registrations", "activity": activity})
    now = timezone.now()
    is_open = selectors.wish_window_is_open(allocation, now=now)
    children = selectors.wish_form_data(family, activity)
    errors = {}
    status = 200
    if request.method == "POST" and is_open:
        for item in children:
            opening_ids, error = _preferences(request, item["child"].pk, item["openings"])
            if error:
                errors[item["child"].pk] = error
                continue
            try:
                save_wishes(
                    family=family,
                    child=item["child"],
                    activity=activity,
                    opening_ids=opening_ids,
                    acting_user=request.user,
                )
            except DomainError as exc:
                errors[item["child"].pk] = str(exc)
        if not errors:
            messages.success(request, _("Vos vœux sont enregistrés. Vous pouvez les modifier jusqu'à la clôture."))
            return redirect(request.path)
        status = 400
        children = selectors.wish_form_data(family, activity)
    for item in children:
        order = {opening_id: index for index, opening_id in enumerate(item["wishes"], start=1)}
        item["rows"] = [
            (
                opening,
                request.POST.get(f"voeu-{item['child'].pk}-{opening.pk}", "") if errors else order.get(opening.pk, ""),
            )
            for opening in item["openings"]
        ]
        item["error"] = errors.get(item["child"].pk, "")
    return render(
        request,
        "portail/draw/wishes.html",
        {
            "active_tab": "registrations",
            "activity": activity,
            "allocation": allocation,
            "classes": allocation.classes.all(),
            "is_open": is_open,
            "children": children,
            "draw": selectors.draw_for_activity(activity),
        },
        status=status,
    )


@family_required
def decision(request, activity_id: int):
    family = request.user.family
    activity = selectors.get_wish_activity_for_family(family, activity_id)
    draw = selectors.draw_for_activity(activity)
    found = selectors.family_decision(draw, family) if draw else None
    if found is None:
        return render(request, "portail/draw/no_draw.html", {"active_tab": "registrations", "activity": activity})
    return render(request, "portail/draw/decision.html", dict(found, active_tab="registrations"))


def public_draw(request, token: str):
    draw = selectors.get_public_draw(request.organisation, token)
    return render(
        request,
        "portail/draw/public.html",
        {"draw": draw, "ranks": selectors.public_ranks(draw), "classes": draw.inputs["classes"]},
    )


def public_draw_json(request, token: str):
    draw = selectors.get_public_draw(request.organisation, token)
    response = HttpResponse(canonical(draw.published), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tirage-{draw.activity_id}.json"'
    return response
