"""Reads for documents. Expected documents are derived here, never stored.

For the registrations code (and anything else that must know what a family still owes):

    from ribambelle.documents.selectors import missing_documents
    missing = missing_documents(organisation=org, family=family, person=child, activity_kind=activity.kind)
    # -> list[ExpectedDocument] whose state is not "accepted" (expected, received, refused, expired);
    #    each has .document_type, .person, .state, .state_label, .period_label, .refusal_text, .is_pending.
    # `activity_kind` may be a string or an iterable of kinds. An empty list means nothing is missing.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ribambelle.families.models import Person, PersonRole
from ribambelle.tenancy.access import children_in_reach, in_reach, structure_limit

from .models import (
    DocumentScope,
    DocumentType,
    PublishedDocument,
    SubmissionStatus,
    SubmittedDocument,
    SubmittedPage,
    Validity,
    Visibility,
    school_year_start,
)


class State:
    EXPECTED = "expected"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    EXPIRED = "expired"


STATE_LABELS = {
    State.EXPECTED: gettext_lazy("Aucun document transmis"),
    State.RECEIVED: gettext_lazy("En cours de traitement"),
    State.ACCEPTED: gettext_lazy("Accepté"),
    State.REFUSED: gettext_lazy("Refusé"),
    State.EXPIRED: gettext_lazy("Expiré"),
}
STATE_SYMBOLS = {
    State.EXPECTED: "○",
    State.RECEIVED: "↻",
    State.ACCEPTED: "✔",
    State.REFUSED: "✘",
    State.EXPIRED: "⚠",
}


@dataclass
class ExpectedDocument:
    """One document type for the family or one person, and where it stands today."""

    document_type: DocumentType
    person: Person | None
    state: str
    period_label: str
    required: bool
    submission: SubmittedDocument | None = None

    @property
    def state_label(self) -> str:
        if self.state == State.ACCEPTED and self.submission and self.submission.expires_on:
            return _("Accepté, valable jusqu'au %(date)s") % {"date": f"{self.submission.expires_on:%d/%m/%Y}"}
        return STATE_LABELS[self.state]

    @property
    def symbol(self) -> str:
        return STATE_SYMBOLS[self.state]

    @property
    def refusal_text(self) -> str:
        return self.submission.refusal_text if self.state == State.REFUSED and self.submission else ""

    @property
    def is_pending(self) -> bool:
        """Counted in "N document(s) attendu(s) ou en cours de traitement"."""
        return self.state != State.ACCEPTED

    @property
    def title(self) -> str:
        return f"{self.document_type.name} {self.period_label}".strip()


@dataclass
class DocumentSection:
    """The family section or one person's section of "Mes documents"."""

    person: Person | None
    documents: list[ExpectedDocument] = field(default_factory=list)
    types: list[DocumentType] = field(default_factory=list)  # what "Ajouter un document" offers

    @property
    def pending_count(self) -> int:
        return sum(1 for doc in self.documents if doc.is_pending)

    @property
    def pending_label(self) -> str:
        count = self.pending_count
        if count == 0:
            return _("Aucun document attendu ou en cours de traitement")
        return ngettext(
            "%(count)s document attendu ou en cours de traitement",
            "%(count)s documents attendus ou en cours de traitement",
            count,
        ) % {"count": count}


def _kinds(activity_kind) -> set[str]:
    if activity_kind is None:
        return set()
    if isinstance(activity_kind, str):
        return {activity_kind}
    return set(activity_kind)


def _applies(document_type: DocumentType, person: Person | None) -> bool:
    if document_type.scope == DocumentScope.FAMILY:
        return person is None
    if person is None:
        return False
    return person.role == (PersonRole.CHILD if document_type.scope == DocumentScope.CHILD else PersonRole.ADULT)


