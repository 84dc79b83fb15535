"""PSU pricing, contracts, attendance and monthly invoices (issue 19): the worked example to the
cent (reference caf-psu-qf.md 2.B), the ceiling across 1 September 2025, the floor, amendments."""

from datetime import date, time

import pytest
import time_machine

from ribambelle.billing import services as billing
from ribambelle.billing.models import Invoice, InvoiceLine
from ribambelle.creche import pricing, reports, services
from ribambelle.creche.models import AbsenceReason, ContractKind

from .creche_world import D, contract, creche, scale

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tenant_a):
    organisation = tenant_a.organisation
    scale(organisation, date(2024, 9, 1), ceiling="7000.00")
    scale(organisation, date(2025, 9, 1), ceiling="8500.00")
    return organisation, creche(organisation)


def _invoice_month(organisation, month: date) -> Invoice:
    end = pricing.next_month(month) - pricing.timedelta(days=1)
    run = billing.create_run(organisation=organisation, period_start=month, period_end=end, acting_user=None)
    billing.process_run(run_id=run.pk, send_email=False)
    return Invoice.objects.get(run=run)


def test_worked_example_rate_and_monthly_amount(world):
    organisation, activity = world
    version = contract(organisation, activity).versions.get()
    assert version.monthly_resources == D("3500.00")
    assert version.rate_percent == D("0.0516")
    assert version.hourly_rate == D("1.806")
    assert version.weekly_hours == D("36") and version.yearly_hours == D("1620")
    assert pricing.monthly_amount(yearly_hours=version.yearly_hours, hourly=version.hourly_rate, months=12) == D(
        "243.81"
    )


def test_aeeh_gives_the_next_brackets_rate(world):
    organisation, activity = world
    version = contract(organisation, activity, aeeh=True).versions.get()
    assert version.rate_percent == D("0.0413")
    assert version.hourly_rate == D("1.4455")


def test_very_low_resources_use_the_floor(world):
    organisation, activity = world
    version = contract(organisation, activity, annual_resources=D("6000.00")).versions.get()
    assert version.monthly_resources == D("801.00")
    assert version.hourly_rate == D("0.4133")  # 801 × 0.0516 % = 0.413316


@time_machine.travel(date(2026, 12, 1), tick=False)
def test_worked_example_month_with_extra_hours_and_hospitalisation(world):
    organisation, activity = world
    c = contract(organisation, activity)
    # 3 extra hours: 07:00-19:00 on a contracted 08:00-17:00 Wednesday.
    day = services.record_day(contract=c, day=date(2026, 11, 4), arrival=time(7), departure=time(19), acting_user=None)
    assert (day.attended_hours, day.extra_hours) == (D("12"), D("3"))
    # 18 hours of hospitalisation: two contracted days of 9 h.
    for d in (date(2026, 11, 2), date(2026, 11, 3)):
        services.record_absence(contract=c, day=d, reason=AbsenceReason.HOSPITAL, acting_user=None)
    invoice = _invoice_month(organisation, date(2026, 11, 1))
    amounts = sorted(InvoiceLine.objects.filter(invoice=invoice).values_list("amount", flat=True))
    assert amounts == [D("-32.51"), D("5.42"), D("243.81")]
    assert invoice.total == D("216.72")
    labels = " | ".join(InvoiceLine.objects.filter(invoice=invoice).values_list("label", flat=True))
    assert "135 h × 1,806 €/h" in labels and "3 h × 1,806 €/h" in labels and "18 h × 1,806 €/h" in labels
    # Invoiced once: the next run of the same month has nothing to invoice.
    with pytest.raises(Exception, match="Rien à facturer"):
        billing.create_run(
            organisation=organisation, period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), acting_user=None
        )


def test_ceiling_follows_the_month_billed_across_1_september_2025(world):
    organisation, activity = world
    c = contract(
        organisation,
        activity,
        start=date(2025, 6, 1),
        end=date(2026, 5, 31),
        annual_resources=D("120000.00"),
        dependent_children=1,
    )
    assert c.versions.get().monthly_resources == D("7000.00")  # frozen at signing
    with time_machine.travel(date(2025, 10, 1), tick=False):
        august = _invoice_month(organisation, date(2025, 8, 1))
        september = _invoice_month(organisation, date(2025, 9, 1))
    # 7,000 × 0.0619 % = 4.333 €/h; 8,500 × 0.0619 % = 5.2615 €/h; 1,620 h ÷ 12 = 135 h.
    assert august.total == D("584.96")  # 135 × 4.333 = 584.955
    assert september.total == D("710.30")  # 135 × 5.2615 = 710.3025
    assert "4,333 €/h" in august.lines.get().label and "5,2615 €/h" in september.lines.get().label


