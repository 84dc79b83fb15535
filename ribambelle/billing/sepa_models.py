"""SEPA collections: each pain.008 file we generate is recorded with its lines (one per
invoice), so its invoices are never debited twice, become paid at the settlement date, or
due again when the bank rejects the debit."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel

MONEY = {"max_digits": 10, "decimal_places": 2}

# ISO 20022 reason codes a French bank returns for a rejected direct debit (R-transactions),
# with the French label shown to staff and families.
REJECT_REASONS = {
    "AC01": _("Identifiant de compte (IBAN) incorrect"),
    "AC04": _("Compte clôturé"),
    "AC06": _("Compte bloqué"),
    "AC13": _("Compte du débiteur non valable"),
    "AG01": _("Prélèvement interdit sur ce compte"),
    "AG02": _("Code opération incorrect"),
    "AM04": _("Provision insuffisante"),
    "AM05": _("Prélèvement en double"),
    "BE05": _("Créancier inconnu de la banque"),
    "CNOR": _("Banque du créancier non joignable"),
    "DNOR": _("Banque du débiteur non joignable"),
    "FF01": _("Format de fichier incorrect"),
    "MD01": _("Pas de mandat"),
    "MD02": _("Informations du mandat manquantes ou erronées"),
    "MD06": _("Remboursement demandé par le débiteur"),
    "MD07": _("Débiteur décédé"),
    "MS02": _("Refus du débiteur"),
    "MS03": _("Motif non communiqué par la banque"),
    "RC01": _("BIC incorrect"),
    "RR01": _("Identification du débiteur manquante (réglementaire)"),
    "RR02": _("Nom ou adresse du débiteur manquant (réglementaire)"),
    "RR03": _("Nom ou adresse du créancier manquant (réglementaire)"),
    "RR04": _("Motif réglementaire"),
    "SL01": _("Service particulier de la banque du débiteur"),
}


def reject_label(code: str) -> str:
    return str(REJECT_REASONS.get(code, _("Motif %(code)s") % {"code": code}))


class SepaCollection(TenantModel):
    """One pain.008 file: stored as generated, with its SHA-256, never changed."""

    collection_date = models.DateField(_("date de prélèvement"))
    file_name = models.CharField(_("fichier"), max_length=100)
    content = models.BinaryField(_("contenu"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    total = models.DecimalField(_("montant total"), **MONEY)
    line_count = models.PositiveIntegerField(_("factures"), default=0)
    settled_at = models.DateTimeField(_("réglé le"), null=True, blank=True)
    prenotified = models.BooleanField(_("familles pré-notifiées"), default=False)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-collection_date", "-id"]
        verbose_name = _("prélèvement SEPA")

    def __str__(self) -> str:
        return _("Prélèvement du %(date)s") % {"date": f"{self.collection_date:%d/%m/%Y}"}


class LineStatus(models.TextChoices):
    PENDING = "pending", _("Prélèvement en cours")
    SETTLED = "settled", _("Prélevé")
    REJECTED = "rejected", _("Rejeté")


class SepaCollectionLine(TenantModel):
    collection = models.ForeignKey(SepaCollection, on_delete=models.PROTECT, related_name="lines")
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, related_name="sepa_lines")
    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="+")
    mandate = models.ForeignKey("billing.SepaMandate", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("montant"), **MONEY)
    sequence = models.CharField(_("séquence"), max_length=4)
    end_to_end_id = models.CharField(max_length=35)
    status = models.CharField(_("statut"), max_length=10, choices=LineStatus.choices, default=LineStatus.PENDING)
    payment = models.ForeignKey(
        "billing.Payment", on_delete=models.SET_NULL, null=True, blank=True, related_name="sepa_lines"
    )
    reject_code = models.CharField(_("motif du rejet"), max_length=4, blank=True)
    rejected_on = models.DateField(_("rejeté le"), null=True, blank=True)
    fee_invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["collection", "id"]
        verbose_name = _("ligne de prélèvement")
        constraints = [
            # An invoice is in at most one collection under way: never debited twice.
            models.UniqueConstraint(
                fields=["organisation", "invoice"],
                condition=models.Q(status="pending"),
                name="sepa_line_one_pending_per_invoice",
            ),
            models.UniqueConstraint(fields=["organisation", "end_to_end_id"], name="sepa_line_unique_e2e"),
        ]

    def __str__(self) -> str:
        return f"{self.end_to_end_id}: {self.amount}"

    @property
    def reject_label(self) -> str:
        return reject_label(self.reject_code) if self.reject_code else ""
