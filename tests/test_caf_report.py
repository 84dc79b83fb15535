"""The CAF activity report (issue 17): hours attended and billed, split on the day by age band,
régime and QF bracket; warnings; CSV and XLSX equal to the screen; frozen reports and their
differences; structure limits; a constant number of queries."""

import csv
import io
from datetime import date, time
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope
from openpyxl import load_workbook

from ribambelle.activities.models import ActivityKind
from ribambelle.bookings.models import Booking, BookingStatus
from ribambelle.caf import selectors, services
from ribambelle.caf.models import ActivityCafRule, CafSnapshot, CareType
from ribambelle.families.models import Regime
from ribambelle.tenancy.roles import Role

from .conftest import client_for
from .factories import (
    ActivityFactory,
    BookingFactory,
    FamilyFactory,
    GroupFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    MembershipFactory,
    MembershipStructureFactory,
    OpeningFactory,
    PersonFactory,
    QuotientBracketFactory,
    RegistrationFactory,
    StructureFactory,
    UnitFactory,
)

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _november():
    with time_machine.travel(date(2026, 11, 20), tick=False):
        yield


class Month:
    """October 2026 at one structure: a périscolaire (morning 1 h, evening 2 h) and a Wednesday
    activity (a 10.5 h day capped at 9 h); three children:
    - Alice turns 6 on 15 October, régime général, QF 500 from January (then 900 from November);
    - Bruno is 8, MSA, QF 1,000 only in the family's current fields (since September);
    - Chloé is 9, régime général, no QF at all."""

    def __init__(self, organisation):
        self.org = organisation
        self.structure = StructureFactory(organisation=organisation, name="Accueil périscolaire de Bioule")
        QuotientBracketFactory(organisation=organisation, label="QF < 700", upper_bound=Decimal("700"))
        QuotientBracketFactory(organisation=organisation, label="QF 700 à 1199", upper_bound=Decimal("1200"))
        QuotientBracketFactory(organisation=organisation, label="QF 1200 et plus", upper_bound=None)
        self.peri = ActivityFactory(
            organisation=organisation,
            structure=self.structure,
            kind=ActivityKind.PERISCOLAIRE,
            name="Périscolaire Bioule",
            start_date=date(2026, 9, 1),
            end_date=date(2027, 7, 4),
        )
        self.peri_group = GroupFactory(organisation=organisation, activity=self.peri)
        self.morning = UnitFactory(
            organisation=organisation, activity=self.peri, name="Matin", start_time=time(7, 30), end_time=time(8, 30)
        )
        self.evening = UnitFactory(
            organisation=organisation, activity=self.peri, name="Soir", start_time=time(16, 30), end_time=time(18, 30)
        )
        self.wed = ActivityFactory(
            organisation=organisation,
            structure=self.structure,
            kind=ActivityKind.MERCREDIS,
            name="Mercredis Bioule",
            start_date=date(2026, 9, 2),
            end_date=date(2027, 7, 1),
        )
        self.wed_group = GroupFactory(organisation=organisation, activity=self.wed)
        self.wed_day = UnitFactory(
            organisation=organisation, activity=self.wed, name="Journée", start_time=time(8, 0), end_time=time(18, 30)
        )
        ActivityCafRule.objects.create(
            organisation=organisation,
            activity=self.wed,
            care_type=CareType.MERCREDI,
            wednesday_cap_hours=Decimal("9"),
        )
        self.openings = {}
        self.admin = MembershipFactory(organisation=organisation, role=Role.ADMINISTRATOR).user

        self.family_a = FamilyFactory(organisation=organisation, name="ARNAUD", regime=Regime.GENERAL)
        self.alice = PersonFactory(
            organisation=organisation, family=self.family_a, first_name="Alice", birth_date=date(2020, 10, 15)
        )
        self.family_b = FamilyFactory(
            organisation=organisation,
            name="BERNARD",
            regime=Regime.MSA,
            family_quotient=Decimal("1000"),
            family_quotient_date=date(2026, 9, 1),
        )
        self.bruno = PersonFactory(
            organisation=organisation, family=self.family_b, first_name="Bruno", birth_date=date(2018, 3, 1)
        )
        self.family_c = FamilyFactory(organisation=organisation, name="CARON", regime=Regime.GENERAL)
        self.chloe = PersonFactory(
            organisation=organisation, family=self.family_c, first_name="Chloé", birth_date=date(2017, 5, 5)
        )
        for month, value in ((date(2026, 1, 1), "500"), (date(2026, 11, 1), "900")):
            services.record_family_quotient(
                family=self.family_a,
                value=Decimal(value),
                source="caf",
                reference_month=month,
                acting_user=self.admin,
            )
        self.registrations = {}

    def opening(self, unit, day):
        key = (unit.pk, day)
        if key not in self.openings:
            group = self.wed_group if unit.activity_id == self.wed.pk else self.peri_group
            self.openings[key] = OpeningFactory(
                organisation=self.org, activity=unit.activity, unit=unit, group=group, date=day, capacity=50
            )
        return self.openings[key]

    def book(self, child, unit, day, status=BookingStatus.PRESENT, **extra) -> Booking:
        activity = unit.activity
        key = (child.pk, activity.pk)
        if key not in self.registrations:
            group = self.wed_group if activity.pk == self.wed.pk else self.peri_group
            self.registrations[key] = RegistrationFactory(
                organisation=self.org, family=child.family, child=child, group=group
            )
        return BookingFactory(
            organisation=self.org,
            family=child.family,
            registration=self.registrations[key],
            opening=self.opening(unit, day),
            status=status,
            **extra,
        )

    def fill(self):
        """Attendance of the month (see the expected figures in the tests)."""
        self.alice_days = {}
        for day in (12, 13, 15, 16):
            arrived = time(18, 20) if day == 16 else None  # 10 minutes in a 2-hour plage
            self.alice_days[day] = self.book(self.alice, self.evening, date(2026, 10, day), arrived_at=arrived)
        for day in (12, 13):
            self.book(self.bruno, self.morning, date(2026, 10, day))
            self.book(self.bruno, self.evening, date(2026, 10, day))
        self.bruno_absent = self.book(self.bruno, self.evening, date(2026, 10, 15), status=BookingStatus.ABSENT)
        self.book(self.chloe, self.evening, date(2026, 10, 12))
        self.chloe_wed = self.book(self.chloe, self.wed_day, date(2026, 10, 14))
        self.unmarked = self.book(self.chloe, self.evening, date(2026, 10, 16), status=BookingStatus.BOOKED)
        return self


