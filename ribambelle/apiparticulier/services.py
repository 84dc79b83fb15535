"""Writes of API Particulier: the settings (token encrypted), the families' consents, the calls
(each one journalled in QuotientCall, without personal data) and the confirmation of a fetched
quotient into the family's file.

Calls to the service run outside any transaction (`step_by_step`): an HTTP wait never holds a
database lock, and each call's journal line is committed whatever happens next."""

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.core import crypto
from ribambelle.core.actions import action, step_by_step
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit, save_with_audit
from ribambelle.families.models import Family, QuotientRecord, QuotientSource
from ribambelle.helios.services import _luhn_ok

from . import selectors
from .client import ApiParticulierError, Identity, Misconfigured, NotFound, QuotientResult
from .models import (
    ApiParticulierSettings,
    Channel,
    FetchStatus,
    Outcome,
    QuotientCall,
    QuotientConsent,
    QuotientFetch,
)
from .provider import client_for

logger = logging.getLogger(__name__)

# The consent text's version: change it with the text (templates/apiparticulier/_consent_text.html).
CONSENT_TEXT_VERSION = "qf-2026-11"


class NoConsent(DomainError):
    """The family has not agreed (or has withdrawn): no call may be made."""


class IncompleteIdentity(DomainError):
    pass


# --- Settings -------------------------------------------------------------------------------


@action
def save_settings(
    *, organisation, enabled: bool, base_url: str, siret: str, token: str = "", acting_user
) -> ApiParticulierSettings:
    """A SIRET of 14 digits with its Luhn key (the recipient every call names); the token is kept
    encrypted, its last 4 characters only in clear; an empty token field keeps the stored one."""
    siret = re.sub(r"\s", "", siret or "")
    if siret and (not re.fullmatch(r"[0-9]{14}", siret) or not _luhn_ok(siret)):
        raise DomainError(
            _("Ce SIRET n'est pas valide : 14 chiffres dont le dernier est une clé de contrôle."), field="siret"
        )
    instance = ApiParticulierSettings.objects.select_for_update().filter(organisation=organisation).first()
    instance = instance or ApiParticulierSettings(organisation=organisation)
    token = (token or "").strip()
    if enabled and not siret:
        raise DomainError(_("Indiquez le SIRET de la collectivité pour activer le service."), field="siret")
    if enabled and not token and not instance.token_encrypted:
        raise DomainError(_("Indiquez le jeton d'accès pour activer le service."), field="token")
    if token:
        instance.token_encrypted = crypto.encrypt(token)
        instance.token_hint = token[-4:]
    saved = save_with_audit(
        instance, fields={"enabled": enabled, "base_url": base_url, "siret": siret}, acting_user=acting_user
    )
    if token:  # said, never shown
        record_audit(
            organisation=organisation,
            actor=acting_user,
            action="apiparticulier_token_changed",
            obj=saved,
            changes={"token": {"old": "••••", "new": f"••••{instance.token_hint}"}},
        )
    return saved


@step_by_step
def check_connection(*, organisation, acting_user) -> tuple[bool, str]:
    """Call the configured service with an identity nobody has: "no file" (404) or an answer prove
    that the address, the token and the SIRET are accepted."""
    probe = Identity(
        birth_name="RIBAMBELLETEST",
        first_names=("CONNEXION",),
        sex="F",
        birth_date=date(1980, 1, 1),
        birth_commune_cog="75056",
    )
    try:
        client_for(organisation).get_quotient(probe)
    except NotFound as error:
        _journal(organisation=organisation, family=None, actor=acting_user, channel=Channel.CHECK, error=error)
        return True, _("Connexion réussie : le service répond et accepte le jeton et le SIRET.")
    except ApiParticulierError as error:
        _journal(organisation=organisation, family=None, actor=acting_user, channel=Channel.CHECK, error=error)
        return False, str(error)
    _journal(organisation=organisation, family=None, actor=acting_user, channel=Channel.CHECK, provider="")
    return True, _("Connexion réussie : le service répond et accepte le jeton et le SIRET.")


