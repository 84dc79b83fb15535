"""Statistiques: every figure equals a direct count on a small fixed data set, a director limited
to her structures sees only their figures, each chart's query count does not grow with the
period or the number of children, and the tables, CSV and elected officials' PDF say the same."""

import io
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from ribambelle.core.formats import format_euros
from ribambelle.stats import figures, selectors, svg
from ribambelle.stats.charts import Chart, Series
from ribambelle.stats.selectors import StatsScope
from ribambelle.tenancy.roles import Role
from ribambelle.tenancy.selectors import membership_for_user

from .conftest import client_for, page_text
from .factories import (
    ActivityFactory,
    BookingFactory,
    FamilyFactory,
    GroupFactory,
    InvoiceFactory,
    MembershipFactory,
    MembershipStructureFactory,
    OpeningFactory,
    PaymentFactory,
    PersonFactory,
    RegistrationFactory,
    StructureFactory,
    UnitFactory,
)

TODAY = date(2026, 11, 30)
YEAR = (date(2026, 9, 1), date(2027, 8, 31))


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(TODAY.strftime("%Y-%m-%dT10:00").replace("T", " ") + "+01:00", tick=False):
        yield


def _activity(org, structure, kind, unit_times, *, capacity, days, name):
    activity = ActivityFactory(
        organisation=org, structure=structure, kind=kind, name=name, start_date=days[0], end_date=days[-1]
    )
    group = GroupFactory(organisation=org, activity=activity, name=f"G {name}", default_capacity=capacity)
    unit = UnitFactory(organisation=org, activity=activity, name="U", start_time=unit_times[0], end_time=unit_times[1])
    openings = [
        OpeningFactory(organisation=org, activity=activity, unit=unit, group=group, date=day, capacity=capacity)
        for day in days
    ]
    return activity, group, openings


def _child(org, family, group, *, born):
    child = PersonFactory(organisation=org, family=family, birth_date=born)
    registration = RegistrationFactory(
        organisation=org, family=family, child=child, group=group, activity=group.activity
    )
    return registration


def _book(org, registration, opening, status, **extra):
    return BookingFactory(
        organisation=org,
        family=registration.family,
        registration=registration,
        child=registration.child,
        opening=opening,
        activity=opening.activity,
        date=opening.date,
        status=status,
        **extra,
    )


