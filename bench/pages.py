"""Server time and SQL queries of the main pages of the Espace Famille and the back office.

Runs in-process on the demo data (`manage.py load_demo` first; SQLite by default, or the
DATABASE_URL database) with DEBUG off, through Django's test client, as a parent (Julie MARTIN)
and as an administrator of CC Quercy Vert-Aveyron. As `planning_month.py` does, it adds a third
registration for Léa MARTIN (removed at the end), so the month planning shows its 186 cells.
Each request ends as under a server (`close_old_connections`), so the cost of opening database
connections counts. Each page is requested N times; prints the median and p95 server time, the
median CPU time of the process (steadier on a busy machine) and the queries of each page.

    .venv/bin/python bench/pages.py [--runs 100] [--only login,dashboard]
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

PARENT = "julie.martin@famille.example"
STAFF = "admin@quercy.example"
BACKEND = "ribambelle.accounts.backends.OrganisationEmailBackend"


def pages(org, lea, activity, month):
    """(name, client, url) for every page measured; client is "anonymous", "parent" or "staff"."""
    return [
        ("portail · connexion", "anonymous", f"/{org.slug}/connexion/"),
        ("portail · tableau de bord", "parent", f"/{org.slug}/"),
        ("portail · mes factures", "parent", f"/{org.slug}/mes-factures/"),
        ("portail · planning mois", "parent", f"/{org.slug}/reservations/enfant/{lea.pk}/?vue=mois&date={month}"),
        ("portail · planning semaine", "parent", f"/{org.slug}/reservations/enfant/{lea.pk}/"),
        ("gestion · connexion", "anonymous", f"/{org.slug}/gestion/connexion/"),
        ("gestion · tableau de bord", "staff", f"/{org.slug}/gestion/"),
        ("gestion · familles", "staff", f"/{org.slug}/gestion/familles/"),
        ("gestion · occupation", "staff", f"/{org.slug}/gestion/activites/{activity.pk}/occupation/"),
        ("gestion · factures", "staff", f"/{org.slug}/gestion/facturation/factures/"),
        ("gestion · inscriptions à valider", "staff", f"/{org.slug}/gestion/inscriptions/a-valider/"),
    ]


def demo_pages():
    """The pages and a logged-in client per role, on the demo data (call inside a transaction)."""
    from django.test import Client

    from ribambelle.accounts.consent import record_consents
    from ribambelle.accounts.models import User
    from ribambelle.activities.models import Activity
    from ribambelle.registrations.models import Registration

    parent = User.objects.select_related("family", "organisation").get(email=PARENT)
    org = parent.organisation
    staff = User.objects.get(email=STAFF, organisation=org)
    lea = parent.family.members.get(first_name="Léa")
    periscolaire = Activity.objects.filter(organisation=org, kind="periscolaire").first()
    registration, created = Registration.objects.get_or_create(
        organisation=org,
        child=lea,
        activity=periscolaire,
        defaults={"family": parent.family, "group": periscolaire.groups.get(name="Élémentaire"), "status": "accepted"},
    )
    record_consents(user=parent, personal=True, health=True)
    clients = {"anonymous": Client(), "parent": Client(), "staff": Client()}
    clients["parent"].force_login(parent, backend=BACKEND)
    clients["staff"].force_login(staff, backend=BACKEND)
    month = f"{periscolaire.start_date.replace(month=12, day=1):%Y-%m-%d}"
    return pages(org, lea, periscolaire, month), clients, (registration.delete if created else lambda: None)


def measure(client, url, runs):
    from django.db import close_old_connections, connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm caches and templates
    assert response.status_code == 200, (url, response.status_code)
    timings, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        # The end of a request as a server ends it (the test client skips it): the connection is
        # closed here if it is not to be kept, and the next request opens a new one.
        close_old_connections()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    timings.sort()
    return statistics.median(timings), timings[int(0.95 * (len(timings) - 1))], statistics.median(cpu), len(queries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--only", default="", help="comma-separated words; measures the pages whose name has one")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    urls, clients, clean_up = demo_pages()
    try:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        print(f"{args.runs} pages chacune, en processus, DEBUG off, base {connection.vendor}")
        # CPU time of this process too: on a busy machine it stays close to the idle wall time.
        print(f"{'page':<36} {'médiane':>9} {'p95':>9} {'CPU méd.':>9} {'requêtes':>9}")
        for name, who, url in urls:
            if wanted and not any(w in name for w in wanted):
                continue
            median, p95, cpu, queries = measure(clients[who], url, args.runs)
            print(f"{name:<36} {median:>6.1f} ms {p95:>6.1f} ms {cpu:>6.1f} ms {queries:>9}")
    finally:
        clean_up()
    print(f"charge : {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    from django_scopes import scopes_disabled

    # A benchmark builds and inspects its own organisation from outside any request: scopes
    # disabled, visibly (pages it requests still run in the middleware's scope).
    with scopes_disabled():
        main()
