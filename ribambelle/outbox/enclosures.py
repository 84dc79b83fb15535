"""Files joined to outgoing e-mails, built when the message is sent.

The outbox records what to join (a kind and an object id), not the file itself: an issued invoice
never changes, so its PDF is made again by the worker at sending time. The outbox stays small, a
mail server down for a day delays the file with its message, and nothing is lost.

Apps register their kinds at start-up (billing: "invoice_pdf").
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Enclosure:
    filename: str
    content: bytes
    mimetype: str


# builder(object_id, organisation_id): the object is looked up within the e-mail's organisation.
BUILDERS: dict[str, Callable[[int, int], Enclosure]] = {}


def register(kind: str, builder: Callable[[int, int], Enclosure]) -> None:
    BUILDERS[kind] = builder


def build(kind: str, object_id: int, organisation_id: int) -> Enclosure:
    return BUILDERS[kind](object_id, organisation_id)
