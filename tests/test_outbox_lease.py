"""The outbox's claim: a lease per worker, a stable Message-ID. The sweep never re-sends a message
whose worker is still within its lease (a password-reset link used to arrive twice when the
10-minute rule fired), a dead worker's message is due again once its lease runs out, and a worker
paused past its lease sends nothing."""

from datetime import timedelta
from unittest import mock

import time_machine
from django.core import mail
from django.utils import timezone

from ribambelle.outbox import services
from ribambelle.outbox.models import EmailStatus, OutgoingEmail

from .test_outbox import _queue


def test_every_message_has_a_stable_message_id(tenant_a, django_capture_on_commit_callbacks):
    email = _queue(tenant_a.organisation, django_capture_on_commit_callbacks)
    assert email.message_id.startswith("<") and email.message_id.endswith("@ribambelle.localhost>")
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("refusé")):
        assert services.deliver(email.pk) == EmailStatus.RETRYING
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert services.deliver(email.pk) == EmailStatus.SENT
    assert mail.outbox[-1].extra_headers["Message-ID"] == email.message_id
    email.refresh_from_db()
    assert email.claim_token == "" and email.lease_until is None and email.attempts == 2


def test_the_sweep_leaves_a_message_within_its_lease(tenant_a, django_capture_on_commit_callbacks, settings):
    settings.OUTBOX_LEASE_SECONDS = 15 * 60  # a slow send, longer than the old 10-minute rule
    email = _queue(tenant_a.organisation, django_capture_on_commit_callbacks)
    claimed = services._claim(email.pk)
    assert claimed.status == EmailStatus.SENDING and claimed.claim_token
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert services.deliver_due_emails() == 0  # the old rule re-sent it here
    assert mail.outbox == []
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):  # its worker is dead
        assert services.deliver_due_emails() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].extra_headers["Message-ID"] == email.message_id


def test_a_worker_paused_past_its_lease_sends_nothing(tenant_a, django_capture_on_commit_callbacks, settings):
    email = _queue(tenant_a.organisation, django_capture_on_commit_callbacks)
    real_claim = services._claim
    paused = []

    def paused_claim(email_id):
        mine = real_claim(email_id)
        if not paused:  # the first worker stops here; its lease runs out; another one sends it
            paused.append(mine)
            with time_machine.travel(timezone.now() + services._lease() + timedelta(seconds=1)):
                assert services.deliver(email_id) == EmailStatus.SENT
        return mine

    with mock.patch.object(services, "_claim", paused_claim):
        assert services.deliver(email.pk) == "skipped"
    assert len(mail.outbox) == 1
    assert OutgoingEmail.objects.get(pk=email.pk).status == EmailStatus.SENT


def test_a_message_claimed_before_leases_existed_is_due_after_ten_minutes(tenant_a, django_capture_on_commit_callbacks):
    email = _queue(tenant_a.organisation, django_capture_on_commit_callbacks)
    OutgoingEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SENDING, message_id="", lease_until=None)
    assert services.deliver_due_emails() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert services.deliver_due_emails() == 1
    assert OutgoingEmail.objects.get(pk=email.pk).message_id  # given one at its claim
