"""The crèche's lines on the normal invoice runs (billing/services.py calls `CrecheCharges`).

A regular contract's month: the monthly amount (hours per year × T ÷ months billed), plus the
extra hours × T, minus the accepted deductible absences' hours × T, each line with its hours and
rate. Occasional care: hours attended × T. T follows the scale in force on the month's first day
with the version's frozen inputs (a new ceiling applies to running contracts), so a month keeps
its figures whatever is amended later from a later month. A month is billed once: a `BilledMonth` on a live invoice
says so, with the hours behind the lines (the CAF figures read them).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils.formats import date_format

from ribambelle.core.formats import format_euros, round_money

from . import pricing
from .models import (
    AbsenceStatus,
    BilledMonth,
    Contract,
    ContractKind,
    ContractVersion,
    CrecheDay,
    DeductibleAbsence,
    PsuScale,
)
from .selectors import scale_on, version_on

ZERO = Decimal("0")


def run_months(period_start: date, period_end: date) -> list[date]:
    """The months a run bills: those whose first day lies in its period."""
    return [m for m in pricing.months_between(period_start, period_end) if period_start <= m <= period_end]


def month_end(month: date) -> date:
    return pricing.next_month(month) - timedelta(days=1)


def _contracts_in(organisation, months: list[date], structure_ids=()):
    if not months:
        return Contract.objects.none()
    contracts = Contract.objects.filter(
        organisation=organisation, start_date__lte=month_end(months[-1]), end_date__gte=months[0]
    )
    if structure_ids:
        contracts = contracts.filter(activity__structure_id__in=structure_ids)
    return contracts


def family_ids(run):
    """The families with a contract in a month of the run (a subquery of family ids)."""
    months = run_months(run.period_start, run.period_end)
    return _contracts_in(run.organisation, months, run.structure_ids).values("family_id")


@dataclass
class MonthStatement:
    contract: Contract
    month: date
    rate: pricing.Rate
    contracted_hours: Decimal = ZERO  # H_an ÷ months (regular)
    monthly_amount: Decimal = ZERO
    attended_hours: Decimal = ZERO
    extra_hours: Decimal = ZERO
    extra_amount: Decimal = ZERO
    deducted_hours: Decimal = ZERO
    deducted_amount: Decimal = ZERO
    occasional_amount: Decimal = ZERO
    absences: list = field(default_factory=list)

    @property
    def billed_hours(self) -> Decimal:
        if self.contract.kind == ContractKind.OCCASIONAL:
            return self.attended_hours
        return self.contracted_hours + self.extra_hours - self.deducted_hours

    @property
    def total(self) -> Decimal:
        return self.monthly_amount + self.extra_amount - self.deducted_amount + self.occasional_amount


def month_statement(contract, month: date, *, versions, scales, days, absences) -> MonthStatement | None:
    """One contract's month, from rows already loaded (no query)."""
    first, last = max(month, contract.start_date), min(month_end(month), contract.end_date)
    if first > last:
        return None
    version = version_on(versions, first)
    if version is None:
        return None
    scale = scale_on(scales, month) or version.scale
    rate = pricing.hourly_rate(
        scale=scale,
        care_type=contract.care_type,
        annual_resources=version.annual_resources,
        dependent_children=version.dependent_children,
        aeeh=version.aeeh,
    )
    in_month = [d for d in days if first <= d.date <= last]
    statement = MonthStatement(contract=contract, month=month, rate=rate)
    statement.attended_hours = sum((d.attended_hours for d in in_month), ZERO)
    if contract.kind == ContractKind.OCCASIONAL:
        statement.occasional_amount = pricing.amount(statement.attended_hours, rate.hourly)
        return statement
    statement.contracted_hours = pricing.monthly_hours(version.yearly_hours, version.months_billed)
    statement.monthly_amount = pricing.monthly_amount(
        yearly_hours=version.yearly_hours, hourly=rate.hourly, months=version.months_billed
    )
    statement.extra_hours = sum((d.extra_hours for d in in_month), ZERO)
    statement.extra_amount = pricing.amount(statement.extra_hours, rate.hourly)
    statement.absences = [a for a in absences if first <= a.date <= last and a.status == AbsenceStatus.ACCEPTED]
    statement.deducted_hours = sum((a.hours for a in statement.absences), ZERO)
    statement.deducted_amount = pricing.amount(statement.deducted_hours, rate.hourly)
    return statement


def _hours(value: Decimal) -> str:
    text = f"{value.normalize():f}".replace(".", ",")
    return f"{text} h"


def _rate(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",") + " €/h"


