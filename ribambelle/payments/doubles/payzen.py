"""A local double of PayZen's payment form (the "vads_*" protocol): the shop's signed form
is posted by the browser to the double, which checks its signature, shows a page where the
family pays or is refused, then calls the shop's notification URL (vads_url_check,
server-to-server, POST) and sends the browser back to vads_url_return (GET), both with the
answer fields signed like PayZen signs them: the values of the vads_* fields sorted by name,
joined with "+", followed by "+" and the shop's key, then HMAC-SHA-256 (base64) with the key.

`shops` maps a vads_site_id to its test key (set by the tests and the demo)."""

import base64
import hashlib
import hmac
import html
from datetime import UTC, datetime
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from .server import DoubleServer, form, page, redirect

PAYMENT_PATH = "/vads-payment/"
# vads_result / vads_auth_result for each choice
CHOICES = {"payer": ("00", "00", "AUTHORISED"), "refuser": ("05", "05", "REFUSED"), "annuler": ("17", "", "ABANDONED")}


def sign(fields: dict, key: str) -> str:
    data = "+".join(str(fields[name]) for name in sorted(f for f in fields if f.startswith("vads_")))
    digest = hmac.new(key.encode(), f"{data}+{key}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class PayzenDouble(DoubleServer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shops: dict[str, str] = {}
        self.pending: dict[str, dict] = {}
        self.notify = True
        self.notifications: list[tuple[str, int]] = []

    @property
    def service_url(self) -> str:
        return self.url + PAYMENT_PATH

    def handle(self, method, path, query, body, headers):
        if path != PAYMENT_PATH or method != "POST":
            return 404, {"Content-Type": "text/plain"}, b"not found"
        data = form(body)
        if "choix" in data:
            return self._answer(data)
        key = self.shops.get(data.get("vads_site_id", ""))
        if key is None or not hmac.compare_digest(sign(data, key), data.get("signature", "")):
            return page("PayZen – erreur", "<p>Formulaire de paiement invalide (signature incorrecte).</p>")
        reference = f"{data['vads_trans_date']}_{data['vads_trans_id']}"
        with self.lock:
            self.pending[reference] = data
        amount = f"{int(data['vads_amount']) / 100:.2f}".replace(".", ",")
        buttons = "".join(
            f'<button type="submit" name="choix" value="{value}"{cls}>{label}</button>'
            for value, label, cls in (
                ("payer", "Payer", ' class="primary"'),
                ("refuser", "Carte refusée (simulation)", ""),
                ("annuler", "Annuler et revenir au site", ""),
            )
        )
        return page(
            "PayZen – paiement (simulation)",
            f"<p>Montant : <strong>{amount} €</strong></p>"
            f'<form method="post" action="{PAYMENT_PATH}">'
            f'<input type="hidden" name="reference" value="{html.escape(reference)}">{buttons}</form>',
        )

    def _answer(self, data: dict):
        request = self.pending.get(data.get("reference", ""))
        if request is None or data["choix"] not in CHOICES:
            return 400, {"Content-Type": "text/plain"}, b"paiement inconnu"
        result, auth_result, status = CHOICES[data["choix"]]
        answer = {k: v for k, v in request.items() if k.startswith("vads_") and not k.startswith("vads_url")}
        answer.update(
            vads_result=result,
            vads_auth_result=auth_result,
            vads_trans_status=status,
            vads_effective_amount=request["vads_amount"],
            vads_auth_number="3fb0de" if result == "00" else "",
            vads_effective_creation_date=datetime.now(UTC).strftime("%Y%m%d%H%M%S"),
            vads_hash=hashlib.sha256(data["reference"].encode()).hexdigest(),
        )
        answer["signature"] = sign(answer, self.shops[request["vads_site_id"]])
        encoded = urlencode(answer)
        if self.notify and request.get("vads_url_check"):
            self.send_notification(request["vads_url_check"], encoded, data["reference"])
        return_url = request.get("vads_url_return", "")
        separator = "&" if "?" in return_url else "?"
        return redirect(f"{return_url}{separator}{encoded}")

    def send_notification(self, url: str, encoded: str, reference: str = "") -> int:
        request = Request(url, data=encoded.encode(), method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urlopen(request, timeout=10) as response:  # noqa: S310 - our own test site
                status = response.status
        except OSError as exc:
            status = getattr(exc, "code", 0) or 0
        self.notifications.append((reference, status))
        return status


def start() -> PayzenDouble:
    return PayzenDouble().start()
