"""A périscolaire (Monday to Friday, "Soir", 2 working days at 12:00) and Léa, who came on Mondays
and Thursdays of the last four weeks (and on two Tuesdays only): the reminders' ground."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ribambelle.activities.models import Opening
from ribambelle.activities.services import generate_openings
from ribambelle.reminders.models import ReminderSettings

from .factories import (
    ActivityFactory,
    BookingFactory,
    GroupFactory,
    PersonFactory,
    RegistrationFactory,
    UnitFactory,
)

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 12, 7)
# Monday 13:00: the next deadline within 24 h is Tuesday 12:00, the one of Thursday 10 December.
NOW = datetime(2026, 12, 7, 13, 0, tzinfo=PARIS)
THURSDAY = date(2026, 12, 10)


@dataclass
class Ground:
    organisation: object
    activity: object
    group: object
    unit: object
    family: object
    lea: object
    registration: object

    def opening(self, day: date) -> Opening:
        return Opening.objects.get(activity=self.activity, unit=self.unit, group=self.group, date=day)

    def attended(self, child, registration, days) -> None:
        for day in days:
            BookingFactory(
                organisation=self.organisation,
                family=child.family,
                registration=registration,
                child=child,
                opening=self.opening(day),
                status="present",
            )

    def add_child(self, first_name: str, family=None, usual=(0, 3)):
        family = family or self.family
        child = PersonFactory(organisation=self.organisation, family=family, first_name=first_name)
        registration = RegistrationFactory(organisation=self.organisation, family=family, child=child, group=self.group)
        self.attended(child, registration, past_days(usual))
        return child, registration


def past_days(weekdays, weeks: int = 4) -> list[date]:
    return [MONDAY - timedelta(weeks=w) + timedelta(days=d) for w in range(1, weeks + 1) for d in weekdays]


def make_ground(tenant, *, activity_name: str = "Périscolaire Saint-Étienne", enabled: bool = True) -> Ground:
    organisation = tenant.organisation
    organisation.contact_email = "accueil@cc-a.example"
    organisation.save(update_fields=["contact_email"])
    activity = ActivityFactory(
        organisation=organisation,
        name=activity_name,
        start_date=MONDAY - timedelta(weeks=6),
        end_date=MONDAY + timedelta(weeks=6),
        weekdays=0b0011111,
        deadline_days=2,
        deadline_time=time(12),
        deadline_working_days=True,
    )
    group = GroupFactory(organisation=organisation, activity=activity, default_capacity=10)
    unit = UnitFactory(organisation=organisation, activity=activity, name="Soir")
    generate_openings(activity=activity)
    family = tenant.family_user.family
    lea = PersonFactory(organisation=organisation, family=family, first_name="Léa")
    registration = RegistrationFactory(organisation=organisation, family=family, child=lea, group=group)
    ground = Ground(organisation, activity, group, unit, family, lea, registration)
    ground.attended(lea, registration, past_days((0, 3)))  # Mondays and Thursdays
    ground.attended(lea, registration, past_days((1,), weeks=2))  # two Tuesdays: not usual
    ReminderSettings.objects.create(organisation=organisation, enabled=enabled, hours_before=24)
    return ground