@pytest.fixture
def world(tenant_a):
    """Two centres. Wednesdays (centre 1, 08:00–12:00, 2 places) on 7, 14 and 21 October:
    the 7th full (Léo present, Zoé absent), the 14th Léo present and Zoé on the waiting list,
    the 21st Léo excused and Zoé cancelled after the deadline. Périscolaire (centre 2,
    16:30–18:30, 10 places) on 7 October: Tom present. Four open invoices of every age, one paid."""
    org = tenant_a.organisation
    centre_1 = StructureFactory(organisation=org, name="Centre 1")
    centre_2 = StructureFactory(organisation=org, name="Centre 2")
    wednesdays, w_group, w_days = _activity(
        org,
        centre_1,
        "mercredis",
        (time(8), time(12)),
        capacity=2,
        days=[date(2026, 10, 7), date(2026, 10, 14), date(2026, 10, 21)],
        name="Mercredis",
    )
    peri, p_group, p_days = _activity(
        org,
        centre_2,
        "periscolaire",
        (time(16, 30), time(18, 30)),
        capacity=10,
        days=[date(2026, 10, 7)],
        name="Garderie Sud",
    )
    martin = FamilyFactory(organisation=org, name="MARTIN")
    durand = FamilyFactory(organisation=org, name="DURAND")
    leo = _child(org, martin, w_group, born=date(2022, 3, 1))  # 4 on 1 September: 3–5
    zoe = _child(org, martin, w_group, born=date(2018, 5, 1))  # 8: 6–11
    tom = _child(org, durand, p_group, born=date(2013, 1, 1))  # 13: 12 and over
    _book(org, leo, w_days[0], "present")
    _book(org, zoe, w_days[0], "absent")
    _book(org, leo, w_days[1], "present")
    _book(org, zoe, w_days[1], "waiting")
    _book(org, leo, w_days[2], "excused")
    _book(org, zoe, w_days[2], "cancelled", late_cancellation=True)
    _book(org, tom, p_days[0], "present")
    # DURAND had a place last school year: not a new family.
    old_peri, old_group, old_days = _activity(
        org, centre_2, "periscolaire", (time(16, 30), time(18, 30)), capacity=10, days=[date(2025, 10, 6)], name="Old"
    )
    _book(org, _child(org, durand, old_group, born=date(2013, 1, 1)), old_days[0], "present")

    def invoice(family, total, paid, due, status, issued=date(2026, 10, 31)):
        return InvoiceFactory(
            organisation=org,
            family=family,
            total=Decimal(total),
            amount_paid=Decimal(paid),
            due_date=due,
            status=status,
            issue_date=issued,
        )

    invoice(martin, "100.00", "0.00", date(2026, 12, 10), "due")  # not yet due
    invoice(martin, "50.00", "20.00", date(2026, 11, 15), "partial")  # 15 days late
    invoice(durand, "80.00", "0.00", date(2026, 9, 30), "due", issued=date(2026, 9, 15))  # 61 days
    invoice(durand, "40.00", "0.00", date(2026, 6, 1), "due", issued=date(2026, 5, 15))  # 182 days, last year
    invoice(martin, "30.00", "30.00", date(2026, 11, 1), "paid")
    PaymentFactory(organisation=org, family=martin, amount=Decimal("50.00"), received_on=date(2026, 11, 2))
    return {"org": org, "centres": (centre_1, centre_2), "wednesdays": wednesdays, "peri": peri}


def _membership(tenant, role=Role.ADMINISTRATOR, *structures):
    membership = MembershipFactory(organisation=tenant.organisation, role=role)
    for structure in structures:
        MembershipStructureFactory(organisation=tenant.organisation, membership=membership, structure=structure)
    return membership_for_user(membership.user)


def _scope(membership, start=YEAR[0], end=YEAR[1], **kw):
    return StatsScope(membership=membership, start=start, end=end, **kw)


def test_occupancy_full_days_and_waiting_list_equal_direct_counts(tenant_a, world):
    rows = selectors.occupancy_by_week(_scope(_membership(tenant_a)))
    wednesdays = {row["week"]: row for row in rows if row["activity__name"] == "Mercredis"}
    assert [(w, r["places"], r["booked"], r["full"], r["waiting"]) for w, r in sorted(wednesdays.items())] == [
        (date(2026, 10, 5), 2, 2, 1, 0),
        (date(2026, 10, 12), 2, 1, 0, 1),
        (date(2026, 10, 19), 2, 1, 0, 0),  # an excused absence still held the place
    ]
    days = {
        row["activity__name"]: (row["days"], row["full_days"])
        for row in selectors.full_days(_scope(_membership(tenant_a)))
    }
    assert days == {"Mercredis": (3, 1), "Garderie Sud": (1, 0)}
    chart = figures.occupancy(_scope(_membership(tenant_a)), today=TODAY)
    assert "« Mercredis » a été complet au moins un jour 1 semaines sur 3" in chart.summary
    waiting = figures.waiting_list(_scope(_membership(tenant_a)), today=TODAY)
    assert waiting.series[0].values == [0, 1, 0]


def test_no_shows_and_late_cancellations_per_activity_and_month(tenant_a, world):
    rows = selectors.attendance_by_month(_scope(_membership(tenant_a)))
    october = {row["activity__name"]: row for row in rows}
    assert {k: october["Mercredis"][k] for k in ("booked", "present", "absent", "excused", "late_cancelled")} == {
        "booked": 4,
        "present": 2,
        "absent": 1,
        "excused": 1,
        "late_cancelled": 1,
    }
    assert october["Garderie Sud"]["present"] == 1 and october["Garderie Sud"]["absent"] == 0
    chart = figures.attendance(_scope(_membership(tenant_a)), today=TODAY)
    assert "Sur 5 places réservées : 3 présences, 1 absences non justifiées (20 %)" in chart.summary


