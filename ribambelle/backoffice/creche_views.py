"""Back office, "Crèche (PSU)": the national scale (administrators), the multi-accueil's contracts
and amendments, the day sheet of arrivals and departures, deductible absences to review, and the
yearly figures for the CAF with the Filoué file."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ribambelle.core.exceptions import DomainError
from ribambelle.core.formpage import EditPage, form_page
from ribambelle.core.pagination import paginate
from ribambelle.creche import reports, selectors, services
from ribambelle.creche.pdf import contract_pdf
from ribambelle.documents.http import file_response
from ribambelle.families.selectors import children_to_register_for_staff
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm

from .creche_forms import (
    WEEKDAYS,
    AmendmentForm,
    ContractForm,
    DaySheetDateForm,
    PsuScaleForm,
    RefusalForm,
    StaffAbsenceForm,
)

ADMIN = Perm.MANAGE_ORGANISATION
CONTRACTS = Perm.MANAGE_ACTIVITIES
ATTENDANCE = Perm.MARK_ATTENDANCE


# --- Scale -------------------------------------------------------------------------------


@staff_required(ADMIN)
def scale_list(request):
    if request.method == "POST":
        added = services.seed_national_scales(organisation=request.organisation, acting_user=request.user)
        messages.success(request, _("%(n)s barème(s) national(aux) ajouté(s).") % {"n": added})
        return redirect("backoffice:creche_scales", org_slug=request.organisation.slug)
    filterset = selectors.scale_list_for_staff(request.membership, request.GET)
    return render(
        request,
        "backoffice/creche/scale_list.html",
        {"page": paginate(request, filterset.qs), "filterset": filterset, "nav": "creche_scales"},
    )


scale_create, scale_edit = EditPage(
    form=lambda request, instance: PsuScaleForm(request.POST or None, instance=instance),
    save=lambda request, form, instance: services.save_scale(
        organisation=request.organisation, instance=instance, values=form.cleaned_data, acting_user=request.user
    ),
    success=gettext_lazy("Barème enregistré."),
    back=("backoffice:creche_scales", gettext_lazy("Barèmes PSU")),
    new_title=gettext_lazy("Nouveau barème PSU"),
    nav="creche_scales",
).views(staff_required(ADMIN), for_staff=selectors.get_psuscale_for_staff)


# --- Contracts ---------------------------------------------------------------------------


@staff_required(CONTRACTS)
def contract_list(request):
    filterset = selectors.contract_list_for_staff(request.membership, request.GET)
    return render(
        request,
        "backoffice/creche/contract_list.html",
        {"page": paginate(request, filterset.qs), "filterset": filterset, "nav": "creche_contracts"},
    )


def _contract_form(request, instance):
    return ContractForm(
        request.POST or None,
        children=children_to_register_for_staff(request.membership).order_by("last_name", "first_name", "pk"),
        activities=selectors.creche_activities_for_staff(request.membership),
    )


def _create_contract(request, form, instance):
    data = form.cleaned_data
    return services.create_contract(
        family=data["child"].family,
        child=data["child"],
        activity=data["activity"],
        kind=data["kind"],
        care_type=data["care_type"],
        start_date=data["start_date"],
        end_date=data["end_date"],
        values=form.values(),
        acting_user=request.user,
        allocataire_number=data["allocataire_number"],
        filoue_consent=data["filoue_consent"],
    )


contract_create, _contract_edit = EditPage(  # contracts change by amendment only
    form=_contract_form,
    save=_create_contract,
    success=gettext_lazy("Contrat enregistré, tarif horaire calculé."),
    back=("backoffice:creche_contracts", gettext_lazy("Contrats crèche")),
    new_title=gettext_lazy("Nouveau contrat d'accueil"),
    redirect_to=lambda request, saved: redirect(
        "backoffice:creche_contract", org_slug=request.organisation.slug, contract_id=saved.pk
    ),
    nav="creche_contracts",
).views(staff_required(CONTRACTS), for_staff=selectors.get_contract_for_staff)


@staff_required(CONTRACTS)
def contract_detail(request, contract_id: int):
    contract = selectors.get_contract_for_staff(request.membership, contract_id)
    form = StaffAbsenceForm(request.POST or None)
    return form_page(
        request,
        form,
        save=lambda form: services.record_absence(
            contract=contract,
            day=form.cleaned_data["date"],
            reason=form.cleaned_data["reason"],
            acting_user=request.user,
        ),
        success=_("Absence déductible enregistrée."),
        redirect_to=redirect(request.path),
        template="backoffice/creche/contract_detail.html",
        context={
            "contract": contract,
            "versions": sorted(contract.versions.all(), key=lambda v: v.valid_from, reverse=True),
            "absences": list(selectors.absences_of(contract)[:60]),
            "weekdays": WEEKDAYS,
            "nav": "creche_contracts",
        },
    )


@staff_required(CONTRACTS)
def contract_amend(request, contract_id: int):
    contract = selectors.get_contract_for_staff(request.membership, contract_id)
    return form_page(
        request,
        AmendmentForm(request.POST or None),
        save=lambda form: services.amend_contract(
            contract=contract,
            valid_from=form.cleaned_data["valid_from"],
            values=form.values(),
            acting_user=request.user,
        ),
        success=_("Avenant enregistré : une nouvelle version du contrat."),
        redirect_to=redirect("backoffice:creche_contract", org_slug=request.organisation.slug, contract_id=contract.pk),
        template="backoffice/creche/amend.html",
        context={"contract": contract, "nav": "creche_contracts"},
    )


@staff_required(CONTRACTS)
def contract_file(request, contract_id: int):
    contract = selectors.get_contract_for_staff(request.membership, contract_id)
    response = HttpResponse(contract_pdf(contract), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="contrat-{contract.pk}.pdf"'
    return response


# --- Day sheet ---------------------------------------------------------------------------


@staff_required(ATTENDANCE)
def day_sheet(request, activity_id: int):
    activity = selectors.get_creche_activity_for_staff(request.membership, activity_id)
    form = DaySheetDateForm(request.GET or {"date": timezone.localdate().isoformat()})
    day = form.cleaned_data["date"] if form.is_valid() else timezone.localdate()
    rows = selectors.day_sheet(activity, day, request.membership)
    errors = {}
    if request.method == "POST":
        saved = 0
        for row in rows:
            arrival, departure = (
                request.POST.get(f"arrival_{row.contract.pk}", ""),
                request.POST.get(f"departure_{row.contract.pk}", ""),
            )
            if not arrival and not departure:
                continue
            try:
                services.record_day(
                    contract=row.contract,
                    day=day,
                    arrival=_time(arrival),
                    departure=_time(departure),
                    acting_user=request.user,
                )
                saved += 1
            except DomainError as error:
                errors[row.contract.pk] = error.message
        if not errors:
            messages.success(request, _("%(n)s journée(s) enregistrée(s).") % {"n": saved})
            return redirect(f"{request.path}?date={day.isoformat()}")
        rows = selectors.day_sheet(activity, day, request.membership)
    for row in rows:
        row.error = errors.get(row.contract.pk, "")
    return render(
        request,
        "backoffice/creche/day_sheet.html",
        {"activity": activity, "day": day, "rows": rows, "form": form, "nav": "creche_contracts"},
        status=400 if errors else 200,
    )


def _time(text: str):
    from ribambelle.creche.pricing import parse_time

    try:
        return parse_time(text.strip()[:5])
    except ValueError:
        raise DomainError(_("Heure illisible : écrivez-la comme 08:30.")) from None


# --- Absences ----------------------------------------------------------------------------


@staff_required(CONTRACTS)
def absence_queue(request):
    filterset = selectors.absence_list_for_staff(request.membership, request.GET)
    return render(
        request,
        "backoffice/creche/absences.html",
        {"page": paginate(request, filterset.qs), "filterset": filterset, "nav": "creche_absences"},
    )


@require_POST
@staff_required(CONTRACTS)
def absence_decide(request, deductibleabsence_id: int):
    absence = selectors.get_absence_for_staff(request.membership, deductibleabsence_id)
    form = RefusalForm(request.POST)
    form.is_valid()
    try:
        services.decide_absence(
            absence=absence,
            accept=request.POST.get("decision") == "accept",
            reason=form.cleaned_data.get("refusal_reason", ""),
            acting_user=request.user,
        )
        messages.success(request, _("Décision enregistrée."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("backoffice:creche_absences", org_slug=request.organisation.slug)


@staff_required(CONTRACTS)
def absence_proof(request, deductibleabsence_id: int):
    absence = selectors.get_absence_for_staff(request.membership, deductibleabsence_id)
    if not absence.proof:
        raise Http404
    extension = "pdf" if absence.proof_type == "application/pdf" else absence.proof.name.rsplit(".", 1)[-1]
    return file_response(
        absence.proof,
        content_type=absence.proof_type,
        filename_stem=f"justificatif-{absence.date}",
        extension=extension,
    )


# --- CAF figures -------------------------------------------------------------------------


def _year(request) -> int:
    try:
        year = int(request.GET.get("annee", ""))
    except ValueError:
        year = timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@staff_required(Perm.CAF_REPORT)
def figures(request):
    year = _year(request)
    activities = list(selectors.creche_activities_for_staff(request.membership))
    structure_ids = sorted({a.structure_id for a in activities})
    return render(
        request,
        "backoffice/creche/figures.html",
        {
            "year": year,
            "figures": reports.yearly_figures(request.organisation, year=year, structure_ids=structure_ids),
            "structures": sorted({a.structure for a in activities}, key=lambda s: s.name),
            "nav": "creche_figures",
        },
    )


@staff_required(Perm.CAF_REPORT)
def filoue(request, structure_id: int):
    year = _year(request)
    structure = selectors.get_structure_for_staff(request.membership, structure_id)
    try:
        rows = reports.filoue_rows(request.organisation, year=year, structure=structure)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(
            f"{reverse('backoffice:creche_figures', kwargs={'org_slug': request.organisation.slug})}?annee={year}"
        )
    response = HttpResponse(reports.filoue_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="filoue-{year}-{structure_id}.csv"'
    return response
