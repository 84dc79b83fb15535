"""Online payment: start a payment of an invoice and settle the provider's answers.

The provider's answer may come twice (browser return and server notification), late, or
forged. Settlement therefore: trusts only a signed answer, finds our own pending
transaction by the provider's id, locks it, and acts only while it is pending and the
amount is the one we asked for. A replay finds it settled and changes nothing."""

import logging
from datetime import timedelta

import eopayment.common
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts.services import log_family_action
from ribambelle.billing.models import Invoice, PaymentMethod
from ribambelle.billing.selectors import collection_date_of
from ribambelle.billing.services import record_payment
from ribambelle.core.actions import action, step_by_step
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formats import format_euros

from .models import OnlineTransaction, PaymentFormToken, ProviderConfig, TransactionStatus
from .providers.base import CANCELLED, ERROR, PENDING, Outcome
from .providers.registry import provider_class

logger = logging.getLogger(__name__)


def enabled_config(organisation) -> ProviderConfig | None:
    config = ProviderConfig.objects.filter(organisation=organisation, is_enabled=True).first()
    if config is None or provider_class(config.kind) is None:
        return None
    return config


def provider_for(config: ProviderConfig, *, base_url: str):
    slug = config.organisation.slug
    cls = provider_class(config.kind)
    provider = cls(
        config,
        normal_return_url=base_url + reverse("portail:payment_return", kwargs={"org_slug": slug, "provider": cls.kind}),
        automatic_return_url=base_url
        + reverse("portail:payment_notify", kwargs={"org_slug": slug, "provider": cls.kind}),
    )
    if cls.kind == "dummy":
        provider.bank_url = base_url + reverse("portail:payment_simulated_bank", kwargs={"org_slug": slug})
    return provider


# PayFiP's idOp lives 15 minutes: a pending transaction younger than that is offered again
# to a family clicking "Payer" twice; an older one is asked for its state, then replaced.
REUSE_FOR = timedelta(minutes=15)
CLOSED_BY_US = "ribambelle_closed"  # in bank_data: we closed it ourselves (replaced by a new attempt)
# The periodic job asks the provider again about a pending transaction at most this often.
RECHECK_EVERY = timedelta(minutes=5)


def _redirect_data(kind: str, data) -> dict:
    if kind == "form":
        return {"kind": "form", "url": data.url, "method": data.method, "fields": list(data.fields)}
    return {"kind": "url", "url": data}


def _redirect_of(tx: OnlineTransaction) -> tuple[str, object]:
    saved = tx.redirect
    if saved.get("kind") == "form":
        return "form", eopayment.common.Form(url=saved["url"], method=saved["method"], fields=saved["fields"])
    return "url", saved["url"]


@action
def start_payment(*, invoice: Invoice, user, base_url: str) -> tuple[str, object]:
    """Send the family to the provider for what is left to pay: ("url", address) or ("form",
    eopayment Form); ("paid", None) when the provider says the payment under way went through,
    ("blocked", None) when its answer awaits staff. A payment already under way for this
    invoice is reused, so two clicks on "Payer" never open two payments (nor charge twice)."""
    config = enabled_config(invoice.organisation)
    if config is None:
        raise DomainError(_("Le paiement en ligne n'est pas proposé : suivez les modalités de paiement indiquées."))
    # Two clicks wait for each other here (PostgreSQL); the constraint "one pending
    # transaction per invoice" catches the rest.
    invoice = Invoice.objects.select_for_update().get(organisation=invoice.organisation, pk=invoice.pk)
    if not invoice.is_open or invoice.balance <= 0:
        raise DomainError(_("Cette facture n'est plus à payer."))
    debit_date = collection_date_of(invoice)
    if debit_date:  # paid twice otherwise: by card now and by the bank on the debit date
        raise DomainError(
            _("Cette facture sera prélevée sur votre compte le %(date)s : vous n'avez rien à payer.")
            % {"date": f"{debit_date:%d/%m/%Y}"}
        )
    provider = provider_for(config, base_url=base_url)
    existing = (
        OnlineTransaction.objects.select_for_update()
        .filter(organisation=invoice.organisation, invoice=invoice, status=TransactionStatus.PENDING)
        .first()
    )
    if existing is not None:
        reused = _reuse_or_close(existing, config=config, invoice=invoice, base_url=base_url)
        if reused is not None:
            return reused
    family = invoice.family
    try:
        transaction_id, kind, data = provider.request(
            amount=invoice.balance,
            email=family.email or getattr(user, "email", ""),
            orderid=invoice.number,
            subject=f"Facture {invoice.number}",
        )
    except Exception as exc:  # noqa: BLE001 - the provider is down or refuses: say so, change nothing
        logger.warning("payment request failed (%s): %r", config.kind, exc)
        raise DomainError(
            _(
                "Le service de paiement en ligne ne répond pas pour le moment : réessayez plus tard. "
                "Votre facture reste à payer."
            )
        ) from exc
    try:
        with transaction.atomic():
            OnlineTransaction.objects.create(
                organisation=invoice.organisation,
                family=family,
                invoice=invoice,
                provider=config.kind,
                transaction_id=transaction_id,
                amount=invoice.balance,
                redirect=_redirect_data(kind, data),
            )
    except IntegrityError:
        # Another click won the race (SQLite has no row lock): send the family where it was sent.
        winner = OnlineTransaction.objects.filter(
            organisation=invoice.organisation, invoice=invoice, status=TransactionStatus.PENDING
        ).first()
        if winner is None or not winner.redirect:
            raise
        return _redirect_of(winner)
    log_family_action(
        family=family,
        action="online_payment_start",
        data={"invoice": invoice.number, "amount": str(invoice.balance)},
        user=user,
    )
    return kind, data


