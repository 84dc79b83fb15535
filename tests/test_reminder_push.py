"""Web push of the reminders: the installed portal's subscription is kept per family, and the
reminder goes to a real HTTP push service (the local double of reminders/doubles.py) with a valid
VAPID signature and a payload only the subscribing browser can decrypt (RFC 8291)."""

import json
import os

import http_ece
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django_scopes import scope

from ribambelle.accounts.consent import record_consents
from ribambelle.reminders import push, services
from ribambelle.reminders.doubles import PushServiceDouble
from ribambelle.reminders.models import PushSubscription, ReminderSent

from .conftest import client_for, page_text
from .reminder_fixtures import NOW, make_ground

pytestmark = pytest.mark.django_db


class Browser:
    """What a browser holds for one subscription: its ECDH key pair and auth secret."""

    def __init__(self, endpoint: str):
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def to_json(self) -> dict:
        point = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": push.b64url(point), "auth": push.b64url(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.private, auth_secret=self.auth, version="aes128gcm"))


@pytest.fixture
def vapid(settings, tmp_path):
    keys = push.generate_keys()
    settings.WEBPUSH_VAPID_PRIVATE_KEY = keys.private_key
    settings.WEBPUSH_VAPID_PUBLIC_KEY = keys.public_key
    settings.WEBPUSH_VAPID_SUBJECT = "mailto:exploitation@ribambelle.example"
    return keys


@pytest.fixture
def push_service():
    with PushServiceDouble() as double:
        yield double


def _parent(tenant):
    record_consents(user=tenant.family_user, personal=True, health=False)
    return client_for(tenant.family_user)


def _post(client, tenant, data):
    return client.post(
        tenant.url("mon-compte/rappels/notifications/"), json.dumps(data), content_type="application/json"
    )


def _run_push_tasks():
    from django_tasks import default_task_backend

    for queued in list(default_task_backend.results):
        if queued.task.name.endswith("send_reminder_push"):
            queued.task.call(*queued.args, **queued.kwargs)
    default_task_backend.results.clear()


def test_the_reminder_arrives_encrypted_and_signed_at_the_push_service(
    tenant_a, vapid, push_service, django_capture_on_commit_callbacks
):
    ground = make_ground(tenant_a)
    browser = Browser(f"{push_service.url}/push/telephone-julie")
    response = _post(_parent(tenant_a), tenant_a, browser.to_json())
    assert response.status_code == 201, response.content
    assert PushSubscription.objects.get().family == ground.family

    with time_machine.travel(NOW, tick=False), scope(organisation=ground.organisation):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.send_due_reminders() == 1
    _run_push_tasks()

    (received,) = push_service.received
    assert push_service.refused == []
    assert received.path == "/push/telephone-julie"
    assert received.public_key == vapid.public_key  # the installation's key, checked against the JWT
    assert received.claims["aud"] == push_service.url and received.claims["sub"].startswith("mailto:")
    assert received.headers["content-encoding"] == "aes128gcm" and int(received.headers["ttl"]) > 0
    payload = browser.decrypt(received.body)
    assert payload["title"] == "Réservations à faire avant le 08/12 à 12:00"
    assert payload["body"] == "Léa : 1 jour(s) habituel(s) pas encore réservé(s)."
    assert payload["url"] == "/cc-a/reservations/"
    assert ReminderSent.objects.get().pushes == 1
    # Delivering again (a task run twice) sends nothing more.
    with scope(organisation=ground.organisation):
        assert services.deliver_pushes(ReminderSent.objects.get().pk) == 0
    assert len(push_service.received) == 1


def test_a_subscription_the_push_service_says_is_gone_is_forgotten(
    tenant_a, vapid, push_service, django_capture_on_commit_callbacks
):
    ground = make_ground(tenant_a)
    gone = Browser(f"{push_service.url}/push/gone-ancien-telephone")
    _post(_parent(tenant_a), tenant_a, gone.to_json())
    with time_machine.travel(NOW, tick=False), scope(organisation=ground.organisation):
        with django_capture_on_commit_callbacks(execute=True):
            services.send_due_reminders()
    _run_push_tasks()
    assert not PushSubscription.objects.exists()
    assert push_service.received == []


def test_the_double_checks_the_vapid_signature_and_audience(vapid, push_service):
    import time

    from py_vapid import Vapid

    from ribambelle.reminders.doubles import verify_vapid

    signer = Vapid.from_string(private_key=vapid.private_key)
    claims = {"aud": push_service.url, "sub": "mailto:a@b.example", "exp": int(time.time()) + 3600}
    header = signer.sign(dict(claims))["Authorization"]
    verified, key = verify_vapid(header, origin=push_service.url)
    assert verified["aud"] == push_service.url and key == vapid.public_key
    with pytest.raises(ValueError, match="aud"):
        verify_vapid(header, origin="http://autre.example")
    token = header.split("t=")[1].split(",")[0]
    head, _claims, signature = token.split(".")
    forged_claims = push.b64url(json.dumps({**claims, "sub": "mailto:pirate@x.example"}).encode())
    forged = header.replace(token, f"{head}.{forged_claims}.{signature}")
    with pytest.raises(ValueError, match="signature"):
        verify_vapid(forged, origin=push_service.url)


