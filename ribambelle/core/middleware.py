from django.shortcuts import render
from django.utils.translation import gettext as _


class RejectNulBytesMiddleware:
    """A NUL byte in a parameter is never legitimate, and PostgreSQL refuses it in text: answer a
    clear 400 instead of letting a search or a filter fail with a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = [*request.GET.lists()]
        if request.method == "POST":
            values += [*request.POST.lists()]
        if any("\x00" in key or any("\x00" in value for value in items) for key, items in values):
            return render(
                request,
                "core/error.html",
                {
                    "status": 400,
                    "title": _("Requête invalide"),
                    "message": _("Un caractère non autorisé a été envoyé. Revenez en arrière et recommencez."),
                },
                status=400,
            )
        return self.get_response(request)
