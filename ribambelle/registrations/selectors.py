from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from ribambelle.activities.models import Activity
from ribambelle.families.models import Person, PersonRole
from ribambelle.tenancy.selectors import structures_for_staff

from .models import ACTIVE_STATUSES, Registration, RegistrationStatus


def _registrations():
    return Registration.objects.select_related("activity", "activity__structure", "group", "child")


def children_with_registrations(family, *, status: str = ""):
    """The family's children, each with `.registration_list` (newest activity first)."""
    registrations = _registrations().order_by("-activity__start_date", "-id")
    if status:
        registrations = registrations.filter(status=status)
    return (
        Person.objects.filter(organisation_id=family.organisation_id, family=family, role=PersonRole.CHILD)
        .order_by("birth_date", "first_name")
        .prefetch_related(Prefetch("registrations", queryset=registrations, to_attr="registration_list"))
    )


def accepted_children(family, activity) -> list[Person]:
    """The family's children whose registration to the activity is accepted, in one query."""
    return list(
        Person.objects.filter(
            organisation_id=family.organisation_id,
            family=family,
            registrations__activity=activity,
            registrations__status=RegistrationStatus.ACCEPTED,
        ).order_by("birth_date", "first_name")
    )


def get_child_for_family(family, person_id: int) -> Person:
    return get_object_or_404(
        Person.objects.filter(organisation_id=family.organisation_id, family=family, role=PersonRole.CHILD),
        pk=person_id,
    )


def get_registration_for_family(family, registration_id: int) -> Registration:
    return get_object_or_404(
        _registrations().filter(organisation_id=family.organisation_id, family=family), pk=registration_id
    )


def get_activity_for_family(organisation, activity_id: int) -> Activity:
    return get_object_or_404(
        Activity.objects.filter(organisation=organisation, is_published=True)
        .select_related("structure", "sector")
        .prefetch_related("groups", "units"),
        pk=activity_id,
    )


def registrations_for_staff(membership):
    return (
        _registrations()
        .filter(organisation_id=membership.organisation_id, activity__structure__in=structures_for_staff(membership))
        .select_related("family")
    )


def pending_queue(membership):
    """Requests to validate, oldest first (first come, first served)."""
    return registrations_for_staff(membership).filter(status=RegistrationStatus.REQUESTED).order_by("created_at", "id")


def get_registration_for_staff(membership, registration_id: int) -> Registration:
    return get_object_or_404(registrations_for_staff(membership), pk=registration_id)


def active_registrations_by_activity(child) -> dict[int, Registration]:
    """The child's registrations that hold or ask for a place, by activity: "Nouvelle inscription"
    says "Déjà inscrit(e)" or "Demande en attente" for those instead of "S'inscrire"."""
    return {
        registration.activity_id: registration
        for registration in Registration.objects.filter(
            organisation_id=child.organisation_id, child=child, status__in=ACTIVE_STATUSES
        ).only("id", "activity_id", "status")
    }
