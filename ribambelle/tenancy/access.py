"""Who may open a page: staff of the URL's organisation (with a permission), or a family."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .roles import has_permission


def _login_redirect(request, name: str):
    url = reverse(name, kwargs={"org_slug": request.organisation.slug})
    return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")


def staff_required(perm: str | None = None, *, allow_without_2fa: bool = False):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _login_redirect(request, "backoffice:login")
            if request.membership is None:
                raise PermissionDenied(_("Cet espace est réservé au personnel de l'organisation."))
            needs_2fa = request.organisation.staff_requires_2fa and not request.user.is_verified()
            if needs_2fa and not allow_without_2fa:
                return redirect("backoffice:security", org_slug=request.organisation.slug)
            if perm and not has_permission(request.membership, perm):
                raise PermissionDenied(_("Votre rôle ne permet pas d'ouvrir cette page."))
            return view(request, *args, **kwargs)

        wrapped.staff_permission = perm
        return wrapped

    return decorator


def family_required(view=None, *, needs_consent: bool = True):
    """A logged-in family of this organisation, who has accepted the current GDPR text
    (otherwise they are sent to the consent page first, seed step 5)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _login_redirect(request, "portail:login")
            if not request.user.is_family:
                raise PermissionDenied(_("Cet espace est réservé aux familles."))
            if needs_consent:
                from ribambelle.accounts.consent import consent_state

                request.consents = consent_state(request.user)
                if not request.consents.personal:
                    return _login_redirect(request, "portail:consent")
            return view(request, *args, **kwargs)

        wrapped.family_only = True
        return wrapped

    return decorator(view) if view is not None else decorator