def _report(month, **kwargs):
    with scope(organisation=month.org):
        return selectors.build_report(month.org, start=OCTOBER[0], end=OCTOBER[1], **kwargs)


def _row(report, care, dimension="total", value="", month="2026-10"):
    for row in report.rows:
        if row.key == (month, care, dimension, value):
            return row
    raise AssertionError(f"pas de ligne {(month, care, dimension, value)}")


@pytest.fixture
def month(tenant_a):
    return Month(tenant_a.organisation).fill()


def test_hours_are_split_by_age_on_the_day_by_regime_and_by_bracket(month):
    report = _report(month)
    peri = CareType.PERISCOLAIRE
    total = _row(report, peri)
    # Alice 4 evenings × 2 h (the 10-minute one counts the whole plage), Bruno 2 × (1 h + 2 h), Chloé 2 h.
    assert total.hours_attended == Decimal("16.00")
    assert total.children == 3
    # Alice is under 6 on the 12th and 13th, 6 from the 15th: her hours split on the day.
    assert _row(report, peri, "age", "0").hours_attended == Decimal("4.00")
    assert _row(report, peri, "age", "0").children == 1
    assert _row(report, peri, "age", "1").hours_attended == Decimal("12.00")
    assert _row(report, peri, "age", "1").children == 3
    assert _row(report, peri, "regime", Regime.GENERAL).hours_attended == Decimal("10.00")
    assert _row(report, peri, "regime", Regime.MSA).hours_attended == Decimal("6.00")
    assert _row(report, peri, "regime", Regime.OTHER).hours_attended == Decimal("0.00")
    # Brackets: Alice's QF of January (500), Bruno's current 1,000, Chloé none.
    assert _row(report, peri, "bracket", "0").hours_attended == Decimal("8.00")
    assert _row(report, peri, "bracket", "1").hours_attended == Decimal("6.00")
    assert _row(report, peri, "bracket", "2").hours_attended == Decimal("0.00")
    assert _row(report, peri, "bracket", "unknown").hours_attended == Decimal("2.00")
    # Each split adds up to the total.
    for dimension in ("age", "regime", "bracket"):
        rows = [r for r in report.rows if r.month == "2026-10" and r.care_type == peri and r.dimension == dimension]
        assert sum(r.hours_attended for r in rows) == total.hours_attended
    # Opening days: the days a unit was open (12, 13, 15, 16 October).
    assert total.opening_days == 4


