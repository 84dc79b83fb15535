"""FranceConnect settings of the organisation (administrators): client id and secret, provider
address, the redirect URIs to declare on DataPass, and "Tester la connexion"."""

import logging

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ribambelle.core.formpage import form_page
from ribambelle.franceconnect import client, selectors, services
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm

from .franceconnect_forms import FranceConnectSettingsForm

logger = logging.getLogger(__name__)


def _uris(request) -> dict:
    slug = request.organisation.slug
    return {
        "callback": request.build_absolute_uri(reverse("portail:franceconnect_callback", kwargs={"org_slug": slug})),
        "logout": request.build_absolute_uri(reverse("portail:franceconnect_logout_done", kwargs={"org_slug": slug})),
    }


@staff_required(Perm.MANAGE_ORGANISATION)
def settings_page(request):
    current = selectors.settings_for(request.organisation)
    initial = {
        "enabled": current.enabled,
        "base_url": current.base_url,
        "client_id": current.client_id,
        "request_qf_scopes": current.request_qf_scopes,
    }
    form = FranceConnectSettingsForm(request.POST or None, initial=initial)
    return form_page(
        request,
        form,
        save=lambda form: services.save_settings(
            organisation=request.organisation,
            values=form.cleaned_data,
            client_secret=form.cleaned_data["client_secret"],
            acting_user=request.user,
        ),
        success=_("Les réglages FranceConnect sont enregistrés."),
        redirect_to=redirect("backoffice:franceconnect_settings", org_slug=request.organisation.slug),
        template="backoffice/franceconnect/settings.html",
        context={"current": current, "uris": _uris(request), "nav": "franceconnect"},
    )


@staff_required(Perm.MANAGE_ORGANISATION)
@require_POST
def check(request):
    """Fetch the discovery document and the keys of the configured provider."""
    current = selectors.settings_for(request.organisation)
    provider = client.Provider(base_url=current.base_url, client_id=current.client_id)
    try:
        found = client.check_connection(provider)
    except client.FranceConnectError as error:
        logger.warning("FranceConnect : test de connexion en échec (%s) : %s", error.code, error.detail)
        messages.error(
            request,
            _(
                "Échec : le fournisseur ne répond pas ou sa configuration est illisible à cette adresse. "
                "Vérifiez l'adresse du fournisseur, puis réessayez."
            ),
        )
    else:
        problems = []
        if not found["es256"]:
            problems.append(_("le fournisseur n'annonce pas la signature ES256"))
        if not found["eidas1"]:
            problems.append(_("le fournisseur n'annonce pas le niveau eidas1"))
        if problems:
            messages.warning(request, _("Connexion établie, mais : %(problems)s.") % {"problems": " ; ".join(problems)})
        else:
            messages.success(
                request,
                _("Connexion réussie : %(issuer)s répond, %(keys)s clé(s) de signature publiée(s).")
                % {"issuer": found["issuer"], "keys": found["keys"]},
            )
    return redirect("backoffice:franceconnect_settings", org_slug=request.organisation.slug)
