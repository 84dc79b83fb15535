"""Demo organisations modelled on the two seeds, dated relative to today.

Idempotent by stable keys: each section runs once and records what it created in the
registry (`demo.models.DemoRecord`), so `manage.py load_demo` can run at every `make run`
without touching what users created or changed since. Later issues add their own sections
here, each as a function listed in load(); a section finds earlier demo rows through the
registry (`_family`, `_person`, `_user`), never by name.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from ribambelle.accounts.models import User
from ribambelle.core.actions import batch
from ribambelle.demo import absences as absences_demo
from ribambelle.demo import apiparticulier as apiparticulier_demo
from ribambelle.demo import caf as caf_demo
from ribambelle.demo import creche as creche_demo
from ribambelle.demo import custody as custody_demo  # separated parents: two households, two invoices
from ribambelle.demo import familygrid as familygrid_demo  # VIDAL: three children on one périscolaire
from ribambelle.demo import franceconnect as franceconnect_demo
from ribambelle.demo import reminders as reminders_demo
from ribambelle.demo import statistics as statistics_demo
from ribambelle.demo.draw import load_draw  # Séjour neige: wishes then a past draw
from ribambelle.demo.helios import load_helios  # Hélios settings, Pouilly's run exported to PES
from ribambelle.demo.online_payment import add_online_payment
from ribambelle.demo.renewal import load_renewal  # next school year duplicated, renewal open
from ribambelle.demo.sepa import load_sepa_collections
from ribambelle.demo.waitingroom import load_waiting_room  # a first-come activity behind a waiting room
from ribambelle.families.models import Family, Person, PersonRole, Sex
from ribambelle.tenancy.models import Membership, Organisation, Sector, Structure, StructureKind
from ribambelle.tenancy.roles import Role

DEMO_PASSWORD = "Ribambelle-2026"


@dataclass
class DemoLogin:
    organisation: str
    who: str
    email: str
    url: str
    password: str = DEMO_PASSWORD


def years_ago(years: int, *, days: int = 0) -> date:
    today = timezone.localdate()
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = today.replace(year=today.year - years, day=28)
    return born - timedelta(days=days)


QUERCY = {
    "slug": "quercy-vert-aveyron",
    "name": "Communauté de communes Quercy Vert-Aveyron",
    "short_name": "CC Quercy Vert-Aveyron",
    "primary_colour": "#1d5e3a",
    "contact_email": "enfance-jeunesse@quercy-vert-aveyron.example",
    "phone": "05 63 00 00 00",
    "postal_address": "Service Enfance Jeunesse\n82800 Nègrepelisse",
    "gdpr_controller": "Communauté de communes Quercy Vert-Aveyron",
    "gdpr_contact_email": "rgpd@quercy-vert-aveyron.example",
    "gdpr_retention_years": 5,
    "gdpr_text": (
        "Les informations sont recueillies par la Communauté de communes Quercy Vert-Aveyron pour gérer "
        "votre inscription et l'accueil des personnes concernées. La base légale du traitement est votre "
        "consentement."
    ),
}
QUERCY_STRUCTURES = [
    # name, kind, sector, email, phone, (min months, max months)
    (
        "Accueil de loisirs de Bioule",
        StructureKind.ACCUEIL_LOISIRS,
        "Bioule",
        "alsh.bioule@quercy-vert-aveyron.example",
        "05 63 00 00 01",
        (36, 204),
    ),
    (
        "Accueil de loisirs de Nègrepelisse",
        StructureKind.ACCUEIL_LOISIRS,
        "Nègrepelisse",
        "alsh.negrepelisse@quercy-vert-aveyron.example",
        "05 63 00 00 02",
        (36, 204),
    ),
    (
        "Accueil de loisirs de Saint-Étienne-de-Tulmont",
        StructureKind.ACCUEIL_LOISIRS,
        "Saint-Étienne-de-Tulmont",
        "alsh.st-etienne@quercy-vert-aveyron.example",
        "05 63 00 00 03",
        (36, 204),
    ),
    (
        "Accueil de loisirs de Verlhac-Tescou",
        StructureKind.ACCUEIL_LOISIRS,
        "Verlhac-Tescou",
        "alsh.verlhac@quercy-vert-aveyron.example",
        "05 63 00 00 04",
        (36, 204),
    ),
]

POUILLY = {
    "slug": "pouilly-bligny",
    "name": "Communauté de communes Pouilly-en-Auxois / Bligny-sur-Ouche",
    "short_name": "CC Pouilly-Bligny",
    "primary_colour": "#0b6e75",
    "contact_email": "relais@ccpouillybligny.fr",
    "phone": "03 80 64 01 02",
    "postal_address": "21320 Pouilly-en-Auxois",
    "gdpr_controller": "Communauté de communes Pouilly-en-Auxois / Bligny-sur-Ouche",
    "gdpr_contact_email": "relais@ccpouillybligny.fr",
    "gdpr_retention_years": 5,
    # Seed 004's contacts page, "Guichet unique", shown on the portal's Contact page.
    "contact_guidance": (
        "Guichet unique\n\n"
        "Parents ou futurs parents, vous cherchez un mode de garde pour votre enfant de 0 à 6 ans ? "
        "Le Relais Petite Enfance vous accueille et vous renseigne : "
        "relais@ccpouillybligny.fr / 03 80 64 01 02 ou 07 84 60 28 83.\n\n"
        "Sinon, votre demande concerne :\n"
        "– le Multi-accueil de Pouilly-en-Auxois (pour les 2 mois-4 ans) : "
        "multiaccueil@ccpouillybligny.fr / 03 80 64 01 03 ;\n"
        "– l'accueil de loisirs de Pouilly-en-Auxois ou de Bligny-sur-Ouche (pour les 3-12 ans) : "
        "accueildeloisirs@ccpouillybligny.fr / Pouilly 03 80 64 01 01, Bligny 07 84 72 20 45 ;\n"
        "– l'espace jeunes du territoire (pour les 12-18 ans) : espacejeunes@ccpouillybligny.fr / 06 82 67 02 27 ;\n"
        "– la restauration ou le périscolaire de Bligny-sur-Ouche (pour les enfants scolarisés à Bligny-sur-Ouche) : "
        "mairie.bligny-sur-ouche@wanadoo.fr / 03 80 20 11 21."
    ),
}
# The seed's "Guichet unique" list, with its e-mails and phones.
POUILLY_STRUCTURES = [
    (
        "Relais Petite Enfance",
        StructureKind.RELAIS_PETITE_ENFANCE,
        "Pouilly-en-Auxois",
        "relais@ccpouillybligny.fr",
        "03 80 64 01 02",
        (0, 72),
        "07 84 60 28 83",
    ),
    (
        "Multi-accueil de Pouilly-en-Auxois",
        StructureKind.MULTI_ACCUEIL,
        "Pouilly-en-Auxois",
        "multiaccueil@ccpouillybligny.fr",
        "03 80 64 01 03",
        (2, 48),
        "",
    ),
    (
        "Accueil de loisirs de Pouilly-en-Auxois",
        StructureKind.ACCUEIL_LOISIRS,
        "Pouilly-en-Auxois",
        "accueildeloisirs@ccpouillybligny.fr",
        "03 80 64 01 01",
        (36, 144),
        "",
    ),
    (
        "Accueil de loisirs de Bligny-sur-Ouche",
        StructureKind.ACCUEIL_LOISIRS,
        "Bligny-sur-Ouche",
        "accueildeloisirs@ccpouillybligny.fr",
        "07 84 72 20 45",
        (36, 144),
        "",
    ),
    (
        "Espace jeunes",
        StructureKind.ESPACE_JEUNES,
        "Pouilly-en-Auxois",
        "espacejeunes@ccpouillybligny.fr",
        "06 82 67 02 27",
        (144, 216),
        "",
    ),
    (
        "Restauration scolaire de Bligny-sur-Ouche",
        StructureKind.RESTAURATION,
        "Bligny-sur-Ouche",
        "mairie.bligny-sur-ouche@wanadoo.fr",
        "03 80 20 11 21",
        (36, 132),
        "",
    ),
    (
        "Périscolaire de Bligny-sur-Ouche",
        StructureKind.PERISCOLAIRE,
        "Bligny-sur-Ouche",
        "mairie.bligny-sur-ouche@wanadoo.fr",
        "03 80 20 11 21",
        (36, 132),
        "",
    ),
]

STAFF = [
    # local part, first name, last name, role
    ("admin", "Anne", "Sicard", Role.ADMINISTRATOR),
    ("directrice", "Claire", "Fabre", Role.DIRECTOR),
    ("animateur", "Hugo", "Delmas", Role.AGENT),
    ("finances", "Marc", "Pujol", Role.FINANCE),
]

# name, address, city, postal code, adults [(first, email, activated)], children [(first, sex, years, days)]
FAMILIES = {
    "quercy-vert-aveyron": [
        (
            "MARTIN",
            "12 rue des Écoles",
            "Bioule",
            "82800",
            [("Julie", "julie.martin@famille.example", True), ("Thomas", "thomas.martin@famille.example", False)],
            [("Léa", Sex.FEMALE, 8, 40), ("Hugo", Sex.MALE, 5, 100)],
        ),
        (
            "DUPONT",
            "3 chemin du Moulin",
            "Nègrepelisse",
            "82800",
            [("Sophie", "sophie.dupont@famille.example", None)],
            [("Emma", Sex.FEMALE, 10, 12), ("Louis", Sex.MALE, 6, 200), ("Jade", Sex.FEMALE, 3, 30)],
        ),
        (
            "ROUSSEL",
            "8 place de la Mairie",
            "Verlhac-Tescou",
            "82230",
            [("Karim", "karim.roussel@famille.example", True)],
            [("Nolan", Sex.MALE, 13, 5)],
        ),
    ],
    "pouilly-bligny": [
        (
            "BOBLET",
            "5 rue du Lavoir",
            "Bligny-sur-Ouche",
            "21360",
            [("Allan", "allan.boblet@famille.example", True), ("Céline", "celine.boblet@famille.example", None)],
            [("Lina", Sex.FEMALE, 2, 60), ("Jules", Sex.MALE, 7, 150), ("Manon", Sex.FEMALE, 14, 20)],
        ),
        (
            "LEROY",
            "21 route de Dijon",
            "Pouilly-en-Auxois",
            "21320",
            [("Nadia", "nadia.leroy@famille.example", True)],
            [("Adam", Sex.MALE, 9, 80)],
        ),
    ],
}


def _organisation(data: dict) -> Organisation:
    organisation, _created = Organisation.objects.get_or_create(slug=data["slug"], defaults=data)
    return organisation


def _structures(organisation: Organisation, rows) -> None:
    for row in rows:
        name, kind, sector_name, email, phone, (low, high), *rest = row
        sector, _ = Sector.objects.get_or_create(organisation=organisation, name=sector_name)
        Structure.objects.get_or_create(
            organisation=organisation,
            name=name,
            defaults={
                "kind": kind,
                "sector": sector,
                "email": email,
                "phone": phone,
                "phone_2": rest[0] if rest else "",
                "age_min_months": low,
                "age_max_months": high,
                "address": sector_name,
            },
        )


def _staff(organisation: Organisation, domain: str) -> None:
    for local, first, last, role in STAFF:
        user = User.objects.create_user(
            f"{local}@{domain}",
            DEMO_PASSWORD,
            organisation=organisation,
            first_name=first,
            last_name=last,
            activated_at=timezone.now(),
        )
        Membership.objects.create(organisation=organisation, user=user, role=role)
        _register(_user_key(organisation, user.email), user)


def _families(organisation: Organisation) -> None:
    from ribambelle.accounts.services import send_invitation

    for name, address, city, postal_code, adults, children in FAMILIES[organisation.slug]:
        # Created, never looked up by name: a family of the same name may be a real one.
        family = Family.objects.create(
            organisation=organisation,
            name=name,
            # The family file's e-mail (invoices, receipts, reminders) is the first parent's.
            address_line=address,
            city=city,
            postal_code=postal_code,
            email=adults[0][1],
        )
        _register(f"{organisation.slug}:family:{name}", family)
        for first, email, activated in adults:
            Person.objects.create(
                organisation=organisation,
                family=family,
                role=PersonRole.ADULT,
                first_name=first,
                last_name=name,
                email=email,
            )
            user = User.objects.create_user(
                email,
                DEMO_PASSWORD if activated else None,
                organisation=organisation,
                first_name=first,
                last_name=name,
                family=family,
                activated_at=timezone.now() if activated else None,
            )
            _register(_user_key(organisation, email), user)
            if activated is None:
                # Invited, not yet activated: the activation e-mail waits in the dev mailbox.
                send_invitation(user=user)
        for first, sex, years, days in children:
            child = Person.objects.create(
                organisation=organisation,
                family=family,
                role=PersonRole.CHILD,
                first_name=first,
                last_name=name,
                sex=sex,
                birth_date=years_ago(years, days=days),
            )
            _register(f"{organisation.slug}:person:{name}:{first}", child)


def _logins(organisation: Organisation, domain: str) -> list[DemoLogin]:
    """The demo logins as they are now: an e-mail a user changed since is shown changed."""

    def current(email):
        user = _recorded(_user_key(organisation, email), User)
        return user.email if user is not None else email

    logins = [
        DemoLogin(
            organisation.name,
            f"personnel – {role.label}",
            current(f"{local}@{domain}"),
            f"/{organisation.slug}/gestion/",
        )
        for local, _first, _last, role in STAFF
    ]
    for name, _address, _city, _postal_code, adults, _children in FAMILIES[organisation.slug]:
        for _first, email, activated in adults:
            if activated:
                logins.append(DemoLogin(organisation.name, f"famille {name}", current(email), f"/{organisation.slug}/"))
            elif activated is None:
                who = f"famille {name} (invitée, à activer)"
                logins.append(DemoLogin(organisation.name, who, current(email), "/dev/courriels/", password="—"))
    return logins


def _next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def school_year_bounds(today: date) -> tuple[date, date]:
    start_year = today.year if today.month >= 9 else today.year - 1
    return date(start_year, 9, 1), date(start_year + 1, 7, 4)


def _activity(organisation, structure_name: str, name: str, **fields):
    from ribambelle.activities.models import Activity

    structure = Structure.objects.get(organisation=organisation, name=structure_name)
    activity, _ = Activity.objects.get_or_create(
        organisation=organisation,
        name=name,
        defaults={"structure": structure, "sector": structure.sector, **fields},
    )
    return activity


def _groups_units(activity, groups, units, exclusions=()):
    from ribambelle.activities.models import Group, Unit
    from ribambelle.activities.services import generate_openings, set_unit_exclusions

    for position, (name, low, high, capacity) in enumerate(groups):
        Group.objects.get_or_create(
            organisation_id=activity.organisation_id,
            activity=activity,
            name=name,
            defaults={
                "age_min_months": low,
                "age_max_months": high,
                "default_capacity": capacity,
                "position": position,
            },
        )
    made = {}
    for position, (name, start, end) in enumerate(units):
        made[name], _ = Unit.objects.get_or_create(
            organisation_id=activity.organisation_id,
            activity=activity,
            name=name,
            defaults={"start_time": start, "end_time": end, "position": position},
        )
    for unit_name, excluded in exclusions:
        set_unit_exclusions(unit=made[unit_name], excludes=[made[n] for n in excluded])
    generate_openings(activity=activity)


def _activities(quercy: Organisation, pouilly: Organisation) -> None:
    """The seeds' activities, dated from today: registrations open for next July, the school
    year's Wednesdays and périscolaire, a stay opening next week, Pouilly's multi-accueil."""
    from datetime import time

    from ribambelle.activities.models import ActivityKind, ValidationMode

    now = timezone.now()
    today = timezone.localdate()
    july = today.year + 1 if today.month > 7 else today.year
    july_start = _next_weekday(date(july, 7, 6), 0)
    year_start, year_end = school_year_bounds(today)
    opened = now - timedelta(days=1)
    journee = ("Journée", time(7, 30), time(18, 30))

    bioule = _activity(
        quercy,
        "Accueil de loisirs de Bioule",
        f"BIOULE vacances juillet {july}",
        kind=ActivityKind.VACANCES,
        start_date=july_start,
        end_date=july_start + timedelta(days=18),
        registration_opens_at=opened,
        description="Choix groupe = RESA dans « consulter ». Prévoir une casquette et une gourde.",
    )
    _groups_units(
        bioule,
        [
            ("MATER 3-4 ans", 36, 59, 16),
            ("MATER 5-6 ans", 60, 83, 16),
            ("PRIM 6-7 ans", 72, 95, 24),
            ("PRIM 8-10 ans", 96, 131, 24),
            ("PRIM 11-15 ans", 132, 191, 16),
        ],
        [journee],
    )
    wednesdays = _activity(
        quercy,
        "Accueil de loisirs de Nègrepelisse",
        f"Mercredis Nègrepelisse {year_start.year}-{year_end.year}",
        kind=ActivityKind.MERCREDIS,
        start_date=year_start,
        end_date=year_end,
        weekdays=1 << 2,
        registration_opens_at=opened,
        validation_mode=ValidationMode.MANUAL,
    )
    _groups_units(
        wednesdays,
        [("Maternelle 3-5 ans", 36, 71, 20), ("Élémentaire 6-11 ans", 72, 143, 28)],
        [
            journee,
            ("Matin", time(7, 30), time(12, 0)),
            ("Après-midi", time(13, 30), time(18, 30)),
            ("Repas", time(12, 0), time(13, 30)),
        ],
        [("Journée", ["Matin", "Après-midi"])],
    )
    periscolaire = _activity(
        quercy,
        "Accueil de loisirs de Saint-Étienne-de-Tulmont",
        f"Périscolaire Saint-Étienne {year_start.year}-{year_end.year}",
        kind=ActivityKind.PERISCOLAIRE,
        start_date=year_start,
        end_date=year_end,
        weekdays=0b11011,
        registration_opens_at=opened,
    )
    _groups_units(
        periscolaire,
        [("Maternelle", 36, 71, 30), ("Élémentaire", 72, 143, 40)],
        [("Matin", time(7, 30), time(8, 30)), ("Soir", time(16, 30), time(18, 30))],
    )
    february = _next_weekday(date(today.year + 1, 2, 15), 0)
    stay = _activity(
        quercy,
        "Accueil de loisirs de Verlhac-Tescou",
        f"Séjour neige février {february.year}",
        kind=ActivityKind.SEJOUR,
        start_date=february,
        end_date=february + timedelta(days=4),
        registration_opens_at=(now + timedelta(days=7)).replace(hour=18, minute=0, second=0, microsecond=0),
        validation_mode=ValidationMode.MANUAL,
        description="Cinq jours à la montagne, hébergement en chalet.",
    )
    _groups_units(stay, [("Ados 11-15 ans", 132, 191, 12)], [journee])

    creche = _activity(
        pouilly,
        "Multi-accueil de Pouilly-en-Auxois",
        f"Multi-accueil {year_start.year}-{year_end.year}",
        kind=ActivityKind.MULTI_ACCUEIL,
        start_date=year_start,
        end_date=year_end,
        staff_only=True,
        registration_opens_at=opened,
        deadline_days=7,
    )
    _groups_units(creche, [("Bébés", 2, 17, 10), ("Moyens-grands", 18, 48, 14)], [journee])
    bligny = _activity(
        pouilly,
        "Accueil de loisirs de Bligny-sur-Ouche",
        f"Mercredis Bligny {year_start.year}-{year_end.year}",
        kind=ActivityKind.MERCREDIS,
        start_date=year_start,
        end_date=year_end,
        weekdays=1 << 2,
        registration_opens_at=opened,
    )
    _groups_units(bligny, [("3-5 ans", 36, 71, 12), ("6-12 ans", 72, 155, 16)], [journee])
    _registrations(quercy, pouilly, bioule=bioule, wednesdays=wednesdays, creche=creche)
    _periscolaire(quercy, periscolaire)


def _registrations(quercy, pouilly, *, bioule, wednesdays, creche) -> None:
    from ribambelle.registrations.models import Registration, RegistrationStatus

    def register(organisation, family_name, first_name, activity, group_name, status):
        child = _person(organisation, family_name, first_name)
        group = activity.groups.get(name=group_name)
        Registration.objects.get_or_create(
            organisation=organisation,
            child=child,
            activity=activity,
            defaults={"family": child.family, "group": group, "status": status},
        )

    register(quercy, "MARTIN", "Léa", bioule, "PRIM 8-10 ans", RegistrationStatus.ACCEPTED)
    register(quercy, "MARTIN", "Hugo", wednesdays, "Maternelle 3-5 ans", RegistrationStatus.REQUESTED)
    register(quercy, "DUPONT", "Emma", wednesdays, "Élémentaire 6-11 ans", RegistrationStatus.ACCEPTED)
    register(quercy, "MARTIN", "Léa", wednesdays, "Élémentaire 6-11 ans", RegistrationStatus.ACCEPTED)
    register(pouilly, "BOBLET", "Lina", creche, "Moyens-grands", RegistrationStatus.ACCEPTED)
    _bookings(quercy, wednesdays=wednesdays)


def _bookings(quercy, *, wednesdays) -> None:
    """Léa (MARTIN, demo login) has the coming Wednesdays booked; the group is nearly full on the
    first, full on the second, where Emma (DUPONT) waits on the waiting list."""
    from ribambelle.activities.models import Opening
    from ribambelle.bookings.models import Booking
    from ribambelle.bookings.services import BookingChange, save_bookings

    lea = _person(quercy, "MARTIN", "Léa")
    if Booking.objects.filter(child=lea).exists():
        return
    today = timezone.localdate()
    openings = list(
        Opening.objects.filter(
            activity=wednesdays,
            group__name="Élémentaire 6-11 ans",
            unit__name="Journée",
            date__gt=today + timedelta(days=7),
            is_closed=False,
        ).order_by("date")[:6]
    )
    if len(openings) < 2:
        return
    save_bookings(child=lea, changes=[BookingChange(o.pk, True) for o in openings[:4]], acting_user=None, as_staff=True)
    nearly_full, full = openings[0], openings[1]
    Opening.objects.filter(pk=nearly_full.pk).update(capacity=2)
    Opening.objects.filter(pk=full.pk).update(capacity=1)
    emma = _person(quercy, "DUPONT", "Emma")
    save_bookings(
        child=emma, changes=[BookingChange(full.pk, True, join_waiting_list=True)], acting_user=None, as_staff=True
    )


def _periscolaire(quercy, periscolaire) -> None:
    """Five children before and after school, today and the coming school days: the director's
    dashboard and the roll call have children to show on the demo's first morning."""
    from ribambelle.activities.models import Opening
    from ribambelle.bookings.services import BookingChange, save_bookings
    from ribambelle.core.dates import age_in_months
    from ribambelle.registrations.models import Registration, RegistrationStatus

    children = [("MARTIN", "Léa"), ("MARTIN", "Hugo"), ("DUPONT", "Emma"), ("DUPONT", "Louis"), ("DUPONT", "Jade")]
    today = timezone.localdate()
    for family_name, first_name in children:
        child = _person(quercy, family_name, first_name)
        age = age_in_months(child.birth_date, today)
        group = next(g for g in periscolaire.groups.all() if g.age_min_months <= age <= g.age_max_months)
        registration, created = Registration.objects.get_or_create(
            organisation=quercy,
            child=child,
            activity=periscolaire,
            defaults={"family": child.family, "group": group, "status": RegistrationStatus.ACCEPTED},
        )
        if not created:
            continue  # already loaded: keep what the demo user changed since
        days = list(
            Opening.objects.filter(activity=periscolaire, group=group, date__gte=today, is_closed=False)
            .order_by("date", "unit__position")
            .values_list("pk", flat=True)[:20]
        )
        save_bookings(child=child, changes=[BookingChange(pk, True) for pk in days], acting_user=None, as_staff=True)


