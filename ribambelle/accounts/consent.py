"""GDPR consents (seed step 5): personal data, required to use the portal; health data,
optional, without which health fields are neither shown nor collected."""

from functools import cached_property

from django.db import transaction
from django.db.models import Case, F, OuterRef, Subquery, When
from django.dispatch import Signal

from ribambelle.core.actions import action

from .models import ConsentKind, ConsentRecord
from .services import log_family_action

# Sent after a family withdraws its health consent: the families app erases health data.
health_consent_withdrawn = Signal()


class ConsentState:
    """Personal consent is each adult's own; health consent is the family's latest decision.

    Read lazily: most pages only need the personal one (one indexed query).
    """

    def __init__(self, user):
        self._user = user
        self._version = user.organisation.gdpr_text_version

    @cached_property
    def personal_record(self) -> ConsentRecord | None:
        return (
            ConsentRecord.objects.filter(
                organisation_id=self._user.organisation_id, user=self._user, kind=ConsentKind.PERSONAL
            )
            .order_by("-created_at", "-id")
            .first()
        )

    @cached_property
    def health_record(self) -> ConsentRecord | None:
        return (
            ConsentRecord.objects.filter(
                organisation_id=self._user.organisation_id, family_id=self._user.family_id, kind=ConsentKind.HEALTH
            )
            .order_by("-created_at", "-id")
            .first()
        )

    @property
    def personal(self) -> bool:
        if hasattr(self._user, "personal_consent_version"):  # read with the login (accounts.backends)
            return self._user.personal_consent_version == self._version
        record = self.personal_record
        return bool(record and record.given and record.text_version == self._version)

    @property
    def health(self) -> bool:
        record = self.health_record
        return bool(record and record.given and record.text_version == self._version)


def personal_consent_version():
    """For a login query: the text version of the user's latest personal consent if it was given
    (None if withdrawn or never given), so pages know without a query of their own."""
    latest = ConsentRecord.objects.filter(
        organisation_id=OuterRef("organisation_id"), user_id=OuterRef("pk"), kind=ConsentKind.PERSONAL
    ).order_by("-created_at", "-id")
    return Subquery(latest.annotate(accepted=Case(When(given=True, then=F("text_version")))).values("accepted")[:1])


def _forget_login_consent(user) -> None:
    """After recording an answer, the version read with the login is out of date. (`delattr`, not
    the instance's __dict__: request.user is a lazy proxy, whose own __dict__ is not the user's.)"""
    if hasattr(user, "personal_consent_version"):
        delattr(user, "personal_consent_version")


def consent_state(user) -> ConsentState:
    return ConsentState(user)


def family_has_health_consent(family) -> bool:
    latest = (
        ConsentRecord.objects.filter(organisation_id=family.organisation_id, family=family, kind=ConsentKind.HEALTH)
        .order_by("-created_at", "-id")
        .first()
    )
    return bool(latest and latest.given and latest.text_version == family.organisation.gdpr_text_version)


@action
def record_consents(*, user, personal: bool, health: bool, request=None) -> ConsentState:
    """Record the answers of the consent page. Refusing personal data means no portal."""
    version = user.organisation.gdpr_text_version
    before = consent_state(user)
    with transaction.atomic():
        for kind, given in ((ConsentKind.PERSONAL, personal), (ConsentKind.HEALTH, health)):
            previous = before.personal_record if kind == ConsentKind.PERSONAL else before.health_record
            unchanged = previous is not None and previous.given == given and previous.text_version == version
            if unchanged or (previous is None and not given):
                continue
            ConsentRecord.objects.create(
                organisation_id=user.organisation_id,
                family_id=user.family_id,
                user=user,
                kind=kind,
                given=given,
                text_version=version,
            )
            log_family_action(
                family=user.family,
                user=user,
                request=request,
                action=f"consent_{kind}_{'given' if given else 'withdrawn'}",
                data={"version": version},
            )
            # Only an explicit withdrawal erases health data; a consent left unrenewed after
            # the organisation changed its text only hides it until the family answers.
            if (
                kind == ConsentKind.HEALTH
                and not given
                and previous
                and previous.given
                and previous.text_version == version
            ):
                transaction.on_commit(lambda: health_consent_withdrawn.send(sender=None, family=user.family))
    _forget_login_consent(user)
    return consent_state(user)


@action
def withdraw_consent(*, user, kind: str, request=None) -> ConsentState:
    state = consent_state(user)
    return record_consents.inner(
        user=user,
        personal=False if kind == ConsentKind.PERSONAL else state.personal,
        health=False if kind == ConsentKind.HEALTH else state.health,
        request=request,
    )
