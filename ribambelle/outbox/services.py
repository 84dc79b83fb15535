"""The e-mail outbox: queue now, deliver after commit, retry until delivered."""

import logging
from datetime import timedelta
from email.utils import formataddr, make_msgid
from uuid import uuid4

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from ribambelle.core.actions import one_statement, step_by_step
from ribambelle.core.db import retry_on_lost_connection
from ribambelle.core.observability import current_request_id

from . import enclosures
from .models import EmailStatus, EmailTemplateOverride, OutgoingEmail

logger = logging.getLogger(__name__)

# Back-off between attempts: 1 min, 5 min, 15 min, 1 h, then every 4 h. A message is
# given up (FAILED, visible to staff) only after two days of refusals.
RETRY_DELAYS = [timedelta(minutes=m) for m in (1, 5, 15, 60)] + [timedelta(hours=4)]
MAX_ATTEMPTS = 16
# A row left in SENDING this long, claimed before leases existed, belongs to a worker that died.
STALE_SENDING = timedelta(minutes=10)
# Patience when the database goes away just after the mail server accepted a message: the
# record "sent" is retried for about a minute (2 + 4 + … + 14 s) before the lease may run out.
MARK_SENT_ATTEMPTS, MARK_SENT_PAUSE = 8, 2.0


def _lease() -> timedelta:
    """How long a claimed message belongs to its worker (OUTBOX_LEASE_SECONDS): longer than a send
    (EMAIL_TIMEOUT per SMTP step) and the "sent" record's retries; past it, the worker is taken
    for dead and the message is due again."""
    return timedelta(seconds=getattr(settings, "OUTBOX_LEASE_SECONDS", 180))


def _new_message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "ribambelle.localhost"
    return make_msgid(idstring="ribambelle", domain=domain)


def _due(now) -> Q:
    return (
        Q(status__in=[EmailStatus.QUEUED, EmailStatus.RETRYING], next_attempt_at__lte=now)
        | Q(status=EmailStatus.SENDING, lease_until__lt=now)
        | Q(status=EmailStatus.SENDING, lease_until__isnull=True, updated_at__lt=now - STALE_SENDING)
    )


@one_statement
def queue_email(
    *,
    organisation,
    to: str,
    template: str,
    context: dict,
    user=None,
    family=None,
    reply_to: str | None = None,
    enclosure: tuple[str, int] | None = None,
) -> OutgoingEmail:
    """Render `templates/emails/<template>.{subject.txt,txt,html}` and put the message in the outbox.

    Delivery is scheduled for after the surrounding transaction commits, so a
    rolled-back action sends nothing and a slow mail server never holds a request.
    When the organisation has reworded this e-mail (EmailTemplateOverride), its wording
    is used, filled by the restricted substitution of `templating`; the files stay the
    default. `enclosure` = (kind, object id): a file built and joined at sending time
    (see outbox.enclosures).
    """
    from .templating import EMAIL_KINDS, render_email, render_override

    context = {"organisation": organisation, "site_url": settings.SITE_URL, **context}
    override = None
    if template in EMAIL_KINDS:
        override = EmailTemplateOverride.objects.filter(organisation=organisation, template=template).first()
    # E-mails are written in French (the spec), whatever language the requester reads the site in:
    # lazy labels in the context are evaluated here, under the same language.
    with translation.override(settings.LANGUAGE_CODE):
        if override is not None:
            rendered = render_override(
                EMAIL_KINDS[template], subject=override.subject, body=override.body, context=context
            )
        else:
            rendered = render_email(template, context)
    email = OutgoingEmail.objects.create(
        organisation=organisation,
        template=template,
        to=to,
        from_name=organisation.name,
        reply_to=reply_to if reply_to is not None else organisation.contact_email,
        subject=rendered.subject[:250],
        body_text=rendered.text,
        body_html=rendered.html,
        user=user,
        family=family,
        enclosure_kind=enclosure[0] if enclosure else "",
        enclosure_id=enclosure[1] if enclosure else None,
        message_id=_new_message_id(),
    )
    request_id = current_request_id()  # the worker's log lines carry the id of the request that queued it
    transaction.on_commit(lambda: _enqueue_delivery(email.pk, request_id=request_id))
    return email


