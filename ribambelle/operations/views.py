from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .readiness import readiness


@never_cache
def readyz(request):
    """Readiness for the monitoring (and an orchestrator): 200 when the database, the storage and
    the background workers (seen within HEARTBEAT_STALE) are all fine, 503 otherwise, with each
    check's result. The balancer checks `/healthz` (this instance can serve), not this page: a
    stopped worker must not take every web instance out of the pool."""
    ok, checks = readiness()
    return JsonResponse({"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503)
