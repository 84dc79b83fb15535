"""Back office: the online payments (PayFiP, PayZen…) and the answers refused that staff must
look at (an amount other than the one asked)."""

from django.shortcuts import render

from ribambelle.core.pagination import paginate
from ribambelle.payments import selectors
from ribambelle.payments.models import TransactionStatus
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm


@staff_required(Perm.MANAGE_BILLING)
def online_payments(request):
    listed = selectors.transaction_list_for_staff(request.membership, request.GET).qs
    return render(
        request,
        "backoffice/billing/online_payments.html",
        {
            "page": paginate(request, listed),
            "statuses": TransactionStatus.choices,
            "status": request.GET.get("statut", ""),
            "anomalies_only": request.GET.get("anomalie", "") in ("1", "true", "True"),
            "anomalies": selectors.anomaly_count_for_staff(request.membership),
            "sort": request.GET.get("tri", ""),
            "nav": "online_payments",
        },
    )
