"""The opening day's waiting room: 1,000 families join within 10 s, then poll their position
every 5 s (with jitter) for a minute, through HTTP, as in production (gunicorn, PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/opening_day_room.py

Each family does what its browser does on the room page, opened before (the page itself is not
part of the run): it posts the room's form (htmx) with a solved ALTCHA proof (solved before the
run, as the browser does while the parent reads the page), gets its position in place of the
form, then polls the address that answer carries (with its signed ticket) until it is let in,
when it loads the room page (which gives the pass) and stops asking. The room opens right after
the last join, so every join is a pre-queue join; the polls see the countdown, then positions
falling as families are admitted. Printed: joins, room pages and polls, latency seen by the
families and time spent in the application (gunicorn's access log), errors, one place per
family, and the correlation between join time and position (fairness of the shuffle).

Options: --families 1000 --join-seconds 10 --poll-seconds 60 --poll-every 5 --workers 2.
Uses a database of its own (ribambelle_bench_room), recreated at each run.
"""

import argparse
import asyncio
import html
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
from multiprocessing import Pool
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "ribambelle_bench_room"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", type=int, default=1000)
    parser.add_argument("--join-seconds", type=float, default=10)
    parser.add_argument("--poll-seconds", type=float, default=60)
    parser.add_argument("--poll-every", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8767)
    return parser.parse_args()


def recreate_database() -> str:
    import psycopg

    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Donnez DATABASE_URL=postgres://… : le banc d'essai tourne sur PostgreSQL.")
    parsed = urlparse(base)
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    return parsed._replace(path=f"/{DB_NAME}").geturl()


def _solve(challenge):
    from ribambelle.core.robot import solve_for_tests

    return solve_for_tests(challenge)


def prepare(args):
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from ribambelle.accounts.models import ConsentKind, ConsentRecord, User
    from ribambelle.activities.models import Activity
    from ribambelle.core.robot import new_challenge
    from ribambelle.families.models import Family
    from ribambelle.tenancy.models import Organisation, Structure
    from ribambelle.waitingroom.models import WaitingRoom

    call_command("migrate", verbosity=0)
    organisation = Organisation.objects.create(name="CC Banc d'essai", slug="banc")
    structure = Structure.objects.create(
        organisation=organisation, name="ALSH", kind="accueil_loisirs", age_min_months=36, age_max_months=204
    )
    start = timezone.localdate() + timedelta(days=30)
    activity = Activity.objects.create(
        organisation=organisation,
        structure=structure,
        kind="vacances",
        name="Vacances d'été",
        start_date=start,
        end_date=start + timedelta(days=6),
        registration_opens_at=timezone.now() - timedelta(days=1),
    )
    # Times are set again just before the run (preparing takes a while).
    room = WaitingRoom.objects.create(
        organisation=organisation,
        activity=activity,
        prequeue_from=timezone.now() - timedelta(hours=1),
        opens_at=timezone.now() + timedelta(hours=1),
        closes_at=timezone.now() + timedelta(hours=3),
        admitted_per_interval=50,
        interval_seconds=10,
    )
    families = Family.objects.bulk_create(
        Family(organisation=organisation, name=f"FAMILLE{i}") for i in range(args.families)
    )
    users = [
        User(organisation=organisation, email=f"parent{i}@banc.example", family=f, activated_at=timezone.now())
        for i, f in enumerate(families)
    ]
    for user in users:
        user.set_unusable_password()
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
    print("Résolution des preuves ALTCHA (comme le navigateur)…", flush=True)
    with Pool(2) as pool:
        proofs = pool.map(_solve, [new_challenge() for _ in users], chunksize=50)
    clients = []
    for user, proof in zip(users, proofs, strict=True):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "ribambelle.accounts.backends.OrganisationEmailBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        clients.append((session.session_key, user.family_id, proof))
    # As a live database is after its maintenance (bench/opening_rush.py): statistics, and the
    # bulk load written out, so that no checkpoint of it falls in the middle of the run.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    return organisation.slug, room, clients


