"""SEPA collections: a pain.008 file is recorded with one line per invoice; its invoices are
"prélèvement en cours" and in no other file until the settlement date, when each becomes paid
(one payment, its receipt as usual), or the bank rejects the debit (entered by staff or read
from a pain.002 status report): the invoice is due again, the reason kept, the organisation's
reject fee invoiced, the family told. A mandate goes from FRST to RCUR only once its first
collection is settled. Families are pre-notified (amount and date) when the file is made."""

import hashlib
from datetime import date, timedelta

from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from ribambelle.accounts.services import log_family_action
from ribambelle.core.actions import action, action_helper, step_by_step
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formats import format_euros
from ribambelle.core.services import record_audit
from ribambelle.families.recipients import family_recipients, recipients_by_family
from ribambelle.outbox.services import queue_email

from . import sepa
from .models import (
    ZERO,
    BillingSettings,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    PaymentMethod,
    SepaMandate,
    SequenceType,
)
from .sepa_models import LineStatus, SepaCollection, SepaCollectionLine, reject_label
from .services import next_number, record_payment, settings_for


def earliest_collection_date(settings, today: date) -> date:
    """Families must be told N days before: the first date a new file may debit."""
    return today + timedelta(days=settings.sepa_prenotification_days)


@action
def create_collection(*, organisation, collection_date: date, acting_user, as_of: date | None = None) -> SepaCollection:
    """Generate the pain.008 for every collectable invoice, store it (SHA-256) with one line per
    invoice, and pre-notify the families (amount and date). `as_of`, the day the file is made,
    is today except for the demo, which writes a past collection's history."""
    settings_for(organisation)  # created if missing, then locked: one file is made at a time
    settings = BillingSettings.objects.select_for_update().get(organisation=organisation)
    sepa.check_creditor(settings)
    today = as_of or timezone.localdate()
    earliest = earliest_collection_date(settings, today)
    if collection_date < earliest:
        raise DomainError(
            _(
                "Les familles doivent être prévenues %(days)s jours avant le prélèvement : "
                "choisissez une date à partir du %(date)s."
            )
            % {"days": settings.sepa_prenotification_days, "date": f"{earliest:%d/%m/%Y}"},
            field="collection_date",
        )
    # Two files made at once: the second waits for the lock above, then finds the invoices of
    # the first in a running collection (and the partial unique constraint on pending lines
    # guards it anyway).
    rows = sepa.collectable(organisation)
    if not rows:
        raise DomainError(_("Aucune facture à prélever."))
    attempts: dict[int, int] = {}
    for line in SepaCollectionLine.objects.filter(
        organisation=organisation, invoice_id__in=[invoice.pk for invoice, _mandate in rows]
    ).values("invoice_id"):
        attempts[line["invoice_id"]] = attempts.get(line["invoice_id"], 0) + 1
    planned = [
        (
            invoice,
            mandate,
            invoice.balance,
            mandate.sequence,
            f"{invoice.number.replace('-', '')}-{attempts.get(invoice.pk, 0) + 1}",
        )
        for invoice, mandate in rows
    ]
    xml = sepa.build_pain008(
        organisation=organisation, settings=settings, collection_date=collection_date, lines=planned
    )
    total = sum((amount for _i, _m, amount, _s, _e in planned), ZERO)
    collection = SepaCollection.objects.create(
        organisation=organisation,
        collection_date=collection_date,
        file_name=f"prelevements-{collection_date:%Y-%m-%d}-{timezone.now():%H%M%S}.xml",
        content=xml,
        sha256=hashlib.sha256(xml).hexdigest(),
        total=total,
        line_count=len(planned),
        prenotified=True,
        created_by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
    )
    lines = SepaCollectionLine.objects.bulk_create(
        [
            SepaCollectionLine(
                organisation=organisation,
                collection=collection,
                invoice=invoice,
                family_id=invoice.family_id,
                mandate=mandate,
                amount=amount,
                sequence=sequence,
                end_to_end_id=e2e,
            )
            for invoice, mandate, amount, sequence, e2e in planned
        ]
    )
    _prenotify(collection, lines, planned)
    record_audit(
        organisation=organisation,
        actor=acting_user,
        action="sepa_export",
        obj=collection,
        changes={"invoices": len(planned), "total": str(total), "sha256": collection.sha256},
    )
    return collection


