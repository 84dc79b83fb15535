"""Back office: activities (groups, units, openings calendar) and their registrations."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ribambelle.activities import selectors as activity_selectors
from ribambelle.activities import services as activity_services
from ribambelle.bookings import services as booking_services
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formpage import EditPage
from ribambelle.core.params import date_param, parse_id, parse_ids
from ribambelle.core.wording import of, registered
from ribambelle.documents.selectors import missing_for_registrations
from ribambelle.families import selectors as family_selectors
from ribambelle.registrations import selectors as registration_selectors
from ribambelle.registrations import services as registration_services
from ribambelle.registrations.models import ACTIVE_STATUSES
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm
from ribambelle.tenancy.selectors import structures_for_staff

from .activity_forms import ActivityForm, ClosureForm, DuplicateForm, GroupForm, RefuseForm, UnitForm


def _to_activity(request, activity):
    return redirect("backoffice:activity_edit", org_slug=request.organisation.slug, activity_id=activity.pk)


@staff_required(Perm.VIEW_FAMILIES)
def activity_list(request):
    activities = activity_selectors.activities_for_staff(request.membership)
    return render(request, "backoffice/activities/list.html", {"activities": activities, "nav": "activities"})


def _activity_form(request, activity):
    return ActivityForm(
        request.POST or None,
        instance=activity,
        organisation=request.organisation,
        structures=structures_for_staff(request.membership),
    )


def _save_activity(request, form, activity):
    saved = activity_services.save_activity(
        organisation=request.organisation, activity=activity, fields=form.domain_fields(), acting_user=request.user
    )
    activity_services.generate_openings(activity=saved)
    return saved


def _activity_parts(request, activity) -> dict:
    """The edit page also lists the groups and units, and offers to duplicate the activity."""
    if activity is None:
        return {}
    start = activity.start_date + timedelta(days=364)
    return {
        "groups": activity.groups.all(),
        "units": activity.units.all(),
        "duplicate_form": DuplicateForm(initial={"name": activity.name, "start_date": start}),
    }


activity_create, activity_edit = EditPage(
    form=_activity_form,
    save=_save_activity,
    success=gettext_lazy("L'activité « %(name)s » est enregistrée."),
    back=("backoffice:activity_list", gettext_lazy("Activités")),
    redirect_to=lambda request, saved: _to_activity(request, saved),
    template="backoffice/activities/form.html",
    name="activity",
    context=_activity_parts,
    nav="activities",
).views(staff_required(Perm.MANAGE_ACTIVITIES), for_staff=activity_selectors.get_activity_for_staff)


@require_POST
@staff_required(Perm.MANAGE_ACTIVITIES)
def activity_duplicate(request, activity_id: int):
    activity = activity_selectors.get_activity_for_staff(request.membership, activity_id)
    form = DuplicateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez un nom et une date de début valides pour la copie."))
        return _to_activity(request, activity)
    try:
        copy = activity_services.duplicate_activity(activity=activity, acting_user=request.user, **form.cleaned_data)
    except (DomainError, ValidationError) as error:
        messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
        return _to_activity(request, activity)
    messages.success(
        request,
        _("Activité dupliquée : « %(name)s », du %(start)s au %(end)s. Vérifiez ses réglages.")
        % {"name": copy.name, "start": f"{copy.start_date:%d/%m/%Y}", "end": f"{copy.end_date:%d/%m/%Y}"},
    )
    return _to_activity(request, copy)


def _part_of_activity(**page):
    """A group's or a unit's create-or-edit pages, inside their activity: created from the activity's URL,
    edited from the part's own; both go back to the activity."""
    return EditPage(
        success=gettext_lazy("Enregistré."),
        back=("backoffice:activity_list", gettext_lazy("Activités")),
        redirect_to=lambda request, saved, activity: _to_activity(request, activity),
        template="backoffice/activities/part_form.html",
        name="obj",
        nav="activities",
        **page,
    )


def _activity_of_url(request, activity_id: int) -> dict:
    return {"activity": activity_selectors.get_activity_for_staff(request.membership, activity_id)}


def _group_form(request, group, activity):
    return GroupForm(request.POST or None, instance=group)


def _unit_form(request, unit, activity):
    return UnitForm(request.POST or None, instance=unit, activity=activity)


group_create, group_edit = _part_of_activity(
    form=_group_form,
    save=lambda request, form, group, activity: activity_services.save_group(
        activity=activity, group=group, fields=form.domain_fields(), acting_user=request.user
    ),
    new_title=gettext_lazy("Nouveau groupe"),
).views(
    staff_required(Perm.MANAGE_ACTIVITIES),
    for_staff=activity_selectors.get_group_for_staff,
    parent=_activity_of_url,
    parent_of=lambda group: {"activity": group.activity},
)

