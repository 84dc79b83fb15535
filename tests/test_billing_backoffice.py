"""Back office "Facturation": runs, invoices, payments desk, unpaid, SEPA, tariffs, settings."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ribambelle.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceRun,
    InvoiceStatus,
    Payment,
    RunStatus,
    SepaMandate,
    Tariff,
)
from ribambelle.communication.models import OutgoingEmail
from ribambelle.payments.models import ProviderConfig

from .conftest import client_for, page_text
from .factories import (
    BookingFactory,
    InvoiceFactory,
    MembershipFactory,
    QuotientBracketFactory,
    SepaMandateFactory,
    TariffFactory,
)

pytestmark = pytest.mark.django_db

PAGES = [
    "gestion/facturation/factures/",
    "gestion/facturation/emissions/",
    "gestion/facturation/reglements/",
    "gestion/facturation/reglements/nouveau/",
    "gestion/facturation/soldes/",
    "gestion/facturation/impayes/",
    "gestion/facturation/prelevements/",
    "gestion/facturation/reglages/",
    "gestion/facturation/tarifs/",
]


@pytest.fixture
def admin(tenant_a):
    return client_for(tenant_a.admin)


@pytest.mark.parametrize("path", PAGES)
def test_pages_open_for_billing_staff_only(path, tenant_a, admin):
    InvoiceFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    assert admin.get(tenant_a.url(path)).status_code == 200
    assert client_for(tenant_a.agent).get(tenant_a.url(path)).status_code == 403
    finance = MembershipFactory(organisation=tenant_a.organisation, role="finance").user
    assert client_for(finance).get(tenant_a.url(path)).status_code == 200


def test_menu_shows_facturation_to_billing_roles(tenant_a, admin):
    assert "Facturation" in page_text(admin.get(tenant_a.url("gestion/")))
    assert "Émettre les factures" not in page_text(client_for(tenant_a.agent).get(tenant_a.url("gestion/")))


def test_run_preview_then_issue_from_the_back_office(tenant_a, admin):
    booking = BookingFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    TariffFactory(organisation=tenant_a.organisation, activity=booking.activity, flat_price=Decimal("9.50"))
    response = admin.post(
        tenant_a.url("gestion/facturation/emissions/"),
        {"period_start": booking.date.isoformat(), "period_end": (booking.date + timedelta(days=2)).isoformat()},
    )
    assert response.status_code == 302
    run = InvoiceRun.objects.get()
    preview = page_text(admin.get(response["Location"]))
    assert "9,50" in preview and tenant_a.family_user.family.name in preview
    assert not Invoice.objects.exists()
    admin.post(tenant_a.url(f"gestion/facturation/emissions/{run.pk}/emettre/"))
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    invoice = Invoice.objects.get()
    assert invoice.total == Decimal("9.50")
    # To the family's activated login (families.recipients), with no separate family e-mail to fill.
    assert OutgoingEmail.objects.filter(template="invoice_issued", to=tenant_a.family_user.email).exists()
    # Issuing again does nothing more.
    admin.post(tenant_a.url(f"gestion/facturation/emissions/{run.pk}/emettre/"))
    assert Invoice.objects.count() == 1


def test_run_with_reversed_period_is_refused(tenant_a, admin):
    today = timezone.localdate()
    response = admin.post(
        tenant_a.url("gestion/facturation/emissions/"),
        {"period_start": today.isoformat(), "period_end": (today - timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 400
    assert "doit suivre" in page_text(response)
    assert not InvoiceRun.objects.exists()


def test_record_payment_at_the_desk_and_credit_note(tenant_a, admin):
    family = tenant_a.family_user.family
    old = InvoiceFactory(organisation=tenant_a.organisation, family=family, total=Decimal("30"))
    Invoice.objects.filter(pk=old.pk).update(due_date=timezone.localdate() - timedelta(days=40))
    new = InvoiceFactory(organisation=tenant_a.organisation, family=family, total=Decimal("30"))
    url = tenant_a.url(f"gestion/facturation/familles/{family.pk}/")
    response = admin.post(
        url, {"method": "cesu", "amount": "40.00", "received_on": timezone.localdate().isoformat(), "reference": "X1"}
    )
    assert response.status_code == 302
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status, new.amount_paid) == (InvoiceStatus.PAID, InvoiceStatus.PARTIAL, Decimal("10"))
    # By hand, more than is due: refused, nothing recorded.
    response = admin.post(
        url,
        {
            "method": "cash",
            "amount": "50",
            "received_on": timezone.localdate().isoformat(),
            "by_hand": "on",
            f"alloc_{new.pk}": "50",
        },
    )
    assert response.status_code == 400
    assert Payment.objects.count() == 1
    # Credit note on an unpaid invoice.
    third = InvoiceFactory(organisation=tenant_a.organisation, family=family, total=Decimal("12"))
    response = admin.post(tenant_a.url(f"gestion/facturation/factures/{third.pk}/"), {"reason": "Doublon"})
    assert response.status_code == 302
    third.refresh_from_db()
    assert third.status == InvoiceStatus.CREDITED
    assert "Doublon" in page_text(admin.get(response["Location"]))


def test_csv_exports(tenant_a, admin):
    invoice = InvoiceFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    InvoiceFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family, number="F-OTHER-ORG")
    response = admin.get(tenant_a.url("gestion/facturation/factures/?format=csv"))
    content = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert invoice.number in content and "42,50" in content
    response = admin.get(tenant_a.url("gestion/facturation/reglements/?format=csv"))
    assert "Reçu;Famille" in response.content.decode("utf-8-sig")


def test_invoice_list_query_count_does_not_grow(tenant_a, admin, django_assert_max_num_queries):
    for _ in range(40):
        InvoiceFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    with django_assert_max_num_queries(20):
        assert admin.get(tenant_a.url("gestion/facturation/factures/")).status_code == 200
    with django_assert_max_num_queries(20):
        assert admin.get(tenant_a.url("gestion/facturation/soldes/")).status_code == 200
    with django_assert_max_num_queries(20):
        assert admin.get(tenant_a.url("gestion/facturation/impayes/")).status_code == 200


def test_unpaid_reminders(tenant_a, admin):
    family = tenant_a.family_user.family
    family.email = "parent@a.example"
    family.save()
    late = InvoiceFactory(organisation=tenant_a.organisation, family=family)
    Invoice.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - timedelta(days=5))
    not_yet = InvoiceFactory(organisation=tenant_a.organisation, family=family)
    response = admin.post(tenant_a.url("gestion/facturation/impayes/"), {"invoice": [late.pk, not_yet.pk]})
    assert response.status_code == 302
    mail = OutgoingEmail.objects.get(template="invoice_reminder")
    assert late.number in mail.body_text and not_yet.number not in mail.body_text


def test_mandate_and_sepa_file_from_the_back_office(tenant_a, admin):
    family = tenant_a.family_user.family
    response = admin.post(
        tenant_a.url(f"gestion/facturation/familles/{family.pk}/mandat/"),
        {
            "holder": "Marie",
            "iban": "FR76 3000 6000 0112 3456 7890 188",
            "bic": "AGRIFRPPXXX",
            "signed_on": "2026-01-10",
        },
    )
    assert response.status_code == 400
    assert "IBAN" in page_text(response)
    response = admin.post(
        tenant_a.url(f"gestion/facturation/familles/{family.pk}/mandat/"),
        {
            "holder": "Marie",
            "iban": "FR76 3000 6000 0112 3456 7890 189",
            "bic": "AGRIFRPPXXX",
            "signed_on": "2026-01-10",
        },
    )
    assert response.status_code == 302
    assert SepaMandate.objects.get().rum
    InvoiceFactory(organisation=tenant_a.organisation, family=family)
    BillingSettings.objects.update_or_create(
        organisation=tenant_a.organisation,
        defaults={
            "sepa_creditor_id": "FR72ZZZ123456",
            "sepa_iban": "FR1420041010050500013M02606",
            "sepa_bic": "PSSTFRPPPAR",
        },
    )
    day = timezone.localdate() + timedelta(days=20)
    response = admin.post(tenant_a.url("gestion/facturation/prelevements/"), {"collection_date": day.isoformat()})
    assert response.status_code == 302
    response = admin.get(response["Location"] + "fichier/")
    assert response["Content-Type"] == "application/xml"
    assert b"pain.008.001.02" in response.content and b"42.50" in response.content


def test_tariff_by_quotient_created_in_the_back_office(tenant_a, admin):
    booking = BookingFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    low = QuotientBracketFactory(organisation=tenant_a.organisation, label="QF < 600", upper_bound=Decimal(600))
    top = QuotientBracketFactory(organisation=tenant_a.organisation, label="QF > 600", upper_bound=None)
    response = admin.post(
        tenant_a.url(f"gestion/facturation/tarifs/activite/{booking.activity.pk}/"),
        {"unit": "", "mode": "quotient", "flat_price": "12", f"bracket_{low.pk}": "4.5", f"bracket_{top.pk}": "11"},
    )
    assert response.status_code == 302, page_text(response)
    tariff = Tariff.objects.get()
    assert sorted(p.price for p in tariff.prices.all()) == [Decimal("4.50"), Decimal("11.00")]
    assert "4,50" in page_text(admin.get(tenant_a.url("gestion/facturation/tarifs/")))


def test_settings_and_online_provider(tenant_a, admin):
    response = admin.post(
        tenant_a.url("gestion/facturation/reglages/"),
        {
            "payment_instructions": "À régler auprès du Trésor public",
            "due_days": 20,
            "sibling_reduction_percent": "10",
            "sibling_reduction_from_rank": 2,
            "quotient_validity_months": 12,
            "charge_unexcused_absences": "on",
            "charge_late_cancellations": "on",
        },
    )
    assert response.status_code == 302
    assert BillingSettings.objects.get(organisation=tenant_a.organisation).due_days == 20
    admin.post(
        tenant_a.url("gestion/facturation/reglages/paiement-en-ligne/"),
        {"p-kind": "payfip", "opt_payfip_numcli": "123456"},
    )
    config = ProviderConfig.objects.get(is_enabled=True)
    assert (config.kind, config.options["numcli"]) == ("payfip", "123456")
    admin.post(tenant_a.url("gestion/facturation/reglages/paiement-en-ligne/"), {"p-kind": ""})
    assert not ProviderConfig.objects.filter(is_enabled=True).exists()


def test_sepa_mandate_factory_is_valid():
    mandate = SepaMandateFactory()
    from ribambelle.billing.sepa import clean_bic, clean_iban

    assert clean_iban(mandate.iban) == mandate.iban and clean_bic(mandate.bic) == mandate.bic


def test_payments_page_offers_nouveau_reglement_which_finds_the_family(tenant_a, tenant_b, admin):
    family = tenant_a.family_user.family
    other = tenant_b.family_user.family
    page = admin.get(tenant_a.url("gestion/facturation/reglements/")).content.decode()
    assert f'href="/{tenant_a.organisation.slug}/gestion/facturation/reglements/nouveau/"' in page
    assert "Nouveau règlement" in page
    response = admin.get(tenant_a.url("gestion/facturation/reglements/nouveau/"), {"q": family.name})
    assert f"/gestion/facturation/familles/{family.pk}/#reg" in response.content.decode()
    response = admin.get(tenant_a.url("gestion/facturation/reglements/nouveau/"), {"q": other.name})
    assert f"/familles/{other.pk}/" not in response.content.decode()


def test_a_partly_allocated_payment_says_how_much_is_allocated(tenant_a, admin):
    family = tenant_a.family_user.family
    InvoiceFactory(organisation=tenant_a.organisation, family=family, total=Decimal("30"))
    url = tenant_a.url(f"gestion/facturation/familles/{family.pk}/")
    admin.post(url, {"method": "cash", "amount": "50", "received_on": timezone.localdate().isoformat()})
    text = page_text(admin.get(url))
    assert "partiellement affecté (30,00\xa0€ sur 50,00\xa0€)" in text
    assert "non affecté" not in text.replace("Non affecté :", "")


def test_previewing_a_month_already_invoiced_creates_no_empty_run_and_says_why(tenant_a, admin):
    booking = BookingFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    TariffFactory(organisation=tenant_a.organisation, activity=booking.activity, flat_price=Decimal("9.50"))
    period = {"period_start": booking.date.isoformat(), "period_end": (booking.date + timedelta(days=2)).isoformat()}
    response = admin.post(tenant_a.url("gestion/facturation/emissions/"), period)
    text = page_text(admin.get(response["Location"]))
    assert "Aperçu : 1 famille, total" in text and "(s)" not in text and "0 famille" not in text
    run = InvoiceRun.objects.get()
    admin.post(tenant_a.url(f"gestion/facturation/emissions/{run.pk}/emettre/"))

    response = admin.post(tenant_a.url("gestion/facturation/emissions/"), period)

    assert response.status_code == 400
    text = page_text(response)
    assert "Rien à facturer" in text and "déjà facturées" in text
    assert tenant_a.family_user.family.name in text
    assert InvoiceRun.objects.count() == 1


def test_a_period_with_bookings_but_nothing_priced_creates_no_run(tenant_a, admin):
    """A day booked on an activity without tariff: a family "concerned" but nothing to invoice."""
    booking = BookingFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    response = admin.post(
        tenant_a.url("gestion/facturation/emissions/"),
        {"period_start": booking.date.isoformat(), "period_end": booking.date.isoformat()},
    )
    assert response.status_code == 400
    assert "aucune réservation tarifée" in page_text(response)
    assert not InvoiceRun.objects.exists()


def test_the_preview_counts_only_families_with_something_to_invoice(tenant_a, admin):
    """One family with a priced day, one whose day has no tariff: the page says one family, once."""
    priced = BookingFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    TariffFactory(organisation=tenant_a.organisation, activity=priced.activity, flat_price=Decimal("9.50"))
    BookingFactory(organisation=tenant_a.organisation, family=tenant_a.other_family_user.family, date=priced.date)
    response = admin.post(
        tenant_a.url("gestion/facturation/emissions/"),
        {"period_start": priced.date.isoformat(), "period_end": priced.date.isoformat()},
    )
    text = page_text(admin.get(response["Location"]))
    assert "Aperçu : 1 famille, total 9,50" in text
    assert "2 familles" not in text and "(s)" not in text
