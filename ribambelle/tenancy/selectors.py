from django.shortcuts import get_object_or_404

from .models import Membership, Organisation, Sector, Structure


def membership_for_user(user) -> Membership | None:
    return (
        Membership.objects.filter(user=user, organisation_id=user.organisation_id)
        .prefetch_related("structures")
        .first()
    )


def active_organisations():
    return Organisation.objects.filter(is_active=True).order_by("name")


def structures_for_staff(membership: Membership):
    """The structures a staff member may act on: all of the organisation's, or their own list."""
    qs = Structure.objects.filter(organisation_id=membership.organisation_id).select_related("sector")
    restricted = list(membership.structures.all())
    if restricted:
        qs = qs.filter(pk__in=[s.pk for s in restricted])
    return qs


def get_structure_for_staff(membership: Membership, structure_id: int) -> Structure:
    return get_object_or_404(structures_for_staff(membership), pk=structure_id)


def sectors_for_organisation(organisation: Organisation):
    return Sector.objects.filter(organisation=organisation)


def get_sector_for_staff(membership: Membership, sector_id: int) -> Sector:
    return get_object_or_404(sectors_for_organisation(membership.organisation), pk=sector_id)


def staff_for_organisation(organisation: Organisation):
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .prefetch_related("structures")
        .order_by("user__last_name", "user__first_name", "user__email")
    )


def get_membership_for_staff(membership: Membership, membership_id: int) -> Membership:
    return get_object_or_404(staff_for_organisation(membership.organisation), pk=membership_id)


def active_structures(organisation):
    return Structure.objects.filter(organisation=organisation, is_active=True)