unit_create, unit_edit = _part_of_activity(
    form=_unit_form,
    save=lambda request, form, unit, activity: activity_services.save_unit(
        activity=activity,
        unit=unit,
        fields={n: form.cleaned_data[n] for n in UnitForm.Meta.fields},
        excludes=form.cleaned_data["exclude_units"],
        acting_user=request.user,
    ),
    new_title=gettext_lazy("Nouvelle unité"),
).views(
    staff_required(Perm.MANAGE_ACTIVITIES),
    for_staff=activity_selectors.get_unit_for_staff,
    parent=_activity_of_url,
    parent_of=lambda unit: {"activity": unit.activity},
)


@staff_required(Perm.MANAGE_ACTIVITIES)
def calendar(request, activity_id: int):
    """The openings, a week at a time: places per group and unit, editable day by day."""
    activity = activity_selectors.get_activity_for_staff(request.membership, activity_id)
    start = date_param(request, "semaine", max(activity.start_date, min(timezone.localdate(), activity.end_date)))
    start -= timedelta(days=start.weekday())
    end = start + timedelta(days=6)
    closure_form = ClosureForm(request.POST or None) if "close_day" in request.POST else ClosureForm()
    if request.method == "POST" and "capacities" in request.POST:
        openings = {o.pk: o for o in activity_selectors.openings_between(activity, start, end)}
        errors, capacities = [], []
        for key, value in request.POST.items():
            if not key.startswith("cap-"):
                continue
            opening = openings.get(parse_id(key[4:]))
            if opening is None or not value.strip().isdigit() or len(value.strip()) > 6:
                errors.append(value)
                continue
            if int(value) != opening.capacity:
                capacities.append((opening, int(value)))
        try:
            # One transaction for the week; places added go to the waiting list at once.
            promoted = booking_services.change_capacities(capacities=capacities, acting_user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(f"{request.path}?semaine={start:%Y-%m-%d}")
        changed = len(capacities)
        if errors:
            messages.error(
                request, _("Certaines valeurs n'étaient pas des nombres de places entiers : elles sont ignorées.")
            )
        messages.success(request, _("%(count)s capacité(s) modifiée(s).") % {"count": changed})
        if promoted:
            messages.info(
                request,
                _("%(count)s enfant(s) de la liste d'attente ont obtenu une place ; les familles sont prévenues.")
                % {"count": len(promoted)},
            )
        return redirect(f"{request.path}?semaine={start:%Y-%m-%d}")
    if request.method == "POST" and closure_form.is_valid():
        try:
            activity_services.close_day(
                activity=activity,
                day=closure_form.cleaned_data["date"],
                reason=closure_form.cleaned_data["reason"],
                acting_user=request.user,
            )
        except DomainError as error:
            closure_form.add_error("date", error.message)
        else:
            messages.success(request, _("Jour de fermeture enregistré."))
            return redirect(f"{request.path}?semaine={start:%Y-%m-%d}")
    openings = list(activity_selectors.openings_between(activity, start, end))
    days = [start + timedelta(days=i) for i in range(7)]
    rows: dict[tuple, dict] = {}
    for opening in openings:
        row = rows.setdefault(
            (opening.unit.pk, opening.group.pk), {"unit": opening.unit, "group": opening.group, "cells": {}}
        )
        row["cells"][opening.date] = opening
    table = [{**row, "cells": [row["cells"].get(day) for day in days]} for row in rows.values()]
    return render(
        request,
        "backoffice/activities/calendar.html",
        {
            "activity": activity,
            "days": days,
            "rows": table,
            "closure_form": closure_form,
            "previous": start - timedelta(days=7),
            "next": start + timedelta(days=7),
            "nav": "activities",
            "closures": activity.closure_days.all(),
        },
        status=400 if closure_form.errors else 200,
    )


# --- Registrations ----------------------------------------------------------------------------
@staff_required(Perm.VIEW_FAMILIES)
def registration_queue(request):
    queue = registration_selectors.pending_queue(request.membership)
    activity_id = request.GET.get("activite", "")
    activity_id = parse_id(activity_id)
    if activity_id:
        queue = queue.filter(activity_id=activity_id)
    queue = list(queue[:200])
    missing = missing_for_registrations(request.organisation, queue)
    for registration in queue:
        registration.missing_documents = missing.get(registration.pk, [])
    return render(
        request,
        "backoffice/registrations/queue.html",
        {
            "queue": queue,
            "refuse_form": RefuseForm(),
            "nav": "registrations",
            "activities": activity_selectors.activities_for_staff(request.membership)
            .filter(registrations__status="requested")
            .distinct(),
            "activity_id": activity_id,
        },
    )


@require_POST
@staff_required(Perm.MANAGE_FAMILIES)
def registration_decide(request, registration_id: int):
    registration = registration_selectors.get_registration_for_staff(request.membership, registration_id)
    try:
        if request.POST.get("decision") == "accept":
            registration_services.accept_registration(registration=registration, acting_user=request.user)
            messages.success(
                request, _("Inscription %(of_name)s acceptée.") % {"of_name": of(registration.child.first_name)}
            )
        else:
            form = RefuseForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("Choisissez un motif de refus."))
            registration_services.refuse_registration(
                registration=registration, acting_user=request.user, **form.cleaned_data
            )
            messages.success(
                request,
                _("Demande %(of_name)s refusée ; la famille est prévenue.")
                % {"of_name": of(registration.child.first_name)},
            )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(_safe_back(request))


