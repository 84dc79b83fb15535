"""Back office, "Facturation": invoice runs, invoices and credit notes, payments desk,
balances and unpaid invoices, SEPA direct debit, exports, tariffs and settings."""

import uuid
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from ribambelle.billing import selectors, sepa, services
from ribambelle.billing.models import InvoiceStatus, RunStatus
from ribambelle.billing.pdf import invoice_pdf, receipt_pdf
from ribambelle.core.exceptions import DomainError
from ribambelle.core.exports import csv_response
from ribambelle.core.formpage import EditPage, form_page
from ribambelle.core.money import parse_euros
from ribambelle.core.pagination import paginate
from ribambelle.core.params import parse_ids
from ribambelle.families.selectors import families_for_staff, get_family_for_staff
from ribambelle.payments import services as payment_services
from ribambelle.payments.providers.registry import callback_urls
from ribambelle.payments.providers.registry import offered as offered_providers
from ribambelle.tenancy.access import staff_required, structure_limit
from ribambelle.tenancy.roles import Area, Perm
from ribambelle.tenancy.selectors import active_structures

from .billing_forms import (
    BillingSettingsForm,
    BracketForm,
    CreditNoteForm,
    MandateForm,
    ProviderForm,
    RunForm,
    TariffForm,
)
from .correction_forms import CheckedPaymentForm

BILLING = Perm.MANAGE_BILLING


def _csv(filename: str, header: list[str], rows) -> HttpResponse:
    return csv_response(filename=filename, header=header, rows=rows)


