"""The opening rush: 1,000 families book the same 5 days of a 200-place group at once, through HTTP.

Starts the app as in production (gunicorn, several worker processes, PostgreSQL), prepares the
data in a database of its own, fires the requests, then checks the database: never more than
200 places booked per day, the others on the waiting list, no server error.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/opening_rush.py

Options: --families 1000 --capacity 200 --days 5 --workers 4 --concurrency 1000 (how many requests
are in flight at once; 1000 = all at the same instant). Bounded: gives up after --timeout seconds.
"""

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", type=int, default=1000)
    parser.add_argument("--capacity", type=int, default=200)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--timeout", type=int, default=300)
    return parser.parse_args()


def bench_database_url() -> str:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Donnez DATABASE_URL=postgres://… : le banc d'essai tourne sur PostgreSQL.")
    parsed = urlparse(base)
    return parsed._replace(path="/ribambelle_bench").geturl(), parsed._replace(path="/postgres").geturl()


def recreate_database(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS ribambelle_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE ribambelle_bench")


def prepare(args):
    """Migrate and create the organisation, the activity and the families with a session each."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from datetime import timedelta

    from ribambelle.accounts.models import ConsentKind, ConsentRecord, User
    from ribambelle.activities.models import Activity, Group, Opening, Unit
    from ribambelle.families.models import Family, Person
    from ribambelle.registrations.models import Registration
    from ribambelle.tenancy.models import Organisation, Structure

    organisation = Organisation.objects.create(name="CC Banc d'essai", slug="banc")
    structure = Structure.objects.create(
        organisation=organisation, name="ALSH", kind="accueil_loisirs", age_min_months=36, age_max_months=204
    )
    start = timezone.localdate() + timedelta(days=30)
    start -= timedelta(days=start.weekday())
    activity = Activity.objects.create(
        organisation=organisation,
        structure=structure,
        kind="vacances",
        name="Vacances d'été",
        start_date=start,
        end_date=start + timedelta(days=6),
        registration_opens_at=timezone.now() - timedelta(days=1),
    )
    group = Group.objects.create(
        organisation=organisation,
        activity=activity,
        name="PRIM",
        age_min_months=36,
        age_max_months=204,
        default_capacity=args.capacity,
    )
    unit = Unit.objects.create(organisation=organisation, activity=activity, name="Journée")
    openings = Opening.objects.bulk_create(
        Opening(
            organisation=organisation,
            activity=activity,
            unit=unit,
            group=group,
            date=start + timedelta(days=i),
            capacity=args.capacity,
        )
        for i in range(args.days)
    )
    families = Family.objects.bulk_create(
        Family(organisation=organisation, name=f"FAMILLE{i}") for i in range(args.families)
    )
    children = Person.objects.bulk_create(
        Person(
            organisation=organisation,
            family=f,
            role="child",
            first_name="Enfant",
            last_name=f.name,
            birth_date=start.replace(year=start.year - 8),
        )
        for f in families
    )
    Registration.objects.bulk_create(
        Registration(
            organisation=organisation, family=c.family, child=c, activity=activity, group=group, status="accepted"
        )
        for c in children
    )
    users = [
        User(organisation=organisation, email=f"parent{i}@banc.example", family=f, activated_at=timezone.now())
        for i, f in enumerate(families)
    ]
    for user in users:
        user.set_unusable_password()  # sessions are created directly: no login, no hashing cost
    users = User.objects.bulk_create(users)
    ConsentRecord.objects.bulk_create(
        ConsentRecord(
            organisation=organisation,
            family=u.family,
            user=u,
            kind=ConsentKind.PERSONAL,
            given=True,
            text_version=organisation.gdpr_text_version,
        )
        for u in users
    )
    clients = []
    for user, child in zip(users, children, strict=True):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "ribambelle.accounts.backends.OrganisationEmailBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        clients.append((session.session_key, child.pk))
    return organisation.slug, [o.pk for o in openings], start, clients


async def post(port, path, body: bytes, cookie: str):
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        f"Cookie: {cookie}\r\n\r\n"
    ).encode() + body
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()
    writer.close()
    elapsed = time.perf_counter() - started
    return int(status_line.split()[1]), elapsed


async def rush(args, slug, opening_ids, start, clients):
    semaphore = asyncio.Semaphore(args.concurrency)
    go = asyncio.Event()

    async def one(session_key, child_id):
        csrf = secrets.token_hex(16)  # a 32-character CSRF secret, as Django accepts unmasked
        body = urlencode(
            [("csrfmiddlewaretoken", csrf)]
            + [("shown", o) for o in opening_ids]
            + [("o", o) for o in opening_ids]
            + [("waitlist", "1")]
        ).encode()
        path = f"/{slug}/reservations/enfant/{child_id}/?vue=semaine&date={start:%Y-%m-%d}"
        await go.wait()
        async with semaphore:
            try:
                return await post(args.port, path, body, f"sessionid={session_key}; csrftoken={csrf}")
            except OSError as exc:
                return 0, 0.0 if exc else 0.0

    tasks = [asyncio.create_task(one(key, child)) for key, child in clients]
    await asyncio.sleep(0.2)
    began = time.perf_counter()
    go.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=args.timeout)
    return results, time.perf_counter() - began


def wait_for_server(port: int, process) -> None:
    import urllib.request

    for _ in range(100):
        if process.poll() is not None:
            sys.exit("gunicorn s'est arrêté au démarrage.")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn ne répond pas.")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    args = parse_args()
    database_url, admin_url = bench_database_url()
    recreate_database(admin_url)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "ribambelle.config.settings",
        "RIBAMBELLE_PRODUCTION": "1",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECRET_KEY": os.environ.get("SECRET_KEY", secrets.token_urlsafe(50)),
        "LOG_LEVEL": "WARNING",
        "RIBAMBELLE_VAR_DIR": "/tmp/ribambelle-bench",
    }
    os.environ.update(env)
    print(f"Préparation : {args.families} familles, {args.days} jours, {args.capacity} places…", flush=True)
    slug, opening_ids, start, clients = prepare(args)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ribambelle.config.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{args.port}",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for_server(args.port, server)
        print(f"gunicorn : {args.workers} workers ; {len(clients)} requêtes, {args.concurrency} à la fois.", flush=True)
        results, duration = asyncio.run(rush(args, slug, opening_ids, start, clients))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    from ribambelle.bookings.models import Booking

    statuses = [status for status, _ in results]
    latencies = [elapsed * 1000 for status, elapsed in results if status]
    ok = sum(1 for s in statuses if s in (200, 302))
    errors = len(statuses) - ok
    print(f"\nRequêtes : {len(results)} en {duration:.2f} s → {len(results) / duration:.0f} enregistrements/s")
    print(
        f"Latence (ms) : p50 {statistics.median(latencies):.0f} · p95 {percentile(latencies, 95):.0f} · "
        f"p99 {percentile(latencies, 99):.0f} · max {max(latencies):.0f}"
    )
    print(f"Réponses en erreur : {errors} (codes : {sorted(set(statuses))})")
    overbooked = False
    for opening_id in opening_ids:
        booked = Booking.objects.filter(opening_id=opening_id, status="booked").count()
        waiting = Booking.objects.filter(opening_id=opening_id, status="waiting").count()
        overbooked |= booked > args.capacity
        print(f"  ouverture {opening_id} : {booked} réservés / {args.capacity} places, {waiting} en liste d'attente")
    print("SURRÉSERVATION !" if overbooked else "Aucune surréservation.")
    sys.exit(1 if overbooked or errors else 0)


if __name__ == "__main__":
    main()
