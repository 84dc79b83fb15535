"""Espace Famille, "Ma famille" › "Mettre à jour mon quotient familial": the consent text (what is
read, from whom, for which tariffs, for how long), then the reading from the CAF or the MSA
(API Particulier); when there is no file, or the service fails, the page says so and offers the
upload of a CAF certificate. The consent can be withdrawn: no more calls after that.

A parent who logged in with FranceConnect is read with their FranceConnect token (the session key
FC_TOKEN_KEY, set by the FranceConnect login): no identity to type."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ribambelle.apiparticulier import selectors, services
from ribambelle.apiparticulier.client import NotFound
from ribambelle.apiparticulier.forms import ConsentForm, IdentityForm
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formpage import apply_errors
from ribambelle.tenancy.access import family_required

FC_TOKEN_KEY = "franceconnect_access_token"


def _identity_form(request, adults, data=None):
    form = IdentityForm(data, prefix="id")
    chosen = adults[0] if adults else None
    email = (request.user.email or "").lower()
    chosen = next((a for a in adults if a.email and a.email.lower() == email), chosen)
    form.fields["person"] = forms.TypedChoiceField(
        label=_("Allocataire (le parent qui reçoit les prestations)"),
        choices=[(a.pk, f"{a.first_name} {a.last_name}") for a in adults],
        coerce=int,
        initial=chosen.pk if chosen else None,
    )
    form.order_fields(["person"])
    if chosen and data is None:
        form.initial = IdentityForm.initial_for(chosen)
    return form


def _page(request, *, status=200, **context):
    family = request.user.family
    adults = selectors.adults(family)
    fc_token = request.session.get(FC_TOKEN_KEY, "")
    context.setdefault("consent_form", ConsentForm())
    if not fc_token:
        context.setdefault("identity_form", _identity_form(request, adults))
    upload_type = selectors.caf_certificate_type(request.organisation)
    return render(
        request,
        "portail/family/quotient.html",
        {
            "family": family,
            "consent": selectors.active_consent(family),
            "consent_version": services.CONSENT_TEXT_VERSION,
            "france_connect": bool(fc_token),
            "upload_type": upload_type,
            "active_tab": "family",
            **context,
        },
        status=status,
    )


@family_required
def quotient(request):
    """GET: the page; POST "accord": the consent; POST "lire": the reading (with the consent only)."""
    if request.method != "POST":
        return _page(request)
    family = request.user.family
    if request.POST.get("action") == "accord":
        form = ConsentForm(request.POST)
        if not form.is_valid():
            return _page(request, status=400, consent_form=form)
        services.give_consent(family=family, acting_user=request.user)
        messages.success(
            request, _("Votre accord est enregistré. Vous pouvez maintenant lire votre quotient familial.")
        )
        return redirect("portail:qf", org_slug=request.organisation.slug)
    fc_token = request.session.get(FC_TOKEN_KEY, "")
    if selectors.active_consent(family) is None:
        return _page(
            request, status=403, error=_("Donnez d'abord votre accord pour que le service lise votre quotient.")
        )
    if not fc_token:
        adults = selectors.adults(family)
        form = _identity_form(request, adults, request.POST)
        if not form.is_valid():
            return _page(request, status=400, identity_form=form)
        person = next(a for a in adults if a.pk == form.cleaned_data["person"])
        try:
            services.save_identity(person=person, values=form.cleaned_data, acting_user=request.user)
        except DomainError as error:
            apply_errors(form, error)
            return _page(request, status=400, identity_form=form)
    try:
        answer = services.fetch_for_family(family=family, acting_user=request.user, fc_token=fc_token)
    except services.NoConsent as error:
        return _page(request, status=403, error=error.message)
    if answer.result is not None:
        family.refresh_from_db()
        return _page(request, result=answer.result, family_qf=family.family_quotient)
    if answer.incomplete:
        return _page(request, status=400, error=_("Complétez l'état civil de l'allocataire."))
    not_found = isinstance(answer.error, NotFound)
    return _page(
        request,
        not_found=not_found,
        retry=not not_found,
        error=_("Aucun dossier CAF ou MSA ne correspond à cette identité.")
        if not_found
        else _("Le service de la CAF / MSA ne répond pas pour le moment : réessayez plus tard. Rien n'a été modifié."),
    )


@require_POST
@family_required
def quotient_withdraw(request):
    services.withdraw_consent(family=request.user.family, acting_user=request.user)
    messages.success(
        request,
        _(
            "Votre accord est retiré : le service ne lira plus votre quotient. "
            "Le quotient déjà lu reste valable jusqu'à son échéance."
        ),
    )
    return redirect("portail:qf", org_slug=request.organisation.slug)