@action
def save_identity(*, person, values: dict, acting_user):
    """The allocataire's birth identity (IdentityForm's cleaned values) onto the responsible adult."""
    from ribambelle.families.models import Person, PersonRole

    person = Person.objects.select_for_update().get(pk=person.pk, organisation_id=person.organisation_id)
    if person.role != PersonRole.ADULT:
        raise DomainError(_("L'allocataire est un responsable de la famille."))
    abroad = values.get("born_abroad")
    return save_with_audit(
        person,
        fields={
            "birth_name": values["birth_name"].strip(),
            "birth_first_names": " ".join(values["first_names"].split()),
            "sex": values["sex"],
            "birth_date": values["birth_date"],
            "birth_country_cog": values["birth_country_cog"],
            "birth_commune_cog": "" if abroad else values.get("birth_commune_cog", ""),
            "birth_commune_name": "" if abroad else values.get("birth_commune_name", "").strip(),
            "birth_department": "" if abroad else values.get("birth_department", "").strip().upper(),
        },
        acting_user=acting_user,
    )


# --- Consent --------------------------------------------------------------------------------


@action
def give_consent(*, family: Family, acting_user) -> QuotientConsent:
    """The family agrees, with the text it read (its version) and the time."""
    current = selectors.active_consent(family)
    if current and current.text_version == CONSENT_TEXT_VERSION:
        return current
    now = timezone.now()
    if current:
        current.withdrawn_at, current.withdrawn_by = now, acting_user
        current.save(update_fields=["withdrawn_at", "withdrawn_by", "updated_at"])
    consent = QuotientConsent.objects.create(
        organisation_id=family.organisation_id,
        family=family,
        text_version=CONSENT_TEXT_VERSION,
        given_at=now,
        given_by=acting_user,
    )
    record_audit(
        organisation=family.organisation,
        actor=acting_user,
        action="qf_consent_given",
        obj=family,
        changes={"version": CONSENT_TEXT_VERSION},
    )
    return consent


@action
def withdraw_consent(*, family: Family, acting_user) -> None:
    """No new call after this; the quotients already read stay in the file."""
    current = selectors.active_consent(family)
    if current is None:
        return
    current.withdrawn_at, current.withdrawn_by = timezone.now(), acting_user
    current.save(update_fields=["withdrawn_at", "withdrawn_by", "updated_at"])
    record_audit(
        organisation=family.organisation, actor=acting_user, action="qf_consent_withdrawn", obj=family, changes={}
    )


# --- Calls ----------------------------------------------------------------------------------


def _journal(*, organisation, family, actor, channel, error=None, provider="", france_connect=False, outcome=None):
    """The audit line of one call (or refusal): who, when, which family, outcome — nothing personal.
    The log line carries the same, by id."""
    outcome = outcome or (error.outcome if error else Outcome.FOUND)
    QuotientCall.objects.create(
        organisation_id=organisation.pk if hasattr(organisation, "pk") else organisation,
        family=family,
        actor=actor if actor is not None and actor.is_authenticated else None,
        channel=channel,
        france_connect=france_connect,
        outcome=outcome,
        provider=provider,
        http_status=getattr(error, "http_status", None) if error else 200,
        error_code=getattr(error, "code", "") if error else "",
    )
    logger.info(
        "api_particulier call org=%s family=%s actor=%s channel=%s outcome=%s",
        getattr(organisation, "pk", organisation),
        getattr(family, "pk", None),
        getattr(actor, "pk", None),
        channel,
        outcome,
    )


@dataclass
class FetchAnswer:
    result: QuotientResult | None = None
    error: ApiParticulierError | None = None
    incomplete: bool = False


