"""Back office, "Hélios (PES)": the budgets' settings, and per issued run the preview of its
rôle (articles, total, SEPA debits, blocking problems), its generation, download and
cancellation. Finance role and administrators (manage_billing)."""

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ribambelle.billing.selectors import get_run_for_staff
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formpage import EditPage
from ribambelle.helios import selectors, services
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm

from .helios_forms import HeliosSettingsForm, PesCancelForm, PesGenerateForm

BILLING = Perm.MANAGE_BILLING


@staff_required(BILLING)
def settings_list(request):
    return render(
        request,
        "backoffice/helios/settings_list.html",
        {"budgets": selectors.settings_for_organisation(request.organisation), "nav": "helios"},
    )


def _settings_form(request, instance):
    activities = selectors.activities_for_codes(request.organisation)
    codes = selectors.product_codes(instance) if instance else {}
    return HeliosSettingsForm(request.POST or None, instance=instance, activities=activities, codes=codes)


settings_new, settings_edit = EditPage(
    form=_settings_form,
    save=lambda request, form, instance: services.save_helios_settings(
        organisation=request.organisation,
        instance=instance,
        values=form.values(),
        codes=form.codes(),
        acting_user=request.user,
    ),
    success=gettext_lazy("Réglages Hélios enregistrés."),
    back=("backoffice:helios_settings", gettext_lazy("Hélios (PES V2)")),
    new_title=gettext_lazy("Nouveau budget"),
    template="backoffice/helios/settings_form.html",
    nav="helios",
).views(staff_required(BILLING), for_staff=selectors.get_heliossettings_for_staff)


@staff_required(BILLING)
def pes_preview(request, invoicerun_id: int):
    run = get_run_for_staff(request.membership, invoicerun_id)
    budgets = selectors.settings_for_organisation(request.organisation)
    form = PesGenerateForm(request.GET or None, choices=budgets)
    chosen = form.cleaned_data["settings"] if form.is_bound and form.is_valid() else budgets.first()
    plan = selectors.export_plan(run, chosen, issued_on=timezone.localdate()) if chosen else None
    if chosen and not form.is_bound:
        form = PesGenerateForm(initial={"settings": chosen.pk}, choices=budgets)
    return render(
        request,
        "backoffice/helios/pes_preview.html",
        {
            "run": run,
            "form": form,
            "chosen": chosen,
            "plan": plan,
            "rolls": selectors.rolls_for_run(run),
            "cancel_form": PesCancelForm(),
            "nav": "runs",
        },
    )


@staff_required(BILLING)
@require_POST
def pes_generate(request, invoicerun_id: int):
    run = get_run_for_staff(request.membership, invoicerun_id)
    form = PesGenerateForm(request.POST, choices=selectors.settings_for_organisation(request.organisation))
    if not form.is_valid():
        messages.error(request, _("Choisissez un budget de la collectivité."))
    else:
        try:
            roll = services.export_pes(run=run, settings=form.cleaned_data["settings"], acting_user=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Rôle n° %(number)s généré : %(count)s articles. Téléchargez le fichier pour le transmettre.")
                % {"number": roll.number, "count": roll.piece_count},
            )
    return redirect("backoffice:helios_pes", org_slug=request.organisation.slug, invoicerun_id=run.pk)


@staff_required(BILLING)
def pes_download(request, pesroll_id: int):
    roll = selectors.get_pesroll_for_staff(request.membership, pesroll_id)
    return FileResponse(
        roll.file.open("rb"), as_attachment=True, filename=roll.file_name, content_type="application/xml"
    )


@staff_required(BILLING)
@require_POST
def pes_cancel(request, pesroll_id: int):
    roll = selectors.get_pesroll_for_staff(request.membership, pesroll_id)
    form = PesCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez le motif de l'annulation."))
    else:
        try:
            services.cancel_pes_roll(roll=roll, reason=form.cleaned_data["reason"], acting_user=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Rôle annulé : la facturation peut être transmise de nouveau."))
    return redirect("backoffice:helios_pes", org_slug=request.organisation.slug, invoicerun_id=roll.run_id)
