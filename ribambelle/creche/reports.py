"""The crèche's yearly figures for the CAF, and the Filoué per-child file.

Hours billed and contributions come from `BilledMonth` rows of live invoices (what the invoices
say, never recomputed); hours attended from the days recorded. Billing rate = billed ÷ attended
(caf-psu-qf.md B6: the 2025 reform funds between 107 % and 120 %)."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from ribambelle.core.exceptions import DomainError

from .models import BilledMonth, Contract, CrecheDay

ZERO = Decimal("0")


def rate(billed: Decimal, attended: Decimal) -> Decimal | None:
    if not attended:
        return None
    return (billed * 100 / attended).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class MonthFigures:
    month: date
    attended_hours: Decimal = ZERO
    billed_hours: Decimal = ZERO
    contributions: Decimal = ZERO

    @property
    def billing_rate(self) -> Decimal | None:
        return rate(self.billed_hours, self.attended_hours)


@dataclass
class YearFigures:
    year: int
    months: list[MonthFigures]
    children_by_age: dict[str, int] = field(default_factory=dict)

    def month(self, first_day: date) -> MonthFigures:
        return next(m for m in self.months if m.month == first_day)

    @property
    def attended_hours(self) -> Decimal:
        return sum((m.attended_hours for m in self.months), ZERO)

    @property
    def billed_hours(self) -> Decimal:
        return sum((m.billed_hours for m in self.months), ZERO)

    @property
    def contributions(self) -> Decimal:
        return sum((m.contributions for m in self.months), ZERO)

    @property
    def billing_rate(self) -> Decimal | None:
        return rate(self.billed_hours, self.attended_hours)


def _age_band(birth: date | None, on: date) -> str:
    if birth is None:
        return _("âge inconnu")
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    if years < 1:
        return _("moins d'1 an")
    if years < 3:
        return _("%(n)s an(s)") % {"n": years}
    return _("3 ans et plus")


def _live(queryset):
    from ribambelle.billing.models import InvoiceStatus

    return queryset.exclude(invoice__status=InvoiceStatus.CREDITED)


def yearly_figures(organisation, *, year: int, structure_ids=()) -> YearFigures:
    """Twelve months of figures, in four queries whatever the number of children."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    days = CrecheDay.objects.filter(organisation=organisation, date__gte=start, date__lte=end)
    billed = _live(BilledMonth.objects.filter(organisation=organisation, month__gte=start, month__lte=end))
    if structure_ids:
        days = days.filter(contract__activity__structure_id__in=structure_ids)
        billed = billed.filter(contract__activity__structure_id__in=structure_ids)
    months = {date(year, m, 1): MonthFigures(date(year, m, 1)) for m in range(1, 13)}
    for row in days.annotate(m=TruncMonth("date")).values("m").annotate(h=Sum("attended_hours")):
        month = row["m"] if isinstance(row["m"], date) else row["m"].date()
        months[month.replace(day=1)].attended_hours = row["h"] or ZERO
    for row in billed.values("month").annotate(h=Sum("billed_hours"), a=Sum("amount")):
        figures = months[row["month"]]
        figures.billed_hours, figures.contributions = row["h"] or ZERO, row["a"] or ZERO
    children: dict[str, int] = {}
    for birth in days.values_list("child__birth_date", "child_id").distinct():
        band = _age_band(birth[0], end)
        children[band] = children.get(band, 0) + 1
    return YearFigures(year=year, months=list(months.values()), children_by_age=dict(sorted(children.items())))


# --- Filoué ------------------------------------------------------------------------------

FILOUE_HEADER = [
    "annee",
    "numero_dossier_caf_structure",
    "numero_equipement",
    "numero_allocataire",
    "regime",
    "date_naissance_enfant",
    "code_postal",
    "heures_realisees",
    "heures_facturees",
    "participations_familiales",
]


def filoue_rows(organisation, *, year: int, structure) -> list[list[str]]:
    """One row per child of a consenting family attended or billed that year; refuses (French
    message, nothing produced) when the structure's CAF identifiers or a child's data are missing."""
    from ribambelle.caf.models import StructureCafIdentifiers

    ids = StructureCafIdentifiers.objects.filter(organisation=organisation, structure=structure).first()
    if ids is None or not ids.caf_number or not ids.convention_number:
        raise DomainError(
            _(
                "Renseignez d'abord le numéro de dossier CAF et le numéro de convention de la structure "
                "(Bilan CAF › Structures)."
            )
        )
    start, end = date(year, 1, 1), date(year, 12, 31)
    contracts = (
        Contract.objects.filter(
            organisation=organisation,
            activity__structure=structure,
            filoue_consent=True,
            start_date__lte=end,
            end_date__gte=start,
        )
        .select_related("child", "family")
        .order_by("child__last_name", "child__first_name", "pk")
    )
    attended = dict(
        CrecheDay.objects.filter(organisation=organisation, contract__in=contracts, date__gte=start, date__lte=end)
        .values("contract_id")
        .annotate(h=Sum("attended_hours"))
        .values_list("contract_id", "h")
    )
    billed = {
        row["contract_id"]: row
        for row in _live(
            BilledMonth.objects.filter(
                organisation=organisation, contract__in=contracts, month__gte=start, month__lte=end
            )
        )
        .values("contract_id")
        .annotate(h=Sum("billed_hours"), a=Sum("amount"))
    }
    rows, problems = [], []
    for contract in contracts:
        if contract.pk not in attended and contract.pk not in billed:
            continue
        if not contract.allocataire_number or contract.child.birth_date is None or not contract.family.postal_code:
            problems.append(str(contract.child))
            continue
        b = billed.get(contract.pk, {})
        rows.append(
            [
                str(year),
                ids.caf_number,
                ids.convention_number,
                contract.allocataire_number,
                contract.family.regime,
                contract.child.birth_date.strftime("%d/%m/%Y"),
                contract.family.postal_code,
                f"{attended.get(contract.pk) or ZERO:.2f}",
                f"{b.get('h') or ZERO:.2f}",
                f"{b.get('a') or ZERO:.2f}",
            ]
        )
    if problems:
        raise DomainError(
            _(
                "Numéro d'allocataire, date de naissance ou code postal manquant pour : %(names)s. "
                "Complétez les contrats et les dossiers des familles."
            )
            % {"names": ", ".join(problems)}
        )
    validate_filoue(rows)
    return rows


def validate_filoue(rows: list[list[str]]) -> None:
    """Checked before it is offered: every row complete, numbers as the CNAF reads them."""
    for row in rows:
        if len(row) != len(FILOUE_HEADER) or any(cell == "" for cell in row[:7]):
            raise DomainError(_("Le fichier Filoué est incomplet : une ligne n'a pas toutes ses colonnes."))
        for cell in row[7:]:
            Decimal(cell)  # raises on anything but a plain decimal


def filoue_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(FILOUE_HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
