"""Staff login (with the second factor) and the staff member's own security page."""

import time

from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ribambelle.accounts import services as account_services
from ribambelle.accounts import two_factor
from ribambelle.accounts.forms import DisableTwoFactorForm, LoginForm, TOTPForm
from ribambelle.accounts.lockout import lockout_response
from ribambelle.core.exceptions import DomainError
from ribambelle.core.qr import qr_svg
from ribambelle.tenancy.access import staff_required

PENDING_KEY = "pending_2fa"
PENDING_SECONDS = 300
MAX_CODE_ATTEMPTS = 5


def _next_or_dashboard(request, target: str) -> str:
    default = reverse("backoffice:dashboard", kwargs={"org_slug": request.organisation.slug})
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def login_view(request):
    organisation = request.organisation
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, organisation=organisation, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        if user is not None and not user.is_family:
            target = _next_or_dashboard(request, request.POST.get("next", ""))
            if two_factor.has_confirmed_device(user):
                # Password right: the code comes next, before any session is opened.
                request.session[PENDING_KEY] = {
                    "user": user.pk,
                    "remember": form.cleaned_data["remember"],
                    "next": target,
                    "at": time.time(),
                    "tries": 0,
                }
                return redirect("backoffice:login_code", org_slug=organisation.slug)
            account_services.log_in(request, user, remember=form.cleaned_data["remember"])
            return redirect(target)
        form.add_error(None, _("E-mail ou mot de passe incorrect."))
    return render(
        request,
        "backoffice/login.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=400 if form.errors else 200,
    )


def _locked_out(request, user):
    """Too many wrong passwords or codes (django-axes): the pending login is dropped."""
    request.session.pop(PENDING_KEY, None)
    return lockout_response(request, {"email": user.email})


def login_code(request):
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS or pending["tries"] >= MAX_CODE_ATTEMPTS:
        request.session.pop(PENDING_KEY, None)
        messages.error(request, _("Reconnectez-vous : la saisie du code a expiré ou a échoué trop de fois."))
        return redirect("backoffice:login", org_slug=request.organisation.slug)
    form = TOTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = get_user_model().objects.filter(pk=pending["user"], organisation=request.organisation).first()
        if user is None:
            request.session.pop(PENDING_KEY, None)
            return redirect("backoffice:login", org_slug=request.organisation.slug)
        if two_factor.is_locked_out(request, user):
            return _locked_out(request, user)
        device = two_factor.verify_code(request=request, user=user, code=form.cleaned_data["code"])
        if device is not None:
            request.session.pop(PENDING_KEY, None)
            account_services.log_in(request, user, remember=pending["remember"])
            two_factor.mark_verified(request, device)
            return redirect(pending["next"])
        if two_factor.is_locked_out(request, user):
            return _locked_out(request, user)
        pending["tries"] += 1
        request.session[PENDING_KEY] = pending
        form.add_error("code", str(two_factor.WRONG_CODE_MESSAGE))
    return render(request, "backoffice/login_code.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
def logout_view(request):
    logout(request)
    messages.success(request, _("Vous êtes déconnecté."))
    return redirect("backoffice:login", org_slug=request.organisation.slug)


@staff_required(allow_without_2fa=True)
def security(request):
    """Enrol or remove the authenticator app."""
    user = request.user
    enabled = two_factor.has_confirmed_device(user)
    context = {"enabled": enabled, "required": request.organisation.staff_requires_2fa, "nav": "security"}
    if enabled:
        disable_form = DisableTwoFactorForm(request.POST if "disable" in request.POST else None)
        context["disable_form"] = disable_form
        if disable_form.is_valid():
            try:
                two_factor.disable(request=request, user=user, **disable_form.cleaned_data)
            except DomainError as error:
                disable_form.add_error(error.field, str(error.message))
            else:
                messages.success(request, _("La double authentification est désactivée."))
                return redirect("backoffice:security", org_slug=request.organisation.slug)
        if disable_form.errors:
            return render(request, "backoffice/security.html", context, status=400)
    else:
        device = two_factor.pending_device(user)
        form = TOTPForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                two_factor.confirm_device(request=request, device=device, code=form.cleaned_data["code"])
            except DomainError as error:
                form.add_error("code", error.message)
            else:
                messages.success(
                    request, _("La double authentification est activée : un code vous sera demandé à chaque connexion.")
                )
                return redirect("backoffice:dashboard", org_slug=request.organisation.slug)
        context.update(form=form, qr_svg=qr_svg(device.config_url), secret=two_factor.secret_for_display(device))
    status = 400 if context.get("form") is not None and context["form"].errors else 200
    return render(request, "backoffice/security.html", context, status=status)
