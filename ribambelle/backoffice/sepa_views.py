"""Back office, "Prélèvements SEPA": make a collection (pain.008 recorded with its lines),
follow it, settle it, enter or import (pain.002) the bank's rejects."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ribambelle.billing import selectors, sepa, sepa_collections
from ribambelle.billing.sepa_models import LineStatus
from ribambelle.billing.services import settings_for
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formpage import form_page
from ribambelle.core.pagination import paginate
from ribambelle.tenancy.access import staff_required, structure_limit
from ribambelle.tenancy.roles import Area, Perm

from .correction_forms import CollectionForm, RejectForm, StatusReportForm

BILLING = Perm.MANAGE_BILLING


@staff_required(BILLING)
def sepa_home(request):
    if structure_limit(request.membership, Area.BILLING) is not None:
        # One collection file for all the organisation's mandates: it cannot be cut by structure.
        raise PermissionDenied(
            _("Le prélèvement couvre toute l'organisation : votre accès est limité à des structures.")
        )
    filterset = selectors.collection_list_for_staff(request.membership, request.GET)
    settings = settings_for(request.organisation)
    earliest = sepa_collections.earliest_collection_date(settings, timezone.localdate())
    form = CollectionForm(request.POST or None, initial={"collection_date": earliest})
    form.fields["collection_date"].help_text = _(
        "Les familles reçoivent aussitôt le montant et la date (pré-notification) : au plus tôt le %(date)s."
    ) % {"date": f"{earliest:%d/%m/%Y}"}
    return form_page(
        request,
        form,
        save=lambda form: sepa_collections.create_collection(
            organisation=request.organisation,
            collection_date=form.cleaned_data["collection_date"],
            acting_user=request.user,
        ),
        success=lambda collection: (
            ngettext(
                "Prélèvement du %(date)s créé : %(count)s facture, familles prévenues.",
                "Prélèvement du %(date)s créé : %(count)s factures, familles prévenues.",
                collection.line_count,
            )
            % {"date": f"{collection.collection_date:%d/%m/%Y}", "count": collection.line_count}
        ),
        redirect_to=lambda collection: redirect(
            "backoffice:billing_collection", org_slug=request.organisation.slug, sepacollection_id=collection.pk
        ),
        template="backoffice/billing/sepa.html",
        context={
            "mandates": selectors.mandates_for_staff(request.membership)
            .filter(is_active=True)
            .select_related("family"),
            "collectable": sepa.collectable(request.organisation),
            "page": paginate(request, filterset.qs, 20),
            "filterset": filterset,
            "nav": "sepa",
        },
    )


@staff_required(BILLING)
def collection_detail(request, sepacollection_id: int):
    collection = selectors.get_collection_for_staff(request.membership, sepacollection_id)
    report_form = StatusReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and report_form.is_valid():
        try:
            count = sepa_collections.import_status_report(
                collection=collection, content=report_form.cleaned_data["report"].read(), acting_user=request.user
            )
        except DomainError as error:
            report_form.add_error("report", error.message)
        else:
            messages.success(
                request,
                ngettext(
                    "Rapport lu : %(count)s rejet enregistré.", "Rapport lu : %(count)s rejets enregistrés.", count
                )
                % {"count": count},
            )
            return redirect(
                "backoffice:billing_collection", org_slug=request.organisation.slug, sepacollection_id=collection.pk
            )
    lines = list(selectors.collection_lines(collection))
    return render(
        request,
        "backoffice/billing/sepa_collection.html",
        {
            "collection": collection,
            "lines": lines,
            "pending": sum(1 for line in lines if line.status == LineStatus.PENDING),
            "due": collection.collection_date <= timezone.localdate(),
            "report_form": report_form,
            "nav": "sepa",
        },
        status=400 if report_form.errors else 200,
    )


@staff_required(BILLING)
def collection_file(request, sepacollection_id: int):
    collection = selectors.get_collection_for_staff(request.membership, sepacollection_id, with_content=True)
    response = HttpResponse(bytes(collection.content), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{collection.file_name}"'
    return response


@staff_required(BILLING)
@require_POST
def collection_settle(request, sepacollection_id: int):
    collection = selectors.get_collection_for_staff(request.membership, sepacollection_id)
    try:
        count = sepa_collections.settle_collection(collection=collection, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext(
                "Prélèvement réglé : %(count)s facture payée, reçu envoyé.",
                "Prélèvement réglé : %(count)s factures payées, reçus envoyés.",
                count,
            )
            % {"count": count},
        )
    return redirect(
        "backoffice:billing_collection", org_slug=request.organisation.slug, sepacollection_id=collection.pk
    )


@staff_required(BILLING)
def collection_line_reject(request, sepacollectionline_id: int):
    line = selectors.get_collection_line_for_staff(request.membership, sepacollectionline_id)
    return form_page(
        request,
        RejectForm(request.POST or None, initial={"rejected_on": timezone.localdate(), "code": "AM04"}),
        save=lambda form: sepa_collections.reject_line(line=line, acting_user=request.user, **form.cleaned_data),
        success=lambda line: (
            _("Rejet enregistré : la facture %(number)s est de nouveau à payer, famille prévenue.")
            % {"number": line.invoice.number}
        ),
        redirect_to=redirect(
            "backoffice:billing_collection", org_slug=request.organisation.slug, sepacollection_id=line.collection_id
        ),
        template="backoffice/billing/sepa_reject.html",
        context={"line": line, "nav": "sepa"},
    )
