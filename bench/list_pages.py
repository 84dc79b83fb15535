"""Server time and SQL queries of the back office's list pages, plain, filtered and sorted (FilterSets
returned by selectors, core.filters.ListFilter), on the demo data as an administrator of CC Quercy
Vert-Aveyron — the same in-process measure as `pages.py` (`manage.py load_demo` first).

    .venv/bin/python bench/list_pages.py [--runs 50] [--only journal,soldes]
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ribambelle.config.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("LOG_LEVEL", "ERROR")

from pages import BACKEND, STAFF, measure  # noqa: E402 - after the path and settings above

LISTS = [
    ("règlements", "facturation/reglements/", "q=MARTIN&tri=-montant"),
    ("soldes", "facturation/soldes/", "solde=due&tri=-solde"),
    ("impayés", "facturation/impayes/", "echues=1&tri=famille"),
    ("messages", "messages/", "statut=tous&tri=-famille"),
    ("envois groupés", "envois-groupes/", "q=a&tri=-adresses"),
    ("documents à examiner", "documents/", "q=a&tri=-date"),
    ("journal", "journal/", "text=a&tri=date"),
    ("comptes familles", "comptes-familles/", "statut=none&tri=-famille"),
    ("modération", "moderation/", "q=a&tri=-famille"),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--only", default="", help="comma-separated words; measures the lists whose name has one")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from ribambelle.accounts.models import User

    staff = User.objects.select_related("organisation").get(email=STAFF)
    client = Client()
    client.force_login(staff, backend=BACKEND)
    base = f"/{staff.organisation.slug}/gestion/"
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    print(f"{args.runs} pages chacune, en processus, DEBUG off, base {connection.vendor}")
    print(f"{'liste':<34} {'médiane':>9} {'p95':>9} {'CPU méd.':>9} {'requêtes':>9}")
    for name, path, query in LISTS:
        if wanted and not any(w in name for w in wanted):
            continue
        for label, url in ((name, base + path), (f"{name} filtrée, triée", f"{base}{path}?{query}")):
            median, p95, cpu, queries = measure(client, url, args.runs)
            print(f"{label:<34} {median:>6.1f} ms {p95:>6.1f} ms {cpu:>6.1f} ms {queries:>9}")
    print(f"charge : {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    from django_scopes import scopes_disabled

    with scopes_disabled():
        main()
