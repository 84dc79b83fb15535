"""Staff side of family logins: one account per responsible adult, invitations in bulk."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from ribambelle.core.actions import action_helper, step_by_step
from ribambelle.families.models import Person, PersonRole

from .models import User
from .services import send_invitation


@dataclass
class InvitationReport:
    sent: list[str] = field(default_factory=list)
    already_active: list[str] = field(default_factory=list)
    without_email: list[str] = field(default_factory=list)


@action_helper
def account_for_adult(adult: Person) -> User:
    """The login of a responsible adult, created (not yet activated) if missing."""
    user = User.objects.filter(organisation_id=adult.organisation_id, email__iexact=adult.email).first()
    if user is None:
        user = User.objects.create_user(
            adult.email,
            organisation=adult.family.organisation,
            family=adult.family,
            first_name=adult.first_name,
            last_name=adult.last_name,
        )
    return user


@step_by_step
def invite_adults(*, organisation, person_ids, acting_user) -> InvitationReport:
    """Create the missing accounts and e-mail an activation link to each adult chosen."""
    report = InvitationReport()
    adults = (
        Person.objects.filter(organisation=organisation, role=PersonRole.ADULT, pk__in=person_ids)
        .select_related("family", "family__organisation")
        .order_by("family__name", "first_name")
    )
    for adult in adults:
        label = f"{adult.first_name} {adult.last_name}"
        if not adult.email:
            report.without_email.append(label)
            continue
        with transaction.atomic():
            user = account_for_adult(adult)
            if user.family_id != adult.family_id:
                # The e-mail belongs to a staff login or another family: never merge accounts.
                report.without_email.append(_("%(name)s (adresse déjà utilisée par un autre compte)") % {"name": label})
                continue
            if user.is_activated:
                report.already_active.append(label)
                continue
            send_invitation.inner(user=user, acting_user=acting_user)
        report.sent.append(adult.email)
    return report