def _enqueue_delivery(email_id: int, run_after=None, request_id: str | None = None) -> None:
    from .tasks import deliver_email

    try:
        task = deliver_email.using(run_after=run_after) if run_after else deliver_email
        task.enqueue(email_id, request_id=request_id if request_id is not None else current_request_id())
    except Exception:  # noqa: BLE001 - the row stays due; deliver_due_emails picks it up
        logger.exception("Could not enqueue delivery of e-mail %s", email_id)


def _claim(email_id: int) -> OutgoingEmail | None:
    """Atomically move a due message to SENDING under this worker's token and lease, so two
    workers never send it at once; a message whose lease ran out (its worker died) is due again."""
    now = timezone.now()
    token = uuid4().hex
    claimed = OutgoingEmail.objects.filter(_due(now), pk=email_id).update(
        status=EmailStatus.SENDING, claim_token=token, lease_until=now + _lease(), updated_at=now
    )
    if not claimed:
        return None
    email = OutgoingEmail.objects.select_related("organisation").get(pk=email_id)
    if not email.message_id:  # queued before Message-IDs were stored: fixed now, for every attempt
        email.message_id = _new_message_id()
        OutgoingEmail.objects.filter(pk=email_id, claim_token=token).update(message_id=email.message_id)
    return email


def _still_ours(email: OutgoingEmail) -> bool:
    """Just before the send: the claim is this worker's and its lease has not run out (a worker
    paused past its lease finds another one took the message over, and sends nothing)."""
    return OutgoingEmail.objects.filter(
        pk=email.pk, claim_token=email.claim_token, lease_until__gt=timezone.now()
    ).exists()


@step_by_step
def deliver(email_id: int) -> str:
    """Try to send one message. Returns its status afterwards. Idempotent."""
    email = _claim(email_id)
    if email is None:
        return "skipped"
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=formataddr((email.from_name, settings.DEFAULT_FROM_EMAIL)),
        to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers={"Auto-Submitted": "auto-generated", "X-Ribambelle-Id": str(email.pk), "Message-ID": email.message_id},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    try:
        if email.enclosure_kind:  # built here, inside the try: a failure is retried like a refused send
            enclosure = enclosures.build(email.enclosure_kind, email.enclosure_id, email.organisation_id)
            message.attach(enclosure.filename, enclosure.content, enclosure.mimetype)
        if not _still_ours(email):
            logger.warning("E-mail %s: lease lost before sending, left to the worker that holds it", email.pk)
            return "skipped"
        message.send()
    except Exception as exc:  # noqa: BLE001 - any failure of the mail server means "try later"
        attempts = email.attempts + 1
        delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
        status = EmailStatus.FAILED if attempts >= MAX_ATTEMPTS else EmailStatus.RETRYING
        next_at = timezone.now() + delay
        OutgoingEmail.objects.filter(pk=email.pk, claim_token=email.claim_token).update(
            status=status,
            claim_token="",
            lease_until=None,
            attempts=attempts,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=next_at,
            updated_at=timezone.now(),
        )
        logger.warning("E-mail %s not delivered (attempt %s): %s", email.pk, attempts, exc)
        if status == EmailStatus.RETRYING:
            _enqueue_delivery(email.pk, run_after=next_at)
        return status
    # The server accepted the message: record it at once, under our claim, patiently if the database
    # went away, or the row, left in SENDING, would be sent again once its lease runs out.
    sent_at = timezone.now()
    recorded = retry_on_lost_connection(
        lambda: OutgoingEmail.objects.filter(pk=email.pk, claim_token=email.claim_token).update(
            status=EmailStatus.SENT,
            attempts=email.attempts + 1,
            sent_at=sent_at,
            last_error="",
            claim_token="",
            lease_until=None,
            updated_at=sent_at,
        ),
        attempts=MARK_SENT_ATTEMPTS,
        pause=MARK_SENT_PAUSE,
    )
    if not recorded:
        logger.warning("E-mail %s sent after its lease ran out: another worker may have sent it too", email.pk)
    logger.info("E-mail %s accepted by the mail server (%s)", email.pk, email.message_id)
    return EmailStatus.SENT


@step_by_step
def deliver_due_emails(limit: int = 500) -> int:
    """Sweep: send every message that is due, whatever happened to its task. Returns how many were sent."""
    now = timezone.now()
    due_ids = list(
        OutgoingEmail.objects.filter(_due(now)).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )
    return sum(1 for email_id in due_ids if deliver(email_id) == EmailStatus.SENT)
