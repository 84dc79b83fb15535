"""The staff interface (espace gestion): thin views over tenancy and accounts services."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts import services as account_services
from ribambelle.bookings import selectors as booking_selectors
from ribambelle.communication import selectors as communication_selectors
from ribambelle.core import selectors as audit
from ribambelle.core.counting import count_each
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formpage import form_page
from ribambelle.core.pagination import paginate
from ribambelle.core.qr import qr_svg
from ribambelle.core.wording import of
from ribambelle.outbox.models import EmailStatus
from ribambelle.stats import figures as stats_figures
from ribambelle.tenancy import selectors, services
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm, has_permission

from .forms import AuditFilterForm, OrganisationForm, SectorForm, StaffEditForm, StaffInviteForm, StructureForm


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


def _structure_form_view(request, structure=None):
    form = StructureForm(request.POST or None, instance=structure, organisation=request.organisation)

    return form_page(
        request,
        form,
        save=lambda form: services.save_structure(
            organisation=request.organisation,
            structure=structure,
            fields=form.domain_fields(),
            acting_user=request.user,
        ),
        refresh=structure,
        success=lambda saved: _("La structure « %(name)s » est enregistrée.") % {"name": saved.name},
        redirect_to=_org_redirect(request, "backoffice:structure_list"),
        template="backoffice/structure_form.html",
        context={"structure": structure, "nav": "structures"},
    )


@staff_required(Perm.MANAGE_STRUCTURES)
def structure_create(request):
    return _structure_form_view(request)


@staff_required(Perm.MANAGE_STRUCTURES)
def structure_edit(request, structure_id: int):
    return _structure_form_view(request, selectors.get_structure_for_staff(request.membership, structure_id))


# --- Sectors ----------------------------------------------------------------------------
@staff_required()
def sector_list(request):
    sectors = selectors.sectors_for_organisation(request.organisation).prefetch_related("structures")
    return render(request, "backoffice/sector_list.html", {"sectors": sectors, "nav": "sectors"})


def _sector_form_view(request, sector=None):
    form = SectorForm(request.POST or None, instance=sector)

    return form_page(
        request,
        form,
        save=lambda form: services.save_sector(
            organisation=request.organisation, sector=sector, name=form.cleaned_data["name"], acting_user=request.user
        ),
        refresh=sector,
        success=lambda saved: _("Le secteur « %(name)s » est enregistré.") % {"name": saved.name},
        redirect_to=_org_redirect(request, "backoffice:sector_list"),
        template="backoffice/sector_form.html",
        context={"sector": sector, "nav": "sectors"},
    )


@staff_required(Perm.MANAGE_STRUCTURES)
def sector_create(request):
    return _sector_form_view(request)


@staff_required(Perm.MANAGE_STRUCTURES)
def sector_edit(request, sector_id: int):
    return _sector_form_view(request, selectors.get_sector_for_staff(request.membership, sector_id))


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
    status = request.GET.get("statut", "")
    page = paginate(request, communication_selectors.outbox_list_for_staff(request.membership, request.GET).qs)
    return render(
        request,
        "backoffice/outbox.html",
        {"page": page, "status": status, "nav": "outbox", "statuses": EmailStatus.choices},
    )


# --- Audit trail ------------------------------------------------------------------------------
@staff_required(Perm.VIEW_AUDIT)
def audit_log(request):
    """Who changed what, when (and who opened health information): newest first, filterable."""
    actions, object_types = audit.filter_choices(request.organisation)
    form = AuditFilterForm(
        request.GET or None, organisation=request.organisation, actions=actions, object_types=object_types
    )
    filters = audit.AuditFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = audit.AuditFilters(
            actor_id=data["actor"],
            action=data["action"],
            object_type=data["object_type"],
            since=data["since"],
            until=data["until"],
            text=data["text"].strip(),
        )
    page = paginate(request, audit.audit_entries(request.organisation, filters))
    rows = [
        {
            "entry": entry,
            "action": audit.action_label(entry.action),
            "object_type": audit.object_type_label(entry.object_type),
            "changes": changes,
        }
        for entry, changes in zip(page, audit.describe_entries(page), strict=True)
    ]
    return render(request, "backoffice/audit_log.html", {"form": form, "page": page, "rows": rows, "nav": "audit"})
