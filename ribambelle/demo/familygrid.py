"""Demo: the VIDAL family of Quercy, three children registered to the same périscolaire, to try
"Mes réservations – toute la famille": the family grid, "même chose pour tous" and the pattern tool
(log in as samia.vidal@famille.example with the demo password). Chloé has her coming Mondays
booked; her brother and sister nothing yet."""

from datetime import date, timedelta

from django.utils import timezone

PARENT = "samia.vidal@famille.example"
CHILDREN = [("Chloé", "F", 9, 20), ("Nathan", "M", 7, 75), ("Inès", "F", 4, 130)]


def load_family_grid(organisation) -> None:
    from ribambelle.accounts.models import User
    from ribambelle.activities.models import Activity, Opening
    from ribambelle.bookings.services import BookingChange, save_bookings
    from ribambelle.core.dates import age_in_months
    from ribambelle.demo.data import DEMO_PASSWORD, _register
    from ribambelle.families.models import Family, Person, PersonRole
    from ribambelle.registrations.models import Registration, RegistrationStatus

    periscolaire = (
        Activity.objects.filter(organisation=organisation, name__startswith="Périscolaire").order_by("pk").first()
    )
    if periscolaire is None or User.objects.filter(organisation=organisation, email=PARENT).exists():
        return
    family = Family.objects.create(
        organisation=organisation,
        name="VIDAL",
        address_line="4 allée des Tilleuls",
        city="Saint-Étienne-de-Tulmont",
        postal_code="82410",
        email=PARENT,
    )
    _register(f"{organisation.slug}:family:VIDAL", family)
    Person.objects.create(
        organisation=organisation, family=family, role=PersonRole.ADULT, first_name="Samia", last_name="VIDAL",
        email=PARENT,
    )  # fmt: skip
    user = User.objects.create_user(
        PARENT,
        DEMO_PASSWORD,
        organisation=organisation,
        first_name="Samia",
        last_name="VIDAL",
        family=family,
        activated_at=timezone.now(),
    )
    _register(f"{organisation.slug}:user:{PARENT}", user)
    today = timezone.localdate()
    groups = list(periscolaire.groups.all())
    for first_name, sex, years, days in CHILDREN:
        born = date(today.year - years, today.month, 1) - timedelta(days=days)
        child = Person.objects.create(
            organisation=organisation,
            family=family,
            role=PersonRole.CHILD,
            first_name=first_name,
            last_name="VIDAL",
            sex=sex,
            birth_date=born,
        )
        _register(f"{organisation.slug}:person:VIDAL:{first_name}", child)
        age = age_in_months(born, today)
        group = next((g for g in groups if g.age_min_months <= age <= g.age_max_months), None)
        if group is None:
            continue
        Registration.objects.create(
            organisation=organisation, family=family, child=child, activity=periscolaire, group=group,
            status=RegistrationStatus.ACCEPTED,
        )  # fmt: skip
        if first_name == "Chloé":
            mondays = list(
                Opening.objects.filter(
                    activity=periscolaire, group=group, date__gte=today + timedelta(days=7), is_closed=False
                )
                .order_by("date", "unit__position")
                .values_list("pk", "date")[:60]
            )
            changes = [BookingChange(pk, True) for pk, day in mondays if day.weekday() == 0][:6]
            save_bookings.inner(child=child, changes=changes, acting_user=None, as_staff=True)


def logins(organisation) -> list:
    """VIDAL's login, printed by load_demo like the other demo logins."""
    from ribambelle.accounts.models import User

    from .data import DemoLogin

    user = User.objects.filter(organisation=organisation, email=PARENT).first()
    if user is None:
        return []
    return [DemoLogin(organisation.name, "famille VIDAL (trois enfants)", user.email, f"/{organisation.slug}/")]
