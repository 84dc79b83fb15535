"""The fair waiting room in front of a first-come opening (issue 20): join with the robot
check, then a position page refreshed by htmx with jitter until the family is admitted."""

import random

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from ribambelle.core import wording
from ribambelle.core.exceptions import DomainError
from ribambelle.core.robot import RobotProofField
from ribambelle.registrations import selectors as registration_selectors
from ribambelle.tenancy.access import family_required, reads_no_login
from ribambelle.waitingroom import passes, selectors, services


class JoinForm(forms.Form):
    robot = RobotProofField()


def _countdown(seconds: int) -> str:
    hours, rest = divmod(max(seconds, 0), 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _context(request, room, now):
    entry = selectors.entry_with_rank(room, request.user.family)
    room_state = selectors.state(room, entry.ahead, now, joined_at=entry.joined_at) if entry else None
    if room_state and room_state.phase == "admitted":
        passes.store_pass(
            request.session,
            room.pk,
            passes.make_pass(room_id=room.pk, family_id=entry.family_id, expires_at=room_state.pass_expires_at),
        )
    position_url = None
    if entry is not None:
        ticket = passes.make_position_ticket(room_id=room.pk, entry_id=entry.pk)
        position_url = reverse(
            "portail:waitingroom_status", kwargs={"org_slug": request.organisation.slug, "ticket": ticket}
        )
    return {
        "booking_links": _booking_links(request, room) if room_state and room_state.phase == "admitted" else [],
        "room": room,
        "activity": room.activity,
        "entry": entry,
        "now": now,
        **_status_context(room_state, position_url),
        "pass_expired": bool(room_state and room_state.phase == "admitted" and room_state.pass_expires_at <= now),
        "active_tab": "bookings",
    }


def _status_context(room_state, position_url) -> dict:
    """What the position fragment shows, and when it asks again."""
    # Each family polls at its own rhythm (4 to 7 s); at the opening, spread over 5 s.
    delay = random.uniform(4, 7)
    if room_state and room_state.phase == "prequeue" and room_state.seconds_to_open < delay:
        delay = room_state.seconds_to_open + random.uniform(0.2, 5)
    return {
        "state": room_state,
        "position_url": position_url,
        "poll_delay": f"{delay:.1f}",
        "countdown": _countdown(room_state.seconds_to_open if room_state else 0),
    }


def _booking_links(request, room) -> list[tuple[str, str]]:
    """Where an admitted family books: each registered child's planning, at the activity's
    first week (not today's, which is usually weeks before a holiday activity)."""
    anchor = max(timezone.localdate(), room.activity.start_date)
    base = f"?vue=semaine&date={anchor:%Y-%m-%d}"
    return [
        (
            wording.of(child.first_name),  # "de Léa", "d'Alice"
            reverse("portail:bookings_child", kwargs={"org_slug": request.organisation.slug, "person_id": child.pk})
            + base,
        )
        for child in registration_selectors.accepted_children(request.user.family, room.activity)
    ]


@family_required
def room(request, activity_id: int):
    room = selectors.get_room_for_family(request.organisation, activity_id)
    if room is None:  # no waiting room in front of this activity: bookings are direct
        return redirect("portail:bookings", org_slug=request.organisation.slug)
    now = timezone.now()
    form = JoinForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.join_room(room=room, family=request.user.family)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                if request.htmx:  # the answer in place of the form: the position, polled from now on
                    context = {**_context(request, room, now), "takes_focus": True}
                    return render(request, "portail/waitingroom/_status.html", context)
                return redirect("portail:waitingroom", org_slug=request.organisation.slug, activity_id=activity_id)
        if request.htmx:  # the form again, with its errors (200: htmx puts only successful answers in place)
            return render(request, "portail/waitingroom/_join.html", {"form": form, "takes_focus": True})
        status = 400
    context = _context(request, room, now)
    context["form"] = form
    return render(request, "portail/waitingroom/room.html", context, status=status)


@reads_no_login
def room_status(request, ticket: str):
    """The position fragment, polled every few seconds by every waiting family: one read, from
    the ticket in its address, which the room page gave (passes.make_position_ticket), no login.
    Once the family is let in (its pass goes in its session) or the room has closed, the room
    page takes over."""
    place = passes.read_position_ticket(ticket)
    if place is None:  # not signed by us
        raise Http404
    room_id, entry_id = place
    entry = selectors.entry_for_ticket(slug=request.organisation_slug, room_id=room_id, entry_id=entry_id)
    if entry is None:  # another organisation's place, or a place no longer there
        raise Http404
    room_state = selectors.state(entry.room, entry.ahead, timezone.now(), joined_at=entry.joined_at)
    if room_state.phase not in ("prequeue", "waiting"):
        room_page = reverse(
            "portail:waitingroom", kwargs={"org_slug": request.organisation_slug, "activity_id": entry.room.activity_id}
        )
        return _to(request, room_page)
    return render(request, "portail/waitingroom/_status.html", _status_context(room_state, request.path))


def _to(request, url):
    """To the room page: htmx follows it as a whole page (HX-Redirect), a plain link as a redirect."""
    if request.htmx:
        response = HttpResponse()
        response["HX-Redirect"] = url
        return response
    return redirect(url)
