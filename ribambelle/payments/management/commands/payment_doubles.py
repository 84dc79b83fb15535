"""`manage.py payment_doubles`: serve the local doubles of the outside services for the demo
(`make run` starts it) until interrupted: PayFiP and PayZen on PAYMENT_DOUBLES_PORT and the next
port, FranceConnect on FRANCECONNECT_DOUBLE_PORT, and API Particulier (quotient familial CAF /
MSA) on API_PARTICULIER_DOUBLE_PORT."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django_scopes import scopes_disabled

from ribambelle.apiparticulier.doubles import ApiParticulierDouble
from ribambelle.franceconnect.double import FranceConnectDouble
from ribambelle.payments.doubles.payfip import PayFiPDouble
from ribambelle.payments.doubles.payzen import PayzenDouble


class Command(BaseCommand):
    help = "Doubles locaux de PayFiP, PayZen, FranceConnect et API Particulier (démonstration, jamais en production)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.PAYMENT_DOUBLES_PORT)
        parser.add_argument("--franceconnect-port", type=int, default=settings.FRANCECONNECT_DOUBLE_PORT)

    def handle(self, *args, port: int, franceconnect_port: int, **options):
        if getattr(settings, "PRODUCTION", False):
            self.stderr.write("Les doubles des services extérieurs ne tournent jamais en production.")
            return
        payfip = PayFiPDouble(port=port).start()
        payzen = PayzenDouble(port=port + 1).start()
        franceconnect = FranceConnectDouble(port=franceconnect_port).start()
        api = ApiParticulierDouble(port=settings.API_PARTICULIER_DOUBLE_PORT).start()
        self.stdout.write(
            f"Double PayFiP : {payfip.url} · double PayZen : {payzen.url} · double FranceConnect : "
            f"{franceconnect.base_url} · double API Particulier : {api.url}"
        )
        try:
            while True:
                self._load_shops(payzen)
                self._load_franceconnect_clients(franceconnect)
                time.sleep(5)
        except KeyboardInterrupt:
            pass
        finally:
            payfip.stop()
            payzen.stop()
            franceconnect.stop()
            api.stop()

    @staticmethod
    def _load_shops(payzen: PayzenDouble) -> None:
        """The PayZen shops configured in the back office (their test keys), read again now and then."""
        from ribambelle.payments.models import ProviderConfig

        with scopes_disabled():  # a platform-wide helper of the demo, reading one setting per organisation
            for options in ProviderConfig.objects.filter(kind="payzen").values_list("options", flat=True):
                if options.get("vads_site_id") and options.get("secret_test"):
                    payzen.shops[options["vads_site_id"]] = options["secret_test"]

    @staticmethod
    def _load_franceconnect_clients(double: FranceConnectDouble) -> None:
        """The FranceConnect clients configured against this double (their secrets), read again now and then."""
        from ribambelle.franceconnect.models import FranceConnectSettings

        with scopes_disabled():  # a platform-wide helper of the demo, reading one setting per organisation
            for fc in FranceConnectSettings.objects.filter(base_url__startswith=double.url):
                if fc.client_id and fc.client_secret:
                    double.clients[fc.client_id] = fc.client_secret