def test_hours_attended_are_presences_times_unit_duration_by_type_of_care(tenant_a, world):
    rows = selectors.hours_by_month(_scope(_membership(tenant_a)))
    assert [(r["month"], r["split"], r["hours"]) for r in rows] == [
        (date(2026, 10, 1), "Mercredis", Decimal("8.00")),  # Léo twice × 4 h
        (date(2026, 10, 1), "Périscolaire", Decimal("2.00")),  # Tom once × 2 h
    ]


def test_children_families_and_new_families_by_age_band(tenant_a, world):
    served = selectors.people_served(_scope(_membership(tenant_a)))
    assert served["children"] == 3  # Léo, Zoé (absent still held a place), Tom
    assert served["bands"] == {"0-2": 0, "3-5": 1, "6-11": 1, "12+": 1}
    assert served["families"] == 2 and served["new_families"] == 1  # DURAND came last year


def test_unpaid_ageing_by_days_past_due(tenant_a, world):
    ageing = selectors.unpaid_ageing(_scope(_membership(tenant_a)), today=TODAY)
    assert ageing == {
        "not_due": {"amount": Decimal("100.00"), "count": 1},
        "under_30": {"amount": Decimal("30.00"), "count": 1},
        "30_90": {"amount": Decimal("80.00"), "count": 1},
        "over_90": {"amount": Decimal("40.00"), "count": 1},
    }
    money = {row["month"]: row for row in selectors.money_by_month(_scope(_membership(tenant_a)))}
    assert money[date(2026, 10, 1)]["invoiced"] == Decimal("180.00")
    assert money[date(2026, 10, 1)]["unpaid"] == Decimal("130.00")
    assert money[date(2026, 11, 1)]["collected"] == Decimal("50.00")
    assert money[date(2026, 9, 1)]["unpaid"] == Decimal("80.00")


def test_a_director_limited_to_her_structure_sees_only_its_figures(tenant_a, world):
    centre_1, _centre_2 = world["centres"]
    director = _membership(tenant_a, Role.DIRECTOR, centre_1)
    scope = _scope(director)
    assert {row["activity__name"] for row in selectors.attendance_by_month(scope)} == {"Mercredis"}
    assert [r["split"] for r in selectors.hours_by_month(scope)] == ["Mercredis"]
    assert selectors.people_served(scope)["children"] == 2
    # Money: the families within her structures (MARTIN), not DURAND.
    assert selectors.unpaid_ageing(scope, today=TODAY)["30_90"]["amount"] == Decimal("0.00")
    html = page_text(client_for(director.user).get(tenant_a.url("gestion/statistiques/")))
    assert "Mercredis" in html and "Garderie Sud" not in html
    # Asking for the other structure's activity is refused, in French, with the own figures shown.
    response = client_for(director.user).get(
        tenant_a.url(f"gestion/statistiques/?periode=annee&activite={world['peri'].pk}")
    )
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in page_text(response) and "Garderie Sud" not in page_text(response)


def test_agents_and_families_cannot_open_the_statistics(tenant_a, world):
    assert client_for(tenant_a.agent).get(tenant_a.url("gestion/statistiques/")).status_code == 403
    response = client_for(tenant_a.family_user).get(tenant_a.url("gestion/statistiques/synthese-elus.pdf"))
    assert response.status_code in (302, 403)


def test_another_organisations_staff_sees_nothing_of_ours(tenant_a, tenant_b, world):
    html = page_text(client_for(tenant_b.admin).get(tenant_b.url("gestion/statistiques/")))
    assert "Mercredis" not in html and "Aucune ouverture sur la période choisie." in html
    response = client_for(tenant_b.admin).get(tenant_a.url("gestion/statistiques/"))
    assert response.status_code in (302, 403, 404)


