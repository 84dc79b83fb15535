"""Back office corrections: void a payment, partial credit note, refund of a family's credit."""

from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.billing import corrections, selectors
from ribambelle.core.formats import format_euros
from ribambelle.core.formpage import form_page
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm

from .correction_forms import PartialCreditForm, RefundForm, VoidPaymentForm

BILLING = Perm.MANAGE_BILLING


def _statement(request, family_id):
    return redirect("backoffice:family_statement", org_slug=request.organisation.slug, family_id=family_id)


@staff_required(BILLING)
def payment_void(request, payment_id: int):
    payment = selectors.get_payment_for_staff(request.membership, payment_id)
    return form_page(
        request,
        VoidPaymentForm(request.POST or None),
        save=lambda form: corrections.void_payment(
            payment=payment, reason=form.cleaned_data["reason"], acting_user=request.user
        ),
        success=lambda payment: (
            _("Règlement %(number)s annulé : ses factures sont de nouveau à payer.")
            % {"number": payment.receipt_number}
        ),
        redirect_to=_statement(request, payment.family_id),
        template="backoffice/billing/payment_void.html",
        context={"payment": payment, "allocations": list(payment.allocations.all()), "nav": "payments"},
    )


@staff_required(BILLING)
def partial_credit_note(request, invoice_id: int):
    invoice = selectors.get_invoice_for_staff(request.membership, invoice_id)
    lines = list(selectors.creditable_lines(invoice))
    form = PartialCreditForm(request.POST or None, lines=lines)
    return form_page(
        request,
        form,
        save=lambda form: corrections.issue_partial_credit_note(
            invoice=invoice,
            reason=form.cleaned_data["reason"],
            line_ids=[int(pk) for pk in form.cleaned_data["lines"]],
            amount=form.cleaned_data["amount"],
            acting_user=request.user,
        ),
        success=lambda credit: (
            _("Avoir %(number)s émis (%(amount)s).") % {"number": credit.number, "amount": format_euros(-credit.total)}
        ),
        redirect_to=lambda credit: redirect(
            "backoffice:billing_invoice", org_slug=request.organisation.slug, invoice_id=invoice.pk
        ),
        template="backoffice/billing/partial_credit.html",
        context={"invoice": invoice, "nav": "invoices"},
    )


@staff_required(BILLING)
def payment_refund(request, payment_id: int):
    payment = selectors.get_payment_for_staff(request.membership, payment_id)
    return form_page(
        request,
        RefundForm(request.POST or None, initial={"refunded_on": timezone.localdate(), "method": "transfer"}),
        save=lambda form: corrections.record_refund(payment=payment, acting_user=request.user, **form.cleaned_data),
        success=lambda refund: _("Remboursement de %(amount)s enregistré.") % {"amount": format_euros(refund.amount)},
        redirect_to=_statement(request, payment.family_id),
        template="backoffice/billing/payment_refund.html",
        context={"payment": payment, "left": corrections.unallocated(payment), "nav": "payments"},
    )
