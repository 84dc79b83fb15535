from django.shortcuts import get_object_or_404

from .models import Family


def get_family_for_staff(organisation, family_id: int) -> Family:
    return get_object_or_404(Family, organisation=organisation, pk=family_id)
