"""The yearly renewal: one confirmation re-enrols the family's children in next year's activities."""

from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.core.actions import action
from ribambelle.core.exceptions import DomainError
from ribambelle.families.recipients import family_recipients
from ribambelle.outbox.services import queue_email
from ribambelle.registrations.services import request_registration

from .models import Renewal, RenewedRegistration
from .selectors import ItemState, renewal_offer


@action
def confirm_renewal(*, family, choices: list[tuple[int, int, int | None]], acting_user, request=None) -> Renewal | None:
    """Register each chosen (child id, next-year activity id, group id or None) through the
    ordinary registration service, so the window, age, capacity and validation rules of each
    activity apply unchanged (requested or accepted per activity). The rule of the renewal:
    a choice must be one the family's offer proposes (a child of this family, an exact
    equivalent of one of its current registrations); one already made is skipped, so sending
    the page twice changes nothing. All or nothing: a refused choice leaves every child as it
    was, with a message naming it. Returns None when there was nothing new to register."""
    offer = renewal_offer(family, include_health=False)
    planned = []
    for child_id, activity_id, group_id in choices:
        item = offer.find(child_id, activity_id)
        if item is None:
            raise DomainError(_("Cette activité n'est pas proposée à la réinscription pour cet enfant."))
        if item.state == ItemState.DONE:
            continue
        if item.state != ItemState.OPEN:
            raise DomainError(
                _("« %(activity)s » ne peut pas être choisie pour %(child)s.")
                % {"activity": item.activity.name, "child": item.previous.child.first_name}
            )
        group = item.group
        if group_id is not None:
            group = next((g for g in item.groups if g.pk == group_id), None)
            if group is None:
                raise DomainError(
                    _("Choisissez un groupe proposé pour %(child)s dans « %(activity)s ».")
                    % {"child": item.previous.child.first_name, "activity": item.activity.name}
                )
        planned.append((item, group))
    if not planned:
        return None
    renewal = Renewal.objects.create(
        organisation_id=family.organisation_id, family=family, school_year=offer.school_year, confirmed_by=acting_user
    )
    for item, group in planned:
        child = item.previous.child
        try:
            registration = request_registration.inner(
                child=child, activity=item.activity, group=group, acting_user=acting_user, request=request, notify=False
            )
        except DomainError as exc:
            raise DomainError(
                _("%(child)s, « %(activity)s » : %(error)s")
                % {"child": child.first_name, "activity": item.activity.name, "error": exc.message}
            ) from exc
        RenewedRegistration.objects.create(
            organisation_id=family.organisation_id, renewal=renewal, registration=registration, previous=item.previous
        )
    _notify(renewal, family)
    return renewal


def _notify(renewal: Renewal, family) -> None:
    from .selectors import renewed_registrations

    items = renewed_registrations(renewal)
    names = list(dict.fromkeys(item.registration.child.first_name for item in items))
    for recipient in family_recipients(family):
        queue_email(
            organisation=family.organisation,
            to=recipient.email,
            template="renewal_confirmed",
            user=recipient.user,
            family=family,
            context={
                "renewal": renewal,
                "items": items,
                "children": ", ".join(names),
                "user": recipient,
                "year_label": f"{renewal.school_year.year}/{renewal.school_year.year + 1}",
                "confirmed_at": timezone.localtime(renewal.created_at),
            },
        )
