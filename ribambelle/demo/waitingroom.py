"""Demo: a first-come activity behind a fair waiting room (issue 20). The "Stage multisport"
opens its bookings tomorrow at 08:30; the pre-queue is open from now, so the demo parent
(MARTIN, Léa registered) can enter it and watch the countdown, then the position page."""

from datetime import datetime, time, timedelta

from django.utils import timezone


def load_waiting_room(quercy) -> None:
    from ribambelle.activities.models import ActivityKind
    from ribambelle.demo import data
    from ribambelle.registrations.models import Registration, RegistrationStatus
    from ribambelle.waitingroom.models import WaitingRoom

    now = timezone.now()
    today = timezone.localdate()
    start = data._next_weekday(today + timedelta(days=28), 0)
    activity = data._activity(
        quercy,
        "Accueil de loisirs de Bioule",
        f"Stage multisport {start:%d/%m/%Y}",
        kind=ActivityKind.VACANCES,
        start_date=start,
        end_date=start + timedelta(days=4),
        registration_opens_at=now - timedelta(days=1),
        description="Premier arrivé, premier servi, derrière une salle d'attente équitable.",
    )
    data._groups_units(activity, [("6-12 ans", 72, 155, 12)], [("Journée", time(8, 30), time(17, 30))])
    lea = data._person(quercy, "MARTIN", "Léa")
    Registration.objects.get_or_create(
        organisation=quercy,
        child=lea,
        activity=activity,
        defaults={"family": lea.family, "group": activity.groups.get(), "status": RegistrationStatus.ACCEPTED},
    )
    tomorrow = today + timedelta(days=1)
    opens_at = datetime.combine(tomorrow, time(8, 30), tzinfo=timezone.get_current_timezone())
    room, _created = WaitingRoom.objects.get_or_create(
        organisation=quercy,
        activity=activity,
        defaults={
            "opens_at": opens_at,
            "prequeue_from": min(now, opens_at - timedelta(minutes=30)),
            "closes_at": opens_at + timedelta(hours=4),
            "admitted_per_interval": 50,
            "interval_seconds": 60,
            "pass_minutes": 10,
        },
    )
    data._register(f"{quercy.slug}:waitingroom:{activity.pk}", room)