def _safe_back(request) -> str:
    """Back to the page the decision was taken on (the queue by default), never outside the back office."""
    back = request.POST.get("back", "")
    prefix = f"/{request.organisation.slug}/gestion/"
    return back if back.startswith(prefix) and "//" not in back else f"{prefix}inscriptions/a-valider/"


@require_POST
@staff_required(Perm.MANAGE_FAMILIES)
def registration_bulk_accept(request):
    ids = parse_ids(request.POST.getlist("registrations"))
    accepted = 0
    for registration in registration_selectors.pending_queue(request.membership).filter(pk__in=ids):
        try:
            registration_services.accept_registration(registration=registration, acting_user=request.user)
            accepted += 1
        except DomainError:
            continue
    if accepted:
        messages.success(request, _("%(count)s inscription(s) acceptée(s).") % {"count": accepted})
    else:
        messages.error(request, _("Cochez au moins une demande à accepter."))
    return redirect("backoffice:registration_queue", org_slug=request.organisation.slug)


@staff_required(Perm.VIEW_FAMILIES)
def activity_registrations(request, activity_id: int):
    """Who is registered, per group; staff register, move and cancel."""
    activity = activity_selectors.get_activity_for_staff(request.membership, activity_id)
    registrations = (
        registration_selectors.registrations_for_staff(request.membership)
        .filter(activity=activity, status__in=ACTIVE_STATUSES)
        .order_by("group__position", "child__last_name")
    )
    by_group = {group: [] for group in activity.groups.all()}
    for registration in registrations:
        by_group.setdefault(registration.group, []).append(registration)
    query = request.GET.get("q", "").strip()[:80]
    candidates = []
    if query:
        candidates = list(
            family_selectors.children_to_register_for_staff(request.membership)
            .filter(Q(last_name__icontains=query) | Q(first_name__icontains=query))
            .order_by("last_name", "first_name")[:30]
        )
        for child in candidates:
            child.groups_fitting = activity_selectors.fitting_groups(activity, child)
    return render(
        request,
        "backoffice/registrations/by_activity.html",
        {
            "activity": activity,
            "by_group": by_group,
            "q": query,
            "candidates": candidates,
            "nav": "activities",
        },
    )


@require_POST
@staff_required(Perm.MANAGE_FAMILIES)
def registration_staff_create(request, activity_id: int):
    activity = activity_selectors.get_activity_for_staff(request.membership, activity_id)
    child_id, group_id = request.POST.get("child", ""), request.POST.get("group", "")
    child = family_selectors.children_to_register_for_staff(request.membership).filter(pk=parse_id(child_id)).first()
    group = activity.groups.filter(pk=parse_id(group_id)).first()
    if child is None or group is None:
        messages.error(request, _("Choisissez un enfant et un groupe."))
    else:
        try:
            registration_services.register_by_staff(
                child=child, activity=activity, group=group, acting_user=request.user
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(first_name)s %(last_name)s est %(registered)s (%(group)s).")
                % {
                    "first_name": child.first_name,
                    "last_name": child.last_name,
                    "registered": registered(child),
                    "group": group.name,
                },
            )
    return redirect("backoffice:activity_registrations", org_slug=request.organisation.slug, activity_id=activity.pk)


@require_POST
@staff_required(Perm.MANAGE_FAMILIES)
def registration_change(request, registration_id: int):
    registration = registration_selectors.get_registration_for_staff(request.membership, registration_id)
    try:
        if request.POST.get("action") == "cancel":
            registration_services.cancel_registration(registration=registration, acting_user=request.user)
            messages.success(request, _("Inscription annulée."))
        else:
            group_id = request.POST.get("group", "")
            group = registration.activity.groups.filter(pk=parse_id(group_id)).first()
            if group is None:
                raise DomainError(_("Choisissez un groupe."))
            registration_services.move_registration(registration=registration, group=group, acting_user=request.user)
            messages.success(
                request,
                _("%(name)s passe dans le groupe %(group)s.")
                % {"name": registration.child.first_name, "group": group.name},
            )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(
        "backoffice:activity_registrations", org_slug=request.organisation.slug, activity_id=registration.activity_id
    )
