"""Server time of the month view of "Mes réservations" for a child with three activities.

Runs in-process on the demo data (`manage.py load_demo` first; SQLite by default, or the
DATABASE_URL database), adds a third registration for Léa MARTIN inside a transaction that is
rolled back at the end, then requests the month view N times and prints p50/p95/max and the
number of queries per page.

    .venv/bin/python bench/planning_month.py [--runs 100]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ribambelle.config.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("LOG_LEVEL", "ERROR")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ribambelle.accounts.consent import record_consents
    from ribambelle.accounts.models import User
    from ribambelle.activities.models import Activity
    from ribambelle.registrations.models import Registration

    user = User.objects.select_related("family").get(email="julie.martin@famille.example")
    lea = user.family.members.get(first_name="Léa")
    with transaction.atomic():
        periscolaire = Activity.objects.filter(organisation=user.organisation, kind="periscolaire").first()
        group = periscolaire.groups.get(name="Élémentaire")
        Registration.objects.get_or_create(
            organisation=user.organisation,
            child=lea,
            activity=periscolaire,
            defaults={"family": user.family, "group": group, "status": "accepted"},
        )
        record_consents(user=user, personal=True, health=True)
        activities = Registration.objects.filter(child=lea, status="accepted").count()
        client = Client()
        client.force_login(user, backend="ribambelle.accounts.backends.OrganisationEmailBackend")
        month = periscolaire.start_date.replace(month=12, day=1)
        url = f"/{user.organisation.slug}/reservations/enfant/{lea.pk}/?vue=mois&date={month:%Y-%m-%d}"
        client.get(url)  # warm caches and templates
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        cells = response.content.decode().count('class="cell ')
        transaction.set_rollback(True)
    timings.sort()
    print(
        f"Vue mois, {activities} activités, {cells} cases, {len(queries)} requêtes SQL par page ({connection.vendor})"
    )
    print(
        f"Temps serveur sur {args.runs} pages : p50 {statistics.median(timings):.1f} ms · "
        f"p95 {timings[int(0.95 * (len(timings) - 1))]:.1f} ms · max {timings[-1]:.1f} ms"
    )


if __name__ == "__main__":
    from django_scopes import scopes_disabled

    # A benchmark builds and inspects its own organisation from outside any request: scopes
    # disabled, visibly (pages it requests still run in the middleware's scope).
    with scopes_disabled():
        main()
