"""Invoice run at scale: N families (default 10,000) × 20 bookings each, priced by QF bracket,
issued by the resumable batch process (numbering lock, invoice + lines, outbox e-mail), then
PDFs rendered. Prints the run time, families/s, peak Python memory during the run and PDFs/s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ribambelle_h7 \
        .venv/bin/python bench/invoice_run.py [--families 10000] [--batch 500] [--pdfs 1000]

Data goes into a new organisation of its own ("bench-facturation-<time>"), so runs do not
interfere. --tracemalloc measures the peak of Python allocations during the run (slower:
tracemalloc costs about 1.5-2x); without it the process's peak RSS is printed.
"""

import argparse
import os
import random
import resource
import sys
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ribambelle.config.settings")
# As in production: with DEBUG on, Django keeps every query's SQL and memory would grow.
os.environ.setdefault("DEBUG", "false")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument("--bookings", type=int, default=20)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pdfs", type=int, default=1000, help="how many invoice PDFs to render (0: none)")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--no-email", action="store_true")
    return parser.parse_args()


def prepare(args):
    from django.db import connection, transaction

    from ribambelle.activities.models import Activity, Group, Opening, Unit
    from ribambelle.billing.models import BillingSettings, QuotientBracket, Tariff, TariffMode, TariffPrice
    from ribambelle.bookings.models import Booking
    from ribambelle.families.models import Family, Person
    from ribambelle.registrations.models import Registration
    from ribambelle.tenancy.models import Organisation, Structure

    rng = random.Random(7)
    stamp = int(time.time())
    org = Organisation.objects.create(name=f"Bench facturation {stamp}", slug=f"bench-facturation-{stamp}")
    BillingSettings.objects.create(organisation=org, sibling_reduction_percent=Decimal("10"))
    structure = Structure.objects.create(organisation=org, name="ALSH", kind="accueil_loisirs")
    start = date(2026, 3, 2)
    days = [start + timedelta(days=i) for i in range(40) if (start + timedelta(days=i)).weekday() < 5][: args.bookings]
    activity = Activity.objects.create(
        organisation=org,
        structure=structure,
        kind="vacances",
        name="ALSH mars",
        start_date=days[0],
        end_date=days[-1],
        registration_opens_at="2026-01-01T00:00:00+01:00",
    )
    unit = Unit.objects.create(organisation=org, activity=activity, name="Journée")
    group = Group.objects.create(
        organisation=org,
        activity=activity,
        name="3-12 ans",
        age_min_months=36,
        age_max_months=155,
        default_capacity=args.families,
    )
    openings = Opening.objects.bulk_create(
        [
            Opening(organisation=org, activity=activity, unit=unit, group=group, date=d, capacity=args.families)
            for d in days
        ]
    )
    brackets = [
        QuotientBracket.objects.create(organisation=org, label=label, upper_bound=bound)
        for label, bound in (("QF < 600", Decimal(600)), ("QF 600-900", Decimal(900)), ("QF > 900", None))
    ]
    tariff = Tariff.objects.create(organisation=org, activity=activity, mode=TariffMode.QUOTIENT, flat_price=13)
    for bracket, price in zip(brackets, ("6.50", "9.80", "13.20"), strict=True):
        TariffPrice.objects.create(organisation=org, tariff=tariff, bracket=bracket, price=Decimal(price))

    t0 = time.perf_counter()
    chunk = 1000
    for offset in range(0, args.families, chunk):
        with transaction.atomic():
            n = min(chunk, args.families - offset)
            families = Family.objects.bulk_create(
                [
                    Family(
                        organisation=org,
                        name=f"FAMILLE {offset + i}",
                        email=f"f{offset + i}@exemple.fr",
                        city="Bioule",
                        postal_code="82800",
                        family_quotient=Decimal(rng.randint(200, 1500)) if i % 10 else None,
                        family_quotient_date=start,
                    )
                    for i in range(n)
                ]
            )
            children = Person.objects.bulk_create(
                [
                    Person(
                        organisation=org,
                        family=f,
                        role="child",
                        first_name="Léa",
                        last_name=f.name,
                        birth_date=date(2017, 1, 1),
                    )
                    for f in families
                ]
            )
            registrations = Registration.objects.bulk_create(
                [
                    Registration(
                        organisation=org, family=c.family, child=c, activity=activity, group=group, status="accepted"
                    )
                    for c in children
                ]
            )
            Booking.objects.bulk_create(
                [
                    Booking(
                        organisation=org,
                        family=r.family,
                        child=r.child,
                        registration=r,
                        opening=o,
                        activity=activity,
                        date=o.date,
                        status="present" if (r.pk + o.pk) % 9 else "excused",
                    )
                    for r in registrations
                    for o in openings
                ],
                batch_size=5000,
            )
    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load: without fresh statistics the planner takes
        # the freshly loaded tables for empty ones and picks nested loops.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"données : {args.families} familles × {len(days)} réservations en {time.perf_counter() - t0:.1f} s")
    return org, days


