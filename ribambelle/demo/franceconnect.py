"""Demo of FranceConnect login (issue 18): Quercy offers "S'identifier avec FranceConnect", wired to
the local double `manage.py payment_doubles` serves (FRANCECONNECT_DOUBLE_PORT, 8904 by default).

At the double, the test identity "Julie MARTIN" carries the e-mail of the demo parent
(julie.martin@famille.example): after "Se connecter", Ribambelle offers to link it to her account
(the confirmed e-mail match), once; then FranceConnect alone opens her Espace Famille.
"Angela Claire Louise DUBOIS" (FranceConnect's own sandbox identity) matches no account: she is
asked to log in once with an e-mail and password to link."""

from django.conf import settings

CLIENT_ID = "ribambelle-demo-quercy"
CLIENT_SECRET = "secret-de-demonstration-franceconnect-quercy"  # the double's, never a real one


def load(quercy) -> None:
    from ribambelle.core import crypto
    from ribambelle.franceconnect.models import FranceConnectSettings

    FranceConnectSettings.objects.update_or_create(
        organisation=quercy,
        defaults={
            "enabled": True,
            "base_url": f"http://127.0.0.1:{settings.FRANCECONNECT_DOUBLE_PORT}/api/v2",
            "client_id": CLIENT_ID,
            "client_secret_encrypted": crypto.encrypt(CLIENT_SECRET),
            "client_secret_hint": CLIENT_SECRET[-4:],
            "request_qf_scopes": True,
        },
    )
