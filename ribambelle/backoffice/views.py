"""The staff interface (espace gestion): thin views over tenancy and accounts services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts import services as account_services
from ribambelle.bookings import selectors as booking_selectors
from ribambelle.communication import selectors as communication_selectors
from ribambelle.communication.models import OutgoingEmail
from ribambelle.core import selectors as audit
from ribambelle.core.counting import count_each
from ribambelle.core.exceptions import DomainError
from ribambelle.core.qr import qr_svg
from ribambelle.core.versioning import EditConflict
from ribambelle.core.wording import of
from ribambelle.tenancy import selectors, services
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm, has_permission

from .forms import AuditFilterForm, OrganisationForm, SectorForm, StaffEditForm, StaffInviteForm, StructureForm


def _org_redirect(request, name: str, **kwargs):
    return redirect(name, org_slug=request.organisation.slug, **kwargs)


def apply_errors(form, error: Exception) -> None:
    """Show a service's refusal on the form, next to the field it concerns when known."""
    if isinstance(error, EditConflict) and hasattr(form, "show_conflict"):
        form.show_conflict(error)  # someone else saved meanwhile: their values shown, nothing lost
    elif isinstance(error, DomainError):
        form.add_error(error.field if error.field in form.fields else None, error.message)
    elif hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, getattr(error, "messages", [str(error)]))


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
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if fields["logo"] is False:  # "Effacer" ticked
            fields["logo"] = None
        elif fields["logo"] is None:
            fields.pop("logo")
        try:
            # ModelForm validation mutated the instance; re-read so the audit sees old -> new.
            organisation.refresh_from_db()
            services.update_organisation(organisation=organisation, fields=fields, acting_user=request.user)
        except (DomainError, ValidationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Les réglages de l'organisation sont enregistrés."))
            return _org_redirect(request, "backoffice:organisation")
    return render(
        request,
        "backoffice/organisation_form.html",
        {"form": form, "nav": "organisation"},
        status=400 if form.errors else 200,
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
    if request.method == "POST" and form.is_valid():
        if structure is not None:
            structure.refresh_from_db()
        try:
            saved = services.save_structure(
                organisation=request.organisation,
                structure=structure,
                fields=form.domain_fields(),
                acting_user=request.user,
            )
        except (DomainError, ValidationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("La structure « %(name)s » est enregistrée.") % {"name": saved.name})
            return _org_redirect(request, "backoffice:structure_list")
    return render(
        request,
        "backoffice/structure_form.html",
        {"form": form, "structure": structure, "nav": "structures"},
        status=400 if form.errors else 200,
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
    if request.method == "POST" and form.is_valid():
        if sector is not None:
            sector.refresh_from_db()
        try:
            saved = services.save_sector(
                organisation=request.organisation,
                sector=sector,
                name=form.cleaned_data["name"],
                acting_user=request.user,
            )
        except (DomainError, ValidationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Le secteur « %(name)s » est enregistré.") % {"name": saved.name})
            return _org_redirect(request, "backoffice:sector_list")
    return render(
        request,
        "backoffice/sector_form.html",
        {"form": form, "sector": sector, "nav": "sectors"},
        status=400 if form.errors else 200,
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
    form = StaffInviteForm(request.POST or None, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invite_staff_member(
                organisation=request.organisation, acting_user=request.user, **form.cleaned_data
            )
        except (DomainError, ValidationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": membership.user.email})
            return _org_redirect(request, "backoffice:staff_list")
    return render(
        request, "backoffice/staff_invite.html", {"form": form, "nav": "staff"}, status=400 if form.errors else 200
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
    if request.method == "POST" and form.is_valid():
        try:
            services.update_membership(membership=membership, acting_user=request.user, **form.cleaned_data)
        except DomainError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Les droits %(of_user)s sont enregistrés.") % {"of_user": of(membership.user)})
            return _org_redirect(request, "backoffice:staff_list")
    return render(
        request,
        "backoffice/staff_edit.html",
        {"form": form, "member": membership, "nav": "staff"},
        status=400 if form.errors else 200,
    )


# --- Outbox ---------------------------------------------------------------------------------
@staff_required(Perm.VIEW_OUTBOX)
def outbox(request):
    emails = communication_selectors.outbox_for_staff(request.membership).only(
        "created_at", "to", "subject", "status", "attempts", "sent_at", "last_error", "next_attempt_at"
    )
    status = request.GET.get("statut", "")
    if status:
        emails = emails.filter(status=status)
    page = Paginator(emails, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/outbox.html",
        {"page": page, "status": status, "nav": "outbox", "statuses": OutgoingEmail._meta.get_field("status").choices},
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
    page = Paginator(audit.audit_entries(request.organisation, filters), 50).get_page(request.GET.get("page"))
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
