"""The family file: households, their members, the children's daily-life and health data,
authorised persons, and the moderation of changes families make in the portal."""

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel
from ribambelle.core.wording import of

phone_validator = RegexValidator(
    r"^\+?[0-9 .()\-]{6,25}$",
    _("Indiquez un numéro de téléphone avec uniquement des chiffres, espaces ou points, par exemple 06 12 34 56 78."),
)


class QuotientSource(models.TextChoices):
    CAF = "caf", _("CAF")
    MSA = "msa", _("MSA")
    TAX_NOTICE = "tax_notice", _("Avis d'imposition")
    OTHER = "other", _("Autre")
    API = "api", _("API Particulier (CAF / MSA)")
    FRANCECONNECT = "fc", _("API Particulier via FranceConnect")


class PayerCivility(models.TextChoices):
    """DGFiP's closed list for a person debtor ("Mlle" is refused)."""

    MR = "M", _("Monsieur")
    MRS = "MME", _("Madame")


class DebtorCategory(models.TextChoices):
    """CatTiers/NatJur pairs of the PES annex 3 grid that apply to a family payer."""

    PERSON = "01", _("Particulier")


class Regime(models.TextChoices):
    """The family's social-security scheme: the CAF pays for the general scheme's children,
    the MSA for its own (reference caf-psu-qf.md A4)."""

    GENERAL = "general", _("CAF (régime général)")
    MSA = "msa", _("MSA")
    OTHER = "other", _("Autre régime")
    UNKNOWN = "unknown", _("Inconnu")


