from datetime import date

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ribambelle.core.dates import age_in_months
from ribambelle.tenancy.selectors import structures_for_staff

from .models import Activity, Group, Opening, Unit


def activities_for_staff(membership):
    structures = structures_for_staff(membership)
    return (
        Activity.objects.filter(organisation_id=membership.organisation_id, structure__in=structures)
        .select_related("structure", "sector")
        .annotate(
            pending_count=Count("registrations", filter=Q(registrations__status="requested"), distinct=True),
            accepted_count=Count("registrations", filter=Q(registrations__status="accepted"), distinct=True),
        )
        .order_by("-start_date", "name")
    )


def get_activity_for_staff(membership, activity_id: int) -> Activity:
    structures = structures_for_staff(membership)
    return get_object_or_404(
        Activity.objects.filter(organisation_id=membership.organisation_id, structure__in=structures)
        .select_related("structure", "sector", "organisation")
        .prefetch_related("groups", "units"),
        pk=activity_id,
    )


def get_group_for_staff(membership, group_id: int) -> Group:
    return get_object_or_404(
        Group.objects.filter(
            organisation_id=membership.organisation_id, activity__structure__in=structures_for_staff(membership)
        ).select_related("activity"),
        pk=group_id,
    )


def get_unit_for_staff(membership, unit_id: int) -> Unit:
    return get_object_or_404(
        Unit.objects.filter(
            organisation_id=membership.organisation_id, activity__structure__in=structures_for_staff(membership)
        ).select_related("activity"),
        pk=unit_id,
    )


def openings_between(activity: Activity, start: date, end: date):
    return (
        Opening.objects.filter(organisation_id=activity.organisation_id, activity=activity, date__range=(start, end))
        .select_related("unit", "group")
        .order_by("date", "unit__position", "unit__id", "group__position", "group__id")
    )


def fitting_groups(activity: Activity, child) -> list[Group]:
    """The activity's groups whose age bounds contain the child's age on the reference date."""
    if child.birth_date is None:
        return []
    age = age_in_months(child.birth_date, activity.reference_date)
    return [group for group in activity.groups.all() if group.admits(age)]


def activities_for_child(
    *, organisation, child, kind: str = "", structure_id: int | None = None, period: str = ""
) -> list[Activity]:
    """Activities a family may register this child to: published, not finished, not staff-only,
    with at least one group fitting the child's age. Includes those whose window is not open yet."""
    today = timezone.localdate()
    activities = (
        Activity.objects.filter(organisation=organisation, is_published=True, staff_only=False, end_date__gte=today)
        .select_related("structure", "structure__sector", "sector")
        .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("position", "age_min_months")))
        .order_by("sector__name", "start_date", "name")
    )
    if kind:
        activities = activities.filter(kind=kind)
    if structure_id:
        activities = activities.filter(structure_id=structure_id)
    if period == "current":
        activities = activities.filter(start_date__lte=today)
    elif period == "upcoming":
        activities = activities.filter(start_date__gt=today)
    return [activity for activity in activities if fitting_groups(activity, child)]


def structures_registering_child(*, organisation, child, registered_activity_ids=frozenset()) -> list:
    """Structures that register children themselves (staff-only activities, e.g. the multi-accueil)
    and have an activity to come for this child's age: the family is told to ask them. Each has
    `.child_registered` when the structure already registered the child to one of them."""
    today = timezone.localdate()
    activities = (
        Activity.objects.filter(organisation=organisation, staff_only=True, end_date__gte=today)
        .select_related("structure")
        .prefetch_related("groups")
        .order_by("structure__name", "start_date")
    )
    structures = {}
    for activity in activities:
        registered = activity.pk in registered_activity_ids
        if activity.structure.is_active and (registered or fitting_groups(activity, child)):
            structure = structures.setdefault(activity.structure_id, activity.structure)
            structure.child_registered = getattr(structure, "child_registered", False) or registered
    return list(structures.values())