def _next_weekday(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7 or 7)


# Families followed by each structure (what "the families of a structure" means for news and mass e-mail).
STRUCTURE_FAMILIES = {
    "quercy-vert-aveyron": {
        "Accueil de loisirs de Bioule": ["MARTIN"],
        "Accueil de loisirs de Nègrepelisse": ["DUPONT"],
        "Accueil de loisirs de Verlhac-Tescou": ["ROUSSEL"],
    },
    "pouilly-bligny": {
        "Accueil de loisirs de Bligny-sur-Ouche": ["BOBLET"],
        "Multi-accueil de Pouilly-en-Auxois": ["BOBLET"],
        "Accueil de loisirs de Pouilly-en-Auxois": ["LEROY"],
    },
}


def _communication(organisation: Organisation) -> None:
    """The seed's news item, the information banner, and (pouilly-bligny) a message thread."""
    from django.utils.formats import date_format
    from django.utils.translation import override

    from ribambelle.communication.models import (
        Banner,
        Message,
        MessageThread,
        NewsItem,
        StructureFamily,
        ThreadStatus,
    )

    today = timezone.localdate()
    opening = _next_weekday(today + timedelta(days=14), 2)  # a Wednesday, as in the seed
    with override("fr"):
        opening_text = date_format(opening, "l j F Y")
    if not NewsItem.objects.filter(organisation=organisation, title="Inscriptions été").exists():
        NewsItem.objects.create(
            organisation=organisation,
            title="Inscriptions été",
            body=f"Ouverture des inscriptions le {opening_text}.\n"
            "Pensez à vérifier votre dossier famille et vos documents avant cette date.",
            date=today - timedelta(days=7),
            publish_from=timezone.now() - timedelta(days=7),
            audience="public",
        )
    for text in (
        f"Inscriptions de l'été : ouverture le {opening_text} sur votre Espace Famille.",
        "Pensez à transmettre l'attestation d'assurance responsabilité civile de l'année dans « Mes documents ».",
    ):
        Banner.objects.get_or_create(
            organisation=organisation,
            text=text[:200],
            defaults={"publish_from": timezone.now() - timedelta(days=7)},
        )
    for structure_name, family_names in STRUCTURE_FAMILIES.get(organisation.slug, {}).items():
        structure = Structure.objects.get(organisation=organisation, name=structure_name)
        for family in _families_named(organisation, family_names):
            StructureFamily.objects.get_or_create(organisation=organisation, structure=structure, family=family)
    if organisation.slug != "pouilly-bligny":
        return
    family = _family(organisation, "BOBLET")
    structure = Structure.objects.get(organisation=organisation, name="Accueil de loisirs de Bligny-sur-Ouche")
    subject = "Sortie de mercredi : horaire de retour"
    if MessageThread.objects.filter(organisation=organisation, family=family, subject=subject).exists():
        return
    parent = _user(organisation, "allan.boblet@famille.example")
    director = _user(organisation, "directrice@pouilly.example")
    thread = MessageThread.objects.create(
        organisation=organisation,
        family=family,
        structure=structure,
        subject=subject,
        status=ThreadStatus.HANDLED,
        family_unread=True,
    )
    Message.objects.create(
        organisation=organisation,
        thread=thread,
        family=family,
        author=parent,
        body="Bonjour,\nÀ quelle heure le car revient-il de la sortie de mercredi ? Je ne pourrai pas être là "
        "avant 18 h.\nMerci, Allan Boblet",
    )
    reply = Message.objects.create(
        organisation=organisation,
        thread=thread,
        family=family,
        author=director,
        from_staff=True,
        body="Bonjour,\nLe car revient vers 17 h 30 ; Jules restera à l'accueil jusqu'à votre arrivée (fermeture à "
        "18 h 30).\nBonne journée, Claire Fabre",
    )
    MessageThread.objects.filter(pk=thread.pk).update(last_message_at=reply.created_at)


