"""The outbox moved to `ribambelle.outbox` (below every app); kept so older imports still work."""

from ribambelle.outbox.services import deliver, deliver_due_emails, queue_email

__all__ = ["deliver", "deliver_due_emails", "queue_email"]