def _portal_url(organisation) -> str:
    return django_settings.SITE_URL + reverse("portail:invoices", kwargs={"org_slug": organisation.slug})


def _prenotify(collection: SepaCollection, lines, planned) -> None:
    """One e-mail per family: each invoice, its amount, the date and the mandate (RUM)."""
    by_family: dict[int, list] = {}
    for line, (invoice, mandate, amount, _sequence, _e2e) in zip(lines, planned, strict=True):
        by_family.setdefault(line.family_id, []).append((invoice, mandate, amount))
    creditor_id = settings_for(collection.organisation).sepa_creditor_id
    recipients = recipients_by_family(collection.organisation, list(by_family))
    for family_id, entries in by_family.items():
        family = entries[0][0].family
        for recipient in recipients[family_id]:
            queue_email(
                organisation=collection.organisation,
                to=recipient.email,
                user=recipient.user,
                template="sepa_prenotification",
                context={
                    "collection_date": collection.collection_date,
                    "total": format_euros(sum((amount for _i, _m, amount in entries), ZERO)),
                    "invoices": [(invoice.number, format_euros(amount)) for invoice, _m, amount in entries],
                    "rum": entries[0][1].rum,
                    "creditor_id": creditor_id,
                    "url": _portal_url(collection.organisation),
                },
                family=family,
            )


@action
def settle_collection(*, collection: SepaCollection, acting_user, force: bool = False) -> int:
    """At (or after) the settlement date: each pending line becomes a payment of its invoice
    (receipt as usual); mandates whose first debit this was become recurrent."""
    collection = SepaCollection.objects.select_for_update().get(pk=collection.pk, organisation=collection.organisation)
    if collection.settled_at is not None:
        raise DomainError(_("Ce prélèvement est déjà réglé."))
    if collection.collection_date > timezone.localdate() and not force:
        raise DomainError(
            _("Le prélèvement n'a lieu que le %(date)s : il sera réglé à cette date.")
            % {"date": f"{collection.collection_date:%d/%m/%Y}"}
        )
    lines = list(
        SepaCollectionLine.objects.filter(
            organisation=collection.organisation, collection=collection, status=LineStatus.PENDING
        ).select_related("invoice", "family", "mandate")
    )
    first_mandates = set()
    for line in lines:
        invoice = Invoice.objects.select_for_update().get(pk=line.invoice_id, organisation=collection.organisation)
        share = min(line.amount, max(invoice.balance, ZERO)) if invoice.is_open else ZERO
        payment = record_payment.inner(
            family=line.family,
            method=PaymentMethod.SEPA,
            amount=line.amount,
            received_on=collection.collection_date,
            reference=line.end_to_end_id,
            # Paid otherwise meanwhile: what was debited stays on the family's account as credit.
            allocations={invoice.pk: share} if share > 0 else None,
            acting_user=acting_user,
        )
        line.status = LineStatus.SETTLED
        line.payment = payment
        line.save(update_fields=["status", "payment", "updated_at"])
        if line.sequence == SequenceType.FIRST:
            first_mandates.add(line.mandate_id)
    SepaMandate.objects.filter(
        organisation=collection.organisation, pk__in=first_mandates, sequence=SequenceType.FIRST
    ).update(sequence=SequenceType.RECURRENT)
    collection.settled_at = timezone.now()
    collection.save(update_fields=["settled_at", "updated_at"])
    record_audit(
        organisation=collection.organisation,
        actor=acting_user,
        action="sepa_settle",
        obj=collection,
        changes={"payments": len(lines)},
    )
    return len(lines)