# name, scope, validity, months, mandatory, activity kinds, health, instructions
DOCUMENT_TYPES = [
    (
        "Assurance Responsabilité Civile",
        "family",
        "school_year",
        None,
        True,
        [],
        False,
        "L'attestation d'assurance responsabilité civile de l'année scolaire, au nom d'un responsable légal.",
    ),
    ("Vaccins", "child", "permanent", None, True, [], True, "Les pages du carnet de santé avec les vaccinations."),
    (
        "Attestation CAF (quotient familial)",
        "family",
        "months",
        12,
        False,
        ["vacances", "mercredis", "periscolaire", "restauration", "sejour", "stage"],
        False,
        "L'attestation de quotient familial de moins de 3 mois (téléchargeable sur caf.fr).",
    ),
    (
        "Fiche sanitaire / PAI",
        "child",
        "school_year",
        None,
        False,
        ["vacances", "mercredis", "sejour", "stage"],
        True,
        "La fiche sanitaire de liaison remplie et signée ; joindre le PAI s'il y en a un.",
    ),
    (
        "Test de natation",
        "child",
        "permanent",
        None,
        False,
        ["sejour", "stage"],
        False,
        "L'attestation d'aisance aquatique, pour les séjours et stages avec baignade.",
    ),
]
# title, category, visibility, to_return type name
PUBLISHED = [
    ("Projet éducatif", "educational_project", "public", None),
    ("Planning d'activités des vacances", "planning", "public", None),
    ("Fiche sanitaire de liaison (vierge)", "form", "families", "Fiche sanitaire / PAI"),
    ("Flyer d'information : l'Espace Famille", "information", "public", None),
]


