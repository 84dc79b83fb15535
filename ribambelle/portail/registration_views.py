"""Portal tab "Mes inscriptions" (seed 000 and 004)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ribambelle.activities.models import ActivityKind
from ribambelle.activities.selectors import activities_for_child, fitting_groups, structures_registering_child
from ribambelle.bookings import selectors as booking_selectors
from ribambelle.core.exceptions import DomainError
from ribambelle.core.params import parse_id
from ribambelle.documents.selectors import missing_for_registrations
from ribambelle.registrations import selectors, services
from ribambelle.registrations.models import RegistrationStatus
from ribambelle.tenancy.access import family_required
from ribambelle.tenancy.selectors import active_structures
from ribambelle.waitingroom.guard import activity_from_url, room_pass_required

PERIODS = [
    ("", gettext_lazy("Toutes les dates")),
    ("current", gettext_lazy("En cours")),
    ("upcoming", gettext_lazy("À venir")),
]


def _bookings_url(request, registration):
    """The planning on the registration's first bookable week, not the current one (which may
    show nothing of an activity months ahead)."""
    url = reverse(
        "portail:bookings_child", kwargs={"org_slug": request.organisation.slug, "person_id": registration.child_id}
    )
    return f"{url}?vue=semaine&date={booking_selectors.first_bookable_day(registration):%Y-%m-%d}"


@family_required
def registration_list(request):
    status = request.GET.get("statut", "")
    if status not in RegistrationStatus.values:
        status = ""
    children = selectors.children_with_registrations(request.user.family, status=status)
    return render(
        request,
        "portail/registrations/list.html",
        {
            "children": children,
            "status": status,
            "statuses": RegistrationStatus.choices,
            "active_tab": "registrations",
        },
    )


@family_required
def new_registration(request, person_id: int):
    """ "Nouvelle inscription": the activities open to this child's age, grouped by sector."""
    child = selectors.get_child_for_family(request.user.family, person_id)
    kind = request.GET.get("type", "")
    kind = kind if kind in ActivityKind.values else ""
    structure_id = request.GET.get("structure", "")
    structure_id = parse_id(structure_id)
    period = request.GET.get("periode", "")
    period = period if period in dict(PERIODS) else ""
    activities = activities_for_child(
        organisation=request.organisation, child=child, kind=kind, structure_id=structure_id, period=period
    )
    sectors: dict[str, list] = {}
    existing = selectors.active_registrations_by_activity(child)
    for activity in activities:
        activity.window = services.registration_window_state(activity)
        activity.existing = existing.get(activity.pk)
        sector = activity.sector or activity.structure.sector
        sectors.setdefault(sector.name if sector else _("Autres"), []).append(activity)
    return render(
        request,
        "portail/registrations/new.html",
        {
            "child": child,
            "sectors": sectors,
            "kinds": ActivityKind.choices,
            "kind": kind,
            "periods": PERIODS,
            "period": period,
            "structure_id": structure_id,
            "structures": active_structures(request.organisation).only("id", "name"),
            "registering_structures": structures_registering_child(
                organisation=request.organisation, child=child, registered_activity_ids=set(existing)
            ),
            "active_tab": "registrations",
        },
    )


@family_required
@room_pass_required(activity_from_url)
def register(request, person_id: int, activity_id: int):
    """The activity's information and the choice of a group, then "Enregistrer"."""
    child = selectors.get_child_for_family(request.user.family, person_id)
    activity = selectors.get_activity_for_family(request.organisation, activity_id)
    groups = fitting_groups(activity, child)
    error = None
    if request.method == "POST":
        group_id = request.POST.get("group", "")
        group = next((g for g in groups if str(g.pk) == group_id), None)
        if group is None and len(groups) != 1:
            error = _("Choisissez un groupe dans la liste.")
        else:
            try:
                registration = services.request_registration(
                    child=child, activity=activity, group=group, acting_user=request.user, request=request
                )
            except DomainError as exc:
                error = exc.message
            else:
                return redirect(
                    "portail:registration_detail", org_slug=request.organisation.slug, registration_id=registration.pk
                )
    return render(
        request,
        "portail/registrations/register.html",
        {
            "child": child,
            "activity": activity,
            "groups": groups,
            "error": error,
            "window": services.registration_window_state(activity),
            "active_tab": "registrations",
        },
        status=400 if error else 200,
    )


@family_required
def registration_detail(request, registration_id: int):
    registration = selectors.get_registration_for_family(request.user.family, registration_id)
    missing = []
    if registration.is_active:
        missing = missing_for_registrations(request.organisation, [registration]).get(registration.pk, [])
    return render(
        request,
        "portail/registrations/detail.html",
        {
            "registration": registration,
            "bookings_url": (
                _bookings_url(request, registration) if registration.status == RegistrationStatus.ACCEPTED else None
            ),
            "missing": missing,
            "active_tab": "registrations",
        },
    )


@require_POST
@family_required
def withdraw(request, registration_id: int):
    registration = selectors.get_registration_for_family(request.user.family, registration_id)
    try:
        services.withdraw_registration(registration=registration, acting_user=request.user, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Votre demande d'inscription est retirée."))
    return redirect("portail:registration_detail", org_slug=request.organisation.slug, registration_id=registration.pk)
