"""Hélios reads: settings, rôles, and the plan of a run's export (articles, SEPA debits and
blocking problems) computed by chunks of invoices, so a 10,000-invoice run stays flat in memory."""

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from ribambelle.activities.models import Activity
from ribambelle.billing.models import ZERO, Invoice, InvoiceKind, InvoiceLine, InvoiceRun, SepaMandate, SequenceType
from ribambelle.billing.selectors import OPEN, get_run_for_staff
from ribambelle.families.models import Family, Person, PersonRole

from .models import HeliosProductCode, HeliosSettings, PesPiece, PesRoll
from .pes import Article, Debit, Line, pes_text

CHUNK = 500
NUM_DETTE_DIGITS = 15
_POSTAL_CODE = re.compile(r"^[0-9]{5}$")


def settings_for_organisation(organisation):
    return HeliosSettings.objects.filter(organisation=organisation).order_by("cod_bud", "id")


def get_heliossettings_for_staff(membership, heliossettings_id: int) -> HeliosSettings:
    return get_object_or_404(
        HeliosSettings.objects.filter(organisation_id=membership.organisation_id), pk=heliossettings_id
    )


def activities_for_codes(organisation):
    """Every activity of the organisation, each of which may have its own product code."""
    return Activity.objects.filter(organisation=organisation).order_by("name", "id")


def product_codes(settings) -> dict[int, str]:
    return dict(
        HeliosProductCode.objects.filter(organisation_id=settings.organisation_id, settings=settings).values_list(
            "activity_id", "code"
        )
    )


def rolls_for_run(run):
    return PesRoll.objects.filter(organisation_id=run.organisation_id, run=run).select_related("settings")


def get_pesroll_for_staff(membership, pesroll_id: int) -> PesRoll:
    roll = get_object_or_404(
        PesRoll.objects.filter(organisation_id=membership.organisation_id).select_related("run", "settings"),
        pk=pesroll_id,
    )
    get_run_for_staff(membership, roll.run_id)  # 404 when the run is out of the member's reach
    return roll


def invoices_collected_by_tresor(organisation):
    """Invoices the Trésor debits itself (InfoPrelevementSEPA in a rôle not cancelled): they
    must never also go in a pain.008 of ours."""
    return PesPiece.objects.filter(
        organisation=organisation, debited_by_tresor=True, roll__cancelled_at__isnull=True
    ).values("invoice_id")


def num_dette(invoice: Invoice) -> str:
    """The invoice number as Hélios reads it (NumDette, ≤ 15 digits): the year and the
    sequence of `F2026-000123`, i.e. 2026000123; the letter prefix is for display only."""
    return f"{invoice.year}{invoice.sequence:06d}"


@dataclass
class Problem:
    family_id: int
    family_name: str
    field: str
    message: str


@dataclass
class Skipped:
    number: str
    family_name: str
    reason: str


@dataclass
class Plan:
    """What an export of the run would contain: counts and totals for all invoices, the first
    articles for display, every blocking problem, and the invoices left out."""

    invoice_ids: list[int]
    total: Decimal = ZERO
    sepa_count: int = 0
    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.invoice_ids)


def _fill(template: str, **values) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def _payer(family, adult) -> tuple[str, str]:
    last = family.payer_last_name or (adult.last_name if adult else "")
    first = family.payer_first_name or (adult.first_name if adult else "")
    return last, first


def family_problems(family, adult, mandate) -> list[Problem]:
    """The family file's fields the Trésor needs, checked for one payer."""
    found = []

    def missing(field_name: str, message: str):
        found.append(Problem(family.pk, family.name, field_name, message))

    last, first = _payer(family, adult)
    if not family.payer_civility:
        missing(_("civilité du payeur"), _("Choisissez Monsieur ou Madame dans la fiche famille."))
    if not pes_text(last, 38):
        missing(_("nom du payeur"), _("Indiquez le nom du payeur ou ajoutez un responsable légal."))
    if not pes_text(first, 38):
        missing(_("prénom du payeur"), _("Indiquez le prénom du payeur ou ajoutez un responsable légal."))
    if not pes_text(family.address_line, 38):
        missing(_("adresse"), _("Indiquez l'adresse de la famille."))
    if not _POSTAL_CODE.match(family.postal_code.strip()):
        missing(_("code postal"), _("Indiquez un code postal français à 5 chiffres."))
    if not pes_text(family.city, 38):
        missing(_("commune"), _("Indiquez la commune de la famille."))
    if mandate is not None and not (mandate.iban and mandate.bic and pes_text(mandate.holder, 32)):
        missing(
            _("coordonnées bancaires du mandat"),
            _("Complétez l'IBAN, le BIC et le titulaire du mandat SEPA actif, ou désactivez-le."),
        )
    return found