def statement_lines(statement: MonthStatement) -> list:
    from ribambelle.billing.charges import ChargeLine

    contract, month = statement.contract, statement.month
    period = date_format(month, "F Y")
    rate = statement.rate.hourly
    percent, resources = statement.rate.rate_percent.normalize(), statement.rate.monthly_resources
    # Stored on the invoice line as the family reads it: French decimals and euros.
    note = f"Taux d'effort {percent:f} % · ressources {format_euros(resources)}/mois".replace(".", ",")

    def line(label: str, amount: Decimal) -> ChargeLine:
        return ChargeLine(
            booking=None,
            child=contract.child,
            activity=contract.activity,
            date=month,
            label=label,
            unit_price=round_money(amount),
            reduction=ZERO,
            amount=round_money(amount),
            notes=[note],
        )

    if contract.kind == ContractKind.OCCASIONAL:
        if not statement.attended_hours:
            return []
        return [
            line(
                f"Accueil occasionnel {period} : {_hours(statement.attended_hours)} × {_rate(rate)}",
                statement.occasional_amount,
            )
        ]
    lines = [
        line(
            f"Mensualité {period} : {_hours(statement.contracted_hours)} × {_rate(rate)}",
            statement.monthly_amount,
        )
    ]
    if statement.extra_hours:
        lines.append(
            line(
                f"Heures complémentaires {period} : {_hours(statement.extra_hours)} × {_rate(rate)}",
                statement.extra_amount,
            )
        )
    if statement.deducted_hours:
        lines.append(
            line(
                f"Absences déductibles {period} : − {_hours(statement.deducted_hours)} × {_rate(rate)}",
                -statement.deducted_amount,
            )
        )
    return lines


@dataclass
class CrecheCharges:
    """A batch's crèche statements, loaded in a fixed number of queries (none per family)."""

    by_family: dict[int, list[MonthStatement]]

    @classmethod
    def load(cls, run, families) -> "CrecheCharges":
        from ribambelle.billing.models import InvoiceStatus

        months = run_months(run.period_start, run.period_end)
        contracts = list(
            _contracts_in(run.organisation, months, run.structure_ids)
            .filter(family_id__in=[f.pk for f in families])
            .select_related("child", "activity")
            .order_by("family_id", "child__birth_date", "pk")
        )
        if not contracts:
            return cls({})
        ids = [c.pk for c in contracts]
        first, last = months[0], month_end(months[-1])
        versions, days, absences = {}, {}, {}
        for version in ContractVersion.objects.filter(
            organisation=run.organisation, contract_id__in=ids
        ).select_related("scale"):
            versions.setdefault(version.contract_id, []).append(version)
        for day in CrecheDay.objects.filter(
            organisation=run.organisation, contract_id__in=ids, date__gte=first, date__lte=last
        ):
            days.setdefault(day.contract_id, []).append(day)
        for absence in DeductibleAbsence.objects.filter(
            organisation=run.organisation,
            contract_id__in=ids,
            date__gte=first,
            date__lte=last,
            status=AbsenceStatus.ACCEPTED,
        ):
            absences.setdefault(absence.contract_id, []).append(absence)
        scales = list(PsuScale.objects.filter(organisation=run.organisation))
        billed = set(
            BilledMonth.objects.filter(organisation=run.organisation, contract_id__in=ids, month__in=months)
            .exclude(invoice__status=InvoiceStatus.CREDITED)
            .values_list("contract_id", "month")
        )
        by_family: dict[int, list[MonthStatement]] = {}
        for contract in contracts:
            for month in months:
                if (contract.pk, month) in billed:
                    continue
                statement = month_statement(
                    contract,
                    month,
                    versions=versions.get(contract.pk, []),
                    scales=scales,
                    days=days.get(contract.pk, []),
                    absences=absences.get(contract.pk, []),
                )
                if statement is not None:
                    by_family.setdefault(contract.family_id, []).append(statement)
        return cls(by_family)

    def lines(self, family) -> list:
        return [line for statement in self.by_family.get(family.pk, []) for line in statement_lines(statement)]

    def record(self, invoices) -> None:
        """After the run wrote `invoices`: each invoiced family's months, with their hours."""
        rows = []
        for invoice in invoices:
            for st in self.by_family.get(invoice.family_id, []):
                if st.contract.kind == ContractKind.OCCASIONAL and not st.attended_hours:
                    continue
                rows.append(
                    BilledMonth(
                        organisation_id=invoice.organisation_id,
                        contract=st.contract,
                        invoice=invoice,
                        month=st.month,
                        hourly_rate=st.rate.hourly,
                        contracted_hours=st.contracted_hours,
                        extra_hours=st.extra_hours,
                        deducted_hours=st.deducted_hours,
                        attended_hours=st.attended_hours,
                        billed_hours=st.billed_hours,
                        amount=st.total,
                    )
                )
        BilledMonth.objects.bulk_create(rows)
