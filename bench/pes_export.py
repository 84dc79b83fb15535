"""PES V2 export at scale: runs of 2,500, 5,000 and 10,000 issued invoices (two lines each,
one family in ten on SEPA debit by the Trésor) exported as one rôle each, with every invoice
PDF rendered, compressed and attached. Prints, per run, the time, the file size and the peak
memory: the XML is streamed (lxml xmlfile) and the invoices read by chunks, so the peak should
stay flat as the run grows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rb_h16pes \
        .venv/bin/python bench/pes_export.py [--sizes 2500,5000,10000] [--tracemalloc] [--workers N]

Without --tracemalloc, the memory figure is the growth of the process's peak RSS during the
export (0 when an export needed no more than the runs before it); with it, the peak of Python
allocations during each export (slower: tracemalloc costs about 1.5-2x). Data goes into a new
organisation of its own ("bench-pes-<time>"). The CPU figure adds the exporting process and
its PDF workers (ribambelle/helios/pdfpool.py; --workers 1 renders in the process).
"""

import argparse
import os
import resource
import sys
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ribambelle.config.settings")
os.environ.setdefault("DEBUG", "false")  # with DEBUG on, Django keeps every query's SQL


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2500,5000,10000")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument(
        "--workers", type=int, help="processus de rendu des PDF (défaut : le réglage HELIOS_PDF_WORKERS ; 1 : aucun)"
    )
    return parser.parse_args()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu():
    """CPU seconds (user + system) of this process and of its finished children (the PDF
    workers, counted once they have exited: the pool ends with each export)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return _Cpu(own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime)


class _Cpu(tuple):
    def __new__(cls, own, children):
        return super().__new__(cls, (own, children))

    def __sub__(self, other):
        return _Cpu(self[0] - other[0], self[1] - other[1])

    def __format__(self, spec):
        return format(self[0] + self[1], spec)


def make_run(org, activity, size: int, offset: int):
    from ribambelle.billing.models import Invoice, InvoiceLine, InvoiceRun, SepaMandate
    from ribambelle.families.models import Family

    start, end = date(2026, 10, 1), date(2026, 10, 31)
    run = InvoiceRun.objects.create(organisation=org, period_start=start, period_end=end, status="done")
    families = Family.objects.bulk_create(
        Family(
            organisation=org,
            name=f"Famille Hélène-Benoît {offset + i}",
            address_line=f"{i % 90 + 1} rue de l'Église",
            postal_code="21320",
            city="Pouilly-en-Auxois",
            payer_civility="MME" if i % 2 else "M",
            payer_last_name=f"Lefèvre-Gaëtan {offset + i}",
            payer_first_name="Zoé",
        )
        for i in range(size)
    )
    SepaMandate.objects.bulk_create(
        SepaMandate(
            organisation=org,
            family=family,
            rum=f"RUM-{offset + i:08d}",
            holder="Zoé Lefèvre",
            iban="FR1420041010050500013M02606",
            bic="PSSTFRPPPAR",
            signed_on=date(2026, 1, 5),
        )
        for i, family in enumerate(families)
        if i % 10 == 0
    )
    invoices = Invoice.objects.bulk_create(
        Invoice(
            organisation=org,
            family=family,
            run=run,
            number=f"F2026-{offset + i + 1:06d}",
            sequence=offset + i + 1,
            year=2026,
            issue_date=end,
            due_date=end + timedelta(days=30),
            period_start=start,
            period_end=end,
            total=Decimal("33.60"),
            family_name=family.name,
            family_address="rue de l'Église\n21320 Pouilly-en-Auxois",
        )
        for i, family in enumerate(families)
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                organisation=org,
                invoice=invoice,
                family_id=invoice.family_id,
                activity=activity if n == 0 else None,
                activity_name=activity.name if n == 0 else "Restauration",
                child_name="Léa",
                date=start + timedelta(days=n),
                label="Journée" if n == 0 else "Repas",
                unit_price=amount,
                amount=amount,
            )
            for invoice in invoices
            for n, amount in enumerate((Decimal("29.80"), Decimal("3.80")))
        ],
        batch_size=2000,
    )
    return run


def main():
    args = parse_args()
    if args.workers is not None:
        os.environ["HELIOS_PDF_WORKERS"] = str(args.workers)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from ribambelle.activities.models import Activity
    from ribambelle.billing.models import BillingSettings
    from ribambelle.helios.models import HeliosSettings
    from ribambelle.helios.services import export_pes
    from ribambelle.tenancy.models import Organisation, Structure

    print(f"base : {connection.vendor}  (machine : 2 cœurs partagés avec d'autres tâches ; ±30 %)")
    stamp = int(time.time())
    org = Organisation.objects.create(name=f"Bench PES {stamp}", slug=f"bench-pes-{stamp}")
    BillingSettings.objects.create(organisation=org, payment_instructions="À régler auprès du Trésor public.")
    structure = Structure.objects.create(organisation=org, name="ALSH", kind="accueil_loisirs")
    activity = Activity.objects.create(
        organisation=org,
        structure=structure,
        kind="vacances",
        name="Accueil de loisirs",
        start_date=date(2026, 9, 1),
        end_date=date(2027, 7, 6),
        registration_opens_at="2026-06-01T00:00:00+02:00",
    )
    settings = HeliosSettings.objects.create(
        organisation=org,
        id_post="021011",
        siret="21580123400018",
        cod_col="067",
        cod_bud="01",
        budget_label="Budget principal",
        default_product_code="ENF",
        edition="06",
    )
    offset = 0
    for size in [int(s) for s in args.sizes.split(",")]:
        t0 = time.perf_counter()
        run = make_run(org, activity, size, offset)
        offset += size
        prepared = time.perf_counter() - t0
        before = rss_mb()
        if args.tracemalloc:
            tracemalloc.start()
        cpu0 = _cpu()
        t0 = time.perf_counter()
        roll = export_pes(run=run, settings=settings, acting_user=None)
        elapsed = time.perf_counter() - t0
        cpu = _cpu() - cpu0
        if args.tracemalloc:
            peak = f"pic Python (tracemalloc) {tracemalloc.get_traced_memory()[1] / 1e6:.1f} Mo"
            tracemalloc.stop()
        else:
            peak = f"RSS au plus haut {rss_mb():.0f} Mo (+{rss_mb() - before:.0f} Mo pendant l'export)"
        print(
            f"{size:>6} factures (préparées en {prepared:.1f} s) : rôle n° {roll.number} exporté en {elapsed:.1f} s "
            f"({size / elapsed:.0f} factures/s), fichier {roll.size / 1e6:.1f} Mo, "
            f"{roll.sepa_count} prélèvements ; CPU {cpu:.1f} s "
            f"(processus {cpu[0]:.1f} s + ouvriers PDF {cpu[1]:.1f} s) ; {peak}",
            flush=True,
        )


if __name__ == "__main__":
    from django_scopes import scopes_disabled

    with scopes_disabled():
        main()
