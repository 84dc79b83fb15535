from django_scopes import scope
from django_tasks import task

from ribambelle.core.observability import bound_request_id
from ribambelle.core.scoping import for_each_organisation, organisation_id_of

from . import services
from .models import OutgoingEmail


@task()
def deliver_email(email_id: int, request_id: str = "") -> str:
    with bound_request_id(request_id):  # the id of the request that queued it, on every log line
        organisation_id = organisation_id_of(OutgoingEmail, email_id)
        if organisation_id is None:
            return "skipped"  # as `deliver` answers for a message it cannot claim
        with scope(organisation=organisation_id):
            return services.deliver(email_id)


@task()
def deliver_due_emails() -> int:
    return for_each_organisation(services.deliver_due_emails)