def _documents(organisation: Organisation) -> None:
    """The seed's document types, published documents, and for the first family one
    expected, one received and one refused document."""
    from django.core.files.base import ContentFile

    from ribambelle.documents import samples
    from ribambelle.documents.models import (
        DocumentType,
        PublishedDocument,
        SubmissionStatus,
        SubmittedDocument,
        SubmittedPage,
        school_year_start,
    )

    types = {}
    for name, scope, validity, months, mandatory, kinds, health, instructions in DOCUMENT_TYPES:
        document_type, created = DocumentType.objects.get_or_create(
            organisation=organisation,
            name=name,
            defaults={
                "scope": scope,
                "validity": validity,
                "validity_months": months,
                "is_mandatory": mandatory,
                "activity_kinds": kinds,
                "is_health": health,
                "instructions": instructions,
            },
        )
        if created and name == "Fiche sanitaire / PAI":
            document_type.blank_form.save("fiche", ContentFile(samples.pdf_bytes("Fiche sanitaire de liaison")))
            document_type.file_extension = "pdf"
            document_type.save(update_fields=["file_extension"])
        types[name] = document_type

    today = timezone.localdate()
    for title, category, visibility, to_return in PUBLISHED:
        if PublishedDocument.objects.filter(organisation=organisation, title=title).exists():
            continue
        content = samples.pdf_bytes(title, [organisation.name, "Document de démonstration"])
        document = PublishedDocument(
            organisation=organisation,
            title=title,
            category=category,
            visibility=visibility,
            published_from=today - timedelta(days=30),
            to_return=types.get(to_return),
            content_type="application/pdf",
            file_extension="pdf",
            size=len(content),
        )
        document.file.save("document", ContentFile(content), save=False)
        document.save()

    # The first family: insurance received (awaiting review), a child's vaccinations
    # refused (illegible), the CAF certificate (not mandatory) never sent, and the
    # health form still expected from each child.
    family = _family(organisation, FAMILIES[organisation.slug][0][0])
    if family is None or SubmittedDocument.objects.filter(organisation=organisation, family=family).exists():
        return
    child = Person.objects.filter(organisation=organisation, family=family, role=PersonRole.CHILD).first()
    adult = User.objects.filter(organisation=organisation, family=family).first()
    period = school_year_start(today)

    def sent(document_type, person, status, content, content_type, extension, **extra):
        submission = SubmittedDocument.objects.create(
            organisation=organisation,
            family=family,
            person=person,
            document_type=document_type,
            period_start=period if document_type.validity == "school_year" else None,
            status=status,
            submitted_by=adult,
            **extra,
        )
        page = SubmittedPage(
            organisation=organisation,
            family=family,
            document=submission,
            number=1,
            content_type=content_type,
            file_extension=extension,
            size=len(content),
        )
        page.file.save("page", ContentFile(content), save=False)
        page.save()

    sent(
        types["Assurance Responsabilité Civile"],
        None,
        SubmissionStatus.RECEIVED,
        samples.jpeg_bytes("Attestation d'assurance responsabilité civile"),
        "image/jpeg",
        "jpg",
    )
    if child is not None:
        sent(
            types["Vaccins"],
            child,
            SubmissionStatus.REFUSED,
            samples.png_bytes("Carnet de santé (flou)"),
            "image/png",
            "png",
            refusal_reason="illegible",
            refusal_note="La photo est floue : reprenez-la à la lumière du jour.",
            reviewed_at=timezone.now(),
        )


