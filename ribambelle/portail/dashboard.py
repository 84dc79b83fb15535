"""The live line under each dashboard tile: what waits for the family, in a few queries."""

from django.db.models import Count
from django.utils import timezone

from ribambelle.bookings.models import PLACE_STATUSES, Booking
from ribambelle.communication.selectors import threads_for_family
from ribambelle.core.dates import long_date
from ribambelle.documents.selectors import pending_count_for_family
from ribambelle.families.models import ChangeRequest
from ribambelle.registrations.models import Registration, RegistrationStatus


def _plural(n: int, one: str, many: str) -> str:
    return one.format(n=n) if n == 1 else many.format(n=n)


def tile_summaries(family, *, include_health: bool) -> dict[str, str]:
    organisation_id = family.organisation_id
    today = timezone.localdate()
    summaries = {}
    pending = ChangeRequest.objects.filter(organisation_id=organisation_id, family=family, status="pending").count()
    if pending:
        summaries["family"] = "Certaines données sont en attente de modération"
    counts = {
        status: n
        for status, n in Registration.objects.filter(organisation_id=organisation_id, family=family)
        .values_list("status")
        .annotate(n=Count("id"))
    }
    accepted, requested = counts.get(RegistrationStatus.ACCEPTED, 0), counts.get(RegistrationStatus.REQUESTED, 0)
    parts = []
    if accepted:
        parts.append(_plural(accepted, "{n} inscription", "{n} inscriptions"))
    if requested:
        parts.append(_plural(requested, "{n} demande en attente", "{n} demandes en attente"))
    summaries["registrations"] = ", ".join(parts) or "Aucune inscription pour le moment"
    upcoming = (
        Booking.objects.filter(
            organisation_id=organisation_id, family=family, status__in=PLACE_STATUSES, date__gte=today
        )
        .select_related("child")
        .order_by("date")
        .first()
    )
    summaries["bookings"] = (
        f"Prochaine journée : {long_date(upcoming.date)} ({upcoming.child.first_name})"
        if upcoming
        else "Aucune journée réservée à venir"
    )
    documents = pending_count_for_family(organisation=family.organisation, family=family, include_health=include_health)
    summaries["documents"] = (
        _plural(
            documents,
            "{n} document attendu ou en cours de traitement",
            "{n} documents attendus ou en cours de traitement",
        )
        if documents
        else "Dossier complet"
    )
    unread = threads_for_family(family).filter(family_unread=True).count()
    if unread:
        summaries["messages"] = _plural(unread, "{n} nouvelle réponse", "{n} nouvelles réponses")
    return summaries
