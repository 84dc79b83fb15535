"""Fixtures starting the local FranceConnect double and configuring tenant A against it; a helper
acting as the parent's browser at the provider."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.cache import cache

from ribambelle.core import crypto
from ribambelle.franceconnect.double import FranceConnectDouble
from ribambelle.franceconnect.models import FranceConnectSettings

from .payment_doubles import http_request, local_path

CLIENT_ID = "ribambelle-test-client"
CLIENT_SECRET = "Tr3s-secret-client-franceconnect-QzW9"


@pytest.fixture
def fc_double():
    double = FranceConnectDouble().start()
    double.clients[CLIENT_ID] = CLIENT_SECRET
    cache.clear()
    yield double
    double.stop()
    cache.clear()


@pytest.fixture
def fc_settings(tenant_a, fc_double):
    return FranceConnectSettings.objects.create(
        organisation=tenant_a.organisation,
        enabled=True,
        base_url=fc_double.base_url,
        client_id=CLIENT_ID,
        client_secret_encrypted=crypto.encrypt(CLIENT_SECRET),
        client_secret_hint=CLIENT_SECRET[-4:],
    )


def authorize_params(client, tenant) -> dict:
    response = client.get(tenant.url("franceconnect/connexion/"))
    assert response.status_code == 302, response.content[:300]
    return dict(parse_qsl(urlsplit(response["Location"]).query))


def at_provider(double, params: dict, *, identity: str = "julie", action: str = "login") -> str:
    """The parent's choice on the double's page; returns where the provider sends the browser."""
    status, location, body = http_request(
        "POST", f"{double.base_url}/authorize", {**params, "identity": identity, "action": action}
    )
    assert status == 303, body
    return location


def franceconnect_login(client, double, tenant, *, identity: str = "julie", action: str = "login"):
    """ "S'identifier avec FranceConnect" → the double → back to Ribambelle's callback (its response)."""
    location = at_provider(double, authorize_params(client, tenant), identity=identity, action=action)
    return client.get(local_path(location))
