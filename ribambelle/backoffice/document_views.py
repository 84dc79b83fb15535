"""Back office: the documents review queue, a family's documents, document types, documentation."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ribambelle.core.exceptions import DomainError
from ribambelle.core.formpage import EditPage, submit
from ribambelle.core.pagination import paginate
from ribambelle.core.services import record_audit
from ribambelle.documents import selectors, services
from ribambelle.documents.forms import (
    AcceptForm,
    DocumentTypeForm,
    PublishedDocumentForm,
    RefuseForm,
    StaffUploadForm,
)
from ribambelle.documents.http import file_response
from ribambelle.families.selectors import get_family_for_staff, members_of_family
from ribambelle.tenancy.access import staff_required, structure_limit
from ribambelle.tenancy.roles import Perm, has_permission
from ribambelle.tenancy.selectors import structures_for_staff


def _health(request) -> bool:
    return has_permission(request.membership, Perm.VIEW_HEALTH)


def _can_review(request) -> bool:
    return has_permission(request.membership, Perm.MANAGE_FAMILIES)


# --- Review queue ---------------------------------------------------------------------
@staff_required(Perm.VIEW_FAMILIES)
def queue(request):
    filterset = selectors.review_queue_list_for_staff(request.membership, request.GET, include_health=_health(request))
    page = paginate(request, filterset.qs)
    return render(
        request, "backoffice/documents_queue.html", {"page": page, "filterset": filterset, "nav": "documents"}
    )


@staff_required(Perm.VIEW_FAMILIES)
def review(request, submitteddocument_id: int):
    submission = selectors.get_submission_for_staff(
        request.membership, submitteddocument_id, include_health=_health(request)
    )
    accept_form = AcceptForm(prefix="accept", initial={"expires_on": services.default_expiry(submission)})
    refuse_form = RefuseForm(prefix="refuse")
    if request.method == "POST":
        if not _can_review(request):
            raise PermissionDenied(_("Votre rôle ne permet pas d'accepter ou de refuser des documents."))
        # Two forms on the page, one button each: the one pressed goes through core.formpage.submit.
        if "accept" in request.POST:
            accept_form = AcceptForm(request.POST, prefix="accept")
            decided, _saved = submit(
                request,
                accept_form,
                lambda form: services.accept_document(
                    submission=submission, acting_user=request.user, expires_on=form.cleaned_data["expires_on"]
                ),
            )
            said = _("Document accepté : %(document)s.")
        elif "refuse" in request.POST:
            refuse_form = RefuseForm(request.POST, prefix="refuse")
            decided, _saved = submit(
                request,
                refuse_form,
                lambda form: services.refuse_document(
                    submission=submission, acting_user=request.user, **form.cleaned_data
                ),
            )
            said = _("Document refusé : %(document)s. La famille est prévenue par e-mail.")
        else:
            decided, said = False, None
            messages.error(request, _("Choisissez « Accepter » ou « Refuser »."))
        if decided:
            messages.success(request, said % {"document": submission})
            return _next_in_queue(request)
    has_errors = bool(accept_form.errors or refuse_form.errors) or request.method == "POST"
    return render(
        request,
        "backoffice/document_review.html",
        {
            "submission": submission,
            "accept_form": accept_form,
            "refuse_form": refuse_form,
            "can_review": _can_review(request),
            "nav": "documents",
        },
        status=400 if has_errors else 200,
    )


def _next_in_queue(request):
    return redirect("backoffice:documents_queue", org_slug=request.organisation.slug)


@staff_required(Perm.VIEW_FAMILIES)
def document_file(request, submittedpage_id: int):
    page = selectors.get_page_for_staff(request.membership, submittedpage_id, include_health=_health(request))
    document = page.document
    if document.document_type.is_health:
        # Every staff access to health data is traced (SPEC "Personal and health data").
        record_audit(
            organisation=request.organisation,
            actor=request.user,
            action="view",
            obj=document,
            changes={"page": page.number},
        )
    return file_response(
        page.file,
        content_type=page.content_type,
        filename_stem=f"{page.family.name} {document.document_type.name} {document.period_label} page {page.number}",
        extension=page.file_extension,
        inline=request.GET.get("apercu") == "1",
    )


# --- A family's documents -------------------------------------------------------------------
@staff_required(Perm.VIEW_FAMILIES)
def family_documents(request, family_id: int):
    organisation = request.organisation
    family = get_family_for_staff(request.membership, family_id)
    members = list(members_of_family(family))
    types = selectors.active_types(organisation, include_health=_health(request))
    form = StaffUploadForm(request.POST or None, request.FILES or None, types=types, members=members)
    if request.method == "POST":
        if not _can_review(request):
            raise PermissionDenied(_("Votre rôle ne permet pas de déposer un document pour une famille."))
        if form.is_valid():
            person_id = form.cleaned_data["person"]
            person = next((m for m in members if m.pk == person_id), None) if person_id else None
            try:
                services.submit_document(
                    organisation=organisation,
                    family=family,
                    person=person,
                    document_type=form.cleaned_data["document_type"],
                    uploads=form.uploads,
                    acting_user=request.user,
                    request=request,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Le document est déposé ; il attend maintenant d'être accepté."))
                return redirect("backoffice:family_documents", org_slug=organisation.slug, family_id=family.pk)
    sections = selectors.document_sections(
        organisation=organisation, family=family, include_health=_health(request), for_registrations=True
    )
    submissions = selectors.submissions_for_staff(request.membership, family)
    if not _health(request):
        submissions = submissions.filter(document_type__is_health=False)
    return render(
        request,
        "backoffice/family_documents.html",
        {
            "family": family,
            "sections": sections,
            "submissions": submissions[:100],
            "form": form,
            "can_review": _can_review(request),
            "nav": "documents",
        },
        status=400 if form.errors else 200,
    )


# --- Document types -----------------------------------------------------------------------------
@staff_required(Perm.MANAGE_ORGANISATION)
def type_list(request):
    return render(
        request,
        "backoffice/document_type_list.html",
        {"types": selectors.document_types(request.organisation), "nav": "document_types"},
    )


def _upload(form, name: str):
    uploads = form.cleaned_data.get(name) or []
    return uploads[0] if uploads else None


def _save_type(request, form, instance):
    fields = {name: form.cleaned_data[name] for name in DocumentTypeForm.Meta.fields}
    services.save_document_type(
        organisation=request.organisation,
        acting_user=request.user,
        fields=fields,
        instance=instance,
        blank_form=_upload(form, "blank_form"),
    )
    return fields


type_create, type_edit = EditPage(
    form=lambda request, instance: DocumentTypeForm(request.POST or None, request.FILES or None, instance=instance),
    save=_save_type,
    success=lambda fields: _("Le type de document « %(name)s » est enregistré.") % {"name": fields["name"]},
    template="backoffice/document_type_form.html",
    new_title=gettext_lazy("Nouveau type de document"),
    back=("backoffice:document_type_list", gettext_lazy("Types de documents")),
    nav="document_types",
).views(
    staff_required(Perm.MANAGE_ORGANISATION),
    get=lambda request, documenttype_id: selectors.get_type(request.organisation, documenttype_id),
)


@staff_required(Perm.VIEW_FAMILIES)
def type_blank_form(request, documenttype_id: int):
    document_type = selectors.get_type(request.organisation, documenttype_id)
    return file_response(
        document_type.blank_form,
        content_type=services.content_type_for(document_type.file_extension),
        filename_stem=f"{document_type.name} formulaire",
        extension=document_type.file_extension,
    )


# --- Documentation structure ----------------------------------------------------------------------
@staff_required(Perm.COMMUNICATE)
def published_list(request):
    return render(
        request,
        "backoffice/published_list.html",
        {"documents": selectors.published_for_staff(request.membership), "nav": "documentation"},
    )


def _published_form(request, instance):
    form = PublishedDocumentForm(
        request.POST or None, request.FILES or None, instance=instance, organisation=request.organisation
    )
    if structure_limit(request.membership) is not None:
        # Limited to some structures: publish for one of them, never for the whole organisation.
        form.fields["structure"].queryset = structures_for_staff(request.membership)
        form.fields["structure"].required = True
    return form


def _save_published(request, form, instance):
    fields = {name: form.cleaned_data[name] for name in PublishedDocumentForm.Meta.fields}
    try:
        services.save_published_document(
            organisation=request.organisation,
            acting_user=request.user,
            fields=fields,
            instance=instance,
            upload=_upload(form, "upload"),
        )
    except DomainError as error:
        if error.field != "file":
            raise
        raise DomainError(error.message, field="upload") from error  # the form calls the file "upload"
    return fields


published_create, published_edit = EditPage(
    form=_published_form,
    save=_save_published,
    success=lambda fields: _("« %(title)s » est enregistré.") % {"title": fields["title"]},
    template="backoffice/published_form.html",
    new_title=gettext_lazy("Publier un document"),
    back=("backoffice:published_list", gettext_lazy("Documentation structure")),
    nav="documentation",
).views(
    staff_required(Perm.COMMUNICATE),
    get=lambda request, publisheddocument_id: get_object_or_404(
        selectors.published_for_staff(request.membership), pk=publisheddocument_id
    ),
)


@staff_required(Perm.COMMUNICATE)
def published_delete(request, publisheddocument_id: int):
    instance = get_object_or_404(selectors.published_for_staff(request.membership), pk=publisheddocument_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.delete_published_document(document=instance, acting_user=request.user)
    messages.success(request, _("« %(title)s » n'est plus publié.") % {"title": instance.title})
    return redirect("backoffice:published_list", org_slug=request.organisation.slug)
