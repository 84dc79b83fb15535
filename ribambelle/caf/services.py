"""Writes of CAF reporting: the settings, a family's régime and dated quotients, frozen reports."""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from ribambelle.core.actions import action
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit, save_with_audit
from ribambelle.families.models import Family, QuotientRecord

from . import counting
from .models import ActivityCafRule, CafSettings, CafSnapshot, StructureCafIdentifiers, UnitHourEquivalent
from .selectors import build_report


@action
def save_caf_settings(*, organisation, age_bounds: str, acting_user) -> CafSettings:
    """Age bands are cut at whole ages between 1 and 25 years."""
    try:
        bounds = counting.parse_age_bounds(age_bounds)
    except ValueError:
        raise DomainError(
            _("Indiquez des âges entiers entre 1 et 25, séparés par des virgules, par exemple « 6 »."),
            field="age_bounds",
        ) from None
    settings = CafSettings.objects.filter(organisation=organisation).first() or CafSettings(organisation=organisation)
    return save_with_audit(settings, fields={"age_bounds": ", ".join(map(str, bounds))}, acting_user=acting_user)


@action
def save_structure_identifiers(*, structure, values: dict, acting_user) -> StructureCafIdentifiers:
    identifiers = StructureCafIdentifiers.objects.filter(
        organisation=structure.organisation, structure=structure
    ).first() or StructureCafIdentifiers(organisation=structure.organisation, structure=structure)
    fields = {name: values[name].strip() for name in ("caf_number", "agreement_number", "convention_number")}
    return save_with_audit(identifiers, fields=fields, acting_user=acting_user)


@action
def save_activity_rule(*, activity, values: dict, unit_hours: dict, acting_user) -> ActivityCafRule:
    """An activity's accueil type, caps and rounding, and its units' hour-equivalents
    (`unit_hours`: unit -> hours, None to count the unit's time span)."""
    rule = ActivityCafRule.objects.filter(
        organisation=activity.organisation, activity=activity
    ).first() or ActivityCafRule(organisation=activity.organisation, activity=activity)
    fields = {name: values[name] for name in ("care_type", "daily_cap_hours", "wednesday_cap_hours", "rounding")}
    rule = save_with_audit(rule, fields=fields, acting_user=acting_user)
    for unit, hours in unit_hours.items():
        if unit.activity_id != activity.pk or unit.organisation_id != activity.organisation_id:
            raise DomainError(_("Cette unité n'appartient pas à l'activité."))
        current = UnitHourEquivalent.objects.filter(organisation=activity.organisation, unit=unit).first()
        if hours is None:
            if current is not None:
                current.delete()
                record_audit(
                    organisation=activity.organisation,
                    actor=acting_user,
                    action="delete",
                    obj=unit,
                    changes={"caf_hours": {"old": str(current.hours), "new": None}},
                )
            continue
        save_with_audit(
            current or UnitHourEquivalent(organisation=activity.organisation, unit=unit),
            fields={"hours": hours},
            acting_user=acting_user,
        )
    return rule


@action
def set_family_regime(*, family: Family, regime: str, acting_user) -> Family:
    family = Family.objects.select_for_update().get(pk=family.pk, organisation=family.organisation)
    return save_with_audit(family, fields={"regime": regime}, acting_user=acting_user)


@action
def record_family_quotient(
    *, family: Family, value: Decimal, source: str, reference_month: date, acting_user
) -> QuotientRecord:
    """Add a dated quotient to the family's history (one per month). The latest record is also
    the family's current QF, the one billing uses: the current fields follow it."""
    month = reference_month.replace(day=1)
    family = Family.objects.select_for_update().get(pk=family.pk, organisation=family.organisation)
    if QuotientRecord.objects.filter(organisation=family.organisation, family=family, reference_month=month).exists():
        raise DomainError(
            _("Un quotient est déjà enregistré pour %(month)s.") % {"month": f"{month:%m/%Y}"},
            field="reference_month",
        )
    record = save_with_audit(
        QuotientRecord(organisation=family.organisation, family=family, recorded_by=acting_user),
        fields={"value": value, "source": source, "reference_month": month},
        acting_user=acting_user,
    )
    latest = (
        QuotientRecord.objects.filter(organisation=family.organisation, family=family)
        .order_by("-reference_month")
        .first()
    )
    if latest.pk == record.pk and (family.family_quotient_date is None or month >= family.family_quotient_date):
        save_with_audit(
            family,
            fields={"family_quotient": value, "family_quotient_date": month, "family_quotient_source": source},
            acting_user=acting_user,
        )
    return record


@action
def freeze_report(*, organisation, structure, start: date, end: date, label: str, acting_user) -> CafSnapshot:
    """Keep the report's figures as they are today, for the annual declaration: a frozen report
    is never recomputed; later corrections show as differences against it."""
    if start > end:
        raise DomainError(_("La date de fin doit suivre la date de début."))
    report = build_report(organisation, start=start, end=end, structure=structure)
    name = acting_user.get_full_name() or acting_user.email
    snapshot = CafSnapshot.objects.create(
        organisation=organisation,
        structure=structure,
        period_start=start,
        period_end=end,
        label=label.strip()[:120],
        figures=report.figures(),
        frozen_by=acting_user,
        frozen_by_name=name[:250],
    )
    record_audit(
        organisation=organisation,
        actor=acting_user,
        action="freeze",
        obj=snapshot,
        changes={"period": f"{start} – {end}", "structure": str(structure) if structure else ""},
    )
    return snapshot