class Family(TenantModel):
    """A household: its name and address, its members and its logins."""

    name = models.CharField(_("nom de la famille"), max_length=150)
    address_line = models.CharField(_("adresse"), max_length=200, blank=True)
    address_line_2 = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, validators=[phone_validator], blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone_2 = models.CharField(_("autre téléphone"), max_length=30, validators=[phone_validator], blank=True)
    email_notifications = models.BooleanField(_("recevoir les informations du service par e-mail"), default=True)
    email_invoices = models.BooleanField(_("recevoir les factures par e-mail"), default=True)
    family_quotient = models.DecimalField(
        _("quotient familial"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    family_quotient_date = models.DateField(_("date du quotient familial"), null=True, blank=True)
    family_quotient_source = models.CharField(
        _("source du quotient familial"), max_length=12, choices=QuotientSource.choices, blank=True
    )
    allocataire_number = models.CharField(_("numéro d'allocataire CAF / MSA"), max_length=20, blank=True)
    # The payer as the Trésor public knows the debtor (Hélios PES export): civilité from
    # DGFiP's closed list, name and first name (empty: the first responsible adult's).
    payer_civility = models.CharField(_("civilité du payeur"), max_length=3, choices=PayerCivility.choices, blank=True)
    payer_last_name = models.CharField(_("nom du payeur"), max_length=120, blank=True)
    payer_first_name = models.CharField(_("prénom du payeur"), max_length=120, blank=True)
    debtor_category = models.CharField(
        _("catégorie de débiteur (Trésor public)"),
        max_length=2,
        choices=DebtorCategory.choices,
        default=DebtorCategory.PERSON,
        blank=True,  # empty reads as 01 (particulier)
    )
    regime = models.CharField(_("régime (CAF, MSA…)"), max_length=10, choices=Regime.choices, default=Regime.UNKNOWN)
    # The family key of the software the file was imported from (CSV import): never reused.
    external_ref = models.CharField(_("référence d'import"), max_length=60, blank=True)
    # Lower-case, unaccented names, e-mails and phone digits of the family and its members,
    # kept by services.refresh_search_text: the back-office search is a plain LIKE on it,
    # the same on SQLite and PostgreSQL (no unaccent extension needed).
    search_text = models.TextField(editable=False, blank=True, default="")

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("famille")
        indexes = [models.Index(fields=["organisation", "name"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="family_unique_external_ref_per_org",
                violation_error_message=_("Une famille porte déjà cette référence d'import."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def address_lines(self) -> list[str]:
        town = f"{self.postal_code} {self.city}".strip()
        return [line for line in (self.address_line, self.address_line_2, town) if line]


class PersonRole(models.TextChoices):
    ADULT = "adult", _("Responsable légal")
    CHILD = "child", _("Enfant")


class Sex(models.TextChoices):
    FEMALE = "F", _("Fille / femme")
    MALE = "M", _("Garçon / homme")


class SchoolLevel(models.TextChoices):
    NONE = "", _("Non scolarisé")
    TPS = "TPS", _("Toute petite section")
    PS = "PS", _("Petite section")
    MS = "MS", _("Moyenne section")
    GS = "GS", _("Grande section")
    CP = "CP", _("CP")
    CE1 = "CE1", _("CE1")
    CE2 = "CE2", _("CE2")
    CM1 = "CM1", _("CM1")
    CM2 = "CM2", _("CM2")
    SIXIEME = "6e", _("6e")
    CINQUIEME = "5e", _("5e")
    QUATRIEME = "4e", _("4e")
    TROISIEME = "3e", _("3e")
    LYCEE = "lycee", _("Lycée")


class Diet(TenantModel):
    """One of the organisation's diets offered to families (sans porc, végétarien…)."""

    name = models.CharField(_("régime"), max_length=80)
    is_active = models.BooleanField(_("proposé aux familles"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("régime alimentaire")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="diet_unique_name_per_org",
                violation_error_message=_("Ce régime existe déjà."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Person(TenantModel):
    """A member of a family: a responsible adult or a child."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(_("rôle"), max_length=10, choices=PersonRole.choices)
    first_name = models.CharField(_("prénom"), max_length=120)
    last_name = models.CharField(_("nom"), max_length=120)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, validators=[phone_validator], blank=True)
    # Adults: the allocataire's civil-status identity, as API Particulier asks for it (apiparticulier)
    birth_name = models.CharField(_("nom de naissance"), max_length=120, blank=True)
    birth_first_names = models.CharField(_("prénoms de l'état civil"), max_length=200, blank=True)
    birth_country_cog = models.CharField(
        _("pays de naissance (code INSEE)"), max_length=5, blank=True, help_text=_("99100 pour la France.")
    )
    birth_commune_cog = models.CharField(_("commune de naissance (code INSEE)"), max_length=5, blank=True)
    birth_commune_name = models.CharField(_("commune de naissance"), max_length=120, blank=True)
    birth_department = models.CharField(_("département de naissance"), max_length=3, blank=True)
    relationship = models.CharField(_("lien avec les enfants"), max_length=60, blank=True)
    work_phone = models.CharField(_("téléphone professionnel"), max_length=30, validators=[phone_validator], blank=True)
    occupation = models.CharField(_("profession"), max_length=120, blank=True)
    employer = models.CharField(_("employeur"), max_length=150, blank=True)
    # Children
    school = models.CharField(_("école"), max_length=150, blank=True)
    school_level = models.CharField(_("classe"), max_length=10, choices=SchoolLevel.choices, blank=True)
    diets = models.ManyToManyField(
        Diet, through="PersonDiet", blank=True, related_name="+", verbose_name=_("régimes alimentaires")
    )
    diet_notes = models.CharField(_("autre régime ou précision"), max_length=200, blank=True)
    care_recommendations = models.TextField(_("recommandations des parents"), blank=True)
    image_rights = models.BooleanField(_("droit à l'image (photos, films)"), default=False)
    may_leave_alone = models.BooleanField(_("peut partir seul"), default=False)
    transport_allowed = models.BooleanField(_("peut être transporté (sorties, minibus)"), default=False)

    class Meta:
        ordering = ["role", "birth_date", "first_name", "id"]
        verbose_name = _("membre de la famille")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_child(self) -> bool:
        return self.role == PersonRole.CHILD


class PersonDiet(TenantModel):
    """Join row: carries organisation_id like every tenant table (CONVENTIONS.md rule 14)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    diet = models.ForeignKey(Diet, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "person", "diet"], name="person_diet_unique")]


class AuthorisedPerson(TenantModel):
    """Someone allowed to pick a child up and/or to be called in an emergency."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="authorised_persons")
    child = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="authorised_persons")
    first_name = models.CharField(_("prénom"), max_length=120)
    last_name = models.CharField(_("nom"), max_length=120)
    relationship = models.CharField(_("lien avec l'enfant"), max_length=60, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, validators=[phone_validator])
    phone_2 = models.CharField(_("autre téléphone"), max_length=30, validators=[phone_validator], blank=True)
    may_pick_up = models.BooleanField(_("peut venir chercher l'enfant"), default=True)
    emergency_contact = models.BooleanField(_("à appeler en cas d'urgence"), default=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("personne autorisée")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Swimming(models.TextChoices):
    UNKNOWN = "", _("Non renseigné")
    NO = "no", _("Ne sait pas nager")
    WITH_AID = "with_aid", _("Nage avec une aide (brassards)")
    YES = "yes", _("Sait nager")
    CERTIFIED = "certified", _("Test d'aisance aquatique réussi")


class HealthRecord(TenantModel):
    """A child's health form (fiche sanitaire): only with the family's health consent,
    seen only by staff roles with VIEW_HEALTH, each opening logged."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="health_records")
    child = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="health_record")
    allergies = models.TextField(_("allergies"), blank=True)
    has_pai = models.BooleanField(_("PAI (projet d'accueil individualisé)"), default=False)
    pai_details = models.TextField(_("détails du PAI (traitement, protocole)"), blank=True)
    doctor_name = models.CharField(_("médecin traitant"), max_length=150, blank=True)
    doctor_phone = models.CharField(_("téléphone du médecin"), max_length=30, validators=[phone_validator], blank=True)
    medical_notes = models.TextField(_("informations médicales utiles"), blank=True)
    swimming = models.CharField(_("natation"), max_length=12, choices=Swimming.choices, blank=True)

    class Meta:
        verbose_name = _("informations sanitaires")

    def __str__(self) -> str:
        return _("Fiche sanitaire %(of_child)s") % {"of_child": of(self.child)}


class Vaccination(TenantModel):
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="vaccinations")
    child = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="vaccinations")
    vaccine = models.CharField(_("vaccin"), max_length=120)
    date = models.DateField(_("date"))

    class Meta:
        ordering = ["vaccine", "-date", "id"]
        verbose_name = _("vaccination")

    def __str__(self) -> str:
        return f"{self.vaccine} ({self.date:%d/%m/%Y})"


def default_moderated() -> list[str]:
    from .moderation import DEFAULT_MODERATED

    return list(DEFAULT_MODERATED)


class FamilySettings(TenantModel):
    """Per-organisation rules of the family file (CONVENTIONS.md rule 12: in the database)."""

    moderated = models.JSONField(_("données soumises à modération"), default=default_moderated, blank=True)

    class Meta:
        verbose_name = _("réglages du dossier famille")
        constraints = [models.UniqueConstraint(fields=["organisation"], name="family_settings_one_per_org")]

    def __str__(self) -> str:
        return f"Réglages familles ({self.organisation_id})"


class ChangeKind(models.TextChoices):
    FAMILY_UPDATE = "family_update", _("Coordonnées de la famille")
    PERSON_UPDATE = "person_update", _("Membre de la famille")
    PERSON_ADD = "person_add", _("Ajout d'un membre")
    CHILD_ADD = "child_add", _("Ajout d'un enfant")
    AUTHORISED_ADD = "authorised_add", _("Ajout d'une personne autorisée")
    AUTHORISED_UPDATE = "authorised_update", _("Personne autorisée")
    AUTHORISED_REMOVE = "authorised_remove", _("Retrait d'une personne autorisée")


class ChangeStatus(models.TextChoices):
    APPLIED = "applied", _("Appliquée")
    PENDING = "pending", _("En attente de modération")
    ACCEPTED = "accepted", _("Acceptée")
    REFUSED = "refused", _("Refusée")


class ChangeRequest(TenantModel):
    """One change to a family file, old -> new: the history of the file and, while
    PENDING, the moderation queue. Changes applied at once are recorded too (APPLIED)."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="change_requests")
    kind = models.CharField(_("type"), max_length=20, choices=ChangeKind.choices)
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    authorised_person = models.ForeignKey(
        AuthorisedPerson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(_("objet"), max_length=200)
    moderation_key = models.CharField(max_length=40, blank=True)
    # {field: {"label": str, "old": display, "new": display, "value": raw JSON value to apply}}
    changes = models.JSONField(default=dict)
    status = models.CharField(_("statut"), max_length=10, choices=ChangeStatus.choices)
    by_staff = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("motif"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("modification du dossier")
        indexes = [
            models.Index(fields=["organisation", "status", "created_at"]),
            models.Index(fields=["organisation", "family", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.subject}"

    @property
    def is_pending(self) -> bool:
        return self.status == ChangeStatus.PENDING


class QuotientRecord(TenantModel):
    """One dated family quotient of the family's history: valid from its reference month until
    the next record's. The CAF activity report takes, for each day, the one valid on that day;
    the family's current QF fields (used by billing) follow the latest record."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="quotient_records")
    value = models.DecimalField(
        _("quotient familial"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    source = models.CharField(_("source"), max_length=12, choices=QuotientSource.choices)
    reference_month = models.DateField(
        _("mois de référence"), help_text=_("Valable à partir du premier jour de ce mois.")
    )
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-reference_month", "-id"]
        verbose_name = _("quotient familial daté")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "family", "reference_month"],
                name="quotient_record_one_per_month",
                violation_error_message=_("Un quotient est déjà enregistré pour ce mois."),
            )
        ]
        indexes = [models.Index(fields=["organisation", "family", "reference_month"])]

    def __str__(self) -> str:
        return f"{self.value} ({self.reference_month:%m/%Y})"
