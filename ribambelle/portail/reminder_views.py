"""Reminders before a booking deadline, the family's side: the choice in "Mon compte", the phones
that receive notifications, and the portal's service worker that shows them."""

import json

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ribambelle.core.exceptions import DomainError
from ribambelle.reminders import push, selectors, services
from ribambelle.tenancy.access import family_required


class ReminderPreferenceForm(forms.Form):
    enabled = forms.BooleanField(
        label=gettext_lazy("M'envoyer un rappel avant la date limite pour les jours habituels de mes enfants"),
        required=False,
    )


def account_context(request) -> dict:
    """What the "Mon compte" page shows of the reminders (included by account_views.account)."""
    family = request.user.family
    keys = push.vapid_keys()
    return {
        "reminder_form": ReminderPreferenceForm(
            initial={"enabled": selectors.reminders_enabled_for(family)}, prefix="rappels"
        ),
        "reminder_settings": selectors.reminder_settings(request.organisation),
        "push_public_key": keys.public_key if keys else "",
        "push_devices": selectors.push_subscriptions_for(family).count(),
    }


def _account(request):
    return redirect(reverse("portail:account", kwargs={"org_slug": request.organisation.slug}) + "#rappels")


@require_POST
@family_required
def reminder_preference(request):
    form = ReminderPreferenceForm(request.POST, prefix="rappels")
    form.is_valid()  # a single optional box: always valid
    enabled = bool(form.cleaned_data.get("enabled"))
    services.set_family_reminders(family=request.user.family, enabled=enabled, acting_user=request.user)
    if enabled:
        messages.success(request, _("Les rappels avant la date limite de réservation sont activés."))
    else:
        messages.success(request, _("Vous ne recevrez plus de rappels avant la date limite de réservation."))
    return _account(request)


@require_POST
@family_required
def push_subscription(request):
    """The browser's PushSubscription (JSON, as `subscription.toJSON()` gives it), to remember or
    (with "action": "remove") forget. Another family's subscription is not found: 404."""
    try:
        data = json.loads(request.body or b"{}")
        endpoint = str(data.get("endpoint", ""))
        keys = data.get("keys") or {}
    except (ValueError, AttributeError):
        return JsonResponse({"error": _("Demande illisible.")}, status=400)
    family = request.user.family
    if data.get("action") == "remove":
        if not services.unsubscribe_push(family=family, endpoint=endpoint):
            raise Http404(_("Cet appareil n'est pas enregistré."))
        return JsonResponse({"message": _("Ce téléphone ne recevra plus les rappels.")})
    if push.vapid_keys() is None:
        return JsonResponse({"error": _("Les notifications ne sont pas disponibles sur ce service.")}, status=409)
    try:
        services.subscribe_push(
            family=family,
            user=request.user,
            endpoint=endpoint,
            p256dh=str(keys.get("p256dh", "")),
            auth=str(keys.get("auth", "")),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except DomainError as error:
        return JsonResponse({"error": error.message}, status=400)
    return JsonResponse({"message": _("Ce téléphone recevra les rappels.")}, status=201)


def service_worker(request):
    """The portal's service worker: shows the reminders' notifications and opens the page they
    name. It caches nothing (the roll call has its own worker in the back office)."""
    source = render_to_string("portail/reminders/sw.js", {"scope": f"/{request.organisation.slug}/"})
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
