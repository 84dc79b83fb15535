"""Who "the families of a structure" are: the one place that resolves an audience.

Today a family belongs to a structure's audience when the structure follows it
(`StructureFamily`). When the activities app lands, add its registrations here
(families with a child registered to an activity of the structure, or to a given
activity or group) — news and mass e-mails then follow without other change.
"""

from django.db.models import Q

from ribambelle.families.models import Family

from .models import StructureFamily


def family_ids_for_structures(organisation, structure_ids) -> set[int]:
    return set(
        StructureFamily.objects.filter(organisation=organisation, structure_id__in=list(structure_ids)).values_list(
            "family_id", flat=True
        )
    )


def structure_ids_for_family(family) -> set[int]:
    return set(
        StructureFamily.objects.filter(organisation_id=family.organisation_id, family=family).values_list(
            "structure_id", flat=True
        )
    )


def families_in_scope(organisation, *, structure_ids=None):
    """All the organisation's families, or those of the given structures."""
    families = Family.objects.filter(organisation=organisation)
    if structure_ids is not None:
        families = families.filter(Q(pk__in=family_ids_for_structures(organisation, structure_ids)))
    return families
