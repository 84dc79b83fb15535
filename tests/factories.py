"""factory_boy factories: one per model. The 404 walk (test_isolation) requires a
factory for every tenant-owned model, so each new model gets one here."""

import hashlib
import uuid
from datetime import date, time, timedelta
from decimal import Decimal

import factory
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from ribambelle.absences.models import AbsenceReport
from ribambelle.accounts.models import AccountToken, ActivityLog, User
from ribambelle.activities.models import Activity, ClosureDay, Group, Opening, Unit, UnitExclusion
from ribambelle.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceRun,
    Payment,
    PaymentAllocation,
    QuotientBracket,
    Refund,
    SepaMandate,
    Tariff,
    TariffPrice,
)
from ribambelle.billing.sepa_models import SepaCollection, SepaCollectionLine
from ribambelle.bookings.models import Booking, BookingSettings, CalendarFeed
from ribambelle.caf.models import CafSnapshot
from ribambelle.communication.models import (
    Banner,
    CommunicationPreference,
    EmailTemplateOverride,
    MassMailing,
    MassMailingGroup,
    MassMailingRecipient,
    MassMailingStructure,
    Message,
    MessageThread,
    NewsItem,
    NewsItemStructure,
    OutgoingEmail,
    StructureFamily,
)
from ribambelle.core.models import AuditEntry
from ribambelle.custody.models import CustodyArrangement, Household
from ribambelle.documents import samples
from ribambelle.documents.models import (
    DocumentScope,
    DocumentType,
    PublishedDocument,
    SubmittedDocument,
    SubmittedPage,
    Validity,
    Visibility,
    school_year_start,
)
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
from ribambelle.franceconnect.models import FranceConnectIdentity
from ribambelle.helios.models import HeliosSettings, PesRoll
from ribambelle.payments.models import OnlineTransaction, ProviderConfig
from ribambelle.registrations.models import Registration
from ribambelle.renewals.models import Renewal, RenewedRegistration
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
    birth_date = factory.LazyFunction(lambda: timezone.localdate() - relativedelta(years=8))  # 29 Feb -> 28 Feb


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
    registration = factory.SubFactory(
        RegistrationFactory,
        organisation=factory.SelfAttribute("..organisation"),
        family=factory.SelfAttribute("..family"),
    )
    child = factory.SelfAttribute("registration.child")
    opening = factory.SubFactory(
        OpeningFactory,
        organisation=factory.SelfAttribute("..organisation"),
        activity=factory.SelfAttribute("..registration.activity"),
        group=factory.SelfAttribute("..registration.group"),
    )
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


class StructureFamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StructureFamily

    organisation = factory.SubFactory(OrganisationFactory)
    structure = factory.SubFactory(StructureFactory, organisation=factory.SelfAttribute("..organisation"))
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))


class NewsItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NewsItem

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Actualité {n}")
    body = "Ouverture des inscriptions."
    date = factory.LazyFunction(timezone.localdate)
    publish_from = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))
    audience = "public"


class NewsItemStructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NewsItemStructure

    organisation = factory.SubFactory(OrganisationFactory)
    newsitem = factory.SubFactory(NewsItemFactory, organisation=factory.SelfAttribute("..organisation"))
    structure = factory.SubFactory(StructureFactory, organisation=factory.SelfAttribute("..organisation"))


class BannerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Banner

    organisation = factory.SubFactory(OrganisationFactory)
    text = "Inscriptions de l'été ouvertes"
    publish_from = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))


class MessageThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MessageThread

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    structure = factory.SubFactory(StructureFactory, organisation=factory.SelfAttribute("..organisation"))
    subject = "Question"


class MessageFactory(factory.django.DjangoModelFactory):
    """A family's message with a small PDF attached (the download URL needs one)."""

    class Meta:
        model = Message

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    thread = factory.SubFactory(
        MessageThreadFactory,
        organisation=factory.SelfAttribute("..organisation"),
        family=factory.SelfAttribute("..family"),
    )
    body = "Bonjour"
    attachment = factory.django.FileField(filename="piece.pdf", data=b"%PDF-1.4\n%%EOF\n")
    attachment_name = "piece.pdf"
    attachment_type = "application/pdf"
    attachment_size = 15


class CommunicationPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommunicationPreference

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    accepts_optional_emails = False


class MassMailingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MassMailing

    organisation = factory.SubFactory(OrganisationFactory)
    subject = "Information"
    body = "Bonjour à tous"
    scope = "organisation"
    sent_at = factory.LazyFunction(timezone.now)


class MassMailingStructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MassMailingStructure

    organisation = factory.SubFactory(OrganisationFactory)
    massmailing = factory.SubFactory(MassMailingFactory, organisation=factory.SelfAttribute("..organisation"))
    structure = factory.SubFactory(StructureFactory, organisation=factory.SelfAttribute("..organisation"))


class MassMailingRecipientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MassMailingRecipient

    organisation = factory.SubFactory(OrganisationFactory)
    mailing = factory.SubFactory(MassMailingFactory, organisation=factory.SelfAttribute("..organisation"))
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    address = factory.Sequence(lambda n: f"famille{n}@exemple.example")


class EmailTemplateOverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailTemplateOverride

    organisation = factory.SubFactory(OrganisationFactory)
    template = "invitation"
    subject = "Bienvenue {prenom}"
    body = "Bonjour {prenom}, votre espace vous attend."


class DocumentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentType

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Assurance responsabilité civile n°{n}")
    scope = DocumentScope.FAMILY
    validity = Validity.SCHOOL_YEAR
    is_mandatory = True
    blank_form = factory.django.FileField(data=samples.pdf_bytes("Formulaire vierge"), filename="formulaire.pdf")
    file_extension = "pdf"


