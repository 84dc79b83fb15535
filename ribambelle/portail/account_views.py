"""Portal pages about the login itself: consent, password reset, "Mon compte"."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ribambelle.accounts import services as account_services
from ribambelle.accounts.consent import consent_state, record_consents, withdraw_consent
from ribambelle.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConsentForm,
    ForgotPasswordForm,
    NewPasswordForm,
)
from ribambelle.accounts.models import ConsentKind, TokenPurpose
from ribambelle.core.exceptions import DomainError
from ribambelle.tenancy.access import family_required

from . import reminder_views
from .views import _password_rules_context, _safe_next


def _home(request):
    return redirect("portail:home", org_slug=request.organisation.slug)


@family_required(needs_consent=False)
def consent(request):
    """Seed step 5: first login (or a new version of the text) asks for the two consents."""
    state = consent_state(request.user)
    initial = {"personal": state.personal, "health": state.health}
    form = ConsentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        record_consents(user=request.user, personal=True, health=form.cleaned_data["health"], request=request)
        messages.success(request, _("Merci, vos choix sont enregistrés. Vous pouvez les modifier dans « Mon compte »."))
        return redirect(_safe_next(request, f"/{request.organisation.slug}/"))
    return render(
        request,
        "portail/consent.html",
        {"form": form, "state": state, "next": request.GET.get("next", "")},
        status=400 if form.errors else 200,
    )


def password_forgot(request):
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account_services.request_password_reset(organisation=request.organisation, email=form.cleaned_data["email"])
        # Same answer whether the address has an account or not.
        messages.info(
            request,
            _(
                "Si un compte existe pour cette adresse, un e-mail avec un lien pour choisir un nouveau mot de passe "
                "vient d'y être envoyé. Pensez à regarder dans vos courriers indésirables."
            ),
        )
        return redirect("portail:login", org_slug=request.organisation.slug)
    return render(request, "portail/password_forgot.html", {"form": form}, status=400 if form.errors else 200)


def password_reset(request, token: str):
    account_token = account_services.find_token(
        organisation=request.organisation, raw=token, purpose=TokenPurpose.RESET
    )
    if account_token is None or not account_token.is_usable:
        return render(request, "portail/password_reset_invalid.html", status=410)
    form = NewPasswordForm(request.POST or None, user=account_token.user)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.reset_password(
                token=account_token, password=form.cleaned_data["password1"], request=request
            )
        except (DomainError, ValidationError) as error:
            form.add_error(None, getattr(error, "message", None) or " ".join(error.messages))
        else:
            return render(request, "portail/activation_done.html", {"email": account_token.user.email})
    return render(
        request,
        "portail/password_reset.html",
        {"form": form, "account_email": account_token.user.email, **_password_rules_context()},
        status=400 if form.errors else 200,
    )


@family_required
def account(request):
    user = request.user
    password_form = ChangePasswordForm(user=user, prefix="pw")
    email_form = ChangeEmailForm(user=user, prefix="email")
    if request.method == "POST" and "change_password" in request.POST:
        password_form = ChangePasswordForm(request.POST, user=user, prefix="pw")
        if password_form.is_valid():
            account_services.change_password(
                user=user, password=password_form.cleaned_data["password1"], request=request
            )
            messages.success(request, _("Votre mot de passe est modifié. Vos autres appareils sont déconnectés."))
            return redirect("portail:account", org_slug=request.organisation.slug)
    elif request.method == "POST" and "change_email" in request.POST:
        email_form = ChangeEmailForm(request.POST, user=user, prefix="email")
        if email_form.is_valid():
            try:
                account_services.request_email_change(
                    user=user, new_email=email_form.cleaned_data["new_email"], request=request
                )
            except DomainError as error:
                email_form.add_error("new_email", error.message)
            else:
                messages.info(
                    request,
                    _(
                        "Un e-mail de confirmation a été envoyé à %(email)s. "
                        "Votre adresse changera quand vous aurez cliqué sur le lien."
                    )
                    % {"email": email_form.cleaned_data["new_email"]},
                )
                return redirect("portail:account", org_slug=request.organisation.slug)
    has_errors = bool(password_form.errors or email_form.errors)
    return render(
        request,
        "portail/account.html",
        {
            "password_form": password_form,
            "email_form": email_form,
            "consents": request.consents,
            "active_tab": "account",
            **_password_rules_context(),
            **reminder_views.account_context(request),
        },
        status=400 if has_errors else 200,
    )


@require_POST
@family_required
def consent_withdraw(request, kind: str):
    if kind not in ConsentKind.values:
        return _home(request)
    withdraw_consent(user=request.user, kind=kind, request=request)
    if kind == ConsentKind.HEALTH:
        messages.success(
            request,
            _(
                "Votre consentement aux données sanitaires est retiré : ces informations ne sont plus "
                "affichées ni collectées, et celles déjà saisies sont effacées."
            ),
        )
        return redirect("portail:account", org_slug=request.organisation.slug)
    messages.info(
        request,
        _(
            "Votre consentement aux données personnelles est retiré. Sans lui, l'Espace Famille "
            "n'est plus accessible ; vous pouvez le redonner à tout moment."
        ),
    )
    return redirect("portail:consent", org_slug=request.organisation.slug)


def email_confirm(request, token: str):
    account_token = account_services.find_token(
        organisation=request.organisation, raw=token, purpose=TokenPurpose.EMAIL_CHANGE
    )
    if account_token is None:
        return render(request, "portail/email_confirm.html", {"error": _("Ce lien n'est pas valable.")}, status=410)
    try:
        user = account_services.confirm_email_change(token=account_token, request=request)
    except DomainError as error:
        return render(request, "portail/email_confirm.html", {"error": error.message}, status=410)
    return render(request, "portail/email_confirm.html", {"email": user.email})
