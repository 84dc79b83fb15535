"""Who "the families of a structure" are: the one place that resolves an audience.

A family belongs to a structure's audience when the structure follows it
(`StructureFamily`) or when one of its children has a registration (accepted or
requested) to an activity of that structure — news and mass e-mails follow both.
"""

from django.db.models import Q

from ribambelle.families.models import Family
from ribambelle.registrations.models import ACTIVE_STATUSES, Registration

from .models import StructureFamily


def family_ids_for_structures(organisation, structure_ids) -> set[int]:
    structure_ids = list(structure_ids)
    followed = StructureFamily.objects.filter(organisation=organisation, structure_id__in=structure_ids)
    registered = Registration.objects.filter(
        organisation=organisation, activity__structure_id__in=structure_ids, status__in=ACTIVE_STATUSES
    )
    return set(followed.values_list("family_id", flat=True)) | set(registered.values_list("family_id", flat=True))


def structure_ids_for_family(family) -> set[int]:
    followed, registered = structures_of_family(family)
    return set(followed) | set(registered)


def structures_of_family(family):
    """The ids of the structures the family follows and of those it has a registration in, as two
    querysets (to use as subqueries)."""
    followed = StructureFamily.objects.filter(organisation_id=family.organisation_id, family=family)
    registered = Registration.objects.filter(
        organisation_id=family.organisation_id, family=family, status__in=ACTIVE_STATUSES
    )
    return followed.values_list("structure_id", flat=True), registered.values_list("activity__structure_id", flat=True)


def families_in_scope(organisation, *, structure_ids=None):
    """All the organisation's families, or those of the given structures."""
    families = Family.objects.filter(organisation=organisation)
    if structure_ids is not None:
        families = families.filter(Q(pk__in=family_ids_for_structures(organisation, structure_ids)))
    return families


def family_ids_for_groups(organisation, group_ids) -> set[int]:
    """Families with a child registered (accepted or requested) in one of these activity groups."""
    return set(
        Registration.objects.filter(
            organisation=organisation, group_id__in=list(group_ids), status__in=ACTIVE_STATUSES
        ).values_list("family_id", flat=True)
    )
