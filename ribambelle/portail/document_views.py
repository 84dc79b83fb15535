"""Portal: "Mes documents" (send what the organisation asks for) and "Documentation"."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ribambelle.core.exceptions import DomainError
from ribambelle.core.params import parse_id
from ribambelle.documents import selectors, services
from ribambelle.documents.forms import UploadForm
from ribambelle.documents.http import file_response
from ribambelle.documents.models import DocumentScope, PublishedCategory
from ribambelle.tenancy.access import family_required


def _health(request) -> bool:
    return bool(getattr(request, "consents", None) and request.consents.health)


@family_required
def documents(request):
    family = request.user.family
    # What the family's registrations require too (the CAF certificate for the holidays…), as the
    # registration summary and the staff queue say.
    sections = selectors.document_sections(
        organisation=request.organisation, family=family, include_health=_health(request), for_registrations=True
    )
    return render(
        request,
        "portail/documents.html",
        {
            "family_section": sections[0],
            # A member for whom no type applies (often the adults) has nothing to show.
            "person_sections": [section for section in sections[1:] if section.types or section.documents],
            "family": family,
            "health_hidden": not _health(request),
            "active_tab": "documents",
        },
    )


def _add(request, *, person):
    organisation = request.organisation
    family = request.user.family
    types = selectors.active_types(organisation, include_health=_health(request))
    if person is None:
        types = types.filter(scope=DocumentScope.FAMILY)
    else:
        types = types.filter(scope=DocumentScope.CHILD if person.role == "child" else DocumentScope.ADULT)
    initial = {}
    if parse_id(request.GET.get("type")):
        initial["document_type"] = parse_id(request.GET["type"])
    form = UploadForm(request.POST or None, request.FILES or None, types=types, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_document(
                organisation=organisation,
                family=family,
                person=person,
                document_type=form.cleaned_data["document_type"],
                uploads=form.uploads,
                acting_user=request.user,
                request=request,
                allow_health=_health(request),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Merci, « %(document)s » est bien transmis : il est en cours de traitement par le service.")
                % {"document": form.cleaned_data["document_type"].name},
            )
            return redirect("portail:documents", org_slug=organisation.slug)
    return render(
        request,
        "portail/document_add.html",
        {"form": form, "person": person, "types": types, "active_tab": "documents"},
        status=400 if form.errors else 200,
    )


@family_required
def document_add_family(request):
    return _add(request, person=None)


@family_required
def document_add_person(request, person_id: int):
    person = selectors.members_for_family(request.organisation, request.user.family, person_id)
    return _add(request, person=person)


@family_required
def document_file(request, submittedpage_id: int):
    page = selectors.get_page_for_family(request.user.family, submittedpage_id, include_health=_health(request))
    document = page.document
    return file_response(
        page.file,
        content_type=page.content_type,
        filename_stem=f"{document.document_type.name} {document.period_label} page {page.number}",
        extension=page.file_extension,
        inline=True,
    )


@family_required
def blank_form(request, documenttype_id: int):
    document_type = selectors.get_type(request.organisation, documenttype_id, active_only=True)
    if document_type.is_health and not _health(request):
        from django.http import Http404

        raise Http404("Type indisponible")
    return file_response(
        document_type.blank_form,
        content_type=services.content_type_for(document_type.file_extension),
        filename_stem=f"{document_type.name} formulaire",
        extension=document_type.file_extension,
    )


@family_required
def documentation(request):
    published = list(selectors.published_for_family(request.organisation))
    groups = []
    for value, label in PublishedCategory.choices:
        items = [doc for doc in published if doc.category == value]
        if items:
            groups.append({"label": label, "items": items})
    return render(request, "portail/documentation.html", {"groups": groups, "active_tab": "documentation"})


def published_file(request, publisheddocument_id: int):
    """Public documents for anyone; "families only" ones for a logged-in family or staff."""
    user = request.user
    is_family = user.is_authenticated and user.is_family and user.organisation_id == request.organisation.pk
    is_staff = user.is_authenticated and getattr(request, "membership", None) is not None
    document = selectors.get_published_for_download(
        request.organisation, publisheddocument_id, family_user=is_family, staff=is_staff
    )
    return file_response(
        document.file,
        content_type=document.content_type,
        filename_stem=document.title,
        extension=document.file_extension,
    )