DEMO_DIETS = ["Sans porc", "Sans viande", "Végétarien", "Sans gluten", "Sans lactose"]
# family: (phone, {child: (diets, diet notes, recommendations, school, level, health, authorised)}, pending change)
DEMO_FAMILY_FILES = {
    "MARTIN": (
        "05 63 24 10 10",
        {
            "Léa": (
                ["Végétarien"],
                "",
                "Porte des lunettes pour lire.",
                "École de Bioule",
                "CE2",
                None,
                [("Josette", "MARTIN", "Grand-mère", "06 11 22 33 44", True, True)],
            ),
            "Hugo": (
                [],
                "Pas de fruits à coque",
                "Fait la sieste après le repas avec son doudou.",
                "École de Bioule",
                "GS",
                (
                    "Arachide et fruits à coque",
                    True,
                    "PAI alimentaire : trousse avec stylo d'adrénaline "
                    "dans le sac, protocole signé par le médecin scolaire.",
                ),
                [
                    ("Josette", "MARTIN", "Grand-mère", "06 11 22 33 44", True, True),
                    ("Paul", "ESCANDE", "Voisin", "06 55 66 77 88", True, False),
                ],
            ),
        },
        None,
    ),
    "DUPONT": (
        "05 63 30 40 50",
        {
            "Emma": (["Sans porc"], "", "", "École de Nègrepelisse", "CM2", None, []),
            "Louis": (["Sans porc"], "", "", "École de Nègrepelisse", "CP", None, []),
            "Jade": (["Sans porc", "Sans lactose"], "", "", "", "PS", None, []),
        },
        None,
    ),
    "ROUSSEL": (
        "05 63 64 00 11",
        {
            "Nolan": (
                [],
                "",
                "Peut rentrer seul à pied.",
                "Collège de Monclar",
                "4e",
                None,
                [("Samia", "ROUSSEL", "Tante", "07 12 34 56 78", True, True)],
            )
        },
        {"address_line": "14 avenue de la Gare", "city": "Montauban", "postal_code": "82000"},
    ),
    "BOBLET": (
        "03 80 20 00 01",
        {
            "Lina": (
                [],
                "",
                "Sieste à 13 h, doudou lapin.",
                "",
                "",
                None,
                [("Monique", "BOBLET", "Grand-mère", "06 21 43 65 87", True, True)],
            ),
            "Jules": (
                ["Sans porc"],
                "",
                "",
                "École de Bligny-sur-Ouche",
                "CE1",
                None,
                [("Monique", "BOBLET", "Grand-mère", "06 21 43 65 87", True, True)],
            ),
            "Manon": (
                ["Sans gluten"],
                "Maladie cœliaque",
                "",
                "Collège de Pouilly",
                "3e",
                ("", True, "PAI asthme : Ventoline dans le sac, 2 bouffées en cas de crise."),
                [],
            ),
        },
        {"name": "BOBLET-MOREAU"},
    ),
    "LEROY": ("03 80 90 12 34", {"Adam": (["Végétarien"], "", "", "École de Pouilly", "CM1", None, [])}, None),
}


