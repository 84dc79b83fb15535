"""django-axes glue: lockout keys per organisation, and a French lockout page."""

from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_username(request, credentials) -> str:
    organisation = getattr(request, "organisation", None) if request is not None else None
    email = (credentials or {}).get("email") or (credentials or {}).get("username") or ""
    slug = organisation.slug if organisation is not None else "-"
    return f"{slug}:{email.strip().lower()}"


def lockout_response(request, credentials, *args, **kwargs):
    from .forms import LoginForm

    form = LoginForm(initial={"email": request.POST.get("email", "")})
    message = _(
        "Trop de tentatives de connexion ont échoué : par sécurité, la connexion à ce compte est bloquée "
        "pendant 15 minutes. Réessayez plus tard, ou utilisez « Mot de passe oublié ? »."
    )
    is_backoffice = "/gestion/" in request.path
    template = "backoffice/login.html" if is_backoffice else "portail/login.html"
    return render(request, template, {"form": form, "lockout_message": message}, status=429)
