"""Corrections of what was recorded: voiding a payment, partial credit notes (on chosen lines
or an amount, also after a payment), refunds of a family's credit. Nothing is deleted but
allocations: a voided payment keeps its receipt number, marked cancelled."""

from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts.services import log_family_action
from ribambelle.core.actions import action
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formats import format_euros, round_money
from ribambelle.core.services import record_audit

from .models import (
    ZERO,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    Refund,
)
from .services import _negated_line, _refresh_status, new_credit_note


def _user(acting_user):
    return acting_user if acting_user is not None and acting_user.is_authenticated else None


@action
def void_payment(*, payment: Payment, reason: str, acting_user) -> Payment:
    """Cancel a payment recorded by mistake: its allocations are undone (the invoices are due
    again), its receipt is marked cancelled, it counts for nothing; audited with what it paid."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Indiquez le motif de l'annulation."), field="reason")
    payment = Payment.objects.select_for_update().get(pk=payment.pk, organisation=payment.organisation)
    if payment.voided_at is not None:
        raise DomainError(_("Ce règlement est déjà annulé."))
    if Refund.objects.filter(organisation=payment.organisation, payment=payment).exists():
        raise DomainError(_("Une partie de ce règlement a été remboursée : il ne peut plus être annulé."))
    allocations = list(
        PaymentAllocation.objects.filter(organisation=payment.organisation, payment=payment).order_by("pk")
    )
    undone = {}
    for allocation in allocations:
        invoice = Invoice.objects.select_for_update().get(pk=allocation.invoice_id, organisation=payment.organisation)
        invoice.amount_paid -= allocation.amount
        _refresh_status(invoice)
        undone[invoice.number] = str(allocation.amount)
    PaymentAllocation.objects.filter(organisation=payment.organisation, payment=payment).delete()
    payment.voided_at = timezone.now()
    payment.void_reason = reason[:200]
    payment.voided_by = _user(acting_user)
    payment.save(update_fields=["voided_at", "void_reason", "voided_by", "updated_at"])
    record_audit(
        organisation=payment.organisation,
        actor=acting_user,
        action="payment_void",
        obj=payment,
        changes={"amount": str(payment.amount), "reason": reason, "allocations": undone},
    )
    log_family_action(
        family=payment.family,
        action="payment_voided",
        data={"receipt": payment.receipt_number, "amount": format_euros(payment.amount)},
        user=_user(acting_user),
    )
    return payment


@action
def issue_partial_credit_note(
    *, invoice: Invoice, reason: str, line_ids=(), amount: Decimal | None = None, acting_user
) -> Invoice:
    """A credit note for some lines of an invoice, or for an amount. The invoice owes that much
    less; if it was paid beyond what it now owes, the surplus goes back to the family's credit
    (the latest payments' allocations are reduced first)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Indiquez le motif de l'avoir."), field="reason")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk, organisation=invoice.organisation)
    if invoice.kind != InvoiceKind.INVOICE:
        raise DomainError(_("Un avoir ne peut pas être lui-même annulé."))
    if invoice.status == InvoiceStatus.CREDITED:
        raise DomainError(_("Cette facture est déjà annulée par un avoir."))
    line_ids = {int(pk) for pk in line_ids or ()}
    if bool(line_ids) == (amount is not None):
        raise DomainError(_("Choisissez les lignes à reprendre, ou indiquez un montant (pas les deux)."))
    lines: list[InvoiceLine] = []
    if line_ids:
        lines = list(InvoiceLine.objects.filter(organisation=invoice.organisation, invoice=invoice, pk__in=line_ids))
        if len(lines) != len(line_ids):
            raise DomainError(_("Une des lignes choisies n'appartient pas à cette facture."))
        if InvoiceLine.objects.filter(organisation=invoice.organisation, credits_line__in=lines).exists():
            raise DomainError(_("Une des lignes choisies a déjà été reprise par un avoir."))
        amount = sum((line.amount for line in lines), ZERO)
    amount = round_money(amount)
    if amount <= 0:
        raise DomainError(_("Le montant de l'avoir doit être supérieur à zéro."), field="amount")
    if amount > invoice.net_total:
        raise DomainError(
            _("L'avoir ne peut dépasser ce que la facture réclame encore (%(left)s).")
            % {"left": format_euros(invoice.net_total)},
            field="amount",
        )
    credit = new_credit_note(invoice, total=amount, reason=reason)
    note = _("Avoir sur %(number)s") % {"number": invoice.number}
    if lines:
        InvoiceLine.objects.bulk_create([_negated_line(line, credit, note=note, credits_line=line) for line in lines])
    else:
        InvoiceLine.objects.create(
            organisation=invoice.organisation,
            invoice=credit,
            family=invoice.family,
            label=reason[:250],
            note=note,
            unit_price=-amount,
            amount=-amount,
        )
    invoice.amount_credited += amount
    surplus = invoice.amount_paid - invoice.net_total
    if surplus > 0:
        _give_back(invoice, surplus)
    if invoice.net_total == 0 and invoice.amount_paid == 0:
        invoice.status = InvoiceStatus.CREDITED
        invoice.save(update_fields=["amount_credited", "amount_paid", "status", "updated_at"])
    else:
        invoice.save(update_fields=["amount_credited", "updated_at"])
        _refresh_status(invoice)
    log_family_action(
        family=invoice.family,
        action="partial_credit_note",
        data={"credit_note": credit.number, "invoice": invoice.number, "amount": format_euros(amount)},
        user=_user(acting_user),
    )
    record_audit(
        organisation=invoice.organisation,
        actor=acting_user,
        action="credit_note",
        obj=credit,
        changes={
            "invoice": invoice.number,
            "reason": reason,
            "amount": str(amount),
            "surplus": str(max(surplus, ZERO)),
        },
    )
    return credit


def _give_back(invoice: Invoice, surplus: Decimal) -> None:
    """Reduce this invoice's allocations (latest first) by `surplus`: that money is the
    family's credit again (allocatable to another invoice, or refundable)."""
    for allocation in (
        PaymentAllocation.objects.select_for_update()
        .filter(organisation=invoice.organisation, invoice=invoice)
        .order_by("-payment__received_on", "-pk")
    ):
        if surplus <= 0:
            break
        take = min(surplus, allocation.amount)
        if take == allocation.amount:
            allocation.delete()
        else:
            allocation.amount -= take
            allocation.save(update_fields=["amount", "updated_at"])
        invoice.amount_paid -= take
        surplus -= take


def unallocated(payment: Payment) -> Decimal:
    """What a payment left for the family's credit: not allocated, not refunded."""
    if payment.voided_at is not None:
        return ZERO
    allocated = PaymentAllocation.objects.filter(organisation=payment.organisation, payment=payment).aggregate(
        s=Sum("amount")
    )["s"]
    refunded = Refund.objects.filter(organisation=payment.organisation, payment=payment).aggregate(s=Sum("amount"))["s"]
    return payment.amount - (allocated or ZERO) - (refunded or ZERO)


@action
def record_refund(
    *, payment: Payment, amount: Decimal, refunded_on: date, method: str, reason: str, acting_user
) -> Refund:
    """Give back to the family (all or part of) what a payment left as credit."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Indiquez le motif du remboursement."), field="reason")
    payment = Payment.objects.select_for_update().get(pk=payment.pk, organisation=payment.organisation)
    amount = round_money(amount)
    left = unallocated(payment)
    if amount <= 0:
        raise DomainError(_("Le montant doit être supérieur à zéro."), field="amount")
    if amount > left:
        raise DomainError(
            _("Ce règlement ne laisse que %(left)s de crédit à rembourser.") % {"left": format_euros(left)},
            field="amount",
        )
    refund = Refund.objects.create(
        organisation=payment.organisation,
        family=payment.family,
        payment=payment,
        amount=amount,
        refunded_on=refunded_on,
        method=method,
        reason=reason[:200],
        recorded_by=_user(acting_user),
    )
    record_audit(
        organisation=payment.organisation,
        actor=acting_user,
        action="refund",
        obj=refund,
        changes={"receipt": payment.receipt_number, "amount": str(amount), "reason": reason},
    )
    return refund
