"""Portal tab "Mes réservations": the planning grid (seed 000 and 004)."""

from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ribambelle.activities.models import WEEKDAY_NAMES
from ribambelle.bookings import selectors, services
from ribambelle.bookings.calendar import family_calendar
from ribambelle.core.dates import shown_date
from ribambelle.core.exceptions import DomainError
from ribambelle.core.params import date_bounds_message, date_param, parse_date, parse_ids
from ribambelle.tenancy.access import family_required
from ribambelle.waitingroom.guard import activities_from_openings, activities_from_units, room_pass_required

VIEWS = [("jour", gettext_lazy("Jour")), ("semaine", gettext_lazy("Semaine")), ("mois", gettext_lazy("Mois"))]


def _anchor(request) -> date:
    return date_param(request, "date", timezone.localdate())


def _planning_url(request, child, view: str, anchor: date) -> str:
    base = reverse("portail:bookings_child", kwargs={"org_slug": request.organisation.slug, "person_id": child.pk})
    return f"{base}?vue={view}&date={anchor:%Y-%m-%d}"


@family_required
def booking_children(request):
    children = list(selectors.children_with_accepted_registrations(request.user.family))
    if len(children) == 1:
        return redirect("portail:bookings_child", org_slug=request.organisation.slug, person_id=children[0].pk)
    return render(request, "portail/bookings/children.html", {"children": children, "active_tab": "bookings"})


@family_required
@room_pass_required(activities_from_openings)
def planning(request, person_id: int):
    child = selectors.get_child_for_family(request.user.family, person_id)
    view = request.GET.get("vue", "semaine")
    view = view if view in dict(VIEWS) else "semaine"
    anchor = _anchor(request)
    start, end = selectors.view_range(view, anchor)
    if request.method == "POST":
        return _save(request, child, view, anchor)
    settings = services.settings_for(request.organisation)
    blocks = selectors.planning(child, start, end, show_remaining=settings.show_remaining_places)
    step = {"jour": timedelta(days=1), "semaine": timedelta(days=7), "mois": timedelta(days=31)}[view]
    previous_anchor = (start - timedelta(days=1)) if view == "mois" else anchor - step
    return render(
        request,
        "portail/bookings/planning.html",
        {
            "child": child,
            "blocks": blocks,
            "days": [start + timedelta(days=i) for i in range((end - start).days + 1)],
            "view": view,
            "views": VIEWS,
            "anchor": anchor,
            "start": start,
            "end": end,
            "previous": previous_anchor,
            "next": end + timedelta(days=1) if view == "mois" else anchor + step,
            "legend": selectors.LEGEND,
            "weekday_names": WEEKDAY_NAMES,
            "active_tab": "bookings",
            "offered": [c for b in blocks for r in b.rows for c in r.cells if c.state == selectors.CellState.OFFERED],
            "full_offer": request.session.pop("full_offer", None),
        },
    )


def _ids(values) -> set[int]:
    return set(parse_ids(values))


def _save(request, child, view, anchor):
    """The grid's checkboxes: ticked = wanted. Only the cells shown are compared."""
    shown = _ids(request.POST.getlist("shown"))
    wanted = _ids(request.POST.getlist("o")) & shown
    shown_full = _ids(request.POST.getlist("shown_full"))
    # Every day shown, ticked or not: the save reads what the child holds on them (in the same
    # statement as the days themselves) and changes only what differs.
    changes = [
        services.BookingChange(o, o in wanted, join_waiting_list=o in shown_full or "waitlist" in request.POST)
        for o in sorted(shown)
    ]
    try:
        result = services.save_bookings(child=child, changes=changes, acting_user=request.user, request=request)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        _report(request, result)
    # Back to the page posted from (the same address as _planning_url gives, without resolving it).
    return redirect(f"{request.path}?vue={view}&date={anchor:%Y-%m-%d}")


