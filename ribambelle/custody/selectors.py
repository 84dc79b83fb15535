"""Custody reads: the household of a portal login, a family's households and arrangements."""

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from ribambelle.families.models import Person, PersonRole
from ribambelle.families.selectors import get_family_for_staff

from .models import CustodyArrangement, Household


def household_of(user):
    """The household a family login is attached to, or None (a family without separated
    parents, or a login not attached). Loaded with the login (accounts.backends): no query."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.family_id:
        return None
    try:
        return user.household_link.household
    except ObjectDoesNotExist:
        return None


def households_of_family(family):
    adults = Person.objects.filter(role=PersonRole.ADULT).order_by("first_name", "pk")
    return (
        Household.objects.filter(organisation_id=family.organisation_id, family=family)
        .prefetch_related(Prefetch("adults", queryset=adults), "logins__user")
        .order_by("position")
    )


def arrangements_of_family(family):
    return CustodyArrangement.objects.filter(organisation_id=family.organisation_id, family=family).select_related(
        "even_weeks", "created_by"
    )


def get_household_for_staff(membership, household_id: int) -> Household:
    """404 unless the household's family is in the member's reach."""
    household = get_object_or_404(
        Household.objects.filter(organisation_id=membership.organisation_id).select_related("family"),
        pk=household_id,
    )
    get_family_for_staff(membership, household.family_id)
    return household


def other_household_adults(family, viewer) -> set[int]:
    """The responsible adults living in another household than the viewer's."""
    from .models import HouseholdAdult

    return set(
        HouseholdAdult.objects.filter(organisation_id=family.organisation_id, household__family=family)
        .exclude(household=viewer)
        .values_list("person_id", flat=True)
    )


def portal_households(family, viewer):
    """(households the viewer may read, adults of the other household, those whose contacts are hidden)."""
    from .models import HouseholdAdult

    households = list(Household.objects.filter(organisation_id=family.organisation_id, family=family))
    links = HouseholdAdult.objects.filter(organisation_id=family.organisation_id, household__family=family).exclude(
        household=viewer
    )
    visible = {h.pk for h in households if h.pk == viewer.pk or h.contacts_visible}
    others, hidden = set(), set()
    for person_id, household_id in links.values_list("person_id", "household_id"):
        others.add(person_id)
        if household_id not in visible:
            hidden.add(person_id)
    return [h for h in households if h.pk in visible], others, hidden


def family_adults(family):
    return Person.objects.filter(organisation=family.organisation, family=family, role=PersonRole.ADULT)


def family_logins(family):
    from ribambelle.accounts.models import User

    return User.objects.filter(organisation=family.organisation, family=family)


def export_scope(family, viewer) -> tuple[set[int], set[int], dict]:
    """For a separated parent's GDPR export: the adults whose contacts are hidden, the other
    household's logins (hidden with their actions), and the parent's own household."""
    from django.forms.models import model_to_dict

    from .models import HouseholdLogin

    _households, _others, hidden_people = portal_households(family, viewer)
    hidden_users = set(
        HouseholdLogin.objects.filter(organisation_id=family.organisation_id, household__family=family)
        .exclude(household=viewer)
        .values_list("user_id", flat=True)
    )
    own = {k: v for k, v in model_to_dict(viewer, exclude=["organisation", "family", "adults", "id"]).items()}
    return hidden_people, hidden_users, own
