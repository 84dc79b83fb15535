"""Demo for "Statistiques": a full school year (the last one) and the current one up to today of
Wednesdays and périscolaire on Quercy — forty families, bookings, attendance, waiting lists,
monthly invoices and payments — so every chart has something to show.

Written with bulk_create (a few seconds), once: `data.load` runs it as a section recorded in the
demo registry. Deterministic (a seeded random generator), dated relative to today.
"""

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

SURNAMES = [
    "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "LEROY", "MOREAU", "SIMON", "LAURENT",
    "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX", "VINCENT", "FOURNIER", "MOREL", "GIRARD",
    "ANDRE", "MERCIER", "BLANC", "GUERIN", "BOYER", "GARNIER", "CHEVALIER", "FRANCOIS", "LEGRAND", "GAUTHIER",
    "GARRIGUES", "PERRIN", "ROBIN", "CLEMENT", "MORIN", "NICOLAS", "HENRY", "ROUSSEAU", "MATHIEU", "MASSON",
]  # fmt: skip
GIRLS = ["Chloé", "Inès", "Louise", "Alice", "Rose", "Anna", "Mila", "Ambre", "Lina", "Julia", "Zoé", "Léna"]
BOYS = ["Gabriel", "Raphaël", "Arthur", "Louis", "Jules", "Adam", "Maël", "Lucas", "Noé", "Sacha", "Tom", "Nathan"]
# Wednesdays: the elementary group (28 places) has more children registered than places: full days
# and a waiting list; périscolaire has room to spare.
PRICES = {"Journée": Decimal("9.80"), "Matin": Decimal("4.50"), "Après-midi": Decimal("4.50"), "Repas": Decimal("3.80")}
PERI_PRICE = Decimal("1.80")


