from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from ribambelle.tenancy.selectors import active_organisations


def organisation_list(request):
    """`/`: the authorities hosted here; straight to the portal when there is only one."""
    organisations = list(active_organisations())
    if len(organisations) == 1:
        return redirect("portail:home", org_slug=organisations[0].slug)
    return render(request, "core/organisation_list.html", {"organisations": organisations})


def accessibility(request):
    """`/accessibilite/`: each organisation publishes its own statement; this page leads to them."""
    return render(request, "core/accessibility.html", {"organisations": list(active_organisations())})


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


def robots(request):
    return HttpResponse("User-agent: *\nDisallow: /\n", content_type="text/plain")


@never_cache
def robot_challenge(request):
    from .robot import new_challenge

    return JsonResponse(new_challenge())
