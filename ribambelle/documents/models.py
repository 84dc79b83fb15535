"""Documents: the types an organisation asks for, what families send, what it publishes.

Expected documents are never stored: `selectors.expected_documents()` derives them from
the active types, the family's members and the submissions (SPEC "Mes documents").
Files are stored through Django's storage API under generated names; they are reached
only through views that check the requester (CONVENTIONS.md rule 11).
"""

import uuid
from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ribambelle.core.models import TenantModel

# The kinds of activity (activities.Activity.kind). Kept as plain strings here so this
# app does not depend on the activities app; a type lists the kinds that require it.
ACTIVITY_KINDS = [
    ("vacances", _("Vacances")),
    ("mercredis", _("Mercredis")),
    ("periscolaire", _("Périscolaire")),
    ("restauration", _("Restauration scolaire")),
    ("sejour", _("Séjour")),
    ("stage", _("Stage")),
    ("multi_accueil", _("Multi-accueil")),
]


class DocumentScope(models.TextChoices):
    FAMILY = "family", _("la famille (un document pour le foyer)")
    CHILD = "child", _("chaque enfant")
    ADULT = "adult", _("chaque responsable légal")


class Validity(models.TextChoices):
    SCHOOL_YEAR = "school_year", _("une année scolaire (1er septembre – 31 août)")
    MONTHS = "months", _("un nombre de mois")
    PERMANENT = "permanent", _("permanente")


def school_year_start(day: date) -> date:
    """French school years run from 1 September to 31 August."""
    return date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def school_year_label(start: date) -> str:
    """The seed's "23/24" for the school year starting in September 2023."""
    return f"{start.year % 100:02d}/{(start.year + 1) % 100:02d}"


def _stored_name(folder: str, extension: str, organisation_id: int) -> str:
    # Never the uploader's name: a random one, under the organisation's folder.
    return f"{folder}/{organisation_id}/{uuid.uuid4().hex}.{extension}"


def blank_form_path(instance, filename: str) -> str:
    return _stored_name("formulaires", instance.file_extension or "pdf", instance.organisation_id)


def page_path(instance, filename: str) -> str:
    return _stored_name("pieces", instance.file_extension, instance.organisation_id)


def published_path(instance, filename: str) -> str:
    return _stored_name("documentation", instance.file_extension, instance.organisation_id)


EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class DocumentType(TenantModel):
    """A document the organisation asks families for (insurance, vaccinations, CAF…)."""

    name = models.CharField(_("nom"), max_length=150)
    scope = models.CharField(_("à fournir pour"), max_length=10, choices=DocumentScope.choices)
    validity = models.CharField(_("validité"), max_length=20, choices=Validity.choices)
    validity_months = models.PositiveSmallIntegerField(
        _("durée de validité (mois)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Seulement pour une validité en nombre de mois."),
    )
    is_mandatory = models.BooleanField(
        _("toujours obligatoire"), default=False, help_text=_("Demandé à toutes les familles, sans condition.")
    )
    activity_kinds = models.JSONField(
        _("activités qui l'exigent"),
        default=list,
        blank=True,
        help_text=_("Types d'activité pour lesquels ce document est exigé à l'inscription."),
    )
    is_health = models.BooleanField(
        _("contient des données de santé"),
        default=False,
        help_text=_("Vaccins, fiche sanitaire, PAI : visible seulement du personnel autorisé aux données de santé."),
    )
    instructions = models.TextField(_("consignes pour la famille"), blank=True)
    blank_form = models.FileField(_("formulaire vierge à télécharger"), upload_to=blank_form_path, blank=True)
    file_extension = models.CharField(max_length=5, blank=True, editable=False)
    reminder_days = models.PositiveSmallIntegerField(
        _("rappel avant expiration (jours)"),
        default=30,
        validators=[MaxValueValidator(365)],
        help_text=_("La famille reçoit un e-mail ce nombre de jours avant la fin de validité (0 : pas de rappel)."),
    )
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        ordering = ["scope", "name", "id"]
        verbose_name = _("type de document")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="documenttype_unique_name_per_org",
                violation_error_message=_("Un type de document porte déjà ce nom."),
            ),
            models.CheckConstraint(
                condition=~models.Q(validity="months") | models.Q(validity_months__isnull=False),
                name="documenttype_months_given",
                violation_error_message=_("Indiquez la durée de validité en mois."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_required_for(self, activity_kinds: set[str]) -> bool:
        return self.is_mandatory or bool(activity_kinds & set(self.activity_kinds or []))

    def period_label(self, day: date) -> str:
        """What the family reads next to the name: "23/24", "à renouveler tous les 12 mois", "" (permanent).

        Not "valable 12 mois": a type often asks for a recent paper ("de moins de 3 mois"), which
        then counts for 12 months; "valable" beside "de moins de 3 mois" read as a contradiction."""
        if self.validity == Validity.SCHOOL_YEAR:
            return school_year_label(school_year_start(day))
        if self.validity == Validity.MONTHS and self.validity_months:
            # Same word in French for 1 and 12, not in English: hence ngettext.
            months = self.validity_months
            every = ngettext("à renouveler tous les %(n)s mois", "à renouveler tous les %(n)s mois", months)
            return every % {"n": self.validity_months}
        return ""


class SubmissionStatus(models.TextChoices):
    RECEIVED = "received", _("en cours de traitement")
    ACCEPTED = "accepted", _("accepté")
    REFUSED = "refused", _("refusé")
    REPLACED = "replaced", _("remplacé par un envoi plus récent")


class RefusalReason(models.TextChoices):
    ILLEGIBLE = "illegible", _("Document illisible")
    EXPIRED = "expired", _("Document périmé")
    WRONG = "wrong", _("Ce n'est pas le document demandé")
    OTHER = "other", _("Autre raison")


class SubmittedDocument(TenantModel):
    """What a family (or staff on its behalf) sent for one document type, with its pages."""

    document_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("type de document")
    )
    family = models.ForeignKey(
        "families.Family", on_delete=models.CASCADE, related_name="submitted_documents", verbose_name=_("famille")
    )
    person = models.ForeignKey(
        "families.Person",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="submitted_documents",
        verbose_name=_("membre"),
    )
    # The school year (its 1 September) the document is for; null for other validities.
    period_start = models.DateField(_("année scolaire"), null=True, blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.RECEIVED
    )
    submitted_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("envoyé par"),
    )
    by_staff = models.BooleanField(_("déposé par le personnel"), default=False)
    reviewed_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("examiné par"),
    )
    reviewed_at = models.DateTimeField(_("examiné le"), null=True, blank=True)
    expires_on = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    refusal_reason = models.CharField(_("motif du refus"), max_length=10, choices=RefusalReason.choices, blank=True)
    refusal_note = models.CharField(_("précision"), max_length=500, blank=True)
    reminder_sent_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("document transmis")
        indexes = [
            models.Index(fields=["organisation", "status", "created_at"]),
            models.Index(fields=["organisation", "family", "document_type"]),
        ]

    def __str__(self) -> str:
        who = self.person or self.family
        return f"{self.document_type} – {who}"

    @property
    def period_label(self) -> str:
        if self.period_start:
            return school_year_label(self.period_start)
        return self.document_type.period_label(self.created_at.date())

    @property
    def refusal_text(self) -> str:
        if not self.refusal_reason:
            return ""
        label = str(self.get_refusal_reason_display())
        return _("%(reason)s : %(note)s") % {"reason": label, "note": self.refusal_note} if self.refusal_note else label


