"""Back-office family search at scale: load N families (default 100,000) into PostgreSQL,
then time the family list page's queries for typical searches and print p50/p95.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ribambelle_bench \
        .venv/bin/python bench/search_families.py [--families 100000] [--runs 40]

The database is migrated if needed; the families go into an organisation of their own
("bench-recherche"), reused on the next run when it already holds the requested number.
What is timed is what the view does: selector + paginator count + the 50 rows of page 1
with their members prefetched.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ribambelle.config.settings")

LAST_NAMES = [
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "THOMAS",
    "ROBERT",
    "RICHARD",
    "PETIT",
    "DURAND",
    "LEROY",
    "MOREAU",
    "SIMON",
    "LAURENT",
    "LEFÈVRE",
    "MICHEL",
    "GARCIA",
    "DAVID",
    "BERTRAND",
    "ROUX",
    "VINCENT",
    "FOURNIER",
    "MOREL",
    "GIRARD",
    "ANDRÉ",
    "LEFEBVRE",
    "MERCIER",
    "DUPONT",
    "LAMBERT",
    "BONNET",
    "FRANÇOIS",
    "MARTINEZ",
    "HERVÉ",
    "BOBLET",
    "ROUSSEL",
    "NOËL",
    "CHÂTEAU",
    "GUÉRIN",
    "MÜLLER",
    "BENOÎT",
    "CÔTÉ",
    "PERRIN",
]
FIRST_NAMES = [
    "Léa",
    "Hugo",
    "Chloé",
    "Noé",
    "Zoé",
    "Maël",
    "Inès",
    "Loïc",
    "Jérôme",
    "Élodie",
    "Emma",
    "Louis",
    "Jade",
    "Gabriel",
    "Raphaël",
    "Anaïs",
    "Manon",
    "Jules",
    "Lina",
    "Adam",
    "Nolan",
    "Maëlys",
    "Théo",
    "Océane",
    "Célia",
]
CITIES = ["Bioule", "Nègrepelisse", "Saint-Étienne-de-Tulmont", "Verlhac-Tescou", "Montauban", "Albi"]


def load(organisation, count: int, batch: int = 5000) -> None:
    from django.db import transaction

    from ribambelle.families.models import Family, Person
    from ribambelle.families.search import build_search_text

    rng = random.Random(42)
    start = time.perf_counter()
    for offset in range(0, count, batch):
        families, members = [], []
        for n in range(offset, min(offset + batch, count)):
            name = rng.choice(LAST_NAMES) + ("" if n % 3 else f"-{rng.choice(LAST_NAMES)}")
            family = Family(
                organisation=organisation,
                name=name,
                city=rng.choice(CITIES),
                phone=f"05 63 {n // 10000 % 100:02d} {n // 100 % 100:02d} {n % 100:02d}",
                email=f"famille{n}@exemple.fr",
            )
            people = [
                Person(
                    organisation=organisation,
                    role="adult",
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=name,
                    email=f"parent{n}@exemple.fr",
                    phone=f"06 {n // 1000000 % 100:02d} {n // 10000 % 100:02d} {n // 100 % 100:02d} {n % 100:02d}",
                )
            ] + [
                Person(organisation=organisation, role="child", first_name=rng.choice(FIRST_NAMES), last_name=name)
                for _ in range(rng.randint(1, 3))
            ]
            family.search_text = build_search_text(family, people)
            families.append(family)
            members.append(people)
        with transaction.atomic():
            Family.objects.bulk_create(families)
            for family, people in zip(families, members, strict=True):
                for person in people:
                    person.family = family
            Person.objects.bulk_create([p for people in members for p in people])
        print(f"  {offset + len(families):>7} familles chargées ({time.perf_counter() - start:.0f} s)", flush=True)


def time_search(organisation, query: str) -> float:
    from django.core.paginator import Paginator
    from django_scopes import scope

    from ribambelle.families.selectors import families_for_staff
    from ribambelle.tenancy.models import Membership
    from ribambelle.tenancy.roles import Role

    # An unsaved administrator without a structure list: the whole organisation, as at the desk.
    membership = Membership(organisation=organisation, role=Role.ADMINISTRATOR)
    start = time.perf_counter()
    with scope(organisation=organisation):  # as the page runs it, in the organisation's scope
        page = Paginator(families_for_staff(membership, search=query), 50).get_page(1)
        rows = list(page)
        for family in rows:
            _ = family.people
        _ = page.paginator.count
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40, help="timed searches per kind of query")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        sys.exit("Donnez une base PostgreSQL : --database-url postgres://… (ou DATABASE_URL).")
    os.environ["DATABASE_URL"] = args.database_url

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from ribambelle.families.models import Family
    from ribambelle.tenancy.models import Organisation

    call_command("migrate", verbosity=0)
    organisation, _ = Organisation.objects.get_or_create(slug="bench-recherche", defaults={"name": "Bench recherche"})
    existing = Family.objects.filter(organisation=organisation).count()
    if existing != args.families:
        print(f"Chargement de {args.families} familles (il y en avait {existing})…", flush=True)
        Family.objects.filter(organisation=organisation).delete()
        load(organisation, args.families)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE families_family; ANALYZE families_person;")
    print(f"{Family.objects.filter(organisation=organisation).count()} familles dans « {organisation.slug} ».")

    rng = random.Random(7)
    kinds = {
        "nom de famille (accents, casse)": lambda: rng.choice(["herve", "Lefèvre", "NOEL", "chateau", "Müller"]),
        "prénom d'enfant": lambda: rng.choice(["zoé", "Maëlys", "loic", "anais"]),
        "nom + prénom": lambda: rng.choice(["martin léa", "dupont hugo", "roux jade"]),
        "e-mail": lambda: f"parent{rng.randint(0, args.families - 1)}@exemple.fr",
        "téléphone": lambda: "06 " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4)),
        "liste sans recherche": lambda: "",
    }
    time_search(organisation, "warm up")
    all_times = []
    print(f"\n{'recherche':<34} {'p50 (ms)':>9} {'p95 (ms)':>9}")
    for label, make in kinds.items():
        times = sorted(time_search(organisation, make()) for _ in range(args.runs))
        all_times += times
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"{label:<34} {statistics.median(times):>9.1f} {p95:>9.1f}")
    all_times.sort()
    p95 = all_times[max(0, int(len(all_times) * 0.95) - 1)]
    print(f"{'toutes':<34} {statistics.median(all_times):>9.1f} {p95:>9.1f}")


if __name__ == "__main__":
    from django_scopes import scopes_disabled

    with scopes_disabled():  # loading the bench organisation is set-up; the timed part enters its scope
        main()