def _reuse_or_close(tx: OnlineTransaction, *, config, invoice: Invoice, base_url: str):
    """The redirect of a pending transaction still usable for this invoice; otherwise ask its
    provider for its state (a payment may have gone through), then close it so a new one can
    be opened. Raises when the invoice turns out paid."""
    fresh = timezone.now() - tx.created_at < REUSE_FOR
    if tx.provider == config.kind and tx.amount == invoice.balance and tx.redirect and fresh:
        return _redirect_of(tx)
    tx_provider = _provider_or_none(tx.organisation, tx.provider, base_url=base_url)
    outcome = None
    if tx_provider is not None:
        try:
            outcome = tx_provider.status(tx)
        except Exception:  # noqa: BLE001 - the provider is down: the old attempt is closed below
            logger.warning("payment status unavailable (%s %s)", tx.provider, tx.transaction_id)
    if outcome is not None and outcome.result not in (PENDING, ERROR):
        applied = _apply.inner(tx=tx, outcome=outcome)
        if applied is None:
            return "blocked", None  # an answer staff must look at: no second payment meanwhile
        if applied.status == TransactionStatus.PAID:
            return "paid", None
        return None
    if outcome is not None and fresh:
        # Still under way at the provider (the family pays in another tab): same payment again.
        if tx.redirect:
            return _redirect_of(tx)
    tx.status = TransactionStatus.CANCELLED
    tx.settled_at = timezone.now()
    tx.bank_data = {**tx.bank_data, CLOSED_BY_US: "1"}  # a late "paid" answer is still recorded
    tx.save(update_fields=["status", "settled_at", "bank_data", "updated_at"])
    return None


def _provider_or_none(organisation, kind: str, *, base_url: str = ""):
    config = ProviderConfig.objects.filter(organisation=organisation, kind=kind).first()
    if config is None or provider_class(kind) is None:
        return None
    return provider_for(config, base_url=base_url or settings.SITE_URL)


@action
def settle(*, organisation, provider_kind: str, query_string: str, base_url: str = "") -> OnlineTransaction | None:
    """Apply a provider's answer. Returns the transaction, or None when the answer is refused
    (unsigned, unknown, wrong amount): nothing is changed then, except that a wrong amount is
    flagged for staff."""
    provider = _provider_or_none(organisation, provider_kind, base_url=base_url)
    if provider is None:
        return None
    try:
        outcome = provider.response(query_string)
    except Exception:  # noqa: BLE001 - a malformed answer is refused, never a 500
        logger.warning("payment answer unreadable (%s)", provider_kind)
        return None
    if not outcome.signed:
        logger.warning("payment answer not signed (%s %s)", provider_kind, outcome.transaction_id)
        return None
    tx = (
        OnlineTransaction.objects.select_for_update()
        .select_related("invoice", "family")
        .filter(organisation=organisation, provider=provider_kind, transaction_id=outcome.transaction_id)
        .first()
    )
    if tx is None:
        return None
    return _apply.inner(tx=tx, outcome=outcome)


