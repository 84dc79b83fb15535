"""API Particulier (v3) per organisation: its settings (the token stored encrypted), the families'
consents to read their quotient familial, and the journal of every call (who, when, which family,
outcome — never the identity sent nor the answer's personal data)."""

from django.conf import settings as django_settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel


def default_base_url() -> str:
    return django_settings.API_PARTICULIER_DEFAULT_URL


class ApiParticulierSettings(TenantModel):
    enabled = models.BooleanField(_("service activé"), default=False)
    base_url = models.URLField(_("adresse du service"), default=default_base_url)
    # Fernet (crypto.py): the clear token never reaches the database, a page or a log line.
    token_encrypted = models.TextField(editable=False, blank=True, default="")
    token_hint = models.CharField(editable=False, max_length=4, blank=True, default="")
    siret = models.CharField(_("SIRET de la collectivité"), max_length=14, blank=True)

    class Meta:
        verbose_name = _("réglages API Particulier")
        constraints = [models.UniqueConstraint(fields=["organisation"], name="apiparticulier_settings_one_per_org")]

    def __str__(self) -> str:
        return "API Particulier"

    @property
    def has_token(self) -> bool:
        return bool(self.token_encrypted)

    @property
    def masked_token(self) -> str:
        return f"••••{self.token_hint}" if self.token_encrypted else ""


class QuotientConsent(TenantModel):
    """A family's consent to have its quotient read from the CAF or the MSA. A withdrawal keeps the
    row (when and by whom): the QF already fetched stays until it expires, no new call is made."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    text_version = models.CharField(_("version du texte"), max_length=20)
    given_at = models.DateTimeField(_("donné le"))
    given_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-given_at", "-id"]
        verbose_name = _("consentement à la lecture du quotient familial")
        indexes = [models.Index(fields=["organisation", "family", "withdrawn_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "family"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="apiparticulier_one_active_consent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.text_version} {self.given_at:%Y-%m-%d}"


class Channel(models.TextChoices):
    STAFF = "staff", _("Agent (une famille)")
    BULK = "bulk", _("Agent (en lot)")
    PORTAL = "portal", _("Famille (Espace Famille)")
    CHECK = "check", _("Test de connexion")


class Outcome(models.TextChoices):
    FOUND = "found", _("Quotient trouvé")
    NOT_FOUND = "not_found", _("Aucun dossier CAF ou MSA")
    RATE_LIMITED = "rate_limited", _("Trop d'appels, à réessayer")
    UNAVAILABLE = "unavailable", _("Service indisponible")
    MISCONFIGURED = "misconfigured", _("Réglages incorrects")
    INCOMPLETE = "incomplete", _("Identité incomplète")
    REFUSED = "refused", _("Refusé : pas de consentement")


class QuotientCall(TenantModel):
    """One call to API Particulier (or one refused before it): the audit of the service."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    actor = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(_("origine"), max_length=10, choices=Channel.choices)
    france_connect = models.BooleanField(_("via FranceConnect"), default=False)
    outcome = models.CharField(_("résultat"), max_length=15, choices=Outcome.choices)
    provider = models.CharField(_("organisme"), max_length=4, blank=True)
    http_status = models.PositiveSmallIntegerField(_("code HTTP"), null=True, blank=True)
    error_code = models.CharField(_("code d'erreur"), max_length=8, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("appel à API Particulier")
        indexes = [models.Index(fields=["organisation", "family", "created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.outcome}"


class FetchStatus(models.TextChoices):
    PENDING = "pending", _("À confirmer")
    APPLIED = "applied", _("Enregistré")
    DISCARDED = "discarded", _("Abandonné")


class QuotientFetch(TenantModel):
    """A quotient read from the CAF / MSA and shown to an agent before it is saved: nothing reaches
    the family's file (QuotientRecord, current QF) until the agent confirms (status applied). One
    `batch` groups the rows of one bulk preview. Pending rows older than FETCH_VALIDITY are refused."""

    batch = models.UUIDField(_("lot"), db_index=True)
    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    france_connect = models.BooleanField(default=False)
    provider = models.CharField(_("organisme"), max_length=4)
    value = models.DecimalField(_("quotient familial"), max_digits=8, decimal_places=2)
    reference_month = models.DateField(_("mois de référence"))
    calculation_month = models.DateField(_("mois de calcul"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=FetchStatus.choices, default=FetchStatus.PENDING)

    class Meta:
        ordering = ["id"]
        verbose_name = _("quotient lu, à confirmer")
        indexes = [models.Index(fields=["organisation", "batch"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.value} ({self.reference_month:%m/%Y})"
