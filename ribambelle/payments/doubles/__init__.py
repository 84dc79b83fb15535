"""Local doubles of the online payment services we cannot reach from tests or the demo.

Each is a small real HTTP server speaking the provider's documented protocol (PayFiP's SOAP
web service and payment page, PayZen's signed form), started in a thread by the tests
(fixtures in tests/conftest_payments.py) and by `manage.py payment_doubles` for the demo.
Point the settings PAYFIP_WSDL_URL / PAYFIP_PAYMENT_URL / PAYZEN_SERVICE_URL to them."""
