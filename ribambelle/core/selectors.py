"""Reads of the staff audit trail (SPEC, back office: "see an audit trail of who changed what")."""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from .dates import shown_date
from .formats import format_euros
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
    "absence_justified": _("Absence marquée justifiée"),
    "allocate": _("Affectation d'un règlement"),
    "reminders": _("Relances des impayés"),
    "sepa_export": _("Export des prélèvements SEPA"),
    "sepa_settle": _("Prélèvement SEPA réglé"),
    "sepa_reject": _("Rejet d'un prélèvement SEPA"),
    "payment_void": _("Annulation d'un règlement"),
    "refund": _("Remboursement"),
    "pes_export": _("Rôle Hélios (PES) généré"),
    "pes_cancel": _("Rôle Hélios (PES) annulé"),
    "payment_provider": _("Réglage du paiement en ligne"),
    "mass_mailing": _("Envoi groupé"),
    "message_reply": _("Réponse à un message"),
    "change_accepted": _("Modification de famille acceptée"),
    "change_refused": _("Modification de famille refusée"),
    "2fa_enabled": _("Double authentification activée"),
    "2fa_disabled": _("Double authentification désactivée"),
    "freeze": _("Bilan CAF figé"),
    "allocation.configure": _("Réglage de l'attribution des places (vœux, tirage)"),
    "allocation.wishes": _("Vœux d'une famille"),
    "allocation.draw": _("Tirage au sort des places"),
    "qf_consent_given": _("Accord pour la lecture du quotient (CAF / MSA)"),
    "qf_consent_withdrawn": _("Retrait de l'accord pour la lecture du quotient"),
    "apiparticulier_token_changed": _("Jeton API Particulier remplacé"),
    "amend": _("Avenant à un contrat de crèche"),
    "report": _("Absence signalée par la famille"),
    "decide": _("Décision sur une absence"),
}


# Keys some entries record that are not model fields.
CHANGE_LABELS = {
    "booked": _("réservés"),
    "cancelled": _("annulés"),
    "waitlisted": _("en liste d'attente"),
    "reason": _("motif"),
    "count": _("nombre"),
    "logins": _("comptes du foyer"),
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
    return narrow_audit(AuditEntry.objects.filter(organisation=organisation).select_related("actor"), filters)


def narrow_audit(entries, filters: AuditFilters):
    """The entries that match the filters (days counted in Europe/Paris)."""
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
    return describe_entries([entry])[0]


def describe_entries(entries) -> list[list[tuple[str, str]]]:
    """For each entry, (what, how) lines in words: "statut", "réservé → présent"; "ouvert aux
    inscriptions", "oui"; dates, amounts and related objects as a reader says them. Done at display
    time from the stored JSON, so entries recorded before this existed read well too. Related
    objects recorded by id are named with one query per related model for the whole page."""
    entries = list(entries)
    fields = [_fields(entry) for entry in entries]
    names = _related_names(entries, fields)
    return [
        [_describe(entry, name, value, field_map.get(name), names) for name, value in (entry.changes or {}).items()]
        for entry, field_map in zip(entries, fields, strict=True)
    ]


def _fields(entry: AuditEntry) -> dict:
    model = _model(entry.object_type)
    found = {}
    for name in entry.changes or {}:
        try:
            field = model._meta.get_field(name) if model is not None else None
        except FieldDoesNotExist:
            field = None
        # A change recorded under a reverse relation's name ("versions", "households"…) is not
        # a column: it is read with the labels of CHANGE_LABELS, like any other non-field key.
        found[name] = field if field is None or field.concrete else None
    return found


def _related_names(entries, fields) -> dict:
    """{related model: {pk: name}} for every relation recorded as an id rather than by name."""
    wanted: dict = {}
    for entry, field_map in zip(entries, fields, strict=True):
        for name, field in field_map.items():
            if field is None or not (field.is_relation and field.many_to_one):
                continue
            value = (entry.changes or {})[name]
            values = (
                [value["old"], value["new"]] if isinstance(value, dict) and set(value) == {"old", "new"} else [value]
            )
            ids = {v for v in values if isinstance(v, int) and not isinstance(v, bool)}
            wanted.setdefault(field.related_model, set()).update(ids)
    return {
        model: {pk: str(obj) for pk, obj in model._base_manager.in_bulk(ids).items()}
        for model, ids in wanted.items()
        if ids
    }


def _describe(entry, name, value, field, names) -> tuple[str, str]:
    label = str(field.verbose_name) if field is not None else str(CHANGE_LABELS.get(name, name))
    if isinstance(value, dict) and set(value) == {"old", "new"}:
        new = _in_words(value["new"], field, names)
        if value["old"] in (None, "") and entry.action == "create":
            return label, new  # a new row: there was no "before"
        return label, f"{_in_words(value['old'], field, names)} → {new}"
    return label, _in_words(value, field, names)


def _in_words(value, field, names) -> str:
    if value in (None, ""):
        return "—"
    text = _field_words(value, field, names) if field is not None else None
    if text is None:
        text = _value_words(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _field_words(value, field, names) -> str | None:
    choices = dict(getattr(field, "flatchoices", None) or [])
    if choices and isinstance(value, str | int) and value in choices:
        return str(choices[value])  # "cheque" → "Chèque"
    try:
        if isinstance(field, models.BooleanField):
            return _value_words(bool(value))
        if isinstance(field, models.DateTimeField):
            moment = timezone.localtime(datetime.fromisoformat(str(value)))
            return _("%(date)s à %(time)s") % {"date": shown_date(moment.date()), "time": moment.strftime("%H:%M")}
        if isinstance(field, models.DateField):
            return shown_date(date.fromisoformat(str(value)))
        if isinstance(field, models.TimeField):
            return time.fromisoformat(str(value)).strftime("%H:%M")
        if isinstance(field, models.DecimalField):
            amount = Decimal(str(value))
            if (field.max_digits, field.decimal_places) == (10, 2):  # money (CONVENTIONS rule 5)
                return format_euros(amount)
            return number_format(amount.normalize() if amount == amount.to_integral() else amount)
    except (ValueError, TypeError, ArithmeticError):
        return None  # a value of another shape (older entries): shown as recorded
    if field.is_relation and field.many_to_one and isinstance(value, int) and not isinstance(value, bool):
        return names.get(field.related_model, {}).get(value, f"n° {value}")
    return None


def _value_words(value) -> str:
    if isinstance(value, bool):
        return str(_("oui") if value else _("non"))
    if isinstance(value, list):
        return ", ".join(_value_words(item) for item in value)
    return str(value)


def audit_list_for_staff(membership, params):
    """The audit trail page as filtered and sorted (`filterset.qs`): the filters offer the organisation's
    staff, every action the code records, and the object types present in the trail."""
    from django.contrib.auth import get_user_model

    from .filters import AuditFilter

    organisation = membership.organisation_id
    actions, object_types = filter_choices(organisation)
    staff = (
        get_user_model()
        .objects.filter(organisation=organisation, membership__isnull=False)
        .order_by("last_name", "email")
    )
    return AuditFilter(
        params,
        queryset=AuditEntry.objects.filter(organisation=organisation).select_related("actor"),
        actors=[(user.pk, user.get_full_name() or user.email) for user in staff],
        actions=actions,
        object_types=object_types,
    )
