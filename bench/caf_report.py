"""The yearly CAF activity report at scale: N children (default 2,000) over the 2025 calendar
year — a périscolaire (morning 1 h, evening 2 h, four days a week) and Wednesdays (a 10.5 h day
capped at 9 h) — about 150 attendance rows per child (≈ 300,000 rows), families with régimes and
dated QF histories, some children turning 6 during the year. Prints the time of the yearly report
and its query count, and the query count of the same report on a tenth of the children, to show
it does not depend on them.

    .venv/bin/python bench/caf_report.py [--children 2000] [--lines]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rb_h17caf .venv/bin/python bench/caf_report.py

--lines also invoices every attendance row (one invoice line each), so hours billed are
computed from as many invoice lines. Data goes into new organisations ("bench-caf-<time>").
"""

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ribambelle.config.settings")
os.environ.setdefault("DEBUG", "false")

YEAR_START, YEAR_END = date(2025, 1, 1), date(2025, 12, 31)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=2000)
    parser.add_argument("--lines", action="store_true", help="invoice every attendance row too")
    return parser.parse_args()


def build(children_count: int, *, lines: bool, seed: int = 17):
    """An organisation with a year of attendance for `children_count` children."""
    from datetime import time as clock

    from django.db import transaction
    from django_scopes import scope

    from ribambelle.activities.models import Activity, Group, Opening, Unit
    from ribambelle.billing.models import Invoice, InvoiceLine, QuotientBracket
    from ribambelle.bookings.models import Booking
    from ribambelle.caf.models import ActivityCafRule
    from ribambelle.families.models import Family, Person, QuotientRecord
    from ribambelle.registrations.models import Registration
    from ribambelle.tenancy.models import Organisation, Structure

    rng = random.Random(seed)
    stamp = f"{int(time.time())}-{children_count}"
    org = Organisation.objects.create(name=f"Bench CAF {stamp}", slug=f"bench-caf-{stamp}")
    with scope(organisation=org), transaction.atomic():
        structure = Structure.objects.create(organisation=org, name="Accueil périscolaire", kind="accueil_loisirs")
        for label, bound in (("QF < 600", Decimal(600)), ("QF 600-900", Decimal(900)), ("QF > 900", None)):
            QuotientBracket.objects.create(organisation=org, label=label, upper_bound=bound)
        opened = "2024-06-01T00:00:00+02:00"
        peri = Activity.objects.create(
            organisation=org,
            structure=structure,
            kind="periscolaire",
            name="Périscolaire 2025",
            start_date=YEAR_START,
            end_date=YEAR_END,
            registration_opens_at=opened,
            weekdays=0b11011,
        )
        wed = Activity.objects.create(
            organisation=org,
            structure=structure,
            kind="mercredis",
            name="Mercredis 2025",
            start_date=YEAR_START,
            end_date=YEAR_END,
            registration_opens_at=opened,
            weekdays=0b100,
        )
        ActivityCafRule.objects.create(organisation=org, activity=wed, care_type="mercredi", wednesday_cap_hours=9)
        morning = Unit.objects.create(
            organisation=org, activity=peri, name="Matin", start_time=clock(7, 30), end_time=clock(8, 30)
        )
        evening = Unit.objects.create(
            organisation=org, activity=peri, name="Soir", start_time=clock(16, 30), end_time=clock(18, 30)
        )
        day_unit = Unit.objects.create(
            organisation=org, activity=wed, name="Journée", start_time=clock(8, 0), end_time=clock(18, 30)
        )
        peri_group = Group.objects.create(
            organisation=org,
            activity=peri,
            name="3-11 ans",
            age_min_months=36,
            age_max_months=143,
            default_capacity=children_count,
        )
        wed_group = Group.objects.create(
            organisation=org,
            activity=wed,
            name="3-11 ans",
            age_min_months=36,
            age_max_months=143,
            default_capacity=children_count,
        )
        days = [YEAR_START + timedelta(days=i) for i in range((YEAR_END - YEAR_START).days + 1)]
        school = [d for d in days if d.weekday() in (0, 1, 3, 4) and d.month not in (7, 8)]
        wednesdays = [d for d in days if d.weekday() == 2 and d.month not in (7, 8)]
        openings = Opening.objects.bulk_create(
            [
                Opening(organisation=org, activity=peri, unit=unit, group=peri_group, date=d, capacity=children_count)
                for d in school
                for unit in (morning, evening)
            ]
            + [
                Opening(organisation=org, activity=wed, unit=day_unit, group=wed_group, date=d, capacity=children_count)
                for d in wednesdays
            ],
            batch_size=2000,
        )
        families = Family.objects.bulk_create(
            [
                Family(
                    organisation=org,
                    name=f"FAMILLE {i}",
                    regime=rng.choice(["general", "general", "general", "msa", "other", "unknown"]),
                    family_quotient=Decimal(rng.randint(300, 1400)) if i % 10 else None,
                    family_quotient_date=date(2024, 9, 1) if i % 10 else None,
                )
                for i in range(children_count)
            ],
            batch_size=2000,
        )
        QuotientRecord.objects.bulk_create(
            [
                QuotientRecord(
                    organisation=org,
                    family=f,
                    value=Decimal(rng.randint(300, 1400)),
                    source="caf",
                    reference_month=date(2025, month, 1),
                )
                for f in families
                for month in (1, 6)
                if f.family_quotient is not None
            ],
            batch_size=2000,
        )
        children = Person.objects.bulk_create(
            [
                Person(
                    organisation=org,
                    family=f,
                    role="child",
                    first_name="Léa",
                    last_name=f.name,
                    # Born 2016 to 2021: some turn 6 during 2025; one in 50 without a birth date.
                    birth_date=None if i % 50 == 0 else date(2016, 1, 1) + timedelta(days=rng.randint(0, 6 * 365)),
                )
                for i, f in enumerate(families)
            ],
            batch_size=2000,
        )
        registrations = Registration.objects.bulk_create(
            [
                Registration(organisation=org, family_id=c.family_id, child=c, activity=a, group=g, status="accepted")
                for c in children
                for a, g in ((peri, peri_group), (wed, wed_group))
            ],
            batch_size=2000,
        )
        reg = {(r.child_id, r.activity_id): r for r in registrations}
        rows = 0
        invoices = {}
        for offset in range(0, len(children), 200):
            bookings = []
            for child in children[offset : offset + 200]:
                mornings = rng.random() < 0.4
                for opening in openings:
                    if opening.activity_id == wed.pk:
                        if rng.random() < 0.35:
                            continue
                    elif opening.unit_id == morning.pk:
                        if not mornings or rng.random() < 0.3:
                            continue
                    elif rng.random() < 0.45:
                        continue
                    bookings.append(
                        Booking(
                            organisation=org,
                            family_id=child.family_id,
                            child=child,
                            registration=reg[(child.pk, opening.activity_id)],
                            opening=opening,
                            activity_id=opening.activity_id,
                            date=opening.date,
                            status="absent" if rng.random() < 0.05 else "present",
                            # Not counted by the capacity trigger (as staff's places beyond capacity):
                            # the bench measures the report, not 300,000 capacity checks on insert.
                            over_capacity=True,
                            staff_note="bench",
                        )
                    )
            Booking.objects.bulk_create(bookings, batch_size=5000)
            rows += len(bookings)
            if lines:
                for child in children[offset : offset + 200]:
                    invoices[child.family_id] = Invoice(
                        organisation=org,
                        family_id=child.family_id,
                        kind="invoice",
                        number=f"B{child.family_id}",
                        sequence=child.family_id,
                        year=2025,
                        issue_date=YEAR_END,
                        due_date=YEAR_END,
                        period_start=YEAR_START,
                        period_end=YEAR_END,
                        total=0,
                        family_name="x",
                    )
                batch = [invoices[c.family_id] for c in children[offset : offset + 200]]
                Invoice.objects.bulk_create(batch)
                InvoiceLine.objects.bulk_create(
                    [
                        InvoiceLine(
                            organisation=org,
                            invoice=invoices[b.family_id],
                            family_id=b.family_id,
                            child=b.child,
                            activity_id=b.activity_id,
                            booking=b,
                            date=b.date,
                            label="x",
                            unit_price=Decimal("2.40"),
                            amount=Decimal("2.40"),
                        )
                        for b in bookings
                    ],
                    batch_size=5000,
                )
    return org, structure, rows