def _current(document_type: DocumentType, submissions: list[SubmittedDocument], today: date):
    """The submission that speaks for today: the latest one, within this school year for yearly types."""
    if document_type.validity == Validity.SCHOOL_YEAR:
        year = school_year_start(today)
        submissions = [s for s in submissions if s.period_start == year]
    return submissions[0] if submissions else None  # ordered newest first


def _state(submission: SubmittedDocument | None, today: date) -> str:
    if submission is None:
        return State.EXPECTED
    if submission.status == SubmissionStatus.RECEIVED:
        return State.RECEIVED
    if submission.status == SubmissionStatus.REFUSED:
        return State.REFUSED
    if submission.expires_on is not None and submission.expires_on < today:
        return State.EXPIRED
    return State.ACCEPTED


def active_types(organisation, *, include_health: bool = True):
    types = DocumentType.objects.filter(organisation=organisation, is_active=True)
    if not include_health:
        types = types.filter(is_health=False)
    return types


def registered_kinds(*, organisation, family) -> dict[int | None, set[str]]:
    """The activity kinds of the family's registrations that hold or ask for a place: per child,
    and all of them under None for the family's own documents. The same rule as the registration
    summary and the staff queue (`missing_for_registrations`): what a registration requires."""
    from ribambelle.registrations.models import ACTIVE_STATUSES, Registration

    kinds: dict[int | None, set[str]] = {None: set()}
    for child_id, kind in Registration.objects.filter(
        organisation=organisation, family=family, status__in=ACTIVE_STATUSES
    ).values_list("child_id", "activity__kind"):
        kinds.setdefault(child_id, set()).add(kind)
        kinds[None].add(kind)
    return kinds


def document_sections(
    *,
    organisation,
    family,
    activity_kind=None,
    include_health: bool = True,
    today: date | None = None,
    for_registrations: bool = False,
) -> list[DocumentSection]:
    """The family section, then one per member: required types and anything sent, with states.

    A type is listed for a section when it is always mandatory, required by one of the
    given activity kinds (with `for_registrations`, also by the kinds of the family's
    registrations, as the registration summary says), or when something was already sent
    for it. Four queries, five with `for_registrations`.
    """
    today = today or timezone.localdate()
    kinds = _kinds(activity_kind)
    by_person = registered_kinds(organisation=organisation, family=family) if for_registrations else {}
    types = list(active_types(organisation, include_health=include_health))
    members = list(Person.objects.filter(organisation=organisation, family=family).order_by("role", "birth_date", "id"))
    submissions: dict[tuple[int, int | None], list[SubmittedDocument]] = {}
    for submission in (
        SubmittedDocument.objects.filter(organisation=organisation, family=family)
        .exclude(status=SubmissionStatus.REPLACED)
        .select_related("document_type")
        .prefetch_related(Prefetch("pages", queryset=SubmittedPage.objects.order_by("number")))
        .order_by("-created_at", "-id")
    ):
        submissions.setdefault((submission.document_type_id, submission.person_id), []).append(submission)

    sections = []
    for person in [None, *members]:
        section = DocumentSection(person=person)
        for document_type in types:
            if not _applies(document_type, person):
                continue
            section.types.append(document_type)
            current = _current(
                document_type, submissions.get((document_type.pk, getattr(person, "pk", None)), []), today
            )
            required = document_type.is_required_for(kinds | by_person.get(getattr(person, "pk", None), set()))
            if not required and current is None:
                continue
            section.documents.append(
                ExpectedDocument(
                    document_type=document_type,
                    person=person,
                    state=_state(current, today),
                    period_label=current.period_label if current else document_type.period_label(today),
                    required=required,
                    submission=current,
                )
            )
        sections.append(section)
    return sections


