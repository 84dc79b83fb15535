"""FranceConnect login for families (issue 18): start, callback, linking to a family login,
unlinking, logout through the provider. The OIDC exchange is in ribambelle.franceconnect.client;
every failure ends on a French page saying what to do, never a 500."""

import logging
import secrets

from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ribambelle.accounts.forms import LoginForm
from ribambelle.core.exceptions import DomainError
from ribambelle.franceconnect import client, selectors, services
from ribambelle.franceconnect.middleware import SESSION_ORIGIN
from ribambelle.tenancy.access import family_required

from .views import _safe_next

logger = logging.getLogger(__name__)

# The contract with the QF retrieval (API Particulier, FranceConnect variant): the user's token.
ACCESS_TOKEN = "franceconnect_access_token"
ID_TOKEN = "franceconnect_id_token"
FLOW = "franceconnect_flow"
PENDING = "franceconnect_pending"
LOGOUT_STATE = "franceconnect_logout_state"


def _provider(fc_settings) -> client.Provider:
    return client.Provider(
        base_url=fc_settings.base_url, client_id=fc_settings.client_id, client_secret=fc_settings.client_secret
    )


def _org_url(request, name: str) -> str:
    return reverse(name, kwargs={"org_slug": request.organisation.slug})


def _callback_uri(request) -> str:
    return request.build_absolute_uri(_org_url(request, "portail:franceconnect_callback"))


def _logout_uri(request) -> str:
    return request.build_absolute_uri(_org_url(request, "portail:franceconnect_logout_done"))


def _enabled_or_404(request):
    fc_settings = selectors.enabled_settings(request.organisation)
    if fc_settings is None:
        raise Http404(_("FranceConnect n'est pas proposé par ce service."))
    return fc_settings


def _failure(request, error: client.FranceConnectError):
    # The code and a technical detail for the operators; never a token, a secret or an identity.
    logger.warning("FranceConnect refusé (%s) : %s", error.code, error.detail)
    status = 502 if error.code == "provider_down" else 400
    return render(request, "portail/franceconnect/error.html", {"error": error}, status=status)


def _keep_tokens(request, fc_settings, access_token: str, id_token: str) -> None:
    request.session[ACCESS_TOKEN] = access_token
    request.session[ID_TOKEN] = id_token
    _allow_logout_form(request, fc_settings)


def _allow_logout_form(request, fc_settings) -> None:
    try:
        request.session[SESSION_ORIGIN] = client.end_session_origin(_provider(fc_settings))
    except client.FranceConnectError:
        request.session.pop(SESSION_ORIGIN, None)


@never_cache
def start(request):
    """ "S'identifier avec FranceConnect": to the provider, with a fresh state and nonce."""
    fc_settings = _enabled_or_404(request)
    state, nonce = client.new_random(), client.new_random()
    scopes = client.IDENTITY_SCOPES + (client.QF_SCOPES if fc_settings.request_qf_scopes else [])
    try:
        url = client.authorization_url(
            _provider(fc_settings), redirect_uri=_callback_uri(request), state=state, nonce=nonce, scopes=scopes
        )
    except client.FranceConnectError as error:
        return _failure(request, error)
    request.session[FLOW] = {"state": state, "nonce": nonce, "next": _safe_next(request, "")}
    return redirect(url)


@never_cache
def callback(request):
    """Back from the provider: check the state, verify the tokens, then log in or ask to link."""
    fc_settings = _enabled_or_404(request)
    flow = request.session.pop(FLOW, None)
    state = request.GET.get("state", "")
    if flow is None or not state or not secrets.compare_digest(state, flow.get("state", "")):
        return _failure(request, client.FranceConnectError("state", "state missing or different"))
    if request.GET.get("error"):
        code = "cancelled" if request.GET["error"] == "access_denied" else "token"
        return _failure(request, client.FranceConnectError(code, f"provider error {request.GET['error'][:40]}"))
    if not request.GET.get("code"):
        return _failure(request, client.FranceConnectError("token", "no code"))
    try:
        login = client.complete(
            _provider(fc_settings), code=request.GET["code"], redirect_uri=_callback_uri(request), nonce=flow["nonce"]
        )
    except client.FranceConnectError as error:
        return _failure(request, error)
    home = flow.get("next") or _org_url(request, "portail:home")
    identity = selectors.identity_by_sub(request.organisation, login.sub)
    if identity is not None:
        try:
            services.log_in_with_identity(request=request, identity=identity)
        except DomainError as error:
            return render(request, "portail/franceconnect/error.html", {"message": error.message}, status=403)
        _keep_tokens(request, fc_settings, login.access_token, login.id_token)
        return redirect(home)
    if request.user.is_authenticated:
        logout(request)  # another login was open in this browser: the link is made from a clean session
    request.session[PENDING] = {
        "sub": login.sub,
        "claims": {k: login.claims.get(k, "") for k in ("given_name", "family_name", "email")},
        "access_token": login.access_token,
        "id_token": login.id_token,
        "next": home,
    }
    _allow_logout_form(request, fc_settings)  # "Ne pas lier" ends the provider's session too
    return redirect(_org_url(request, "portail:franceconnect_link"))


