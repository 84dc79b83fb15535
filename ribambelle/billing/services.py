"""Billing writes: invoice runs, gapless numbering, credit notes, payments and allocation."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts.services import log_family_action
from ribambelle.bookings.models import Booking, BookingStatus
from ribambelle.core.actions import action, action_helper, one_statement, step_by_step
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formats import format_euros, round_money
from ribambelle.core.services import record_audit
from ribambelle.creche import billing as creche_billing
from ribambelle.families.models import Family
from ribambelle.families.recipients import recipients_by_family
from ribambelle.outbox.services import queue_email

from .charges import ChargeLine, PricingContext, family_charges
from .models import (
    ZERO,
    BillingSettings,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceRun,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    RunStatus,
)

PREFIX = {InvoiceKind.INVOICE: "F", InvoiceKind.CREDIT_NOTE: "AV", "receipt": "R"}


@one_statement
def settings_for(organisation) -> BillingSettings:
    settings, _created = BillingSettings.objects.get_or_create(organisation=organisation)
    return settings


@action_helper
def locked_counter(*, organisation, kind: str, year: int) -> InvoiceCounter:
    """The numbering row, locked until the caller's transaction ends: concurrent issuers wait
    for each other, and a rolled-back issue gives its numbers back (no gap, no duplicate)."""
    assert transaction.get_connection().in_atomic_block, "numbers are taken inside the issuing transaction"
    InvoiceCounter.objects.get_or_create(organisation=organisation, kind=kind, year=year)
    return InvoiceCounter.objects.select_for_update().get(organisation=organisation, kind=kind, year=year)


def format_number(kind: str, year: int, sequence: int) -> str:
    return f"{PREFIX[kind]}{year}-{sequence:06d}"


@action_helper
def next_number(*, organisation, kind: str, year: int) -> tuple[int, str]:
    counter = locked_counter(organisation=organisation, kind=kind, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number", "updated_at"])
    return counter.last_number, format_number(kind, year, counter.last_number)


# --- Invoice runs -------------------------------------------------------------------


def _run_bookings(organisation, run: InvoiceRun):
    bookings = Booking.objects.filter(
        organisation=organisation, date__gte=run.period_start, date__lte=run.period_end
    ).exclude(status=BookingStatus.WAITING)
    if run.structure_ids:
        bookings = bookings.filter(activity__structure_id__in=run.structure_ids)
    return bookings


def _period_bookings(organisation, run: InvoiceRun):
    already_billed = InvoiceLine.objects.filter(
        organisation=organisation,
        booking=OuterRef("pk"),
        invoice__kind=InvoiceKind.INVOICE,
    ).exclude(invoice__status=InvoiceStatus.CREDITED)
    return _run_bookings(organisation, run).filter(~Exists(already_billed))


def run_families(run: InvoiceRun):
    family_ids = _period_bookings(run.organisation, run).values("family_id")
    return Family.objects.filter(
        Q(pk__in=family_ids) | Q(pk__in=creche_billing.family_ids(run)), organisation=run.organisation
    ).order_by("pk")


def _family_lines(family, bookings, ctx, creche: "creche_billing.CrecheCharges") -> list[ChargeLine]:
    """A family's bookings priced, then its crèche months (PSU contracts: ribambelle/creche/billing.py)."""
    return family_charges(family, bookings, ctx) + creche.lines(family)


@action
def create_run(*, organisation, period_start: date, period_end: date, structure_ids=(), acting_user) -> InvoiceRun:
    if period_end < period_start:
        raise DomainError(_("La fin de la période doit suivre son début."))
    if (period_end - period_start).days > 366:
        raise DomainError(_("Une facturation couvre au plus un an."))
    with transaction.atomic():
        run = InvoiceRun(
            organisation=organisation,
            period_start=period_start,
            period_end=period_end,
            structure_ids=[int(s) for s in structure_ids],
            created_by=acting_user if acting_user and acting_user.is_authenticated else None,
        )
        run.family_count = run_families(run).count()
        # A booking is not yet something to invoice (an excused absence, a day without tariff):
        # a period whose bookings price to nothing makes no run, rather than an empty one.
        if not _anything_to_invoice(run):
            raise DomainError(_nothing_to_invoice(run))
        run.save()
        record_audit(organisation=organisation, actor=acting_user, action="create", obj=run)
    return run