def _money(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


# --- Invoices -----------------------------------------------------------------------


@staff_required(BILLING)
def invoice_list(request):
    invoices = selectors.invoice_list_for_staff(request.membership, request.GET).qs
    status = request.GET.get("statut", "")
    query = request.GET.get("q", "").strip()
    if request.GET.get("format") == "csv":
        return _csv(
            "factures.csv",
            [
                _("Numéro"),
                _("Type"),
                _("Famille"),
                _("Émise le"),
                _("Échéance"),
                _("Période du"),
                _("au"),
                _("Montant"),
                _("Réglé"),
                _("Statut"),
            ],
            (
                [
                    i.number,
                    i.get_kind_display(),
                    i.family_name,
                    i.issue_date,
                    i.due_date,
                    i.period_start,
                    i.period_end,
                    _money(i.total),
                    _money(i.amount_paid),
                    i.get_status_display(),
                ]
                for i in invoices.iterator()
            ),
        )
    page = paginate(request, invoices)
    return render(
        request,
        "backoffice/billing/invoice_list.html",
        {
            "page": page,
            "status": status,
            "statuses": InvoiceStatus.choices,
            "q": query,
            "sort": request.GET.get("tri", ""),
            "nav": "invoices",
        },
    )


@staff_required(BILLING)
def invoice_detail(request, invoice_id: int):
    from ribambelle.absences.selectors import waivable_line_ids

    invoice = selectors.get_invoice_for_staff(request.membership, invoice_id)
    return form_page(
        request,
        CreditNoteForm(request.POST or None),
        save=lambda form: services.issue_credit_note(
            invoice=invoice, reason=form.cleaned_data["reason"], acting_user=request.user
        ),
        success=lambda credit: _("Avoir %(number)s émis.") % {"number": credit.number},
        redirect_to=lambda credit: redirect(
            "backoffice:billing_invoice", org_slug=request.organisation.slug, invoice_id=credit.pk
        ),
        template="backoffice/billing/invoice_detail.html",
        context={
            "invoice": invoice,
            "lines": invoice.lines.all(),
            "allocations": invoice.allocations.select_related("payment"),
            "credit_notes": invoice.credit_notes.all(),
            "waivable": waivable_line_ids(invoice),  # late cancellations and absences: "Remise"
            "nav": "invoices",
        },
    )


@staff_required(BILLING)
def invoice_file(request, invoice_id: int):
    invoice = selectors.get_invoice_for_staff(request.membership, invoice_id)
    pdf = invoice_pdf(invoice, lines=list(invoice.lines.all()), settings=services.settings_for(request.organisation))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
    return response


# --- Invoice runs -------------------------------------------------------------------


@staff_required(BILLING)
def run_list(request):
    limit = structure_limit(request.membership, Area.BILLING)
    structures = active_structures(request.organisation)
    if limit is not None:
        structures = structures.filter(pk__in=limit)
    today = timezone.localdate()
    last_month_end = today.replace(day=1) - timezone.timedelta(days=1)
    form = RunForm(
        request.POST or None,
        structures=structures,
        initial={"period_start": last_month_end.replace(day=1), "period_end": last_month_end},
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = services.create_run(
                organisation=request.organisation,
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
                # Nothing ticked means every structure: for a limited member, every one of theirs.
                structure_ids=form.cleaned_data["structures"] or limit or [],
                acting_user=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("backoffice:billing_run", org_slug=request.organisation.slug, invoicerun_id=run.pk)
    runs = selectors.runs_for_staff(request.membership)
    return render(
        request,
        "backoffice/billing/run_list.html",
        {"form": form, "runs": runs, "nav": "runs"},
        status=400 if form.errors else 200,
    )


@staff_required(BILLING)
def run_detail(request, invoicerun_id: int):
    run = selectors.get_run_for_staff(request.membership, invoicerun_id)
    previews = services.preview_run(run) if run.status == RunStatus.PREVIEW else []
    return render(
        request,
        "backoffice/billing/run_detail.html",
        {
            "run": run,
            "previews": previews,
            "preview_total": sum((p.total for p in previews), Decimal(0)),
            # The preview prices the first 200 families with bookings (services.preview_run).
            "preview_truncated": run.status == RunStatus.PREVIEW and run.family_count > 200,
            "invoices": run.invoices.order_by("sequence")[:100],
            "nav": "runs",
        },
    )


@staff_required(BILLING)
@require_POST
def run_issue(request, invoicerun_id: int):
    """Émettre (or resume): hand the run to the worker and issue a first batch at once, so
    a small run is done in this request and a big one shows its progress."""
    run = selectors.get_run_for_staff(request.membership, invoicerun_id)
    try:
        services.start_run(run=run, acting_user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        run = services.process_run(run_id=run.pk, batch_size=200, max_batches=2)
        if run.status == RunStatus.DONE:
            messages.success(request, _("Les factures sont émises et envoyées aux familles."))
        else:
            messages.info(request, _("Émission en cours : la page indique l'avancement."))
    return redirect("backoffice:billing_run", org_slug=request.organisation.slug, invoicerun_id=run.pk)


# --- Payments desk ------------------------------------------------------------------


@staff_required(BILLING)
def payment_list(request):
    filterset = selectors.payment_list_for_staff(request.membership, request.GET)
    payments = filterset.qs
    if request.GET.get("format") == "csv":
        return _csv(
            "reglements.csv",
            [_("Reçu"), _("Famille"), _("Reçu le"), _("Mode"), _("Référence"), _("Montant"), _("Annulé le")],
            (
                [
                    p.receipt_number,
                    p.family.name,
                    p.received_on,
                    p.get_method_display(),
                    p.reference,
                    _money(p.amount),
                    timezone.localdate(p.voided_at) if p.voided_at else "",
                ]
                for p in payments.iterator()
            ),
        )
    page = paginate(request, payments)
    return render(
        request, "backoffice/billing/payment_list.html", {"page": page, "filterset": filterset, "nav": "payments"}
    )


@staff_required(BILLING)
def payment_new(request):
    """The "Nouveau règlement" button: find the family, then record the payment on its account (where its
    open invoices are shown for allocation)."""
    search = request.GET.get("q", "").strip()[:100]
    families = families_for_staff(request.membership, search=search, area=Area.BILLING)[:20] if search else []
    return render(
        request,
        "backoffice/billing/payment_new.html",
        {"search": search, "families": families, "nav": "payments"},
    )


@staff_required(BILLING)
def family_statement(request, family_id: int):
    """A family's financial statement: invoices, payments, balance, recording a payment (not its logins:
    those are family_login_views.family_logins)."""
    family = get_family_for_staff(request.membership, family_id, area=Area.BILLING)
    situation = selectors.family_situation(family)
    form = CheckedPaymentForm(
        request.POST or None,
        initial={"received_on": timezone.localdate(), "method": "cheque"},
        due=situation.total_due,
    )
    open_invoices = list(
        selectors.invoices_for_family(family).filter(kind="invoice", status__in=selectors.OPEN).order_by("due_date")
    )
    if request.method == "POST" and form.is_valid():
        allocations = None
        if form.cleaned_data["by_hand"]:
            allocations = {}
            for invoice in open_invoices:
                raw = request.POST.get(f"alloc_{invoice.pk}", "").strip()
                if raw:
                    share = parse_euros(raw)
                    if share is not None:
                        allocations[invoice.pk] = share
                    else:
                        form.add_error(
                            None,
                            _("Montant affecté à %(number)s illisible : écrivez par ex. 12,50.")
                            % {"number": invoice.number},
                        )
        if not form.errors:
            try:
                payment, created = payment_services.record_desk_payment(
                    token=form.cleaned_data["token"] or uuid.uuid4(),
                    family=family,
                    method=form.cleaned_data["method"],
                    amount=form.cleaned_data["amount"],
                    received_on=form.cleaned_data["received_on"],
                    reference=form.cleaned_data["reference"],
                    allocations=allocations or None,
                    acting_user=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if created:
                    messages.success(
                        request, _("Règlement enregistré (reçu %(number)s).") % {"number": payment.receipt_number}
                    )
                else:
                    messages.info(
                        request,
                        _("Ce règlement était déjà enregistré (reçu %(number)s) : il ne l'a pas été une seconde fois.")
                        % {"number": payment.receipt_number},
                    )
                return redirect("backoffice:family_statement", org_slug=request.organisation.slug, family_id=family.pk)
    return render(
        request,
        "backoffice/billing/family_statement.html",
        {
            "family": family,
            "situation": situation,
            "open_invoices": open_invoices,
            "invoices": selectors.invoices_for_family(family)[:50],
            "payments": selectors.payments_for_family(family).prefetch_related("refunds")[:50],
            "mandates": selectors.mandates_for_staff(request.membership).filter(family=family),
            "form": form,
            "nav": "balances",
        },
        status=400 if form.errors else 200,
    )


@staff_required(BILLING)
def receipt_file(request, payment_id: int):
    payment = selectors.get_payment_for_staff(request.membership, payment_id)
    response = HttpResponse(receipt_pdf(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="recu-{payment.receipt_number}.pdf"'
    return response


@staff_required(BILLING)
@require_POST
def payment_allocate(request, payment_id: int):
    payment = selectors.get_payment_for_staff(request.membership, payment_id)
    try:
        services.allocate_credit(payment=payment, acting_user=request.user)
        messages.success(request, _("Le règlement est affecté aux factures les plus anciennes."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("backoffice:family_statement", org_slug=request.organisation.slug, family_id=payment.family_id)


@staff_required(BILLING)
def balances(request):
    filterset = selectors.balance_list_for_staff(request.membership, request.GET)
    page = paginate(request, filterset.qs)
    return render(
        request, "backoffice/billing/balances.html", {"page": page, "filterset": filterset, "nav": "balances"}
    )


@staff_required(BILLING)
def unpaid(request):
    if request.method == "POST":
        # Only invoices this page lists: another family's or organisation's id is dropped.
        ids = list(
            selectors.unpaid(request.membership)
            .filter(pk__in=parse_ids(request.POST.getlist("invoice")))
            .values_list("pk", flat=True)
        )
        if not ids:
            messages.error(request, _("Cochez au moins une facture à relancer."))
        else:
            sent = services.send_reminders(organisation=request.organisation, invoice_ids=ids, acting_user=request.user)
            messages.success(
                request,
                ngettext("%(count)s famille relancée par e-mail.", "%(count)s familles relancées par e-mail.", sent)
                % {"count": sent},
            )
        return redirect("backoffice:billing_unpaid", org_slug=request.organisation.slug)
    filterset = selectors.unpaid_list_for_staff(request.membership, request.GET)
    page = paginate(request, filterset.qs, 100)
    return render(
        request,
        "backoffice/billing/unpaid.html",
        {"page": page, "filterset": filterset, "today": timezone.localdate(), "nav": "unpaid"},
    )


# --- SEPA -----------------------------------------------------------------------------


@staff_required(BILLING)
def mandate_new(request, family_id: int):
    family = get_family_for_staff(request.membership, family_id, area=Area.BILLING)
    return form_page(
        request,
        MandateForm(request.POST or None, initial={"signed_on": timezone.localdate()}),
        save=lambda form: sepa.create_mandate(family=family, acting_user=request.user, **form.cleaned_data),
        success=_("Mandat de prélèvement enregistré."),
        redirect_to=redirect("backoffice:family_statement", org_slug=request.organisation.slug, family_id=family.pk),
        template="backoffice/billing/mandate_form.html",
        context={"family": family, "nav": "sepa"},
    )


# --- Settings: rules, brackets, tariffs, online payment -----------------------------


@staff_required(BILLING)
def billing_settings(request):
    settings = services.settings_for(request.organisation)
    form = BillingSettingsForm(request.POST or None, instance=settings)
    config = payment_services.enabled_config(request.organisation)
    provider_form = ProviderForm(prefix="p", initial={"kind": config.kind if config else ""})
    if request.method == "POST" and form.is_valid():
        services.save_settings(
            settings=services.settings_for(request.organisation), fields=form.cleaned_data, acting_user=request.user
        )
        messages.success(request, _("Réglages de facturation enregistrés."))
        return redirect("backoffice:billing_settings", org_slug=request.organisation.slug)
    return render(
        request,
        "backoffice/billing/settings.html",
        {
            "form": form,
            "provider_form": provider_form,
            "config": config,
            # Plain dicts: a template would call a provider class instead of reading it.
            "providers": [
                {
                    "kind": kind,
                    "label": cls.label,
                    "options": cls.options,
                    "urls": callback_urls(
                        request.organisation, kind, base_url=f"{request.scheme}://{request.get_host()}"
                    ),
                }
                for kind, cls in offered_providers().items()
            ],
            "brackets": selectors.brackets(request.organisation),
            "bracket_form": BracketForm(),
            "nav": "billing_settings",
        },
        status=400 if form.errors else 200,
    )


@staff_required(BILLING)
@require_POST
def provider_save(request):
    form = ProviderForm(request.POST, prefix="p")
    if form.is_valid():
        kind = form.cleaned_data["kind"]
        cls = offered_providers().get(kind)
        options = {
            name: request.POST.get(f"opt_{kind}_{name}", "").strip()
            for name, _label, _required in (cls.options if cls else [])
        }
        try:
            payment_services.configure_provider(
                organisation=request.organisation, kind=kind, options=options, acting_user=request.user
            )
            messages.success(request, _("Paiement en ligne enregistré."))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Choisissez un prestataire de la liste."))
    return redirect("backoffice:billing_settings", org_slug=request.organisation.slug)


@staff_required(BILLING)
@require_POST
def bracket_add(request):
    form = BracketForm(request.POST)
    if form.is_valid():
        try:
            services.save_bracket(organisation=request.organisation, fields=form.cleaned_data, acting_user=request.user)
            messages.success(request, _("Tranche ajoutée."))
        except Exception:  # noqa: BLE001 - validation errors of the model (duplicate bound)
            messages.error(request, _("Cette tranche existe déjà (même borne)."))
    else:
        messages.error(request, _("Indiquez un libellé et une borne valides."))
    return redirect("backoffice:billing_settings", org_slug=request.organisation.slug)


@staff_required(BILLING)
def tariffs(request):
    activities = selectors.activities_to_price(request.membership)
    by_activity: dict[int, list] = {}
    for tariff in (
        selectors.tariffs_for_staff(request.membership).select_related("unit").prefetch_related("prices__bracket")
    ):
        by_activity.setdefault(tariff.activity_id, []).append(tariff)
    rows = [{"activity": a, "tariffs": by_activity.get(a.pk, [])} for a in activities]
    return render(request, "backoffice/billing/tariffs.html", {"rows": rows, "nav": "tariffs"})


def _tariff_form(request, tariff, activity):
    return TariffForm(
        request.POST or None, instance=tariff, activity=activity, brackets=selectors.brackets(request.organisation)
    )


def _save_tariff(request, form, tariff, activity):
    fields = {k: form.cleaned_data[k] for k in ("unit", "mode", "flat_price", "outside_price", "sibling_reduction")}
    try:
        return services.save_tariff(
            organisation=request.organisation,
            activity=activity,
            tariff=tariff,
            fields=fields,
            bracket_prices=form.bracket_prices(),
            acting_user=request.user,
        )
    except ValidationError as error:  # the model's rule: one tariff per unit
        raise DomainError(_("Un tarif existe déjà pour cette unité : modifiez-le."), field="unit") from error


tariff_new, tariff_edit = EditPage(
    form=_tariff_form,
    save=_save_tariff,
    success=gettext_lazy("Tarif enregistré."),
    back=("backoffice:billing_tariffs", gettext_lazy("Tarifs")),
    template="backoffice/billing/tariff_form.html",
    name="tariff",
    nav="tariffs",
).views(
    staff_required(BILLING),
    for_staff=selectors.get_tariff_for_staff,
    parent=lambda request, activity_id: {"activity": selectors.get_activity_to_price(request.membership, activity_id)},
    parent_of=lambda tariff: {"activity": tariff.activity},
)
