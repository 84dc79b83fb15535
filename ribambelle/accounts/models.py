from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import tenant_manager


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, *, organisation=None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), organisation=organisation, **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        """A platform administrator: belongs to no organisation (used by `createsuperuser`)."""
        fields.setdefault("is_platform_admin", True)
        return self.create_user(email, password, organisation=None, **fields)


class User(AbstractBaseUser):
    """A login: e-mail and password, within one organisation.

    The same e-mail may have a login at two authorities: each is a separate data
    controller with its own families, so accounts never cross organisations and
    uniqueness is per (organisation, e-mail). A login belongs either to a family
    (`family` set) or to the staff (a `tenancy.Membership`).
    """

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organisation"),
    )
    email = models.EmailField(_("e-mail"), max_length=254)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    family = models.ForeignKey(
        "families.Family",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="accounts",
        verbose_name=_("famille"),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    is_platform_admin = models.BooleanField(_("administrateur de la plateforme"), default=False)
    date_joined = models.DateTimeField(_("créé le"), default=timezone.now)
    activated_at = models.DateTimeField(_("activé le"), null=True, blank=True)

    # Not scoped (unlike Membership and every tenant row): a login is loaded from the session
    # and checked against the URL's organisation *before* any organisation scope exists (the
    # middleware needs it to decide which scope to enter), and platform administrators belong
    # to no organisation. Every lookup of a User names its organisation explicitly instead.
    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("compte")
        constraints = [
            models.UniqueConstraint(
                "organisation",
                Lower("email"),
                name="user_unique_email_per_org",
                violation_error_message=_("Un compte existe déjà avec cette adresse e-mail."),
            ),
            models.UniqueConstraint(
                Lower("email"), condition=models.Q(organisation__isnull=True), name="user_unique_platform_email"
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def is_family(self) -> bool:
        return self.family_id is not None

    @property
    def is_activated(self) -> bool:
        return self.activated_at is not None


class TokenPurpose(models.TextChoices):
    ACTIVATION = "activation", _("Activation du compte")
    RESET = "reset", _("Réinitialisation du mot de passe")
    EMAIL_CHANGE = "email_change", _("Changement d'e-mail")


class AccountToken(models.Model):
    """A single-use, expiring link sent by e-mail.

    Only a SHA-256 of the random token is stored, so a copy of the database does
    not hold usable links; `used_at` makes each link work once.
    """

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    purpose = models.CharField(max_length=20, choices=TokenPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    new_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = tenant_manager()

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} – {self.user}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


class ActivityLog(models.Model):
    """The family's own history ("Historique de mes actions"): logins, failed attempts,
    account changes, consents and every action done in the portal."""

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="activity_log")
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_is_staff = models.BooleanField(default=False)
    # A code of accounts.history.SENTENCES and its data: the sentence is made in the reader's language.
    action = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    device = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = tenant_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "family", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%d/%m/%Y %H:%M} {self.description}"

    @property
    def description(self) -> str:
        from .history import sentence

        return sentence(self.action, self.data)


class ConsentKind(models.TextChoices):
    PERSONAL = "personal", _("Données personnelles")
    HEALTH = "health", _("Données sanitaires")


class ConsentRecord(models.Model):
    """One GDPR consent given or withdrawn, with the version of the text it answered.

    Append-only: the current state is the latest record, and the history stays as proof.
    """

    organisation = models.ForeignKey("tenancy.Organisation", on_delete=models.CASCADE, related_name="+")
    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="consents")
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="consents")
    kind = models.CharField(max_length=10, choices=ConsentKind.choices)
    given = models.BooleanField()
    text_version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = tenant_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "family", "kind", "-created_at"]),
            models.Index(fields=["organisation", "user", "kind", "-created_at"]),
        ]

    def __str__(self) -> str:
        verb = "donné" if self.given else "retiré"
        return f"{self.get_kind_display()} : {verb} (v{self.text_version})"