def _anything_to_invoice(run: InvoiceRun, *, batch_size: int = 50) -> bool:
    """Prices family by family until one has a line: usually the first batch; all of them only
    when the period is (nearly) all invoiced already, and then they are few."""
    if not run.family_count:
        return False
    ctx = PricingContext.load(run.organisation, on=run.period_end)
    last_pk = 0
    while True:
        families = list(run_families(run).filter(pk__gt=last_pk)[:batch_size])
        if not families:
            return False
        bookings = _load_bookings(run, families)
        creche = creche_billing.CrecheCharges.load(run, families)
        if any(_family_lines(family, bookings[family.pk], ctx, creche) for family in families):
            return True
        last_pk = families[-1].pk


def _nothing_to_invoice(run: InvoiceRun) -> str:
    """Why a period has nothing to invoice, naming the families already invoiced for it."""
    from ribambelle.core.dates import shown_date

    period = {"start": shown_date(run.period_start), "end": shown_date(run.period_end)}
    invoiced = list(
        Invoice.objects.filter(
            organisation=run.organisation,
            kind=InvoiceKind.INVOICE,
            period_start__lte=run.period_end,
            period_end__gte=run.period_start,
        )
        .exclude(status=InvoiceStatus.CREDITED)
        .order_by("family_name")
        .values_list("family_name", flat=True)
        .distinct()[:11]
    )
    if not invoiced:
        return _("Rien à facturer du %(start)s au %(end)s : aucune réservation tarifée sur cette période.") % period
    names = ", ".join(invoiced[:10]) + ("…" if len(invoiced) > 10 else "")
    return _(
        "Rien à facturer du %(start)s au %(end)s : les réservations de la période sont déjà facturées "
        "(familles déjà facturées : %(names)s). Aucune facturation n'a été créée."
    ) % {**period, "names": names}


@dataclass
class FamilyPreview:
    family: Family
    lines: list[ChargeLine]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


def _load_bookings(run: InvoiceRun, families: list[Family]) -> dict[int, list[Booking]]:
    """The batch's bookings in one query; activities and units are shared objects (loaded
    once per batch) rather than one copy per booking: memory stays flat per batch."""
    from ribambelle.absences.charging import attach_absence_facts
    from ribambelle.activities.models import Activity, Unit

    by_family: dict[int, list[Booking]] = {f.pk: [] for f in families}
    rows = list(
        _run_bookings(run.organisation, run)
        .filter(family_id__in=list(by_family))
        .select_related("child", "opening")
        .only(
            "id",
            "family_id",
            "child_id",
            "activity_id",
            "opening_id",
            "date",
            "status",
            "late_cancellation",
            "child__id",
            "child__first_name",
            "child__last_name",
            "child__birth_date",
            "opening__id",
            "opening__unit_id",
        )
        .order_by("family_id", "date", "pk")
    )
    # Already on a live invoice (another run): left out. One lookup per batch, by booking id.
    billed = set(
        InvoiceLine.objects.filter(
            organisation=run.organisation, booking_id__in=[b.pk for b in rows], invoice__kind=InvoiceKind.INVOICE
        )
        .exclude(invoice__status=InvoiceStatus.CREDITED)
        .values_list("booking_id", flat=True)
    )
    rows = [b for b in rows if b.pk not in billed]
    activities = {a.pk: a for a in Activity.objects.filter(pk__in={b.activity_id for b in rows}).only("id", "name")}
    units = {u.pk: u for u in Unit.objects.filter(pk__in={b.opening.unit_id for b in rows}).only("id", "name")}
    for booking in rows:
        booking.activity = activities[booking.activity_id]
        booking.opening.unit = units[booking.opening.unit_id]
        by_family[booking.family_id].append(booking)
    attach_absence_facts(rows, run.organisation)  # late cancellations and reported absences explained
    return by_family