def test_total_equals_the_sum_of_attendance_and_the_wednesday_cap_applies(month):
    report = _report(month)
    # Chloé's Wednesday: a 10.5 h day counts 9 h.
    assert _row(report, CareType.MERCREDI).hours_attended == Decimal("9.00")
    all_types = _row(report, selectors.ALL_CARE)
    assert all_types.hours_attended == Decimal("25.00")
    assert _row(report, selectors.ALL_CARE, month="total").hours_attended == Decimal("25.00")
    # Without the cap the day counts its span.
    ActivityCafRule.objects.filter(activity=month.wed).update(wednesday_cap_hours=None)
    assert _row(_report(month), CareType.MERCREDI).hours_attended == Decimal("10.50")


def test_ten_minutes_in_a_two_hour_plage_count_two_hours(tenant_a):
    month = Month(tenant_a.organisation)
    month.book(month.alice, month.evening, date(2026, 10, 20), arrived_at=time(18, 20), left_at=time(18, 30))
    assert _row(_report(month), CareType.PERISCOLAIRE).hours_attended == Decimal("2.00")


def test_daily_cap_and_rounding(tenant_a):
    month = Month(tenant_a.organisation)
    UnitFactory(organisation=month.org, activity=month.peri, name="Midi", start_time=time(11, 50), end_time=time(13, 0))
    midday = month.peri.units.get(name="Midi")
    month.book(month.bruno, midday, date(2026, 10, 20))
    month.book(month.bruno, month.evening, date(2026, 10, 20))
    # 1 h 10 + 2 h = 3 h 10; rounded up to the half hour: 3 h 30; capped at 3 h a day.
    ActivityCafRule.objects.create(
        organisation=month.org, activity=month.peri, care_type=CareType.PERISCOLAIRE, rounding=30
    )
    assert _row(_report(month), CareType.PERISCOLAIRE).hours_attended == Decimal("3.50")
    ActivityCafRule.objects.filter(activity=month.peri).update(daily_cap_hours=Decimal("3"))
    assert _row(_report(month), CareType.PERISCOLAIRE).hours_attended == Decimal("3.00")


def test_billed_hours_come_from_invoice_lines_never_from_bookings(month):
    invoice = InvoiceFactory(organisation=month.org, family=month.family_b)
    bruno_evenings = Booking.objects.filter(child=month.bruno, opening__unit=month.evening)
    for booking in bruno_evenings:  # 12, 13 present and 15 absent, billed
        InvoiceLineFactory(
            organisation=month.org,
            invoice=invoice,
            family=month.family_b,
            child=month.bruno,
            activity=month.peri,
            booking=booking,
            date=booking.date,
            amount=Decimal("3.00"),
        )
    # A credit note takes one line back.
    credit = InvoiceFactory(organisation=month.org, family=month.family_b, kind="credit_note")
    first = bruno_evenings.order_by("date").first()
    InvoiceLineFactory(
        organisation=month.org,
        invoice=credit,
        family=month.family_b,
        child=month.bruno,
        activity=month.peri,
        booking=first,
        date=first.date,
        amount=Decimal("-3.00"),
    )
    report = _report(month)
    row = _row(report, CareType.PERISCOLAIRE)
    assert row.hours_billed == Decimal("4.00")  # 3 evenings billed, 1 credited: 2 × 2 h
    assert row.contributions == Decimal("6.00")
    assert _row(report, CareType.PERISCOLAIRE, "regime", Regime.MSA).hours_billed == Decimal("4.00")
    assert _row(report, CareType.PERISCOLAIRE, "regime", Regime.GENERAL).hours_billed == Decimal("0.00")
    # Attendance is unchanged by billing: Bruno's absent evening is billed but not attended.
    assert row.hours_attended == Decimal("16.00")


