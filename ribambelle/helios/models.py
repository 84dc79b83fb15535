"""Hélios PES V2: the organisation's settings per budget, the rôles (ORMC bordereaux) sent to
the Trésor public with their stored files, and the pieces (articles) that tie invoices to them.

A rôle number (IdBord) is taken from a counter row locked in the exporting transaction: gapless
per exercice and budget, and given back when the export fails. A file, once stored with its
SHA-256, never changes; exporting the same run again needs the previous rôle cancelled."""

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.billing.models import MONEY, ZERO
from ribambelle.core.models import TenantModel

digits = RegexValidator(r"^[0-9]+$", _("Chiffres uniquement."))
product_code = RegexValidator(r"^[A-Za-z0-9]{1,4}$", _("De 1 à 4 lettres ou chiffres, sans espace."))


class Edition(models.TextChoices):
    NONE = "", _("La collectivité envoie elle-même ses factures")
    DGFIP = "06", _("La DGFiP imprime et poste les factures (Edition 06)")


class HeliosSettings(TenantModel):
    """The accounting identity of one budget of the organisation, as Hélios knows it."""

    id_post = models.CharField(
        _("poste comptable (codique)"),
        max_length=7,
        help_text=_("6 ou 7 chiffres, donnés par la trésorerie."),
    )
    siret = models.CharField(_("SIRET de la collectivité"), max_length=14, help_text=_("14 chiffres."))
    cod_col = models.CharField(_("code collectivité (CodCol)"), max_length=3, help_text=_("3 caractères."))
    cod_bud = models.CharField(_("code budget (CodBud)"), max_length=2, help_text=_("2 caractères."))
    budget_label = models.CharField(_("libellé du budget"), max_length=38)
    default_product_code = models.CharField(_("code produit local par défaut"), max_length=4, validators=[product_code])
    nature = models.CharField(
        _("nature comptable"), max_length=10, default="588", validators=[digits], help_text=_("588 conseillé.")
    )
    roll_subject = models.CharField(
        _("objet du rôle"),
        max_length=160,
        default="Facturation du {debut} au {fin}",
        help_text=_("Variables : {debut}, {fin}, {numero}, {exercice}."),
    )
    article_subject = models.CharField(
        _("objet des articles"),
        max_length=160,
        default="Facture {facture} du {debut} au {fin}",
        help_text=_("Variables : {facture}, {famille}, {debut}, {fin}."),
    )
    edition = models.CharField(_("édition des factures"), max_length=2, choices=Edition.choices, blank=True)
    debit_label = models.CharField(
        _("libellé du prélèvement"), max_length=140, default="Facture {facture}", help_text=_("Variable : {facture}.")
    )
    debit_days = models.PositiveSmallIntegerField(
        _("prélèvement (jours après l'émission du rôle)"), default=10, validators=[MinValueValidator(1)]
    )
    sepa_creditor_id = models.CharField(
        _("ICS de la trésorerie"),
        max_length=35,
        blank=True,
        help_text=_("Facultatif : pour mémoire, le prélèvement est émis par la DGFiP."),
    )

    class Meta:
        ordering = ["cod_bud", "id"]
        verbose_name = _("réglages Hélios")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "cod_col", "cod_bud"], name="helios_settings_unique_budget")
        ]

    def __str__(self) -> str:
        return f"{self.budget_label} ({self.cod_col}/{self.cod_bud})"


class HeliosProductCode(TenantModel):
    """The local product code (CodProdLoc) of one activity in one budget."""

    settings = models.ForeignKey(HeliosSettings, on_delete=models.CASCADE, related_name="product_codes")
    activity = models.ForeignKey("activities.Activity", on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("code produit local"), max_length=4, validators=[product_code])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "settings", "activity"], name="helios_code_unique_activity")
        ]

    def __str__(self) -> str:
        return self.code


class RollCounter(TenantModel):
    """The last rôle number per budget and exercice, locked by the exporting transaction."""

    settings = models.ForeignKey(HeliosSettings, on_delete=models.CASCADE, related_name="+")
    exercice = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "settings", "exercice"], name="helios_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.settings_id} {self.exercice}: {self.last_number}"


class PesRoll(TenantModel):
    """A rôle: one ORMC bordereau of one invoice run and budget, and its stored PES file."""

    run = models.ForeignKey("billing.InvoiceRun", on_delete=models.PROTECT, related_name="+")
    settings = models.ForeignKey(HeliosSettings, on_delete=models.PROTECT, related_name="rolls")
    exercice = models.PositiveSmallIntegerField(_("exercice"))
    number = models.PositiveIntegerField(_("n° de rôle"))
    issued_on = models.DateField(_("émis le"))
    file = models.FileField(_("fichier"), upload_to="helios/", max_length=255)
    file_name = models.CharField(_("nom du fichier"), max_length=100)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    total = models.DecimalField(_("montant"), default=ZERO, **MONEY)
    piece_count = models.PositiveIntegerField(_("articles"), default=0)
    sepa_count = models.PositiveIntegerField(_("prélèvements"), default=0)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=200, blank=True)

    class Meta:
        ordering = ["-exercice", "-number", "-id"]
        verbose_name = _("rôle Hélios")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "settings", "exercice", "number"], name="helios_roll_unique_number"
            ),
            models.UniqueConstraint(
                fields=["organisation", "run", "settings"],
                condition=models.Q(cancelled_at__isnull=True),
                name="helios_roll_one_active_per_run",
            ),
        ]

    def __str__(self) -> str:
        return _("Rôle %(number)s / %(year)s") % {"number": self.number, "year": self.exercice}

    @property
    def is_active(self) -> bool:
        return self.cancelled_at is None


class PesPiece(TenantModel):
    """An article of a rôle: one invoice, its amount sent, and its attached PDF's identifier
    (IdUnique, never reused: Hélios rejects a known one)."""

    roll = models.ForeignKey(PesRoll, on_delete=models.CASCADE, related_name="pieces")
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, related_name="+")
    piece_number = models.PositiveIntegerField()
    amount = models.DecimalField(**MONEY)
    attachment_id = models.CharField(max_length=50)
    debited_by_tresor = models.BooleanField(default=False)

    class Meta:
        ordering = ["piece_number"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "attachment_id"], name="helios_attachment_never_reused"),
            models.UniqueConstraint(fields=["organisation", "roll", "piece_number"], name="helios_piece_unique"),
        ]
        indexes = [models.Index(fields=["organisation", "invoice"])]

    def __str__(self) -> str:
        return f"{self.roll_id}/{self.piece_number}"