def preview_run(run: InvoiceRun, *, limit: int = 200) -> list[FamilyPreview]:
    """Each family's lines and total, as they would be issued (nothing written)."""
    families = list(run_families(run)[:limit])
    ctx = PricingContext.load(run.organisation, on=run.period_end)
    bookings = _load_bookings(run, families)
    creche = creche_billing.CrecheCharges.load(run, families)
    previews = [FamilyPreview(f, _family_lines(f, bookings[f.pk], ctx, creche)) for f in families]
    return [p for p in previews if p.lines]


def _issue_batch(run, families, bookings, ctx, *, settings, today, send_email: bool) -> list[Invoice]:
    """Price each family, number the invoices from the locked counter, write them in bulk."""
    from ribambelle.custody.payers import load_custody, split_charges

    counter = locked_counter(organisation=run.organisation, kind=InvoiceKind.INVOICE, year=today.year)
    sequence = counter.last_number
    invoices, all_lines = [], []
    creche = creche_billing.CrecheCharges.load(run, families)
    custodies = load_custody(run.organisation, [family.pk for family in families])
    for family, household, lines in _by_payer(families, bookings, ctx, creche, custodies, split_charges):
        sequence += 1
        total = round_money(sum((line.amount for line in lines), ZERO))
        invoices.append(
            Invoice(
                organisation=run.organisation,
                family=family,
                household=household,
                run=run,
                kind=InvoiceKind.INVOICE,
                number=format_number(InvoiceKind.INVOICE, today.year, sequence),
                sequence=sequence,
                year=today.year,
                issue_date=today,
                due_date=today + timedelta(days=settings.due_days),
                period_start=run.period_start,
                period_end=run.period_end,
                total=total,
                status=InvoiceStatus.PAID if total <= 0 else InvoiceStatus.DUE,
                family_name=_addressee(family, household),
                family_address="\n".join((household or family).address_lines),
            )
        )
        all_lines.append(lines)
    if not invoices:
        return []
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                organisation=run.organisation,
                invoice=invoice,
                family=invoice.family,
                child=line.child,
                activity=line.activity,
                booking=line.booking,
                child_name=str(line.child),
                activity_name=line.activity.name,
                date=line.date,
                label=line.label,
                note=line.note[:250],
                unit_price=line.unit_price,
                reduction=line.reduction,
                amount=line.amount,
            )
            for invoice, lines in zip(invoices, all_lines, strict=True)
            for line in lines
        ],
        batch_size=5000,
    )
    creche.record(invoices)
    counter.last_number = sequence
    counter.save(update_fields=["last_number", "updated_at"])
    if send_email:
        recipients = _invoice_recipients(run.organisation, invoices)
        for invoice in invoices:
            family = invoice.family
            for recipient in recipients[(family.pk, invoice.household_id)] if family.email_invoices else []:
                queue_email(
                    organisation=run.organisation,
                    to=recipient.email,
                    user=recipient.user,
                    template="invoice_issued",
                    context={
                        "invoice": invoice,
                        "total": format_euros(invoice.total),
                        "settings": settings,
                        "url": django_settings.SITE_URL
                        + reverse(
                            "portail:invoice_detail",
                            kwargs={"org_slug": run.organisation.slug, "invoice_id": invoice.pk},
                        ),
                    },
                    family=family,
                    enclosure=("invoice_pdf", invoice.pk),
                )
    return invoices


def _by_payer(families, bookings, ctx, creche, custodies, split_charges):
    """(family, payer household or None, lines) for each invoice to issue: one per family, or one
    per payer household for separated parents (families without households: exactly as before)."""
    for family in families:
        lines = _family_lines(family, bookings[family.pk], ctx, creche)
        if not lines:
            continue
        custody = custodies.get(family.pk)
        if custody is None:
            yield family, None, lines
            continue
        households = {household.pk: household for household in custody.households}
        for household_id, household_lines in split_charges(lines, custody).items():
            yield family, households[household_id], household_lines


