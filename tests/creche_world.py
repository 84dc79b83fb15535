"""Shared set-up of the crèche tests: a multi-accueil, its own PSU scale, a family with a child."""

from datetime import date
from decimal import Decimal

from ribambelle.activities.models import ActivityKind
from ribambelle.creche import services
from ribambelle.creche.models import ContractKind, PsuScale, ResourceSource
from ribambelle.tenancy.models import StructureKind

from .factories import ActivityFactory, FamilyFactory, PersonFactory, StructureFactory

D = Decimal
RATES = {
    "collective_1": D("0.0619"),
    "collective_2": D("0.0516"),
    "collective_3": D("0.0413"),
    "collective_4_7": D("0.0310"),
    "collective_8": D("0.0206"),
    "family_1": D("0.0516"),
    "family_2": D("0.0413"),
    "family_3": D("0.0310"),
    "family_4_7": D("0.0310"),
    "family_8": D("0.0206"),
}
# Monday to Thursday 08:00-17:00: 36 h a week (worked example).
WEEK_36 = {str(day): ["08:00", "17:00"] for day in range(4)}


def scale(organisation, valid_from: date, *, floor="801.00", ceiling="7000.00") -> PsuScale:
    return PsuScale.objects.create(
        organisation=organisation, valid_from=valid_from, floor=D(floor), ceiling=D(ceiling), **RATES
    )


def creche(organisation):
    structure = StructureFactory(
        organisation=organisation, kind=StructureKind.MULTI_ACCUEIL, name="Multi-accueil", age_min_months=2
    )
    return ActivityFactory(
        organisation=organisation,
        structure=structure,
        kind=ActivityKind.MULTI_ACCUEIL,
        name="Multi-accueil 2026",
        start_date=date(2025, 1, 1),
        end_date=date(2027, 12, 31),
    )


def values(**changes) -> dict:
    base = {
        "schedule": WEEK_36,
        "weeks_per_year": D("45"),
        "months_billed": 12,
        "annual_resources": D("42000.00"),
        "resources_source": ResourceSource.CDAP,
        "resources_reference": "1234567",
        "resources_date": date(2026, 8, 20),
        "dependent_children": 2,
        "aeeh": False,
    }
    return {**base, **changes}


def contract(
    organisation, activity, *, family=None, start=date(2026, 9, 1), end=date(2027, 8, 31), kind=None, **changes
):
    family = family or FamilyFactory(organisation=organisation, name="MARTIN")
    child = PersonFactory(organisation=organisation, family=family, first_name="Jade", birth_date=date(2025, 3, 1))
    return services.create_contract(
        family=family,
        child=child,
        activity=activity,
        kind=kind or ContractKind.REGULAR,
        care_type="collective",
        start_date=start,
        end_date=end,
        values=values(**changes),
        acting_user=None,
    )