def test_warnings_list_what_makes_the_figures_wrong(month):
    month.family_c.regime = Regime.UNKNOWN
    month.family_c.save()
    dylan = PersonFactory(organisation=month.org, family=month.family_c, first_name="Dylan", birth_date=None)
    month.book(dylan, month.evening, date(2026, 10, 13))
    report = _report(month)
    kinds = {warning.kind: warning for warning in report.warnings}
    assert kinds["birth_date"].items == ["Dylan CARON"]
    assert kinds["regime"].items == ["CARON"]
    assert kinds["quotient"].items == ["CARON"]
    assert kinds["roll_call"].items == ["16/10/2026 – Périscolaire Bioule"]
    assert _row(report, CareType.PERISCOLAIRE, "age", "unknown").hours_attended == Decimal("2.00")


def test_query_count_does_not_grow_with_children(tenant_a):
    month = Month(tenant_a.organisation).fill()
    with CaptureQueriesContext(connection) as few:
        _report(month)
    for index in range(15):
        family = FamilyFactory(organisation=month.org, regime=Regime.MSA)
        child = PersonFactory(organisation=month.org, family=family, birth_date=date(2019, 1, index + 1))
        for day in (12, 13, 15):
            month.book(child, month.evening, date(2026, 10, day))
    with CaptureQueriesContext(connection) as many:
        report = _report(month)
    assert _row(report, CareType.PERISCOLAIRE).children == 18
    assert len(many) == len(few) == 14


# --- Screen, CSV, XLSX, command -------------------------------------------------------------


def _director(month, *structures):
    membership = MembershipFactory(organisation=month.org, role=Role.DIRECTOR)
    for structure in structures:
        MembershipStructureFactory(organisation=month.org, membership=membership, structure=structure)
    return client_for(membership.user)


def _params(month, **extra):
    return {"du": "01/10/2026", "au": "31/10/2026", "structure": str(month.structure.pk), **extra}


def _screen_figures(html: str) -> list[list[str]]:
    """The figures of the screen's tables: each row's cells marked data-cell."""
    import re

    rows = re.findall(r'<tr data-key="([^"]+)"[^>]*>(.*?)</tr>', html, re.S)
    return [[key, *re.findall(r'data-cell="[^"]+">([^<]*)<', body)] for key, body in rows]


def test_screen_csv_and_xlsx_hold_the_same_figures(month):
    client = _director(month)
    url = f"/{month.org.slug}/gestion/caf/bilan/"
    page = client.get(url, _params(month))
    assert page.status_code == 200
    screen = _screen_figures(page.content.decode())
    assert screen, "le bilan affiche des lignes"
    with scope(organisation=month.org):
        report = selectors.build_report(month.org, start=OCTOBER[0], end=OCTOBER[1], structure=month.structure)
    assert len(screen) == len(report.rows)

    response = client.get(url + "export/csv/", _params(month))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, body = table[0], table[1:]
    assert header[:4] == ["Mois", "Type d'accueil", "Répartition", "Valeur"]
    response = client.get(url + "export/xlsx/", _params(month))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = load_workbook(io.BytesIO(response.content)).active
    xlsx = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]

    assert len(body) == len(xlsx) == len(screen)
    for (key, *cells), csv_row, xlsx_row in zip(screen, body, xlsx, strict=True):
        # hours attended, hours billed, children, contributions, opening days
        assert cells == csv_row[4:9], key
        kinds = ("hours", "hours", "count", "money", "count")
        assert [_french(value, kind) for value, kind in zip(xlsx_row[4:9], kinds, strict=True)] == csv_row[4:9], key
    peri_total = next(r for r in body if r[1] == "Périscolaire" and r[2] == "Total" and r[0] == "octobre 2026")
    assert peri_total[4] == "16,00"


def _french(value, kind) -> str:
    if value is None:
        return ""
    if kind == "count":
        return str(value)
    return f"{Decimal(str(value)):.2f}".replace(".", ",")


def test_the_command_writes_csv_and_xlsx(month, tmp_path):
    target = tmp_path / "bilan.csv"
    call_command(
        "caf_report",
        organisation=month.org.slug,
        date_from="2026-10-01",
        date_to="2026-10-31",
        format="csv",
        output=str(target),
    )
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert any(r[1] == "Mercredi" and r[2] == "Total" and r[4] == "9,00" for r in rows)
    target = tmp_path / "bilan.xlsx"
    call_command(
        "caf_report",
        organisation=month.org.slug,
        date_from="2026-10-01",
        date_to="2026-10-31",
        format="xlsx",
        output=str(target),
    )
    sheet = load_workbook(target).active
    assert sheet.max_row == len(rows)


