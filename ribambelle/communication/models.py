from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel

# The outbox lives below every app (ribambelle.outbox); re-exported for the pages that show it.
from ribambelle.outbox.models import EmailStatus, EmailTemplateOverride, OutgoingEmail  # noqa: F401


# --- Audience -------------------------------------------------------------------------
class StructureFamily(TenantModel):
    """A family followed by a structure ("familles de la structure").

    Families are known to a structure before they get access (seed 004); this link is
    what "the families of a structure" means for news and mass e-mails until
    registrations exist. `communication.audience` is the one place that resolves an
    audience: when the activities app lands, families registered to an activity of the
    structure are added there, without changing this table.
    """

    structure = models.ForeignKey(
        "tenancy.Structure", on_delete=models.CASCADE, related_name="+", verbose_name=_("structure")
    )
    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+", verbose_name=_("famille"))

    class Meta:
        verbose_name = _("famille suivie par une structure")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "structure", "family"],
                name="structure_family_unique",
                violation_error_message=_("Cette famille est déjà rattachée à cette structure."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.family} – {self.structure}"


# --- News and banners -----------------------------------------------------------------
class NewsAudience(models.TextChoices):
    PUBLIC = "public", _("Tout le monde (page de connexion et familles)")
    FAMILIES = "families", _("Familles connectées uniquement")


class NewsItem(TenantModel):
    """An "Actualité": a dated title and text, shown within its publication window.

    The text is plain text: it is escaped and shown with its line breaks and links made
    clickable, so no markup from the database ever reaches a page.
    Audience: public items appear on the login page and to every family; family items
    only to logged-in families, narrowed to the families of `structures` when any are
    chosen (activities and groups will be one more relation of the same kind).
    """

    title = models.CharField(_("titre"), max_length=150)
    body = models.TextField(_("texte"), max_length=4000)
    date = models.DateField(_("date affichée"))
    publish_from = models.DateTimeField(_("publier à partir du"))
    publish_until = models.DateTimeField(_("publier jusqu'au"), null=True, blank=True)
    audience = models.CharField(_("public"), max_length=10, choices=NewsAudience.choices, default=NewsAudience.PUBLIC)
    structures = models.ManyToManyField(
        "tenancy.Structure", through="NewsItemStructure", blank=True, related_name="+", verbose_name=_("structures")
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("actualité")
        indexes = [models.Index(fields=["organisation", "audience", "publish_from"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(publish_until__isnull=True) | models.Q(publish_until__gt=models.F("publish_from")),
                name="news_window_ordered",
                violation_error_message=_("La fin de publication doit être après son début."),
            )
        ]

    def __str__(self) -> str:
        return self.title


class NewsItemStructure(TenantModel):
    newsitem = models.ForeignKey(NewsItem, on_delete=models.CASCADE)
    structure = models.ForeignKey("tenancy.Structure", on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "newsitem", "structure"], name="news_structure_unique")
        ]


class Banner(TenantModel):
    """A short line of the dashboard's scrolling information band."""

    text = models.CharField(_("message"), max_length=200)
    publish_from = models.DateTimeField(_("afficher à partir du"))
    publish_until = models.DateTimeField(_("afficher jusqu'au"), null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-publish_from", "-id"]
        verbose_name = _("bandeau")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(publish_until__isnull=True) | models.Q(publish_until__gt=models.F("publish_from")),
                name="banner_window_ordered",
                violation_error_message=_("La fin d'affichage doit être après son début."),
            )
        ]

    def __str__(self) -> str:
        return self.text


# --- Messages to structures -----------------------------------------------------------
class ThreadStatus(models.TextChoices):
    NEW = "new", _("Nouveau")
    IN_PROGRESS = "in_progress", _("En cours")
    HANDLED = "handled", _("Traité")


