"""Reads of online payments: the family's own transactions, and what staff must look at."""

from django.shortcuts import get_object_or_404

from ribambelle.tenancy.access import Area, in_reach

from .models import OnlineTransaction, TransactionStatus


def pending_transaction_for_family(family, *, provider: str, transaction_id: str) -> OnlineTransaction:
    """The family's own pending transaction (404 for another family's, or a settled one)."""
    return get_object_or_404(
        OnlineTransaction.objects.filter(
            organisation_id=family.organisation_id,
            family=family,
            provider=provider,
            status=TransactionStatus.PENDING,
        ),
        transaction_id=transaction_id,
    )


def pending_transactions_for_family(family, *, provider: str):
    return OnlineTransaction.objects.filter(
        organisation_id=family.organisation_id, family=family, provider=provider, status=TransactionStatus.PENDING
    ).select_related("organisation")


def transactions_for_staff(membership):
    """Online payments within the member's reach, newest first (`anomaly`: an answer we
    refused, e.g. a wrong amount, that staff must look at)."""
    return (
        OnlineTransaction.objects.filter(
            in_reach(membership, area=Area.BILLING), organisation_id=membership.organisation_id
        )
        .select_related("family", "invoice", "payment")
        .order_by("-created_at", "-id")
    )


def transaction_list_for_staff(membership, params):
    from .filters import OnlineTransactionFilter

    return OnlineTransactionFilter(params, queryset=transactions_for_staff(membership))


def anomaly_count_for_staff(membership) -> int:
    return transactions_for_staff(membership).exclude(anomaly="").count()


def pending_transaction_for_invoice(family, invoice) -> OnlineTransaction | None:
    """The family's online payment of this invoice still awaiting the bank's answer, if any."""
    return pending_transactions_for_family_invoice(family, invoice).first()


def pending_transactions_for_family_invoice(family, invoice):
    return OnlineTransaction.objects.filter(
        organisation_id=family.organisation_id, family=family, invoice=invoice, status=TransactionStatus.PENDING
    )
