"""The staff interface (espace gestion): thin views over tenancy and accounts services."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ribambelle.accounts import services as account_services
from ribambelle.bookings import selectors as booking_selectors
from ribambelle.communication import selectors as communication_selectors
from ribambelle.core import selectors as audit
from ribambelle.core.counting import count_each
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formpage import EditPage, form_page
from ribambelle.core.pagination import paginate
from ribambelle.core.qr import qr_svg
from ribambelle.core.wording import of
from ribambelle.stats import figures as stats_figures
from ribambelle.tenancy import selectors, services
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm, has_permission

from .forms import OrganisationForm, SectorForm, StaffEditForm, StaffInviteForm, StructureForm


def _org_redirect(request, name: str, **kwargs):
    return redirect(name, org_slug=request.organisation.slug, **kwargs)


@staff_required()
def dashboard(request):
    """The day at a glance (children expected, present, absent per group, with the roll call one tap
    away) and what is filling up; the queues and their counts are in the side menu."""
    organisation = request.organisation
    today = timezone.localdate()
    context = {
        **_team_counts(request.membership),
        "portal_url": request.build_absolute_uri(reverse("portail:home", kwargs={"org_slug": organisation.slug})),
        "nav": "dashboard",
        "today": today,
    }
    if has_permission(request.membership, Perm.MARK_ATTENDANCE):
        context["activities_today"] = booking_selectors.today_for_staff(request.membership, today)
        context["filling_up"] = list(booking_selectors.filling_up(request.membership, today))
    if has_permission(request.membership, Perm.VIEW_STATISTICS):
        context["trends"] = stats_figures.trend_figures(request.membership, today=today)
    return render(request, "backoffice/dashboard.html", context)


def _team_counts(membership) -> dict[str, int]:
    counts = count_each(
        {
            "structures": selectors.structures_for_staff(membership),
            "staff": selectors.staff_for_organisation(membership.organisation),
        },
    )
    return {"structures_count": counts["structures"], "staff_count": counts["staff"]}


@staff_required(Perm.MANAGE_ORGANISATION)
def organisation_settings(request):
    organisation = request.organisation
    form = OrganisationForm(request.POST or None, request.FILES or None, instance=organisation)

    def save(form):
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if fields["logo"] is False:  # "Effacer" ticked
            fields["logo"] = None
        elif fields["logo"] is None:
            fields.pop("logo")
        return services.update_organisation(organisation=organisation, fields=fields, acting_user=request.user)

    return form_page(
        request,
        form,
        save=save,
        success=_("Les réglages de l'organisation sont enregistrés."),
        redirect_to=_org_redirect(request, "backoffice:organisation"),
        refresh=organisation,
        template="backoffice/organisation_form.html",
        context={"nav": "organisation"},
    )


@staff_required()
def qr_code(request):
    portal_url = request.build_absolute_uri(reverse("portail:home", kwargs={"org_slug": request.organisation.slug}))
    return render(
        request, "backoffice/qr_code.html", {"portal_url": portal_url, "qr_svg": qr_svg(portal_url), "nav": "qr"}
    )


# --- Structures -----------------------------------------------------------------------
@staff_required()
def structure_list(request):
    structures = selectors.structures_for_staff(request.membership)
    return render(request, "backoffice/structure_list.html", {"structures": structures, "nav": "structures"})


def _structure_form(request, structure):
    return StructureForm(request.POST or None, instance=structure, organisation=request.organisation)


structure_create, structure_edit = EditPage(
    form=_structure_form,
    save=lambda request, form, structure: services.save_structure(
        organisation=request.organisation, structure=structure, fields=form.domain_fields(), acting_user=request.user
    ),
    success=gettext_lazy("La structure « %(name)s » est enregistrée."),
    back=("backoffice:structure_list", gettext_lazy("Structures")),
    new_title=gettext_lazy("Nouvelle structure"),
    nav="structures",
).views(staff_required(Perm.MANAGE_STRUCTURES), for_staff=selectors.get_structure_for_staff)


# --- Sectors ----------------------------------------------------------------------------
@staff_required()
def sector_list(request):
    sectors = selectors.sectors_for_organisation(request.organisation).prefetch_related("structures")
    return render(request, "backoffice/sector_list.html", {"sectors": sectors, "nav": "sectors"})


def _sector_form(request, sector):
    return SectorForm(request.POST or None, instance=sector)


sector_create, sector_edit = EditPage(
    form=_sector_form,
    save=lambda request, form, sector: services.save_sector(
        organisation=request.organisation, sector=sector, name=form.cleaned_data["name"], acting_user=request.user
    ),
    success=gettext_lazy("Le secteur « %(name)s » est enregistré."),
    back=("backoffice:sector_list", gettext_lazy("Secteurs")),
    new_title=gettext_lazy("Nouveau secteur"),
    nav="sectors",
).views(staff_required(Perm.MANAGE_STRUCTURES), for_staff=selectors.get_sector_for_staff)


# --- Staff --------------------------------------------------------------------------------
@staff_required(Perm.MANAGE_STAFF)
def staff_list(request):
    members = selectors.staff_for_organisation(request.organisation)
    return render(request, "backoffice/staff_list.html", {"members": members, "nav": "staff"})


@staff_required(Perm.MANAGE_STAFF)
def staff_invite(request):
    return form_page(
        request,
        StaffInviteForm(request.POST or None, organisation=request.organisation),
        save=lambda form: services.invite_staff_member(
            organisation=request.organisation, acting_user=request.user, **form.cleaned_data
        ),
        success=lambda membership: _("Invitation envoyée à %(email)s.") % {"email": membership.user.email},
        redirect_to=_org_redirect(request, "backoffice:staff_list"),
        template="backoffice/staff_invite.html",
        context={"nav": "staff"},
    )


@staff_required(Perm.MANAGE_STAFF)
def staff_edit(request, membership_id: int):
    membership = selectors.get_membership_for_staff(request.membership, membership_id)
    initial = {
        "role": membership.role,
        "structures": list(membership.structures.all()),
        "is_active": membership.user.is_active,
    }
    form = StaffEditForm(request.POST or None, initial=initial, organisation=request.organisation)
    if request.method == "POST" and "resend" in request.POST:
        try:
            account_services.send_invitation(user=membership.user, acting_user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Nouvelle invitation envoyée à %(email)s.") % {"email": membership.user.email})
        return _org_redirect(request, "backoffice:staff_edit", membership_id=membership.pk)
    return form_page(
        request,
        form,
        save=lambda form: services.update_membership(
            membership=membership, acting_user=request.user, **form.cleaned_data
        ),
        success=_("Les droits %(of_user)s sont enregistrés.") % {"of_user": of(membership.user)},
        redirect_to=_org_redirect(request, "backoffice:staff_list"),
        template="backoffice/staff_edit.html",
        context={"member": membership, "nav": "staff"},
    )


# --- Outbox ---------------------------------------------------------------------------------
@staff_required(Perm.VIEW_OUTBOX)
def outbox(request):
    filterset = communication_selectors.outbox_list_for_staff(request.membership, request.GET)
    page = paginate(request, filterset.qs)
    return render(request, "backoffice/outbox.html", {"page": page, "filterset": filterset, "nav": "outbox"})


# --- Audit trail ------------------------------------------------------------------------------
@staff_required(Perm.VIEW_AUDIT)
def audit_log(request):
    """Who changed what, when (and who opened health information): newest first, filterable."""
    filterset = audit.audit_list_for_staff(request.membership, request.GET)
    page = paginate(request, filterset.qs)
    rows = [
        {
            "entry": entry,
            "action": audit.action_label(entry.action),
            "object_type": audit.object_type_label(entry.object_type),
            "changes": changes,
        }
        for entry, changes in zip(page, audit.describe_entries(page), strict=True)
    ]
    return render(
        request, "backoffice/audit_log.html", {"filterset": filterset, "page": page, "rows": rows, "nav": "audit"}
    )