def test_an_unknown_chart_answers_404_and_bad_dates_a_french_message(tenant_a, world):
    client = client_for(tenant_a.admin)
    assert client.get(tenant_a.url("gestion/statistiques/export/inconnu.csv")).status_code == 404
    response = client.get(tenant_a.url("gestion/statistiques/?periode=dates&du=2026-12-01&au=2026-01-01"))
    assert response.status_code == 400
    assert "La date de fin doit suivre la date de début." in page_text(response)
    response = client.get(tenant_a.url("gestion/statistiques/?periode=mois&mois=2026-13"))
    assert response.status_code == 400 and "AAAA-MM" in page_text(response)
    response = client.get(tenant_a.url("gestion/statistiques/?periode=dates&du=1900-01-01&au=2026-01-01"))
    assert response.status_code == 400 and "trois ans au plus" in page_text(response)


def test_the_page_shows_every_chart_accessibly(tenant_a, world):
    response = client_for(tenant_a.admin).get(tenant_a.url("gestion/statistiques/"))
    html = response.content.decode()
    assert response.status_code == 200
    for key in figures.CHARTS:
        assert f'id="graphique-{key}"' in html
    assert html.count("<figcaption") == len(figures.CHARTS)
    assert html.count('role="img"') >= len(figures.CHARTS) - 1  # a chart with nothing to draw has no image
    assert html.count("<details") == len(figures.CHARTS)
    assert "Afficher le tableau des données" in html


def test_the_month_period_narrows_every_figure(tenant_a, world):
    html = page_text(client_for(tenant_a.admin).get(tenant_a.url("gestion/statistiques/?periode=mois&mois=2026-11")))
    assert "Aucune ouverture sur la période choisie." in html
    assert f"encaissé : {format_euros(Decimal(50))}" in html


def test_the_csv_of_a_chart_is_its_table(tenant_a, world):
    response = client_for(tenant_a.admin).get(tenant_a.url("gestion/statistiques/export/anciennete-impayes.csv"))
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert text.splitlines()[0] == "Ancienneté;Reste à payer (€);Factures"
    assert "Plus de 90 jours;40,00;1" in text
    hours = client_for(tenant_a.admin).get(tenant_a.url("gestion/statistiques/export/heures.csv"))
    assert "oct. 2026;8,00;2,00;10,00" in hours.content.decode("utf-8-sig").replace("oct 2026", "oct. 2026")


def test_the_elected_officials_summary_pdf_holds_the_key_figures(tenant_a, world):
    client = client_for(tenant_a.admin)
    html = page_text(client.get(tenant_a.url("gestion/statistiques/synthese-elus/")))
    assert "Synthèse pour les élus" in html and "Enfants accueillis" in html
    response = client.get(tenant_a.url("gestion/statistiques/synthese-elus.pdf"))
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Synthèse pour les élus" in text
    assert tenant_a.organisation.name in text
    assert "Enfants accueillis" in text and "Heures de présence" in text and "10 h" in text
    assert "Du 01/09/2026 au 31/08/2027" in text


# --- Rendering: colour is never alone ---------------------------------------------------------------
def test_every_series_has_its_own_pattern_or_marker_and_a_label():
    bars = Chart(
        key="t",
        title="T",
        kind="stacked",
        categories=["a", "b"],
        series=[Series(f"S{i}", [1, 2]) for i in range(4)],
        summary="s",
        table_header=[],
        table_rows=[],
    )
    out = str(svg.render(bars))
    assert 'role="img"' in out and "<title" in out and "<desc" in out and 'viewBox="0 0 720' in out
    patterns = {p.split('"')[0] for p in out.split('data-pattern="')[1:]}
    assert len(patterns) == 4  # four series, four patterns
    assert all(f">S{i}</text>" in out for i in range(4))  # legend names each one
    lines = Chart(
        key="l",
        title="L",
        kind="line",
        categories=["a", "b"],
        series=[Series("Un", [1, None]), Series("Deux", [2, 3])],
        summary="s",
        table_header=[],
        table_rows=[],
    )
    out = str(svg.render(lines))
    assert 'data-marker="circle"' in out and 'data-marker="square"' in out
    assert 'class="direct-label"' in out and ">Deux</text>" in out