async def request(port, method, path, cookie, body=b"", *, htmx=False):
    """(status, milliseconds, the whole response as bytes: head and body)."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nCookie: {cookie}\r\n"
    if method == "POST":
        head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
    if htmx:  # what htmx sends with the requests it makes
        head += "HX-Request: true\r\n"
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write((head + "\r\n").encode() + body)
        await writer.drain()
        status_line = await reader.readline()
        response = await reader.read()
        writer.close()
        return int(status_line.split()[1]), (time.perf_counter() - started) * 1000, response
    except (OSError, IndexError, ValueError):
        return 0, (time.perf_counter() - started) * 1000, b""


async def run(args, slug, activity_id, clients):
    rng = random.Random(2026)
    room_path = f"/{slug}/salle-attente/{activity_id}/"
    joins, pages, polls, join_times = [], [], [], {}
    began = time.perf_counter()

    async def family(session_key, family_id, proof):
        csrf = secrets.token_hex(16)
        cookie = f"sessionid={session_key}; csrftoken={csrf}"
        await asyncio.sleep(rng.uniform(0, args.join_seconds))
        join_times[family_id] = time.perf_counter() - began
        body = urlencode({"csrfmiddlewaretoken": csrf, "robot": proof}).encode()
        # Joining, as the room page's form does it (htmx): the answer is the position, in place of
        # the form, with the address the page then polls (with the family's ticket).
        posted, post_ms, answer = await request(args.port, "POST", room_path, cookie, body, htmx=True)
        joins.append((posted, post_ms))
        found = re.search(rb'hx-get="([^"]+)"', answer)
        if not found:  # not in the room: counted as a join error, nothing to poll
            return
        position = html.unescape(found.group(1).decode())
        end = began + args.join_seconds + args.poll_seconds
        while time.perf_counter() + args.poll_every < end:
            await asyncio.sleep(args.poll_every * rng.uniform(0.8, 1.2))
            status, ms, response = await request(args.port, "GET", position, cookie, htmx=True)
            polls.append((status, ms))
            if b"HX-Redirect:" in response.partition(b"\r\n\r\n")[0]:
                # Let in: htmx loads the room page, which gives the pass and stops asking.
                pages.append((await request(args.port, "GET", room_path, cookie))[:2])
                break

    await asyncio.gather(*(family(*client) for client in clients))
    return joins, pages, polls, join_times, time.perf_counter() - began


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else 0.0


def server_times(access_log: Path, method: str, *, polls: bool) -> list[float]:
    """Milliseconds in the application for this method: the position polls, or the other requests."""
    lines = [line.split() for line in access_log.read_text().splitlines()]
    return [int(ms) / 1000 for m, path, _s, ms in lines if m == method and ("/position/" in path) == polls]


def main():
    args = parse_args()
    database_url = recreate_database()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "ribambelle.config.settings",
        "RIBAMBELLE_PRODUCTION": "1",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECRET_KEY": os.environ.get("SECRET_KEY", secrets.token_urlsafe(50)),
        "LOG_LEVEL": "WARNING",
        "RIBAMBELLE_VAR_DIR": "/tmp/ribambelle-bench-room",
    }
    os.environ.update(env)
    print(f"Préparation : {args.families} familles…", flush=True)
    slug, room, clients = prepare(args)
    # The room page is rendered in production mode: its static files are collected, as deploy does.
    collect = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"]
    subprocess.run(collect, cwd=ROOT, env=env, check=True)
    access_log = Path(env["RIBAMBELLE_VAR_DIR"]) / "access.log"
    access_log.parent.mkdir(parents=True, exist_ok=True)
    access_log.write_text("")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "ribambelle.config.wsgi", "-w", str(args.workers)]
        + ["-b", f"127.0.0.1:{args.port}", "--backlog", "2048", "--log-level", "warning"]
        + ["--access-logfile", str(access_log), "--access-logformat", "%(m)s %(U)s %(s)s %(D)s"],
        cwd=ROOT,
        env=env,
    )
    try:
        import urllib.request

        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        from datetime import timedelta

        from django.utils import timezone
        from django_scopes import scopes_disabled

        # Every join lands in the pre-queue; the room opens just after the last one.
        now = timezone.now()
        with scopes_disabled():  # the bench's own set-up, outside any request
            type(room).objects.filter(pk=room.pk).update(
                prequeue_from=now - timedelta(minutes=1), opens_at=now + timedelta(seconds=args.join_seconds + 2)
            )
        print(f"gunicorn : {args.workers} workers ; c'est parti.", flush=True)
        joins, pages, polls, join_times, duration = asyncio.run(run(args, slug, room.activity_id, clients))
        time.sleep(0.5)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    from django_scopes import scopes_disabled

    from ribambelle.waitingroom.models import LATE_BASE, RoomEntry

    with scopes_disabled():  # the bench reads what the requests wrote
        order = list(RoomEntry.objects.filter(room=room).order_by("sort_key", "id").values_list("family_id", flat=True))
        # Only the joins the server handled before the opening are in the pre-queue; a join
        # that waited in the server's queue past the opening is a late arrival, queued in order.
        prequeue = set(RoomEntry.objects.filter(room=room, sort_key__lt=LATE_BASE).values_list("family_id", flat=True))
    families = [f for f in order if f in join_times and f in prequeue]
    correlation = (
        statistics.correlation([join_times[f] for f in families], list(range(len(families))))
        if len(families) > 2
        else 0.0
    )
    join_ms = [ms for status, ms in joins if status]
    page_ms = [ms for status, ms in pages if status]
    poll_ms = [ms for status, ms in polls if status]
    join_errors = sum(1 for s, _ in joins if s != 200)
    page_errors = sum(1 for s, _ in pages if s != 200)
    poll_errors = sum(1 for s, _ in polls if s != 200)
    server_join = server_times(access_log, "POST", polls=False)
    server_room, server_poll = server_times(access_log, "GET", polls=False), server_times(access_log, "GET", polls=True)
    print(f"\nDurée : {duration:.1f} s")
    print(f"Entrées : {len(joins)} en {args.join_seconds:.0f} s, réponses autres que 200 : {join_errors}")
    print(
        f"  vues par les familles (ms) : p50 {statistics.median(join_ms):.0f} · p95 {percentile(join_ms, 95):.0f}"
        f" · max {max(join_ms):.0f} ; dans l'application : p95 {percentile(server_join, 95):.0f}"
    )
    print(
        f"Pages de la salle à l'admission : {len(pages)}, autres que 200 : {page_errors}"
        f" ; vues par les familles (ms) : p50 {percentile(page_ms, 50):.0f} · p95 {percentile(page_ms, 95):.0f}"
        f" ; dans l'application : p95 {percentile(server_room, 95):.0f}"
    )
    rate = len(polls) / duration
    print(f"Consultations de la position : {len(polls)} ({rate:.0f}/s), autres que 200 : {poll_errors}")
    print(
        f"  vues par les familles (ms) : p50 {statistics.median(poll_ms):.0f} · p95 {percentile(poll_ms, 95):.0f}"
        f" · max {max(poll_ms):.0f} ; dans l'application : p95 {percentile(server_poll, 95):.1f}"
    )
    print(f"Places en salle d'attente : {len(order)} pour {len(clients)} familles")
    print(f"Corrélation heure d'arrivée / position (pré-file, {len(families)} familles) : {correlation:+.3f}")
    checks = [
        ("aucune erreur serveur", join_errors == 0 and page_errors == 0 and poll_errors == 0),
        ("une place par famille", len(order) == len(set(order)) == len(clients)),
        (f"p95 d'une entrée sous 300 ms ({percentile(join_ms, 95):.0f} ms)", percentile(join_ms, 95) < 300),
        (f"p95 d'une consultation sous 50 ms ({percentile(poll_ms, 95):.0f} ms)", percentile(poll_ms, 95) < 50),
        (f"|corrélation| < 0,1 ({correlation:+.3f})", abs(correlation) < 0.1),
    ]
    print("\nObjectifs :")
    for label, ok in checks:
        print(f"  [{'OK' if ok else 'NON'}] {label}")
    sys.exit(0 if all(ok for _label, ok in checks) else 1)


if __name__ == "__main__":
    main()
