"""Writers of the allocation: the draw's settings, the families' wishes, and the draw itself."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.activities.models import Activity, Opening
from ribambelle.bookings.models import Booking, BookingStatus
from ribambelle.bookings.services import _lock_openings, _places_taken
from ribambelle.core.actions import action
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit
from ribambelle.outbox.services import queue_email
from ribambelle.waitingroom import services as room_services

from . import draw as pure
from .models import AllocationMode, AllocationSettings, Draw, FamilyDrawProfile, PriorityClass, Wish
from .selectors import (
    accepted_registrations,
    draw_inputs,
    draw_with_organisation,
    family_decisions,
    wish_window_is_open,
)


@action
def configure_allocation(
    *,
    activity: Activity,
    mode: str,
    wishes_open_at: datetime | None = None,
    wishes_close_at: datetime | None = None,
    family_cap: int | None = None,
    siblings_together: bool = True,
    classes: list[dict] | None = None,
    room: dict | None = None,
    acting_user=None,
) -> AllocationSettings:
    """Choose how the activity's places are given out. For a draw: a wish window (open before it
    closes), ordered priority classes; the seed's commitment is fixed here and never changes, so
    it can be published as soon as the window opens. For the fair waiting room, `room` holds its
    times and rhythm (waitingroom.services.configure_room); any other mode takes the room away.
    Nothing changes once the draw has run, nor away from the draw once families have wished."""
    if Draw.objects.filter(activity=activity).exists():
        raise DomainError(_("Le tirage a déjà eu lieu : l'attribution ne peut plus changer."))
    if mode not in AllocationMode.values:
        raise DomainError(_("Choisissez un mode d'attribution de la liste."))
    if mode == AllocationMode.WISHES_DRAW:
        if not (wishes_open_at and wishes_close_at) or wishes_open_at >= wishes_close_at:
            raise DomainError(_("Indiquez l'ouverture et la clôture des vœux, la clôture après l'ouverture."))
        if not classes:
            classes = [{"label": _("Toutes les familles")}]
    allocation = AllocationSettings.objects.filter(activity=activity).first() or AllocationSettings(
        organisation_id=activity.organisation_id, activity=activity
    )
    if allocation.mode == AllocationMode.WISHES_DRAW and mode != allocation.mode and activity.wishes.exists():
        raise DomainError(_("Des familles ont déjà fait des vœux : l'attribution reste « vœux puis tirage »."))
    if mode == AllocationMode.FAIR_QUEUE:
        if not room:
            raise DomainError(_("Indiquez les horaires de la salle d'attente."))
        room_services.configure_room.inner(activity=activity, **room)
    else:
        room_services.remove_room.inner(activity=activity)
    allocation.mode = mode
    allocation.wishes_open_at = wishes_open_at
    allocation.wishes_close_at = wishes_close_at
    allocation.family_cap = family_cap
    allocation.siblings_together = siblings_together
    allocation.seed_commitment = pure.seed_commitment(allocation.seed)
    allocation.save()
    if classes is not None:
        allocation.classes.all().delete()
        PriorityClass.objects.bulk_create(
            PriorityClass(
                organisation_id=activity.organisation_id,
                settings=allocation,
                position=position,
                label=item["label"],
                requires_resident=bool(item.get("requires_resident")),
                requires_working_parents=bool(item.get("requires_working_parents")),
            )
            for position, item in enumerate(classes)
        )
    record_audit(
        organisation=activity.organisation,
        actor=acting_user,
        action="allocation.configure",
        obj=allocation,
        changes={"mode": mode, "family_cap": family_cap},
    )
    return allocation


@action
def set_parents_working(*, family, parents_working: bool, acting_user=None) -> FamilyDrawProfile:
    profile = profile_for.inner(family=family)
    profile.parents_working = parents_working
    profile.save(update_fields=["parents_working", "updated_at"])
    return profile


@action
def profile_for(*, family) -> FamilyDrawProfile:
    """The family's pseudonym for published draws, made on first need."""
    profile = FamilyDrawProfile.objects.filter(family=family).first()
    if profile is None:
        profile = FamilyDrawProfile.objects.create(organisation_id=family.organisation_id, family=family)
    return profile


@action
def save_wishes(*, family, child, activity: Activity, opening_ids: list[int], acting_user=None, now=None) -> list[Wish]:
    """Replace a child's wishes, in order of preference. Only while the window is open, for a
    child whose registration to the activity is accepted, on that activity's open days of the
    child's group. When the wishes were entered never matters to the draw."""
    now = now or timezone.now()
    allocation = AllocationSettings.objects.filter(activity=activity).first()
    if allocation is None or not wish_window_is_open(allocation, now=now):
        raise DomainError(_("La période des vœux n'est pas ouverte pour cette activité."))
    if child.family_id != family.pk:
        raise DomainError(_("Cet enfant n'est pas dans votre famille."))
    registration = accepted_registrations(activity).filter(child=child).first()
    if registration is None:
        raise DomainError(_("Cet enfant doit d'abord être inscrit à l'activité pour faire des vœux."))
    if len(set(opening_ids)) != len(opening_ids):
        raise DomainError(_("Chaque jour ne peut être demandé qu'une fois."))
    openings = set(
        Opening.objects.filter(
            activity=activity, group_id=registration.group_id, is_closed=False, pk__in=opening_ids
        ).values_list("pk", flat=True)
    )
    if len(openings) != len(opening_ids):
        raise DomainError(_("Un des jours demandés n'est pas proposé au groupe de cet enfant."))
    profile_for.inner(family=family)
    Wish.objects.filter(child=child, activity=activity).delete()
    wishes = Wish.objects.bulk_create(
        Wish(
            organisation_id=family.organisation_id,
            family=family,
            child=child,
            activity=activity,
            opening_id=opening_id,
            preference=position,
        )
        for position, opening_id in enumerate(opening_ids, start=1)
    )
    record_audit(
        organisation=family.organisation,
        actor=acting_user,
        action="allocation.wishes",
        obj=child,
        changes={"activity": activity.pk, "openings": opening_ids},
    )
    return wishes