@time_machine.travel(date(2026, 11, 15), tick=False)
def test_amendment_makes_a_new_version_and_earlier_invoices_do_not_move(world):
    organisation, activity = world
    c = contract(organisation, activity)
    september = _invoice_month(organisation, date(2026, 9, 1))
    assert september.total == D("243.81")
    services.amend_contract(
        contract=c,
        valid_from=date(2026, 11, 1),
        values={**_values(), "schedule": {str(d): ["08:00", "17:00"] for d in range(5)}},  # 45 h a week
        acting_user=None,
    )
    assert c.versions.count() == 2
    september.refresh_from_db()
    assert september.total == D("243.81")
    october = _invoice_month(organisation, date(2026, 10, 1))
    november = _invoice_month(organisation, date(2026, 11, 1))
    assert october.total == D("243.81")  # the version in force in October
    assert november.total == D("304.76")  # 45 × 45 = 2,025 h × 1.806 ÷ 12 = 304.7625


def _values(**changes):
    from .creche_world import values

    return values(**changes)


def test_amendment_must_start_on_a_month_and_after_the_last_version(world):
    organisation, activity = world
    c = contract(organisation, activity)
    with pytest.raises(Exception, match="premier jour"):
        services.amend_contract(contract=c, valid_from=date(2026, 10, 15), values=_values(), acting_user=None)
    with pytest.raises(Exception, match="pendant le contrat"):
        services.amend_contract(contract=c, valid_from=date(2027, 10, 1), values=_values(), acting_user=None)
    assert c.versions.count() == 1


@time_machine.travel(date(2026, 12, 1), tick=False)
def test_occasional_care_is_billed_on_hours_attended(world):
    organisation, activity = world
    c = contract(organisation, activity, kind=ContractKind.OCCASIONAL, schedule={}, weeks_per_year=D("0"))
    services.record_day(
        contract=c, day=date(2026, 11, 5), arrival=time(8, 10), departure=time(11, 50), acting_user=None
    )
    # 3 h 40 rounded to the started half-hour: 4 h × 1.806 = 7.224.
    invoice = _invoice_month(organisation, date(2026, 11, 1))
    assert invoice.total == D("7.22")


@time_machine.travel(date(2026, 12, 1), tick=False)
def test_caf_figures_equal_what_the_invoices_say(world):
    organisation, activity = world
    c = contract(organisation, activity)
    for d in (date(2026, 11, 2), date(2026, 11, 3)):
        services.record_absence(contract=c, day=d, reason=AbsenceReason.HOSPITAL, acting_user=None)
    services.record_day(contract=c, day=date(2026, 11, 4), arrival=time(7), departure=time(19), acting_user=None)
    # 112.5 h attended in November: the 12 h day above and 11 days of 9 h, one of 1 h 30.
    days = [5, 9, 10, 11, 12, 16, 17, 18, 19, 23, 24]
    for d in days:
        services.record_day(contract=c, day=date(2026, 11, d), arrival=time(8), departure=time(17), acting_user=None)
    services.record_day(contract=c, day=date(2026, 11, 25), arrival=time(8), departure=time(9, 30), acting_user=None)
    october = _invoice_month(organisation, date(2026, 10, 1))
    november = _invoice_month(organisation, date(2026, 11, 1))
    figures = reports.yearly_figures(organisation, year=2026)
    crèche_lines = InvoiceLine.objects.filter(invoice__in=[october, november])
    assert figures.contributions == sum(line.amount for line in crèche_lines) == D("243.81") + D("216.72")
    assert figures.billed_hours == D("135") + D("120")  # November: 135 + 3 − 18
    assert figures.attended_hours == D("112.5")
    november_row = figures.month(date(2026, 11, 1))
    assert november_row.billed_hours == D("120") and november_row.attended_hours == D("112.5")
    assert november_row.billing_rate == D("106.7")
    assert november_row.contributions == november.total


@time_machine.travel(date(2026, 12, 1), tick=False)
def test_filoue_file_lists_consenting_families_with_what_the_invoices_say(world):
    from ribambelle.caf.models import StructureCafIdentifiers
    from ribambelle.core.exceptions import DomainError

    organisation, activity = world
    consenting = contract(organisation, activity)
    consenting.filoue_consent, consenting.allocataire_number = True, "1234567"
    consenting.save()
    consenting.family.postal_code = "21320"
    consenting.family.save()
    contract(organisation, activity)  # no consent: not in the file
    services.record_day(
        contract=consenting, day=date(2026, 11, 4), arrival=time(7), departure=time(19), acting_user=None
    )
    run = billing.create_run(
        organisation=organisation, period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), acting_user=None
    )
    billing.process_run(run_id=run.pk, send_email=False)
    with pytest.raises(DomainError, match="numéro de dossier CAF"):
        reports.filoue_rows(organisation, year=2026, structure=activity.structure)
    StructureCafIdentifiers.objects.create(
        organisation=organisation, structure=activity.structure, caf_number="21-EAJE-1", convention_number="PSU-1"
    )
    rows = reports.filoue_rows(organisation, year=2026, structure=activity.structure)
    assert rows == [
        ["2026", "21-EAJE-1", "PSU-1", "1234567", "unknown", "01/03/2025", "21320", "12.00", "138.00", "249.23"]
    ]
    text = reports.filoue_csv(rows).decode()
    assert text.startswith("annee;numero_dossier_caf_structure;") and text.count("\r\n") == 2