def _family_files(organisation: Organisation) -> None:
    """Diets, children's daily-life and health data, authorised persons and one pending change."""
    from ribambelle.families.changes import _changes_dict
    from ribambelle.families.models import (
        AuthorisedPerson,
        ChangeKind,
        ChangeRequest,
        ChangeStatus,
        Diet,
        FamilySettings,
        HealthRecord,
        PersonDiet,
        Vaccination,
    )
    from ribambelle.families.moderation import FAMILY_FIELD_GROUPS, key_for_field

    FamilySettings.objects.get_or_create(organisation=organisation)
    diets = {name: Diet.objects.get_or_create(organisation=organisation, name=name)[0] for name in DEMO_DIETS}
    for family in _families_named(organisation, DEMO_FAMILY_FILES):
        phone, children, pending = DEMO_FAMILY_FILES[family.name]
        if not family.phone:
            family.phone = phone
            family.save(update_fields=["phone", "updated_at"])
        for child in Person.objects.filter(family=family, role=PersonRole.CHILD, first_name__in=children):
            diet_names, notes, care, school, level, health, authorised = children[child.first_name]
            if not child.school and not child.care_recommendations:
                child.diet_notes, child.care_recommendations = notes, care
                child.school, child.school_level = school, level
                child.image_rights = child.transport_allowed = True
                child.save()
            for name in diet_names:
                PersonDiet.objects.get_or_create(organisation=organisation, person=child, diet=diets[name])
            for first, last, relationship, ap_phone, pick_up, emergency in authorised:
                AuthorisedPerson.objects.get_or_create(
                    organisation=organisation,
                    family=family,
                    child=child,
                    first_name=first,
                    last_name=last,
                    defaults={
                        "relationship": relationship,
                        "phone": ap_phone,
                        "may_pick_up": pick_up,
                        "emergency_contact": emergency,
                    },
                )
            if health:
                allergies, has_pai, pai_details = health
                HealthRecord.objects.get_or_create(
                    organisation=organisation,
                    family=family,
                    child=child,
                    defaults={
                        "allergies": allergies,
                        "has_pai": has_pai,
                        "pai_details": pai_details,
                        "doctor_name": "Dr Combes",
                        "doctor_phone": "05 63 00 11 22",
                        "swimming": "with_aid",
                    },
                )
                Vaccination.objects.get_or_create(
                    organisation=organisation,
                    family=family,
                    child=child,
                    vaccine="DTP (diphtérie, tétanos, polio)",
                    defaults={"date": years_ago(1, days=40)},
                )
        if pending and not ChangeRequest.objects.filter(family=family, status=ChangeStatus.PENDING).exists():
            requester = User.objects.filter(
                organisation=organisation, family=family, activated_at__isnull=False
            ).first()
            current = {name: getattr(family, name) for name in pending}
            key = key_for_field(FAMILY_FIELD_GROUPS, next(iter(pending)))
            ChangeRequest.objects.create(
                organisation=organisation,
                family=family,
                kind=ChangeKind.FAMILY_UPDATE,
                subject=f"Famille {family.name} – {FAMILY_FIELD_GROUPS[key][0]}",
                moderation_key=key,
                changes=_changes_dict(Family, pending, current),
                status=ChangeStatus.PENDING,
                requested_by=requester,
            )


