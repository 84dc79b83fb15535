"""FranceConnect settings per organisation and the identities linked to family logins."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core import crypto
from ribambelle.core.models import TenantModel

# FranceConnect v2, integration platform (the "sandbox" DataPass gives first) and production.
INTEGRATION_URL = "https://fcp-low.sbx.dev-franceconnect.fr/api/v2"
PRODUCTION_URL = "https://oidc.franceconnect.gouv.fr/api/v2"


class FranceConnectSettings(TenantModel):
    """One per organisation (CONVENTIONS rule 12). The client secret is stored encrypted and never
    shown again: the page displays its last 4 characters at most."""

    enabled = models.BooleanField(_("FranceConnect activé"), default=False)
    base_url = models.URLField(
        _("adresse du fournisseur"),
        max_length=300,
        default=INTEGRATION_URL,
        help_text=_(
            "Sans la fin « /.well-known/openid-configuration ». Intégration : %(integration)s ; "
            "production : %(production)s."
        )
        % {"integration": INTEGRATION_URL, "production": PRODUCTION_URL},
    )
    client_id = models.CharField(_("identifiant client (client_id)"), max_length=200, blank=True)
    client_secret_encrypted = models.TextField(blank=True, editable=False)
    client_secret_hint = models.CharField(max_length=4, blank=True, editable=False)
    request_qf_scopes = models.BooleanField(
        _("demander l'accès au quotient familial (API Particulier)"),
        default=False,
        help_text=_("Ajoute les scopes CNAF autorisés par votre habilitation DataPass API Particulier."),
    )

    class Meta:
        verbose_name = _("réglages FranceConnect")
        constraints = [models.UniqueConstraint(fields=["organisation"], name="franceconnect_settings_one_per_org")]

    def __str__(self) -> str:
        return f"FranceConnect ({self.organisation_id})"

    @property
    def client_secret(self) -> str:
        return crypto.decrypt(self.client_secret_encrypted)

    @property
    def has_secret(self) -> bool:
        return bool(self.client_secret_encrypted)

    @property
    def is_usable(self) -> bool:
        return self.enabled and bool(self.client_id and self.client_secret_encrypted and self.base_url)


class FranceConnectIdentity(TenantModel):
    """A FranceConnect identity (its `sub`, stable for one client) linked by the parent to a family login."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    sub = models.CharField(max_length=255)
    given_name = models.CharField(_("prénoms"), max_length=200, blank=True)
    family_name = models.CharField(_("nom de naissance"), max_length=200, blank=True)
    linked_by = models.CharField(max_length=20)  # "login" or "email"
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("identité FranceConnect")
        constraints = [models.UniqueConstraint(fields=["organisation", "sub"], name="franceconnect_sub_once_per_org")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}".strip() or self.sub[:8]
