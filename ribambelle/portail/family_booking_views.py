"""Portal tab "Mes réservations", the whole family at once (issue 22): every child's rows on one
grid, "même chose pour tous", and the pattern tool with its preview and receipt."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.bookings import family_selectors, selectors, services
from ribambelle.bookings.family_services import save_family_bookings
from ribambelle.core.dates import shown_date
from ribambelle.core.exceptions import DomainError
from ribambelle.core.params import date_param, parse_id
from ribambelle.tenancy.access import family_required
from ribambelle.waitingroom.guard import room_pass_required

from .booking_forms import PatternForm


def _pairs(values) -> set[tuple[int, int]]:
    """The grid's "child.opening" values; anything else is ignored."""
    pairs = set()
    for value in values:
        child, _dot, opening = str(value).partition(".")
        child_id, opening_id = parse_id(child), parse_id(opening)
        if child_id and opening_id:
            pairs.add((child_id, opening_id))
    return pairs


def _grid_post(request) -> tuple[set, set, set]:
    """The family grid's post: the cells shown, those ticked (among them), those shown full."""
    shown = _pairs(request.POST.getlist("cs"))
    return shown, _pairs(request.POST.getlist("co")) & shown, _pairs(request.POST.getlist("cf")) & shown


def activities_from_pairs(request, kwargs) -> dict:
    """For the waiting-room guard: the days posted by the family grid."""
    shown, _wanted, _full = _grid_post(request)
    return {"opening_ids": sorted({opening_id for _child, opening_id in shown})}


def activities_from_pattern(request, kwargs) -> dict:
    """For the waiting-room guard: the units the pattern tool would book."""
    return {"unit_ids": sorted({pk for pk in (parse_id(v) for v in request.POST.getlist("units")) if pk})}


def _grid_url(request, anchor) -> str:
    return (
        reverse("portail:bookings_family", kwargs={"org_slug": request.organisation.slug}) + f"?date={anchor:%Y-%m-%d}"
    )


@family_required
@room_pass_required(activities_from_pairs)
def family_grid(request):
    """GET: the week for every child. POST "copy_from": the grid re-rendered with one child's choices
    copied to the others, nothing saved (htmx swaps the grid in place). POST: one save for all."""
    family = request.user.family
    anchor = date_param(request, "date", timezone.localdate())
    start = anchor - timedelta(days=anchor.weekday())
    end = start + timedelta(days=6)
    shown, wanted, shown_full = _grid_post(request)
    copy_from = parse_id(request.POST.get("copy_from")) if request.method == "POST" else None
    if request.method == "POST":
        children = family_selectors.children_for_family_or_404(
            family, {c for c, _o in shown} | ({copy_from} if copy_from else set())
        )
        if copy_from is None:
            return _save(request, family, children, shown, wanted, shown_full, anchor)
    settings = services.settings_for(request.organisation)
    sections = family_selectors.family_planning(family, start, end, show_remaining=settings.show_remaining_places)
    skipped, not_registered, source = [], [], None
    if copy_from is not None:
        family_selectors.apply_posted_choices(sections, shown=shown, wanted=wanted)
        skipped, not_registered = family_selectors.copy_choices(sections, source_id=copy_from)
        source = children[copy_from]
    return render(
        request,
        "portail/bookings/family.html",
        {
            "sections": sections,
            "start": start,
            "end": end,
            "anchor": anchor,
            "previous": start - timedelta(days=7),
            "next": start + timedelta(days=7),
            "legend": selectors.LEGEND,
            "copied_from": source,
            "skipped": skipped,
            "not_registered": not_registered,
            "pending": sum(
                1 for s in sections for b in s.children for r in b.rows for c in r.cells if c.wanted != c.saved
            ),
            "active_tab": "bookings",
        },
    )


def _save(request, family, children, shown, wanted, shown_full, anchor):
    waitlist = "waitlist" in request.POST
    changes = [
        (
            children[child_id],
            opening_id,
            (child_id, opening_id) in wanted,
            waitlist or (child_id, opening_id) in shown_full,
        )
        for child_id, opening_id in sorted(shown)
    ]
    try:
        results = save_family_bookings(family=family, changes=changes, acting_user=request.user, request=request)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        _report(request, children, results)
    return redirect(_grid_url(request, anchor))


def _report(request, children, results) -> None:
    changed = False
    for child_id, result in sorted(results.items()):
        name = children[child_id].first_name
        parts = []
        if result.booked:
            parts.append(_("%(n)s journée(s) réservée(s)") % {"n": len(result.booked)})
        if result.waitlisted:
            parts.append(_("%(n)s en liste d'attente") % {"n": len(result.waitlisted)})
        if result.cancelled:
            parts.append(_("%(n)s réservation(s) annulée(s)") % {"n": len(result.cancelled)})
        if parts:
            changed = True
            messages.success(request, f"{name} : {', '.join(parts)}.")
        for opening, reason in result.refused:
            messages.error(
                request,
                _("%(child)s, %(unit)s du %(date)s : non enregistré, %(reason)s.")
                % {"child": name, "unit": opening.unit.name, "date": shown_date(opening.date), "reason": reason},
            )
        for opening in result.full:
            messages.error(
                request,
                _("%(child)s, %(unit)s du %(date)s : complet entre-temps, non enregistré.")
                % {"child": name, "unit": opening.unit.name, "date": shown_date(opening.date)},
            )
    if changed:
        messages.info(request, _("Un e-mail récapitulatif vous est envoyé."))
    elif not any(r.refused or r.full for r in results.values()):
        messages.info(request, _("Aucune modification à enregistrer."))


