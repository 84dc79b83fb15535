"""Registrations: a child asks for (or is given) a place in an activity's group."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts.services import log_family_action
from ribambelle.activities.models import Group
from ribambelle.activities.selectors import fitting_groups
from ribambelle.core.actions import action
from ribambelle.core.dates import shown_date
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit
from ribambelle.core.wording import registered
from ribambelle.families.models import PersonRole
from ribambelle.families.recipients import family_recipients
from ribambelle.outbox.services import queue_email

from .models import ACTIVE_STATUSES, RefusalReason, Registration, RegistrationStatus


def registration_window_state(activity, *, now=None) -> str:
    """ "open", "not_yet" or "closed", in the organisation's time zone (aware datetimes compare exactly)."""
    now = now or timezone.now()
    if now < activity.registration_opens_at:
        return "not_yet"
    if (activity.registration_closes_at and now >= activity.registration_closes_at) or (
        timezone.localdate(now) > activity.end_date
    ):
        return "closed"
    return "open"


def _check_child(child, activity) -> None:
    if child.role != PersonRole.CHILD:
        raise DomainError(_("Seuls les enfants peuvent être inscrits à une activité."))
    if child.organisation_id != activity.organisation_id:
        raise DomainError(_("Cet enfant n'appartient pas à cette organisation."))
    if child.birth_date is None:
        raise DomainError(
            _(
                "La date de naissance de l'enfant est nécessaire pour choisir son groupe : "
                "complétez-la dans « Ma famille »."
            )
        )


def _choose_group(child, activity, group: Group | None) -> Group:
    fitting = fitting_groups(activity, child)
    if not fitting:
        raise DomainError(
            _("Aucun groupe de « %(activity)s » n'accueille un enfant de cet âge.") % {"activity": activity.name}
        )
    if group is None:
        if len(fitting) == 1:
            return fitting[0]
        raise DomainError(_("Choisissez un groupe."), field="group")
    if group.activity_id != activity.id or group not in fitting:
        raise DomainError(
            _("Le groupe « %(group)s » n'accueille pas un enfant de cet âge.") % {"group": group.name}, field="group"
        )
    return group


def _check_registration_limit(group: Group) -> None:
    """Counted under a lock on the group row, so two last-second requests cannot both pass."""
    if group.registration_limit is None:
        return
    locked = Group.objects.select_for_update().get(pk=group.pk)
    taken = Registration.objects.filter(group=locked, status__in=ACTIVE_STATUSES).count()
    if taken >= locked.registration_limit:
        raise DomainError(_("Le groupe « %(group)s » est complet.") % {"group": group.name}, field="group")


def _create(*, child, activity, group, status, acting_user) -> Registration:
    try:
        with transaction.atomic():
            _check_registration_limit(group)
            registration = Registration(
                organisation_id=activity.organisation_id,
                family_id=child.family_id,
                child=child,
                activity=activity,
                group=group,
                status=status,
                requested_by=acting_user,
            )
            if status == RegistrationStatus.ACCEPTED:
                registration.decided_at = timezone.now()
                registration.decided_by = acting_user
            registration.save()
    except IntegrityError as exc:
        raise DomainError(
            _("%(child)s est déjà %(registered)s ou en attente pour « %(activity)s ».")
            % {"child": child.first_name, "registered": registered(child), "activity": activity.name}
        ) from exc
    return registration


@action
def request_registration(
    *, child, activity, group: Group | None = None, acting_user, request=None, notify: bool = True
) -> Registration:
    """A family asks for a place. The rule: the window is open (organisation's time), the activity
    is open to families, the child is not already registered, and the group admits the child's age
    on the activity's reference date. Accepted at once or awaiting staff, per the activity.
    `notify=False` when the caller sends one summary instead (the yearly renewal)."""
    _check_child(child, activity)
    if activity.staff_only or not activity.is_published:
        raise DomainError(_("L'inscription à cette activité est faite directement par la structure."))
    state = registration_window_state(activity)
    if state == "not_yet":
        opens = timezone.localtime(activity.registration_opens_at)
        raise DomainError(
            _("Les inscriptions ouvrent le %(date)s à %(time)s.")
            % {"date": shown_date(opens.date()), "time": f"{opens:%H:%M}"}
        )
    if state == "closed":
        raise DomainError(_("Les inscriptions à cette activité sont closes."))
    if Registration.objects.filter(child=child, activity=activity, status__in=ACTIVE_STATUSES).exists():
        raise DomainError(
            _("%(child)s est déjà %(registered)s ou en attente pour « %(activity)s ».")
            % {"child": child.first_name, "registered": registered(child), "activity": activity.name}
        )
    group = _choose_group(child, activity, group)
    automatic = activity.validation_mode == "automatic"
    with transaction.atomic():
        registration = _create(
            child=child,
            activity=activity,
            group=group,
            acting_user=acting_user,
            status=RegistrationStatus.ACCEPTED if automatic else RegistrationStatus.REQUESTED,
        )
        log_family_action(
            family=child.family,
            user=acting_user,
            request=request,
            action="registration_automatic" if automatic else "registration_requested",
            data={"child": child.first_name, "activity": activity.name, "group": group.name},
        )
        if notify:
            _notify(registration, "registration_accepted" if automatic else "registration_received")
    return registration


