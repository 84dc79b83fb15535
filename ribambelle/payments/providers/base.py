"""What every online payment provider module offers; the protocols come from eopayment."""

from dataclasses import dataclass, field
from decimal import Decimal

import eopayment

# What an answer says, in our words: paid, not final yet (pending), refused, cancelled by the
# family (or expired), or unreadable (error: nothing is changed).
PAID, PENDING, REFUSED, CANCELLED, ERROR = "paid", "pending", "refused", "cancelled", "error"
_RESULTS = {
    eopayment.PAID: PAID,
    eopayment.WAITING: PENDING,
    eopayment.RECEIVED: PENDING,
    eopayment.DENIED: REFUSED,
    eopayment.CANCELLED: CANCELLED,
    eopayment.EXPIRED: CANCELLED,
}


@dataclass
class Outcome:
    transaction_id: str
    result: str
    signed: bool
    amount: Decimal | None = None
    bank_data: dict = field(default_factory=dict)

    @property
    def paid(self) -> bool:
        return self.result == PAID


def _plain(value) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return value if isinstance(value, str) else str(value)


class Provider:
    kind = ""
    label = ""
    eopayment_kind = ""
    public_bodies = False  # PayFiP / TIPI: only for public bodies (DGFiP)
    # (option name, French label, secret?)
    options: list[tuple[str, str, bool]] = []

    def __init__(self, config, *, normal_return_url: str, automatic_return_url: str):
        self.config = config
        self.normal_return_url = normal_return_url
        self.automatic_return_url = automatic_return_url

    def backend_options(self) -> dict:
        options = {name: self.config.options.get(name, "") for name, _, _ in self.options}
        options.update(normal_return_url=self.normal_return_url, automatic_return_url=self.automatic_return_url)
        return options

    def backend(self):
        return eopayment.Payment(self.eopayment_kind, self.backend_options())

    def request_kwargs(self, *, amount: Decimal, email: str, orderid: str, subject: str) -> dict:
        return {"amount": amount, "email": email, "orderid": orderid, "subject": subject}

    def request(self, *, amount: Decimal, email: str, orderid: str, subject: str) -> tuple[str, str, object]:
        """(transaction id, "url" or "form", the URL or the eopayment Form to post)."""
        kwargs = self.request_kwargs(amount=amount, email=email, orderid=orderid, subject=subject)
        transaction_id, kind, data = self.backend().request(kwargs.pop("amount"), **kwargs)
        if kind == eopayment.URL:
            return transaction_id, "url", data
        if kind == eopayment.FORM:
            return transaction_id, "form", data
        raise NotImplementedError("Ce prestataire renvoie une réponse non prise en charge.")

    @classmethod
    def redirect_origins(cls) -> list[str]:
        """Origins our "Payer" form may be redirected to (the page's CSP form-action)."""
        return []

    def status(self, transaction) -> Outcome | None:
        """Ask the provider for the transaction's state (None: this provider cannot be asked)."""
        return None

    def response(self, query_string: str) -> Outcome:
        response = self.backend().response(query_string)
        return Outcome(
            transaction_id=response.order_id or response.transaction_id,
            result=_RESULTS.get(response.result, ERROR),
            signed=bool(response.signed),
            bank_data={k: _plain(v) for k, v in (response.bank_data or {}).items()},
        )
