from django.db.models import Max, Prefetch, Q

from ribambelle.families.models import Family, Person, PersonRole
from ribambelle.tenancy.access import in_reach

from .models import ActivityLog, User


def activity_for_family(family, *, limit: int = 200):
    return ActivityLog.objects.filter(organisation_id=family.organisation_id, family=family).select_related("user")[
        :limit
    ]


def family_login_list_for_staff(membership, params):
    """The family logins page as filtered and sorted (`filterset.qs`, see `filters.FamilyLoginFilter`)."""
    from .filters import FamilyLoginFilter

    return FamilyLoginFilter(params, queryset=families_with_accounts(membership))


def families_with_accounts(membership):
    """Families with their adults and logins, for the staff's accounts page (constant queries)."""
    families = Family.objects.filter(in_reach(membership, "pk"), organisation_id=membership.organisation_id)
    return families.order_by("name", "id").prefetch_related(
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


def accounts_of_family(family):
    """The logins of a family's adults (not to be confused with its financial statement)."""
    return User.objects.filter(organisation_id=family.organisation_id, family=family).order_by("email")


def staff_user(organisation, user_id) -> User | None:
    return User.objects.filter(pk=user_id, organisation=organisation).first()
