"""Entering an organisation's scope outside a web request (tasks, commands, sweeps).

Tenant models refuse to query outside a scope (`core.models.tenant_manager`). A web request
gets its scope from the organisation middleware; everything else enters it here, so the
rule "one organisation at a time" holds for workers and commands too.
"""

from django_scopes import scope, scopes_disabled


def organisation_id_of(model, pk) -> int | None:
    """The organisation owning one tenant row, or None if the row is gone.

    A task receives only an id: reading that row's organisation is the one query that must
    run before any scope exists, hence scopes disabled here and nowhere else in the task.
    """
    with scopes_disabled():
        return model.objects.filter(pk=pk).values_list("organisation_id", flat=True).first()


def for_each_organisation(job) -> int:
    """Run a platform-wide sweep (due e-mails, expired offers, reminders) once per
    organisation, inside that organisation's scope; returns the sum of what each run counted.

    A sweep is the one kind of code that legitimately spans organisations: rather than
    disabling scopes, it visits them one by one, so each run sees a single tenant's rows.
    """
    from ribambelle.tenancy.models import Organisation

    total = 0
    for organisation in Organisation.objects.order_by("pk"):
        with scope(organisation=organisation):
            total += job()
    return total
