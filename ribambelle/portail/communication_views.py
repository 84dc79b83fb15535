"""Portal pages of communication: contacts, "Envoyer un message", the conversations."""

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ribambelle.communication import messaging, selectors
from ribambelle.communication.mailing import set_email_preference
from ribambelle.core.formpage import form_page, status_for, submit
from ribambelle.core.params import parse_id
from ribambelle.tenancy.access import family_required

from .communication_forms import ContactStructureForm, EmailPreferenceForm, FollowUpForm


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
    return form_page(
        request,
        form,
        save=lambda form: messaging.send_message_to_structure(
            user=request.user,
            structure=form.cleaned_data["structure"],
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            attachment=form.cleaned_data.get("attachment") or None,
            request=request,
        ),
        success=_sent,
        redirect_to=lambda thread: _to_thread(request, thread),
        template="portail/message_new.html",
        context={"active_tab": "messages"},
    )


def _sent(thread) -> str:
    return _("Votre message est envoyé à « %(structure)s ».") % {"structure": thread.structure.name}


def _to_thread(request, thread):
    return redirect("portail:message_thread", org_slug=request.organisation.slug, messagethread_id=thread.pk)


@family_required
def message_thread(request, messagethread_id: int):
    thread = selectors.get_thread_for_family(request.user.family, messagethread_id)
    form = FollowUpForm(request.POST or None, request.FILES or None)
    saved, _result = submit(
        request,
        form,
        lambda form: messaging.family_follow_up(
            user=request.user,
            thread=thread,
            body=form.cleaned_data["body"],
            attachment=form.cleaned_data.get("attachment") or None,
            request=request,
        ),
    )
    if saved:
        messages.success(request, _sent(thread))
        return _to_thread(request, thread)
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
        status=status_for(form),
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
