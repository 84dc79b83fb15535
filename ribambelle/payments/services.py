"""Online payment: start a payment of an invoice and settle the provider's answers.

The provider's answer may come twice (browser return and server notification), late, or
forged. Settlement therefore: trusts only a signed answer, finds our own pending
transaction by the provider's id, locks it, and acts only while it is pending and the
amount is the one we asked for. A replay finds it settled and changes nothing."""

import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts.services import log_family_action
from ribambelle.billing.models import Invoice, PaymentMethod
from ribambelle.billing.services import record_payment
from ribambelle.core.actions import action, one_statement
from ribambelle.core.exceptions import DomainError

from .models import OnlineTransaction, ProviderConfig, TransactionStatus
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


@one_statement
def start_payment(*, invoice: Invoice, user, base_url: str) -> tuple[str, object]:
    """Create a pending transaction for what is left to pay; returns ("url", address) or
    ("form", eopayment Form) to send the family to the provider."""
    config = enabled_config(invoice.organisation)
    if config is None:
        raise DomainError(_("Le paiement en ligne n'est pas proposé : suivez les modalités de paiement indiquées."))
    if not invoice.is_open or invoice.balance <= 0:
        raise DomainError(_("Cette facture n'est plus à payer."))
    provider = provider_for(config, base_url=base_url)
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
    OnlineTransaction.objects.create(
        organisation=invoice.organisation,
        family=family,
        invoice=invoice,
        provider=config.kind,
        transaction_id=transaction_id,
        amount=invoice.balance,
    )
    log_family_action(
        family=family,
        action="online_payment_start",
        data={"invoice": invoice.number, "amount": str(invoice.balance)},
        user=user,
    )
    return kind, data


@action
def settle(*, organisation, provider_kind: str, query_string: str, base_url: str = "") -> OnlineTransaction | None:
    """Apply a provider's answer. Returns the transaction, or None when the answer is refused
    (unsigned, unknown, wrong amount): nothing is changed then."""
    config = ProviderConfig.objects.filter(organisation=organisation, kind=provider_kind).first()
    if config is None or provider_class(provider_kind) is None:
        return None
    provider = provider_for(config, base_url=base_url)
    try:
        outcome = provider.response(query_string)
    except Exception:  # noqa: BLE001 - a malformed answer is refused, never a 500
        logger.warning("payment answer unreadable (%s)", provider_kind)
        return None
    if not outcome.signed:
        logger.warning("payment answer not signed (%s %s)", provider_kind, outcome.transaction_id)
        return None
    with transaction.atomic():
        tx = (
            OnlineTransaction.objects.select_for_update()
            .select_related("invoice", "family")
            .filter(organisation=organisation, provider=provider_kind, transaction_id=outcome.transaction_id)
            .first()
        )
        if tx is None:
            return None
        if tx.status != TransactionStatus.PENDING:
            return tx  # replayed or duplicate answer
        if outcome.amount is not None and outcome.amount != tx.amount:
            logger.warning("payment amount mismatch on %s", tx.pk)
            return None
        tx.bank_data = outcome.bank_data
        tx.settled_at = timezone.now()
        if outcome.paid:
            invoice = tx.invoice
            payment = record_payment.inner(
                family=tx.family,
                method=PaymentMethod.ONLINE,
                amount=tx.amount,
                received_on=timezone.localdate(),
                reference=f"{provider_kind} {tx.transaction_id}"[:100],
                allocations={invoice.pk: min(tx.amount, invoice.balance)} if invoice.is_open else None,
                acting_user=None,
            )
            tx.status = TransactionStatus.PAID
            tx.payment = payment
        else:
            cancelled = outcome.bank_data.get("result") == "cancelled"
            tx.status = TransactionStatus.CANCELLED if cancelled else TransactionStatus.REFUSED
            log_family_action(
                family=tx.family,
                action="online_payment_failed",
                data={"invoice": tx.invoice.number},
            )
        tx.save(update_fields=["status", "bank_data", "settled_at", "payment", "updated_at"])
    return tx


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