@step_by_step
def settle_due_collections() -> int:
    """Periodic sweep (inside one organisation's scope): settle every collection whose date has
    come. Each collection is its own transaction."""
    today = timezone.localdate()
    settled = 0
    for collection in SepaCollection.objects.filter(settled_at__isnull=True, collection_date__lte=today).order_by(
        "collection_date", "pk"
    ):
        try:
            settled += settle_collection(collection=collection, acting_user=None)
        except DomainError:
            continue  # settled meanwhile by staff
    return settled


@action
def reject_line(
    *, line: SepaCollectionLine, code: str, rejected_on: date | None = None, acting_user
) -> SepaCollectionLine:
    """The bank rejected this debit: the invoice is due again (a payment already recorded for
    it is voided), the reason kept, the reject fee invoiced, the family told."""
    from .corrections import void_payment

    code = (code or "").strip().upper()
    if not (len(code) == 4 and code.isalnum()):
        raise DomainError(_("Indiquez le code motif du rejet (4 caractères, par exemple AM04)."), field="code")
    line = (
        SepaCollectionLine.objects.select_for_update()
        .select_related("invoice", "family", "collection")
        .get(pk=line.pk, organisation=line.organisation)
    )
    if line.status == LineStatus.REJECTED:
        raise DomainError(_("Ce prélèvement est déjà enregistré comme rejeté."))
    label = reject_label(code)
    if line.status == LineStatus.SETTLED and line.payment_id:
        # Rejected after the settlement date: the payment recorded for it is voided.
        void_payment.inner(
            payment=line.payment,
            reason=_("Prélèvement rejeté : %(code)s %(label)s") % {"code": code, "label": label},
            acting_user=acting_user,
        )
    line.status = LineStatus.REJECTED
    line.reject_code = code
    line.rejected_on = rejected_on or timezone.localdate()
    settings = settings_for(line.organisation)
    if settings.sepa_reject_fee > 0:
        line.fee_invoice = _fee_invoice(line, settings)
    line.save(update_fields=["status", "reject_code", "rejected_on", "fee_invoice", "updated_at"])
    log_family_action(
        family=line.family,
        action="sepa_rejected",
        data={"invoice": line.invoice.number, "reason": f"{code} {label}"},
        user=acting_user if acting_user is not None and acting_user.is_authenticated else None,
    )
    record_audit(
        organisation=line.organisation,
        actor=acting_user,
        action="sepa_reject",
        obj=line.collection,
        changes={"invoice": line.invoice.number, "code": code, "fee": str(settings.sepa_reject_fee)},
    )
    for recipient in family_recipients(line.family):
        queue_email(
            organisation=line.organisation,
            to=recipient.email,
            user=recipient.user,
            template="sepa_rejected",
            context={
                "invoice_number": line.invoice.number,
                "amount": format_euros(line.amount),
                "collection_date": line.collection.collection_date,
                "reason": label,
                "fee": format_euros(settings.sepa_reject_fee) if line.fee_invoice_id else "",
                "fee_number": line.fee_invoice.number if line.fee_invoice_id else "",
                "instructions": settings.payment_instructions,
                "url": _portal_url(line.organisation),
            },
            family=line.family,
        )
    return line


@action_helper
def _fee_invoice(line: SepaCollectionLine, settings) -> Invoice:
    """The reject fee: a small invoice of its own (issued invoices never change)."""
    today = timezone.localdate()
    sequence, number = next_number(organisation=line.organisation, kind=InvoiceKind.INVOICE, year=today.year)
    invoice = line.invoice
    fee = Invoice.objects.create(
        organisation=line.organisation,
        family=line.family,
        kind=InvoiceKind.INVOICE,
        number=number,
        sequence=sequence,
        year=today.year,
        issue_date=today,
        due_date=today + timedelta(days=settings.due_days),
        period_start=line.collection.collection_date,
        period_end=line.collection.collection_date,
        total=settings.sepa_reject_fee,
        status=InvoiceStatus.DUE,
        family_name=invoice.family_name,
        family_address=invoice.family_address,
    )
    InvoiceLine.objects.create(
        organisation=line.organisation,
        invoice=fee,
        family=line.family,
        date=line.collection.collection_date,
        label=_("Frais de rejet de prélèvement (facture %(number)s)") % {"number": invoice.number},
        unit_price=settings.sepa_reject_fee,
        amount=settings.sepa_reject_fee,
    )
    return fee


