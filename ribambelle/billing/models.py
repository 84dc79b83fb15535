"""Billing: tariffs, invoices and credit notes numbered without gaps, payments and their
allocation, SEPA direct-debit mandates. Money is Decimal(10, 2) in euros everywhere."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel

MONEY = {"max_digits": 10, "decimal_places": 2}
ZERO = Decimal("0.00")


class BillingSettings(TenantModel):
    """Per-organisation billing rules (CONVENTIONS rule 12: in the database)."""

    payment_instructions = models.TextField(
        _("modalités de paiement"),
        blank=True,
        help_text=_("Affichées aux familles et sur les factures, par exemple « À régler auprès du Trésor public »."),
    )
    legal_mentions = models.TextField(_("mentions légales des factures"), blank=True)
    due_days = models.PositiveSmallIntegerField(_("échéance (jours après l'émission)"), default=30)
    sibling_reduction_percent = models.DecimalField(
        _("réduction fratrie (%)"),
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    sibling_reduction_from_rank = models.PositiveSmallIntegerField(
        _("à partir du combientième enfant"), default=2, validators=[MinValueValidator(2)]
    )
    charge_excused_absences = models.BooleanField(_("facturer les absences justifiées"), default=False)
    charge_unexcused_absences = models.BooleanField(_("facturer les absences non justifiées"), default=True)
    charge_late_cancellations = models.BooleanField(_("facturer les annulations hors délai"), default=True)
    quotient_validity_months = models.PositiveSmallIntegerField(
        _("validité du quotient familial (mois)"), default=12, validators=[MinValueValidator(1)]
    )
    territory_postal_codes = models.CharField(
        _("codes postaux du territoire"),
        max_length=500,
        blank=True,
        help_text=_("Séparés par des virgules. Vide : toutes les familles sont du territoire."),
    )
    sepa_creditor_name = models.CharField(_("créancier SEPA (nom)"), max_length=70, blank=True)
    sepa_creditor_id = models.CharField(_("identifiant créancier SEPA (ICS)"), max_length=35, blank=True)
    sepa_iban = models.CharField(_("IBAN du créancier"), max_length=34, blank=True)
    sepa_bic = models.CharField(_("BIC du créancier"), max_length=11, blank=True)
    sepa_prenotification_days = models.PositiveSmallIntegerField(
        _("pré-notification des prélèvements (jours avant)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Les familles reçoivent le montant et la date du prélèvement ce nombre de jours avant."),
    )
    sepa_reject_fee = models.DecimalField(
        _("frais de rejet de prélèvement"),
        default=ZERO,
        validators=[MinValueValidator(0)],
        help_text=_("Facturés à la famille à chaque prélèvement rejeté (0 : aucun frais)."),
        **MONEY,
    )

    class Meta:
        verbose_name = _("réglages de facturation")
        constraints = [models.UniqueConstraint(fields=["organisation"], name="billing_settings_one_per_org")]

    def __str__(self) -> str:
        return f"Réglages de facturation ({self.organisation_id})"

    @property
    def territory_codes(self) -> set[str]:
        return {code.strip() for code in self.territory_postal_codes.split(",") if code.strip()}


class QuotientBracket(TenantModel):
    """A family-quotient bracket: QF strictly below `upper_bound` (None: the highest bracket)."""

    label = models.CharField(_("libellé"), max_length=60)
    upper_bound = models.DecimalField(_("QF inférieur à"), null=True, blank=True, **MONEY)

    class Meta:
        ordering = [models.F("upper_bound").asc(nulls_last=True), "id"]
        verbose_name = _("tranche de quotient familial")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "upper_bound"], name="bracket_unique_bound"),
            models.UniqueConstraint(
                fields=["organisation"], condition=models.Q(upper_bound__isnull=True), name="bracket_one_top"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class TariffMode(models.TextChoices):
    FLAT = "flat", _("Prix unique")
    QUOTIENT = "quotient", _("Selon le quotient familial")


class Tariff(TenantModel):
    """The price of a unit of an activity (all units when `unit` is empty)."""

    activity = models.ForeignKey("activities.Activity", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("activities.Unit", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    mode = models.CharField(_("mode"), max_length=10, choices=TariffMode.choices, default=TariffMode.FLAT)
    flat_price = models.DecimalField(_("prix"), default=ZERO, validators=[MinValueValidator(0)], **MONEY)
    outside_price = models.DecimalField(
        _("prix hors territoire"), null=True, blank=True, validators=[MinValueValidator(0)], **MONEY
    )
    sibling_reduction = models.BooleanField(_("appliquer la réduction fratrie"), default=True)

    class Meta:
        verbose_name = _("tarif")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "activity", "unit"], name="tariff_unique_unit"),
            models.UniqueConstraint(
                fields=["organisation", "activity"], condition=models.Q(unit__isnull=True), name="tariff_unique_all"
            ),
        ]

    def __str__(self) -> str:
        return f"Tarif {self.activity_id}/{self.unit_id or '*'}"


class TariffPrice(TenantModel):
    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="prices")
    bracket = models.ForeignKey(QuotientBracket, on_delete=models.CASCADE, related_name="+")
    price = models.DecimalField(_("prix"), validators=[MinValueValidator(0)], **MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "tariff", "bracket"], name="tariff_price_unique")
        ]

    def __str__(self) -> str:
        return f"{self.bracket_id}: {self.price}"


class RunStatus(models.TextChoices):
    PREVIEW = "preview", _("Aperçu")
    ISSUING = "issuing", _("Émission en cours")
    DONE = "done", _("Émise")


class InvoiceRun(TenantModel):
    """A billing period run: previewed, then issued family by family in batches (resumable)."""

    period_start = models.DateField(_("du"))
    period_end = models.DateField(_("au"))
    structure_ids = models.JSONField(_("structures"), default=list, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=RunStatus.choices, default=RunStatus.PREVIEW)
    family_count = models.PositiveIntegerField(default=0)
    processed_count = models.PositiveIntegerField(default=0)
    # The last family id processed: the run resumes after it (families are taken by id).
    last_family_id = models.BigIntegerField(default=0)
    total = models.DecimalField(default=ZERO, **MONEY)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("facturation")

    def __str__(self) -> str:
        return _("Facturation du %(start)s au %(end)s") % {
            "start": f"{self.period_start:%d/%m/%Y}",
            "end": f"{self.period_end:%d/%m/%Y}",
        }

    @property
    def progress_percent(self) -> int:
        return 100 if not self.family_count else int(100 * self.processed_count / self.family_count)


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Facture")
    CREDIT_NOTE = "credit_note", _("Avoir")


class InvoiceStatus(models.TextChoices):
    DUE = "due", _("À payer")
    PARTIAL = "partial", _("Partiellement payée")
    PAID = "paid", _("Payée")
    CREDITED = "credited", _("Annulée par avoir")


class InvoiceCounter(TenantModel):
    """The last number given per organisation, kind and year: locked (select_for_update)
    inside the transaction that issues, so numbers have no gaps and no duplicates."""

    kind = models.CharField(max_length=12)  # "invoice", "credit_note" or "receipt"
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "kind", "year"], name="invoice_counter_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last_number}"


class Invoice(TenantModel):
    """An issued invoice or credit note: never changed after issue except its paid amount."""

    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="+")
    # Separated parents: the household that pays this invoice (None: the whole family, as before).
    household = models.ForeignKey(
        "custody.Household", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("foyer")
    )
    run = models.ForeignKey(InvoiceRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices")
    kind = models.CharField(_("type"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    number = models.CharField(_("numéro"), max_length=30)
    sequence = models.PositiveIntegerField()
    year = models.PositiveSmallIntegerField()
    issue_date = models.DateField(_("émise le"))
    due_date = models.DateField(_("échéance"))
    period_start = models.DateField(_("période du"))
    period_end = models.DateField(_("au"))
    total = models.DecimalField(_("montant"), **MONEY)
    amount_paid = models.DecimalField(_("réglé"), default=ZERO, **MONEY)
    # What partial credit notes took off this invoice (a full credit note marks it CREDITED).
    amount_credited = models.DecimalField(_("déduit par avoir"), default=ZERO, **MONEY)
    status = models.CharField(_("statut"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DUE)
    credited_invoice = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    # A snapshot of the addressee, as printed on the PDF.
    family_name = models.CharField(max_length=150)
    family_address = models.TextField(blank=True)

    class Meta:
        ordering = ["-issue_date", "-id"]
        verbose_name = _("facture")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind", "year", "sequence"], name="invoice_number_unique"),
        ]
        indexes = [
            models.Index(fields=["organisation", "family", "status"]),
            models.Index(fields=["organisation", "status", "due_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    @property
    def balance(self) -> Decimal:
        return self.total - self.amount_credited - self.amount_paid

    @property
    def net_total(self) -> Decimal:
        """What the family owes for this invoice once partial credit notes are deducted."""
        return self.total - self.amount_credited

    @property
    def is_open(self) -> bool:
        return self.kind == InvoiceKind.INVOICE and self.status in (InvoiceStatus.DUE, InvoiceStatus.PARTIAL)


class InvoiceLine(TenantModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey("families.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    activity = models.ForeignKey(
        "activities.Activity", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    booking = models.ForeignKey("bookings.Booking", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    child_name = models.CharField(max_length=250, blank=True)
    activity_name = models.CharField(max_length=250, blank=True)
    date = models.DateField(null=True, blank=True)
    label = models.CharField(_("libellé"), max_length=250)
    note = models.CharField(_("précision"), max_length=250, blank=True)
    unit_price = models.DecimalField(**MONEY)
    reduction = models.DecimalField(default=ZERO, **MONEY)
    amount = models.DecimalField(**MONEY)
    # On a credit note: the invoice line it takes back (a line is credited once at most).
    credits_line = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credited_by"
    )

    class Meta:
        ordering = ["child_name", "activity_name", "date", "id"]
        indexes = [models.Index(fields=["organisation", "booking"])]

    def __str__(self) -> str:
        return self.label


class PaymentMethod(models.TextChoices):
    CHEQUE = "cheque", _("Chèque")
    CASH = "cash", _("Espèces")
    TRANSFER = "transfer", _("Virement")
    CARD = "card", _("Carte bancaire")
    ONLINE = "online", _("Paiement en ligne")
    SEPA = "sepa", _("Prélèvement SEPA")
    CESU = "cesu", _("CESU")
    ANCV = "ancv", _("Chèques-vacances ANCV")


class Payment(TenantModel):
    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="+")
    # Separated parents: the household whose invoices it paid (its receipt is that household's).
    household = models.ForeignKey(
        "custody.Household", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("foyer")
    )
    method = models.CharField(_("mode de règlement"), max_length=10, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("montant"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    received_on = models.DateField(_("reçu le"))
    reference = models.CharField(_("référence (n° de chèque…)"), max_length=100, blank=True)
    receipt_number = models.CharField(_("n° de reçu"), max_length=30)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # A voided payment stays (its receipt number is never reused) but counts for nothing.
    voided_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    void_reason = models.CharField(_("motif d'annulation"), max_length=200, blank=True)
    voided_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("règlement")
        indexes = [models.Index(fields=["organisation", "family"])]

    def __str__(self) -> str:
        return _("Règlement %(number)s") % {"number": self.receipt_number}

    @property
    def allocated(self) -> Decimal:
        return sum((a.amount for a in self.allocations.all()), ZERO)

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    @property
    def left_over(self) -> Decimal:
        """The family's credit from this payment: neither allocated nor refunded (prefetch
        `allocations` and `refunds` when listing)."""
        if self.voided_at is not None:
            return ZERO
        return self.amount - self.allocated - sum((r.amount for r in self.refunds.all()), ZERO)


class PaymentAllocation(TenantModel):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(validators=[MinValueValidator(Decimal("0.01"))], **MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "payment", "invoice"], name="allocation_unique")]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"


class SequenceType(models.TextChoices):
    FIRST = "FRST", _("Premier prélèvement")
    RECURRENT = "RCUR", _("Prélèvement récurrent")


class SepaMandate(TenantModel):
    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    rum = models.CharField(_("RUM (référence unique du mandat)"), max_length=35)
    holder = models.CharField(_("titulaire du compte"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11)
    signed_on = models.DateField(_("signé le"))
    sequence = models.CharField(_("séquence"), max_length=4, choices=SequenceType.choices, default=SequenceType.FIRST)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("mandat SEPA")
        constraints = [models.UniqueConstraint(fields=["organisation", "rum"], name="mandate_unique_rum")]

    def __str__(self) -> str:
        return self.rum


class Refund(TenantModel):
    """Money given back to a family out of what a payment left unallocated (its credit)."""

    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("montant"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    refunded_on = models.DateField(_("remboursé le"))
    method = models.CharField(_("mode"), max_length=10, choices=PaymentMethod.choices)
    reason = models.CharField(_("motif"), max_length=200)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-refunded_on", "-id"]
        verbose_name = _("remboursement")

    def __str__(self) -> str:
        return _("Remboursement de %(amount)s €") % {"amount": self.amount}


from .sepa_models import SepaCollection, SepaCollectionLine  # noqa: E402, F401 - SEPA collections
