from .models import ActivityLog


def activity_for_family(family, *, limit: int = 200):
    return ActivityLog.objects.filter(organisation_id=family.organisation_id, family=family).select_related("user")[
        :limit
    ]
