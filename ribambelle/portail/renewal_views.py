"""Portal: "Réinscrire pour l'année prochaine" — one page, one confirmation, a receipt."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from ribambelle.core.exceptions import DomainError
from ribambelle.core.params import parse_id
from ribambelle.registrations.selectors import get_child_for_family
from ribambelle.renewals import selectors, services
from ribambelle.tenancy.access import family_required
from ribambelle.waitingroom.guard import room_pass_required


def _posted_choices(request) -> list[tuple[int, int, int | None]]:
    """(child id, activity id, group id or None) for each ticked box "<child>-<activity>"."""
    choices = []
    for value in request.POST.getlist("choix"):
        child_text, _sep, activity_text = str(value).partition("-")
        child_id, activity_id = parse_id(child_text), parse_id(activity_text)
        if child_id is None or activity_id is None:
            raise Http404
        group_text = request.POST.get(f"groupe-{child_id}-{activity_id}", "")
        choices.append((child_id, activity_id, parse_id(group_text) if group_text else None))
    return choices


def activities_from_choices(request, kwargs) -> dict:
    return {"activity_ids": sorted({activity_id for _child, activity_id, _group in _posted_choices(request)})}


@family_required
@room_pass_required(activities_from_choices)
def renewal(request):
    family = request.user.family
    error = None
    if request.method == "POST":
        choices = _posted_choices(request)
        # A child who is not this family's answers 404, as on every other page (nothing is written).
        for child_id in {child_id for child_id, _activity, _group in choices}:
            get_child_for_family(family, child_id)
        offer = selectors.renewal_offer(family, include_health=False)
        if any(offer.find(child_id, activity_id) is None for child_id, activity_id, _group in choices):
            raise Http404
        if not choices:
            error = _("Cochez au moins une activité à reconduire pour l'année prochaine.")
        else:
            try:
                done = services.confirm_renewal(
                    family=family, choices=choices, acting_user=request.user, request=request
                )
            except DomainError as exc:
                error = exc.message
            else:
                if done is None:
                    done = selectors.latest_renewal(family, school_year=offer.school_year)
                    messages.info(request, _("Ces réinscriptions étaient déjà enregistrées : rien n'a changé."))
                if done is not None:
                    return redirect("portail:renewal_receipt", org_slug=request.organisation.slug, renewal_id=done.pk)
                return redirect("portail:registrations", org_slug=request.organisation.slug)
    offer = selectors.renewal_offer(family, include_health=request.consents.health)
    for update in offer.to_update:
        update.url = reverse(update.url_name, kwargs={"org_slug": request.organisation.slug, **update.url_kwargs})
    return render(
        request,
        "portail/renewal/renewal.html",
        {
            "offer": offer,
            "error": error,
            "latest": selectors.latest_renewal(family, school_year=offer.school_year),
            "year_label": f"{offer.school_year.year}/{offer.school_year.year + 1}",
            "active_tab": "registrations",
        },
        status=400 if error else 200,
    )


@family_required
def renewal_receipt(request, renewal_id: int):
    renewal = selectors.get_renewal_for_family(request.user.family, renewal_id)
    return render(
        request,
        "portail/renewal/receipt.html",
        {
            "renewal": renewal,
            "items": selectors.renewed_registrations(renewal),
            "year_label": f"{renewal.school_year.year}/{renewal.school_year.year + 1}",
            "active_tab": "registrations",
        },
    )
