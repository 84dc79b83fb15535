"""Back office: occupancy, attendance lists (print, CSV, PDF), the tablet roll call, and
booking on a family's behalf."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ribambelle.activities import selectors as activity_selectors
from ribambelle.bookings import selectors, services, taps
from ribambelle.bookings.models import BookingStatus, TapOutcome
from ribambelle.bookings.pdf import attendance_pdf
from ribambelle.core.exceptions import DomainError
from ribambelle.core.exports import csv_response
from ribambelle.core.params import date_param, parse_id, parse_ids
from ribambelle.core.services import record_audit
from ribambelle.families.selectors import care_details, get_family_for_staff
from ribambelle.tenancy.access import staff_required, structure_limit
from ribambelle.tenancy.roles import Perm, has_permission


def _day(request, default=None):
    return date_param(request, "date", default or timezone.localdate())


@staff_required(Perm.VIEW_FAMILIES)
def occupancy(request, activity_id: int):
    """Booked / places / waiting per day, group and unit: the rush at a glance."""
    activity = activity_selectors.get_activity_for_staff(request.membership, activity_id)
    anchor = _day(request, max(activity.start_date, min(timezone.localdate(), activity.end_date)))
    start = anchor - timedelta(days=anchor.weekday())
    days = [start + timedelta(days=i) for i in range(7)]
    rows: dict[tuple, dict] = {}
    for opening in selectors.occupancy(activity, days[0], days[-1]):
        row = rows.setdefault(
            (opening.group_id, opening.unit_id), {"group": opening.group, "unit": opening.unit, "cells": {}}
        )
        row["cells"][opening.date] = opening
    table = [{**row, "cells": [row["cells"].get(day) for day in days]} for row in rows.values()]
    return render(
        request,
        "backoffice/bookings/occupancy.html",
        {
            "activity": activity,
            "days": days,
            "rows": table,
            "previous": start - timedelta(days=7),
            "next": start + timedelta(days=7),
            "nav": "activities",
        },
    )


@staff_required(Perm.MARK_ATTENDANCE)
def attendance(request, activity_id: int):
    """The day's list of expected children, by group: to print, or as CSV / PDF."""
    activity = activity_selectors.get_activity_for_staff(request.membership, activity_id)
    day = _day(request)
    group_id = request.GET.get("groupe", "")
    group_id = parse_id(group_id)
    bookings = list(selectors.attendance_list(activity, day, group_id))
    children = _care(request, activity, day, bookings, listing="attendance")
    rows = [{"booking": b, "care": children.get(b.child_id, {})} for b in bookings]
    fmt = request.GET.get("format", "")
    title = f"{activity.name} – {day:%d/%m/%Y}"
    if fmt == "csv":
        return csv_response(
            filename=f"presences-{day:%Y-%m-%d}.csv",
            header=[
                _("Groupe"),
                _("Nom"),
                _("Prénom"),
                _("Unité"),
                _("Régime"),
                _("Allergies"),
                _("PAI"),
                _("Personnes autorisées"),
                _("Statut"),
            ],
            rows=(
                [
                    row["booking"].opening.group.name,
                    row["booking"].child.last_name,
                    row["booking"].child.first_name,
                    row["booking"].opening.unit.name,
                    row["care"].get("diet", ""),
                    row["care"].get("allergies", ""),
                    _("oui") if row["care"].get("pai") else _("non"),
                    row["care"].get("authorised", ""),
                    row["booking"].get_status_display(),
                ]
                for row in rows
            ),
        )
    if fmt == "pdf":
        response = HttpResponse(
            attendance_pdf(title=title, organisation=request.organisation, rows=rows), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="presences-{day:%Y-%m-%d}.pdf"'
        return response
    return render(
        request,
        "backoffice/bookings/attendance.html",
        {
            "activity": activity,
            "day": day,
            "rows": rows,
            "group_id": group_id,
            "groups": activity.groups.all(),
            "nav": "activities",
            "title": title,
        },
    )


def _care(request, activity, day, bookings, *, listing: str) -> dict[int, dict]:
    """Diet, allergies, PAI and authorised persons of the day's children, for the printed list and
    the roll call alike (health only for who may see it): a constant number of queries."""
    with_health = has_permission(request.membership, Perm.VIEW_HEALTH)
    children = care_details({b.child_id: b.child for b in bookings}.values(), include_health=with_health)
    if with_health and bookings:
        # Every staff access to health data is logged (SPEC, personal and health data).
        record_audit(
            organisation=request.organisation,
            actor=request.user,
            action="health_view",
            obj=activity,
            changes={"list": listing, "date": str(day), "children": len(children)},
        )
    return children


@staff_required(Perm.MARK_ATTENDANCE)
def roll_call(request, activity_id: int):
    """Tablet screen: one card per child, one tap per state; each tap is saved at once (htmx)."""
    activity = activity_selectors.get_activity_for_staff(request.membership, activity_id)
    day = _day(request)
    group_id = request.GET.get("groupe", "")
    group_id = parse_id(group_id)
    bookings = list(selectors.attendance_list(activity, day, group_id))
    children = _care(request, activity, day, bookings, listing="roll_call")
    conflicts = {}
    for tap in selectors.tap_conflicts(activity, day):
        # The latest conflict of each child, shown by the mark that was set aside.
        conflicts.setdefault(tap.booking_id, tap.conflicts_with if tap.outcome == TapOutcome.APPLIED else tap)
    for booking in bookings:
        booking.care = children.get(booking.child_id, {})
        booking.tap_conflict = conflicts.get(booking.pk)
    return render(
        request,
        "backoffice/bookings/roll_call.html",
        {
            "activity": activity,
            "day": day,
            "bookings": bookings,
            "groups": activity.groups.all(),
            "group_id": group_id,
            "nav": "activities",
            "is_today": day == timezone.localdate(),
            "conflict_count": len(conflicts),
            "offline_texts": roll_call_texts(),
        },
    )


def roll_call_texts() -> dict:
    """What the offline script says, translated here (static/js/roll_call_offline.js has no text)."""
    return {
        "pending_one": _("1 pointage en attente d'envoi"),
        "pending_many": _("%(n)s pointages en attente d'envoi"),
        "all_sent": _("Tous les pointages sont envoyés."),
        "offline": _("Hors ligne : les pointages sont gardés sur cet appareil et partiront au retour du réseau."),
        "login": _("Session expirée : reconnectez-vous pour envoyer les pointages (ils restent sur cet appareil)."),
        "refused": _("Pointage refusé :"),
        "not_sent": _("non envoyé"),
        "old_list": _(
            "Liste d'un autre jour, gardée sur cet appareil : "
            "reconnectez-vous au réseau pour charger celle d'aujourd'hui."
        ),
        "arrived": _("arrivé à"),
        "left": _("parti à"),
        "booked": _("Attendu"),
        "present": _("Présent"),
        "absent": _("Absent"),
        "excused": _("Absence justifiée"),
    }


@require_POST
@staff_required(Perm.MARK_ATTENDANCE)
def mark(request, booking_id: int):
    booking = selectors.get_booking_for_staff(request.membership, booking_id)
    arrived = _time(request.POST.get("arrived_at"))
    left = _time(request.POST.get("left_at"))
    status = request.POST.get("status", "")
    if status == "left":  # "Départ": still present, leaving now (or at the time typed)
        status = BookingStatus.PRESENT
        left = left or timezone.localtime(timezone=ZoneInfo(request.organisation.time_zone)).time().replace(
            second=0, microsecond=0
        )
    error = None
    # The same way as a device's taps (bookings/taps.py): a tap made later elsewhere is not undone.
    tap = taps.Tap(uuid.uuid4(), booking.pk, status[:10], arrived, left, timezone.now())
    try:
        result = taps.apply_taps(
            organisation_id=booking.organisation_id, booking_ids={booking.pk}, taps=[tap], acting_user=request.user
        )
    except DomainError as exc:
        error = exc.message
    else:
        booking = result.bookings[booking.pk]
        if result.results[0].outcome != TapOutcome.APPLIED:
            error = result.results[0].message or _("Un pointage plus récent a déjà été enregistré pour cet enfant.")
    if request.htmx:
        booking.care = care_details(
            [booking.child], include_health=has_permission(request.membership, Perm.VIEW_HEALTH)
        ).get(booking.child_id, {})
        html = render_to_string(
            "backoffice/bookings/roll_call_card.html",
            {"booking": booking, "error": error, "is_today": True},
            request=request,
        )
        return HttpResponse(html, status=400 if error else 200)
    if error:
        messages.error(request, error)
    url = reverse(
        "backoffice:roll_call", kwargs={"org_slug": request.organisation.slug, "activity_id": booking.activity_id}
    )
    return redirect(f"{url}?date={booking.date:%Y-%m-%d}")


def _time(value):
    try:
        return datetime.strptime(value or "", "%H:%M").time()
    except ValueError:
        return None


@staff_required(Perm.MANAGE_FAMILIES)
def family_planning(request, family_id: int, person_id: int):
    """Staff book and cancel for a family — past the deadline too, and beyond capacity with a reason."""
    family = get_family_for_staff(request.membership, family_id)
    family.organisation = request.organisation  # the same row, already read: the save needs its time zone
    child = selectors.get_child_for_family(family, person_id)
    anchor = date_param(request, "date", timezone.localdate())
    start, end = selectors.view_range("semaine", anchor)
    if request.method == "POST":
        shown = selectors.opening_ids_for_staff(request.membership, parse_ids(request.POST.getlist("shown")))
        wanted = set(parse_ids(request.POST.getlist("o"))) & shown
        reason = request.POST.get("reason", "").strip()[:200]
        # Every day shown: the save changes only what differs from what the child holds.
        changes = [services.BookingChange(o, o in wanted, join_waiting_list=not reason) for o in sorted(shown)]
        try:
            result = services.save_bookings(
                child=child, changes=changes, acting_user=request.user, as_staff=True, over_capacity_reason=reason
            )
        except DomainError as error:  # e.g. the lock not obtained in time: nothing saved, retry
            messages.error(request, error.message)
            return redirect(f"{request.path}?date={anchor:%Y-%m-%d}")
        messages.success(
            request,
            _("%(booked)s réservé(s), %(waitlisted)s en attente, %(cancelled)s annulé(s).")
            % {
                "booked": len(result.booked),
                "waitlisted": len(result.waitlisted),
                "cancelled": len(result.cancelled),
            },
        )
        for opening, why in result.refused:
            messages.error(
                request,
                _("%(unit)s du %(date)s : %(reason)s.")
                % {"unit": opening.unit.name, "date": f"{opening.date:%d/%m/%Y}", "reason": why},
            )
        return redirect(f"{request.path}?date={anchor:%Y-%m-%d}")
    blocks = selectors.planning(child, start, end, as_staff=True, structure_ids=structure_limit(request.membership))
    return render(
        request,
        "backoffice/bookings/family_planning.html",
        {
            "family": family,
            "child": child,
            "blocks": blocks,
            "start": start,
            "end": end,
            "days": [start + timedelta(days=i) for i in range(7)],
            "legend": selectors.LEGEND,
            "previous": start - timedelta(days=7),
            "next": start + timedelta(days=7),
            "nav": "family_accounts",
        },
    )