def report(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_scopes import scope

    from ribambelle.caf.selectors import build_report

    with scope(organisation=org), CaptureQueriesContext(connection) as queries:
        started, cpu = time.perf_counter(), time.process_time()
        result = build_report(org, start=YEAR_START, end=YEAR_END)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return result, elapsed, cpu, len(queries)


def main():
    args = parse_args()
    import django

    django.setup()
    from django.db import connection

    t0 = time.perf_counter()
    org, _structure, rows = build(args.children, lines=args.lines)
    built = time.perf_counter() - t0
    result, elapsed, cpu, queries = report(org)
    total = next(r for r in result.rows if r.month == "total" and r.care_type == "all" and r.dimension == "total")
    print(f"database: {connection.vendor}")
    print(
        f"{args.children} children, {rows} attendance rows{' (each invoiced)' if args.lines else ''}, "
        f"built in {built:.1f} s"
    )
    print(
        f"yearly report: {elapsed:.2f} s ({cpu:.2f} s of this process's CPU), {queries} queries, "
        f"{len(result.rows)} rows, "
        f"{total.hours_attended} hours attended, {total.hours_billed} hours billed, {total.children} children, "
        f"{len(result.warnings)} kinds of warnings"
    )
    small_org, _s, small_rows = build(max(1, args.children // 10), lines=args.lines, seed=18)
    _r, small_elapsed, _cpu, small_queries = report(small_org)
    print(
        f"same report on {max(1, args.children // 10)} children ({small_rows} rows): {small_elapsed:.2f} s, "
        f"{small_queries} queries"
    )


if __name__ == "__main__":
    main()
