"""Demo organisations modelled on the two seeds, dated relative to today.

Idempotent: every row is found by a natural key before being created, so
`manage.py load_demo` can run at every `make run`. Later issues add their own
sections here (activities, bookings, invoices…), each as a function called by load().
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from ribambelle.accounts.models import User
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


def _staff(organisation: Organisation, domain: str) -> list[DemoLogin]:
    logins = []
    for local, first, last, role in STAFF:
        email = f"{local}@{domain}"
        user = User.objects.filter(organisation=organisation, email=email).first()
        if user is None:
            user = User.objects.create_user(
                email,
                DEMO_PASSWORD,
                organisation=organisation,
                first_name=first,
                last_name=last,
                activated_at=timezone.now(),
            )
            Membership.objects.create(organisation=organisation, user=user, role=role)
        logins.append(
            DemoLogin(organisation.name, f"personnel – {role.label}", email, f"/{organisation.slug}/gestion/")
        )
    return logins


def _families(organisation: Organisation) -> list[DemoLogin]:
    from ribambelle.accounts.services import send_invitation

    logins = []
    for name, address, city, postal_code, adults, children in FAMILIES[organisation.slug]:
        family, created = Family.objects.get_or_create(
            organisation=organisation,
            name=name,
            defaults={"address_line": address, "city": city, "postal_code": postal_code},
        )
        for first, email, activated in adults:
            Person.objects.get_or_create(
                organisation=organisation,
                family=family,
                role=PersonRole.ADULT,
                first_name=first,
                defaults={"last_name": name, "email": email},
            )
            user = User.objects.filter(organisation=organisation, email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email,
                    DEMO_PASSWORD if activated else None,
                    organisation=organisation,
                    first_name=first,
                    last_name=name,
                    family=family,
                    activated_at=timezone.now() if activated else None,
                )
                if activated is None:
                    # Invited, not yet activated: the activation e-mail waits in the dev mailbox.
                    send_invitation(user=user)
            if activated:
                logins.append(DemoLogin(organisation.name, f"famille {name}", email, f"/{organisation.slug}/"))
            elif activated is None:
                logins.append(
                    DemoLogin(
                        organisation.name,
                        f"famille {name} (invitée, à activer)",
                        email,
                        "/dev/courriels/",
                        password="—",
                    )
                )
        for first, sex, years, days in children:
            Person.objects.get_or_create(
                organisation=organisation,
                family=family,
                role=PersonRole.CHILD,
                first_name=first,
                defaults={"last_name": name, "sex": sex, "birth_date": years_ago(years, days=days)},
            )
    return logins


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
    for family in Family.objects.filter(organisation=organisation, name__in=DEMO_FAMILY_FILES):
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


@transaction.atomic
def load() -> list[DemoLogin]:
    logins: list[DemoLogin] = []
    quercy = _organisation(QUERCY)
    _structures(quercy, QUERCY_STRUCTURES)
    logins += _staff(quercy, "quercy.example")
    logins += _families(quercy)
    _family_files(quercy)

    pouilly = _organisation(POUILLY)
    _structures(pouilly, POUILLY_STRUCTURES)
    logins += _staff(pouilly, "pouilly.example")
    logins += _families(pouilly)
    _family_files(pouilly)
    return logins
