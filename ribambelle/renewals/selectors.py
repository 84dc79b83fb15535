"""Reads for the renewal: each child's current registrations with their exact next-year
equivalents (the activities duplicated from theirs), the documents carried over and what to update."""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from dateutil.relativedelta import relativedelta
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.activities.models import Activity, Group
from ribambelle.activities.selectors import fitting_groups
from ribambelle.billing.models import BillingSettings
from ribambelle.core.wording import of
from ribambelle.documents.models import school_year_start
from ribambelle.documents.selectors import State, document_sections
from ribambelle.families.models import HealthRecord, Person, PersonRole, Vaccination
from ribambelle.registrations.models import ACTIVE_STATUSES, Registration
from ribambelle.registrations.services import registration_window_state

from .models import Renewal, RenewedRegistration


class ItemState:
    OPEN = "open"  # can be ticked
    DONE = "done"  # already registered (or asked) for next year
    NOT_YET = "not_yet"  # the next-year window opens later
    CLOSED = "closed"
    NO_GROUP = "no_group"  # no group of next year admits the child's age


@dataclass
class RenewalItem:
    """One current registration and one of its next-year equivalents."""

    previous: Registration
    activity: Activity
    groups: list[Group]
    group: Group | None
    state: str
    existing: Registration | None = None

    @property
    def key(self) -> str:
        return f"{self.previous.child_id}-{self.activity.pk}"

    @property
    def can_choose(self) -> bool:
        return self.state == ItemState.OPEN


@dataclass
class ChildRenewal:
    child: Person
    items: list[RenewalItem] = field(default_factory=list)


@dataclass
class ToUpdate:
    """Something to bring up to date before next year, with the page where to do it."""

    label: str
    detail: str
    url_name: str
    url_kwargs: dict = field(default_factory=dict)


@dataclass
class RenewalOffer:
    school_year: date
    reference_date: date
    children: list[ChildRenewal]
    carried_over: list = field(default_factory=list)  # ExpectedDocument, accepted on reference_date
    to_update: list[ToUpdate] = field(default_factory=list)

    @property
    def items(self) -> list[RenewalItem]:
        return [item for child in self.children for item in child.items]

    @property
    def is_open(self) -> bool:
        return any(item.state == ItemState.OPEN for item in self.items)

    def find(self, child_id: int, activity_id: int) -> RenewalItem | None:
        return next(
            (i for i in self.items if i.previous.child_id == child_id and i.activity.pk == activity_id),
            None,
        )


def next_school_year(today: date) -> date:
    """The 1 September after the current school year: in June 2027, 1 September 2027."""
    return school_year_start(today) + relativedelta(years=1)


def _next_year_activities(organisation_id: int, year: date):
    return Activity.objects.filter(
        organisation_id=organisation_id,
        is_published=True,
        staff_only=False,
        start_date__gte=year,
        start_date__lt=year + relativedelta(years=1),
    )


def _current_registrations(family, year: date):
    """The family's registrations holding or asking for a place in an activity of the current
    school year (not next year's), which has at least one next-year equivalent."""
    current_start = year - relativedelta(years=1)
    return Registration.objects.filter(
        organisation_id=family.organisation_id,
        family=family,
        status__in=ACTIVE_STATUSES,
        activity__start_date__lt=year,
        activity__end_date__gte=current_start,
    )


def renewal_is_open(family, *, now=None) -> bool:
    """For the dashboard, in one query: a current registration has a next-year equivalent whose
    registration window is open now."""
    now = now or timezone.now()
    year = next_school_year(timezone.localdate(now))
    successors = _next_year_activities(family.organisation_id, year).filter(
        Q(registration_closes_at__isnull=True) | Q(registration_closes_at__gt=now),
        registration_opens_at__lte=now,
        end_date__gte=timezone.localdate(now),
    )
    return _current_registrations(family, year).filter(activity__next_activities__in=successors.values("pk")).exists()


def _proposed_group(previous: Registration, groups: list[Group]) -> Group | None:
    """The group for the child's age next year: the only one, else the one named like this
    year's (several groups for one age, such as two classes), else the first."""
    if not groups:
        return None
    same = [g for g in groups if g.name == previous.group.name]
    return (same or groups)[0]


