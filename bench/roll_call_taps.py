"""A tablet coming back online with its taps: the time and the queries of one batch, applied and
then sent again (a retry after a lost answer, which must change nothing), for growing batches.

Runs on a throw-away database: a temporary SQLite file, or PostgreSQL when DATABASE_URL names one
(a database `ribambelle_bench_taps` is created next to it and dropped at the end).

    .venv/bin/python bench/roll_call_taps.py [--sizes 10 100 500]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/roll_call_taps.py
"""

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ribambelle.config.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    admin = None
    if base.startswith("postgres"):
        import psycopg

        admin = urlparse(base)._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS ribambelle_bench_taps WITH (FORCE)")
            conn.execute("CREATE DATABASE ribambelle_bench_taps")
        os.environ["DATABASE_URL"] = urlparse(base)._replace(path="/ribambelle_bench_taps").geturl()
    else:
        os.environ["RIBAMBELLE_VAR_DIR"] = tempfile.mkdtemp(prefix="rb-bench-taps-")
        os.environ.pop("DATABASE_URL", None)
    try:
        run(args.sizes)
    finally:
        if admin:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS ribambelle_bench_taps WITH (FORCE)")


def run(sizes) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_scopes import scope, scopes_disabled

    from ribambelle.bookings.models import Booking
    from ribambelle.bookings.taps import Tap, apply_taps
    from ribambelle.tenancy.roles import Role
    from tests.factories import ActivityFactory, BookingFactory, MembershipFactory, OpeningFactory, OrganisationFactory

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}")
    for size in sizes:
        with scopes_disabled():
            organisation = OrganisationFactory()
            user = MembershipFactory(organisation=organisation, role=Role.AGENT).user
            today = timezone.localdate()
            activity = ActivityFactory(organisation=organisation, start_date=today, end_date=today)
            opening = OpeningFactory(organisation=organisation, activity=activity, capacity=size)
            bookings = [
                BookingFactory(organisation=organisation, registration__group=opening.group, opening=opening)
                for _ in range(size)
            ]
        now = timezone.now()
        batch = [Tap(uuid.uuid4(), b.pk, "present", None, None, now) for b in bookings]
        ids = {b.pk for b in bookings}
        with scope(organisation=organisation):
            for label in ("applied", "sent again"):
                reset_queries()  # the factories' queries would fill Django's query log
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    apply_taps(organisation_id=organisation.pk, booking_ids=ids, taps=batch, acting_user=user)
                    elapsed = time.perf_counter() - started
                print(f"{size:>5} taps {label:<10}: {elapsed * 1000:8.1f} ms, {len(queries):5} queries")
            present = Booking.objects.filter(pk__in=ids, status="present").count()
        assert present == size, present


if __name__ == "__main__":
    main()