def main():
    args = parse_args()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from ribambelle.billing.models import Invoice
    from ribambelle.billing.pdf import invoice_pdf
    from ribambelle.billing.services import create_run, process_run, settings_for

    print(f"base : {connection.vendor}  (machine : 2 cœurs partagés avec d'autres tâches ; ±30 %)")
    org, days = prepare(args)
    started = time.perf_counter()
    run = create_run(organisation=org, period_start=days[0], period_end=days[-1], acting_user=None)
    # create_run prices every family once, so the run counts only families with something to invoice.
    print(f"familles à facturer : {run.family_count} (comptées en {time.perf_counter() - started:.1f} s)")

    if args.tracemalloc:
        tracemalloc.start()
    t0 = time.perf_counter()
    last = t0
    done = 0
    while True:
        run = process_run(run_id=run.pk, batch_size=args.batch, max_batches=4, send_email=not args.no_email)
        now = time.perf_counter()
        if run.processed_count - done >= 2000 or (run.status == "done" and run.processed_count > done):
            rate = (run.processed_count - done) / max(now - last, 1e-9)
            print(f"  {run.processed_count:>6} / {run.family_count}  ({rate:.0f} familles/s)", flush=True)
            done, last = run.processed_count, now
        if run.status == "done":
            break
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
    if args.tracemalloc:
        tracemalloc.stop()
    invoices = Invoice.objects.filter(organisation=org)
    count = invoices.count()
    print(f"émission : {count} factures, {run.total} € en {elapsed:.1f} s ({count / elapsed:.0f} factures/s)")
    if peak is not None:
        print(f"mémoire Python au plus haut pendant l'émission (tracemalloc) : {peak / 1e6:.1f} Mo")
    print(
        f"mémoire du processus au plus haut (RSS) : {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} Mo"
    )

    if args.pdfs:
        settings = settings_for(org)
        sample = list(invoices.select_related("organisation").prefetch_related("lines")[: args.pdfs])
        t0 = time.perf_counter()
        size = 0
        for invoice in sample:
            size += len(invoice_pdf(invoice, lines=list(invoice.lines.all()), settings=settings))
        pdf_elapsed = time.perf_counter() - t0
        rate = len(sample) / pdf_elapsed
        print(
            f"PDF : {len(sample)} en {pdf_elapsed:.1f} s = {rate:.0f} PDF/s sur un cœur "
            f"({size / len(sample) / 1024:.1f} Ko chacun) ; {count} PDF ≈ {count / rate:.0f} s"
        )


if __name__ == "__main__":
    from django_scopes import scopes_disabled

    # A benchmark builds and inspects its own organisation from outside any request: scopes
    # disabled, visibly (pages it requests still run in the middleware's scope).
    with scopes_disabled():
        main()
