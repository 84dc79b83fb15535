"""Espace Famille, "Crèche": the family's contracts (read only, with the summary PDF), its
deductible absences, and the report of an absence with its certificate (checked like every
document, reviewed by staff before it is deducted)."""

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ribambelle.core.formpage import form_page
from ribambelle.core.forms import StyledForm
from ribambelle.creche import selectors, services
from ribambelle.creche.models import AbsenceReason, ContractKind
from ribambelle.creche.pdf import contract_pdf
from ribambelle.tenancy.access import family_required

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AbsenceReportForm(StyledForm):
    date = forms.DateField(label=gettext_lazy("Jour d'absence"), widget=DATE)
    reason = forms.ChoiceField(label=gettext_lazy("Motif"), choices=AbsenceReason.choices)
    proof = forms.FileField(
        label=gettext_lazy("Justificatif (certificat médical, bulletin d'hospitalisation)"),
        help_text=gettext_lazy("PDF ou photo (JPEG, PNG, HEIC)."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/*"}),
    )


@family_required
def contracts(request):
    return render(
        request,
        "portail/creche/contracts.html",
        {"contracts": selectors.contracts_for_family(request.user.family), "active_tab": "bookings"},
    )


@family_required
def contract_detail(request, contract_id: int):
    contract = selectors.get_contract_for_family(request.user.family, contract_id)
    form = AbsenceReportForm(request.POST or None, request.FILES or None)
    versions = sorted(contract.versions.all(), key=lambda v: v.valid_from, reverse=True)
    return form_page(
        request,
        form,
        save=lambda form: services.report_absence(
            contract=contract,
            day=form.cleaned_data["date"],
            reason=form.cleaned_data["reason"],
            upload=form.cleaned_data["proof"],
            acting_user=request.user,
        ),
        success=_("Absence signalée : la crèche va examiner votre justificatif."),
        redirect_to=redirect(request.path),
        template="portail/creche/contract.html",
        context={
            "contract": contract,
            "version": versions[0] if versions else None,
            "versions": versions,
            "absences": list(selectors.absences_of(contract)[:30]),
            "regular": contract.kind == ContractKind.REGULAR,
            "active_tab": "bookings",
        },
    )


@family_required
def contract_file(request, contract_id: int):
    contract = selectors.get_contract_for_family(request.user.family, contract_id)
    response = HttpResponse(contract_pdf(contract), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="contrat-{contract.pk}.pdf"'
    return response