# --- The pattern tool ------------------------------------------------------------------------------
def _pattern_form(request, family):
    children = family_selectors.family_children(family)
    units = family_selectors.pattern_units(family)
    if request.method == "POST":
        posted = {pk for pk in (parse_id(v) for v in request.POST.getlist("children")) if pk}
        if posted - {c.pk for c in children}:
            family_selectors.children_for_family_or_404(family, posted)  # another family's child: 404
            raise Http404  # the family's own child, but without any registration to book
        return PatternForm(request.POST, children=children, units=units), children
    today = timezone.localdate()
    initial = {
        "children": [c.pk for c in children],
        "units": [units[0].pk] if len(units) == 1 else [],
        "start": today,
        "end": today + timedelta(days=27),
        "action": "book",
        "waitlist": True,
    }
    if "start" in request.GET:  # back from the preview ("Modifier"): the choices as they were
        initial = {
            **{name: request.GET.getlist(name) for name in ("children", "units", "weekdays")},
            **{name: request.GET.get(name, "") for name in ("start", "end", "action")},
            "waitlist": bool(request.GET.get("waitlist")),
        }
    return PatternForm(initial=initial, children=children, units=units), children


def _plan(request, family, form, children):
    data = form.cleaned_data
    chosen = [c for c in children if c.pk in set(data["children"])]
    for child in chosen:
        child.family = family
        child.organisation = family.organisation
    return family_selectors.pattern_plan(
        family,
        children=chosen,
        unit_ids=data["units"],
        weekdays=data["weekdays"],
        start=data["start"],
        end=data["end"],
        cancel=data["action"] == "cancel",
        waitlist=data["waitlist"],
    )


@family_required
@room_pass_required(activities_from_pattern)
def pattern(request):
    """GET: the form. POST: the preview of exactly what would change (nothing saved). POST with
    "confirm": the same plan, read again, applied in one save; then the receipt."""
    family = request.user.family
    form, children = _pattern_form(request, family)
    if request.method != "POST" or not form.is_valid():
        if not children:
            return redirect("portail:bookings", org_slug=request.organisation.slug)
        status = 400 if form.errors else 200
        return render(request, "portail/bookings/pattern.html", {"form": form, "active_tab": "bookings"}, status=status)
    plans = _plan(request, family, form, children)
    if "confirm" not in request.POST:
        return render(
            request,
            "portail/bookings/pattern_preview.html",
            {
                "form": form,
                "plans": plans,
                "cancel": form.cleaned_data["action"] == "cancel",
                "changes": sum(p.changes for p in plans),
                "again": _query(form.cleaned_data),
                "active_tab": "bookings",
            },
        )
    changes = family_selectors.plan_changes(plans, waitlist=form.cleaned_data["waitlist"])
    try:
        results = save_family_bookings(family=family, changes=changes, acting_user=request.user, request=request)
    except DomainError as error:
        messages.error(request, error.message)
        return render(request, "portail/bookings/pattern.html", {"form": form, "active_tab": "bookings"}, status=400)
    request.session["pattern_receipt"] = _receipt(plans, results)
    return redirect("portail:bookings_pattern_receipt", org_slug=request.organisation.slug)


def _query(data) -> str:
    """The pattern's choices as a query string, to edit them again from the preview."""
    return urlencode(
        {
            "children": data["children"],
            "units": data["units"],
            "weekdays": data["weekdays"],
            "start": f"{data['start']:%Y-%m-%d}",
            "end": f"{data['end']:%Y-%m-%d}",
            "action": data["action"],
            **({"waitlist": "on"} if data["waitlist"] else {}),
        },
        doseq=True,
    )


def _receipt(plans, results) -> dict:
    rows = []
    for plan in plans:
        result = results.get(plan.child.pk)
        not_done = []
        if result is not None:
            not_done = [
                _("%(unit)s du %(date)s : %(reason)s")
                % {"unit": opening.unit.name, "date": shown_date(opening.date), "reason": reason}
                for opening, reason in result.refused
            ] + [
                _("%(unit)s du %(date)s : complet entre-temps")
                % {"unit": opening.unit.name, "date": shown_date(opening.date)}
                for opening in result.full
            ]
        rows.append(
            {
                "name": f"{plan.child.first_name} {plan.child.last_name}",
                "booked": len(result.booked) if result else 0,
                "waitlisted": len(result.waitlisted) if result else 0,
                "cancelled": len(result.cancelled) if result else 0,
                "skipped": len(plan.skipped),
                "not_done": not_done,
            }
        )
    first = min((line.opening.date for plan in plans for line in plan.lines), default=None)
    return {"rows": rows, "first": f"{first:%Y-%m-%d}" if first else ""}


@family_required
def pattern_receipt(request):
    receipt = request.session.get("pattern_receipt")
    if not receipt:
        return redirect("portail:bookings_pattern", org_slug=request.organisation.slug)
    return render(request, "portail/bookings/pattern_receipt.html", {"receipt": receipt, "active_tab": "bookings"})