def _addressee(family, household) -> str:
    if household is None:
        return family.name
    return household.payer_name or f"{family.name} – {household.label}"


def _invoice_recipients(organisation, invoices) -> dict[tuple[int, int | None], list]:
    """Recipients by (family, payer household): a household's invoices, reminders and receipts go
    to that household's contacts only; the others to the family's, as before."""
    from ribambelle.custody.recipients import recipients_by_household

    keys = {(invoice.family_id, invoice.household_id) for invoice in invoices}
    by_family = recipients_by_family(organisation, {f for f, h in keys if h is None})
    by_household = recipients_by_household(organisation, {h for _f, h in keys if h is not None})
    return {(f, h): by_household[h] if h is not None else by_family[f] for f, h in keys}


@step_by_step
def process_run(*, run_id: int, batch_size: int = 200, max_batches: int | None = None, send_email=True) -> InvoiceRun:
    """Issue the run's invoices family by family, in batches. Each batch is one transaction
    that holds the numbering lock and moves the run's marker: a crash or a stop loses at most
    the batch under way, which is rolled back with its numbers, and the run resumes after
    the last family committed. Safe to call twice at once (the run row is locked)."""
    batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            run = InvoiceRun.objects.select_for_update().select_related("organisation").get(pk=run_id)
            if run.status == RunStatus.DONE:
                return run
            if run.status == RunStatus.PREVIEW:
                run.status = RunStatus.ISSUING
            # The batch cursor ignores what is already billed (that anti-join is done on the
            # batch's own bookings only): a family with nothing left simply gets no invoice.
            family_ids = (
                _run_bookings(run.organisation, run)
                .filter(family_id__gt=run.last_family_id)
                .order_by("family_id")
                .values_list("family_id", flat=True)
                .distinct()[:batch_size]
            )
            creche_ids = creche_billing.family_ids(run).filter(family_id__gt=run.last_family_id)
            family_ids = sorted(set(family_ids) | {row["family_id"] for row in creche_ids})[:batch_size]
            families = list(Family.objects.filter(organisation=run.organisation, pk__in=family_ids).order_by("pk"))
            if not families:
                run.status = RunStatus.DONE
                run.save(update_fields=["status", "updated_at"])
                record_audit(organisation=run.organisation, actor=None, action="issue", obj=run)
                return run
            settings = settings_for(run.organisation)
            today = timezone.localdate()
            ctx = PricingContext.load(run.organisation, on=run.period_end)
            bookings = _load_bookings(run, families)
            invoices = _issue_batch(run, families, bookings, ctx, settings=settings, today=today, send_email=send_email)
            run.total += sum((invoice.total for invoice in invoices), ZERO)
            run.processed_count += len(families)
            run.last_family_id = families[-1].pk
            run.save(update_fields=["status", "processed_count", "last_family_id", "total", "updated_at"])
        batches += 1
    return run


@action
def start_run(*, run: InvoiceRun, acting_user) -> InvoiceRun:
    """Émettre: mark the run as issuing and hand it to the task worker."""
    from .tasks import process_invoice_run

    with transaction.atomic():
        run = InvoiceRun.objects.select_for_update().get(pk=run.pk)
        if run.status == RunStatus.DONE:
            raise DomainError(_("Cette facturation est déjà émise."))
        run.status = RunStatus.ISSUING
        run.save(update_fields=["status", "updated_at"])
        record_audit(organisation=run.organisation, actor=acting_user, action="start", obj=run)
        transaction.on_commit(lambda: process_invoice_run.enqueue(run.pk))
    return run


# --- Credit notes -------------------------------------------------------------------


