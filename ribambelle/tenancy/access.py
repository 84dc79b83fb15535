"""Who may open a page: staff of the URL's organisation (with a permission), or a family."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .roles import has_permission


def _login_redirect(request, name: str):
    url = reverse(name, kwargs={"org_slug": request.organisation.slug})
    return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")


def staff_required(perm: str | None = None):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _login_redirect(request, "backoffice:login")
            if request.membership is None:
                raise PermissionDenied("Cet espace est réservé au personnel de l'organisation.")
            if perm and not has_permission(request.membership, perm):
                raise PermissionDenied("Votre rôle ne permet pas d'ouvrir cette page.")
            return view(request, *args, **kwargs)

        wrapped.staff_permission = perm
        return wrapped

    return decorator


def family_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _login_redirect(request, "portail:login")
        if not request.user.is_family:
            raise PermissionDenied("Cet espace est réservé aux familles.")
        return view(request, *args, **kwargs)

    wrapped.family_only = True
    return wrapped
