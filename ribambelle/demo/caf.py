"""Demo of the CAF activity report (issue 17): CAF identifiers on both organisations, régimes
and dated QF histories on the demo families, last month's attendance on the Quercy périscolaire
(bulk-created, then invoiced), and one frozen report, signed by the Quercy director.

Runs once, after the billing section (the loader's registry keeps it idempotent); fast: a few
bulk inserts whatever the month.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

IDENTIFIERS = {
    # structure name -> (CAF file number, agreement number, service-agreement number)
    "Accueil de loisirs de Bioule": ("82-ALSH-0412", "0820412CL000118", "PSO-82-2026-0412"),
    "Accueil de loisirs de Nègrepelisse": ("82-ALSH-0413", "0820413CL000119", "PSO-82-2026-0413"),
    "Accueil de loisirs de Saint-Étienne-de-Tulmont": ("82-PERI-0977", "0820977CL000402", "PSO-82-2026-0977"),
    "Accueil de loisirs de Verlhac-Tescou": ("82-ALSH-0415", "0820415CL000121", "PSO-82-2026-0415"),
    "Accueil de loisirs de Bligny-sur-Ouche": ("21-ALSH-1201", "0211201CL000077", "PSO-21-2026-1201"),
    "Accueil de loisirs de Pouilly-en-Auxois": ("21-ALSH-1202", "0211202CL000078", "PSO-21-2026-1202"),
}

# family name -> régime, [(months before this month, QF)]
FAMILY_FILES = {
    "quercy-vert-aveyron": {
        "MARTIN": ("general", [(10, "650"), (3, "720")]),
        "DUPONT": ("msa", [(2, "540")]),
        "ROUSSEL": ("unknown", []),  # shows the report's warnings
    },
    "pouilly-bligny": {
        "BOBLET": ("general", [(11, "450"), (2, "480")]),
        "LEROY": ("other", [(4, "1150")]),
    },
}


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, 1)


def load(quercy, pouilly) -> None:
    from ribambelle.activities.models import Activity, ActivityKind
    from ribambelle.caf.models import ActivityCafRule, CafSettings, CareType, StructureCafIdentifiers
    from ribambelle.families.models import Family, QuotientRecord
    from ribambelle.tenancy.models import Structure

    from .data import _family

    today = timezone.localdate()
    for organisation in (quercy, pouilly):
        CafSettings.objects.get_or_create(organisation=organisation, defaults={"age_bounds": "6"})
        structures = Structure.objects.filter(organisation=organisation, name__in=IDENTIFIERS)
        StructureCafIdentifiers.objects.bulk_create(
            [
                StructureCafIdentifiers(
                    organisation=organisation,
                    structure=structure,
                    caf_number=IDENTIFIERS[structure.name][0],
                    agreement_number=IDENTIFIERS[structure.name][1],
                    convention_number=IDENTIFIERS[structure.name][2],
                )
                for structure in structures
            ],
            ignore_conflicts=True,
        )
        # Wednesdays of the school term: at most 9 hours a day (a day with a meal).
        ActivityCafRule.objects.bulk_create(
            [
                ActivityCafRule(
                    organisation=organisation,
                    activity=activity,
                    care_type=CareType.MERCREDI,
                    wednesday_cap_hours=Decimal("9"),
                )
                for activity in Activity.objects.filter(organisation=organisation, kind=ActivityKind.MERCREDIS)
            ],
            ignore_conflicts=True,
        )
        records = []
        for name, (regime, history) in FAMILY_FILES[organisation.slug].items():
            family = _family(organisation, name)
            if family is None:
                continue
            Family.objects.filter(pk=family.pk).update(regime=regime)
            for months, value in history:
                records.append(
                    QuotientRecord(
                        organisation=organisation,
                        family=family,
                        value=Decimal(value),
                        source="caf",
                        reference_month=_months_before(today, months),
                    )
                )
            if history:
                months, value = history[-1]
                Family.objects.filter(pk=family.pk).update(
                    family_quotient=Decimal(value),
                    family_quotient_date=_months_before(today, months),
                    family_quotient_source="caf",
                )
        QuotientRecord.objects.bulk_create(records, ignore_conflicts=True)
    _periscolaire_month(quercy, today)


def _periscolaire_month(quercy, today: date) -> None:
    """Last month on the Saint-Étienne périscolaire: the five registered children present most
    mornings and evenings (one absence in four evenings), invoiced, and the report frozen."""
    from ribambelle.activities.models import Activity, ActivityKind, Opening
    from ribambelle.billing.services import create_run, process_run
    from ribambelle.bookings.models import Booking, BookingStatus
    from ribambelle.caf.services import freeze_report
    from ribambelle.core.exceptions import DomainError
    from ribambelle.registrations.models import Registration, RegistrationStatus

    from .data import _user

    month_end = today.replace(day=1) - timedelta(days=1)
    month_start = month_end.replace(day=1)
    # This school year's (the statistics demo adds last year's copy of the activity).
    periscolaire = (
        Activity.objects.filter(organisation=quercy, kind=ActivityKind.PERISCOLAIRE).order_by("-start_date").first()
    )
    if periscolaire is None:
        return
    registrations = list(
        Registration.objects.filter(
            organisation=quercy, activity=periscolaire, status=RegistrationStatus.ACCEPTED
        ).select_related("child")
    )
    openings = list(
        Opening.objects.filter(
            organisation=quercy,
            activity=periscolaire,
            date__gte=month_start,
            date__lte=month_end,
            is_closed=False,
        ).select_related("unit")
    )
    if not openings or not registrations:
        return  # last month was before the school year (August): nothing to show
    taken = set(
        Booking.objects.filter(organisation=quercy, activity=periscolaire, date__gte=month_start, date__lte=month_end)
        .exclude(status=BookingStatus.CANCELLED)
        .values_list("child_id", "opening_id")
    )
    bookings = []
    for index, registration in enumerate(registrations):
        for opening in openings:
            if opening.group_id != registration.group_id or (registration.child_id, opening.pk) in taken:
                continue
            if opening.unit.name == "Matin" and index % 2:
                continue  # not every child comes in the morning
            absent = opening.unit.name == "Soir" and (opening.date.day + index) % 4 == 0
            bookings.append(
                Booking(
                    organisation=quercy,
                    family_id=registration.family_id,
                    child_id=registration.child_id,
                    registration=registration,
                    opening=opening,
                    activity=periscolaire,
                    date=opening.date,
                    status=BookingStatus.ABSENT if absent else BookingStatus.PRESENT,
                    arrived_at=None if absent else opening.unit.start_time,
                )
            )
    Booking.objects.bulk_create(bookings, batch_size=2000)
    try:
        run = create_run(
            organisation=quercy,
            period_start=month_start,
            period_end=month_end,
            structure_ids=[periscolaire.structure_id],
            acting_user=None,
        )
    except DomainError:
        run = None
    if run is not None:
        process_run(run_id=run.pk, send_email=False)
    director = _user(quercy, "directrice@quercy.example")
    if director is not None:
        freeze_report(
            organisation=quercy,
            structure=periscolaire.structure,
            start=month_start,
            end=month_end,
            label=f"Périscolaire Saint-Étienne – {month_start:%m/%Y} (réel)",
            acting_user=director,
        )
