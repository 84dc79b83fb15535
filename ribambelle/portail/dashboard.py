"""The live line under each dashboard tile: what waits for the family, in a few queries."""

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ribambelle.bookings.models import PLACE_STATUSES, Booking
from ribambelle.communication.selectors import threads_for_family
from ribambelle.core.counting import count_each
from ribambelle.core.dates import shown_date
from ribambelle.creche.models import Contract
from ribambelle.documents.selectors import pending_count_for_family
from ribambelle.families.models import ChangeRequest
from ribambelle.registrations.models import Registration, RegistrationStatus


def tile_summaries(family, *, include_health: bool, household=None) -> dict[str, str]:
    organisation_id = family.organisation_id
    today = timezone.localdate()
    summaries = {}
    counts = count_each(
        {
            "pending": ChangeRequest.objects.filter(organisation_id=organisation_id, family=family, status="pending"),
            "unread": threads_for_family(family).filter(family_unread=True),
            "creche": Contract.objects.filter(organisation_id=organisation_id, family=family, end_date__gte=today),
        },
    )
    if counts["creche"]:
        summaries["creche"] = ngettext(
            "%(n)s contrat d'accueil en crèche", "%(n)s contrats d'accueil en crèche", counts["creche"]
        ) % {"n": counts["creche"]}
    if counts["pending"]:
        summaries["family"] = _("Certaines données sont en attente de modération")
    registrations = {
        status: n
        for status, n in Registration.objects.filter(organisation_id=organisation_id, family=family)
        .values_list("status")
        .annotate(n=Count("id"))
    }
    accepted = registrations.get(RegistrationStatus.ACCEPTED, 0)
    requested = registrations.get(RegistrationStatus.REQUESTED, 0)
    parts = []
    if accepted:
        parts.append(ngettext("%(n)s inscription", "%(n)s inscriptions", accepted) % {"n": accepted})
    if requested:
        parts.append(ngettext("%(n)s demande en attente", "%(n)s demandes en attente", requested) % {"n": requested})
    summaries["registrations"] = ", ".join(parts) or _("Aucune inscription pour le moment")
    upcoming = (
        Booking.objects.filter(
            organisation_id=organisation_id, family=family, status__in=PLACE_STATUSES, date__gte=today
        )
        .select_related("child")
        .order_by("date")
        .first()
    )
    summaries["bookings"] = (
        _("Prochaine journée : %(date)s (%(name)s)")
        % {"date": shown_date(upcoming.date), "name": upcoming.child.first_name}
        if upcoming
        else _("Aucune journée réservée à venir")
    )
    documents = pending_count_for_family(organisation=family.organisation, family=family, include_health=include_health)
    summaries["documents"] = (
        ngettext(
            "%(n)s document attendu ou en cours de traitement",
            "%(n)s documents attendus ou en cours de traitement",
            documents,
        )
        % {"n": documents}
        if documents
        else _("Dossier complet")
    )
    summaries["invoices"] = _invoices_summary(family, household)
    unread = counts["unread"]
    if unread:
        summaries["messages"] = ngettext("%(n)s nouvelle réponse", "%(n)s nouvelles réponses", unread) % {"n": unread}
    return summaries


def _invoices_summary(family, household=None) -> str:
    """ "Mes factures": the amount due and the next due date (one query)."""
    from ribambelle.billing.selectors import family_situation
    from ribambelle.core.formats import format_euros as euros

    situation = family_situation(family, household=household)
    if situation.total_due <= 0:
        return _("Aucune facture à payer")
    if situation.next_due_date:
        return _("À payer : %(amount)s – prochaine échéance le %(date)s") % {
            "amount": euros(situation.total_due),
            "date": shown_date(situation.next_due_date),
        }
    return _("À payer : %(amount)s") % {"amount": euros(situation.total_due)}
