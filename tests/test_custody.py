"""Separated parents (issue 22): two households, a custody calendar deciding the payer of each
day, one invoice per payer, each parent seeing and receiving only her or his own."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ribambelle.accounts.consent import record_consents
from ribambelle.billing import sepa
from ribambelle.billing import services as billing
from ribambelle.billing.models import Invoice, TariffMode
from ribambelle.communication.models import OutgoingEmail
from ribambelle.core.exceptions import DomainError
from ribambelle.custody.models import CustodyArrangement, CustodyMode, Household
from ribambelle.custody.payers import payer_for
from ribambelle.custody.services import save_household, set_arrangement
from ribambelle.families.models import PersonRole

from .conftest import client_for, page_text
from .factories import FamilyUserFactory, HouseholdFactory, InvoiceFactory, InvoiceLineFactory, PersonFactory
from .test_billing import START, World
from .test_helios_pes import _export, _tree, _v
from .test_helios_pes import world as helios_world  # noqa: F401 - the Hélios run fixture

pytestmark = pytest.mark.django_db

END = START + timedelta(days=30)  # 2 March – 1 April 2026; START is a Monday of ISO week 10 (even)
DAYS = 23  # weekdays from 2 March to 1 April 2026


def separate(family, *, first_login=None, second_login=None, visible=False):
    """Two households: the mother's (1) and the father's (2), each with its adult, e-mail and login."""
    org = family.organisation
    households = []
    for position, (first, login) in enumerate((("Anne", first_login), ("Paul", second_login)), start=1):
        adult = PersonFactory(
            organisation=org,
            family=family,
            role=PersonRole.ADULT,
            first_name=first,
            email=f"{first.lower()}@parent.example",
        )
        households.append(
            save_household(
                family=family,
                fields={
                    "label": f"Foyer de {first}",
                    "address_line": f"{position} rue du Foyer {first}",
                    "postal_code": "82800",
                    "city": "Bioule" if position == 1 else "Montauban",
                    "phone": f"06 0{position} 00 00 00",
                    "email": f"{first.lower()}@parent.example",
                    "payer_first_name": first,
                    "payer_last_name": family.name,
                    "contacts_visible": visible,
                },
                adults=[adult],
                logins=[login] if login else [],
                acting_user=None,
            )
        )
    return households


def _month(world, family, *, children=2):
    """Every weekday of the period booked for each child (the second child gets the sibling reduction)."""
    kids = [world.child(family, birth=date(2016 - i, 5, 1), first_name=f"Enfant{i}") for i in range(children)]
    day = START
    while day <= END:
        if day.weekday() < 5:
            for child in kids:
                world.book(child, day)
        day += timedelta(days=1)
    return kids


def _issue(world, **kwargs):
    run = billing.create_run(organisation=world.org, period_start=START, period_end=END, acting_user=None, **kwargs)
    return billing.process_run(run_id=run.pk, **{"send_email": True})


# --- Payers ---------------------------------------------------------------------------------


def test_alternate_weeks_split_a_month_into_two_invoices_summing_to_the_single_payer_invoice():
    world = World(sibling_reduction_percent=Decimal("15"))
    together = world.family("700")  # same QF, same bookings, no households: the single-payer invoice
    apart = world.family("700")
    _month(world, together)
    _month(world, apart)
    mother, father = separate(apart)
    set_arrangement(
        family=apart, valid_from=START, mode=CustodyMode.ALTERNATE_WEEKS, even_weeks=father, acting_user=None
    )

    _issue(world)

    single = Invoice.objects.get(family=together)
    assert single.household is None
    assert single.total == (Decimal("8.00") + Decimal("8.00") - Decimal("1.20")) * DAYS
    split = {i.household_id: i for i in Invoice.objects.filter(family=apart)}
    assert set(split) == {mother.pk, father.pk}
    assert split[mother.pk].total + split[father.pk].total == single.total  # to the cent
    for household, invoice in ((father, split[father.pk]), (mother, split[mother.pk])):
        weeks = {line.date.isocalendar().week % 2 for line in invoice.lines.all()}
        assert weeks == ({0} if household == father else {1})
        assert invoice.total == sum(line.amount for line in invoice.lines.all())
        assert invoice.family_address.startswith(household.address_line)
    assert split[father.pk].family_name == f"Paul {apart.name}"


def test_percentage_split_cuts_each_line_exactly_with_the_remainder_on_the_first_payer():
    world = World(mode=TariffMode.FLAT)
    world.tariff.flat_price = Decimal("10.00")
    world.tariff.save()
    family = world.family()
    [child] = _month(world, family, children=1)
    first, second = separate(family)
    set_arrangement(
        family=family, valid_from=START, mode=CustodyMode.PERCENTAGE, first_percent=Decimal("33.33"), acting_user=None
    )
    _issue(world, structure_ids=())
    invoices = {i.household_id: i for i in Invoice.objects.filter(family=family)}
    days = DAYS
    assert invoices[second.pk].total == Decimal("6.67") * days  # 66.67 % of 10.00 = 6.667 -> 6.67
    assert invoices[first.pk].total == Decimal("3.33") * days  # the rest of each line
    assert invoices[first.pk].total + invoices[second.pk].total == Decimal("10.00") * days
    line = invoices[first.pk].lines.first()
    assert "Part 33.33 %" in line.note and line.unit_price - line.reduction == line.amount
    assert payer_for(child, START) == [(first, Decimal("33.33")), (second, Decimal("66.67"))]


def test_given_weekdays_and_days_before_any_arrangement():
    world = World()
    family = world.family("700")
    child = world.child(family)
    first, second = separate(family)
    assert payer_for(child, START) == [(first, Decimal("100"))]  # no arrangement yet: the first household
    set_arrangement(family=family, valid_from=START, mode=CustodyMode.WEEKDAYS, first_weekdays=[0, 1], acting_user=None)
    assert payer_for(child, START)[0][0] == first  # Monday
    assert payer_for(child, START + timedelta(days=2))[0][0] == second  # Wednesday
    assert payer_for(child, START - timedelta(days=1))[0][0] == first  # before the arrangement
    other = world.family()
    assert payer_for(world.child(other), START) == []  # no households: no custody at all


def test_changing_the_arrangement_from_a_date_does_not_move_earlier_invoices():
    world = World()
    family = world.family("700")
    _month(world, family, children=1)
    first, second = separate(family)
    set_arrangement(
        family=family, valid_from=START, mode=CustodyMode.ALTERNATE_WEEKS, even_weeks=first, acting_user=None
    )
    run = billing.create_run(
        organisation=world.org, period_start=START, period_end=START + timedelta(days=13), acting_user=None
    )
    billing.process_run(run_id=run.pk)
    before = {(i.number, i.household_id, i.total) for i in Invoice.objects.filter(family=family)}
    assert len(before) == 2

    with pytest.raises(DomainError, match="déjà facturés"):
        set_arrangement(
            family=family,
            valid_from=START + timedelta(days=7),
            mode=CustodyMode.WEEKDAYS,
            first_weekdays=[0],
            acting_user=None,
        )
    set_arrangement(
        family=family,
        valid_from=START + timedelta(days=14),
        mode=CustodyMode.PERCENTAGE,
        first_percent=Decimal("50"),
        acting_user=None,
    )
    assert CustodyArrangement.objects.filter(family=family).count() == 2  # history kept
    run = billing.create_run(
        organisation=world.org, period_start=START + timedelta(days=14), period_end=END, acting_user=None
    )
    billing.process_run(run_id=run.pk)
    assert {
        (i.number, i.household_id, i.total) for i in Invoice.objects.filter(family=family, run_id__lt=run.pk)
    } == before
    later = Invoice.objects.filter(family=family, run=run)
    assert later.count() == 2 and len({i.total for i in later}) == 1  # half each


def test_arrangement_input_is_checked():
    world = World()
    family = world.family()
    with pytest.raises(DomainError, match="deux foyers"):
        set_arrangement(
            family=family, valid_from=START, mode=CustodyMode.PERCENTAGE, first_percent=Decimal("50"), acting_user=None
        )
    first, _second = separate(family)
    stranger = separate(world.family())[0]
    with pytest.raises(DomainError, match="semaines paires"):
        set_arrangement(
            family=family, valid_from=START, mode=CustodyMode.ALTERNATE_WEEKS, even_weeks=stranger, acting_user=None
        )
    with pytest.raises(DomainError, match="entre 0 et 100"):
        set_arrangement(
            family=family, valid_from=START, mode=CustodyMode.PERCENTAGE, first_percent=Decimal("120"), acting_user=None
        )
    with pytest.raises(DomainError, match="au moins un jour"):
        set_arrangement(family=family, valid_from=START, mode=CustodyMode.WEEKDAYS, acting_user=None)
    with pytest.raises(DomainError, match="déjà deux foyers"):
        save_household(family=family, fields={"label": "Troisième"}, acting_user=None)
    assert not CustodyArrangement.objects.filter(family=family).exists()


# --- E-mails ----------------------------------------------------------------------------------


def test_invoices_reminders_and_receipts_go_to_the_payer_household_only():
    world = World()
    family = world.family("700", email="famille@example.org")
    _month(world, family, children=1)
    mother_login = FamilyUserFactory(organisation=world.org, family=family, email="anne.login@parent.example")
    father_login = FamilyUserFactory(organisation=world.org, family=family, email="paul.login@parent.example")
    mother, father = separate(family, first_login=mother_login, second_login=father_login)
    set_arrangement(
        family=family, valid_from=START, mode=CustodyMode.ALTERNATE_WEEKS, even_weeks=mother, acting_user=None
    )
    _issue(world)
    invoices = {i.household_id: i for i in Invoice.objects.filter(family=family)}

    def to(template, number):
        return {m.to for m in OutgoingEmail.objects.filter(template=template) if number in m.subject + m.body_text}

    mother_addresses = {"anne.login@parent.example", "anne@parent.example"}
    father_addresses = {"paul.login@parent.example", "paul@parent.example"}
    assert to("invoice_issued", invoices[mother.pk].number) == mother_addresses
    assert to("invoice_issued", invoices[father.pk].number) == father_addresses

    Invoice.objects.filter(family=family).update(due_date=START)
    assert (
        billing.send_reminders(organisation=world.org, invoice_ids=[i.pk for i in invoices.values()], acting_user=None)
        == 2
    )
    reminders = list(OutgoingEmail.objects.filter(template="invoice_reminder"))
    assert {m.to for m in reminders if invoices[father.pk].number in m.body_text} == father_addresses
    assert not any(invoices[mother.pk].number in m.body_text for m in reminders if m.to in father_addresses)

    payment = billing.record_payment(
        family=family,
        method="cheque",
        amount=Decimal("10.00"),
        received_on=END,
        allocations={invoices[father.pk].pk: Decimal("10.00")},
        acting_user=None,
    )
    assert payment.household == father
    assert {m.to for m in OutgoingEmail.objects.filter(template="payment_received")} == father_addresses


# --- Portal -----------------------------------------------------------------------------------


@pytest.fixture
def parents(tenant_a):
    family = tenant_a.family_user.family
    father_user = FamilyUserFactory(organisation=tenant_a.organisation, family=family, email="pere@cc-a.example")
    mother, father = separate(family, first_login=tenant_a.family_user, second_login=father_user)
    for user in (tenant_a.family_user, father_user):
        record_consents(user=user, personal=True, health=True)
    org = tenant_a.organisation
    mine = InvoiceFactory(organisation=org, family=family, household=mother, number="F2026-MERE01")
    theirs = InvoiceFactory(organisation=org, family=family, household=father, number="F2026-PERE01")
    for invoice in (mine, theirs):
        InvoiceLineFactory(organisation=org, family=family, invoice=invoice, child_name="Léa", activity_name="ALSH")
    paid = billing.record_payment(
        family=family,
        method="cheque",
        amount=Decimal("5.00"),
        received_on=START,
        allocations={theirs.pk: Decimal("5.00")},
        acting_user=None,
    )
    return {
        "mother": client_for(tenant_a.family_user),
        "father": client_for(father_user),
        "households": (mother, father),
        "mine": mine,
        "theirs": theirs,
        "receipt": paid,
    }


def test_a_parent_never_sees_the_other_households_invoices_or_receipts(tenant_a, parents):
    mother, theirs, receipt = parents["mother"], parents["theirs"], parents["receipt"]
    text = page_text(mother.get(tenant_a.url("mes-factures/?statut=toutes")))
    assert parents["mine"].number in text and theirs.number not in text
    assert receipt.receipt_number not in text
    for path in (
        f"mes-factures/{theirs.pk}/",
        f"mes-factures/{theirs.pk}/pdf/",
        f"mes-factures/recus/{receipt.pk}/",
    ):
        assert mother.get(tenant_a.url(path)).status_code == 404, path
    assert mother.post(tenant_a.url(f"mes-factures/{theirs.pk}/payer/")).status_code == 404
    # The father sees his, and his receipt.
    assert parents["father"].get(tenant_a.url(f"mes-factures/{theirs.pk}/pdf/")).status_code == 200
    assert parents["father"].get(tenant_a.url(f"mes-factures/recus/{receipt.pk}/")).status_code == 200
    assert parents["father"].get(tenant_a.url(f"mes-factures/{parents['mine'].pk}/")).status_code == 404
    # The dashboard's amount due is the household's own.
    assert "42,50" in page_text(mother.get(tenant_a.url("")))


def test_a_parent_never_sees_the_other_households_address_unless_the_file_says_so(tenant_a, parents):
    mother_household, father_household = parents["households"]
    text = page_text(parents["mother"].get(tenant_a.url("ma-famille/")))
    assert mother_household.address_line in text
    assert father_household.address_line not in text and "paul@parent.example" not in text
    assert "06 02 00 00 00" not in text
    father_adult = father_household.adults.get()
    assert parents["mother"].get(tenant_a.url(f"ma-famille/membres/{father_adult.pk}/")).status_code == 404
    assert parents["mother"].get(tenant_a.url("ma-famille/coordonnees/")).status_code == 404

    export = parents["mother"].get(tenant_a.url("mon-compte/mes-donnees/")).content.decode()
    assert mother_household.address_line in export
    for other in ("paul@parent.example", "pere@cc-a.example", father_household.address_line, "06 02 00 00 00"):
        assert other not in export, other

    Household.objects.filter(pk=father_household.pk).update(contacts_visible=True)
    text = page_text(parents["mother"].get(tenant_a.url("ma-famille/")))
    assert father_household.address_line in text and "paul@parent.example" in text
    assert parents["mother"].get(tenant_a.url(f"ma-famille/membres/{father_adult.pk}/")).status_code == 404


def test_families_without_households_see_everything_as_before(tenant_a):
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    family = tenant_a.family_user.family
    invoice = InvoiceFactory(organisation=tenant_a.organisation, family=family)
    client = client_for(tenant_a.family_user)
    assert invoice.number in page_text(client.get(tenant_a.url("mes-factures/?statut=toutes")))
    assert client.get(tenant_a.url("ma-famille/coordonnees/")).status_code == 200


# --- Back office and tenancy --------------------------------------------------------------------


def test_staff_set_households_and_the_arrangement_from_the_family_page(tenant_a):
    family = tenant_a.family_user.family
    org = tenant_a.organisation
    adults = [
        PersonFactory(organisation=org, family=family, role=PersonRole.ADULT, first_name=name)
        for name in ("Anne", "Paul")
    ]
    staff = client_for(tenant_a.admin)
    base = tenant_a.url(f"gestion/familles/{family.pk}/")
    assert "Parents séparés" in page_text(staff.get(base))
    for adult, login in ((adults[0], tenant_a.family_user), (adults[1], None)):
        response = staff.post(
            base + "foyers/ajouter/",
            {"label": f"Foyer de {adult.first_name}", "adults": [adult.pk], "logins": [login.pk] if login else []},
        )
        assert response.status_code == 302, page_text(response)
    first, second = Household.objects.filter(family=family).order_by("position")
    assert first.logins.get().user == tenant_a.family_user
    response = staff.post(
        base + "garde/", {"valid_from": "2026-03-02", "mode": CustodyMode.ALTERNATE_WEEKS, "even_weeks": second.pk}
    )
    assert response.status_code == 302
    text = page_text(staff.get(base + "garde/"))
    assert "Semaines alternées" in text and "02/03/2026" in text
    response = staff.post(
        base + "garde/", {"valid_from": "2026-03-02", "mode": CustodyMode.PERCENTAGE, "first_percent": "40"}
    )
    assert response.status_code == 400 and "commence déjà" in page_text(response)
    response = staff.post(
        tenant_a.url(f"gestion/familles/foyers/{first.pk}/"), {"label": "Foyer A", "contacts_visible": "on"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.label == "Foyer A" and first.contacts_visible


def test_custody_urls_and_posted_ids_of_another_family_or_organisation_answer_404_or_refuse(tenant_a, tenant_b):
    family = tenant_a.family_user.family
    first, second = separate(family)
    foreign_family = tenant_b.family_user.family
    foreign = separate(foreign_family)[0]
    neighbour = separate(tenant_a.other_family_user.family)[0]
    staff = client_for(tenant_a.admin)
    for path in (
        f"gestion/familles/{foreign_family.pk}/garde/",
        f"gestion/familles/{foreign_family.pk}/foyers/ajouter/",
        f"gestion/familles/foyers/{foreign.pk}/",
    ):
        assert staff.get(tenant_a.url(path)).status_code == 404, path
        assert staff.post(tenant_a.url(path), {"label": "x"}).status_code == 404, path
    # Ids of another family (same organisation) or of another organisation in the posted form: refused.
    base = tenant_a.url(f"gestion/familles/{family.pk}/")
    for even_weeks in (neighbour.pk, foreign.pk):
        response = staff.post(base + "garde/", {"valid_from": "2026-03-02", "mode": "weeks", "even_weeks": even_weeks})
        assert response.status_code == 400
    other_adult = neighbour.adults.get()
    response = staff.post(
        tenant_a.url(f"gestion/familles/foyers/{first.pk}/"), {"label": "x", "adults": [other_adult.pk]}
    )
    assert response.status_code == 400
    response = staff.post(
        tenant_a.url(f"gestion/familles/foyers/{first.pk}/"), {"label": "x", "logins": [tenant_a.other_family_user.pk]}
    )
    assert response.status_code == 400
    assert not CustodyArrangement.objects.filter(family=family).exists()
    first.refresh_from_db()
    assert first.label == "Foyer de Anne"
    # Parents and agents without the right do not reach the page.
    assert client_for(tenant_a.family_user).get(base + "garde/").status_code in (302, 403, 404)


# --- Outside systems: the Trésor's debtor, our direct debits ------------------------------------


def test_helios_debtor_of_a_household_invoice_is_that_parent_and_no_family_mandate_debits_it(helios_world):  # noqa: F811
    debtor = helios_world["families"][0]  # the family with the active SEPA mandate
    household = HouseholdFactory(
        organisation=helios_world["organisation"],
        family=debtor,
        payer_civility="MME",
        payer_last_name="Durand",
        payer_first_name="Anne",
        address_line="9 rue Neuve",
        postal_code="58150",
        city="Pouilly-sur-Loire",
    )
    Invoice.objects.filter(pk=helios_world["invoices"][0].pk).update(household=household)
    assert sepa.collectable(helios_world["organisation"]) == []
    roll = _export(helios_world)
    first = _tree(roll).getroot().find("PES_RecetteAller/Bordereau/Piece")
    tiers = first.find("LigneDePiece/Tiers/InfoTiers")
    assert (_v(tiers, "Nom"), _v(tiers, "Prenom"), _v(tiers, "Civilite")) == ("DURAND", "ANNE", "MME")
    assert _v(tiers, "RefTiers") == f"F{debtor.pk}H1"
    assert first.find("LigneDePiece/BlocLignePiece/InfoPrelevementSEPA") is None
    assert roll.sepa_count == 0
