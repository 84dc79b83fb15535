from django.shortcuts import render
from django.utils.cache import patch_cache_control
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


# Browser features no page of ours uses: a script injected one day gets none of them. File
# inputs with `capture` open the phone's camera app without the `camera` permission.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


class PrivacyHeadersMiddleware:
    """Personal pages are never kept by the browser or a proxy: what a parent saw on a shared
    computer (a child's health page, invoices) cannot be brought back with the Back button
    after logging out. That is every response to a logged-in person, and pages reached by a
    secret link (activation, password reset, calendar feed). Every response also denies the
    browser features we do not use."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # A view may have said it already, without the login being read (tenancy.access.reads_no_login).
        if "no-store" not in response.get("Cache-Control", "") and _is_personal(request):
            patch_cache_control(response, no_store=True, private=True)
        return response


def _is_personal(request) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    match = getattr(request, "resolver_match", None)
    return match is not None and "token" in match.kwargs
