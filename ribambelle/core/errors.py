from django.shortcuts import render


def permission_denied(request, exception=None):
    return render(
        request,
        "core/error.html",
        {"status": 403, "title": "Accès refusé", "message": str(exception or "")},
        status=403,
    )


def page_not_found(request, exception=None):
    return render(
        request,
        "core/error.html",
        {
            "status": 404,
            "title": "Page introuvable",
            "message": "Cette page n'existe pas ou ne vous est pas accessible.",
        },
        status=404,
    )


def server_error(request):
    return render(
        request,
        "core/error.html",
        {"status": 500, "title": "Erreur du serveur", "message": "Une erreur est survenue. Réessayez dans un instant."},
        status=500,
    )