def missing_documents(*, organisation, family, person=None, activity_kind=None, today: date | None = None):
    """Documents the family still owes for `person` (and for the family itself) — the hook for registrations.

    Returns the ExpectedDocument rows that are required (mandatory, or required by
    `activity_kind`) and not accepted today: expected, received (awaiting review),
    refused or expired. Pass `person=None` for the family's own documents only.
    """
    missing = []
    for section in document_sections(
        organisation=organisation, family=family, activity_kind=activity_kind, today=today
    ):
        if section.person is not None and (person is None or section.person.pk != person.pk):
            continue
        missing.extend(doc for doc in section.documents if doc.required and doc.is_pending)
    return missing


def pending_count_for_family(*, organisation, family, include_health: bool = True) -> int:
    sections = document_sections(
        organisation=organisation, family=family, include_health=include_health, for_registrations=True
    )
    return sum(section.pending_count for section in sections)


# --- Submissions ------------------------------------------------------------------
def _with_pages(queryset):
    return queryset.select_related("document_type", "family", "person", "submitted_by", "reviewed_by").prefetch_related(
        Prefetch("pages", queryset=SubmittedPage.objects.order_by("number"))
    )


def _in_reach(membership, prefix: str = "") -> Q:
    """The family within reach and, for a child's health document, the child too
    (tenancy.access.children_in_reach): a sibling's PAI from another centre stays out."""
    children = children_in_reach(membership)
    family = in_reach(membership, f"{prefix}family")
    if children is None:
        return family
    not_a_childs_health = Q(**{f"{prefix}document_type__is_health": False}) | Q(**{f"{prefix}person__isnull": True})
    return family & (not_a_childs_health | Q(**{f"{prefix}person__in": children}))


def submissions_for_staff(membership, family):
    return submissions_for_family(membership.organisation_id, family).filter(_in_reach(membership))


def review_queue(membership, *, include_health: bool = True):
    """Documents waiting for staff, oldest first."""
    queryset = SubmittedDocument.objects.filter(
        _in_reach(membership), organisation_id=membership.organisation_id, status=SubmissionStatus.RECEIVED
    )
    if not include_health:
        queryset = queryset.filter(document_type__is_health=False)
    return _with_pages(queryset).order_by("created_at", "id")


def submissions_for_family(organisation, family):
    return _with_pages(SubmittedDocument.objects.filter(organisation=organisation, family=family)).order_by(
        "-created_at", "-id"
    )


def get_submission_for_staff(membership, submitteddocument_id: int, *, include_health: bool = True):
    queryset = SubmittedDocument.objects.filter(_in_reach(membership), organisation_id=membership.organisation_id)
    if not include_health:
        queryset = queryset.filter(document_type__is_health=False)
    return get_object_or_404(_with_pages(queryset), pk=submitteddocument_id)


def get_submission_for_family(family, submitteddocument_id: int, *, include_health: bool = True):
    queryset = SubmittedDocument.objects.filter(organisation_id=family.organisation_id, family=family)
    if not include_health:
        queryset = queryset.filter(document_type__is_health=False)
    return get_object_or_404(_with_pages(queryset), pk=submitteddocument_id)


def get_page_for_family(family, submittedpage_id: int, *, include_health: bool = True) -> SubmittedPage:
    queryset = SubmittedPage.objects.filter(organisation_id=family.organisation_id, family=family).exclude(
        document__status=SubmissionStatus.REPLACED
    )
    if not include_health:
        queryset = queryset.filter(document__document_type__is_health=False)
    return get_object_or_404(queryset.select_related("document__document_type"), pk=submittedpage_id)


def get_page_for_staff(membership, submittedpage_id: int, *, include_health: bool = True) -> SubmittedPage:
    queryset = SubmittedPage.objects.filter(
        _in_reach(membership, "document__"), organisation_id=membership.organisation_id
    )
    if not include_health:
        queryset = queryset.filter(document__document_type__is_health=False)
    return get_object_or_404(queryset.select_related("document__document_type", "family"), pk=submittedpage_id)


