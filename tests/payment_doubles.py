"""Fixtures starting the local PayFiP and PayZen doubles (ribambelle.payments.doubles) and
pointing the settings to them; helpers acting as the family's browser at the provider."""

import http.client
from urllib.parse import urlencode, urlsplit

import pytest

from ribambelle.payments.doubles.payfip import PayFiPDouble
from ribambelle.payments.doubles.payzen import PayzenDouble

PAYZEN_SITE = "12345678"
PAYZEN_KEY = "cle-de-test-payzen"


@pytest.fixture
def payfip_double(settings):
    double = PayFiPDouble().start()
    settings.PAYFIP_WSDL_URL = double.wsdl_url
    settings.PAYFIP_PAYMENT_URL = double.payment_url
    yield double
    double.stop()


@pytest.fixture
def payzen_double(settings):
    double = PayzenDouble().start()
    double.shops[PAYZEN_SITE] = PAYZEN_KEY
    settings.PAYZEN_SERVICE_URL = double.service_url
    yield double
    double.stop()


def http_request(method: str, url: str, data: dict | None = None) -> tuple[int, str, str]:
    """One request as a browser sends it, without following redirects: (status, Location, body)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    body = urlencode(data) if data is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    result = (response.status, response.getheader("Location", ""), response.read().decode("utf-8", "replace"))
    connection.close()
    return result


def local_path(url: str) -> str:
    """The path and query of one of our own addresses, for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
