"""Configuring activities: groups, units, the openings calendar, duplication."""

from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from ribambelle.core.actions import action
from ribambelle.core.dates import is_public_holiday
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit, save_with_audit

from .models import Activity, ClosureDay, Group, Opening, Unit, UnitExclusion


def _same_organisation(organisation, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.organisation_id != organisation.id:
            raise DomainError(_("Cet élément n'appartient pas à votre organisation."))


@action
def save_activity(*, organisation, activity: Activity | None = None, fields: dict, acting_user) -> Activity:
    _same_organisation(organisation, fields.get("structure"), fields.get("sector"))
    activity = activity or Activity(organisation=organisation)
    _same_organisation(organisation, activity)
    if not fields.get("sector") and fields.get("structure") is not None:
        fields["sector"] = fields["structure"].sector
    if not fields.get("weekdays"):
        raise DomainError(_("Choisissez au moins un jour de la semaine."), field="weekdays")
    closes = fields.get("registration_closes_at")
    if closes and closes <= fields["registration_opens_at"]:
        raise DomainError(_("La clôture des inscriptions doit suivre leur ouverture."), field="registration_closes_at")
    return save_with_audit(activity, fields=fields, acting_user=acting_user)


@action
def save_group(*, activity: Activity, group: Group | None = None, fields: dict, acting_user) -> Group:
    group = group or Group(organisation_id=activity.organisation_id, activity=activity)
    if group.activity_id != activity.id:
        raise DomainError(_("Ce groupe n'appartient pas à cette activité."))
    created = group.pk is None
    group = save_with_audit(group, fields=fields, acting_user=acting_user)
    if created:
        generate_openings.inner(activity=activity)
    return group


@action
def save_unit(*, activity: Activity, unit: Unit | None = None, fields: dict, excludes=(), acting_user) -> Unit:
    unit = unit or Unit(organisation_id=activity.organisation_id, activity=activity)
    if unit.activity_id != activity.id:
        raise DomainError(_("Cette unité n'appartient pas à cette activité."))
    created = unit.pk is None
    with transaction.atomic():
        unit = save_with_audit(unit, fields=fields, acting_user=acting_user)
        set_unit_exclusions.inner(unit=unit, excludes=excludes)
    if created:
        generate_openings.inner(activity=activity)
    return unit


@action
def set_unit_exclusions(*, unit: Unit, excludes) -> None:
    """Exclusions go both ways: "Journée" excludes "Matin" and "Matin" excludes "Journée"."""
    others = [u for u in excludes if u.pk != unit.pk]
    if any(u.activity_id != unit.activity_id for u in others):
        raise DomainError(_("Une unité ne peut exclure que des unités de la même activité."))
    UnitExclusion.objects.filter(organisation_id=unit.organisation_id, from_unit=unit).delete()
    UnitExclusion.objects.filter(organisation_id=unit.organisation_id, to_unit=unit).delete()
    rows = []
    for other in others:
        rows.append(UnitExclusion(organisation_id=unit.organisation_id, from_unit=unit, to_unit=other))
        rows.append(UnitExclusion(organisation_id=unit.organisation_id, from_unit=other, to_unit=unit))
    UnitExclusion.objects.bulk_create(rows, ignore_conflicts=True)


def opening_days(activity: Activity) -> list[date]:
    """The period's days on the activity's week days, minus closures and public holidays."""
    closed = set(ClosureDay.objects.filter(activity=activity).values_list("date", flat=True))
    weekdays = set(activity.weekday_list)
    days, day = [], activity.start_date
    while day <= activity.end_date:
        if day.weekday() in weekdays and day not in closed and not is_public_holiday(day):
            days.append(day)
        day += timedelta(days=1)
    return days


@action
def generate_openings(*, activity: Activity) -> int:
    """Create the missing openings (unit × group × day). Existing ones keep their edited capacity;
    days no longer in the calendar are closed, not deleted, so bookings on them stay visible."""
    days = opening_days(activity)
    # Fresh queries: the caller's activity may carry a prefetched (stale) list of groups and units.
    units = list(Unit.objects.filter(activity=activity))
    groups = list(Group.objects.filter(activity=activity))
    existing = set(Opening.objects.filter(activity=activity).values_list("unit_id", "group_id", "date"))
    new = [
        Opening(
            organisation_id=activity.organisation_id,
            activity=activity,
            unit=unit,
            group=group,
            date=day,
            capacity=group.default_capacity,
        )
        for day in days
        for unit in units
        for group in groups
        if (unit.pk, group.pk, day) not in existing
    ]
    Opening.objects.bulk_create(new, batch_size=1000)
    Opening.objects.filter(activity=activity).exclude(date__in=days).update(is_closed=True)
    Opening.objects.filter(activity=activity, date__in=days, is_closed=True).update(is_closed=False)
    return len(new)


@action
def close_day(*, activity: Activity, day: date, reason: str, acting_user) -> ClosureDay:
    if not activity.start_date <= day <= activity.end_date:
        raise DomainError(_("Ce jour est en dehors de la période de l'activité."))
    closure, _created = ClosureDay.objects.get_or_create(
        organisation_id=activity.organisation_id, activity=activity, date=day, defaults={"reason": reason}
    )
    generate_openings.inner(activity=activity)
    record_audit(
        organisation=activity.organisation,
        actor=acting_user,
        action="close_day",
        obj=activity,
        changes={"date": str(day), "reason": reason},
    )
    return closure


@action
def set_capacity(*, opening: Opening, capacity: int, acting_user) -> Opening:
    if capacity < 0 or capacity > 10000:
        raise DomainError(_("Indiquez un nombre de places entre 0 et 10 000."))
    return save_with_audit(opening, fields={"capacity": capacity}, acting_user=acting_user, action="capacity")


@action
def duplicate_activity(*, activity: Activity, start_date: date, name: str, acting_user) -> Activity:
    """The same activity for another period: groups, units, exclusions and settings follow;
    the registration window and age reference move by the same number of days."""
    shift = start_date - activity.start_date
    copy = Activity.objects.get(pk=activity.pk)
    copy.pk = None
    copy.name = name.strip() or activity.name
    copy.start_date = activity.start_date + shift
    copy.end_date = activity.end_date + shift
    copy.registration_opens_at = activity.registration_opens_at + shift
    copy.registration_closes_at = activity.registration_closes_at + shift if activity.registration_closes_at else None
    copy.age_reference_date = activity.age_reference_date + shift if activity.age_reference_date else None
    copy.previous_activity = activity
    copy.full_clean()
    copy.save()
    for group in activity.groups.all():
        group.pk = None
        group.activity = copy
        group.save()
    unit_map = {}
    for unit in activity.units.all():
        old_pk = unit.pk
        unit.pk = None
        unit.activity = copy
        unit.save()
        unit_map[old_pk] = unit
    UnitExclusion.objects.bulk_create(
        UnitExclusion(
            organisation_id=copy.organisation_id, from_unit=unit_map[e.from_unit_id], to_unit=unit_map[e.to_unit_id]
        )
        for e in UnitExclusion.objects.filter(from_unit__activity=activity)
    )
    generate_openings.inner(activity=copy)
    record_audit(
        organisation=copy.organisation, actor=acting_user, action="duplicate", obj=copy, changes={"from": activity.pk}
    )
    return copy
