"""The outbox against a real SMTP server (aiosmtpd): a mail server that is down delays
mail, never loses it, and each message is delivered exactly once."""

from email import message_from_bytes
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone

from ribambelle.communication.models import EmailStatus, OutgoingEmail
from ribambelle.outbox.services import deliver, deliver_due_emails, queue_email

from .conftest import client_for
from .factories import InvoiceLineFactory
from .mailserver import Recorder, free_port


@pytest.fixture
def smtp(settings):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 5
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    yield controller, recorder
    if getattr(controller, "_thread", None) is not None:
        controller.stop()


def _queue(organisation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return queue_email(
            organisation=organisation,
            to="parent@famille.example",
            template="password_changed",
            context={
                "user": type("U", (), {"first_name": "Julie", "email": "parent@famille.example"})(),
                "when": timezone.now(),
            },
        )


def test_mail_queued_while_server_is_down_is_delivered_exactly_once_when_it_is_back(
    tenant_a, smtp, django_capture_on_commit_callbacks
):
    controller, recorder = smtp
    email = _queue(tenant_a.organisation, django_capture_on_commit_callbacks)

    # The server is down: the attempt fails, the message waits with a retry time.
    assert deliver(email.pk) == EmailStatus.RETRYING
    email.refresh_from_db()
    assert email.status == EmailStatus.RETRYING and email.attempts == 1
    assert "Connection" in email.last_error or "refused" in email.last_error.lower()
    assert email.next_attempt_at > timezone.now()
    assert deliver_due_emails() == 0  # not due yet: the back-off is respected

    controller.start()
    OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    assert deliver_due_emails() == 1
    assert deliver_due_emails() == 0
    assert deliver(email.pk) == "skipped"
    assert len(recorder.messages) == 1

    envelope = recorder.messages[0]
    assert envelope.rcpt_tos == ["parent@famille.example"]
    message = message_from_bytes(envelope.original_content, policy=email_policy.default)
    assert tenant_a.organisation.name in str(message["From"])
    assert message.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= parts
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.attempts == 2 and email.sent_at


def test_the_invoice_email_carries_its_pdf_built_when_sent(tenant_a, smtp, django_capture_on_commit_callbacks):
    """The outbox stores what to join, not the file: the worker builds the invoice's PDF (in French)
    at sending time; a file that cannot be built is retried with its message, never dropped."""
    controller, recorder = smtp
    controller.start()
    line = InvoiceLineFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    invoice = line.invoice
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_email(
            organisation=tenant_a.organisation,
            to="parent@famille.example",
            template="invoice_issued",
            context={"invoice": invoice, "total": "42,50 €", "url": "http://exemple/"},
            enclosure=("invoice_pdf", invoice.pk),
        )
        orphan = queue_email(
            organisation=tenant_a.organisation,
            to="parent@famille.example",
            template="invoice_issued",
            context={"invoice": invoice, "total": "42,50 €", "url": "http://exemple/"},
            enclosure=("invoice_pdf", invoice.pk + 1000),
        )
    assert deliver(email.pk) == EmailStatus.SENT
    assert deliver(orphan.pk) == EmailStatus.RETRYING
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    message = message_from_bytes(recorder.messages[0].original_content, policy=email_policy.default)
    (pdf,) = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == f"facture-{invoice.number}.pdf"
    assert pdf.get_content().startswith(b"%PDF")
    assert "en pièce jointe" in message.get_body(("plain",)).get_content()
    orphan.refresh_from_db()
    assert orphan.status == EmailStatus.RETRYING and "DoesNotExist" in orphan.last_error
    assert len(recorder.messages) == 1


@pytest.mark.django_db(transaction=True)  # the worker opens and closes its own connections
def test_the_task_worker_sends_the_outbox(tenant_a, smtp, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "ribambelle.core.tasks_backend.DatabaseBackend"}}
    controller, recorder = smtp
    controller.start()
    email = _queue(tenant_a.organisation, django_capture_on_commit_callbacks)
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*", verbosity=0)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert len(recorder.messages) == 1


def test_a_failing_mail_server_never_breaks_a_request(tenant_a, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant_a.admin).post(
            tenant_a.url("gestion/equipe/inviter/"),
            {
                "email": "animatrice@cc-a.example",
                "first_name": "Zoé",
                "last_name": "Martin",
                "role": "agent",
            },
        )
    assert response.status_code == 302
    email = OutgoingEmail.objects.get(to="animatrice@cc-a.example")
    assert email.status == EmailStatus.RETRYING


def test_staff_see_the_outbox_with_status(tenant_a):
    from .factories import OutgoingEmailFactory

    OutgoingEmailFactory(
        organisation=tenant_a.organisation,
        subject="Votre facture",
        status=EmailStatus.RETRYING,
        last_error="ConnectionRefusedError",
    )
    page = client_for(tenant_a.admin).get(tenant_a.url("gestion/courriels/")).content.decode()
    assert "Votre facture" in page and "Nouvel essai prévu" in page


def test_periodic_command_sends_due_mail_and_expires_offers(tenant_a, settings, django_capture_on_commit_callbacks):
    from io import StringIO

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    email = _queue(tenant_a.organisation, django_capture_on_commit_callbacks)
    out = StringIO()
    call_command("periodic", stdout=out)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and "e-mails envoyés : 1" in out.getvalue()
