"""Portal pages of communication: contacts, "Envoyer un message", the conversations."""

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ribambelle.communication import messaging, selectors
from ribambelle.communication.mailing import set_email_preference
from ribambelle.core.exceptions import DomainError
from ribambelle.core.params import parse_id
from ribambelle.tenancy.access import family_required

from .communication_forms import ContactStructureForm, EmailPreferenceForm, FollowUpForm


def _refuse(form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@family_required
def contacts(request):
    return render(
        request,
        "portail/contacts.html",
        {"structures": selectors.contact_structures(request.organisation), "active_tab": "contact"},
    )


@family_required
def message_list(request):
    family = request.user.family
    threads = selectors.threads_for_family(family)
    preference_form = EmailPreferenceForm(
        initial={"accepts_optional_emails": selectors.accepts_optional_emails(family)}
    )
    return render(
        request,
        "portail/messages.html",
        {"threads": threads, "preference_form": preference_form, "active_tab": "messages"},
    )


@family_required
def message_new(request):
    structures = selectors.contact_structures(request.organisation)
    initial = {}
    if parse_id(request.GET.get("structure")):
        initial["structure"] = parse_id(request.GET["structure"])
    form = ContactStructureForm(request.POST or None, request.FILES or None, structures=structures, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thread = messaging.send_message_to_structure(
                user=request.user,
                structure=data["structure"],
                subject=data["subject"],
                body=data["body"],
                attachment=data.get("attachment") or None,
                request=request,
            )
        except DomainError as error:
            _refuse(form, error)
        else:
            messages.success(
                request, _("Votre message est envoyé à « %(structure)s ».") % {"structure": thread.structure.name}
            )
            return redirect("portail:message_thread", org_slug=request.organisation.slug, messagethread_id=thread.pk)
    return render(
        request,
        "portail/message_new.html",
        {"form": form, "active_tab": "messages"},
        status=400 if form.errors else 200,
    )


@family_required
def message_thread(request, messagethread_id: int):
    thread = selectors.get_thread_for_family(request.user.family, messagethread_id)
    form = FollowUpForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            messaging.family_follow_up(
                user=request.user,
                thread=thread,
                body=form.cleaned_data["body"],
                attachment=form.cleaned_data.get("attachment") or None,
                request=request,
            )
        except DomainError as error:
            _refuse(form, error)
        else:
            messages.success(
                request, _("Votre message est envoyé à « %(structure)s ».") % {"structure": thread.structure.name}
            )
            return redirect("portail:message_thread", org_slug=request.organisation.slug, messagethread_id=thread.pk)
    if request.method == "GET":
        messaging.mark_read_by_family(thread)
    return render(
        request,
        "portail/message_thread.html",
        {
            "thread": thread,
            "thread_messages": selectors.messages_of_thread(thread),
            "form": form,
            "active_tab": "messages",
        },
        status=400 if form.errors else 200,
    )


def attachment_response(message) -> FileResponse:
    response = FileResponse(
        message.attachment.open("rb"),
        as_attachment=True,
        filename=message.attachment_name or "piece-jointe",
        content_type=message.attachment_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@family_required
def message_attachment(request, message_id: int):
    return attachment_response(selectors.get_attachment_for_family(request.user.family, message_id))


@require_POST
@family_required
def email_preference(request):
    form = EmailPreferenceForm(request.POST)
    form.is_valid()
    accepts = form.cleaned_data.get("accepts_optional_emails", False)
    set_email_preference(user=request.user, accepts_optional_emails=accepts, request=request)
    messages.success(
        request,
        _("C'est noté : vous recevrez les informations non essentielles par e-mail.")
        if accepts
        else _(
            "C'est noté : vous ne recevrez plus que les e-mails indispensables (réponses, inscriptions, factures…)."
        ),
    )
    return redirect("portail:messages", org_slug=request.organisation.slug)