class SubmittedDocumentFactory(factory.django.DjangoModelFactory):
    """A document sent by a family, with one PNG page (so its file URL answers)."""

    class Meta:
        model = SubmittedDocument
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    document_type = factory.SubFactory(DocumentTypeFactory, organisation=factory.SelfAttribute("..organisation"))
    period_start = factory.LazyFunction(lambda: school_year_start(timezone.localdate()))

    @factory.post_generation
    def with_page(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            SubmittedPageFactory(organisation=obj.organisation, family=obj.family, document=obj)


class SubmittedPageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubmittedPage

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    document = factory.SubFactory(
        SubmittedDocumentFactory,
        organisation=factory.SelfAttribute("..organisation"),
        family=factory.SelfAttribute("..family"),
        with_page=False,
    )
    number = factory.Sequence(lambda n: n + 1)
    file = factory.django.FileField(data=samples.png_bytes("Page"), filename="page.png")
    content_type = "image/png"
    file_extension = "png"
    size = 100


class PublishedDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PublishedDocument

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Projet éducatif n°{n}")
    category = "educational_project"
    file = factory.django.FileField(data=samples.pdf_bytes("Projet éducatif"), filename="projet.pdf")
    content_type = "application/pdf"
    file_extension = "pdf"
    size = 1000
    visibility = Visibility.FAMILIES
    published_from = factory.LazyFunction(lambda: timezone.localdate() - timezone.timedelta(days=1))


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
    date = factory.LazyFunction(lambda: timezone.localdate() - relativedelta(years=2))


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


class MassMailingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MassMailingGroup

    organisation = factory.SubFactory(OrganisationFactory)
    massmailing = factory.SubFactory(MassMailingFactory, organisation=factory.SelfAttribute("..organisation"))
    group = factory.SubFactory(GroupFactory, organisation=factory.SelfAttribute("..organisation"))


# --- billing and payments -----------------------------------------------------------


class BillingSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingSettings
        django_get_or_create = ("organisation",)

    organisation = factory.SubFactory(OrganisationFactory)


class QuotientBracketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuotientBracket

    organisation = factory.SubFactory(OrganisationFactory)
    label = factory.Sequence(lambda n: f"Tranche {n}")
    upper_bound = factory.Sequence(lambda n: Decimal(100 + n))


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff

    organisation = factory.SubFactory(OrganisationFactory)
    activity = factory.SubFactory(ActivityFactory, organisation=factory.SelfAttribute("..organisation"))
    unit = None
    flat_price = Decimal("10.00")


class TariffPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TariffPrice

    organisation = factory.SubFactory(OrganisationFactory)
    tariff = factory.SubFactory(TariffFactory, organisation=factory.SelfAttribute("..organisation"))
    bracket = factory.SubFactory(QuotientBracketFactory, organisation=factory.SelfAttribute("..organisation"))
    price = Decimal("5.00")


class InvoiceRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceRun

    organisation = factory.SubFactory(OrganisationFactory)
    period_start = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    period_end = factory.LazyFunction(lambda: timezone.localdate())


class InvoiceCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceCounter

    organisation = factory.SubFactory(OrganisationFactory)
    kind = "invoice"
    year = factory.Sequence(lambda n: 1900 + n)


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An issued invoice (numbered outside the counter: tests of numbering use the service)."""

    class Meta:
        model = Invoice

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    kind = "invoice"
    sequence = factory.Sequence(lambda n: 900000 + n)
    year = 2026
    number = factory.LazyAttribute(lambda o: f"F{o.year}-{o.sequence:06d}")
    issue_date = factory.LazyFunction(timezone.localdate)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
    period_start = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    period_end = factory.LazyFunction(timezone.localdate)
    total = Decimal("42.50")
    family_name = factory.LazyAttribute(lambda o: o.family.name)


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    invoice = factory.SubFactory(
        InvoiceFactory, organisation=factory.SelfAttribute("..organisation"), family=factory.SelfAttribute("..family")
    )
    # The day's activity (the structure-limit walk reaches a line through it).
    activity = factory.SubFactory(ActivityFactory, organisation=factory.SelfAttribute("..organisation"))
    label = "Journée"
    unit_price = Decimal("42.50")
    amount = Decimal("42.50")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    method = "cheque"
    amount = Decimal("20.00")
    received_on = factory.LazyFunction(timezone.localdate)
    receipt_number = factory.Sequence(lambda n: f"R2026-{900000 + n}")


class PaymentAllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentAllocation

    organisation = factory.SubFactory(OrganisationFactory)
    payment = factory.SubFactory(PaymentFactory, organisation=factory.SelfAttribute("..organisation"))
    invoice = factory.SubFactory(InvoiceFactory, organisation=factory.SelfAttribute("..organisation"))
    amount = Decimal("20.00")


class SepaMandateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SepaMandate

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    rum = factory.Sequence(lambda n: f"RUM-{n:06d}")
    holder = "Marie Martin"
    iban = "FR1420041010050500013M02606"
    bic = "PSSTFRPPPAR"
    signed_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=60))


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    payment = factory.SubFactory(
        PaymentFactory, organisation=factory.SelfAttribute("..organisation"), family=factory.SelfAttribute("..family")
    )
    amount = Decimal("5.00")
    refunded_on = factory.LazyFunction(timezone.localdate)
    method = "transfer"
    reason = "Trop-perçu"


class SepaCollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SepaCollection

    organisation = factory.SubFactory(OrganisationFactory)
    collection_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    file_name = "prelevements.xml"
    content = b"<Document/>"
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    total = Decimal("42.50")
    line_count = 1


class SepaCollectionLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SepaCollectionLine

    organisation = factory.SubFactory(OrganisationFactory)
    collection = factory.SubFactory(SepaCollectionFactory, organisation=factory.SelfAttribute("..organisation"))
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    invoice = factory.SubFactory(
        InvoiceFactory, organisation=factory.SelfAttribute("..organisation"), family=factory.SelfAttribute("..family")
    )
    mandate = factory.SubFactory(
        SepaMandateFactory,
        organisation=factory.SelfAttribute("..organisation"),
        family=factory.SelfAttribute("..family"),
    )
    amount = Decimal("42.50")
    sequence = "FRST"
    end_to_end_id = factory.Sequence(lambda n: f"F2026{n:06d}-1")


class ProviderConfigFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderConfig
        django_get_or_create = ("organisation", "kind")

    organisation = factory.SubFactory(OrganisationFactory)
    kind = "dummy"
    options = factory.LazyFunction(lambda: {"origin": "Tests"})


class OnlineTransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OnlineTransaction

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    invoice = factory.SubFactory(
        InvoiceFactory, organisation=factory.SelfAttribute("..organisation"), family=factory.SelfAttribute("..family")
    )
    provider = "dummy"
    transaction_id = factory.Sequence(lambda n: f"tx{n:08d}")
    amount = Decimal("42.50")


class HeliosSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HeliosSettings

    organisation = factory.SubFactory(OrganisationFactory)
    id_post = "058000"
    siret = "21580123400018"  # Luhn key correct
    cod_col = factory.Sequence(lambda n: f"{n % 1000:03d}")
    cod_bud = "01"
    budget_label = "Budget principal"
    default_product_code = "ENF"


class PesRollFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PesRoll

    organisation = factory.SubFactory(OrganisationFactory)
    run = factory.SubFactory(InvoiceRunFactory, organisation=factory.SelfAttribute("..organisation"))
    settings = factory.SubFactory(HeliosSettingsFactory, organisation=factory.SelfAttribute("..organisation"))
    exercice = 2026
    number = factory.Sequence(lambda n: 1000 + n)
    issued_on = factory.LazyFunction(timezone.localdate)
    file = factory.django.FileField(filename="PESORMC_test.xml", data=b"<PES_Aller/>")
    file_name = "PESORMC_test.xml"
    sha256 = "0" * 64


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
        StructureFamilyFactory,
        NewsItemFactory,
        NewsItemStructureFactory,
        BannerFactory,
        MessageThreadFactory,
        MessageFactory,
        CommunicationPreferenceFactory,
        MassMailingFactory,
        MassMailingStructureFactory,
        MassMailingGroupFactory,
        MassMailingRecipientFactory,
        EmailTemplateOverrideFactory,
        DocumentTypeFactory,
        SubmittedDocumentFactory,
        SubmittedPageFactory,
        PublishedDocumentFactory,
        DietFactory,
        PersonDietFactory,
        AuthorisedPersonFactory,
        HealthRecordFactory,
        VaccinationFactory,
        FamilySettingsFactory,
        ChangeRequestFactory,
        BillingSettingsFactory,
        QuotientBracketFactory,
        TariffFactory,
        TariffPriceFactory,
        InvoiceRunFactory,
        InvoiceCounterFactory,
        InvoiceFactory,
        InvoiceLineFactory,
        PaymentFactory,
        PaymentAllocationFactory,
        SepaMandateFactory,
        RefundFactory,
        SepaCollectionFactory,
        SepaCollectionLineFactory,
        ProviderConfigFactory,
        OnlineTransactionFactory,
        HeliosSettingsFactory,
        PesRollFactory,
    ]
}


class CafSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CafSnapshot

    organisation = factory.SubFactory(OrganisationFactory)
    structure = factory.SubFactory(StructureFactory, organisation=factory.SelfAttribute("..organisation"))
    period_start = date(2026, 1, 1)
    period_end = date(2026, 1, 31)
    figures = factory.LazyFunction(lambda: {"rows": []})


FACTORIES[CafSnapshot] = CafSnapshotFactory


class RenewalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Renewal

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    school_year = date(2027, 9, 1)


class RenewedRegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RenewedRegistration

    organisation = factory.SubFactory(OrganisationFactory)
    renewal = factory.SubFactory(RenewalFactory, organisation=factory.SelfAttribute("..organisation"))
    registration = factory.SubFactory(
        RegistrationFactory,
        organisation=factory.SelfAttribute("..organisation"),
        family=factory.SelfAttribute("..renewal.family"),
    )


FACTORIES[Renewal] = RenewalFactory
FACTORIES[RenewedRegistration] = RenewedRegistrationFactory


class FranceConnectIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FranceConnectIdentity

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    user = factory.SubFactory(
        FamilyUserFactory,
        organisation=factory.SelfAttribute("..organisation"),
        family=factory.SelfAttribute("..family"),
    )
    sub = factory.Sequence(lambda n: hashlib.sha256(f"fc{n}".encode()).hexdigest() + "v1")
    given_name = "Julie"
    family_name = "MARTIN"
    linked_by = "login"


FACTORIES[FranceConnectIdentity] = FranceConnectIdentityFactory
# --- API Particulier (quotient familial CAF / MSA) ---------------------------------------------
from ribambelle.apiparticulier.models import QuotientFetch  # noqa: E402


class QuotientFetchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuotientFetch

    organisation = factory.SubFactory(OrganisationFactory)
    batch = factory.LazyFunction(uuid.uuid4)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    provider = "CNAF"
    value = Decimal("650")
    reference_month = date(2026, 10, 1)


FACTORIES[QuotientFetch] = QuotientFetchFactory


class AbsenceReportFactory(factory.django.DjangoModelFactory):
    """An absence reported after the deadline (absences app), on a booking of the same family."""

    class Meta:
        model = AbsenceReport

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    booking = factory.SubFactory(
        BookingFactory, organisation=factory.SelfAttribute("..organisation"), family=factory.SelfAttribute("..family")
    )
    reason = "illness"
    reported_at = factory.LazyFunction(timezone.now)
    cutoff = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    certificate = factory.django.FileField(data=samples.jpeg_bytes("Certificat"), filename="certificat.jpg")
    certificate_content_type = "image/jpeg"
    certificate_extension = "jpg"
    certificate_added_at = factory.LazyFunction(timezone.now)


FACTORIES[AbsenceReport] = AbsenceReportFactory
# --- Crèche (PSU) ------------------------------------------------------------------------
from ribambelle.creche.models import Contract as CrecheContract  # noqa: E402
from ribambelle.creche.models import DeductibleAbsence, PsuScale  # noqa: E402


class PsuScaleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PsuScale

    organisation = factory.SubFactory(OrganisationFactory)
    valid_from = factory.Sequence(lambda n: date(2020, 1, 1) + timedelta(days=n))
    floor = Decimal("801.00")
    ceiling = Decimal("8500.00")
    collective_1 = Decimal("0.0619")
    collective_2 = Decimal("0.0516")
    collective_3 = Decimal("0.0413")
    collective_4_7 = Decimal("0.0310")
    collective_8 = Decimal("0.0206")
    family_1 = Decimal("0.0516")
    family_2 = Decimal("0.0413")
    family_3 = Decimal("0.0310")
    family_4_7 = Decimal("0.0310")
    family_8 = Decimal("0.0206")


class CrecheContractFactory(factory.django.DjangoModelFactory):
    """A regular contract with its first version (through the service, so the rate is computed)."""

    class Meta:
        model = CrecheContract

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))

    @classmethod
    def _create(cls, model_class, organisation, family, **kwargs):
        from ribambelle.creche import services
        from ribambelle.tenancy.models import StructureKind

        if not PsuScale.objects.filter(organisation=organisation, valid_from__lte=date(2020, 1, 1)).exists():
            PsuScaleFactory(organisation=organisation, valid_from=date(2020, 1, 1))
        structure = StructureFactory(organisation=organisation, kind=StructureKind.MULTI_ACCUEIL)
        activity = ActivityFactory(
            organisation=organisation,
            structure=structure,
            kind="multi_accueil",
            start_date=date(2020, 1, 1),
            end_date=date(2030, 12, 31),
        )
        child = PersonFactory(organisation=organisation, family=family)
        group = GroupFactory(organisation=organisation, activity=activity)
        RegistrationFactory(organisation=organisation, family=family, child=child, group=group)
        return services.create_contract(
            family=family,
            child=child,
            activity=activity,
            kind="regular",
            care_type="collective",
            start_date=date(2020, 1, 1),
            end_date=date(2030, 12, 31),
            values={
                "schedule": {"0": ["08:00", "17:00"], "1": ["08:00", "17:00"]},
                "weeks_per_year": Decimal("45"),
                "months_billed": 12,
                "annual_resources": Decimal("42000"),
                "resources_source": "cdap",
                "dependent_children": 2,
                "aeeh": False,
            },
            acting_user=None,
        )


class DeductibleAbsenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeductibleAbsence

    organisation = factory.SubFactory(OrganisationFactory)
    contract = factory.SubFactory(CrecheContractFactory, organisation=factory.SelfAttribute("..organisation"))
    child = factory.SelfAttribute("contract.child")
    date = date(2026, 11, 2)
    hours = Decimal("9")
    reason = "hospital"
    proof = factory.django.FileField(filename="certificat.pdf", data=b"%PDF-1.4 test")
    proof_type = "application/pdf"


FACTORIES[PsuScale] = PsuScaleFactory
FACTORIES[CrecheContract] = CrecheContractFactory
FACTORIES[DeductibleAbsence] = DeductibleAbsenceFactory


class HouseholdFactory(factory.django.DjangoModelFactory):
    """One of a family's two households (separated parents)."""

    class Meta:
        model = Household

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    position = factory.LazyAttribute(lambda o: Household.objects.filter(family=o.family).count() + 1)
    label = factory.LazyAttribute(lambda o: f"Foyer {o.position}")
    address_line = "1 rue du Foyer"
    city = "Bioule"


class CustodyArrangementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustodyArrangement

    organisation = factory.SubFactory(OrganisationFactory)
    family = factory.SubFactory(FamilyFactory, organisation=factory.SelfAttribute("..organisation"))
    valid_from = date(2026, 3, 2)
    mode = "percent"
    first_percent = Decimal("50")


FACTORIES[Household] = HouseholdFactory
FACTORIES[CustodyArrangement] = CustodyArrangementFactory