def fast_insert(model, rows: list[dict]) -> None:
    """Plain rows into `model`'s table with one executemany: bulk_create prepares each value of
    each object in Python, ten times slower for the tens of thousands of bookings of a school
    year (bench/stats.py inserts 300,000). Fields not given take their default (timestamps: now)."""
    if not rows:
        return
    from django.db import connection

    ops = connection.ops
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    constants = {}
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            constants[field.attname] = ops.adapt_datetimefield_value(now)
        elif field.has_default():
            constants[field.attname] = field.get_default()
        else:
            constants[field.attname] = None if field.null else ""

    def adapt(value):
        if isinstance(value, datetime):
            return ops.adapt_datetimefield_value(value)
        if isinstance(value, date):
            return ops.adapt_datefield_value(value)
        if isinstance(value, Decimal):
            return str(value)
        return value

    columns = ", ".join(ops.quote_name(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({marks})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(
                sql,
                [
                    [adapt(row[f.attname]) if f.attname in row else constants[f.attname] for f in fields]
                    for row in rows[start : start + 5000]
                ],
            )
        if connection.vendor == "postgresql":
            # Fresh statistics for the planner: with the table's old estimate (a few rows) the
            # next queries on it (the CAF demo's invoice run) choose nested loops taking minutes.
            cursor.execute(f"ANALYZE {ops.quote_name(model._meta.db_table)}")


def _school_year(today: date) -> tuple[date, date]:
    first = today.year if today.month >= 9 else today.year - 1
    return date(first, 9, 1), date(first + 1, 7, 4)


def load(quercy) -> None:
    from ribambelle.activities.models import Activity

    today = timezone.localdate()
    start, end = _school_year(today)
    current = {
        "wednesdays": Activity.objects.filter(
            organisation=quercy, name=f"Mercredis Nègrepelisse {start.year}-{end.year}"
        ).first(),
        "peri": Activity.objects.filter(
            organisation=quercy, name=f"Périscolaire Saint-Étienne {start.year}-{end.year}"
        ).first(),
    }
    if None in current.values():
        return  # the demo's activities were removed by a user: nothing to fill
    previous = {key: _last_year_copy(activity, years=1) for key, activity in current.items()}
    rng = random.Random(2026)
    children = _families(quercy, rng, start)
    bookings = []
    for activities, first_day, age_shift in ((previous, start.replace(year=start.year - 1), 1), (current, start, 0)):
        registrations = _registrations(quercy, activities, children, age_shift, first_day)
        bookings += _bookings(quercy, activities, registrations, rng, today=today)
    _invoices(quercy, bookings, rng, today=today)


def _last_year_copy(activity, *, years: int):
    """The same activity a school year earlier (groups, units, openings), found again by name."""
    from ribambelle.activities.models import Activity, Group, Unit
    from ribambelle.activities.services import generate_openings

    start = activity.start_date.replace(year=activity.start_date.year - years)
    end = activity.end_date.replace(year=activity.end_date.year - years)
    name = activity.name.rsplit(" ", 1)[0] + f" {start.year}-{end.year}"
    copy, created = Activity.objects.get_or_create(
        organisation=activity.organisation,
        name=name,
        defaults={
            "structure": activity.structure,
            "sector": activity.sector,
            "kind": activity.kind,
            "start_date": start,
            "end_date": end,
            "weekdays": activity.weekdays,
            "registration_opens_at": activity.registration_opens_at - timedelta(days=365 * years),
            "is_published": False,
        },
    )
    if created:
        Group.objects.bulk_create(
            Group(
                organisation_id=copy.organisation_id,
                activity=copy,
                name=g.name,
                age_min_months=g.age_min_months,
                age_max_months=g.age_max_months,
                default_capacity=g.default_capacity,
                position=g.position,
            )
            for g in activity.groups.all()
        )
        Unit.objects.bulk_create(
            Unit(
                organisation_id=copy.organisation_id,
                activity=copy,
                name=u.name,
                start_time=u.start_time,
                end_time=u.end_time,
                position=u.position,
            )
            for u in activity.units.all()
        )
        generate_openings(activity=copy)
    return copy


def _families(quercy, rng: random.Random, year_start: date) -> list:
    """Forty families, one parent each, eighty-eight children aged 3 to 11 at the school year's start."""
    from ribambelle.families.models import Family, Person, PersonRole, Sex

    families = Family.objects.bulk_create(
        Family(
            organisation=quercy,
            name=name,
            city=rng.choice(["Nègrepelisse", "Saint-Étienne-de-Tulmont", "Bioule", "Montricoux"]),
            postal_code="82800",
            address_line=f"{rng.randint(1, 60)} rue des Tilleuls",
            search_text=name.lower(),
        )
        for name in SURNAMES
    )
    adults, children = [], []
    for index, family in enumerate(families):
        adults.append(
            Person(
                organisation=quercy, family=family, role=PersonRole.ADULT, first_name="Camille", last_name=family.name
            )
        )
        for _n in range(2 + (index % 5 == 2)):
            girl = rng.random() < 0.5
            age_days = rng.randint(3 * 365 + 30, 11 * 365 + 100)
            children.append(
                Person(
                    organisation=quercy,
                    family=family,
                    role=PersonRole.CHILD,
                    first_name=rng.choice(GIRLS if girl else BOYS),
                    last_name=family.name,
                    sex=Sex.FEMALE if girl else Sex.MALE,
                    birth_date=year_start - timedelta(days=age_days),
                )
            )
    Person.objects.bulk_create(adults)
    return Person.objects.bulk_create(children)


def _registrations(quercy, activities: dict, children: list, age_shift: int, first_day: date) -> dict:
    """Each child in the Wednesdays (six in seven) and the périscolaire (one in two), in its age group."""
    from ribambelle.core.dates import age_in_months
    from ribambelle.registrations.models import Registration, RegistrationStatus

    rows = []
    groups = {key: list(activity.groups.all()) for key, activity in activities.items()}
    for index, child in enumerate(children):
        age = age_in_months(child.birth_date, first_day)
        for key, activity in activities.items():
            if (key == "wednesdays" and index % 7 == 6) or (key == "peri" and index % 2 == 1):
                continue
            group = next((g for g in groups[key] if g.admits(age)), None)
            if group is None:
                continue
            rows.append(
                Registration(
                    organisation=quercy,
                    family_id=child.family_id,
                    child=child,
                    activity=activity,
                    group=group,
                    status=RegistrationStatus.ACCEPTED,
                )
            )
    made = Registration.objects.bulk_create(rows)
    by_group = defaultdict(list)
    for registration in made:
        by_group[registration.group_id].append(registration)
    return by_group


def _bookings(quercy, activities: dict, registrations: dict, rng: random.Random, *, today: date) -> list:
    """Past days marked (mostly present, some absent, excused, cancelled late), the next two
    weeks booked; beyond the places of a day, the waiting list."""
    from django.db.models import Count

    from ribambelle.activities.models import Opening
    from ribambelle.bookings.models import PLACE_STATUSES, Booking, BookingStatus

    horizon = today + timedelta(days=14)
    openings = list(
        Opening.objects.filter(activity__in=activities.values(), is_closed=False, date__lte=horizon)
        .select_related("unit", "activity")
        .order_by("date", "unit__position", "group_id")
    )
    taken = dict(
        Booking.objects.filter(opening__in=openings, status__in=PLACE_STATUSES)
        .values("opening")
        .annotate(n=Count("pk"))
        .values_list("opening", "n")
    )
    rows = []
    # Each child's habit: a Wednesday child comes for the day or the morning; a périscolaire
    # child in the morning, the evening or both. The share coming varies with the season.
    day_plan = {}
    for group_regs in registrations.values():
        for registration in group_regs:
            day_plan[registration.pk] = rng.random()
    for opening in openings:
        week = opening.date.isocalendar()[1]
        season = 0.78 + 0.2 * ((week * 7) % 11) / 10  # 0.78 to 0.98, uneven over the year
        wanted = []
        for registration in registrations.get(opening.group_id, []):
            if registration.activity_id != opening.activity_id:
                continue
            habit = day_plan[registration.pk]
            unit = opening.unit.name
            if unit == "Journée" and habit >= 0.25 or unit in ("Matin", "Repas") and habit < 0.25:
                comes = rng.random() < season
            elif unit == "Matin" and opening.activity.kind == "periscolaire":
                comes = habit < 0.55 and rng.random() < season
            elif unit == "Soir":
                comes = habit > 0.2 and rng.random() < season
            else:
                comes = False
            if comes:
                wanted.append(registration)
        places = max(opening.capacity - taken.get(opening.pk, 0), 0)
        for position, registration in enumerate(wanted):
            if position >= places:
                status = BookingStatus.WAITING
            elif opening.date >= today:
                status = BookingStatus.BOOKED
            else:
                roll = rng.random()
                status = (
                    BookingStatus.PRESENT
                    if roll < 0.86
                    else BookingStatus.ABSENT
                    if roll < 0.91
                    else BookingStatus.EXCUSED
                    if roll < 0.96
                    else BookingStatus.CANCELLED
                )
            rows.append(
                {
                    "organisation_id": quercy.pk,
                    "family_id": registration.family_id,
                    "child_id": registration.child_id,
                    "registration_id": registration.pk,
                    "opening_id": opening.pk,
                    "activity_id": opening.activity_id,
                    "date": opening.date,
                    "status": status,
                    "late_cancellation": status == BookingStatus.CANCELLED,
                    "unit": (opening.unit.name, opening.activity.kind),
                }
            )
    fast_insert(Booking, rows)
    return rows


def _invoices(quercy, bookings: list, rng: random.Random, *, today: date) -> None:
    """One invoice per family and elapsed month (days present, absent without reason or cancelled
    late, a line per child and unit), numbered from the organisation's counters; most paid, some
    partly, some not. The lines are not tied to bookings: a new invoice run over these months would
    bill them again — the demo's runs are for the coming months."""
    from ribambelle.billing.models import (
        Invoice,
        InvoiceCounter,
        InvoiceKind,
        InvoiceLine,
        InvoiceStatus,
        Payment,
        PaymentAllocation,
        PaymentMethod,
    )
    from ribambelle.billing.services import format_number
    from ribambelle.bookings.models import BookingStatus
    from ribambelle.families.models import Family

    billed = (BookingStatus.PRESENT, BookingStatus.ABSENT, BookingStatus.CANCELLED)
    this_month = today.replace(day=1)
    per_invoice = defaultdict(list)
    for booking in bookings:
        month = booking["date"].replace(day=1)
        if booking["status"] in billed and month < this_month:
            per_invoice[(booking["family_id"], month)].append(booking)
    counters = {}

    def number(kind: str, year: int) -> tuple[int, str]:
        if (kind, year) not in counters:
            counters[(kind, year)] = InvoiceCounter.objects.get_or_create(organisation=quercy, kind=kind, year=year)[0]
        counter = counters[(kind, year)]
        counter.last_number += 1
        return counter.last_number, format_number(kind, year, counter.last_number)

    invoices, lines, payments, paid_amounts = [], [], [], []
    names = {}
    for family in Family.objects.filter(pk__in={key[0] for key in per_invoice}):
        names[family.pk] = family.name
    for (family_id, month), rows in sorted(per_invoice.items(), key=lambda item: (item[0][1], item[0][0])):
        month_end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        issue = month_end + timedelta(days=5)
        if issue > today:
            continue
        # One line per child, activity and unit: "Journée × 4".
        grouped = defaultdict(int)
        for booking in rows:
            grouped[(booking["child_id"], booking["activity_id"], booking["unit"])] += 1
        amounts = {
            key: PERI_PRICE if key[2][1] == "periscolaire" else PRICES.get(key[2][0], Decimal("4.50"))
            for key in grouped
        }
        total = sum((amounts[key] * n for key, n in grouped.items()), Decimal(0))
        sequence, numbered = number("invoice", issue.year)
        invoice = Invoice(
            organisation=quercy,
            family_id=family_id,
            kind=InvoiceKind.INVOICE,
            number=numbered,
            sequence=sequence,
            year=issue.year,
            issue_date=issue,
            due_date=issue + timedelta(days=30),
            period_start=month,
            period_end=month_end,
            total=total,
            family_name=names[family_id],
        )
        roll = rng.random()
        paid_on = issue + timedelta(days=rng.randint(4, 45))
        paid = total if roll < 0.78 else (total / 2).quantize(Decimal("0.01")) if roll < 0.88 else Decimal(0)
        if paid_on > today:
            paid = Decimal(0)
        invoice.amount_paid = paid
        invoice.status = InvoiceStatus.PAID if paid == total else InvoiceStatus.PARTIAL if paid else InvoiceStatus.DUE
        invoices.append(invoice)
        lines.append((invoice, grouped, amounts))
        paid_amounts.append((invoice, paid, paid_on))
    Invoice.objects.bulk_create(invoices, batch_size=1000)
    InvoiceLine.objects.bulk_create(
        (
            InvoiceLine(
                organisation=quercy,
                invoice=invoice,
                family_id=invoice.family_id,
                child_id=child_id,
                activity_id=activity_id,
                label=f"{unit[0]} × {count}",
                unit_price=amounts[(child_id, activity_id, unit)],
                amount=amounts[(child_id, activity_id, unit)] * count,
            )
            for invoice, grouped, amounts in lines
            for (child_id, activity_id, unit), count in grouped.items()
        ),
        batch_size=2000,
    )
    for invoice, paid, paid_on in paid_amounts:
        if paid:
            sequence, receipt = number("receipt", paid_on.year)
            payments.append(
                (
                    invoice,
                    Payment(
                        organisation=quercy,
                        family_id=invoice.family_id,
                        method=rng.choice([PaymentMethod.CHEQUE, PaymentMethod.TRANSFER, PaymentMethod.CARD]),
                        amount=paid,
                        received_on=paid_on,
                        receipt_number=receipt,
                    ),
                )
            )
    Payment.objects.bulk_create([payment for _invoice, payment in payments], batch_size=1000)
    PaymentAllocation.objects.bulk_create(
        PaymentAllocation(organisation=quercy, payment=payment, invoice=invoice, amount=payment.amount)
        for invoice, payment in payments
    )
    for counter in counters.values():
        counter.save(update_fields=["last_number", "updated_at"])