def _user_key(organisation: Organisation, email: str) -> str:
    return f"{organisation.slug}:user:{email}"


def _register(key: str, obj=None) -> None:
    from django.contrib.contenttypes.models import ContentType

    from ribambelle.demo.models import DemoRecord

    content_type = ContentType.objects.get_for_model(obj) if obj is not None else None
    DemoRecord.objects.get_or_create(
        key=key, defaults={"content_type": content_type, "object_id": obj.pk if obj is not None else None}
    )


def _recorded(key: str, model):
    """The row the demo created under this key, or None if a user has deleted it since."""
    from ribambelle.demo.models import DemoRecord

    record = DemoRecord.objects.filter(key=key).first()
    if record is None or record.object_id is None:
        return None
    return model.objects.filter(pk=record.object_id).first()


def _family(organisation: Organisation, name: str) -> Family | None:
    return _recorded(f"{organisation.slug}:family:{name}", Family)


def _families_named(organisation: Organisation, names) -> list[Family]:
    return [family for family in (_family(organisation, name) for name in names) if family is not None]


def _person(organisation: Organisation, family_name: str, first_name: str) -> Person:
    person = _recorded(f"{organisation.slug}:person:{family_name}:{first_name}", Person)
    if person is None:
        raise _Skip
    return person


def _user(organisation: Organisation, email: str) -> User:
    user = _recorded(_user_key(organisation, email), User)
    if user is None:
        raise _Skip
    return user


class _Skip(Exception):
    """A demo row a later section needs was deleted by a user: that section is left out."""


def _adopt_legacy(organisation: Organisation, keys: list[str]) -> None:
    """A database loaded before the registry existed: its demo is complete; record it as such,
    with the rows found by their natural key where that key still names one row only."""
    from ribambelle.demo.models import DemoRecord

    if DemoRecord.objects.filter(key__startswith=f"section:{organisation.slug}:").exists():
        return
    if not User.objects.filter(organisation=organisation).exists():
        return  # a new organisation: nothing to adopt
    for key in keys:
        _register(key)
    for user in User.objects.filter(organisation=organisation):
        _register(_user_key(organisation, user.email), user)
    for name, *_rest in FAMILIES[organisation.slug]:
        families = list(Family.objects.filter(organisation=organisation, name=name)[:2])
        if len(families) == 1:
            _register(f"{organisation.slug}:family:{name}", families[0])
            for child in Person.objects.filter(family=families[0], role=PersonRole.CHILD):
                _register(f"{organisation.slug}:person:{name}:{child.first_name}", child)


def _run_once(key: str, section, *args) -> None:
    """Runs a demo section the first time only: afterwards its rows belong to the users."""
    from ribambelle.demo.models import DemoRecord

    if DemoRecord.objects.filter(key=key).exists():
        return
    try:
        with transaction.atomic():
            section(*args)
    except _Skip:
        pass
    _register(key)


@batch()  # all or nothing: actions nest as savepoints (core/actions.py)
def load() -> list[DemoLogin]:
    """Loads what is missing of the demo, by the registry of what it created (`DemoRecord`):
    rows a user added, edited or deleted are never touched, so it can run at every `make run`."""
    quercy = _organisation(QUERCY)
    pouilly = _organisation(POUILLY)
    sections = [
        (quercy, "structures", _structures, quercy, QUERCY_STRUCTURES),
        (quercy, "staff", _staff, quercy, "quercy.example"),
        (quercy, "families", _families, quercy),
        (quercy, "family_files", _family_files, quercy),
        (quercy, "communication", _communication, quercy),
        (quercy, "documents", _documents, quercy),
        (pouilly, "structures", _structures, pouilly, POUILLY_STRUCTURES),
        (pouilly, "staff", _staff, pouilly, "pouilly.example"),
        (pouilly, "families", _families, pouilly),
        (pouilly, "family_files", _family_files, pouilly),
        (quercy, "activities", _activities, quercy, pouilly),
        (pouilly, "communication", _communication, pouilly),
        (pouilly, "documents", _documents, pouilly),
        (quercy, "billing", _billing, quercy, pouilly),
        (pouilly, "sepa", load_sepa_collections, pouilly),
        (pouilly, "online_payment", add_online_payment, pouilly),
        (pouilly, "helios", load_helios, quercy, pouilly),
        (quercy, "statistics", statistics_demo.load, quercy),
        (quercy, "caf", caf_demo.load, quercy, pouilly),
        (pouilly, "creche", creche_demo.load, pouilly),
        (quercy, "draw", load_draw, quercy),
        (quercy, "waiting_room", load_waiting_room, quercy),
        (quercy, "renewal", load_renewal, quercy),
        (quercy, "franceconnect", franceconnect_demo.load, quercy),
        (quercy, "apiparticulier", apiparticulier_demo.load, quercy),
        (quercy, "absences", absences_demo.load, quercy),
        (quercy, "reminders", reminders_demo.load, quercy),
        (quercy, "family_grid", familygrid_demo.load_family_grid, quercy),
        (quercy, "custody", custody_demo.load_custody, quercy),
    ]
    for organisation in (quercy, pouilly):
        _adopt_legacy(organisation, [f"section:{o.slug}:{name}" for o, name, *_ in sections if o == organisation])
    for organisation, name, section, *args in sections:
        _run_once(f"section:{organisation.slug}:{name}", section, *args)
    return (
        _logins(quercy, "quercy.example")
        + custody_demo.logins(quercy)
        + familygrid_demo.logins(quercy)
        + _logins(pouilly, "pouilly.example")
    )


