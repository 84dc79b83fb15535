"""factory_boy factories: one per model. The 404 walk (test_isolation) requires a
factory for every tenant-owned model, so each new model gets one here."""

import factory
from django.utils import timezone

from ribambelle.accounts.models import AccountToken, ActivityLog, User
from ribambelle.communication.models import OutgoingEmail
from ribambelle.core.models import AuditEntry
from ribambelle.families.models import (
    AuthorisedPerson,
    ChangeRequest,
    Diet,
    Family,
    FamilySettings,
    HealthRecord,
    Person,
    PersonDiet,
    PersonRole,
    Vaccination,
)
from ribambelle.tenancy.models import (
    Membership,
    MembershipStructure,
    Organisation,
    Sector,
    Structure,
    StructureKind,
)
from ribambelle.tenancy.roles import Role

PASSWORD = "Test-Passw0rd-Ok"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Communauté de communes n°{n}")
    slug = factory.Sequence(lambda n: f"cc-{n}")
    contact_email = factory.Sequence(lambda n: f"contact{n}@cc.example")


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Secteur {n}")


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Accueil de loisirs n°{n}")
    kind = StructureKind.ACCUEIL_LOISIRS
    sector = factory.SubFactory(SectorFactory, organisation=factory.SelfAttribute("..organisation"))
    email = factory.Sequence(lambda n: f"alsh{n}@cc.example")
    age_min_months = 36
    age_max_months = 144


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"compte{n}@exemple.example")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    activated_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password(PASSWORD)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..organisation"))
    role = Role.ADMINISTRATOR


class MembershipStructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MembershipStructure

    organisation = factory.SubFactory(OrganisationFactory)
    membership = factory.SubFactory(MembershipFactory, organisation=factory.SelfAttribute("..organisation"))
    structure = factory.SubFactory(StructureFactory, organisation=factory.SelfAttribute("..organisation"))


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"FAMILLE{n}")
    city = "Bioule"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    role = PersonRole.CHILD
    first_name = "Léa"
    last_name = factory.SelfAttribute("family.name")
    birth_date = factory.LazyFunction(lambda: timezone.localdate().replace(year=timezone.localdate().year - 8))


class FamilyUserFactory(UserFactory):
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    last_name = factory.SelfAttribute("family.name")


class AuditEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEntry

    organisation = factory.SubFactory(OrganisationFactory)
    action = "update"
    object_type = "tenancy.structure"


class OutgoingEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutgoingEmail

    organisation = factory.SubFactory(OrganisationFactory)
    template = "invitation"
    to = "parent@exemple.example"
    from_name = factory.SelfAttribute("organisation.name")
    subject = "Sujet"
    body_text = "Texte"


class AccountTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountToken

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..organisation"))
    purpose = "activation"
    token_hash = factory.Sequence(lambda n: f"{n:064d}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))


class ActivityLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityLog

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    action = "login"
    description = "Connexion"


class DietFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Diet

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Régime {n}")


class _ChildOfFamily(factory.django.DjangoModelFactory):
    """A row belonging to a child of `family` (the 404 walk passes family=)."""

    class Meta:
        abstract = True

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    child = factory.SubFactory(
        PersonFactory,
        organisation=factory.SelfAttribute("..organisation"),
        family=factory.SelfAttribute("..family"),
    )


class PersonDietFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonDiet

    organisation = factory.SubFactory(OrganisationFactory)
    person = factory.SubFactory(PersonFactory, organisation=factory.SelfAttribute("..organisation"))
    diet = factory.SubFactory(DietFactory, organisation=factory.SelfAttribute("..organisation"))


class AuthorisedPersonFactory(_ChildOfFamily):
    class Meta:
        model = AuthorisedPerson

    first_name = "Josette"
    last_name = "GRAND"
    relationship = "Grand-mère"
    phone = "06 00 00 00 01"


class HealthRecordFactory(_ChildOfFamily):
    class Meta:
        model = HealthRecord

    allergies = "Arachide"
    has_pai = True
    pai_details = "Stylo d'adrénaline dans le sac"


class VaccinationFactory(_ChildOfFamily):
    class Meta:
        model = Vaccination

    vaccine = "DTP"
    date = factory.LazyFunction(lambda: timezone.localdate().replace(year=timezone.localdate().year - 2))


class FamilySettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FamilySettings
        django_get_or_create = ("organisation",)

    organisation = factory.SubFactory(OrganisationFactory)


class ChangeRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeRequest

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    kind = "family_update"
    subject = factory.LazyAttribute(lambda o: f"Famille {o.family.name} – Adresse")
    moderation_key = "family.address"
    status = "pending"
    changes = factory.LazyAttribute(
        lambda o: {"city": {"label": "Commune", "old": o.family.city or "—", "new": "Montauban", "value": "Montauban"}}
    )


FACTORIES = {
    factory_class._meta.model: factory_class
    for factory_class in [
        OrganisationFactory,
        SectorFactory,
        StructureFactory,
        UserFactory,
        MembershipFactory,
        MembershipStructureFactory,
        FamilyFactory,
        PersonFactory,
        AuditEntryFactory,
        OutgoingEmailFactory,
        AccountTokenFactory,
        ActivityLogFactory,
        DietFactory,
        PersonDietFactory,
        AuthorisedPersonFactory,
        HealthRecordFactory,
        VaccinationFactory,
        FamilySettingsFactory,
        ChangeRequestFactory,
    ]
}
