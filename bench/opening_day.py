"""Opening day, the draw part: 1,000 families × 10 wishes on 200 places × 5 days (2 units a day).

Prepares the data in a PostgreSQL database of its own (ribambelle_bench_draw), then times the
whole draw as `manage.py run_draw` runs it (`allocation.services.run_draw`: the openings locked,
the wishes sealed, the allocation, the bookings and waiting lists written, the decision e-mails
queued in the outbox), the pure allocation alone, and `verify_draw` on the published JSON.
The goal: the whole draw under 5 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/opening_day.py

Options: --families 1000 --wishes 10 --capacity 200 --days 5. The waiting-room part of the
opening day is `bench/opening_day_room.py`.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", type=int, default=1000)
    parser.add_argument("--wishes", type=int, default=10)
    parser.add_argument("--capacity", type=int, default=200)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print where run_draw spends its time")
    return parser.parse_args(argv)


def _database() -> None:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Donnez DATABASE_URL=postgres://… : le banc d'essai tourne sur PostgreSQL.")
    import psycopg

    parsed = urlparse(base)
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS ribambelle_bench_draw WITH (FORCE)")
        conn.execute("CREATE DATABASE ribambelle_bench_draw")
    os.environ["DATABASE_URL"] = parsed._replace(path="/ribambelle_bench_draw").geturl()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ribambelle.config.settings")


def bench_draw(args=None) -> dict:
    """Run the draw benchmark and return its figures (seconds)."""
    args = args or parse_args([])
    _database()
    import django

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone
    from django_scopes import scope

    call_command("migrate", verbosity=0)
    from ribambelle.activities.models import Activity, Group, Opening, Unit
    from ribambelle.allocation import draw as pure
    from ribambelle.allocation.models import AllocationMode, FamilyDrawProfile, Wish
    from ribambelle.allocation.services import configure_allocation, run_draw, send_decisions
    from ribambelle.bookings.models import Booking
    from ribambelle.families.models import Family, Person
    from ribambelle.outbox.models import OutgoingEmail
    from ribambelle.registrations.models import Registration
    from ribambelle.tenancy.models import Organisation, Structure

    rng = random.Random(2026)
    organisation = Organisation.objects.create(name="CC Banc du tirage", slug="banc-tirage")
    with scope(organisation=organisation):
        structure = Structure.objects.create(
            organisation=organisation, name="ALSH", kind="accueil_loisirs", age_min_months=36, age_max_months=204
        )
        start = timezone.localdate() + timedelta(days=60)
        start -= timedelta(days=start.weekday())
        now = timezone.now()
        activity = Activity.objects.create(
            organisation=organisation,
            structure=structure,
            kind="sejour",
            name="Séjour neige",
            start_date=start,
            end_date=start + timedelta(days=args.days - 1),
            registration_opens_at=now - timedelta(days=20),
        )
        group = Group.objects.create(
            organisation=organisation, activity=activity, name="6-11 ans", age_min_months=36, age_max_months=204
        )
        units = [
            Unit.objects.create(organisation=organisation, activity=activity, name=name, position=i)
            for i, name in enumerate(["Matin", "Après-midi"])
        ]
        openings = Opening.objects.bulk_create(
            Opening(
                organisation=organisation,
                activity=activity,
                unit=unit,
                group=group,
                date=start + timedelta(days=d),
                capacity=args.capacity,
            )
            for d in range(args.days)
            for unit in units
        )
        families = Family.objects.bulk_create(
            Family(
                organisation=organisation,
                name=f"FAMILLE{i}",
                postal_code="82000" if i % 3 else "31000",
                email=f"parent{i}@banc.example",
            )
            for i in range(args.families)
        )
        FamilyDrawProfile.objects.bulk_create(
            FamilyDrawProfile(organisation=organisation, family=f, parents_working=i % 2 == 0)
            for i, f in enumerate(families)
        )
        children = Person.objects.bulk_create(
            Person(organisation=organisation, family=f, role="child", first_name="Enfant", last_name=f.name)
            for f in families
        )
        Registration.objects.bulk_create(
            Registration(
                organisation=organisation, family=c.family, child=c, activity=activity, group=group, status="accepted"
            )
            for c in children
        )
        configure_allocation(
            activity=activity,
            mode=AllocationMode.WISHES_DRAW,
            wishes_open_at=now - timedelta(days=10),
            wishes_close_at=now - timedelta(minutes=1),
            family_cap=None,
            classes=[
                {
                    "label": "Résidents, parents qui travaillent",
                    "requires_resident": True,
                    "requires_working_parents": True,
                },
                {"label": "Résidents", "requires_resident": True},
                {"label": "Autres"},
            ],
        )
        wishes = []
        for child in children:
            chosen = rng.sample(openings, min(args.wishes, len(openings)))
            wishes += [
                Wish(
                    organisation=organisation,
                    family_id=child.family_id,
                    child=child,
                    activity=activity,
                    opening=o,
                    preference=p,
                )
                for p, o in enumerate(chosen, start=1)
            ]
        Wish.objects.bulk_create(wishes, batch_size=2000)

        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
        began = time.perf_counter()
        created = run_draw(activity=activity)
        whole = time.perf_counter() - began
        if args.profile:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        began = time.perf_counter()
        sent = send_decisions(draw_id=created.pk)  # what the task worker does after the draw
        mailing = time.perf_counter() - began
        began = time.perf_counter()
        pure.allocate(created.inputs, created.seed)
        alone = time.perf_counter() - began
        began = time.perf_counter()
        ok, problems = pure.verify(created.published)
        verified = time.perf_counter() - began
        booked = Booking.objects.filter(activity=activity, status="booked").count()
        waiting = Booking.objects.filter(activity=activity, status="waiting").count()
        emails = OutgoingEmail.objects.filter(template="draw_decision").count()
        per_opening = max(Booking.objects.filter(opening=o, status="booked").count() for o in openings)
    figures = {"run_draw_s": whole, "allocate_s": alone, "verify_s": verified, "decisions_s": mailing}
    print(
        f"Tirage : {args.families} familles × {args.wishes} vœux, {len(openings)} ouvertures de {args.capacity} places "
        f"({args.days} jours × 2 unités)"
    )
    print(f"  run_draw complet (verrou, sceau, attribution, réservations)  : {whole:.2f} s  (objectif < 5 s)")
    print(f"  {sent} décisions mises en file d'e-mails (tâche après le tirage)     : {mailing:.2f} s")
    print(f"  attribution seule (fonction pure)                                  : {alone:.2f} s")
    print(
        f"  verify_draw sur les données publiées : {verified:.2f} s  ({'ok' if ok else problems})"
    )
    print(
        f"  réservées {booked}, en liste d'attente {waiting}, e-mails en file {emails}, "
        f"au plus {per_opening} places prises par ouverture (capacité {args.capacity})"
    )
    return figures


if __name__ == "__main__":
    bench_draw(parse_args())