def _call(client, family, *, fc_token: str = "", month=None, adults=None) -> FetchAnswer:
    """Ask with the FranceConnect token when there is one, else with each responsible adult's
    identity in turn (the allocataire may be either parent) until a file is found."""
    if fc_token:
        return FetchAnswer(result=client.get_quotient_france_connect(fc_token, month))
    identities = [i for i in (selectors.identity_for(p) for p in (adults or selectors.adults(family))) if i]
    if not identities:
        return FetchAnswer(incomplete=True)
    last = None
    for identity in identities:
        try:
            return FetchAnswer(result=client.get_quotient(identity, month))
        except NotFound as error:
            last = error
    raise last


def _fetch_one(*, family, acting_user, channel, fc_token="", client=None, adults=None, consent=None):
    """One family's call, journalled; refuses (NoConsent) without the family's consent, before any
    HTTP request."""
    has_consent = consent if consent is not None else selectors.active_consent(family) is not None
    if not has_consent:
        _journal(
            organisation=family.organisation_id,
            family=family,
            actor=acting_user,
            channel=channel,
            outcome=Outcome.REFUSED,
        )
        raise NoConsent(
            _("La famille n'a pas donné son accord pour la lecture de son quotient auprès de la CAF / MSA.")
        )
    try:
        client = client or client_for(family.organisation)
        answer = _call(client, family, fc_token=fc_token, adults=adults)
    except ApiParticulierError as error:
        _journal(
            organisation=family.organisation_id,
            family=family,
            actor=acting_user,
            channel=channel,
            error=error,
            france_connect=bool(fc_token),
        )
        return FetchAnswer(error=error)
    if answer.incomplete:
        _journal(
            organisation=family.organisation_id,
            family=family,
            actor=acting_user,
            channel=channel,
            outcome=Outcome.INCOMPLETE,
        )
        return answer
    _journal(
        organisation=family.organisation_id,
        family=family,
        actor=acting_user,
        channel=channel,
        provider=answer.result.provider,
        france_connect=bool(fc_token),
    )
    return answer


def _pending(*, family, result: QuotientResult, batch, acting_user, france_connect=False) -> QuotientFetch:
    return QuotientFetch.objects.create(
        organisation_id=family.organisation_id,
        batch=batch,
        family=family,
        requested_by=acting_user,
        france_connect=france_connect,
        provider=result.provider,
        value=result.value,
        reference_month=result.reference_month,
        calculation_month=result.calculation_month,
    )


@step_by_step
def fetch_for_staff(*, family: Family, acting_user) -> tuple[QuotientFetch | None, FetchAnswer]:
    """An agent reads one family's quotient: kept as a preview (QuotientFetch, pending) that the
    agent confirms or abandons; the family's file is untouched until then."""
    answer = _fetch_one(family=family, acting_user=acting_user, channel=Channel.STAFF)
    if answer.result is None:
        return None, answer
    return _pending(family=family, result=answer.result, batch=uuid.uuid4(), acting_user=acting_user), answer


@dataclass
class BulkRow:
    family: Family
    fetch: QuotientFetch | None = None
    error: str = ""
    outcome: str = ""


@step_by_step
def fetch_bulk(*, families: list[Family], acting_user) -> tuple[uuid.UUID, list[BulkRow]]:
    """Many families at once (selectors.families_by_ids_for_staff): one call per family with consent,
    throttled by the client under the service's rate limit; families without consent are listed,
    not called. Returns the batch of previews to confirm."""
    batch = uuid.uuid4()
    rows = []
    client = None
    for family in families:
        try:
            client = client or client_for(family.organisation)
        except Misconfigured as error:
            _journal(
                organisation=family.organisation_id, family=family, actor=acting_user, channel=Channel.BULK, error=error
            )
            rows.append(BulkRow(family=family, error=str(error), outcome=Outcome.MISCONFIGURED))
            continue
        try:
            answer = _fetch_one(
                family=family,
                acting_user=acting_user,
                channel=Channel.BULK,
                client=client,
                adults=family.qf_adults,
                consent=family.has_qf_consent,
            )
        except NoConsent as error:
            rows.append(BulkRow(family=family, error=error.message, outcome=Outcome.REFUSED))
            continue
        if answer.result is not None:
            fetch = _pending(family=family, result=answer.result, batch=batch, acting_user=acting_user)
            rows.append(BulkRow(family=family, fetch=fetch, outcome=Outcome.FOUND))
        elif answer.incomplete:
            rows.append(
                BulkRow(
                    family=family,
                    error=_("Identité de l'allocataire incomplète (naissance)."),
                    outcome=Outcome.INCOMPLETE,
                )
            )
        else:
            rows.append(BulkRow(family=family, error=str(answer.error), outcome=answer.error.outcome))
    return batch, rows