def test_bad_period_is_refused_with_a_french_message(month):
    client = _director(month)
    page = client.get(f"/{month.org.slug}/gestion/caf/bilan/", {"du": "31/10/2026", "au": "01/10/2026"})
    assert page.status_code == 400
    assert "La date de fin doit suivre la date de début" in page.content.decode()
    page = client.get(f"/{month.org.slug}/gestion/caf/bilan/", {"du": "hier", "au": "01/10/2026"})
    assert page.status_code == 400


# --- Freeze and differences -------------------------------------------------------------------


def test_a_frozen_report_does_not_change_and_shows_the_difference(month):
    client = _director(month)
    response = client.post(f"/{month.org.slug}/gestion/caf/figer/", {**_params(month), "label": "Déclaration 2026"})
    assert response.status_code == 302
    snapshot = CafSnapshot.objects.get(organisation=month.org)
    assert snapshot.frozen_by_name
    frozen = list(snapshot.figures["rows"])
    # A forgotten roll call is corrected: Chloé was there on the 16th.
    month.unmarked.status = BookingStatus.PRESENT
    month.unmarked.save()
    snapshot.refresh_from_db()
    assert snapshot.figures["rows"] == frozen
    with scope(organisation=month.org):
        current = selectors.build_report(month.org, start=OCTOBER[0], end=OCTOBER[1], structure=month.structure)
        diffs = selectors.differences(snapshot, current)
    peri = next(d for d in diffs if d.row.key == ("2026-10", CareType.PERISCOLAIRE, "total", ""))
    assert peri.changes["hours_attended"] == (Decimal("16.00"), Decimal("18.00"), Decimal("2.00"))
    page = client.get(f"/{month.org.slug}/gestion/caf/figes/{snapshot.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Déclaration 2026" in text
    assert "+2,00" in text
    assert "16,00" in text  # the frozen figure is still shown


# --- Reach ------------------------------------------------------------------------------------


def test_limited_director_sees_only_her_structures(month):
    other = StructureFactory(organisation=month.org, name="Accueil de Nègrepelisse")
    client = _director(month, other)
    url = f"/{month.org.slug}/gestion/caf/bilan/"
    page = client.get(url, _params(month))
    assert page.status_code == 400  # Bioule is not one of her structures: not a choice
    page = client.get(url, {"du": "01/10/2026", "au": "31/10/2026"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Accueil périscolaire de Bioule" not in text
    assert "16,00" not in text
    # "All structures" is not offered to her: her default is her own structure.
    assert 'value=""' not in text.split('name="structure"')[1].split("</select>")[0]


def test_agent_and_outsiders_cannot_open_the_report(month, tenant_a):
    assert client_for(tenant_a.agent).get(f"/{month.org.slug}/gestion/caf/bilan/").status_code == 403
    finance = MembershipFactory(organisation=month.org, role=Role.FINANCE).user
    assert client_for(finance).get(f"/{month.org.slug}/gestion/caf/bilan/", _params(month)).status_code == 200


# --- The family's régime and dated quotients ------------------------------------------------


def test_staff_records_dated_quotients_and_the_current_qf_follows_the_latest(tenant_a):
    org = tenant_a.organisation
    family = FamilyFactory(organisation=org, name="DURAND")
    client = client_for(tenant_a.admin)
    url = f"/{org.slug}/gestion/familles/{family.pk}/quotients/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"value": "640", "source": "caf", "reference_month": "2026-09"})
    assert response.status_code == 302
    family.refresh_from_db()
    assert family.family_quotient == Decimal("640")
    assert family.family_quotient_date == date(2026, 9, 1)
    # An older month goes into the history without replacing the current QF.
    client.post(url, {"value": "580", "source": "msa", "reference_month": "2026-03"})
    family.refresh_from_db()
    assert family.family_quotient == Decimal("640")
    assert family.quotient_records.count() == 2
    # The same month twice: refused with a French message, nothing changed.
    response = client.post(url, {"value": "700", "source": "caf", "reference_month": "2026-09"})
    assert response.status_code == 400
    assert "Un quotient est déjà enregistré pour 09/2026" in response.content.decode()
    assert family.quotient_records.count() == 2
    response = client.post(url, {"value": "-5", "source": "caf", "reference_month": "2026-10"})
    assert response.status_code == 400
    # The régime.
    response = client.post(f"/{org.slug}/gestion/familles/{family.pk}/regime/", {"regime": Regime.MSA})
    assert response.status_code == 302
    family.refresh_from_db()
    assert family.regime == Regime.MSA
    assert "MSA" in client.get(f"/{org.slug}/gestion/familles/{family.pk}/").content.decode()
    # The QF of a day is the one valid that day.
    with scope(organisation=org):
        assert selectors.quotient_history(family)[0].value == Decimal("640")


def test_an_agent_sees_but_cannot_change_quotients(tenant_a):
    org = tenant_a.organisation
    family = FamilyFactory(organisation=org)
    client = client_for(tenant_a.agent)
    url = f"/{org.slug}/gestion/familles/{family.pk}/quotients/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"value": "640", "source": "caf", "reference_month": "2026-09"}).status_code == 403
    assert client.post(f"/{org.slug}/gestion/familles/{family.pk}/regime/", {"regime": "msa"}).status_code == 403
    assert not family.quotient_records.exists()


def test_settings_pages_save_identifiers_rules_and_age_bands(month):
    client = client_for(month.admin)
    base = f"/{month.org.slug}/gestion/caf/"
    assert client.get(base + "reglages/").status_code == 200
    response = client.post(
        base + f"structures/{month.structure.pk}/",
        {"caf_number": "82-123456", "agreement_number": "0820001CL000123", "convention_number": "PSO-2026-12"},
    )
    assert response.status_code == 302
    response = client.post(
        base + f"activites/{month.peri.pk}/",
        {
            "care_type": CareType.PERISCOLAIRE,
            "daily_cap_hours": "",
            "wednesday_cap_hours": "",
            "rounding": "0",
            f"unit_{month.evening.pk}": "1.5",
            f"unit_{month.morning.pk}": "",
        },
    )
    assert response.status_code == 302
    # The evening now counts 1.5 h: Alice 4 × 1.5 + Bruno 2 × (1 + 1.5) + Chloé 1.5 = 12.5 h.
    assert _row(_report(month), CareType.PERISCOLAIRE).hours_attended == Decimal("12.50")
    response = client.post(base + "reglages/", {"age_bounds": "6, 12"})
    assert response.status_code == 302
    report = _report(month)
    assert [r.value_label for r in report.rows if r.dimension == "age" and r.care_type == "periscolaire"][:3] == [
        "Moins de 6 ans",
        "De 6 à 11 ans",
        "12 ans et plus",
    ]
    response = client.post(base + "reglages/", {"age_bounds": "six"})
    assert response.status_code == 400
    assert "Indiquez des âges entiers" in response.content.decode()
    page = client.get(base + "bilan/", _params(month)).content.decode()
    assert "82-123456" in page


def _page_queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_report_page_query_count_does_not_grow_with_children(month):
    client = _director(month)
    url = f"/{month.org.slug}/gestion/caf/bilan/"
    few = _page_queries(client, url, _params(month))
    for index in range(10):
        family = FamilyFactory(organisation=month.org, regime=Regime.GENERAL)
        child = PersonFactory(organisation=month.org, family=family, birth_date=date(2018, 2, index + 1))
        for day in (12, 13):
            month.book(child, month.evening, date(2026, 10, day))
    assert _page_queries(client, url, _params(month)) == few


@pytest.mark.parametrize("value", ["", "abc", "2026-13-45", "-1", "99999999999999999999", "<script>"])
def test_report_pages_survive_bad_parameters(month, value):
    client = _director(month)
    base = f"/{month.org.slug}/gestion/caf/"
    for path in ("bilan/", "bilan/export/csv/", "bilan/export/xlsx/"):
        response = client.get(base + path, {"du": value, "au": value, "structure": value})
        assert response.status_code == 400, (path, value)
    response = client.post(base + "figer/", {"du": value, "au": "2026-10-31", "structure": value})
    assert response.status_code == 400
    assert not CafSnapshot.objects.exists()