@action
def register_by_staff(*, child, activity, group: Group, acting_user) -> Registration:
    """Staff register a child directly (multi-accueil, or on a family's behalf): no window, accepted."""
    _check_child(child, activity)
    group = _choose_group(child, activity, group)
    with transaction.atomic():
        registration = _create(
            child=child, activity=activity, group=group, acting_user=acting_user, status=RegistrationStatus.ACCEPTED
        )
        record_audit(organisation=activity.organisation, actor=acting_user, action="register", obj=registration)
        log_family_action(
            family=child.family,
            user=acting_user,
            action="registration_by_staff",
            data={"child": child.first_name, "activity": activity.name},
        )
        _notify(registration, "registration_accepted")
    return registration


def _decide(registration: Registration, *, status: str, acting_user, reason: str = "", text: str = "") -> Registration:
    with transaction.atomic():
        locked = (
            Registration.objects.select_for_update()
            .select_related("child", "activity", "group")
            .get(pk=registration.pk)
        )
        if locked.status != RegistrationStatus.REQUESTED:
            raise DomainError(_("Cette demande a déjà été traitée."))
        locked.status = status
        locked.refusal_reason = reason
        locked.refusal_text = text.strip()
        locked.decided_by = acting_user
        locked.decided_at = timezone.now()
        locked.save()
        record_audit(
            organisation=locked.activity.organisation,
            actor=acting_user,
            action=status,
            obj=locked,
            changes={"reason": reason, "text": text} if reason else {},
        )
        data = {"child": locked.child.first_name, "activity": locked.activity.name}
        if status != RegistrationStatus.ACCEPTED:
            data.update(refusal=locked.refusal_reason, refusal_text=locked.refusal_text)
        log_family_action(
            family=locked.family,
            user=acting_user,
            action="registration_accepted" if status == RegistrationStatus.ACCEPTED else "registration_refused",
            data=data,
        )
        _notify(locked, "registration_accepted" if status == RegistrationStatus.ACCEPTED else "registration_refused")
    return locked


@action
def accept_registration(*, registration: Registration, acting_user) -> Registration:
    return _decide(registration, status=RegistrationStatus.ACCEPTED, acting_user=acting_user)


@action
def refuse_registration(*, registration: Registration, reason: str, text: str = "", acting_user) -> Registration:
    if reason not in RefusalReason.values:
        raise DomainError(_("Choisissez un motif de refus."), field="reason")
    if reason == RefusalReason.OTHER and not text.strip():
        raise DomainError(_("Précisez le motif du refus."), field="text")
    return _decide(registration, status=RegistrationStatus.REFUSED, acting_user=acting_user, reason=reason, text=text)


@action
def withdraw_registration(*, registration: Registration, acting_user, request=None) -> Registration:
    """The family withdraws a request still pending."""
    with transaction.atomic():
        locked = Registration.objects.select_for_update().select_related("child", "activity").get(pk=registration.pk)
        if locked.status != RegistrationStatus.REQUESTED:
            raise DomainError(
                _(
                    "Seule une demande en attente peut être retirée ; pour une inscription acceptée, "
                    "contactez la structure."
                )
            )
        locked.status = RegistrationStatus.WITHDRAWN
        locked.save(update_fields=["status", "updated_at"])
        log_family_action(
            family=locked.family,
            user=acting_user,
            request=request,
            action="registration_withdrawn",
            data={"child": locked.child.first_name, "activity": locked.activity.name},
        )
    return locked


@action
def cancel_registration(*, registration: Registration, acting_user) -> Registration:
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if locked.status not in ACTIVE_STATUSES:
            raise DomainError(_("Cette inscription n'est plus active."))
        locked.status = RegistrationStatus.CANCELLED
        locked.save(update_fields=["status", "updated_at"])
        record_audit(organisation=locked.activity.organisation, actor=acting_user, action="cancel", obj=locked)
        log_family_action(
            family=locked.family,
            user=acting_user,
            action="registration_cancelled_by_staff",
            data={"child": locked.child.first_name, "activity": locked.activity.name},
        )
    return locked


@action
def move_registration(*, registration: Registration, group: Group, acting_user) -> Registration:
    if group.activity_id != registration.activity_id:
        raise DomainError(_("Choisissez un groupe de la même activité."))
    with transaction.atomic():
        _check_registration_limit(group)
        old = registration.group
        registration.group = group
        registration.save(update_fields=["group", "updated_at"])
        record_audit(
            organisation=registration.activity.organisation,
            actor=acting_user,
            action="move",
            obj=registration,
            changes={"group": {"old": old.name, "new": group.name}},
        )
    return registration


def _notify(registration: Registration, template: str) -> None:
    family = registration.family
    for recipient in family_recipients(family):
        queue_email(
            organisation=registration.activity.organisation,
            to=recipient.email,
            template=template,
            user=recipient.user,
            family=family,
            context={"registration": registration, "user": recipient},
        )
