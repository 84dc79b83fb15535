"""Time of each "Statistiques" chart, and of the whole page, over a school year for 2,000 children.

Builds, inside a transaction rolled back at the end, an organisation with a school year of
périscolaire (mornings and evenings, four days a week), Wednesdays and school canteen for
2,000 children of 1,400 families — about 300,000 bookings, marked present, absent, excused,
cancelled late or on the waiting list — with monthly invoices and payments. Then computes
every chart N times (median and max in ms, with its number of SQL queries) and requests the
whole page through the test client. SQLite by default, PostgreSQL when DATABASE_URL says so.

    .venv/bin/python bench/stats.py [--children 2000] [--runs 5]

Printed per chart: wall time (median, max), the process CPU time (on SQLite it includes the
database engine's work, on PostgreSQL only the Python side: the machine is shared, the load is
printed at the end) and the number of SQL queries.

Measured 2026-11-30, load ≈ 10–12 on 2 cores, 339,160 bookings, medians of 3 runs, wall ms
(SQLite process CPU ms), before → after the covering index `booking_stats_covering` and the
rewritten children/hours queries:
- SQLite: presences 1,883 (232) → 1,299 (211); enfants 3,973 (545) → 1,360 (255);
  heures 1,686 (168) → 752 (117); sum of the charts 8,582 (1,113) → 4,435 (750); whole page
  4,194 (1,080) → 4,740 (718) — the wall time is the machine's load, the CPU time fell by a third.
- PostgreSQL: presences 356 → 287; enfants 2,532 → 1,246; heures 345 → 340; occupation
  527 → 404; sum of the charts 4,612 → 2,880; whole page 4,108 → 2,679.
Measured 2026-11-30 18:00, load 1.2–1.4 on 2 cores, committed and vacuumed database, medians of
3 runs, wall ms, after the occupancy charts read the open days and their bookings in one grouped
pass and the new families' count was rewritten for PostgreSQL:
- PostgreSQL: occupation 77, jours complets 78, liste d'attente 83, présences 120, enfants 187,
  argent 16, impayés 3, heures 158 — each under 300 ms; whole page 650 ms (max 1,333), 18 queries.
- SQLite: occupation 152, jours complets 147, liste d'attente 153, présences 284, enfants ≈ 320,
  heures 199; whole page ≈ 1.5 s (all CPU: SQLite runs in the process).

Since then the bench builds its world in a database of its own (PostgreSQL: `ribambelle_bench_stats`,
recreated on the server DATABASE_URL names, dropped at the end; SQLite: a temporary file),
commits it and runs VACUUM ANALYZE, as a production database is after its nightly maintenance:
PostgreSQL then answers from the covering index alone (index-only scans need committed, vacuumed
rows), which a rolled-back transaction never shows.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ribambelle.config.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("LOG_LEVEL", "ERROR")


def build_world(children: int):
    from ribambelle.accounts.models import User
    from ribambelle.activities.models import Activity, Group, Opening, Unit
    from ribambelle.activities.services import opening_days
    from ribambelle.billing.models import Invoice, Payment
    from ribambelle.bookings.models import Booking
    from ribambelle.demo.statistics import fast_insert
    from ribambelle.families.models import Family, Person
    from ribambelle.registrations.models import Registration
    from ribambelle.tenancy.models import Membership, Organisation, Structure
    from ribambelle.tenancy.roles import Role

    rng = random.Random(1)
    start, end = date(2025, 9, 1), date(2026, 7, 4)
    org = Organisation.objects.create(name="Banc d'essai statistiques", slug="banc-statistiques")
    user = User.objects.create(organisation=org, email="admin@banc.example", first_name="Banc")
    membership = Membership.objects.create(organisation=org, user=user, role=Role.ADMINISTRATOR)
    structures = [Structure.objects.create(organisation=org, name=f"Structure {i}") for i in range(4)]
    plans = [
        # name, kind, weekdays, units (name, from, to), share of children, groups (name, min, max, capacity)
        ("Périscolaire", "periscolaire", 0b11011, [("Matin", 7, 8), ("Soir", 16, 18)], 0.4),
        ("Mercredis", "mercredis", 0b100, [("Journée", 8, 18)], 0.75),
        ("Restauration", "restauration", 0b11011, [("Repas", 12, 13)], 0.25),
    ]
    families = Family.objects.bulk_create(
        Family(organisation=org, name=f"FAMILLE{i}") for i in range(children * 7 // 10)
    )
    kids = Person.objects.bulk_create(
        Person(
            organisation=org,
            family=families[i % len(families)],
            role="child",
            first_name=f"Enfant {i}",
            last_name="X",
            birth_date=start - timedelta(days=rng.randint(3 * 365, 11 * 365)),
        )
        for i in range(children)
    )
    bookings = []
    now_statuses = ["present"] * 86 + ["absent"] * 5 + ["excused"] * 5 + ["cancelled"] * 4
    for index, (name, kind, weekdays, units, share) in enumerate(plans):
        activity = Activity.objects.create(
            organisation=org,
            structure=structures[index],
            kind=kind,
            name=name,
            start_date=start,
            end_date=end,
            weekdays=weekdays,
            registration_opens_at=org.created_at,
        )
        groups = Group.objects.bulk_create(
            [
                Group(organisation=org, activity=activity, name="Maternelle", age_min_months=0, age_max_months=71),
                Group(organisation=org, activity=activity, name="Élémentaire", age_min_months=72, age_max_months=200),
            ]
        )
        made_units = Unit.objects.bulk_create(
            Unit(organisation=org, activity=activity, name=u, start_time=clock(a), end_time=clock(b))
            for u, a, b in units
        )
        chosen = [kid for kid in kids if rng.random() < share]
        by_group = {g.pk: [] for g in groups}
        registrations = Registration.objects.bulk_create(
            Registration(
                organisation=org,
                family_id=kid.family_id,
                child=kid,
                activity=activity,
                group=groups[0] if (start - kid.birth_date).days < 6 * 365 else groups[1],
                status="accepted",
            )
            for kid in chosen
        )
        for registration in registrations:
            by_group[registration.group_id].append(registration)
        days = opening_days(activity)
        openings = Opening.objects.bulk_create(
            Opening(
                organisation=org,
                activity=activity,
                unit=unit,
                group=group,
                date=day,
                capacity=int(len(by_group[group.pk]) * 0.85) + 1,
            )
            for day in days
            for unit in made_units
            for group in groups
        )
        for opening in openings:
            held = 0
            for registration in by_group[opening.group_id]:
                if rng.random() > 0.8:
                    continue
                status = rng.choice(now_statuses)
                if status != "cancelled":
                    if held >= opening.capacity:
                        status = "waiting"
                    else:
                        held += 1
                bookings.append(
                    {
                        "organisation_id": org.pk,
                        "family_id": registration.family_id,
                        "child_id": registration.child_id,
                        "registration_id": registration.pk,
                        "opening_id": opening.pk,
                        "activity_id": activity.pk,
                        "date": opening.date,
                        "status": status,
                        "late_cancellation": status == "cancelled",
                    }
                )
    fast_insert(Booking, bookings)
    invoices, payments, sequence = [], [], 0
    for month in range(9, 19):
        issue = date(2025 + (month > 12), (month - 1) % 12 + 1, 5)
        for family in families:
            sequence += 1
            total = Decimal(rng.randint(1000, 20000)) / 100
            paid = total if rng.random() < 0.8 else Decimal(0)
            invoices.append(
                {
                    "organisation_id": org.pk,
                    "family_id": family.pk,
                    "kind": "invoice",
                    "number": f"F-{sequence}",
                    "sequence": sequence,
                    "year": 2025,
                    "issue_date": issue,
                    "due_date": issue + timedelta(days=30),
                    "period_start": issue,
                    "period_end": issue,
                    "total": total,
                    "amount_paid": paid,
                    "status": "paid" if paid else "due",
                    "family_name": family.name,
                }
            )
            if paid:
                payments.append(
                    {
                        "organisation_id": org.pk,
                        "family_id": family.pk,
                        "method": "cheque",
                        "amount": paid,
                        "received_on": issue + timedelta(days=rng.randint(3, 40)),
                        "receipt_number": f"R-{sequence}",
                    }
                )
    fast_insert(Invoice, invoices)
    fast_insert(Payment, payments)
    return org, user, membership, len(bookings), (start, date(2026, 8, 31))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--keep", action="store_true", help="keep the bench's database, and use the one a previous --keep run left"
    )
    args = parser.parse_args()
    server_url, existing = own_database(keep=args.keep)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_scopes import scope, scopes_disabled

    from ribambelle.stats import figures
    from ribambelle.stats.selectors import StatsScope
    from ribambelle.tenancy.selectors import membership_for_user

    started = time.perf_counter()
    try:
        call_command("migrate", verbosity=0)
        if existing:
            with scopes_disabled():
                org, user, bookings, (start, end) = existing_world()
        else:
            with transaction.atomic(), scopes_disabled():
                org, user, _membership, bookings, (start, end) = build_world(args.children)
            with connection.cursor() as cursor:  # the nightly maintenance of a production database
                cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        print(
            f"{args.children} enfants, {bookings} réservations, données prêtes en "
            f"{time.perf_counter() - started:.0f} s ({connection.vendor})"
        )
        today = date(2026, 6, 30)
        with scope(organisation=org):
            membership = membership_for_user(user)
            stats_scope = StatsScope(membership=membership, start=start, end=end)
            total = total_cpu = 0.0
            for key, builder in figures.CHARTS.items():
                timings, cpu = [], []
                for _ in range(args.runs):
                    with CaptureQueriesContext(connection) as queries:
                        t, c = time.perf_counter(), time.process_time()
                        builder(stats_scope, today=today)
                        timings.append((time.perf_counter() - t) * 1000)
                        cpu.append((time.process_time() - c) * 1000)
                total += statistics.median(timings)
                total_cpu += statistics.median(cpu)
                print(
                    f"  {key:<20} médiane {statistics.median(timings):7.1f} ms · max {max(timings):7.1f} ms · "
                    f"CPU du processus {statistics.median(cpu):7.1f} ms · {len(queries)} requête(s)"
                )
            print(f"  {'somme des graphiques':<20} {total:7.1f} ms · CPU du processus {total_cpu:7.1f} ms")
        client = Client()
        client.force_login(user, backend="ribambelle.accounts.backends.OrganisationEmailBackend")
        url = f"/{org.slug}/gestion/statistiques/?periode=annee&annee=2025"
        timings, cpu = [], []
        for _ in range(args.runs):
            t, c = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        print(
            f"Page Statistiques entière : médiane {statistics.median(timings):.0f} ms · max {max(timings):.0f} ms · "
            f"CPU du processus {statistics.median(cpu):.0f} ms · {len(queries)} requêtes SQL"
        )
        print(f"uptime : {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    finally:
        connection.close()
        if not args.keep:
            drop_database(server_url)


BENCH_DATABASE = "ribambelle_bench_stats"


def own_database(*, keep: bool) -> tuple[str | None, bool]:
    """Point DATABASE_URL at a database of the bench's own. Returns the server's URL to drop it
    from at the end (None for SQLite), and whether a world a --keep run left is there to reuse."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        folder = Path(tempfile.gettempdir()) / "bench-stats" if keep else Path(tempfile.mkdtemp(prefix="bench-stats-"))
        folder.mkdir(exist_ok=True)
        existing = keep and (folder / "bench.sqlite3").exists()
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        return None, existing
    import psycopg

    with psycopg.connect(url, autocommit=True) as server:
        found = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]).fetchone()
        if not (keep and found):
            server.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
            server.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + f"/{BENCH_DATABASE}"
    return url, bool(keep and found)


def existing_world():
    from ribambelle.accounts.models import User
    from ribambelle.bookings.models import Booking
    from ribambelle.tenancy.models import Organisation

    org = Organisation.objects.get(slug="banc-statistiques")
    user = User.objects.get(organisation=org, email="admin@banc.example")
    return org, user, Booking.objects.filter(organisation=org).count(), (date(2025, 9, 1), date(2026, 8, 31))


def drop_database(server_url: str | None) -> None:
    if server_url is None:
        return
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    main()
