"""The roll call that keeps working offline: taps sent in batches by the device, the service
worker that keeps the day's list on it, the home-screen manifest, and the conflicts list."""

import hashlib
import json
import os
import uuid
from datetime import datetime, time

from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from ribambelle.activities import selectors as activity_selectors
from ribambelle.bookings import selectors, taps
from ribambelle.core.exceptions import DomainError
from ribambelle.core.params import date_param
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm

MAX_TAPS = 500  # a whole day of a big centre, several times over
# What the roll call needs offline besides the page itself (templates/base.html).
OFFLINE_ASSETS = (
    "vendor/bootstrap/bootstrap.min.css",
    "css/ribambelle.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "js/ribambelle.js",
    "js/roll_call_offline.js",
)


class BadBatch(Exception):
    def __init__(self, message: str, refused: list[str]):
        super().__init__(message)
        self.message, self.refused = message, refused


def _time(value) -> time | None:
    if value in (None, ""):
        return None
    try:
        return datetime.strptime(str(value), "%H:%M").time()
    except ValueError:
        raise BadBatch(_("Heure illisible : utilisez le format HH:MM."), []) from None


def _parse(body: bytes) -> list[taps.Tap]:
    """The batch as the device sent it; any unreadable tap refuses the whole batch."""
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadBatch(_("Envoi illisible : rechargez la page et recommencez."), []) from None
    items = data.get("taps") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise BadBatch(_("Aucun pointage dans l'envoi."), [])
    if len(items) > MAX_TAPS:
        raise BadBatch(_("Trop de pointages dans un seul envoi (%(max)s au plus).") % {"max": MAX_TAPS}, [])
    parsed = []
    for item in items:
        if not isinstance(item, dict):
            raise BadBatch(_("Pointage illisible."), [])
        try:
            tap_id = uuid.UUID(str(item.get("id", "")))
            booking_id = int(item.get("booking"))
            tapped_at = datetime.fromisoformat(str(item.get("at", "")).replace("Z", "+00:00"))
        except (TypeError, ValueError):
            raise BadBatch(_("Pointage illisible."), [str(item.get("id", ""))]) from None
        if not 0 < booking_id < 2**63 or timezone.is_naive(tapped_at) or tapped_at.year < 2000:
            raise BadBatch(_("Pointage illisible."), [str(tap_id)])
        status = str(item.get("status", ""))[:10]
        parsed.append(
            taps.Tap(tap_id, booking_id, status, _time(item.get("arrived_at")), _time(item.get("left_at")), tapped_at)
        )
    return parsed


def _state(booking) -> dict:
    return {
        "status": booking.status,
        "arrived_at": f"{booking.arrived_at:%H:%M}" if booking.arrived_at else "",
        "left_at": f"{booking.left_at:%H:%M}" if booking.left_at else "",
    }


@require_POST
@staff_required(Perm.MARK_ATTENDANCE)
def tap_batch(request):
    """POST JSON {"taps": [{"id", "booking", "status", "arrived_at", "left_at", "at"}]} (CSRF in the
    X-CSRFToken header). Every booking must be within the member's reach, or nothing is recorded."""
    try:
        batch = _parse(request.body)
        wanted = {tap.booking_id for tap in batch}
        reachable = selectors.booking_ids_for_staff(request.membership, wanted)
        outside = [str(tap.tap_id) for tap in batch if tap.booking_id not in reachable]
        if outside:
            raise BadBatch(
                _("Ces pointages concernent des enfants hors de votre portée : rien n'a été enregistré."), outside
            )
    except BadBatch as error:
        return JsonResponse({"error": error.message, "refused": error.refused}, status=400)
    try:
        result = taps.apply_taps(
            organisation_id=request.organisation.pk, booking_ids=reachable, taps=batch, acting_user=request.user
        )
    except DomainError as error:  # e.g. a booking gone meanwhile: nothing recorded, the device retries
        return JsonResponse({"error": error.message, "refused": []}, status=409)
    return JsonResponse(
        {
            "results": [
                {
                    "id": str(r.tap_id),
                    "booking": r.booking_id,
                    "outcome": r.outcome,
                    "message": r.message,
                    "conflict": r.conflict,
                }
                for r in result.results
            ],
            "bookings": {str(pk): _state(booking) for pk, booking in result.bookings.items()},
        }
    )


def _scope(request) -> str:
    return reverse("backoffice:dashboard", kwargs={"org_slug": request.organisation.slug})


def service_worker(request):
    """The roll call's service worker. Served from the back office's root so that its scope covers
    every activity's roll call; it holds no data of its own (public, like a static file)."""
    assets = [static(path) for path in OFFLINE_ASSETS]
    source = render_to_string(
        "backoffice/bookings/roll_call_sw.js",
        {"assets_json": json.dumps(assets), "scope": _scope(request)},
    )
    # A new version of the worker, of an asset's URL or of an asset's file (development serves
    # them without a hash in their name) replaces the cached assets.
    stamps = [str(os.path.getmtime(found)) for found in map(finders.find, OFFLINE_ASSETS) if isinstance(found, str)]
    version = hashlib.sha256("\n".join([source, *stamps]).encode()).hexdigest()[:12]
    response = HttpResponse(source.replace("__VERSION__", version), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = _scope(request)
    response["Cache-Control"] = "no-cache"
    return response


@cache_control(max_age=3600, private=True)
@staff_required(Perm.MARK_ATTENDANCE)
def manifest(request, activity_id: int):
    """Installable roll call of one activity: opens on today's list, even without network."""
    activity = activity_selectors.get_activity_for_staff(request.membership, activity_id)
    organisation = request.organisation
    start = reverse("backoffice:roll_call", kwargs={"org_slug": organisation.slug, "activity_id": activity.pk})
    data = {
        "name": _("Pointage – %(name)s") % {"name": activity.name},
        "short_name": _("Pointage"),
        "start_url": start,
        "scope": start,
        "display": "standalone",
        "lang": "fr",
        "background_color": "#ffffff",
        "theme_color": organisation.primary_colour,
        "icons": [
            {
                "src": reverse("portail:icon", kwargs={"org_slug": organisation.slug, "size": size}),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


@staff_required(Perm.MARK_ATTENDANCE)
def conflicts(request, activity_id: int):
    """Conflits de pointage: two staff members marked the same child differently on a day."""
    activity = activity_selectors.get_activity_for_staff(request.membership, activity_id)
    day = date_param(request, "date", timezone.localdate())
    rows = []
    for tap in selectors.tap_conflicts(activity, day):
        kept, set_aside = (tap, tap.conflicts_with) if tap.outcome == "applied" else (tap.conflicts_with, tap)
        rows.append({"tap": tap, "kept": kept, "set_aside": set_aside})
    return render(
        request,
        "backoffice/bookings/roll_call_conflicts.html",
        {"activity": activity, "day": day, "rows": rows, "nav": "activities"},
    )