# --- pain.002 status reports ------------------------------------------------------------

PAIN002_PREFIX = "urn:iso:std:iso:20022:tech:xsd:pain.002.001."
REJECTED = {"RJCT"}


def read_status_report(content: bytes, collection: SepaCollection) -> list[tuple[str, str]]:
    """(end-to-end id, reason code) of each rejected debit in a pain.002 status report for this
    collection's file; a file that is not one, or is about another file, is refused in French."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except (etree.XMLSyntaxError, ValueError):
        raise DomainError(
            _("Ce fichier n'est pas un XML lisible : déposez le rapport de la banque (pain.002)."), field="report"
        ) from None
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "Document" or not namespace.startswith(PAIN002_PREFIX):
        raise DomainError(
            _("Ce fichier n'est pas un rapport de statut de prélèvement (pain.002) : vérifiez le fichier reçu."),
            field="report",
        )
    ns = {"p": namespace}
    report = root.find("p:CstmrPmtStsRpt", ns)
    group = report.find("p:OrgnlGrpInfAndSts", ns) if report is not None else None
    original_id = group.findtext("p:OrgnlMsgId", default="", namespaces=ns).strip() if group is not None else ""
    if report is None or group is None or not original_id:
        raise DomainError(
            _("Le rapport pain.002 est incomplet : l'identifiant du fichier d'origine (OrgnlMsgId) manque."),
            field="report",
        )
    ours = etree.fromstring(bytes(collection.content))
    message_id = ours.findtext(".//{*}GrpHdr/{*}MsgId", default="")
    if original_id != message_id:
        raise DomainError(
            _("Ce rapport concerne un autre fichier (%(theirs)s) que ce prélèvement (%(ours)s).")
            % {"theirs": original_id[:35], "ours": message_id},
            field="report",
        )
    known = {line.end_to_end_id for line in collection.lines.all()}
    group_status = group.findtext("p:GrpSts", default="", namespaces=ns).strip()
    if group_status in REJECTED:
        code = group.findtext("p:StsRsnInf/p:Rsn/p:Cd", default="", namespaces=ns).strip() or "FF01"
        return [(e2e, code) for e2e in sorted(known)]
    rejects = []
    for tx in report.iterfind("p:OrgnlPmtInfAndSts/p:TxInfAndSts", ns):
        if tx.findtext("p:TxSts", default="", namespaces=ns).strip() not in REJECTED:
            continue
        e2e = tx.findtext("p:OrgnlEndToEndId", default="", namespaces=ns).strip()
        code = tx.findtext("p:StsRsnInf/p:Rsn/p:Cd", default="", namespaces=ns).strip()
        if e2e not in known:
            raise DomainError(
                _("Le rapport cite une opération inconnue dans ce prélèvement : %(id)s.") % {"id": e2e[:35]},
                field="report",
            )
        if not (len(code) == 4 and code.isalnum()):
            raise DomainError(
                _("Le rapport ne donne pas de code motif lisible pour l'opération %(id)s.") % {"id": e2e[:35]},
                field="report",
            )
        rejects.append((e2e, code))
    return rejects


@action
def import_status_report(*, collection: SepaCollection, content: bytes, acting_user) -> int:
    """Record every reject a pain.002 report lists (lines already rejected are left as they are)."""
    rejects = read_status_report(content, collection)
    lines = {
        line.end_to_end_id: line
        for line in SepaCollectionLine.objects.filter(organisation=collection.organisation, collection=collection)
    }
    done = 0
    for e2e, code in rejects:
        line = lines[e2e]
        if line.status == LineStatus.REJECTED:
            continue
        reject_line.inner(line=line, code=code, rejected_on=timezone.localdate(), acting_user=acting_user)
        done += 1
    return done
