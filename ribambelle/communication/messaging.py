"""Writes for messages between families and structures ("Envoyer un message")."""

from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ribambelle.accounts.services import log_family_action
from ribambelle.core.actions import action, one_statement
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit
from ribambelle.families.models import Family
from ribambelle.families.recipients import family_recipients
from ribambelle.outbox.services import queue_email

from .attachments import PreparedAttachment, prepare_attachment
from .models import Message, MessageThread, ThreadStatus

# Abuse guard: a family writes at most this many messages per rolling hour. Counted
# from the stored messages themselves, so it holds across processes and restarts.
MESSAGES_PER_HOUR = 5


def _check_rate(family: Family) -> None:
    since = timezone.now() - timedelta(hours=1)
    sent = Message.objects.filter(
        organisation_id=family.organisation_id, family=family, from_staff=False, created_at__gte=since
    ).count()
    if sent >= MESSAGES_PER_HOUR:
        raise DomainError(
            _(
                "Vous avez déjà envoyé %(max)s messages en moins d'une heure : pour éviter les abus, "
                "attendez un peu avant d'en envoyer un autre. En cas d'urgence, appelez la structure "
                "(ses numéros sont dans l'onglet « Contact »)."
            )
            % {"max": MESSAGES_PER_HOUR}
        )


# What _clean_text says when a text is missing or too long, one whole sentence each.
TEXT_ERRORS = {
    "subject": (
        gettext_lazy("Indiquez l'objet du message."),
        gettext_lazy("L'objet du message ne doit pas dépasser %(max)s caractères."),
    ),
    "body": (
        gettext_lazy("Indiquez le contenu du message."),
        gettext_lazy("Le contenu du message ne doit pas dépasser %(max)s caractères."),
    ),
    "reply": (
        gettext_lazy("Indiquez le texte de la réponse."),
        gettext_lazy("Le texte de la réponse ne doit pas dépasser %(max)s caractères."),
    ),
}


def _clean_text(value: str, *, what: str, max_length: int) -> str:
    missing, too_long = TEXT_ERRORS[what]
    value = (value or "").replace("\r\n", "\n").strip()
    if not value:
        raise DomainError(str(missing))
    if len(value) > max_length:
        raise DomainError(too_long % {"max": max_length})
    return value


def _add_message(
    *, thread: MessageThread, author, from_staff: bool, body: str, attachment: PreparedAttachment | None = None
) -> Message:
    message = Message(
        organisation_id=thread.organisation_id,
        thread=thread,
        family_id=thread.family_id,
        author=author,
        from_staff=from_staff,
        body=body,
    )
    if attachment is not None:
        message.attachment_name = attachment.name
        message.attachment_type = attachment.content_type
        message.attachment_size = len(attachment.content)
        extension = attachment.name.rsplit(".", 1)[-1]
        message.attachment.save(f"x.{extension}", ContentFile(attachment.content), save=False)
    message.save()
    thread.last_message_at = message.created_at
    return message


def _portal_url(organisation, name: str, **kwargs) -> str:
    return settings.SITE_URL + reverse(name, kwargs={"org_slug": organisation.slug, **kwargs})


def _notify_structure(thread: MessageThread, message: Message, author) -> None:
    structure = thread.structure
    to = structure.email or structure.organisation.contact_email
    if not to:
        return  # still in the back-office inbox
    queue_email(
        organisation=structure.organisation,
        to=to,
        template="structure_message",
        context={
            "thread": thread,
            "message": message,
            "author": author,
            "url": _portal_url(structure.organisation, "backoffice:message_thread", messagethread_id=thread.pk),
        },
        family=thread.family,
        reply_to=author.email if author is not None else None,
    )