@action
def run_draw(*, activity: Activity, acting_user=None, now=None) -> Draw:
    """Seal the wishes, reveal the seed, allocate (draw.allocate) and create the bookings.

    The openings are locked as every booking save locks them, and the places already held are
    counted under that lock: the draw gives only what is free, never more. Unmet wishes join
    the waiting lists in the order of the draw. Each family is told its decision by e-mail."""
    now = now or timezone.now()
    allocation = AllocationSettings.objects.filter(activity=activity).first()
    if allocation is None or allocation.mode != AllocationMode.WISHES_DRAW:
        raise DomainError(_("Cette activité n'attribue pas ses places par tirage."))
    if allocation.wishes_close_at and now < allocation.wishes_close_at:
        raise DomainError(_("Le tirage a lieu après la clôture des vœux."))
    if Draw.objects.filter(activity=activity).exists():
        raise DomainError(_("Le tirage de cette activité a déjà eu lieu."))
    opening_ids = list(Opening.objects.filter(activity=activity).values_list("pk", flat=True))
    _lock_openings(opening_ids, organisation_id=activity.organisation_id)
    # Places held (bookings, open offers) per opening, read under the lock.
    taken = {pk: held for pk, (_capacity, held) in _places_taken(activity.organisation_id, opening_ids).items()}
    inputs, keys = draw_inputs(allocation, taken=taken)
    result = pure.allocate(inputs, allocation.seed)
    created = Draw.objects.create(
        organisation_id=activity.organisation_id,
        activity=activity,
        drawn_at=now,
        seed=allocation.seed,
        seed_commitment=allocation.seed_commitment,
        wishes_hash=pure.sha256_hex(pure.canonical(inputs)),
        result_hash=pure.sha256_hex(pure.canonical(result)),
        inputs=inputs,
        result=result,
        keys=keys,
    )
    _create_bookings(activity, inputs, result, keys, acting_user=acting_user)
    record_audit(
        organisation=activity.organisation,
        actor=acting_user,
        action="allocation.draw",
        obj=created,
        changes={"wishes_hash": created.wishes_hash, "result_hash": created.result_hash},
    )
    from .tasks import send_draw_decisions

    transaction.on_commit(lambda: send_draw_decisions.enqueue(created.pk))
    return created


def _create_bookings(activity, inputs, result, keys, *, acting_user) -> None:
    registrations = dict(accepted_registrations(activity).values_list("child_id", "pk"))
    wishes = {f["id"]: f["wishes"] for f in inputs["families"]}
    user = acting_user if acting_user is not None and acting_user.is_authenticated else None
    rows = []

    def row(public_id, child_ref, slot, status):
        child_id = keys["children"][child_ref]
        opening_id = keys["slots"][slot]
        return Booking(
            organisation_id=activity.organisation_id,
            family_id=keys["families"][public_id],
            child_id=child_id,
            registration_id=registrations[child_id],
            opening_id=opening_id,
            activity_id=activity.pk,
            date=keys["dates"][slot],
            status=status,
            created_by=user,
        )

    for rank in result["ranks"]:
        public_id = rank["family"]
        for preference in result["families"][public_id]["granted"]:
            rows += [row(public_id, c, s, BookingStatus.BOOKED) for c, s in wishes[public_id][preference]]
    # Waiting lists in the draw's order: created in that order, they are served in that order.
    for slot in sorted(result["waiting_lists"]):
        rows += [row(p, c, slot, BookingStatus.WAITING) for p, c in result["waiting_lists"][slot]]
    Booking.objects.bulk_create(rows, batch_size=2000)


@action
def send_decisions(*, draw_id: int) -> int:
    """Tell each family of a draw its decision by e-mail (run by the task worker after the draw)."""
    draw = draw_with_organisation(draw_id)
    if draw is None:
        return 0
    slug = draw.organisation.slug
    url = settings.SITE_URL + reverse(
        "portail:draw_decision", kwargs={"org_slug": slug, "activity_id": draw.activity_id}
    )
    public_url = settings.SITE_URL + reverse(
        "portail:draw_public", kwargs={"org_slug": slug, "token": draw.public_token}
    )
    sent = 0
    for decision in family_decisions(draw).values():
        if not decision["email"]:
            continue
        queue_email(
            organisation=draw.organisation,
            to=decision["email"],
            template="draw_decision",
            context=dict(decision, url=url, public_url=public_url),
            family=decision["family"],
        )
        sent += 1
    return sent
