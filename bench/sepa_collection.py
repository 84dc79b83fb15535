"""SEPA collection at scale: N families (default 2,000) with a mandate and an open invoice each.
Times the making of the collection (selection, pain.008 built and validated against its XSD,
stored with its SHA-256, one line per invoice, one pre-notification e-mail per family) and its
settlement (one payment, allocation and receipt e-mail per invoice); prints the queries each
took per invoice (they must not grow with N), the file size and the process's peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rb_h16sepa \
        .venv/bin/python bench/sepa_collection.py [--families 2000]

Data goes into a new organisation of its own ("bench-sepa-<time>").
"""

import argparse
import os
import resource
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ribambelle.config.settings")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()


class QueryCount:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=2000)
    n = parser.parse_args().families

    from django.db import connection
    from django.utils import timezone

    from ribambelle.billing.models import BillingSettings, Invoice, SepaMandate
    from ribambelle.billing.sepa_collections import create_collection, settle_collection
    from ribambelle.families.models import Family
    from ribambelle.tenancy.models import Organisation

    stamp = int(time.time())
    org = Organisation.objects.create(name=f"Bench SEPA {stamp}", slug=f"bench-sepa-{stamp}")
    BillingSettings.objects.create(
        organisation=org,
        sepa_creditor_name="Bench",
        sepa_creditor_id="FR72ZZZ123456",
        sepa_iban="FR7630006000011234567890189",
        sepa_bic="AGRIFRPPXXX",
    )
    families = Family.objects.bulk_create(
        [Family(organisation=org, name=f"FAMILLE {i}", email=f"f{i}@bench.example", city="Pouilly") for i in range(n)]
    )
    today = timezone.localdate()
    SepaMandate.objects.bulk_create(
        [
            SepaMandate(
                organisation=org,
                family=f,
                rum=f"RUM-{stamp}-{i}",
                holder=f"Titulaire {i}",
                iban="FR1420041010050500013M02606",
                bic="PSSTFRPPPAR",
                signed_on=today - timedelta(days=60),
            )
            for i, f in enumerate(families)
        ]
    )
    Invoice.objects.bulk_create(
        [
            Invoice(
                organisation=org,
                family=f,
                number=f"F2026-{i + 1:06d}",
                sequence=i + 1,
                year=2026,
                issue_date=today,
                due_date=today + timedelta(days=30),
                period_start=today.replace(day=1),
                period_end=today,
                total=Decimal("42.50"),
                family_name=f.name,
            )
            for i, f in enumerate(families)
        ]
    )
    counter = QueryCount()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        collection = create_collection(organisation=org, collection_date=today + timedelta(days=20), acting_user=None)
    made = time.perf_counter() - started
    print(
        f"collection : {collection.line_count} factures, {collection.total} €, "
        f"fichier {len(collection.content) // 1024} Ko, "
        f"{made:.1f} s ({collection.line_count / made:.0f} factures/s), {counter.count} requêtes "
        f"({counter.count / n:.1f} par facture)"
    )
    counter = QueryCount()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        settled = settle_collection(collection=collection, acting_user=None, force=True)
    took = time.perf_counter() - started
    print(
        f"règlement : {settled} paiements en {took:.1f} s ({settled / took:.0f}/s), {counter.count} requêtes "
        f"({counter.count / n:.1f} par facture)"
    )
    print(
        f"mémoire du processus au plus haut (RSS) : {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} Mo"
    )


if __name__ == "__main__":
    from django_scopes import scopes_disabled

    # A benchmark builds and inspects its own organisation from outside any request.
    with scopes_disabled():
        main()
