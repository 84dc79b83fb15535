from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel, TimeStampedModel

from .roles import Role

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Indiquez une couleur au format #RRVVBB, par exemple #1d4e89."))

TIME_ZONES = [
    ("Europe/Paris", _("France métropolitaine")),
    ("America/Guadeloupe", _("Guadeloupe")),
    ("America/Martinique", _("Martinique")),
    ("America/Cayenne", _("Guyane")),
    ("Indian/Reunion", _("La Réunion")),
    ("Indian/Mayotte", _("Mayotte")),
    ("America/Miquelon", _("Saint-Pierre-et-Miquelon")),
    ("Pacific/Noumea", _("Nouvelle-Calédonie")),
    ("Pacific/Tahiti", _("Polynésie française")),
]


class AccessibilityStatus(models.TextChoices):
    NONE = "non", _("non conforme")
    PARTIAL = "partiel", _("partiellement conforme")
    FULL = "total", _("totalement conforme")


def logo_path(instance, filename: str) -> str:
    """Under the organisation's own prefix, like every stored file (moving one organisation moves
    its prefix); a random name, the extension checked by the image field."""
    import uuid

    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"logos/{instance.pk or 'nouveau'}/{uuid.uuid4().hex}.{extension[:5]}"


class Organisation(TimeStampedModel):
    """The tenant: one authority with its own families, staff, branding and texts."""

    name = models.CharField(_("nom"), max_length=200)
    short_name = models.CharField(
        _("nom court"), max_length=60, blank=True, help_text=_("Affiché dans l'en-tête sur téléphone.")
    )
    slug = models.SlugField(
        _("adresse courte"),
        max_length=60,
        unique=True,
        help_text=_("Utilisée dans l'adresse du portail : /<adresse courte>/"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    logo = models.ImageField(_("logo"), upload_to=logo_path, blank=True)
    primary_colour = models.CharField(_("couleur principale"), max_length=7, default="#1d4e89", validators=[hex_colour])
    contact_email = models.EmailField(_("e-mail de contact"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    postal_address = models.TextField(_("adresse postale"), blank=True)
    website = models.URLField(_("site internet"), blank=True)
    time_zone = models.CharField(_("fuseau horaire"), max_length=40, choices=TIME_ZONES, default="Europe/Paris")
    legal_notice = models.TextField(_("mentions légales"), blank=True)
    # GDPR: the controller's own words, shown on the consent page (issue "accounts").
    gdpr_controller = models.CharField(_("responsable du traitement"), max_length=200, blank=True)
    gdpr_contact_email = models.EmailField(_("contact pour les données personnelles"), blank=True)
    gdpr_retention_years = models.PositiveSmallIntegerField(
        _("durée de conservation (années)"), default=5, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    gdpr_text = models.TextField(_("texte d'information RGPD"), blank=True)
    gdpr_text_version = models.PositiveIntegerField(_("version du texte RGPD"), default=1, editable=False)
    # From the earliest pre-queue to the latest closing of the organisation's waiting rooms
    # (waitingroom.models keeps it): outside it, a save needs no query about rooms.
    waiting_rooms_from = models.DateTimeField(null=True, blank=True, editable=False)
    waiting_rooms_until = models.DateTimeField(null=True, blank=True, editable=False)
    staff_requires_2fa = models.BooleanField(_("double authentification obligatoire pour le personnel"), default=False)
    # "de la Communauté de communes…", "du Syndicat…": guessed from the name unless set here.
    article = models.CharField(
        _("article devant le nom"),
        max_length=3,
        blank=True,
        choices=[("", _("Automatique")), ("la", "la"), ("le", "le"), ("l'", "l'"), ("les", "les"), ("-", _("Aucun"))],
        help_text=_("Pour écrire « de la Communauté de communes… », « du Syndicat… » ; automatique selon le nom."),
    )
    # Seed 004's "Guichet unique": whom to ask for which age, shown on the portal's Contact page.
    contact_guidance = models.TextField(
        _("orientation des familles (page Contact)"),
        blank=True,
        help_text=_("Par exemple le guichet unique : à qui s'adresser pour un mode de garde, selon l'âge de l'enfant."),
    )
    # Accessibility statement (RGAA 4.1, required of public bodies by article 47 of law 2005-102).
    # Without an audit the law only allows "non conforme": that is the default, never a claim we cannot prove.
    accessibility_status = models.CharField(
        _("état de conformité au RGAA"),
        max_length=10,
        choices=AccessibilityStatus.choices,
        default=AccessibilityStatus.NONE,
        help_text=_("« Partiellement » ou « totalement conforme » seulement après un audit RGAA 4.1."),
    )
    accessibility_audit = models.TextField(
        _("audit d'accessibilité"),
        blank=True,
        help_text=_("Date, auditeur et taux de conformité de l'audit RGAA ; vide si aucun audit n'a été réalisé."),
    )
    accessibility_issues = models.TextField(
        _("non-conformités et dérogations connues"),
        blank=True,
        help_text=_("Une par ligne ; elles s'ajoutent à celles que Ribambelle publie."),
    )
    accessibility_contact_email = models.EmailField(
        _("contact pour l'accessibilité"),
        blank=True,
        help_text=_("À défaut, l'e-mail de contact de l'organisation."),
    )
    accessibility_updated_on = models.DateField(_("déclaration établie le"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.name

    @property
    def display_short_name(self) -> str:
        return self.short_name or self.name

    @property
    def accessibility_contact(self) -> str:
        return self.accessibility_contact_email or self.contact_email


class Sector(TenantModel):
    """A grouping of structures (often a commune) used to group and filter activities."""

    name = models.CharField(_("nom"), max_length=120)

    class Meta:
        ordering = ["name"]
        verbose_name = _("secteur")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="sector_unique_name_per_org",
                violation_error_message=_("Un secteur porte déjà ce nom."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class StructureKind(models.TextChoices):
    ACCUEIL_LOISIRS = "accueil_loisirs", _("Accueil de loisirs")
    PERISCOLAIRE = "periscolaire", _("Périscolaire")
    RESTAURATION = "restauration", _("Restauration scolaire")
    MULTI_ACCUEIL = "multi_accueil", _("Multi-accueil")
    RELAIS_PETITE_ENFANCE = "relais_petite_enfance", _("Relais petite enfance")
    ESPACE_JEUNES = "espace_jeunes", _("Espace jeunes")


class Structure(TenantModel):
    """A site or service of the organisation (e.g. "Accueil de loisirs de Bioule")."""

    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=30, choices=StructureKind.choices)
    sector = models.ForeignKey(
        Sector,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="structures",
        verbose_name=_("secteur"),
    )
    address = models.TextField(_("adresse"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    phone_2 = models.CharField(_("autre téléphone"), max_length=30, blank=True)
    # Ages are kept in months so "2 mois – 4 ans" and "3 – 12 ans" fit the same field.
    age_min_months = models.PositiveSmallIntegerField(_("âge minimum (mois)"), default=0)
    age_max_months = models.PositiveSmallIntegerField(_("âge maximum (mois)"), default=18 * 12)
    description = models.TextField(_("présentation"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("structure")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="structure_unique_name_per_org",
                violation_error_message=_("Une structure porte déjà ce nom."),
            ),
            models.CheckConstraint(
                condition=models.Q(age_min_months__lte=models.F("age_max_months")),
                name="structure_age_range_ordered",
                violation_error_message=_("L'âge maximum doit être supérieur ou égal à l'âge minimum."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def age_range_label(self) -> str:
        from ribambelle.core.formats import age_range_label

        return age_range_label(self.age_min_months, self.age_max_months)


class Membership(TenantModel):
    """A staff login's role in its organisation, optionally limited to some structures."""

    # Scoped like every TenantModel: it is read only once the middleware has entered the URL's
    # organisation scope (unlike `User`, which the login and the session need before that).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name=_("compte")
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    structures = models.ManyToManyField(
        Structure, through="MembershipStructure", blank=True, related_name="+", verbose_name=_("structures")
    )

    class Meta:
        verbose_name = _("membre du personnel")
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="membership_unique_user_per_org")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class MembershipStructure(TenantModel):
    """Join row: carries organisation_id like every tenant table (CONVENTIONS.md rule 14)."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE)
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "membership", "structure"], name="membership_structure_unique"
            )
        ]