def test_the_subscription_endpoint_checks_what_it_receives(tenant_a, vapid):
    make_ground(tenant_a)
    client = _parent(tenant_a)
    browser = Browser("http://push.example.net/x")  # not https, not local
    response = _post(client, tenant_a, browser.to_json())
    assert response.status_code == 400 and "https" in response.json()["error"]
    browser = Browser("https://push.example.net/x")
    data = browser.to_json()
    data["keys"]["auth"] = "court"
    response = _post(client, tenant_a, data)
    assert response.status_code == 400 and "illisibles" in response.json()["error"]
    response = client.post(
        tenant_a.url("mon-compte/rappels/notifications/"), "pas du json", content_type="application/json"
    )
    assert response.status_code == 400
    assert not PushSubscription.objects.exists()


def test_a_family_cannot_remove_another_familys_phone(tenant_a, tenant_b, vapid):
    make_ground(tenant_a)
    browser = Browser("https://push.example.net/julie")
    assert _post(_parent(tenant_a), tenant_a, browser.to_json()).status_code == 201
    record_consents(user=tenant_a.other_family_user, personal=True, health=False)
    neighbour = client_for(tenant_a.other_family_user)
    response = _post(neighbour, tenant_a, {"action": "remove", "endpoint": browser.endpoint})
    assert response.status_code == 404
    assert PushSubscription.objects.count() == 1
    # Another organisation's family, on its own portal: nothing of ours there either.
    record_consents(user=tenant_b.family_user, personal=True, health=False)
    response = _post(client_for(tenant_b.family_user), tenant_b, {"action": "remove", "endpoint": browser.endpoint})
    assert response.status_code == 404
    assert PushSubscription.objects.count() == 1
    # The owner can.
    assert _post(_parent(tenant_a), tenant_a, {"action": "remove", "endpoint": browser.endpoint}).status_code == 200
    assert not PushSubscription.objects.exists()


def test_the_button_is_offered_only_with_keys_and_the_worker_shows_notifications(tenant_a, settings, vapid):
    make_ground(tenant_a)
    client = _parent(tenant_a)
    page = page_text(client.get(tenant_a.url("mon-compte/")))
    assert "Recevoir les rappels sur ce téléphone" in page
    assert f'data-key="{vapid.public_key}"' in page and 'id="rappels-push" hidden' in page
    settings.WEBPUSH_VAPID_PRIVATE_KEY = settings.WEBPUSH_VAPID_PUBLIC_KEY = ""
    settings.WEBPUSH_VAPID_FILE = "/nonexistent/vapid.json"
    assert "Recevoir les rappels sur ce téléphone" not in page_text(client.get(tenant_a.url("mon-compte/")))
    worker = client.get(tenant_a.url("notifications-sw.js"))
    assert worker["Content-Type"].startswith("text/javascript")
    body = worker.content.decode()
    assert 'addEventListener("push"' in body and "showNotification" in body and 'SCOPE = "/cc-a/"' in body


def test_the_vapid_keys_command_writes_the_installations_keys(settings, tmp_path):
    from django.core.management import call_command

    settings.WEBPUSH_VAPID_PRIVATE_KEY = settings.WEBPUSH_VAPID_PUBLIC_KEY = ""
    settings.WEBPUSH_VAPID_FILE = str(tmp_path / "vapid.json")
    call_command("vapid_keys")
    keys = push.vapid_keys()
    assert keys is not None and len(push.b64url_decode(keys.public_key)) == 65
    call_command("vapid_keys")  # kept: subscriptions made with them stay valid
    assert push.vapid_keys() == keys


def _account_queries(client, tenant) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(tenant.url("mon-compte/")).status_code == 200
    return len(queries)


def test_mon_compte_costs_the_same_whatever_the_number_of_phones(tenant_a, vapid, django_assert_num_queries):
    make_ground(tenant_a)
    client = _parent(tenant_a)
    _post(client, tenant_a, Browser("https://push.example.net/1").to_json())
    one = _account_queries(client, tenant_a)
    # measured: the page's own reads, the reminders' (settings, opt-out, phones) and FranceConnect's
    # (its settings, the linked identities); the same below with five phones
    assert one == 9
    for index in range(2, 6):
        _post(client, tenant_a, Browser(f"https://push.example.net/{index}").to_json())
    with django_assert_num_queries(one):
        page = page_text(client.get(tenant_a.url("mon-compte/")))
    assert "sur 5 appareils" in page