@step_by_step
def fetch_for_family(*, family: Family, acting_user, fc_token: str = "") -> FetchAnswer:
    """A parent reads their own quotient (Espace Famille): saved at once when found (the parent asked
    for it), except over a quotient typed by staff for the same or a later month, which stays."""
    answer = _fetch_one(family=family, acting_user=acting_user, channel=Channel.PORTAL, fc_token=fc_token)
    if answer.result is not None:
        source = QuotientSource.FRANCECONNECT if fc_token else QuotientSource.API
        record_fetched(family=family, result=answer.result, source=source, acting_user=acting_user)
    return answer


@action
def record_fetched(
    *, family: Family, result: QuotientResult, source: str, acting_user, replace_manual: bool = False
) -> QuotientRecord:
    """Put a fetched quotient into the family's history, as of its reference month; it becomes the
    current QF unless a quotient typed by staff for that month or a later one exists, which is kept
    unless `replace_manual` (the agent's explicit choice)."""
    family = Family.objects.select_for_update().get(pk=family.pk, organisation_id=family.organisation_id)
    month = result.reference_month
    manual = selectors.manual_newer_than(family, month)
    record = QuotientRecord.objects.filter(
        organisation_id=family.organisation_id, family=family, reference_month=month
    ).first()
    if record is None or record.source in selectors.API_SOURCES or replace_manual:
        # (a quotient typed by staff for this very month stays, unless replaced on purpose)
        record = save_with_audit(
            record or QuotientRecord(organisation_id=family.organisation_id, family=family, recorded_by=acting_user),
            fields={"value": result.value, "source": source, "reference_month": month},
            acting_user=acting_user,
        )
    if manual is None or replace_manual:
        save_with_audit(
            family,
            fields={"family_quotient": result.value, "family_quotient_date": month, "family_quotient_source": source},
            acting_user=acting_user,
        )
    return record


@action
def confirm_fetches(*, fetches: list[QuotientFetch], acting_user, replace_manual_ids=frozenset()) -> int:
    """The agent confirms previews: each becomes the family's quotient (record_fetched); a manual QF
    newer than the fetched month is replaced only for the families ticked in `replace_manual_ids`."""
    count = 0
    for fetch in fetches:
        fetch = QuotientFetch.objects.select_for_update().get(pk=fetch.pk, organisation_id=fetch.organisation_id)
        if fetch.status != FetchStatus.PENDING:
            continue
        result = QuotientResult(
            provider=fetch.provider,
            value=fetch.value,
            year=fetch.reference_month.year,
            month=fetch.reference_month.month,
        )
        record_fetched.inner(
            family=fetch.family,
            result=result,
            source=QuotientSource.FRANCECONNECT if fetch.france_connect else QuotientSource.API,
            acting_user=acting_user,
            replace_manual=fetch.family_id in replace_manual_ids,
        )
        fetch.status = FetchStatus.APPLIED
        fetch.save(update_fields=["status", "updated_at"])
        count += 1
    return count


@action
def discard_fetches(*, fetches: list[QuotientFetch], acting_user) -> None:
    QuotientFetch.objects.filter(pk__in=[f.pk for f in fetches], status=FetchStatus.PENDING).update(
        status=FetchStatus.DISCARDED
    )