class MessageThread(TenantModel):
    """A conversation between a family and one structure, started from "Envoyer un message"."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+", verbose_name=_("famille"))
    structure = models.ForeignKey(
        "tenancy.Structure", on_delete=models.PROTECT, related_name="+", verbose_name=_("destinataire")
    )
    subject = models.CharField(_("objet du message"), max_length=150)
    status = models.CharField(_("statut"), max_length=12, choices=ThreadStatus.choices, default=ThreadStatus.NEW)
    last_message_at = models.DateTimeField(_("dernier message"), default=timezone.now)
    family_unread = models.BooleanField(_("réponse non lue"), default=False)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        verbose_name = _("conversation")
        indexes = [
            models.Index(fields=["organisation", "structure", "status", "-last_message_at"]),
            models.Index(fields=["organisation", "family", "-last_message_at"]),
        ]

    def __str__(self) -> str:
        return self.subject


def attachment_path(instance, filename: str) -> str:
    # The stored name never comes from the user: a random token and the checked extension.
    import secrets

    return f"messages/{instance.organisation_id}/{secrets.token_hex(16)}{filename[filename.rfind('.') :]}"


class Message(TenantModel):
    thread = models.ForeignKey(MessageThread, on_delete=models.CASCADE, related_name="messages")
    # Repeated from the thread (checked equal when written) so lookups filter on it directly.
    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    from_staff = models.BooleanField(default=False)
    body = models.TextField(_("contenu du message"), max_length=5000)
    attachment = models.FileField(_("pièce jointe"), upload_to=attachment_path, blank=True)
    attachment_name = models.CharField(max_length=120, blank=True)
    attachment_type = models.CharField(max_length=40, blank=True)
    attachment_size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        indexes = [models.Index(fields=["organisation", "family", "from_staff", "created_at"])]

    def __str__(self) -> str:
        return f"{self.thread} ({self.created_at:%d/%m/%Y %H:%M})"


# --- Mass e-mail and preferences ------------------------------------------------------
class CommunicationPreference(TenantModel):
    """A family's choice about non-essential e-mails (news letters from the organisation)."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    accepts_optional_emails = models.BooleanField(_("recevoir les informations non essentielles"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "family"], name="communication_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.family}: {self.accepts_optional_emails}"


class MailingScope(models.TextChoices):
    ORGANISATION = "organisation", _("Toutes les familles de l'organisation")
    STRUCTURES = "structures", _("Les familles de certaines structures")
    GROUPS = "groups", _("Les familles inscrites à certaines activités (par groupe)")


class MassMailing(TenantModel):
    """An e-mail written by staff to many families; each recipient is an outbox row."""

    subject = models.CharField(_("objet"), max_length=150)
    body = models.TextField(_("message"), max_length=10000)
    scope = models.CharField(_("destinataires"), max_length=15, choices=MailingScope.choices)
    structures = models.ManyToManyField(
        "tenancy.Structure", through="MassMailingStructure", blank=True, related_name="+", verbose_name=_("structures")
    )
    essential = models.BooleanField(
        _("information indispensable"),
        default=False,
        help_text=_(
            "Fermeture, sécurité, changement d'horaires… : envoyé aussi aux familles qui ont refusé les "
            "informations non essentielles."
        ),
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    opted_out_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("envoi groupé")

    def __str__(self) -> str:
        return self.subject


class MassMailingStructure(TenantModel):
    massmailing = models.ForeignKey(MassMailing, on_delete=models.CASCADE)
    structure = models.ForeignKey("tenancy.Structure", on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "massmailing", "structure"], name="mass_mailing_structure_unique"
            )
        ]


class MassMailingGroup(TenantModel):
    """A mass e-mail to the families registered to a group of an activity."""

    massmailing = models.ForeignKey(MassMailing, on_delete=models.CASCADE)
    group = models.ForeignKey("activities.Group", on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "massmailing", "group"], name="mass_mailing_group_unique")
        ]

    def __str__(self) -> str:
        return f"{self.massmailing_id} → {self.group_id}"


class MassMailingRecipient(TenantModel):
    mailing = models.ForeignKey(MassMailing, on_delete=models.CASCADE, related_name="recipients")
    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    address = models.EmailField()
    email = models.ForeignKey(OutgoingEmail, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["family__name", "address"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "mailing", "family", "address"], name="mass_mailing_recipient_unique"
            )
        ]

    def __str__(self) -> str:
        return self.address
