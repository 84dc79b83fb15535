"""`room_pass_required`: while an activity's waiting room is active, a booking or
registration POST for that activity needs the family's signed pass (else 403 with a link
to the room). Applied under `family_required` to the portal views that book or register."""

from functools import wraps

from django.shortcuts import render
from django.utils import timezone

from ribambelle.core.params import parse_ids

from . import passes, selectors


def activities_from_openings(request, kwargs) -> dict:
    ids = set(parse_ids(request.POST.getlist("o"))) | set(parse_ids(request.POST.getlist("shown")))
    return {"opening_ids": sorted(ids)}


def activities_from_units(request, kwargs) -> dict:
    return {"unit_ids": sorted(set(parse_ids(request.POST.getlist("unit"))))}


def activity_from_url(request, kwargs) -> dict:
    return {"activity_ids": [kwargs["activity_id"]]}


def _rooms_may_be_active(organisation, now) -> bool:
    """False when no room of the organisation can be active now: no query (its span comes with
    the login); then the save's own statements are all the booking path costs."""
    start, end = organisation.waiting_rooms_from, organisation.waiting_rooms_until
    return start is not None and start <= now < end


def room_pass_required(activities_of):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST" and _rooms_may_be_active(request.organisation, now := timezone.now()):
                rooms = selectors.active_rooms(request.organisation, now=now, **activities_of(request, kwargs))
                family_id = request.user.family.pk
                for room in rooms:
                    token = passes.session_pass(request.session, room.pk)
                    if not passes.pass_is_valid(token, room_id=room.pk, family_id=family_id, now=now):
                        return render(request, "portail/waitingroom/pass_required.html", {"room": room}, status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
