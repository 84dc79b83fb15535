"""Reads of the staff audit trail (SPEC, back office: "see an audit trail of who changed what")."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry

# Every action the code records (record_audit / save_with_audit), in words; a test checks none is
# missing. The action filter offers exactly these.
ACTION_LABELS = {
    "create": _("Création"),
    "update": _("Modification"),
    "delete": _("Suppression"),
    "view": _("Consultation"),
    "health_view": _("Consultation des informations de santé"),
    "health_update": _("Modification des informations de santé"),
    "attendance": _("Pointage"),
    "bookings": _("Réservations faites par le service"),
    "capacity": _("Changement de capacité"),
    "close_day": _("Fermeture d'un jour"),
    "accept": _("Acceptation"),
    "refuse": _("Refus"),
    "accepted": _("Inscription acceptée"),
    "refused": _("Inscription refusée"),
    "register": _("Inscription par le service"),
    "move": _("Changement de groupe"),
    "cancel": _("Annulation"),
    "duplicate": _("Duplication"),
    "invite": _("Invitation"),
    "import": _("Import de familles"),
    "erase": _("Effacement d'une famille"),
    "start": _("Lancement d'une facturation"),
    "issue": _("Émission de factures"),
    "credit_note": _("Avoir"),
    "allocate": _("Affectation d'un règlement"),
    "reminders": _("Relances des impayés"),
    "sepa_export": _("Export des prélèvements SEPA"),
    "payment_provider": _("Réglage du paiement en ligne"),
    "mass_mailing": _("Envoi groupé"),
    "message_reply": _("Réponse à un message"),
    "change_accepted": _("Modification de famille acceptée"),
    "change_refused": _("Modification de famille refusée"),
    "2fa_enabled": _("Double authentification activée"),
    "2fa_disabled": _("Double authentification désactivée"),
}


# Keys some entries record that are not model fields.
CHANGE_LABELS = {
    "booked": _("réservés"),
    "cancelled": _("annulés"),
    "waitlisted": _("en liste d'attente"),
    "reason": _("motif"),
    "count": _("nombre"),
}


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    action: str = ""
    object_type: str = ""
    since: date | None = None
    until: date | None = None
    text: str = ""


def audit_entries(organisation, filters: AuditFilters):
    """This organisation's entries, newest first, with their author in the same query."""
    entries = AuditEntry.objects.filter(organisation=organisation).select_related("actor")
    if filters.actor_id:
        entries = entries.filter(actor_id=filters.actor_id)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.object_type:
        entries = entries.filter(object_type=filters.object_type)
    tz = timezone.get_current_timezone()
    if filters.since:
        entries = entries.filter(created_at__gte=datetime.combine(filters.since, time.min, tzinfo=tz))
    if filters.until:
        entries = entries.filter(created_at__lte=datetime.combine(filters.until, time.max, tzinfo=tz))
    if filters.text:
        entries = entries.filter(object_repr__icontains=filters.text)
    return entries


def filter_choices(organisation) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(code, label) choices for the filters: every action the code records, and the object types
    present in this organisation's trail (read from the (organisation, object_type, …) index)."""
    types = (
        AuditEntry.objects.filter(organisation=organisation)
        .order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    )
    return (
        sorted(((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda pair: pair[1]),
        sorted(((t, object_type_label(t)) for t in types), key=lambda pair: pair[1]),
    )


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_type_label(object_type: str) -> str:
    model = _model(object_type)
    return str(model._meta.verbose_name).capitalize() if model else object_type


def describe_changes(entry: AuditEntry) -> list[tuple[str, str]]:
    """(what, how) lines: "statut", "réservé → présent"; field names in the model's own words."""
    model = _model(entry.object_type)
    lines = []
    for name, value in (entry.changes or {}).items():
        label, choices = str(CHANGE_LABELS.get(name, name)), {}
        if model is not None:
            try:
                field = model._meta.get_field(name)
                label, choices = str(field.verbose_name), dict(getattr(field, "flatchoices", None) or [])
            except FieldDoesNotExist:
                pass
        if isinstance(value, dict) and set(value) == {"old", "new"}:
            text = f"{_short(value['old'], choices)} → {_short(value['new'], choices)}"
        else:
            text = _short(value, choices)
        lines.append((label, text))
    return lines


def _short(value, choices=None) -> str:
    if choices and isinstance(value, str | int) and value in choices:
        value = choices[value]  # "cheque" → "Chèque"
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= 80 else text[:79] + "…"