@action
def send_message_to_structure(*, user, structure, subject: str, body: str, attachment=None, request=None):
    """A family writes to one of its organisation's active structures.

    Refused past MESSAGES_PER_HOUR messages in the last hour (checked with the family row
    locked, so parallel submissions cannot slip past the limit). The structure's address
    receives it through the outbox (the organisation's contact address if the structure
    has none); staff see it in the inbox either way.
    """
    family = user.family
    if structure.organisation_id != family.organisation_id or not structure.is_active:
        raise DomainError(_("Choisissez le destinataire dans la liste."), field="structure")
    subject = _clean_text(subject, what="subject", max_length=150)
    body = _clean_text(body, what="body", max_length=5000)
    if attachment is not None:
        attachment = prepare_attachment(attachment)  # before anything is written
    with transaction.atomic():
        Family.objects.select_for_update().filter(pk=family.pk).first()
        _check_rate(family)
        thread = MessageThread.objects.create(
            organisation_id=family.organisation_id, family=family, structure=structure, subject=subject
        )
        message = _add_message(thread=thread, author=user, from_staff=False, body=body, attachment=attachment)
        thread.save(update_fields=["last_message_at", "updated_at"])
        log_family_action(
            family=family,
            action="message_sent",
            data={"structure": structure.name, "subject": subject},
            user=user,
            request=request,
        )
        _notify_structure(thread, message, user)
    return thread


@action
def family_follow_up(*, user, thread: MessageThread, body: str, attachment=None, request=None) -> Message:
    """The family answers within an existing conversation; the thread goes back to "Nouveau"."""
    family = user.family
    if thread.family_id != family.pk:
        raise DomainError(_("Cette conversation n'est pas la vôtre."))
    body = _clean_text(body, what="body", max_length=5000)
    if attachment is not None:
        attachment = prepare_attachment(attachment)
    with transaction.atomic():
        Family.objects.select_for_update().filter(pk=family.pk).first()
        _check_rate(family)
        message = _add_message(thread=thread, author=user, from_staff=False, body=body, attachment=attachment)
        thread.status = ThreadStatus.NEW
        thread.save(update_fields=["last_message_at", "status", "updated_at"])
        log_family_action(
            family=family,
            action="message_sent",
            data={"structure": thread.structure.name, "subject": thread.subject},
            user=user,
            request=request,
        )
        _notify_structure(thread, message, user)
    return message


@action
def reply_to_family(*, thread: MessageThread, acting_user, body: str, handled: bool = True) -> Message:
    """Staff answer from the inbox: the family is e-mailed and sees it in "Mes messages"."""
    body = _clean_text(body, what="reply", max_length=5000)
    with transaction.atomic():
        message = _add_message(thread=thread, author=acting_user, from_staff=True, body=body)
        thread.status = ThreadStatus.HANDLED if handled else ThreadStatus.IN_PROGRESS
        thread.family_unread = True
        thread.save(update_fields=["last_message_at", "status", "family_unread", "updated_at"])
        record_audit(
            organisation=thread.organisation, actor=acting_user, action="message_reply", obj=thread, changes={}
        )
        log_family_action(
            family=thread.family,
            action="message_reply",
            data={"structure": thread.structure.name, "subject": thread.subject},
            user=acting_user,
        )
        # The family's conversation: every recipient of the family reads it in "Mes messages" too.
        for recipient in family_recipients(thread.family):
            queue_email(
                organisation=thread.organisation,
                to=recipient.email,
                template="message_reply",
                context={
                    "thread": thread,
                    "message": message,
                    "user": recipient,
                    "url": _portal_url(thread.organisation, "portail:message_thread", messagethread_id=thread.pk),
                },
                user=recipient.user,
                family=thread.family,
                reply_to=thread.structure.email or None,
            )
    return message


@action
def set_thread_status(*, thread: MessageThread, status: str, acting_user) -> MessageThread:
    if status not in ThreadStatus.values:
        raise DomainError(_("Choisissez un statut dans la liste."), field="status")
    if status != thread.status:
        old = thread.status
        thread.status = status
        thread.save(update_fields=["status", "updated_at"])
        record_audit(
            organisation=thread.organisation,
            actor=acting_user,
            action="update",
            obj=thread,
            changes={"status": {"old": old, "new": status}},
        )
    return thread


@one_statement
def mark_read_by_family(thread: MessageThread) -> None:
    if thread.family_unread:
        MessageThread.objects.filter(pk=thread.pk).update(family_unread=False)
        thread.family_unread = False