@action
def issue_credit_note(*, invoice: Invoice, reason: str, acting_user) -> Invoice:
    """Cancel an issued invoice: a numbered credit note of the same amount, the invoice
    marked credited. What was already paid on it stays on the family's account."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Indiquez le motif de l'avoir."))
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk, organisation=invoice.organisation)
        if invoice.kind != InvoiceKind.INVOICE:
            raise DomainError(_("Un avoir ne peut pas être lui-même annulé."))
        if invoice.status == InvoiceStatus.CREDITED:
            raise DomainError(_("Cette facture est déjà annulée par un avoir."))
        if invoice.amount_credited > 0 and invoice.amount_paid == 0:
            # Partly credited already: the rest is credited the same way, and the invoice cancelled.
            from .corrections import issue_partial_credit_note

            return issue_partial_credit_note.inner(
                invoice=invoice, reason=reason, amount=invoice.net_total, acting_user=acting_user
            )
        if invoice.amount_paid > 0:
            raise DomainError(_("Cette facture a des règlements : retirez-les avant d'émettre un avoir."))
        credit = new_credit_note(invoice, total=invoice.total, reason=reason)
        note = f"Avoir sur {invoice.number}"
        InvoiceLine.objects.bulk_create([_negated_line(line, credit, note=note) for line in invoice.lines.all()])
        invoice.status = InvoiceStatus.CREDITED
        invoice.save(update_fields=["status", "updated_at"])
        log_family_action(
            family=invoice.family,
            action="credit_note",
            data={"credit_note": credit.number, "invoice": invoice.number},
            user=acting_user if acting_user is not None and acting_user.is_authenticated else None,
        )
        record_audit(
            organisation=invoice.organisation,
            actor=acting_user,
            action="credit_note",
            obj=credit,
            changes={"invoice": invoice.number, "reason": reason},
        )
    return credit


# --- Payments -----------------------------------------------------------------------


def _refresh_status(invoice: Invoice) -> None:
    if invoice.status == InvoiceStatus.CREDITED:
        return
    if invoice.amount_paid >= invoice.net_total:
        invoice.status = InvoiceStatus.PAID
    elif invoice.amount_paid > 0:
        invoice.status = InvoiceStatus.PARTIAL
    else:
        invoice.status = InvoiceStatus.DUE
    invoice.save(update_fields=["amount_paid", "status", "updated_at"])


def _allocate(payment: Payment, allocations: list[tuple[Invoice, Decimal]]) -> None:
    for invoice, amount in allocations:
        if amount <= 0:
            continue
        PaymentAllocation.objects.create(
            organisation=payment.organisation, payment=payment, invoice=invoice, amount=amount
        )
        invoice.amount_paid += amount
        _refresh_status(invoice)


@action_helper
def open_invoices_locked(family):
    return list(
        Invoice.objects.select_for_update()
        .filter(
            organisation=family.organisation,
            family=family,
            kind=InvoiceKind.INVOICE,
            status__in=(InvoiceStatus.DUE, InvoiceStatus.PARTIAL),
        )
        .order_by("due_date", "issue_date", "pk")
    )


@action
def record_payment(
    *,
    family: Family,
    method: str,
    amount: Decimal,
    received_on: date,
    reference: str = "",
    allocations: dict[int, Decimal] | None = None,
    acting_user,
    log: bool = True,
) -> Payment:
    """Record a payment and allocate it: to the invoices given (by hand), otherwise to the
    family's open invoices, oldest due date first. What is left stays as a credit."""
    amount = round_money(amount)
    if amount <= 0:
        raise DomainError(_("Le montant doit être supérieur à zéro."))
    with transaction.atomic():
        invoices = open_invoices_locked(family)
        plan: list[tuple[Invoice, Decimal]] = []
        if allocations:
            by_id = {inv.pk: inv for inv in invoices}
            for invoice_id, share in allocations.items():
                share = round_money(share)
                invoice = by_id.get(invoice_id)
                if invoice is None:
                    raise DomainError(_("Une des factures choisies n'est pas à régler pour cette famille."))
                if share < 0 or share > invoice.balance:
                    raise DomainError(
                        _("Le montant affecté à la facture %(number)s dépasse ce qui reste dû.")
                        % {"number": invoice.number}
                    )
                plan.append((invoice, share))
            if sum((s for _invoice, s in plan), ZERO) > amount:
                raise DomainError(_("Les montants affectés dépassent le montant du règlement."))
        else:
            left = amount
            for invoice in invoices:
                if left <= 0:
                    break
                share = min(left, invoice.balance)
                plan.append((invoice, share))
                left -= share
        today = timezone.localdate()
        _sequence, receipt = next_number(organisation=family.organisation, kind="receipt", year=today.year)
        # Separated parents: a payment of one household's invoices is that household's (its receipt too).
        households = {invoice.household_id for invoice, _share in plan}
        payment = Payment.objects.create(
            organisation=family.organisation,
            family=family,
            household_id=households.pop() if len(households) == 1 else None,
            method=method,
            amount=amount,
            received_on=received_on,
            reference=reference[:100],
            receipt_number=receipt,
            recorded_by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
        )
        _allocate(payment, plan)
        record_audit(
            organisation=family.organisation,
            actor=acting_user,
            action="create",
            obj=payment,
            changes={"amount": str(amount), "method": method},
        )
        if log:
            log_family_action(
                family=family,
                action="payment_recorded",
                data={"receipt": receipt, "amount": str(amount), "method": payment.method},
                user=acting_user if acting_user is not None and acting_user.is_authenticated else None,
            )
        _send_receipt(payment, plan)
    return payment


