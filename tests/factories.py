"""factory_boy factories: one per model. The 404 walk (test_isolation) requires a
factory for every tenant-owned model, so each new model gets one here."""

import factory
from django.utils import timezone

from ribambelle.accounts.models import AccountToken, ActivityLog, User
from ribambelle.communication.models import OutgoingEmail
from ribambelle.core.models import AuditEntry
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
from ribambelle.families.models import Family, Person, PersonRole
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
        DocumentTypeFactory,
        SubmittedDocumentFactory,
        SubmittedPageFactory,
        PublishedDocumentFactory,
    ]
}
