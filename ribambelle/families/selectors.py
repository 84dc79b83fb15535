"""Reads on the family file: scoped querysets with their joins done, so a page's number
of queries does not grow with the number of families, children or changes."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from ribambelle.tenancy.access import child_in_reach, families_to_follow, in_reach
from ribambelle.tenancy.roles import Area

from .models import (
    AuthorisedPerson,
    ChangeRequest,
    ChangeStatus,
    Diet,
    Family,
    FamilySettings,
    Person,
    PersonRole,
    Vaccination,
)
from .search import search_filter


def _families_for_staff(membership, area: str = Area.FAMILIES):
    return Family.objects.filter(in_reach(membership, "pk", area), organisation_id=membership.organisation_id)


def get_family_for_staff(membership, family_id: int, *, area: str = Area.FAMILIES) -> Family:
    return get_object_or_404(_families_for_staff(membership, area), pk=family_id)


def _members_prefetch(*, with_health: bool):
    related = ["diets", Prefetch("authorised_persons", queryset=AuthorisedPerson.objects.order_by("last_name", "id"))]
    queryset = Person.objects.order_by("role", "birth_date", "first_name", "id")
    if with_health:
        queryset = queryset.select_related("health_record")
        related.append(Prefetch("vaccinations", queryset=Vaccination.objects.order_by("vaccine", "-date")))
    return Prefetch("members", queryset=queryset.prefetch_related(*related), to_attr="people")


def family_file_for_staff(membership, family_id: int, *, with_health: bool = False) -> Family:
    return _family_file(_families_for_staff(membership), family_id, with_health=with_health)


def family_file(organisation, family_id: int, *, with_health: bool = False) -> Family:
    """One family with everything shown on its file, in a fixed number of queries."""
    return _family_file(Family.objects.filter(organisation=organisation), family_id, with_health=with_health)


def _family_file(families, family_id: int, *, with_health: bool) -> Family:
    queryset = families.prefetch_related(
        _members_prefetch(with_health=with_health),
        Prefetch(
            "change_requests",
            queryset=ChangeRequest.objects.filter(status=ChangeStatus.PENDING).select_related("requested_by"),
            to_attr="pending_changes",
        ),
    )
    family = get_object_or_404(queryset, pk=family_id)
    for person in family.people:
        person.pending = [
            cr for cr in family.pending_changes if cr.person_id == person.pk and cr.kind == "person_update"
        ]
    family.adults = [p for p in family.people if p.role == PersonRole.ADULT]
    family.children = [p for p in family.people if p.role == PersonRole.CHILD]
    family.pending_family = [cr for cr in family.pending_changes if cr.kind == "family_update"]
    family.pending_children = [cr for cr in family.pending_changes if cr.kind == "child_add"]
    family.pending_keys = {cr.moderation_key for cr in family.pending_family}
    removal = {cr.authorised_person_id for cr in family.pending_changes if cr.kind == "authorised_remove"}
    for child in family.children:
        child.pending_authorised = [
            cr
            for cr in family.pending_changes
            if cr.person_id == child.pk and cr.kind in ("authorised_add", "authorised_update")
        ]
        for authorised in child.authorised_persons.all():
            authorised.removal_pending = authorised.pk in removal
    return family


def pending_values(changes) -> dict:
    """Pending new values, to show in a form in place of the current ones."""
    values = {}
    for cr in changes:
        for name, change in cr.changes.items():
            values[name] = change.get("value")
    return values


def recent_decisions(family, *, limit: int = 10):
    return ChangeRequest.objects.filter(
        organisation_id=family.organisation_id,
        family=family,
        status__in=[ChangeStatus.ACCEPTED, ChangeStatus.REFUSED],
    ).order_by("-decided_at", "-id")[:limit]


def change_history(family):
    return ChangeRequest.objects.filter(organisation_id=family.organisation_id, family=family).select_related(
        "requested_by", "decided_by"
    )


def families_for_staff(membership, *, search: str = "", area: str = Area.FAMILIES):
    """Families in reach: search on folded names/e-mails/phones, and the adults, children,
    account state and pending count of each family in 3 queries."""
    from ribambelle.accounts.models import User

    families = _families_for_staff(membership, area)
    condition = search_filter(search)
    if condition is not None:
        families = families.filter(condition)
    activated = User.objects.filter(family=OuterRef("pk"), activated_at__isnull=False)
    pending_of_family = ChangeRequest.objects.filter(family=OuterRef("pk"), status=ChangeStatus.PENDING)
    # Correlated subqueries rather than JOIN + GROUP BY: they run for the 50 rows shown only,
    # so the first page stays fast whatever the number of families.
    families = families.annotate(
        has_active_account=Exists(activated),
        pending_count=Coalesce(
            Subquery(pending_of_family.values("family").annotate(n=Count("id")).values("n")[:1]),
            Value(0),
        ),
    )
    return families.order_by("name", "id").prefetch_related(
        Prefetch(
            "members",
            queryset=Person.objects.only(
                "family_id", "role", "first_name", "last_name", "birth_date", "phone", "email"
            ).order_by("role", "birth_date", "first_name"),
            to_attr="people",
        )
    )


def similar_families(organisation, *, name: str, email: str = "", birth_date=None) -> list[Family]:
    """Families that are probably the one staff are about to create again: the same name and an
    adult sharing the e-mail or the birth date given (the family file's e-mail counts too)."""
    shared = Q()
    if email:
        shared |= Q(email__iexact=email) | Q(
            Exists(Person.objects.filter(family=OuterRef("pk"), role=PersonRole.ADULT, email__iexact=email))
        )
    if birth_date:
        shared |= Q(Exists(Person.objects.filter(family=OuterRef("pk"), role=PersonRole.ADULT, birth_date=birth_date)))
    if not shared:
        return []
    return list(Family.objects.filter(shared, organisation=organisation, name__iexact=name.strip()).order_by("pk"))


def pending_changes_for_staff(membership):
    return (
        ChangeRequest.objects.filter(
            in_reach(membership), organisation_id=membership.organisation_id, status=ChangeStatus.PENDING
        )
        .select_related("family", "requested_by", "person")
        .order_by("created_at", "id")
    )


def pending_count(membership) -> int:
    return pending_changes_for_staff(membership).count()


def get_change_request_for_staff(membership, changerequest_id: int) -> ChangeRequest:
    return get_object_or_404(
        ChangeRequest.objects.select_related("family", "requested_by", "decided_by", "person"),
        in_reach(membership),
        organisation_id=membership.organisation_id,
        pk=changerequest_id,
    )


def get_person_for_staff(membership, person_id: int) -> Person:
    return get_object_or_404(
        Person.objects.select_related("family").prefetch_related("diets"),
        in_reach(membership),
        organisation_id=membership.organisation_id,
        pk=person_id,
    )


def children_to_register_for_staff(membership):
    """Children a member may register to an activity of theirs: of families in their reach,
    or in no structure yet — never another structure's (tenancy.access.families_to_follow)."""
    return Person.objects.filter(
        organisation_id=membership.organisation_id,
        role=PersonRole.CHILD,
        family__in=families_to_follow(membership).values("pk"),
    ).select_related("family")


def person_ids_for_staff(membership, person_ids) -> list[int]:
    """The ids, among those posted, of people the member may act on (others are dropped)."""
    people = Person.objects.filter(in_reach(membership), organisation_id=membership.organisation_id, pk__in=person_ids)
    return list(people.values_list("pk", flat=True))


def get_person_for_family(family, person_id: int) -> Person:
    return get_object_or_404(
        Person.objects.select_related("family").prefetch_related("diets"),
        organisation_id=family.organisation_id,
        family=family,
        pk=person_id,
    )


def get_child_for_family(family, person_id: int) -> Person:
    return get_object_or_404(
        Person.objects.select_related("family"),
        organisation_id=family.organisation_id,
        family=family,
        role=PersonRole.CHILD,
        pk=person_id,
    )


def get_child_for_staff(membership, person_id: int) -> Person:
    """A child's own pages (health, authorised persons): the child within reach, not only the family."""
    return get_object_or_404(
        Person.objects.select_related("family"),
        child_in_reach(membership, "pk"),
        organisation_id=membership.organisation_id,
        role=PersonRole.CHILD,
        pk=person_id,
    )


def get_authorised_person_for_family(family, authorised_id: int) -> AuthorisedPerson:
    return get_object_or_404(
        AuthorisedPerson.objects.select_related("child", "family"),
        organisation_id=family.organisation_id,
        family=family,
        pk=authorised_id,
    )


def get_authorised_person_for_staff(membership, authorised_id: int) -> AuthorisedPerson:
    return get_object_or_404(
        AuthorisedPerson.objects.select_related("child", "family"),
        child_in_reach(membership),
        organisation_id=membership.organisation_id,
        pk=authorised_id,
    )


def get_vaccination_for_family(family, vaccination_id: int) -> Vaccination:
    return get_object_or_404(
        Vaccination.objects.select_related("child", "family"),
        organisation_id=family.organisation_id,
        family=family,
        pk=vaccination_id,
    )


def get_vaccination_for_staff(membership, vaccination_id: int) -> Vaccination:
    return get_object_or_404(
        Vaccination.objects.select_related("child", "family"),
        child_in_reach(membership),
        organisation_id=membership.organisation_id,
        pk=vaccination_id,
    )


def active_diets(organisation):
    return Diet.objects.filter(organisation=organisation, is_active=True).order_by("name")


def diets_for_form(organisation, person=None):
    """Active diets, plus any inactive one this child still has (so saving does not drop it)."""
    condition = Q(is_active=True)
    if person is not None and person.pk:
        condition |= Q(pk__in=[d.pk for d in person.diets.all()])
    return Diet.objects.filter(condition, organisation=organisation).order_by("name")


def moderated_keys(organisation) -> set[str]:
    settings = FamilySettings.objects.filter(organisation=organisation).first()
    if settings is None:
        from .moderation import DEFAULT_MODERATED

        return set(DEFAULT_MODERATED)
    return set(settings.moderated)


def care_details(children, *, include_health: bool = True) -> dict[int, dict]:
    """What animateurs must know about each child, for attendance lists: diet, allergies, PAI,
    authorised persons. Three queries whatever the number of children."""
    from .models import AuthorisedPerson, HealthRecord, PersonDiet

    ids = [child.pk for child in children]
    details: dict[int, dict] = {pk: {"diet": "", "allergies": "", "pai": False, "authorised": ""} for pk in ids}
    diets: dict[int, list[str]] = {}
    for person_id, name in PersonDiet.objects.filter(person_id__in=ids).values_list("person_id", "diet__name"):
        diets.setdefault(person_id, []).append(name)
    for child in children:
        parts = diets.get(child.pk, []) + ([child.diet_notes] if getattr(child, "diet_notes", "") else [])
        details[child.pk]["diet"] = ", ".join(parts)
    if include_health:
        for record in HealthRecord.objects.filter(child_id__in=ids).only("child_id", "allergies", "has_pai"):
            details[record.child_id].update(allergies=record.allergies, pai=record.has_pai)
    people: dict[int, list[str]] = {}
    for person in AuthorisedPerson.objects.filter(child_id__in=ids, may_pick_up=True):
        label = f"{person.first_name} {person.last_name}"
        if person.relationship:
            label += f" ({person.relationship})"
        people.setdefault(person.child_id, []).append(f"{label} {person.phone}".strip())
    for pk, names in people.items():
        details[pk]["authorised"] = " ; ".join(names)
    return details


# --- Reads the views used to make themselves ------------------------------------------------
def members_of_family(family):
    return Person.objects.filter(organisation_id=family.organisation_id, family=family).order_by(
        "role", "birth_date", "id"
    )


def health_record_of(child):
    from .models import HealthRecord

    return HealthRecord.objects.filter(organisation_id=child.organisation_id, child=child).first()


def vaccinations_of(child):
    return Vaccination.objects.filter(organisation_id=child.organisation_id, child=child)


def adults_by_ids(organisation, person_ids):
    return Person.objects.filter(organisation=organisation, pk__in=person_ids).select_related("family")


FAMILY_OBJECTS = {"person_id": Person, "authorisedperson_id": AuthorisedPerson, "vaccination_id": Vaccination}


def family_owns(user, name: str, object_id) -> bool:
    """Whether the object a portal URL names (`person_id`, `authorisedperson_id`, `vaccination_id`)
    belongs to the user's family."""
    return (
        FAMILY_OBJECTS[name]
        .objects.filter(organisation_id=user.organisation_id, family_id=user.family_id, pk=object_id)
        .exists()
    )


def family_list_for_staff(membership, params):
    """The back-office family list as filtered and sorted by the page (`filterset.qs`)."""
    from .filters import FamilyFilter

    return FamilyFilter(params, queryset=families_for_staff(membership))


def pending_change_list_for_staff(membership, params):
    """The moderation queue as filtered and sorted by the page (`filterset.qs`)."""
    from .filters import PendingChangeFilter

    return PendingChangeFilter(params, queryset=pending_changes_for_staff(membership))