def get_type(organisation, documenttype_id: int, *, active_only: bool = False) -> DocumentType:
    queryset = DocumentType.objects.filter(organisation=organisation)
    if active_only:
        queryset = queryset.filter(is_active=True)
    return get_object_or_404(queryset, pk=documenttype_id)


def document_types(organisation):
    return DocumentType.objects.filter(organisation=organisation).order_by("scope", "name", "id")


# --- Published documents ("Documentation structure") --------------------------------
def _published_now(organisation, today: date):
    return (
        PublishedDocument.objects.filter(organisation=organisation, published_from__lte=today)
        .filter(Q(published_until__isnull=True) | Q(published_until__gte=today))
        .select_related("structure", "to_return")
    )


def published_for_public(organisation, *, today: date | None = None):
    return _published_now(organisation, today or timezone.localdate()).filter(visibility=Visibility.PUBLIC)


def published_for_family(organisation, *, today: date | None = None):
    return _published_now(organisation, today or timezone.localdate())


def published_for_staff(membership):
    """What a member manages: their structures' documents; the organisation-wide ones
    (no structure) and every structure's for staff without a structure list."""
    documents = PublishedDocument.objects.filter(organisation_id=membership.organisation_id)
    limit = structure_limit(membership)
    if limit is not None:
        documents = documents.filter(structure_id__in=limit)
    return documents.select_related("structure", "to_return")


def get_published_for_download(organisation, publisheddocument_id: int, *, family_user: bool, staff: bool):
    if staff:
        # Reading is not managing: any staff member may open what every family may open.
        queryset = PublishedDocument.objects.filter(organisation=organisation)
    elif family_user:
        queryset = published_for_family(organisation)
    else:
        queryset = published_for_public(organisation)
    return get_object_or_404(queryset, pk=publisheddocument_id)


def members_for_family(organisation, family, person_id: int) -> Person:
    return get_object_or_404(Person, organisation=organisation, family=family, pk=person_id)


def missing_for_registrations(organisation, registrations, *, today: date | None = None) -> dict[int, list]:
    """`missing_documents` for many registrations at once (queue pages): two queries in all.

    For each registration, the documents required for its child and its family (mandatory, or
    required by the activity's kind) that are not accepted today.
    """
    today = today or timezone.localdate()
    registrations = list(registrations)
    if not registrations:
        return {}
    types = list(active_types(organisation))
    submissions: dict[tuple[int, int, int | None], list[SubmittedDocument]] = {}
    for submission in (
        SubmittedDocument.objects.filter(organisation=organisation, family_id__in={r.family_id for r in registrations})
        .exclude(status=SubmissionStatus.REPLACED)
        .order_by("-created_at", "-id")
    ):
        key = (submission.family_id, submission.document_type_id, submission.person_id)
        submissions.setdefault(key, []).append(submission)
    missing: dict[int, list] = {}
    for registration in registrations:
        kinds = _kinds(registration.activity.kind)
        rows = []
        for person in (None, registration.child):
            for document_type in types:
                if not _applies(document_type, person) or not document_type.is_required_for(kinds):
                    continue
                key = (registration.family_id, document_type.pk, getattr(person, "pk", None))
                current = _current(document_type, submissions.get(key, []), today)
                expected = ExpectedDocument(
                    document_type=document_type,
                    person=person,
                    state=_state(current, today),
                    period_label=current.period_label if current else document_type.period_label(today),
                    required=True,
                    submission=current,
                )
                if expected.is_pending:
                    rows.append(expected)
        missing[registration.pk] = rows
    return missing


def review_queue_list_for_staff(membership, params, *, include_health: bool = True):
    """The review queue as filtered and sorted by the page (`filterset.qs`); the type filter offers the types
    the member may see (no health document types without the right to see health)."""
    from .filters import ReviewQueueFilter

    return ReviewQueueFilter(
        params,
        queryset=review_queue(membership, include_health=include_health),
        document_types=active_types(membership.organisation_id, include_health=include_health).order_by("name"),
    )
