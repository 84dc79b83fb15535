"""Family logins seen by staff (not a family's financial statement, which is billing_views.family_statement):
who is invited, who has activated; the family's history."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ribambelle.accounts.family_accounts import invite_adults
from ribambelle.accounts.selectors import activity_for_family, family_login_list_for_staff
from ribambelle.core.pagination import paginate
from ribambelle.core.params import parse_ids
from ribambelle.families.selectors import get_family_for_staff, person_ids_for_staff
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm


@staff_required(Perm.VIEW_FAMILIES)
def family_logins(request):
    if request.method == "POST":
        return _invite(request)
    filterset = family_login_list_for_staff(request.membership, request.GET)
    page = paginate(request, filterset.qs)
    return render(
        request, "backoffice/family_logins.html", {"page": page, "filterset": filterset, "nav": "family_accounts"}
    )


def _invite(request):
    from ribambelle.tenancy.roles import has_permission

    if not has_permission(request.membership, Perm.MANAGE_FAMILIES):
        messages.error(request, _("Votre rôle ne permet pas d'envoyer des invitations."))
        return redirect("backoffice:family_accounts", org_slug=request.organisation.slug)
    ids = person_ids_for_staff(request.membership, parse_ids(request.POST.getlist("adults")))
    if not ids:
        messages.error(request, _("Cochez au moins un responsable à inviter."))
        return redirect("backoffice:family_accounts", org_slug=request.organisation.slug)
    report = invite_adults(organisation=request.organisation, person_ids=ids, acting_user=request.user)
    if report.sent:
        messages.success(
            request,
            _("%(count)s invitation(s) envoyée(s) : %(names)s.")
            % {"count": len(report.sent), "names": ", ".join(report.sent)},
        )
    if report.already_active:
        messages.info(
            request, _("Déjà activé(s), rien envoyé : %(names)s.") % {"names": ", ".join(report.already_active)}
        )
    if report.without_email:
        messages.warning(
            request,
            _("Sans adresse e-mail utilisable, rien envoyé : %(names)s.") % {"names": ", ".join(report.without_email)},
        )
    return redirect("backoffice:family_accounts", org_slug=request.organisation.slug)


@staff_required(Perm.VIEW_FAMILIES)
def family_history(request, family_id: int):
    family = get_family_for_staff(request.membership, family_id)
    return render(
        request,
        "backoffice/family_history.html",
        {"family": family, "entries": activity_for_family(family), "nav": "family_accounts"},
    )
