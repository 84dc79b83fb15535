"""Portal tab "Mes factures" (seeds 000 and 004): the financial situation, the invoices
(to pay by default), their detail and PDF, receipts, and online payment."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ribambelle.accounts.services import log_family_action
from ribambelle.billing import selectors
from ribambelle.billing.pdf import invoice_pdf, receipt_pdf
from ribambelle.billing.services import settings_for
from ribambelle.core.exceptions import DomainError
from ribambelle.custody.selectors import household_of
from ribambelle.payments import selectors as payment_selectors
from ribambelle.payments import services as payments
from ribambelle.payments.models import TransactionStatus
from ribambelle.payments.providers.dummy import signed_answer
from ribambelle.payments.providers.registry import provider_class
from ribambelle.tenancy.access import family_required

STATUSES = [
    ("a-payer", gettext_lazy("À payer")),
    ("payees", gettext_lazy("Payées")),
    ("annulees", gettext_lazy("Annulées")),
    ("toutes", gettext_lazy("Toutes")),
]


def _base_url(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


@family_required
def invoices(request):
    family = request.user.family
    household = household_of(request.user)
    status = request.GET.get("statut", "a-payer")
    status = status if status in dict(STATUSES) else "a-payer"
    year = request.GET.get("annee", "")
    all_invoices = selectors.invoices_for_family(family, household=household)
    years = sorted({d.year for d in all_invoices.dates("period_start", "year")}, reverse=True)
    listed = selectors.filter_invoices(all_invoices, status=status, year=year)
    settings = settings_for(request.organisation)
    return render(
        request,
        "portail/billing/invoices.html",
        {
            "active_tab": "invoices",
            "situation": selectors.family_situation(family, household=household),
            "invoices": listed,
            "statuses": STATUSES,
            "status": status,
            "years": years,
            "year": int(year) if year.isdigit() and len(year) == 4 else None,
            "payments": selectors.payments_for_family(family, household=household)[:20],
            "online": payments.enabled_config(request.organisation) is not None,
            "settings": settings,
            "quotient_notice": _quotient_notice(family, settings),
        },
    )


def _quotient_notice(family, settings) -> str:
    """Why this family pays the highest QF bracket, if it does (missing or outdated QF)."""
    from django.utils import timezone

    from ribambelle.billing.charges import PricingContext, choose_bracket

    # Only the brackets and the settings decide it: the tariffs are not loaded for this.
    brackets = list(selectors.brackets(family.organisation_id))
    context = PricingContext(settings=settings, brackets=brackets, tariffs={}, on=timezone.localdate())
    return choose_bracket(family, context).reason


@family_required
def invoice_detail(request, invoice_id: int):
    invoice = selectors.get_invoice_for_family(request.user.family, invoice_id, household=household_of(request.user))
    config = payments.enabled_config(request.organisation)
    lines = list(invoice.lines.all())
    groups: dict[tuple[str, str], list] = {}
    for line in lines:
        groups.setdefault((line.child_name, line.activity_name), []).append(line)
    response = render(
        request,
        "portail/billing/invoice_detail.html",
        {
            "active_tab": "invoices",
            "invoice": invoice,
            "groups": [
                {"child": c, "activity": a, "lines": ls, "total": sum(x.amount for x in ls)}
                for (c, a), ls in groups.items()
            ],
            "allocations": invoice.allocations.select_related("payment"),
            "online": config is not None,
            "pending_payment": payment_selectors.pending_transaction_for_invoice(request.user.family, invoice)
            if invoice.is_open
            else None,
            "settings": settings_for(request.organisation),
        },
    )
    if config is not None and (origins := provider_class(config.kind).redirect_origins()):
        # CSP: "Payer" posts here and is redirected to the provider's page (PayFiP).
        response._csp_update = {"form-action": origins}
    return response


@family_required
def invoice_file(request, invoice_id: int):
    invoice = selectors.get_invoice_for_family(request.user.family, invoice_id, household=household_of(request.user))
    pdf = invoice_pdf(invoice, lines=list(invoice.lines.all()), settings=settings_for(request.organisation))
    log_family_action(
        family=invoice.family,
        action="invoice_download",
        data={"invoice": invoice.number},
        request=request,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


@family_required
def receipt_file(request, payment_id: int):
    payment = selectors.get_payment_for_family(request.user.family, payment_id, household=household_of(request.user))
    log_family_action(
        family=payment.family,
        action="receipt_download",
        data={"receipt": payment.receipt_number},
        request=request,
    )
    response = HttpResponse(receipt_pdf(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="recu-{payment.receipt_number}.pdf"'
    return response


@family_required
@require_POST
def invoice_pay(request, invoice_id: int):
    invoice = selectors.get_invoice_for_family(request.user.family, invoice_id, household=household_of(request.user))
    try:
        kind, data = payments.start_payment(invoice=invoice, user=request.user, base_url=_base_url(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portail:invoice_detail", org_slug=request.organisation.slug, invoice_id=invoice.pk)
    if kind == "paid":
        messages.success(request, _("Cette facture vient d'être payée : votre reçu est disponible ci-dessous."))
        return redirect("portail:invoice_detail", org_slug=request.organisation.slug, invoice_id=invoice.pk)
    if kind == "blocked":
        messages.error(
            request,
            _("Un paiement en ligne de cette facture est en cours de vérification par le service : contactez-le."),
        )
        return redirect("portail:invoice_detail", org_slug=request.organisation.slug, invoice_id=invoice.pk)
    if kind == "form":
        # Providers that expect a signed form (PayZen): the family confirms with one click.
        response = render(
            request, "portail/billing/provider_form.html", {"form": data, "invoice": invoice, "active_tab": "invoices"}
        )
        parts = urlsplit(data.url)
        # CSP: this one page may post to the provider's own address (form-action is 'self' elsewhere).
        response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}
        return response
    return redirect(data)


def _query(request) -> str:
    return request.META.get("QUERY_STRING", "") if request.method == "GET" else request.body.decode("utf-8", "replace")


@csrf_exempt
def payment_return(request, provider: str):
    """The family's browser comes back from the provider (GET, or POST from its page: no CSRF
    token then): settle (idempotent, verified with the provider) and say what happened. The
    session may be missing after a cross-site POST: the answer is settled all the same."""
    tx = payments.settle(
        organisation=request.organisation,
        provider_kind=provider,
        query_string=_query(request),
        base_url=_base_url(request),
    )
    slug = request.organisation.slug
    family = getattr(request.user, "family", None) if request.user.is_authenticated else None
    if tx is None and family is not None:
        # No usable answer (missing, or not readable): ask the provider about this family's
        # payments under way (PayFiP's state query).
        for pending in payment_selectors.pending_transactions_for_family(family, provider=provider):
            payments.check_transaction(pending)
    if family is None:
        return redirect("portail:invoices", org_slug=slug)
    if tx is None or tx.family_id != family.pk:
        messages.error(
            request,
            _(
                "Le résultat du paiement n'a pas pu être vérifié : votre facture reste à payer. "
                "Si votre compte a été débité, contactez le service."
            ),
        )
        return redirect("portail:invoices", org_slug=slug)
    if tx.status == TransactionStatus.PAID:
        messages.success(
            request,
            _("Merci, votre paiement de la facture %(number)s est enregistré. Votre reçu est disponible ci-dessous.")
            % {"number": tx.invoice.number},
        )
    elif tx.status == TransactionStatus.PENDING:
        messages.info(
            request,
            _(
                "Votre paiement est en cours de traitement par la banque : la facture sera marquée payée "
                "dès sa confirmation. Inutile de payer une seconde fois."
            ),
        )
    elif tx.status == TransactionStatus.CANCELLED:
        messages.warning(
            request, _("Paiement annulé : la facture reste à payer. Vous pouvez réessayer quand vous voulez.")
        )
    else:
        messages.error(
            request, _("Paiement refusé par la banque : la facture reste à payer. Vous n'avez pas été débité.")
        )
    return redirect("portail:invoice_detail", org_slug=slug, invoice_id=tx.invoice_id)


@csrf_exempt
def payment_notify(request, provider: str):
    """The provider's server-to-server notification (no session): verified answers only."""
    tx = payments.settle(
        organisation=request.organisation,
        provider_kind=provider,
        query_string=_query(request),
        base_url=_base_url(request),
    )
    if tx is None:
        return HttpResponseBadRequest("refused", content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@family_required
def simulated_bank(request):
    """The demo bank of the dummy provider: the family chooses to pay, refuse or cancel.
    Its answer is signed, notified to us server-side, then the browser is sent back. Only the
    family's own pending transaction can be answered (another's id: 404)."""
    config = payments.enabled_config(request.organisation)
    if config is None or config.kind != "dummy":
        return HttpResponseBadRequest(_("Le paiement de démonstration n'est pas activé."))
    transaction_id = request.GET.get("transaction_id", "") or request.POST.get("transaction_id", "")
    tx = payment_selectors.pending_transaction_for_family(
        request.user.family, provider="dummy", transaction_id=transaction_id
    )
    amount = str(tx.amount)
    if request.method == "POST":
        result = request.POST.get("result")
        if result not in ("ok", "refused", "cancelled"):
            return HttpResponseBadRequest(_("Choix inconnu."))
        query = signed_answer(request.organisation.pk, tx.transaction_id, amount, result)
        payments.settle(
            organisation=request.organisation, provider_kind="dummy", query_string=query, base_url=_base_url(request)
        )
        url = reverse("portail:payment_return", kwargs={"org_slug": request.organisation.slug, "provider": "dummy"})
        return redirect(f"{url}?{query}")
    return render(
        request,
        "portail/billing/simulated_bank.html",
        {
            "active_tab": "invoices",
            "transaction_id": tx.transaction_id,
            "amount": amount,
            "subject": request.GET.get("subject", ""),
        },
    )