def _pending(request):
    return request.session.get(PENDING)


def _finish_link(request, pending: dict, user, how: str):
    try:
        services.link_identity(
            request=request,
            organisation=request.organisation,
            user=user,
            sub=pending["sub"],
            claims=pending["claims"],
            how=how,
        )
    except (DomainError, ValidationError) as error:
        request.session.pop(PENDING, None)
        message = getattr(error, "message", None) or " ".join(error.messages)
        return render(request, "portail/franceconnect/error.html", {"message": message}, status=400)
    _keep_tokens(request, _enabled_or_404(request), pending["access_token"], pending["id_token"])
    request.session.pop(PENDING, None)
    messages.success(
        request,
        _(
            "Votre identité FranceConnect est liée à votre compte : vous pourrez désormais l'utiliser "
            "pour vous connecter."
        ),
    )
    return redirect(pending.get("next") or _org_url(request, "portail:home"))


def _masked(email: str) -> str:
    local, _at, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else email


@never_cache
def link(request):
    """An identity not yet linked: link it by the e-mail match (confirmed) or by a normal login."""
    _enabled_or_404(request)
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("Commencez par « S'identifier avec FranceConnect »."))
        return redirect(_org_url(request, "portail:login"))
    match = selectors.family_login_by_email(request.organisation, pending["claims"].get("email", ""))
    form = LoginForm(request.POST if request.POST.get("action") == "login" else None)
    if request.method == "POST" and request.POST.get("action") == "email":
        if match is None:
            messages.error(request, _("Aucun compte de l'Espace Famille ne correspond à cette adresse."))
            return redirect(_org_url(request, "portail:franceconnect_link"))
        return _finish_link(request, pending, match, "email")
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            organisation=request.organisation,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
        )
        if user is not None and user.is_family:
            pending["user_id"] = user.pk
            request.session[PENDING] = pending
            return redirect(_org_url(request, "portail:franceconnect_link_confirm"))
        form.add_error(
            None, _("E-mail ou mot de passe incorrect. Vérifiez votre saisie ou réinitialisez votre mot de passe.")
        )
    return render(
        request,
        "portail/franceconnect/link.html",
        {"pending": pending, "match_email": _masked(match.email) if match else "", "form": form},
        status=400 if form.errors else 200,
    )


@never_cache
def link_confirm(request):
    """After the password: the parent confirms once which login the identity opens."""
    _enabled_or_404(request)
    pending = _pending(request)
    user = selectors.family_login_by_id(request.organisation, pending.get("user_id") or 0) if pending else None
    if user is None:
        return redirect(_org_url(request, "portail:franceconnect_link" if pending else "portail:login"))
    if request.method == "POST":
        return _finish_link(request, pending, user, "login")
    return render(request, "portail/franceconnect/link_confirm.html", {"pending": pending, "account": user})


@require_POST
def cancel(request):
    """The parent does not link: the FranceConnect session ends too."""
    pending = request.session.pop(PENDING, None)
    fc_settings = selectors.enabled_settings(request.organisation)
    if pending and fc_settings is not None:
        return _through_provider(request, fc_settings, pending["id_token"])
    return redirect(_org_url(request, "portail:login"))


def _through_provider(request, fc_settings, id_token: str):
    state = client.new_random()
    try:
        url = client.logout_url(
            _provider(fc_settings), id_token=id_token, state=state, post_logout_redirect_uri=_logout_uri(request)
        )
    except client.FranceConnectError as error:
        logger.warning("FranceConnect : déconnexion locale seulement (%s)", error.code)
        logout(request)
        messages.warning(
            request,
            _(
                "Vous êtes déconnecté de l'Espace Famille. FranceConnect ne répond pas : fermez votre "
                "navigateur pour terminer aussi votre session FranceConnect."
            ),
        )
        return redirect(_org_url(request, "portail:home"))
    logout(request)
    request.session[LOGOUT_STATE] = state
    return redirect(url)


def provider_logout(request):
    """Logout of a parent who came with FranceConnect: through the provider's /session/end."""
    fc_settings = selectors.enabled_settings(request.organisation)
    id_token = request.session.get(ID_TOKEN)
    if fc_settings is None or not id_token:
        return None
    return _through_provider(request, fc_settings, id_token)


@never_cache
def logout_done(request):
    """Back from the provider's logout."""
    expected = request.session.pop(LOGOUT_STATE, None)
    state = request.GET.get("state", "")
    if expected and state and secrets.compare_digest(state, expected):
        messages.success(request, _("Vous êtes déconnecté de l'Espace Famille et de FranceConnect. À bientôt !"))
    else:
        messages.info(request, _("Vous êtes déconnecté."))
    return redirect(_org_url(request, "portail:home"))


@family_required
@require_POST
def unlink(request, franceconnectidentity_id: int):
    identity = selectors.get_identity_for_user(request.organisation, request.user, franceconnectidentity_id)
    services.unlink_identity(request=request, identity=identity)
    messages.success(request, _("L'identité FranceConnect est déliée : elle n'ouvre plus votre compte."))
    return redirect(_org_url(request, "portail:account"))
