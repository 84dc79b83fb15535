from django.shortcuts import render
from django.utils.translation import gettext as _


def permission_denied(request, exception=None):
    return render(
        request,
        "core/error.html",
        {"status": 403, "title": _("Accès refusé"), "message": str(exception or "")},
        status=403,
    )


def page_not_found(request, exception=None):
    return render(
        request,
        "core/error.html",
        {
            "status": 404,
            "title": _("Page introuvable"),
            "message": _("Cette page n'existe pas ou ne vous est pas accessible."),
        },
        status=404,
    )


def server_error(request):
    return render(
        request,
        "core/error.html",
        {
            "status": 500,
            "title": _("Erreur du serveur"),
            "message": _("Une erreur est survenue. Réessayez dans un instant."),
        },
        status=500,
    )
