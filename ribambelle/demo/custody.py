"""Demo of separated parents (issue 22): the VASSEUR family file with two households (Sophie in
Nègrepelisse, Nicolas in Montauban), one login each, custody by alternate weeks, and last month
of périscolaire invoiced as two invoices, one per parent.

Runs once, after the CAF section (which invoices the other families' last month first)."""

from datetime import timedelta

from django.utils import timezone

FAMILY = "VASSEUR"
LOGINS = [
    # (first name, e-mail, household position, address, postal code, town, civility)
    ("Sophie", "sophie.vasseur@famille.example", 1, "4 place de la Halle", "82800", "Nègrepelisse", "MME"),
    ("Nicolas", "nicolas.vasseur@famille.example", 2, "27 boulevard Gambetta", "82000", "Montauban", "M"),
]


def logins(organisation) -> list:
    """The two parents' logins, printed by load_demo like the other demo logins."""
    from ribambelle.accounts.models import User

    from .data import DemoLogin, _recorded, _user_key

    found = []
    for _first, email, position, *_rest in LOGINS:
        user = _recorded(_user_key(organisation, email), User)
        if user is not None:
            who = f"famille {FAMILY} – parent séparé (foyer {position})"
            found.append(DemoLogin(organisation.name, who, user.email, f"/{organisation.slug}/"))
    return found


def load_custody(quercy) -> None:
    from ribambelle.accounts.models import User
    from ribambelle.activities.models import Activity, ActivityKind, Group, Opening
    from ribambelle.billing.services import create_run, process_run
    from ribambelle.bookings.models import Booking, BookingStatus
    from ribambelle.core.exceptions import DomainError
    from ribambelle.custody.models import CustodyMode
    from ribambelle.custody.services import save_household, set_arrangement
    from ribambelle.families.models import Family, Person, PersonRole, Sex
    from ribambelle.registrations.models import Registration, RegistrationStatus

    from .data import DEMO_PASSWORD, _register, _user_key, years_ago

    today = timezone.localdate()
    month_end = today.replace(day=1) - timedelta(days=1)
    month_start = month_end.replace(day=1)
    family = Family.objects.create(
        organisation=quercy,
        name=FAMILY,
        address_line="4 place de la Halle",
        postal_code="82800",
        city="Nègrepelisse",
        email="sophie.vasseur@famille.example",
        family_quotient="810",
        family_quotient_date=today.replace(day=1),
        family_quotient_source="caf",
    )
    _register(f"{quercy.slug}:family:{FAMILY}", family)
    child = Person.objects.create(
        organisation=quercy,
        family=family,
        role=PersonRole.CHILD,
        first_name="Emma",
        last_name=FAMILY,
        sex=Sex.FEMALE,
        birth_date=years_ago(8, days=20),
    )
    _register(f"{quercy.slug}:person:{FAMILY}:Emma", child)
    for first, email, position, address, postal_code, city, civility in LOGINS:
        adult = Person.objects.create(
            organisation=quercy,
            family=family,
            role=PersonRole.ADULT,
            first_name=first,
            last_name=FAMILY,
            email=email,
            phone=f"06 1{position} 22 33 44",
            relationship="mère" if position == 1 else "père",
        )
        user = User.objects.create_user(
            email,
            DEMO_PASSWORD,
            organisation=quercy,
            first_name=first,
            last_name=FAMILY,
            family=family,
            activated_at=timezone.now(),
        )
        _register(_user_key(quercy, email), user)
        save_household.inner(
            family=family,
            fields={
                "label": f"Foyer de {first}",
                "address_line": address,
                "postal_code": postal_code,
                "city": city,
                "phone": adult.phone,
                "email": email,
                "payer_civility": civility,
                "payer_first_name": first,
                "payer_last_name": FAMILY,
                "contacts_visible": False,
            },
            adults=[adult],
            logins=[user],
            acting_user=None,
        )
    first_household = family.households.get(position=1)
    set_arrangement.inner(
        family=family,
        valid_from=month_start - timedelta(days=90),
        mode=CustodyMode.ALTERNATE_WEEKS,
        even_weeks=first_household,
        acting_user=None,
    )
    periscolaire = (
        Activity.objects.filter(organisation=quercy, kind=ActivityKind.PERISCOLAIRE).order_by("-start_date").first()
    )
    if periscolaire is None:
        return
    group = Group.objects.filter(organisation=quercy, activity=periscolaire).order_by("pk").first()
    if group is None:
        return
    registration = Registration.objects.create(
        organisation=quercy,
        family=family,
        child=child,
        activity=periscolaire,
        group=group,
        status=RegistrationStatus.ACCEPTED,
        decided_at=timezone.now(),
    )
    openings = Opening.objects.filter(
        organisation=quercy, activity=periscolaire, group=group, date__gte=month_start, date__lte=month_end
    ).filter(is_closed=False)
    bookings = [
        Booking(
            organisation=quercy,
            family=family,
            child=child,
            registration=registration,
            opening=opening,
            activity=periscolaire,
            date=opening.date,
            status=BookingStatus.PRESENT,
        )
        for opening in openings.select_related("unit")
        if opening.unit.name != "Matin"
    ]
    if not bookings:
        return  # last month was before the school year: nothing to invoice
    Booking.objects.bulk_create(bookings)
    try:
        run = create_run(
            organisation=quercy,
            period_start=month_start,
            period_end=month_end,
            structure_ids=[periscolaire.structure_id],
            acting_user=None,
        )
    except DomainError:
        return
    process_run(run_id=run.pk, send_email=False)
