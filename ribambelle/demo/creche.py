"""Demo of the crèche under the PSU (issue 19): Pouilly's multi-accueil gets the national scales,
its CAF identifiers, three contracts — LEROY's baby Léo is the reference's worked example (2 children,
42,000 €/year, 36 h a week over 45 weeks: 1.806 €/h, 243.81 € a month), BOBLET's Lina a regular
contract, MOREAU's Noé occasional care — last month's arrivals and departures (one day with extra
hours, two days of hospitalisation for Léo), and that month invoiced through the normal run.

Runs once, after the billing and CAF sections (the loader's registry keeps it idempotent)."""

from datetime import date, time, timedelta
from decimal import Decimal

from django.utils import timezone

MULTI_ACCUEIL = "Multi-accueil de Pouilly-en-Auxois"
WEEK_36 = {str(day): ["08:00", "17:00"] for day in range(4)}  # Monday to Thursday


def _month_start(day: date, months_before: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months_before, 12)
    return date(year, month + 1, 1)


def load(pouilly) -> None:
    from ribambelle.activities.models import Activity, ActivityKind
    from ribambelle.billing.services import create_run, process_run
    from ribambelle.caf.models import StructureCafIdentifiers
    from ribambelle.creche import services
    from ribambelle.creche.models import AbsenceReason, CrecheSettings
    from ribambelle.families.models import Family, Person, PersonRole, Sex

    from .data import _family

    creche = Activity.objects.filter(
        organisation=pouilly, kind=ActivityKind.MULTI_ACCUEIL, structure__name=MULTI_ACCUEIL
    ).first()
    if creche is None:
        return
    structure = creche.structure
    services.seed_national_scales.inner(organisation=pouilly, acting_user=None)
    CrecheSettings.objects.get_or_create(organisation=pouilly, structure=structure, defaults={"rounding_minutes": 30})
    StructureCafIdentifiers.objects.get_or_create(
        organisation=pouilly,
        structure=structure,
        defaults={
            "caf_number": "21-EAJE-0310",
            "agreement_number": "0210310PMI000031",
            "convention_number": "PSU-21-2026-0310",
        },
    )
    today = timezone.localdate()
    start = _month_start(today, 3)
    end = date(start.year + 1, start.month, 1) - timedelta(days=1)
    month = _month_start(today, 1)
    month_end = today.replace(day=1) - timedelta(days=1)

    leroy = _family(pouilly, "LEROY")
    boblet = _family(pouilly, "BOBLET")
    moreau = Family.objects.create(
        organisation=pouilly,
        name="MOREAU",
        address_line="3 place de la Mairie",
        postal_code="21320",
        city="Pouilly-en-Auxois",
        regime="general",
    )
    leo = Person.objects.create(
        organisation=pouilly,
        family=leroy,
        role=PersonRole.CHILD,
        first_name="Léo",
        last_name="LEROY",
        birth_date=today - timedelta(days=430),
        sex=Sex.MALE,
    )
    noe = Person.objects.create(
        organisation=pouilly,
        family=moreau,
        role=PersonRole.CHILD,
        first_name="Noé",
        last_name="MOREAU",
        birth_date=today - timedelta(days=300),
        sex=Sex.MALE,
    )
    lina = Person.objects.filter(organisation=pouilly, family=boblet, first_name="Lina").first()

    def values(**changes):
        return {
            "schedule": WEEK_36,
            "weeks_per_year": Decimal("45"),
            "months_billed": 12,
            "annual_resources": Decimal("42000.00"),
            "resources_source": "cdap",
            "resources_reference": "CDAP, revenus N-2",
            "resources_date": start - timedelta(days=10),
            "dependent_children": 2,
            "aeeh": False,
            **changes,
        }

    contracts = []
    for family, child, kind, number, changes in (
        (leroy, leo, "regular", "2104567", {}),
        (
            boblet,
            lina,
            "regular",
            "2109876",
            {
                "schedule": {str(d): ["08:30", "17:30"] for d in (0, 1, 3, 4)},
                "weeks_per_year": Decimal("46"),
                "annual_resources": Decimal("38400.00"),
                "dependent_children": 3,
            },
        ),
        (
            moreau,
            noe,
            "occasional",
            "2101234",
            {
                "schedule": {},
                "weeks_per_year": Decimal("0"),
                "dependent_children": 1,
                "annual_resources": Decimal("24000.00"),
            },
        ),
    ):
        if child is None:
            continue
        contracts.append(
            services.create_contract.inner(
                family=family,
                child=child,
                activity=creche,
                kind=kind,
                care_type="collective",
                start_date=start,
                end_date=end,
                values=values(**changes),
                acting_user=None,
                allocataire_number=number,
                filoue_consent=True,
            )
        )

    # Last month: every contracted day attended as planned, but Léo's first Monday and Tuesday
    # (hospitalisation, 18 h deducted) and his first Wednesday (07:00-19:00: 3 extra hours).
    leo_contract = contracts[0]
    mondays = [d for d in _days(month, month_end) if d.weekday() == 0]
    hospital = {mondays[0], mondays[0] + timedelta(days=1)}
    extra_day = mondays[0] + timedelta(days=2)
    for absent in sorted(hospital):
        services.record_absence.inner(
            contract=leo_contract, day=absent, reason=AbsenceReason.HOSPITAL, acting_user=None
        )
    for contract in contracts:
        version = contract.versions.get()
        for day in _days(month, month_end):
            slot = version.schedule.get(str(day.weekday()))
            if contract.kind == "occasional":
                if day.weekday() == 2 and day.day <= 21:  # three Wednesday mornings
                    services.record_day.inner(
                        contract=contract, day=day, arrival=time(8, 45), departure=time(12, 10), acting_user=None
                    )
                continue
            if not slot or (contract is leo_contract and day in hospital):
                continue
            arrival, departure = _t(slot[0]), _t(slot[1])
            if contract is leo_contract and day == extra_day:
                arrival, departure = time(7), time(19)
            services.record_day.inner(
                contract=contract, day=day, arrival=arrival, departure=departure, acting_user=None
            )
    run = create_run.inner(
        organisation=pouilly, period_start=month, period_end=month_end, structure_ids=[structure.pk], acting_user=None
    )
    process_run(run_id=run.pk, send_email=False)


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _t(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
