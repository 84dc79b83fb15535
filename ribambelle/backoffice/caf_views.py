"""Back office, "Bilan CAF": the activity report (screen, CSV, XLSX), frozen reports and their
differences, the reporting settings, and a family's régime and dated quotients."""

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ribambelle.caf import exports, selectors, services
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formpage import form_page
from ribambelle.families.selectors import get_family_for_staff
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm, has_permission

from .caf_forms import (
    ActivityRuleForm,
    CafSettingsForm,
    FreezeForm,
    QuotientRecordForm,
    RegimeForm,
    ReportForm,
    StructureIdentifiersForm,
)

REPORT = Perm.CAF_REPORT


def _org_redirect(request, name: str, **kwargs):
    return redirect(name, org_slug=request.organisation.slug, **kwargs)


def _default_period() -> tuple[date, date]:
    """From the first of January to the end of last month (this year's figures so far)."""
    today = timezone.localdate()
    last_month_end = today.replace(day=1) - timezone.timedelta(days=1)
    start = date(last_month_end.year, 1, 1)
    return start, last_month_end


def _structures(request) -> tuple[list, bool]:
    return list(selectors.structures_for_caf(request.membership).order_by("name")), selectors.may_report_on_all(
        request.membership
    )


def _default_data(structures, allow_all) -> dict:
    start, end = _default_period()
    chosen = "" if allow_all or not structures else str(structures[0].pk)
    return {"du": start.isoformat(), "au": end.isoformat(), "structure": chosen}


def _chosen(form, structures):
    chosen = form.cleaned_data.get("structure")
    return next((s for s in structures if str(s.pk) == chosen), None)


@staff_required(REPORT)
def report(request):
    structures, allow_all = _structures(request)
    given = "du" in request.GET
    # The first visit shows this year's figures so far at once.
    data = request.GET.copy() if given else _default_data(structures, allow_all)
    if not allow_all and structures and not data.get("structure"):
        data["structure"] = str(structures[0].pk)  # a member limited to structures reports on one of hers
    form = ReportForm(data, structures=structures, allow_all=allow_all)
    result = None
    if form.is_valid():
        structure = _chosen(form, structures)
        result = selectors.build_report(
            request.organisation, start=form.cleaned_data["du"], end=form.cleaned_data["au"], structure=structure
        )
    return render(
        request,
        "backoffice/caf/report.html",
        {
            "form": form,
            "report": result,
            "structure": _chosen(form, structures) if result else None,
            "query": urlencode({k: data[k] for k in ("du", "au", "structure") if k in data}),
            "freeze_form": FreezeForm(data, structures=structures, allow_all=allow_all) if result else None,
            "snapshots": selectors.snapshots_for_staff(request.membership)[:20],
            "can_settings": has_permission(request.membership, Perm.MANAGE_ACTIVITIES),
            "nav": "caf",
        },
        status=400 if form.errors else 200,
    )


def _export(request, writer):
    """The report's file: the same period, structure and figures as the screen."""
    structures, allow_all = _structures(request)
    data = request.GET.copy()
    if not allow_all and structures and not data.get("structure"):
        data["structure"] = str(structures[0].pk)
    form = ReportForm(data, structures=structures, allow_all=allow_all)
    if not form.is_valid():
        return render(
            request,
            "backoffice/caf/report.html",
            {"form": form, "report": None, "snapshots": selectors.snapshots_for_staff(request.membership)[:20]},
            status=400,
        )
    result = selectors.build_report(
        request.organisation,
        start=form.cleaned_data["du"],
        end=form.cleaned_data["au"],
        structure=_chosen(form, structures),
    )
    return writer(result)


@staff_required(REPORT)
def export_csv(request):
    return _export(request, exports.report_csv)


@staff_required(REPORT)
def export_xlsx(request):
    return _export(request, exports.report_xlsx)


