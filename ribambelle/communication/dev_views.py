from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.html import escape
from django_scopes import scopes_disabled

from .models import OutgoingEmail


def _require_debug():
    if not settings.DEBUG:
        raise Http404()


# The development mailbox shows every organisation's mail at once (it has no organisation in
# its URL and exists only with DEBUG): scopes disabled, on purpose.
@scopes_disabled()
def mailbox(request):
    _require_debug()
    emails = OutgoingEmail.objects.select_related("organisation")[:200]
    return render(request, "communication/dev_mailbox.html", {"emails": emails})


@scopes_disabled()
def message(request, email_id: int):
    """The HTML part as the recipient sees it (links clickable)."""
    _require_debug()
    email = get_object_or_404(OutgoingEmail, pk=email_id)
    # The text part is plain text: escaped here, or a "<" in it would become markup on this page.
    response = HttpResponse(email.body_html or f"<pre>{escape(email.body_text)}</pre>")
    # The mail body has inline styles, as e-mails must; this page is not the app.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return response
