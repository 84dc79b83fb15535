"""The family portal (Espace Famille): thin views over the domain services."""

import mimetypes

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from ribambelle.accounts import services as account_services
from ribambelle.accounts.forms import LoginForm, NewPasswordForm
from ribambelle.accounts.models import TokenPurpose
from ribambelle.accounts.password_validation import NOT_CLOSE_RULE, PASSWORD_RULES
from ribambelle.accounts.selectors import activity_for_family
from ribambelle.core.exceptions import DomainError
from ribambelle.tenancy.access import family_required

from . import branding

ICON_SIZES = (192, 512)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def home(request):
    """`/<org>/`: the family's dashboard, or the login page for a visitor."""
    if request.user.is_authenticated and request.user.is_family:
        return dashboard(request)
    return login_view(request)


@family_required
def dashboard(request):
    from ribambelle.custody.selectors import household_of
    from ribambelle.renewals.selectors import renewal_is_open

    from .dashboard import tile_summaries

    summaries = tile_summaries(
        request.user.family, include_health=request.consents.health, household=household_of(request.user)
    )
    return render(
        request,
        "portail/dashboard.html",
        {"active_tab": "dashboard", "summaries": summaries, "renewal_open": renewal_is_open(request.user.family)},
    )


def login_view(request):
    organisation = request.organisation
    home_url = reverse("portail:home", kwargs={"org_slug": organisation.slug})
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from django.contrib.auth import authenticate

        user = authenticate(
            request,
            organisation=organisation,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
        )
        if user is not None and user.is_family:
            account_services.log_in(request, user, remember=form.cleaned_data["remember"])
            return redirect(_safe_next(request, home_url))
        form.add_error(
            None, _("E-mail ou mot de passe incorrect. Vérifiez votre saisie ou réinitialisez votre mot de passe.")
        )
    return render(
        request,
        "portail/login.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=200 if request.method == "GET" or form.is_valid() else 400,
    )


@require_POST
def logout_view(request):
    from .franceconnect_views import provider_logout

    if (through_franceconnect := provider_logout(request)) is not None:
        return through_franceconnect  # came with FranceConnect: its session ends too
    logout(request)
    messages.success(request, _("Vous êtes déconnecté. À bientôt !"))
    return redirect("portail:home", org_slug=request.organisation.slug)


def _password_rules_context():
    return {
        "password_rules": [(key, label) for key, label, _pattern in PASSWORD_RULES],
        "password_rules_js": {key: pattern for key, _label, pattern in PASSWORD_RULES},
        "not_close_rule": NOT_CLOSE_RULE,
    }


def activate(request, token: str):
    """Seed step 1–3: create the first password from the e-mailed link."""
    organisation = request.organisation
    account_token = account_services.find_token(organisation=organisation, raw=token, purpose=TokenPurpose.ACTIVATION)
    if account_token is None or not account_token.is_usable:
        reason = "unknown" if account_token is None else ("used" if account_token.used_at else "expired")
        return render(request, "portail/activation_invalid.html", {"reason": reason}, status=410)
    user = account_token.user
    form = NewPasswordForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.activate_account(
                token=account_token, password=form.cleaned_data["password1"], request=request
            )
        except (DomainError, ValidationError) as error:
            form.add_error(None, getattr(error, "message", None) or " ".join(error.messages))
        else:
            return render(request, "portail/activation_done.html", {"email": user.email})
    return render(
        request,
        "portail/activation.html",
        {"form": form, "account_email": user.email, **_password_rules_context()},
        status=400 if form.errors else 200,
    )


@require_POST
def activation_resend(request):
    email = request.POST.get("email", "").strip()
    if email:
        account_services.resend_activation(organisation=request.organisation, email=email)
    messages.info(
        request,
        _(
            "Si un compte à activer existe pour cette adresse, un nouveau lien vient d'y être envoyé. "
            "Pensez à regarder dans vos courriers indésirables."
        ),
    )
    return redirect("portail:login", org_slug=request.organisation.slug)


@family_required
def history(request):
    entries = activity_for_family(request.user.family)
    return render(request, "portail/history.html", {"entries": entries, "active_tab": "history"})


def legal_notice(request):
    return render(request, "portail/legal_notice.html")


def accessibility(request):
    """The organisation's accessibility statement (RGAA 4.1), public and linked from every footer."""
    return render(request, "portail/accessibility.html", {"known_issues": KNOWN_ACCESSIBILITY_ISSUES})


# What Ribambelle itself knows falls short of RGAA 4.1, published in every statement: a
# statement must list the non-conformities, and these are ours, not the organisation's.
KNOWN_ACCESSIBILITY_ISSUES = [
    gettext_lazy(
        "Les documents PDF produits (factures, reçus, listes de présence) ne sont pas balisés : "
        "un lecteur d'écran peut en lire le texte mais pas la structure (critère 13.3). "
        "Les mêmes informations sont disponibles en HTML dans l'Espace Famille."
    ),
]


@cache_control(max_age=3600)
def manifest(request):
    organisation = request.organisation
    start = reverse("portail:home", kwargs={"org_slug": organisation.slug})
    data = {
        "name": _("Espace Famille – %(name)s") % {"name": organisation.name},
        "short_name": organisation.display_short_name[:30],
        "start_url": start,
        "scope": start,
        "display": "standalone",
        "lang": "fr",
        "background_color": "#ffffff",
        "theme_color": organisation.primary_colour,
        "icons": [
            {
                "src": reverse("portail:icon", kwargs={"org_slug": organisation.slug, "size": size}),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in ICON_SIZES
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


@cache_control(max_age=300)
def theme(request):
    return HttpResponse(branding.theme_css(request.organisation.primary_colour), content_type="text/css")


@cache_control(max_age=3600)
def logo(request):
    organisation = request.organisation
    if not organisation.logo:
        raise Http404("Pas de logo")
    content_type = mimetypes.guess_type(organisation.logo.name)[0] or "application/octet-stream"
    if content_type not in {"image/png", "image/jpeg", "image/webp", "image/gif"}:
        raise Http404("Format de logo non servi")
    return FileResponse(organisation.logo.open("rb"), content_type=content_type)


@cache_control(max_age=86400)
def icon(request, size: int):
    if size not in ICON_SIZES:
        raise Http404("Taille d'icône inconnue")
    organisation = request.organisation
    png = branding.icon_png(name=organisation.name, colour=organisation.primary_colour, size=size)
    return HttpResponse(png, content_type="image/png")