def renewal_offer(family, *, include_health: bool, now=None) -> RenewalOffer:
    """The renewal page's content, in a fixed number of queries whatever the family's size."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    year = next_school_year(today)
    organisation_id = family.organisation_id
    successors = (
        _next_year_activities(organisation_id, year)
        .select_related("structure")
        .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("position", "age_min_months", "pk")))
        .order_by("start_date", "name", "pk")
    )
    previous = list(
        _current_registrations(family, year)
        .select_related("activity", "group", "child")
        .prefetch_related(Prefetch("activity__next_activities", queryset=successors, to_attr="next_year"))
        .order_by("child__birth_date", "child__first_name", "child_id", "activity__start_date", "pk")
    )
    next_ids = {activity.pk for registration in previous for activity in registration.activity.next_year}
    existing = {
        (r.child_id, r.activity_id): r
        for r in Registration.objects.filter(
            organisation_id=organisation_id, family=family, activity_id__in=next_ids, status__in=ACTIVE_STATUSES
        ).select_related("group")
    }
    children: dict[int, ChildRenewal] = {}
    for registration in previous:
        if not registration.activity.next_year:
            continue
        child = children.setdefault(registration.child_id, ChildRenewal(child=registration.child))
        for activity in registration.activity.next_year:
            if any(item.activity.pk == activity.pk for item in child.items):
                continue  # two current registrations leading to one activity: offered once
            groups = fitting_groups(activity, registration.child)
            already = existing.get((registration.child_id, activity.pk))
            window = registration_window_state(activity, now=now)
            if already:
                state = ItemState.DONE
            elif window != "open":
                state = window
            elif not groups:
                state = ItemState.NO_GROUP
            else:
                state = ItemState.OPEN
            child.items.append(
                RenewalItem(
                    previous=registration,
                    activity=activity,
                    groups=groups,
                    group=already.group if already else _proposed_group(registration, groups),
                    state=state,
                    existing=already,
                )
            )
    offer = RenewalOffer(
        school_year=year,
        reference_date=max(
            year, min((i.activity.start_date for c in children.values() for i in c.items), default=year)
        ),
        children=list(children.values()),
    )
    if offer.children:
        _documents_and_updates(offer, family, include_health=include_health, now=now)
    return offer


def _documents_and_updates(offer: RenewalOffer, family, *, include_health: bool, now) -> None:
    """Documents as they will stand on the first day of next year: the valid ones are carried
    over, the required ones that will have expired (or are for this school year only) are listed,
    with the QF, and for each child the vaccinations and the health form not confirmed this year."""
    reference = offer.reference_date
    child_ids = {child.child.pk for child in offer.children}
    kinds = {item.activity.kind for item in offer.items}
    for section in document_sections(
        organisation=family.organisation,
        family=family,
        activity_kind=kinds,
        include_health=include_health,
        today=reference,
    ):
        if (
            section.person is not None
            and section.person.pk not in child_ids
            and section.person.role == PersonRole.CHILD
        ):
            continue
        for document in section.documents:
            if document.state == State.ACCEPTED:
                offer.carried_over.append(document)
            elif document.required:
                whose = document.person.first_name if document.person else _("la famille")
                offer.to_update.append(
                    ToUpdate(
                        label=f"{document.title} ({whose})",
                        detail=_("À transmettre : pas encore valable pour l'année prochaine (%(state)s).")
                        % {"state": str(document.state_label).lower()},
                        url_name="portail:documents",
                    )
                )
    settings = (
        BillingSettings.objects.filter(organisation_id=family.organisation_id).only("quotient_validity_months").first()
    )
    months = settings.quotient_validity_months if settings else 12
    if family.family_quotient is None or family.family_quotient_date is None:
        offer.to_update.append(
            ToUpdate(
                label=_("Quotient familial"),
                detail=_("Non renseigné : transmettez votre attestation de quotient familial (CAF ou MSA)."),
                url_name="portail:documents",
            )
        )
    elif family.family_quotient_date + relativedelta(months=months) <= reference:
        offer.to_update.append(
            ToUpdate(
                label=_("Quotient familial"),
                detail=_("Il ne sera plus valable le %(date)s : transmettez une attestation récente.")
                % {"date": f"{reference:%d/%m/%Y}"},
                url_name="portail:documents",
            )
        )
    if not include_health:
        return
    this_year = timezone.make_aware(datetime.combine(school_year_start(timezone.localdate(now)), time.min))
    confirmed = set(
        HealthRecord.objects.filter(
            organisation_id=family.organisation_id, child_id__in=child_ids, updated_at__gte=this_year
        ).values_list("child_id", flat=True)
    )
    vaccinated = set(
        Vaccination.objects.filter(organisation_id=family.organisation_id, child_id__in=child_ids).values_list(
            "child_id", flat=True
        )
    )
    for child in offer.children:
        person = child.child
        if person.pk not in vaccinated:
            offer.to_update.append(
                ToUpdate(
                    label=_("Vaccinations %(of_child)s") % {"of_child": of(person.first_name)},
                    detail=_("Aucune vaccination enregistrée : ajoutez les dates des vaccins."),
                    url_name="portail:child_health",
                    url_kwargs={"person_id": person.pk},
                )
            )
        if person.pk not in confirmed:
            offer.to_update.append(
                ToUpdate(
                    label=_("Fiche sanitaire %(of_child)s") % {"of_child": of(person.first_name)},
                    detail=_("Pas confirmée cette année : relisez-la et enregistrez-la."),
                    url_name="portail:child_health",
                    url_kwargs={"person_id": person.pk},
                )
            )


def get_renewal_for_family(family, renewal_id: int) -> Renewal:
    return get_object_or_404(
        Renewal.objects.filter(organisation_id=family.organisation_id, family=family), pk=renewal_id
    )


def latest_renewal(family, *, school_year: date) -> Renewal | None:
    return (
        Renewal.objects.filter(organisation_id=family.organisation_id, family=family, school_year=school_year)
        .order_by("-created_at", "-id")
        .first()
    )


def renewed_registrations(renewal: Renewal) -> list[RenewedRegistration]:
    return list(
        RenewedRegistration.objects.filter(organisation_id=renewal.organisation_id, renewal=renewal)
        .select_related(
            "registration", "registration__child", "registration__activity", "registration__group", "previous__activity"
        )
        .order_by(
            "registration__child__birth_date",
            "registration__child__first_name",
            "registration__activity__start_date",
            "id",
        )
    )