@require_POST
@staff_required(REPORT)
def freeze(request):
    structures, allow_all = _structures(request)
    form = FreezeForm(request.POST, structures=structures, allow_all=allow_all)
    if form.is_valid():
        structure = _chosen(form, structures)
        try:
            snapshot = services.freeze_report(
                organisation=request.organisation,
                structure=structure,
                start=form.cleaned_data["du"],
                end=form.cleaned_data["au"],
                label=form.cleaned_data["label"],
                acting_user=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Le bilan est figé : ses chiffres ne changeront plus."))
            return _org_redirect(request, "backoffice:caf_snapshot", cafsnapshot_id=snapshot.pk)
    return render(
        request,
        "backoffice/caf/freeze_refused.html",
        {"form": form, "nav": "caf"},
        status=400,
    )


@staff_required(REPORT)
def snapshot(request, cafsnapshot_id: int):
    frozen = selectors.get_snapshot_for_staff(request.membership, cafsnapshot_id)
    current = selectors.build_report(
        request.organisation, start=frozen.period_start, end=frozen.period_end, structure=frozen.structure
    )
    return render(
        request,
        "backoffice/caf/snapshot.html",
        {
            "snapshot": frozen,
            "rows": selectors.frozen_rows(frozen),
            "differences": selectors.differences(frozen, current),
            "nav": "caf",
        },
    )


# --- Settings ------------------------------------------------------------------------------


@staff_required(Perm.MANAGE_ACTIVITIES)
def settings(request):
    current = selectors.caf_settings(request.organisation)
    can_org = has_permission(request.membership, Perm.MANAGE_ORGANISATION)
    form = CafSettingsForm(request.POST or None, initial={"age_bounds": current.age_bounds})
    context = {
        "structures": selectors.identifiers_overview(request.membership),
        "activities": selectors.rules_overview(request.membership),
        "can_org": can_org,
        "nav": "caf_settings",
    }
    if request.method == "POST" and not can_org:
        return render(request, "backoffice/caf/settings.html", {**context, "form": form}, status=403)
    return form_page(
        request,
        form,
        save=lambda form: services.save_caf_settings(
            organisation=request.organisation, age_bounds=form.cleaned_data["age_bounds"], acting_user=request.user
        ),
        success=_("Les tranches d'âge sont enregistrées."),
        redirect_to=_org_redirect(request, "backoffice:caf_settings"),
        template="backoffice/caf/settings.html",
        context=context,
    )


@staff_required(Perm.MANAGE_ACTIVITIES)
def structure_identifiers(request, structure_id: int):
    structure = selectors.get_structure_for_caf(request.membership, structure_id)
    form = StructureIdentifiersForm(request.POST or None, instance=selectors.identifiers_for(structure))
    return form_page(
        request,
        form,
        save=lambda form: services.save_structure_identifiers(
            structure=structure, values=form.cleaned_data, acting_user=request.user
        ),
        success=_("Les identifiants CAF de la structure sont enregistrés."),
        redirect_to=_org_redirect(request, "backoffice:caf_settings"),
        template="backoffice/caf/form.html",
        context={"title": _("Identifiants CAF – %(name)s") % {"name": structure.name}, "nav": "caf_settings"},
        refresh=form.instance if form.instance.pk else None,
    )


@staff_required(Perm.MANAGE_ACTIVITIES)
def activity_rule(request, activity_id: int):
    activity = selectors.get_activity_for_caf(request.membership, activity_id)
    form = ActivityRuleForm(
        request.POST or None, instance=selectors.rule_for(activity), units=selectors.unit_hours_for(activity)
    )
    return form_page(
        request,
        form,
        save=lambda form: services.save_activity_rule(
            activity=activity, values=form.cleaned_data, unit_hours=form.unit_hours(), acting_user=request.user
        ),
        success=_("Les règles de comptage sont enregistrées."),
        redirect_to=_org_redirect(request, "backoffice:caf_settings"),
        template="backoffice/caf/form.html",
        context={"title": _("Comptage CAF – %(name)s") % {"name": activity.name}, "nav": "caf_settings"},
        refresh=form.instance if form.instance.pk else None,
    )


# --- The family's régime and quotients ------------------------------------------------------


@staff_required(Perm.VIEW_FAMILIES)
def family_quotients(request, family_id: int):
    family = get_family_for_staff(request.membership, family_id)
    can_manage = has_permission(request.membership, Perm.MANAGE_FAMILIES)
    form = QuotientRecordForm(request.POST or None, initial={"source": "caf"})
    context = {
        "family": family,
        "records": selectors.quotient_history(family),
        "can_manage": can_manage,
        "regime_form": RegimeForm(initial={"regime": family.regime}),
        "nav": "families",
    }
    if request.method == "POST" and not can_manage:
        return render(request, "backoffice/caf/family_quotients.html", {**context, "form": form}, status=403)
    return form_page(
        request,
        form,
        save=lambda form: services.record_family_quotient(
            family=family,
            value=form.cleaned_data["value"],
            source=form.cleaned_data["source"],
            reference_month=form.cleaned_data["reference_month"],
            acting_user=request.user,
        ),
        success=_("Le quotient familial est enregistré."),
        redirect_to=_org_redirect(request, "backoffice:family_quotients", family_id=family.pk),
        template="backoffice/caf/family_quotients.html",
        context=context,
    )


@require_POST
@staff_required(Perm.MANAGE_FAMILIES)
def family_regime(request, family_id: int):
    family = get_family_for_staff(request.membership, family_id)
    form = RegimeForm(request.POST)
    if form.is_valid():
        services.set_family_regime(family=family, regime=form.cleaned_data["regime"], acting_user=request.user)
        messages.success(request, _("Le régime de la famille est enregistré."))
        return _org_redirect(request, "backoffice:family_quotients", family_id=family.pk)
    return render(
        request,
        "backoffice/caf/family_quotients.html",
        {
            "family": family,
            "records": selectors.quotient_history(family),
            "can_manage": True,
            "regime_form": form,
            "form": QuotientRecordForm(initial={"source": "caf"}),
            "nav": "families",
        },
        status=400,
    )
