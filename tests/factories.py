"""factory_boy factories: one per model. The 404 walk (test_isolation) requires a
factory for every tenant-owned model, so each new model gets one here."""

from datetime import time, timedelta

import factory
from django.utils import timezone

from ribambelle.accounts.models import AccountToken, ActivityLog, User
from ribambelle.activities.models import Activity, ClosureDay, Group, Opening, Unit, UnitExclusion
from ribambelle.bookings.models import Booking, BookingSettings, CalendarFeed
from ribambelle.communication.models import OutgoingEmail
from ribambelle.core.models import AuditEntry
from ribambelle.families.models import Family, Person, PersonRole
from ribambelle.registrations.models import Registration
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


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    organisation = factory.SubFactory(OrganisationFactory)
    structure = factory.SubFactory(StructureFactory, organisation=factory.SelfAttribute("..organisation"))
    sector = factory.SelfAttribute("structure.sector")
    kind = "vacances"
    name = factory.Sequence(lambda n: f"Vacances n°{n}")
    start_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
    end_date = factory.LazyAttribute(lambda o: o.start_date + timedelta(days=11))
    registration_opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    organisation = factory.SubFactory(OrganisationFactory)
    activity = factory.SubFactory(ActivityFactory, organisation=factory.SelfAttribute("..organisation"))
    name = factory.Sequence(lambda n: f"PRIM {n}")
    age_min_months = 36
    age_max_months = 191
    default_capacity = 20


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    organisation = factory.SubFactory(OrganisationFactory)
    activity = factory.SubFactory(ActivityFactory, organisation=factory.SelfAttribute("..organisation"))
    name = factory.Sequence(lambda n: f"Journée {n}")
    start_time = time(7, 30)
    end_time = time(18, 30)


class UnitExclusionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitExclusion

    organisation = factory.SubFactory(OrganisationFactory)
    from_unit = factory.SubFactory(UnitFactory, organisation=factory.SelfAttribute("..organisation"))
    to_unit = factory.SubFactory(
        UnitFactory,
        organisation=factory.SelfAttribute("..organisation"),
        activity=factory.SelfAttribute("..from_unit.activity"),
    )


class OpeningFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opening

    organisation = factory.SubFactory(OrganisationFactory)
    activity = factory.SubFactory(ActivityFactory, organisation=factory.SelfAttribute("..organisation"))
    unit = factory.SubFactory(
        UnitFactory, organisation=factory.SelfAttribute("..organisation"), activity=factory.SelfAttribute("..activity")
    )
    group = factory.SubFactory(
        GroupFactory, organisation=factory.SelfAttribute("..organisation"), activity=factory.SelfAttribute("..activity")
    )
    date = factory.SelfAttribute("activity.start_date")
    capacity = 10


class ClosureDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClosureDay

    organisation = factory.SubFactory(OrganisationFactory)
    activity = factory.SubFactory(ActivityFactory, organisation=factory.SelfAttribute("..organisation"))
    date = factory.SelfAttribute("activity.start_date")


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    child = factory.SubFactory(
        PersonFactory, organisation=factory.SelfAttribute("..organisation"), family=factory.SelfAttribute("..family")
    )
    group = factory.SubFactory(GroupFactory, organisation=factory.SelfAttribute("..organisation"))
    activity = factory.SelfAttribute("group.activity")
    status = "accepted"


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    registration = factory.SubFactory(RegistrationFactory, organisation=factory.SelfAttribute("..organisation"),
                                      family=factory.SelfAttribute("..family"))
    child = factory.SelfAttribute("registration.child")
    opening = factory.SubFactory(OpeningFactory, organisation=factory.SelfAttribute("..organisation"),
                                 activity=factory.SelfAttribute("..registration.activity"),
                                 group=factory.SelfAttribute("..registration.group"))
    activity = factory.SelfAttribute("registration.activity")
    date = factory.SelfAttribute("opening.date")
    status = "booked"


class BookingSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BookingSettings

    organisation = factory.SubFactory(OrganisationFactory)


class CalendarFeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarFeed

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))


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
        ActivityFactory,
        GroupFactory,
        UnitFactory,
        UnitExclusionFactory,
        OpeningFactory,
        ClosureDayFactory,
        RegistrationFactory,
        BookingFactory,
        BookingSettingsFactory,
        CalendarFeedFactory,
    ]
}
