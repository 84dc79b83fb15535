from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("En attente d'envoi")
    SENDING = "sending", _("Envoi en cours")
    RETRYING = "retrying", _("Nouvel essai prévu")
    SENT = "sent", _("Envoyé")
    FAILED = "failed", _("Abandonné")


class OutgoingEmail(TenantModel):
    """The outbox: every e-mail is a row first, delivered after commit by the task worker.

    A mail server that is down only delays delivery (retries with back-off); the row
    is never deleted, so nothing is lost and staff can see each message's status.
    """

    template = models.CharField(_("modèle"), max_length=60)
    to = models.EmailField(_("destinataire"))
    from_name = models.CharField(_("expéditeur"), max_length=200)
    reply_to = models.EmailField(_("répondre à"), blank=True)
    subject = models.CharField(_("objet"), max_length=250)
    body_text = models.TextField(_("texte"))
    body_html = models.TextField(_("HTML"), blank=True)
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("compte concerné"),
    )
    family = models.ForeignKey(
        "families.Family",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("famille"),
    )
    status = models.CharField(_("statut"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    next_attempt_at = models.DateTimeField(_("prochain essai"), default=timezone.now)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    # A file joined when the message is sent (communication.enclosures), e.g. an invoice's PDF.
    enclosure_kind = models.CharField(_("pièce jointe"), max_length=40, blank=True)
    enclosure_id = models.PositiveBigIntegerField(null=True, blank=True)
    # Stable across attempts: a message sent twice (the server had accepted it when its worker
    # died) carries the same Message-ID, so mail clients and the tests see it is one message.
    message_id = models.CharField(_("Message-ID"), max_length=250, blank=True)
    # The worker that claimed it (SENDING) and until when: past the lease, another may send it.
    claim_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table keeps the name it had in `communication`, where the model began.
        db_table = "communication_outgoingemail"
        ordering = ["-created_at", "-id"]
        verbose_name = _("e-mail")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["organisation", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


# --- E-mail wording -------------------------------------------------------------------
class EmailTemplateOverride(TenantModel):
    """The organisation's own wording of one automatic e-mail.

    Stored as plain text with {placeholders} from the e-mail's documented list, filled by
    a restricted substitution (never rendered as a Django template) and escaped in the
    HTML part: nothing typed here can run or inject markup.
    """

    template = models.CharField(_("e-mail"), max_length=60)
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("texte"), max_length=5000)
    updated_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        db_table = "communication_emailtemplateoverride"
        verbose_name = _("texte d'e-mail personnalisé")
        constraints = [models.UniqueConstraint(fields=["organisation", "template"], name="email_override_unique")]

    def __str__(self) -> str:
        return self.template