def test_text_in_charts_is_escaped():
    chart = Chart(
        key="x",
        title="<script>",
        kind="bar",
        categories=["<b>"],
        series=[Series('"><svg onload=alert(1)>', [1])],
        summary="&",
        table_header=[],
        table_rows=[],
    )
    out = str(svg.render(chart))
    assert "<script>" not in out and "<b>" not in out and "onload=alert(1)>" not in out


# --- Query counts ------------------------------------------------------------------------------------
def _more(tenant, world, n):
    """n more children on the Wednesdays and n more open days."""
    org = world["org"]
    group = world["wednesdays"].groups.first()
    unit = world["wednesdays"].units.first()
    for i in range(n):
        day = date(2027, 1, 6) + timedelta(weeks=i)
        opening = OpeningFactory(
            organisation=org, activity=world["wednesdays"], unit=unit, group=group, date=day, capacity=3
        )
        registration = _child(org, FamilyFactory(organisation=org), group, born=date(2019, 1, 1))
        _book(org, registration, opening, "present")
        InvoiceFactory(organisation=org, family=registration.family, issue_date=day, due_date=day)


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_each_charts_query_count_does_not_grow_with_children_or_period(tenant_a, world):
    membership = _membership(tenant_a)
    counts = {}
    for size, period in ((0, (date(2026, 10, 1), date(2026, 10, 31))), (12, YEAR)):
        if size:
            _more(tenant_a, world, size)
        scope = _scope(membership, *period)
        counts[size] = {
            key: _queries(lambda b=builder, s=scope: b(s, today=TODAY)) for key, builder in figures.CHARTS.items()
        }
    assert counts[0] == counts[12]
    # The three occupancy charts each read the open days and their bookings (2 queries); on the
    # page they share one reading (figures.build's cache).
    assert counts[0] == {
        "occupation": 2,
        "jours-complets": 2,
        "liste-attente": 2,
        "presences": 1,
        "enfants": 3,
        "argent": 2,
        "anciennete-impayes": 1,
        "heures": 2,
    }


def test_the_page_query_count_does_not_grow(tenant_a, world):
    client = client_for(tenant_a.admin)
    url = tenant_a.url("gestion/statistiques/")
    client.get(url)
    small = _queries(lambda: client.get(url))
    _more(tenant_a, world, 10)
    assert _queries(lambda: client.get(url)) == small


def test_dashboard_trend_says_the_change_in_words(tenant_a, world):
    membership = _membership(tenant_a)
    org = world["org"]
    group = world["wednesdays"].groups.first()
    unit = world["wednesdays"].units.first()
    last_week = OpeningFactory(
        organisation=org, activity=world["wednesdays"], unit=unit, group=group, date=date(2026, 11, 25), capacity=9
    )
    this_week = OpeningFactory(
        organisation=org, activity=world["wednesdays"], unit=unit, group=group, date=date(2026, 12, 2), capacity=9
    )
    for i in range(5):
        registration = _child(org, FamilyFactory(organisation=org), group, born=date(2019, 1, 1))
        _book(org, registration, last_week, "present")
        if i < 4:
            _book(org, registration, this_week, "booked")
    trend = {f["key"]: f for f in figures.trend_figures(membership, today=TODAY)}
    assert trend["booked"]["value"] == 4 and trend["booked"]["values"][-2] == 5
    assert trend["booked"]["said"] == "−20 % par rapport à la semaine dernière"
    html = page_text(client_for(membership.user).get(tenant_a.url("gestion/")))
    assert "−20 % par rapport à la semaine dernière" in html