class SubmittedPage(TenantModel):
    """One file (page) of a submitted document: a re-encoded image or a checked PDF."""

    document = models.ForeignKey(SubmittedDocument, on_delete=models.CASCADE, related_name="pages")
    # Carried like organisation (checked equal to the document's by the service): a
    # file is looked up by (organisation, family, id) without a join.
    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField(_("page"))
    file = models.FileField(_("fichier"), upload_to=page_path, max_length=200)
    content_type = models.CharField(max_length=40)
    file_extension = models.CharField(max_length=5)
    size = models.PositiveIntegerField(_("taille (octets)"))

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "document", "number"], name="submittedpage_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.document} p. {self.number}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public : sur la page de connexion (« Accès aux documents »)")
    FAMILIES = "families", _("Familles connectées seulement")


class PublishedCategory(models.TextChoices):
    EDUCATIONAL_PROJECT = "educational_project", _("Projet éducatif")
    PLANNING = "planning", _("Planning d'activités")
    REGISTRATION = "registration", _("Inscriptions")
    ADMINISTRATIVE = "administrative", _("Documents administratifs")
    FORM = "form", _("Formulaires à remplir")
    INFORMATION = "information", _("Information, flyers")


class PublishedDocument(TenantModel):
    """ "Documentation structure": a file put at families' disposal, some to send back."""

    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("catégorie"), max_length=30, choices=PublishedCategory.choices)
    structure = models.ForeignKey(
        "tenancy.Structure",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("structure"),
        help_text=_("Laisser vide pour un document de l'organisation."),
    )
    file = models.FileField(_("fichier"), upload_to=published_path, max_length=200)
    content_type = models.CharField(max_length=40, editable=False)
    file_extension = models.CharField(max_length=5, editable=False)
    size = models.PositiveIntegerField(default=0, editable=False)
    visibility = models.CharField(_("visibilité"), max_length=10, choices=Visibility.choices)
    published_from = models.DateField(_("publié à partir du"))
    published_until = models.DateField(_("publié jusqu'au"), null=True, blank=True)
    to_return = models.ForeignKey(
        DocumentType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("à retourner comme"),
        help_text=_("La famille remplit ce document et le renvoie comme ce type de pièce."),
    )

    class Meta:
        ordering = ["category", "title", "id"]
        verbose_name = _("document publié")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(published_until__isnull=True)
                | models.Q(published_until__gte=models.F("published_from")),
                name="publisheddocument_window_ordered",
                violation_error_message=_("La fin de publication doit suivre son début."),
            )
        ]

    def __str__(self) -> str:
        return self.title