def _send_receipt(payment: Payment, plan: list[tuple[Invoice, Decimal]]) -> None:
    """ "Paiement reçu" (spec: e-mails), with the receipt PDF joined when the mail is sent."""
    family = payment.family
    if not family.email_invoices:
        return
    for recipient in _invoice_recipients(payment.organisation, [payment])[(family.pk, payment.household_id)]:
        queue_email(
            organisation=payment.organisation,
            to=recipient.email,
            user=recipient.user,
            template="payment_received",
            context={
                "payment": payment,
                "amount": format_euros(payment.amount),
                "allocations": [(invoice.number, format_euros(share)) for invoice, share in plan if share > 0],
                "url": django_settings.SITE_URL
                + reverse("portail:invoices", kwargs={"org_slug": payment.organisation.slug}),
            },
            family=family,
            enclosure=("receipt_pdf", payment.pk),
        )


@action
def allocate_credit(*, payment: Payment, acting_user) -> Payment:
    """Allocate what is left of a payment to the family's open invoices, oldest first."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk, organisation=payment.organisation)
        if payment.voided_at is not None:
            raise DomainError(_("Ce règlement est annulé : il ne règle plus rien."))
        # What was refunded out of it is no longer there to allocate.
        left = payment.amount - payment.allocated - sum((r.amount for r in payment.refunds.all()), ZERO)
        plan = []
        for invoice in open_invoices_locked(payment.family):
            if payment.household_id is not None and invoice.household_id != payment.household_id:
                continue  # a separated parent's money pays her or his own invoices only
            if left <= 0:
                break
            share = min(left, invoice.balance)
            plan.append((invoice, share))
            left -= share
        if not plan:
            raise DomainError(_("Rien à affecter : pas de facture à régler ou règlement déjà affecté."))
        _allocate(payment, plan)
        record_audit(organisation=payment.organisation, actor=acting_user, action="allocate", obj=payment)
    return payment


@action
def send_reminders(*, organisation, invoice_ids: list[int], acting_user) -> int:
    """A reminder e-mail per family for its overdue invoices (chosen on the unpaid list)."""
    today = timezone.localdate()
    invoices = (
        Invoice.objects.filter(organisation=organisation, pk__in=invoice_ids, due_date__lt=today)
        .filter(Q(status=InvoiceStatus.DUE) | Q(status=InvoiceStatus.PARTIAL))
        .select_related("family")
    )
    # One reminder per payer: the family, or each household of separated parents.
    by_family: dict[tuple[int, int | None], list[Invoice]] = {}
    for invoice in invoices:
        by_family.setdefault((invoice.family_id, invoice.household_id), []).append(invoice)
    settings = settings_for(organisation)
    sent = 0
    with transaction.atomic():
        recipients = _invoice_recipients(organisation, [i for found in by_family.values() for i in found])
        for key, family_invoices in by_family.items():
            family = family_invoices[0].family
            if not recipients[key]:
                continue
            for recipient in recipients[key]:
                queue_email(
                    organisation=organisation,
                    to=recipient.email,
                    user=recipient.user,
                    template="invoice_reminder",
                    context={
                        "invoices": family_invoices,
                        "total": format_euros(sum((i.balance for i in family_invoices), ZERO)),
                        "settings": settings,
                    },
                    family=family,
                )
            log_family_action(family=family, action="invoice_reminder")
            sent += 1
        record_audit(
            organisation=organisation,
            actor=acting_user,
            action="reminders",
            obj=organisation,
            changes={"families": sent},
        )
    return sent


# --- Settings, brackets, tariffs ----------------------------------------------------


@action
def save_settings(*, settings: BillingSettings, fields: dict, acting_user) -> BillingSettings:
    from ribambelle.core.services import save_with_audit

    return save_with_audit(settings, fields=fields, acting_user=acting_user)


@action
def save_bracket(*, organisation, bracket=None, fields: dict, acting_user):
    from ribambelle.core.services import save_with_audit

    from .models import QuotientBracket

    bracket = bracket or QuotientBracket(organisation=organisation)
    return save_with_audit(bracket, fields=fields, acting_user=acting_user)


@action
def save_tariff(*, organisation, activity, tariff=None, fields: dict, bracket_prices: dict, acting_user):
    """A tariff and its price per QF bracket (brackets left empty have no price: the flat
    price then applies)."""
    from ribambelle.core.services import save_with_audit

    from .models import Tariff, TariffPrice

    if fields.get("unit") is not None and fields["unit"].activity_id != activity.pk:
        raise DomainError(_("Cette unité n'appartient pas à l'activité."))
    with transaction.atomic():
        tariff = tariff or Tariff(organisation=organisation, activity=activity)
        tariff = save_with_audit(tariff, fields=fields, acting_user=acting_user)
        for bracket, price in bracket_prices.items():
            if price is None:
                TariffPrice.objects.filter(organisation=organisation, tariff=tariff, bracket=bracket).delete()
            else:
                TariffPrice.objects.update_or_create(
                    organisation=organisation, tariff=tariff, bracket=bracket, defaults={"price": round_money(price)}
                )
    return tariff


@action_helper
def new_credit_note(invoice: Invoice, *, total: Decimal, reason: str) -> Invoice:
    """The header of a credit note taking `total` back from `invoice`, numbered and dated today
    (its lines are the caller's: the whole invoice, chosen lines or an amount)."""
    today = timezone.localdate()
    sequence, number = next_number(organisation=invoice.organisation, kind=InvoiceKind.CREDIT_NOTE, year=today.year)
    return Invoice.objects.create(
        organisation=invoice.organisation,
        family=invoice.family,
        kind=InvoiceKind.CREDIT_NOTE,
        number=number,
        sequence=sequence,
        year=today.year,
        issue_date=today,
        due_date=today,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        total=-total,
        status=InvoiceStatus.PAID,
        credited_invoice=invoice,
        reason=reason[:200],
        family_name=invoice.family_name,
        family_address=invoice.family_address,
    )


def _negated_line(line: InvoiceLine, credit: Invoice, *, note: str, **extra) -> InvoiceLine:
    """An invoice line taken back on a credit note (unsaved: the caller bulk-creates them)."""
    return InvoiceLine(
        organisation=line.organisation,
        invoice=credit,
        family=line.family,
        child=line.child,
        activity=line.activity,
        booking=line.booking,
        child_name=line.child_name,
        activity_name=line.activity_name,
        date=line.date,
        label=line.label,
        note=note,
        unit_price=-line.unit_price,
        reduction=-line.reduction,
        amount=-line.amount,
        **extra,
    )
