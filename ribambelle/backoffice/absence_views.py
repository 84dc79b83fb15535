"""Back office: the reported absences (list, justify, certificate), the absence rule, and waiving
one charged late cancellation or absence on an invoice. Thin views over ribambelle.absences."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ribambelle.absences import selectors, services
from ribambelle.absences.forms import RuleForm, WaiveForm
from ribambelle.billing.services import settings_for as billing_settings_for
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formats import format_euros
from ribambelle.core.formpage import form_page
from ribambelle.core.pagination import paginate
from ribambelle.documents.http import file_response
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm


@staff_required(Perm.MARK_ATTENDANCE)
def reports(request):
    """Absences signalées: the reported absences of the member's structures, by day."""
    filterset = selectors.reports_list_for_staff(request.membership, request.GET)
    page = paginate(request, filterset.qs)
    return render(
        request,
        "backoffice/absences/reports.html",
        {"page": page, "filterset": filterset, "rule": selectors.rule_for(request.organisation), "nav": "absences"},
    )


@require_POST
@staff_required(Perm.MARK_ATTENDANCE)
def justify(request, absencereport_id: int):
    report = selectors.get_report_for_staff(request.membership, absencereport_id)
    try:
        services.mark_justified(report=report, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s : absence du %(date)s marquée justifiée.")
            % {"name": report.booking.child.first_name, "date": f"{report.booking.date:%d/%m/%Y}"},
        )
    back = request.POST.get("next", "")
    if back.startswith(f"/{request.organisation.slug}/gestion/"):
        return redirect(back)
    return redirect("backoffice:absences", org_slug=request.organisation.slug)


@staff_required(Perm.MARK_ATTENDANCE)
def certificate_file(request, absencereport_id: int):
    report = selectors.get_report_for_staff(request.membership, absencereport_id)
    return file_response(
        report.certificate,
        content_type=report.certificate_content_type,
        filename_stem=f"certificat-{report.booking.child.last_name}-{report.booking.date:%Y-%m-%d}",
        extension=report.certificate_extension,
        inline=True,
    )


@staff_required(Perm.MANAGE_BILLING)
def rule_settings(request):
    rule = selectors.rule_for(request.organisation)
    billing = billing_settings_for(request.organisation)
    form = RuleForm(
        request.POST or None,
        instance=rule,
        initial={"charge_late_cancellations": billing.charge_late_cancellations},
    )
    return form_page(
        request,
        form,
        save=lambda form: services.save_rule(
            organisation=request.organisation,
            fields={name: form.cleaned_data[name] for name in RuleForm.Meta.fields},
            charge_late_cancellations=form.cleaned_data["charge_late_cancellations"],
            acting_user=request.user,
        ),
        success=_("La règle des absences est enregistrée."),
        redirect_to=redirect("backoffice:absence_rule", org_slug=request.organisation.slug),
        template="backoffice/absences/rule.html",
        context={"nav": "absence_rule"},
    )


@staff_required(Perm.MANAGE_BILLING)
def waive(request, invoiceline_id: int):
    """Remise: a partial credit note for one charged late cancellation or absence."""
    line = selectors.get_line_for_staff(request.membership, invoiceline_id)
    invoice = line.invoice
    reason = (
        _("Remise : %(label)s du %(date)s") % {"label": line.label, "date": f"{line.date:%d/%m/%Y}"}
        if line.date
        else _("Remise : %(label)s") % {"label": line.label}
    )
    form = WaiveForm(request.POST or None, initial={"reason": reason})
    return form_page(
        request,
        form,
        save=lambda form: services.waive_line(line=line, reason=form.cleaned_data["reason"], acting_user=request.user),
        success=lambda credit: (
            _("Avoir %(number)s émis (%(amount)s).") % {"number": credit.number, "amount": format_euros(-credit.total)}
        ),
        redirect_to=redirect("backoffice:billing_invoice", org_slug=request.organisation.slug, invoice_id=invoice.pk),
        template="backoffice/absences/waive.html",
        context={"invoice": invoice, "line": line, "nav": "invoices"},
    )
