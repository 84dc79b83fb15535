"""Family logins seen by staff: who is invited, who has activated; the family's history."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ribambelle.accounts.family_accounts import invite_adults
from ribambelle.accounts.selectors import activity_for_family, families_with_accounts
from ribambelle.core.pagination import paginate
from ribambelle.core.params import parse_ids
from ribambelle.families.selectors import get_family_for_staff, person_ids_for_staff
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm

STATUSES = [
    ("", gettext_lazy("Toutes")),
    ("none", gettext_lazy("Sans compte")),
    ("pending", gettext_lazy("Invitation en attente")),
    ("active", gettext_lazy("Compte activé")),
]


@staff_required(Perm.VIEW_FAMILIES)
def family_accounts(request):
    if request.method == "POST":
        return _invite(request)
    search = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("statut", "")
    families = families_with_accounts(request.membership, search=search, status=status)
    page = paginate(request, families)
    return render(
        request,
        "backoffice/family_accounts.html",
        {"page": page, "q": search, "status": status, "statuses": STATUSES, "nav": "family_accounts"},
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
