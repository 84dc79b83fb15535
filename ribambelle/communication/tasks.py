"""Task rows queued before the outbox moved name `ribambelle.communication.tasks.*`: they still resolve."""

from ribambelle.outbox.tasks import deliver_due_emails, deliver_email

__all__ = ["deliver_due_emails", "deliver_email"]