def _billing(quercy: Organisation, pouilly: Organisation) -> None:
    """Tariffs by QF on the demo activities, last month attended and invoiced: DUPONT paid by
    cheque, MARTIN (the demo parent) left to pay online with the dummy provider; in Pouilly,
    BOBLET on direct debit and "Trésor public" payment instructions."""
    from decimal import Decimal

    from ribambelle.activities.models import Activity, Opening
    from ribambelle.billing import sepa
    from ribambelle.billing.models import BillingSettings, InvoiceRun, QuotientBracket, Tariff, TariffMode, TariffPrice
    from ribambelle.billing.services import create_run, process_run, record_payment
    from ribambelle.bookings.models import Booking, BookingStatus
    from ribambelle.core.exceptions import DomainError
    from ribambelle.payments.models import ProviderConfig

    if InvoiceRun.objects.filter(organisation__in=[quercy, pouilly]).exists():
        return
    today = timezone.localdate()
    month_end = today.replace(day=1) - timedelta(days=1)
    month_start = month_end.replace(day=1)
    BillingSettings.objects.update_or_create(
        organisation=quercy,
        defaults={
            "payment_instructions": "Paiement en ligne par carte, ou par chèque à l'ordre du Trésor public "
            "déposé à l'accueil de loisirs.",
            "legal_mentions": "Communauté de communes Quercy Vert-Aveyron – SIRET 200 000 000 00011. "
            "En cas de retard de paiement, le recouvrement est confié au comptable public.",
            "sibling_reduction_percent": Decimal("10"),
        },
    )
    BillingSettings.objects.update_or_create(
        organisation=pouilly,
        defaults={
            "payment_instructions": "À régler auprès du Trésor public : par chèque à l'ordre du Trésor public "
            "ou en espèces au Service de gestion comptable de Beaune, à réception de l'avis des sommes à payer.",
            "legal_mentions": "Communauté de communes de Pouilly-en-Auxois / Bligny-sur-Ouche.",
            "sepa_creditor_name": "CC Pouilly-en-Auxois Bligny-sur-Ouche",
            "sepa_creditor_id": "FR72ZZZ123456",
            "sepa_iban": "FR7630006000011234567890189",
            "sepa_bic": "AGRIFRPPXXX",
        },
    )
    ProviderConfig.objects.get_or_create(organisation=quercy, kind="dummy", defaults={"options": {"origin": "Quercy"}})

    def brackets(organisation):
        rows = [("QF < 600", Decimal("600")), ("QF 600 – 900", Decimal("900")), ("QF > 900", None)]
        return [
            QuotientBracket.objects.get_or_create(
                organisation=organisation, upper_bound=bound, defaults={"label": label}
            )[0]
            for label, bound in rows
        ]

    def tariff(organisation, activity, unit_name, prices, *, outside=None):
        unit = activity.units.get(name=unit_name) if unit_name else None
        mode = TariffMode.QUOTIENT if isinstance(prices, list) else TariffMode.FLAT
        flat = prices[-1] if isinstance(prices, list) else prices
        t, _ = Tariff.objects.get_or_create(
            organisation=organisation,
            activity=activity,
            unit=unit,
            defaults={"mode": mode, "flat_price": Decimal(flat), "outside_price": outside},
        )
        if mode == TariffMode.QUOTIENT:
            for bracket, price in zip(brackets(organisation), prices, strict=True):
                TariffPrice.objects.get_or_create(
                    organisation=organisation, tariff=t, bracket=bracket, defaults={"price": Decimal(price)}
                )

    for activity in Activity.objects.filter(organisation__in=[quercy, pouilly]):
        for unit in activity.units.all():
            if unit.name == "Journée":
                tariff(activity.organisation, activity, "Journée", ["6.50", "9.80", "13.20"], outside=Decimal("18.00"))
            elif unit.name == "Repas":
                tariff(activity.organisation, activity, "Repas", "3.80")
            else:
                tariff(activity.organisation, activity, unit.name, ["1.20", "1.80", "2.40"])

    for family, quotient, days in ((_family(quercy, "MARTIN"), "720", 90), (_family(pouilly, "BOBLET"), "480", 60)):
        if family is not None:
            Family.objects.filter(pk=family.pk).update(
                family_quotient=Decimal(quotient), family_quotient_date=today - timedelta(days=days)
            )

    def attended(organisation, family_name, first_name, activity_name, statuses):
        child = _person(organisation, family_name, first_name)
        registration = child.registrations.filter(activity__name=activity_name, status="accepted").first()
        if registration is None:
            return
        openings = Opening.objects.filter(
            activity=registration.activity,
            group=registration.group,
            unit__name="Journée",
            date__gte=month_start,
            date__lte=month_end,
        ).order_by("date")
        for opening, status in zip(openings, statuses, strict=False):
            Booking.objects.get_or_create(
                organisation=organisation,
                child=child,
                opening=opening,
                defaults={
                    "family": child.family,
                    "registration": registration,
                    "activity": opening.activity,
                    "date": opening.date,
                    "status": status,
                },
            )

    year_start, year_end = school_year_bounds(today)
    wednesdays = f"Mercredis Nègrepelisse {year_start.year}-{year_end.year}"
    P, A, E = BookingStatus.PRESENT, BookingStatus.ABSENT, BookingStatus.EXCUSED
    attended(quercy, "MARTIN", "Léa", wednesdays, [P, P, E, P, P])
    attended(quercy, "DUPONT", "Emma", wednesdays, [P, A, P, P])
    attended(pouilly, "BOBLET", "Lina", f"Multi-accueil {year_start.year}-{year_end.year}", [P] * 12)

    for organisation in (quercy, pouilly):
        try:
            run = create_run(
                organisation=organisation, period_start=month_start, period_end=month_end, acting_user=None
            )
        except DomainError:
            continue  # nothing attended last month (e.g. August, before the school year)
        process_run(run_id=run.pk)
    dupont = _family(quercy, "DUPONT")
    if dupont is not None:
        from ribambelle.billing.models import Invoice

        due = sum((i.balance for i in Invoice.objects.filter(family=dupont, kind="invoice")), Decimal(0))
        if due > 0:
            record_payment(
                family=dupont,
                method="cheque",
                amount=due,
                received_on=today,
                reference="Chèque n° 1234567",
                acting_user=None,
            )
    boblet = _family(pouilly, "BOBLET")
    if boblet is not None:
        sepa.create_mandate(
            family=boblet,
            holder="Sophie BOBLET",
            iban="FR1420041010050500013M02606",
            bic="PSSTFRPPPAR",
            signed_on=today - timedelta(days=120),
            acting_user=None,
        )
