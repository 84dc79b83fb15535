from django.db.models import Max, Prefetch, Q

from ribambelle.families.models import Family, Person, PersonRole
from ribambelle.tenancy.access import in_reach

from .models import ActivityLog, User


def activity_for_family(family, *, limit: int = 200):
    return ActivityLog.objects.filter(organisation_id=family.organisation_id, family=family).select_related("user")[
        :limit
    ]


def families_with_accounts(membership, *, search: str = "", status: str = ""):
    """Families with their adults and logins, for the staff's accounts page (constant queries)."""
    families = Family.objects.filter(in_reach(membership, "pk"), organisation_id=membership.organisation_id)
    families = families.order_by("name", "id")
    if search:
        families = families.filter(
            Q(name__icontains=search) | Q(members__email__icontains=search) | Q(members__last_name__icontains=search)
        ).distinct()
    if status == "active":
        families = families.filter(accounts__activated_at__isnull=False).distinct()
    elif status == "pending":
        families = families.filter(accounts__isnull=False, accounts__activated_at__isnull=True).distinct()
    elif status == "none":
        families = families.filter(accounts__isnull=True)
    return families.prefetch_related(
        Prefetch(
            "members", queryset=Person.objects.filter(role=PersonRole.ADULT).order_by("first_name"), to_attr="adults"
        ),
        Prefetch(
            "accounts",
            queryset=User.objects.order_by("email").annotate(
                last_invited=Max("tokens__created_at", filter=Q(tokens__purpose="activation"))
            ),
            to_attr="logins",
        ),
    )