def _report(request, result) -> None:
    if result.booked:
        messages.success(
            request,
            _("%(n)s journée(s) réservée(s). Un e-mail récapitulatif vous est envoyé.") % {"n": len(result.booked)},
        )
    if result.waitlisted:
        messages.info(
            request,
            _("%(n)s demande(s) en liste d'attente : vous serez prévenu(e) si une place se libère.")
            % {"n": len(result.waitlisted)},
        )
    if result.cancelled:
        messages.success(request, _("%(n)s réservation(s) annulée(s).") % {"n": len(result.cancelled)})
    for opening, reason in result.refused:
        messages.error(
            request,
            _("%(unit)s du %(date)s : non enregistré, %(reason)s.")
            % {"unit": opening.unit.name, "date": shown_date(opening.date), "reason": reason},
        )
    if result.full:
        # Offered on the planning page: join the waiting list for these days in one click.
        request.session["full_offer"] = {
            "ids": [o.pk for o in result.full],
            "labels": [
                _("%(unit)s du %(date)s") % {"unit": o.unit.name, "date": shown_date(o.date)} for o in result.full
            ],
        }
    if not (result.changed or result.refused or result.full):
        messages.info(request, _("Aucune modification à enregistrer."))


def _save_and_report(request, child, changes) -> None:
    try:
        result = services.save_bookings(child=child, changes=changes, acting_user=request.user, request=request)
    except DomainError as error:  # e.g. the lock not obtained in time during a rush: nothing saved
        messages.error(request, error.message)
    else:
        _report(request, result)


@require_POST
@family_required
@room_pass_required(activities_from_openings)
def join_waiting_list(request, person_id: int):
    child = selectors.get_child_for_family(request.user.family, person_id)
    changes = [services.BookingChange(o, True, join_waiting_list=True) for o in sorted(_ids(request.POST.getlist("o")))]
    _save_and_report(request, child, changes)
    return redirect(
        request.POST.get("back")
        if str(request.POST.get("back", "")).startswith(f"/{request.organisation.slug}/")
        else _planning_url(request, child, "semaine", timezone.localdate())
    )


@require_POST
@family_required
@room_pass_required(activities_from_units)
def typical_week(request, person_id: int):
    """ "Semaine type": the same week days and units over a date range, in one save."""
    child = selectors.get_child_for_family(request.user.family, person_id)
    start, end = parse_date(request.POST.get("from")), parse_date(request.POST.get("to"))
    if start is None or end is None:
        messages.error(request, _("Indiquez une date de début et une date de fin.") + " " + date_bounds_message())
        return redirect(_planning_url(request, child, "semaine", timezone.localdate()))
    weekdays = {int(v) for v in request.POST.getlist("weekday") if v in {"0", "1", "2", "3", "4", "5", "6"}}
    unit_ids = _ids(request.POST.getlist("unit"))
    if end < start or (end - start).days > 366 or not weekdays or not unit_ids:
        messages.error(request, _("Choisissez au moins un jour, une unité, et une période d'un an au plus."))
        return redirect(_planning_url(request, child, "semaine", start))
    openings = selectors.openings_to_repeat(child, unit_ids=unit_ids, start=start, end=end)
    changes = [services.BookingChange(pk, True) for pk, day in openings if day.weekday() in weekdays]
    _save_and_report(request, child, changes)
    return redirect(_planning_url(request, child, "mois", start))


@require_POST
@family_required
def accept_offer(request, booking_id: int):
    booking = selectors.get_booking_for_family(request.user.family, booking_id)
    try:
        services.accept_offer(booking=booking, acting_user=request.user, request=request)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("La place est à vous : elle est réservée."))
    return redirect(_planning_url(request, booking.child, "semaine", booking.date))


@family_required
def calendar_settings(request):
    family = request.user.family
    if request.method == "POST":
        feed = services.regenerate_calendar_token(family=family)
        messages.success(request, _("Nouvelle adresse d'agenda créée : l'ancienne ne fonctionne plus."))
        return redirect("portail:calendar_settings", org_slug=request.organisation.slug)
    feed = selectors.calendar_feed_of(family)
    url = (
        request.build_absolute_uri(
            reverse("portail:calendar_feed", kwargs={"org_slug": request.organisation.slug, "token": feed.token})
        )
        if feed
        else ""
    )
    return render(request, "portail/bookings/calendar.html", {"feed_url": url, "active_tab": "bookings"})


def calendar_feed(request, token: str):
    """Private iCalendar feed of a family's bookings (no login: the unguessable token is the key)."""
    feed = selectors.get_calendar_feed(request.organisation, token)
    response = HttpResponse(family_calendar(feed.family), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="reservations.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response