@action
def _apply(*, tx: OnlineTransaction, outcome: Outcome) -> OnlineTransaction | None:
    """Act on a verified answer about a transaction, once: a settled transaction is never
    changed again; a non-final answer (PayFiP's P5) leaves it pending; an answer for another
    amount is refused (None) and flagged for staff."""
    tx = OnlineTransaction.objects.select_for_update().select_related("invoice", "family").get(pk=tx.pk)
    replaced = tx.status == TransactionStatus.CANCELLED and tx.bank_data.get(CLOSED_BY_US)
    if tx.status != TransactionStatus.PENDING and not (replaced and outcome.paid):
        return tx  # replayed or duplicate answer
    now = timezone.now()
    tx.checked_at = now
    if outcome.result in (PENDING, ERROR):
        tx.save(update_fields=["checked_at", "updated_at"])
        return tx
    if outcome.amount is not None and outcome.amount != tx.amount:
        # Refused: the transaction stays as it was; staff see the anomaly on it.
        logger.warning("payment amount mismatch on %s", tx.pk)
        OnlineTransaction.objects.filter(pk=tx.pk).update(
            anomaly=_("Montant annoncé %(received)s au lieu de %(expected)s : réponse refusée.")
            % {"received": format_euros(outcome.amount), "expected": format_euros(tx.amount)},
            updated_at=now,
        )
        return None
    tx.bank_data = outcome.bank_data
    tx.settled_at = now
    if outcome.paid:
        invoice = tx.invoice
        payment = record_payment.inner(
            family=tx.family,
            method=PaymentMethod.ONLINE,
            amount=tx.amount,
            received_on=timezone.localdate(),
            reference=f"{tx.provider} {tx.transaction_id}"[:100],
            allocations={invoice.pk: min(tx.amount, invoice.balance)} if invoice.is_open else None,
            acting_user=None,
        )
        tx.status = TransactionStatus.PAID
        tx.payment = payment
    else:
        tx.status = TransactionStatus.CANCELLED if outcome.result == CANCELLED else TransactionStatus.REFUSED
        log_family_action(family=tx.family, action="online_payment_failed", data={"invoice": tx.invoice.number})
    tx.save(update_fields=["status", "bank_data", "settled_at", "checked_at", "payment", "updated_at"])
    return tx


@step_by_step
def recheck_pending(*, now=None) -> int:
    """Periodic (and on the family's return): ask the providers that can be asked (PayFiP)
    about the transactions still pending — a notification lost, a P5 that became paid.
    Returns how many were settled."""
    now = now or timezone.now()
    settled = 0
    candidates = OnlineTransaction.objects.filter(status=TransactionStatus.PENDING).filter(
        Q(checked_at__isnull=True) | Q(checked_at__lt=now - RECHECK_EVERY)
    )
    for tx in candidates.select_related("organisation").order_by("created_at")[:200]:
        if check_transaction(tx) in (TransactionStatus.PAID, TransactionStatus.REFUSED, TransactionStatus.CANCELLED):
            settled += 1
    return settled


@step_by_step
def check_transaction(tx: OnlineTransaction) -> str:
    """Ask the provider about one pending transaction and apply its answer; returns the status."""
    provider = _provider_or_none(tx.organisation, tx.provider)
    if provider is None:
        return tx.status
    try:
        outcome = provider.status(tx)
    except Exception:  # noqa: BLE001 - the provider is down: next time
        logger.warning("payment status unavailable (%s %s)", tx.provider, tx.transaction_id)
        outcome = None
    if outcome is None or not outcome.signed:
        OnlineTransaction.objects.filter(pk=tx.pk).update(checked_at=timezone.now())
        return tx.status
    applied = _apply(tx=tx, outcome=outcome)
    return tx.status if applied is None else applied.status


@action
def record_desk_payment(*, token, family, acting_user, **fields):
    """The payments desk's "Enregistrer": accepted once per form (its one-time token). A second
    submission of the same form returns the payment already recorded, and False."""
    try:
        with transaction.atomic():
            marker = PaymentFormToken.objects.create(organisation=family.organisation, token=token)
    except IntegrityError:
        marker = None
    if marker is None:
        # Submitted already (the first submission has committed: its row blocked ours until then).
        existing = PaymentFormToken.objects.filter(organisation=family.organisation, token=token).first()
        if existing is None or existing.payment is None:
            raise DomainError(_("Ce formulaire a déjà été envoyé : rechargez la page pour saisir un autre règlement."))
        return existing.payment, False
    payment = record_payment.inner(family=family, acting_user=acting_user, **fields)
    marker.payment = payment
    marker.save(update_fields=["payment", "updated_at"])
    return payment, True


@action
def configure_provider(*, organisation, kind: str, options: dict, acting_user) -> ProviderConfig | None:
    """Enable one provider (or none) for the organisation, keeping each provider's options."""
    from ribambelle.core.services import record_audit

    if kind and provider_class(kind) is None:
        raise DomainError(_("Prestataire de paiement inconnu."))
    with transaction.atomic():
        ProviderConfig.objects.filter(organisation=organisation).update(is_enabled=False)
        config = None
        if kind:
            config, _created = ProviderConfig.objects.get_or_create(organisation=organisation, kind=kind)
            config.options = {**config.options, **{k: v for k, v in options.items() if v}}
            config.is_enabled = True
            config.save()
        record_audit(
            organisation=organisation,
            actor=acting_user,
            action="payment_provider",
            obj=organisation,
            changes={"kind": kind or "aucun"},
        )
    return config
