"""Behind the balancer: the client's address comes from X-Forwarded-For only when the request
comes from a trusted proxy (TRUSTED_PROXIES); HTTPS is known from X-Forwarded-Proto."""

import pytest
from django.test import Client, RequestFactory

from ribambelle.accounts.models import ActivityLog
from ribambelle.core.proxy import ForwardedClientMiddleware, client_ip

from .conftest import login_data
from .factories import PASSWORD

BALANCER = "127.0.0.1"


def _seen(settings, remote, forwarded=None, proto=None):
    factory = RequestFactory()
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    if proto is not None:
        extra["HTTP_X_FORWARDED_PROTO"] = proto
    request = factory.get("/", **extra)
    ForwardedClientMiddleware(lambda r: None)(request)
    return request


def test_without_trusted_proxies_remote_addr_is_the_client(settings):
    settings.TRUSTED_PROXIES = []
    request = _seen(settings, "203.0.113.9", forwarded="198.51.100.1")
    assert client_ip(request) == "203.0.113.9"


@pytest.mark.parametrize(
    "remote, forwarded, expected",
    [
        (BALANCER, "198.51.100.7", "198.51.100.7"),
        # The client sent its own X-Forwarded-For: the balancer appended the real address.
        (BALANCER, "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        # Two trusted hops (balancer then a local proxy): the right-most untrusted one.
        (BALANCER, "198.51.100.7, 10.0.0.5", "198.51.100.7"),
        (BALANCER, "[2001:db8::1]:4711", "2001:db8::1"),
        (BALANCER, "", BALANCER),
        (BALANCER, "pas-une-adresse", BALANCER),
        # Not from the balancer: the header is ignored (anyone can send it).
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),
    ],
)
def test_forwarded_for_is_believed_only_from_a_trusted_proxy(settings, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = [BALANCER, "10.0.0.0/24"]
    request = _seen(settings, remote, forwarded=forwarded)
    assert client_ip(request) == expected
    assert request.META["REMOTE_ADDR"] == expected


def test_https_is_known_only_from_the_balancer(settings):
    settings.TRUSTED_PROXIES = [BALANCER]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert _seen(settings, BALANCER, "198.51.100.7", proto="https").is_secure()
    assert not _seen(settings, "203.0.113.9", proto="https").is_secure()


def test_secure_proxy_ssl_header_comes_from_the_environment(tmp_path):
    import os
    import subprocess
    import sys

    from .test_settings import ROOT

    env = {
        **os.environ,
        "RIBAMBELLE_VAR_DIR": str(tmp_path),
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_SCHEME,https",
        "TRUSTED_PROXIES": "127.0.0.1, 10.1.0.0/16",
    }
    code = (
        "import django;django.setup();from django.conf import settings as s;"
        "print(s.SECURE_PROXY_SSL_HEADER, s.TRUSTED_PROXIES)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "ribambelle.config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "('HTTP_X_SCHEME', 'https') ['127.0.0.1', '10.1.0.0/16']" in out.stdout, out.stderr


def _post_login(tenant, email, password, client_address):
    client = Client(REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=client_address)
    return client.post(tenant.url("connexion/"), login_data(email, password))


def test_lockout_is_per_client_address_behind_the_balancer(tenant_a, settings):
    """Five failures from one family's address lock that address, not every family behind the balancer."""
    settings.TRUSTED_PROXIES = [BALANCER]
    email = tenant_a.family_user.email
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login(tenant_a, email, "Mauvais-1234", "198.51.100.7")
    assert _post_login(tenant_a, email, PASSWORD, "198.51.100.7").status_code == 429
    # The same account from another address (the parent at home) still logs in.
    assert _post_login(tenant_a, email, PASSWORD, "203.0.113.20").status_code == 302
    # The activity log records the client's address, not the balancer's.
    addresses = set(ActivityLog.objects.filter(family=tenant_a.family_user.family).values_list("ip_address", flat=True))
    assert "198.51.100.7" in addresses and BALANCER not in addresses


def test_without_trust_every_family_would_share_the_balancer_address(tenant_a, settings):
    """Why TRUSTED_PROXIES matters: untrusted, all requests look as if from the balancer."""
    settings.TRUSTED_PROXIES = []
    email = tenant_a.family_user.email
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login(tenant_a, email, "Mauvais-1234", "198.51.100.7")
    assert _post_login(tenant_a, email, PASSWORD, "203.0.113.20").status_code == 429