def household_as_payer(household, family):
    """Separated parents: the household paying an invoice, read as the payer the Trésor knows
    (its civility, name and address; the family's where the household leaves them empty)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        pk=family.pk,
        name=f"{family.name} – {household.label}",
        payer_civility=household.payer_civility or family.payer_civility,
        payer_last_name=household.payer_last_name,
        payer_first_name=household.payer_first_name,
        debtor_category=family.debtor_category,
        address_line=household.address_line,
        postal_code=household.postal_code,
        city=household.city,
    )


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _lines(invoice: Invoice, groups: list[tuple[int | None, str, Decimal]], codes: dict, default_code: str):
    """One line per product code, for the invoice's balance: the amount already paid (and any
    negative group, a reduction) is taken off the first lines, so the lines add up to it."""
    by_code: dict[str, list] = {}
    for activity_id, activity_name, amount in groups:
        code = codes.get(activity_id, default_code)
        entry = by_code.setdefault(code, [[], ZERO])
        if activity_name and activity_name not in entry[0]:
            entry[0].append(activity_name)
        entry[1] += amount
    deduction = invoice.amount_paid + sum((-amount for _names, amount in by_code.values() if amount < 0), ZERO)
    lines = []
    for code, (names, amount) in by_code.items():
        if amount <= 0:
            continue
        taken = min(deduction, amount)
        deduction -= taken
        if amount - taken > 0:
            lines.append(Line(code, ", ".join(names) or invoice.number, amount - taken))
    if sum((line.amount for line in lines), ZERO) != invoice.balance:
        # No lines (a hand-made invoice) or lines that do not add up: one line for the balance.
        return [Line(default_code, invoice.number, invoice.balance)]
    return lines


def exportable(run: InvoiceRun):
    return Invoice.objects.filter(organisation_id=run.organisation_id, run=run, kind=InvoiceKind.INVOICE)


def articles(
    run: InvoiceRun, settings: HeliosSettings, *, roll_key: str, issued_on: date, ids: list[int], first_piece: int = 1
):
    """The articles of the export, in invoice order, read by chunks (a generator)."""
    codes = product_codes(settings)
    piece = first_piece - 1
    for chunk in _chunks(ids):
        invoices = list(
            Invoice.objects.filter(organisation_id=run.organisation_id, pk__in=chunk)
            .select_related("family", "household")
            .order_by("sequence", "pk")
        )
        family_ids = {invoice.family_id for invoice in invoices}
        adults = _adults(run.organisation_id, family_ids)
        mandates = _mandates(run.organisation_id, family_ids)
        groups = defaultdict(list)
        for row in (
            InvoiceLine.objects.filter(organisation_id=run.organisation_id, invoice_id__in=chunk)
            .values("invoice_id", "activity_id", "activity_name")
            .annotate(amount=Sum("amount"))
            .order_by("invoice_id", "activity_name", "activity_id")
        ):
            groups[row["invoice_id"]].append((row["activity_id"], row["activity_name"], row["amount"]))
        for invoice in invoices:
            piece += 1
            family = invoice.family
            payer_ref = f"F{family.pk}"
            mandate = mandates.get(family.pk)
            adult = adults.get(family.pk)
            if invoice.household is not None:
                # One parent's invoice: that parent is the debtor; the family's mandate (the
                # other parent's account, perhaps) is not used for it.
                payer_ref = f"F{family.pk}H{invoice.household.position}"
                family, mandate, adult = household_as_payer(invoice.household, family), None, None
            last, first = _payer(family, adult)
            values = {
                "facture": invoice.number,
                "famille": family.name,
                "debut": f"{invoice.period_start:%d/%m/%Y}",
                "fin": f"{invoice.period_end:%d/%m/%Y}",
            }
            yield Article(
                invoice_id=invoice.pk,
                piece_number=piece,
                num_dette=num_dette(invoice),
                subject=_fill(settings.article_subject, **values),
                payer_ref=payer_ref,
                civility=family.payer_civility,
                last_name=last,
                first_name=first,
                debtor_category=family.debtor_category or "01",
                address=family.address_line,
                postal_code=family.postal_code.strip(),
                city=family.city,
                attachment_id=f"{roll_key}P{piece}",
                attachment_name=f"FACTURE_{num_dette(invoice)}.pdf",
                lines=_lines(invoice, groups[invoice.pk], codes, settings.default_product_code),
                debit=Debit(
                    debit_date=issued_on + timedelta(days=settings.debit_days),
                    sequence="02" if mandate.sequence == SequenceType.FIRST else "03",
                    signed_on=mandate.signed_on,
                    rum=mandate.rum,
                    label=_fill(settings.debit_label, **values),
                    bic=mandate.bic,
                    iban=mandate.iban,
                    holder=mandate.holder,
                )
                if mandate is not None
                else None,
            )


def _adults(organisation_id, family_ids) -> dict:
    adults = {}
    for person in Person.objects.filter(
        organisation_id=organisation_id, family_id__in=family_ids, role=PersonRole.ADULT
    ).order_by("-id"):
        adults[person.family_id] = person  # the first responsible adult wins (ordered last)
    return adults


def _mandates(organisation_id, family_ids) -> dict:
    return {
        mandate.family_id: mandate
        for mandate in SepaMandate.objects.filter(
            organisation_id=organisation_id, family_id__in=family_ids, is_active=True
        ).order_by("signed_on", "id")
    }


def export_plan(run: InvoiceRun, settings: HeliosSettings, *, issued_on: date, shown: int = 100) -> Plan:
    """Which invoices go in the rôle (open, balance > 0), their total, the SEPA debits, and
    every blocking problem by family and field; the first `shown` articles for display."""
    plan = Plan(invoice_ids=[])
    families_seen, households_seen = set(), set()
    rows = exportable(run).select_related("family").order_by("sequence", "pk")
    for invoice in rows.only(
        "pk",
        "number",
        "status",
        "total",
        "amount_paid",
        "amount_credited",
        "family_id",
        "family__name",
        "household_id",
        "sequence",
        "year",
    ):
        if invoice.status not in OPEN or invoice.balance <= ZERO:
            plan.skipped.append(
                Skipped(invoice.number, invoice.family.name, _("soldée") if invoice.balance <= ZERO else _("annulée"))
            )
            continue
        if len(num_dette(invoice)) > NUM_DETTE_DIGITS:
            plan.problems.append(
                Problem(invoice.family_id, invoice.family.name, _("numéro de facture"), _("Plus de 15 chiffres."))
            )
        plan.invoice_ids.append(invoice.pk)
        plan.total += invoice.balance
        families_seen.add(invoice.family_id)
        if invoice.household_id is not None:
            households_seen.add(invoice.household_id)
    if households_seen:
        from ribambelle.custody.models import Household

        for household in Household.objects.filter(
            organisation_id=run.organisation_id, pk__in=households_seen
        ).select_related("family"):
            plan.problems += family_problems(household_as_payer(household, household.family), None, None)
    for chunk in _chunks(sorted(families_seen)):
        adults = _adults(run.organisation_id, chunk)
        mandates = _mandates(run.organisation_id, chunk)
        for family in Family.objects.filter(organisation_id=run.organisation_id, pk__in=chunk).order_by("name"):
            plan.problems += family_problems(family, adults.get(family.pk), mandates.get(family.pk))
    plan.articles = list(articles(run, settings, roll_key="", issued_on=issued_on, ids=plan.invoice_ids[:shown]))
    plan.sepa_count = _sepa_invoices(run, plan.invoice_ids)
    return plan


def _sepa_invoices(run, invoice_ids) -> int:
    count = 0
    for chunk in _chunks(invoice_ids):
        count += Invoice.objects.filter(
            organisation_id=run.organisation_id,
            pk__in=chunk,
            household__isnull=True,  # a separated parent's invoice is not debited (see articles)
            family_id__in=SepaMandate.objects.filter(organisation_id=run.organisation_id, is_active=True).values(
                "family_id"
            ),
        ).count()
    return count
