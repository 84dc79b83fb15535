"""Reads of API Particulier's data: the organisation's settings, a family's consent, the
allocataire's identity, the previews waiting for confirmation and the families of a bulk fetch."""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ribambelle.families.models import Family, Person, PersonRole, QuotientSource
from ribambelle.families.selectors import families_for_staff
from ribambelle.tenancy.access import in_reach
from ribambelle.tenancy.roles import Area

from .client import FRANCE, Identity
from .models import ApiParticulierSettings, FetchStatus, QuotientCall, QuotientConsent, QuotientFetch

FETCH_VALIDITY = timedelta(hours=1)


def _reach(membership):
    return Family.objects.filter(in_reach(membership, "pk", Area.FAMILIES), organisation_id=membership.organisation_id)


def get_family_for_staff(membership, family_id: int) -> Family:
    return get_object_or_404(_reach(membership), pk=family_id)


API_SOURCES = {QuotientSource.API, QuotientSource.FRANCECONNECT}


def settings_for(organisation) -> ApiParticulierSettings | None:
    return ApiParticulierSettings.objects.filter(organisation=organisation).first()


def active_consent(family) -> QuotientConsent | None:
    return QuotientConsent.objects.filter(
        organisation_id=family.organisation_id, family=family, withdrawn_at__isnull=True
    ).first()


def adults(family) -> list[Person]:
    return list(
        Person.objects.filter(organisation_id=family.organisation_id, family=family, role=PersonRole.ADULT).order_by(
            "id"
        )
    )


def identity_for(person: Person) -> Identity | None:
    """The allocataire's identity as API Particulier needs it, or None when a mandatory part is missing
    (birth name or name, first name, sex, birth date, and for a birth in France the commune: its INSEE
    code, or its name and department)."""
    country = person.birth_country_cog or FRANCE
    first_names = tuple((person.birth_first_names or person.first_name).replace(",", " ").split())
    name = person.birth_name or person.last_name
    if not (name and first_names and person.sex in ("M", "F") and person.birth_date):
        return None
    if country == FRANCE and not (person.birth_commune_cog or (person.birth_commune_name and person.birth_department)):
        return None
    return Identity(
        birth_name=name,
        usage_name=person.last_name if person.birth_name and person.last_name != person.birth_name else "",
        first_names=first_names,
        sex=person.sex,
        birth_date=person.birth_date,
        birth_country_cog=country,
        birth_commune_cog=person.birth_commune_cog,
        birth_commune_name=person.birth_commune_name,
        birth_department=person.birth_department,
    )


def manual_newer_than(family: Family, month) -> tuple | None:
    """(month, value) of a quotient typed by staff (not read from the CAF / MSA) that is newer than
    `month` or of the same month: the one a fetched value must not silently replace."""
    from ribambelle.families.models import QuotientRecord

    record = (
        QuotientRecord.objects.filter(organisation_id=family.organisation_id, family=family, reference_month__gte=month)
        .exclude(source__in=API_SOURCES)
        .order_by("-reference_month")
        .first()
    )
    if record:
        return record.reference_month, record.value
    if (
        family.family_quotient is not None
        and family.family_quotient_date
        and family.family_quotient_date >= month
        and family.family_quotient_source not in API_SOURCES
    ):
        return family.family_quotient_date, family.family_quotient
    return None


def person_in_family(family, person_id) -> bool:
    return Person.objects.filter(organisation_id=family.organisation_id, family=family, pk=person_id).exists()


def with_manual_newer(fetches: list[QuotientFetch]) -> list[QuotientFetch]:
    """`fetch.manual` = manual_newer_than(fetch.family, fetch.reference_month) for every preview of
    a batch, in one query whatever their number."""
    from ribambelle.families.models import QuotientRecord

    if not fetches:
        return fetches
    latest: dict[int, tuple] = {}
    rows = (
        QuotientRecord.objects.filter(
            organisation_id=fetches[0].organisation_id, family_id__in={f.family_id for f in fetches}
        )
        .exclude(source__in=API_SOURCES)
        .values_list("family_id", "reference_month", "value")
    )
    for family_id, month, value in rows:
        if family_id not in latest or month > latest[family_id][0]:
            latest[family_id] = (month, value)
    for fetch in fetches:
        family, manual = fetch.family, latest.get(fetch.family_id)
        if manual and manual[0] >= fetch.reference_month:
            fetch.manual = manual
        elif (
            family.family_quotient is not None
            and family.family_quotient_date
            and family.family_quotient_date >= fetch.reference_month
            and family.family_quotient_source not in API_SOURCES
        ):
            fetch.manual = (family.family_quotient_date, family.family_quotient)
        else:
            fetch.manual = None
    return fetches


def get_fetch_for_staff(membership, fetch_id: int) -> QuotientFetch:
    """A pending preview of a family within the agent's reach, fresh enough; 404 otherwise."""
    return get_object_or_404(
        QuotientFetch.objects.select_related("family").filter(
            organisation_id=membership.organisation_id,
            family__in=_reach(membership),
            status=FetchStatus.PENDING,
            created_at__gte=timezone.now() - FETCH_VALIDITY,
        ),
        pk=fetch_id,
    )


def batch_for_staff(membership, batch) -> list[QuotientFetch]:
    return list(
        QuotientFetch.objects.select_related("family")
        .filter(
            organisation_id=membership.organisation_id,
            family__in=_reach(membership),
            batch=batch,
            status=FetchStatus.PENDING,
            created_at__gte=timezone.now() - FETCH_VALIDITY,
        )
        .order_by("family__name", "id")
    )


def qf_family_list_for_staff(membership, params):
    """The bulk page's families, filtered like the family list, with their consent and adults."""
    from .filters import QuotientFamilyFilter

    consent = QuotientConsent.objects.filter(
        organisation_id=membership.organisation_id, family=OuterRef("pk"), withdrawn_at__isnull=True
    )
    queryset = families_for_staff(membership).annotate(has_qf_consent=Exists(consent))
    return QuotientFamilyFilter(params, queryset=queryset)


def families_by_ids_for_staff(membership, ids) -> list[Family]:
    adults_prefetch = Prefetch(
        "members", queryset=Person.objects.filter(role=PersonRole.ADULT).order_by("id"), to_attr="qf_adults"
    )
    consent = QuotientConsent.objects.filter(
        organisation_id=membership.organisation_id, family=OuterRef("pk"), withdrawn_at__isnull=True
    )
    return list(
        _reach(membership)
        .filter(pk__in=ids)
        .annotate(has_qf_consent=Exists(consent))
        .prefetch_related(adults_prefetch)
        .order_by("name", "id")
    )


def recent_calls(organisation, limit: int = 50) -> list[QuotientCall]:
    return list(
        QuotientCall.objects.filter(organisation=organisation).select_related("family", "actor").order_by("-id")[:limit]
    )


def caf_certificate_type(organisation):
    """The family document type of the CAF certificate (the upload offered when no file is found)."""
    from ribambelle.documents.models import DocumentScope
    from ribambelle.documents.selectors import active_types

    types = active_types(organisation, include_health=False).filter(scope=DocumentScope.FAMILY)
    return types.filter(name__icontains="CAF").first() or types.filter(name__icontains="quotient").first()
