"""Custody writes: a family's households (adults, logins) and its custody arrangements.

An arrangement is never edited: a change is a new arrangement from a date, so the days before
it keep their payer and the invoices already issued are never moved."""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from ribambelle.core.actions import action
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit, save_with_audit
from ribambelle.families.models import Family, PersonRole

from .models import CustodyArrangement, CustodyMode, Household, HouseholdAdult, HouseholdLogin

HOUSEHOLD_FIELDS = [
    "label",
    "address_line",
    "address_line_2",
    "postal_code",
    "city",
    "phone",
    "email",
    "payer_civility",
    "payer_last_name",
    "payer_first_name",
    "contacts_visible",
]


@action
def save_household(
    *, family: Family, household: Household | None = None, fields: dict, adults=(), logins=(), acting_user
) -> Household:
    """Create or change one of the family's two households, with the adults living there and the
    logins attached to it (an adult or a login belongs to one household at most)."""
    if household is None:
        taken = set(
            Household.objects.filter(organisation=family.organisation, family=family).values_list("position", flat=True)
        )
        free = [p for p in (1, 2) if p not in taken]
        if not free:
            raise DomainError(_("Ce dossier a déjà deux foyers."))
        household = Household(organisation=family.organisation, family=family, position=free[0])
    elif household.family_id != family.pk:
        raise DomainError(_("Ce foyer n'appartient pas à cette famille."))
    adults, logins = list(adults), list(logins)
    for adult in adults:
        if (
            adult.family_id != family.pk
            or adult.role != PersonRole.ADULT
            or adult.organisation_id != family.organisation_id
        ):
            raise DomainError(_("Choisissez des responsables de cette famille."), field="adults")
    for user in logins:
        if user.family_id != family.pk or user.organisation_id != family.organisation_id:
            raise DomainError(_("Choisissez des comptes de cette famille."), field="logins")
    household = save_with_audit(
        household, fields={k: fields[k] for k in HOUSEHOLD_FIELDS if k in fields}, acting_user=acting_user
    )
    HouseholdAdult.objects.filter(organisation=family.organisation, household=household).exclude(
        person__in=adults
    ).delete()
    for adult in adults:
        HouseholdAdult.objects.update_or_create(
            organisation=family.organisation, person=adult, defaults={"household": household}
        )
    HouseholdLogin.objects.filter(organisation=family.organisation, household=household).exclude(
        user__in=logins
    ).delete()
    for user in logins:
        HouseholdLogin.objects.update_or_create(
            organisation=family.organisation, user=user, defaults={"household": household}
        )
    record_audit(
        organisation=family.organisation,
        actor=acting_user,
        action="update",
        obj=household,
        changes={"adults": [a.pk for a in adults], "logins": [u.pk for u in logins]},
    )
    return household


@action
def set_arrangement(
    *,
    family: Family,
    valid_from: date,
    mode: str,
    even_weeks: Household | None = None,
    first_weekdays=(),
    first_percent: Decimal | None = None,
    acting_user,
) -> CustodyArrangement:
    """A new custody arrangement from `valid_from` (the earlier ones stay as history). Refused
    from a day already invoiced, so issued invoices never change payer."""
    from ribambelle.billing.models import Invoice, InvoiceKind, InvoiceStatus

    households = list(Household.objects.filter(organisation=family.organisation, family=family))
    if len(households) != 2:
        raise DomainError(_("Créez d'abord les deux foyers de la famille."))
    if mode not in CustodyMode.values:
        raise DomainError(_("Choisissez un mode de garde."), field="mode")
    if mode == CustodyMode.ALTERNATE_WEEKS:
        if even_weeks is None or even_weeks.pk not in {h.pk for h in households}:
            raise DomainError(_("Choisissez le foyer qui a les semaines paires."), field="even_weeks")
    else:
        even_weeks = None
    weekdays = sorted({int(d) for d in first_weekdays}) if mode == CustodyMode.WEEKDAYS else []
    if mode == CustodyMode.WEEKDAYS and not weekdays:
        raise DomainError(_("Cochez au moins un jour pour le foyer 1."), field="first_weekdays")
    if any(d < 0 or d > 6 for d in weekdays):
        raise DomainError(_("Jour de la semaine inconnu."), field="first_weekdays")
    if mode == CustodyMode.PERCENTAGE:
        if first_percent is None or not (Decimal("0") <= first_percent <= Decimal("100")):
            raise DomainError(_("Indiquez la part du foyer 1, entre 0 et 100 %."), field="first_percent")
    else:
        first_percent = None
    invoiced_after = (
        Invoice.objects.filter(
            organisation=family.organisation, family=family, kind=InvoiceKind.INVOICE, period_end__gte=valid_from
        )
        .exclude(status=InvoiceStatus.CREDITED)
        .order_by("-period_end")
        .first()
    )
    if invoiced_after is not None:
        raise DomainError(
            _(
                "Des jours à partir de cette date sont déjà facturés (facture %(number)s jusqu'au %(end)s) : "
                "choisissez une date après la dernière facture."
            )
            % {"number": invoiced_after.number, "end": f"{invoiced_after.period_end:%d/%m/%Y}"},
            field="valid_from",
        )
    if CustodyArrangement.objects.filter(
        organisation=family.organisation, family=family, valid_from=valid_from
    ).exists():
        raise DomainError(_("Un mode de garde commence déjà à cette date."), field="valid_from")
    arrangement = CustodyArrangement(
        organisation=family.organisation,
        family=family,
        valid_from=valid_from,
        mode=mode,
        even_weeks=even_weeks,
        first_weekdays=weekdays,
        first_percent=first_percent,
        created_by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
    )
    arrangement.full_clean()
    arrangement.save()
    record_audit(
        organisation=family.organisation,
        actor=acting_user,
        action="create",
        obj=arrangement,
        changes={"mode": mode, "valid_from": valid_from.isoformat()},
    )
    return arrangement
