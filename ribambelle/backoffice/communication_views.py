"""Staff pages of communication: inbox, news and banners, mass e-mail, e-mail wording."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ribambelle.activities.selectors import current_groups
from ribambelle.communication import mailing, messaging, publishing, selectors
from ribambelle.communication.models import MailingScope, ThreadStatus
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formpage import EditPage, apply_errors
from ribambelle.core.pagination import paginate
from ribambelle.core.params import parse_id
from ribambelle.outbox.templating import EMAIL_KINDS, default_wording, render_override
from ribambelle.portail.communication_views import attachment_response
from ribambelle.tenancy.access import families_to_follow, staff_required, structure_limit
from ribambelle.tenancy.roles import Perm
from ribambelle.tenancy.selectors import get_structure_for_staff, structures_for_staff

from .communication_forms import (
    BannerForm,
    EmailOverrideForm,
    LinkFamilyForm,
    MassMailingForm,
    NewsForm,
    ReplyForm,
    ThreadStatusForm,
)


def _go(request, name: str, **kwargs):
    return redirect(name, org_slug=request.organisation.slug, **kwargs)


# --- Inbox ------------------------------------------------------------------------------
@staff_required(Perm.COMMUNICATE)
def inbox(request):
    filterset = selectors.thread_list_for_staff(request.membership, request.GET)
    page = paginate(request, filterset.qs)
    counts = selectors.inbox_counts(request.membership)
    return render(
        request,
        "backoffice/inbox.html",
        {
            "page": page,
            "filterset": filterset,
            "status": filterset.status_value,
            "statuses": [(value, label, counts.get(value, 0)) for value, label in ThreadStatus.choices],
            "nav": "inbox",
        },
    )


@staff_required(Perm.COMMUNICATE)
def message_thread(request, messagethread_id: int):
    thread = selectors.get_thread_for_staff(request.membership, messagethread_id)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            messaging.reply_to_family(
                thread=thread,
                acting_user=request.user,
                body=form.cleaned_data["body"],
                handled=form.cleaned_data["handled"],
            )
        except DomainError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("Votre réponse est envoyée à la famille %(family)s.") % {"family": thread.family.name}
            )
            return _go(request, "backoffice:message_thread", messagethread_id=thread.pk)
    if request.method == "GET" and thread.status == ThreadStatus.NEW:
        messaging.set_thread_status(thread=thread, status=ThreadStatus.IN_PROGRESS, acting_user=request.user)
    return render(
        request,
        "backoffice/message_thread.html",
        {
            "thread": thread,
            "thread_messages": selectors.messages_of_thread(thread),
            "form": form,
            "status_form": ThreadStatusForm(initial={"status": thread.status}),
            "nav": "inbox",
        },
        status=400 if form.errors else 200,
    )


@staff_required(Perm.COMMUNICATE)
def message_thread_status(request, messagethread_id: int):
    thread = selectors.get_thread_for_staff(request.membership, messagethread_id)
    if request.method != "POST":
        return _go(request, "backoffice:message_thread", messagethread_id=thread.pk)
    form = ThreadStatusForm(request.POST)
    if form.is_valid():
        messaging.set_thread_status(thread=thread, status=form.cleaned_data["status"], acting_user=request.user)
        messages.success(request, _("Statut : %(status)s.") % {"status": thread.get_status_display()})
    else:
        messages.error(request, _("Choisissez un statut dans la liste."))
    return _go(request, "backoffice:message_thread", messagethread_id=thread.pk)


@staff_required(Perm.COMMUNICATE)
def message_attachment(request, message_id: int):
    return attachment_response(selectors.get_attachment_for_staff(request.membership, message_id))


# --- News and banners -------------------------------------------------------------------
@staff_required(Perm.COMMUNICATE)
def publications(request):
    return render(
        request,
        "backoffice/publications.html",
        {
            "news": selectors.news_for_staff(request.membership),
            "banners": selectors.banners_for_staff(request.membership),
            "nav": "publications",
        },
    )


def _publication(kind: str, **page):
    """News and banners share one form page, back to the publications."""
    return EditPage(
        template="backoffice/publication_form.html",
        back=("backoffice:publications", gettext_lazy("Actualités et bandeaux")),
        nav="publications",
        context=lambda request, instance: {"kind": kind},
        **page,
    )


def _news_form(request, news):
    return NewsForm(request.POST or None, instance=news, structures=structures_for_staff(request.membership))


news_create, news_edit = _publication(
    "news",
    form=_news_form,
    save=lambda request, form, news: publishing.save_news(
        organisation=request.organisation,
        news=news,
        fields=form.domain_fields(),
        structures=form.cleaned_data["structures"],
        acting_user=request.user,
    ),
    success=gettext_lazy("L'actualité « %(name)s » est enregistrée."),
    new_title=gettext_lazy("Nouvelle actualité"),
).views(staff_required(Perm.COMMUNICATE), for_staff=selectors.get_newsitem_for_staff)


@staff_required(Perm.COMMUNICATE)
def news_delete(request, newsitem_id: int):
    news = selectors.get_newsitem_for_staff(request.membership, newsitem_id)
    if request.method != "POST":
        return _go(request, "backoffice:news_edit", newsitem_id=news.pk)
    publishing.delete_news(news=news, acting_user=request.user)
    messages.success(request, _("L'actualité « %(title)s » est supprimée.") % {"title": news.title})
    return _go(request, "backoffice:publications")


def _banner_for_all(request) -> dict:
    if structure_limit(request.membership) is not None:
        # The banner shows to every family: like banners_for_staff, not for a limited member.
        raise Http404
    return {}


banner_create, banner_edit = _publication(
    "banner",
    form=lambda request, banner: BannerForm(request.POST or None, instance=banner),
    save=lambda request, form, banner: publishing.save_banner(
        organisation=request.organisation, banner=banner, fields=form.domain_fields(), acting_user=request.user
    ),
    success=gettext_lazy("Le bandeau est enregistré."),
    new_title=gettext_lazy("Message du bandeau"),
).views(
    staff_required(Perm.COMMUNICATE),
    for_staff=selectors.get_banner_for_staff,
    parent=_banner_for_all,
)


@staff_required(Perm.COMMUNICATE)
def banner_delete(request, banner_id: int):
    banner = selectors.get_banner_for_staff(request.membership, banner_id)
    if request.method != "POST":
        return _go(request, "backoffice:banner_edit", banner_id=banner.pk)
    publishing.delete_banner(banner=banner, acting_user=request.user)
    messages.success(request, _("Le bandeau est supprimé."))
    return _go(request, "backoffice:publications")


# --- Mass e-mail ------------------------------------------------------------------------
@staff_required(Perm.COMMUNICATE)
def mailing_list(request):
    filterset = selectors.mailing_list_for_staff(request.membership, request.GET)
    page = paginate(request, filterset.qs, 30)
    return render(request, "backoffice/mailing_list.html", {"page": page, "filterset": filterset, "nav": "mailings"})


@staff_required(Perm.COMMUNICATE)
def mailing_new(request):
    """Write, preview the recipients and their count, then confirm: two steps, one form."""
    structures = structures_for_staff(request.membership)
    groups = current_groups(request.organisation, structures, timezone.localdate())
    form = MassMailingForm(request.POST or None, structures=structures, groups=groups)
    audience = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = list(data["structures"]) if data["scope"] == MailingScope.STRUCTURES else []
        chosen_groups = list(data["groups"]) if data["scope"] == MailingScope.GROUPS else []
        if data["scope"] == MailingScope.ORGANISATION and request.membership.structures.exists():
            form.add_error("scope", _("Votre rôle est limité à certaines structures : choisissez-les."))
        else:
            try:
                if "confirm" in request.POST:
                    sent = mailing.send_mass_mailing(
                        organisation=request.organisation,
                        subject=data["subject"],
                        body=data["body"],
                        scope=data["scope"],
                        structures=chosen,
                        groups=chosen_groups,
                        essential=data["essential"],
                        acting_user=request.user,
                    )
                    messages.success(
                        request, _("Le message est dans la file d'envoi : suivez l'état de chaque e-mail ici.")
                    )
                    return _go(request, "backoffice:mailing_detail", massmailing_id=sent.pk)
                audience = mailing.resolve_audience(
                    organisation=request.organisation,
                    scope=data["scope"],
                    structures=chosen,
                    groups=chosen_groups,
                    essential=data["essential"],
                )
            except DomainError as error:
                apply_errors(form, error)
    return render(
        request,
        "backoffice/mailing_new.html",
        {"form": form, "audience": audience, "nav": "mailings"},
        status=400 if form.errors else 200,
    )


@staff_required(Perm.COMMUNICATE)
def mailing_detail(request, massmailing_id: int):
    sent = selectors.get_massmailing_for_staff(request.membership, massmailing_id)
    recipients = paginate(request, selectors.recipients_of_mailing(sent), 100)
    return render(request, "backoffice/mailing_detail.html", {"mailing": sent, "page": recipients, "nav": "mailings"})


# --- E-mail wording ---------------------------------------------------------------------
@staff_required(Perm.MANAGE_ORGANISATION)
def email_templates(request):
    overrides = selectors.overrides_for_organisation(request.organisation)
    kinds = [(kind, overrides.get(name)) for name, kind in sorted(EMAIL_KINDS.items(), key=lambda i: i[1].label)]
    return render(request, "backoffice/email_templates.html", {"kinds": kinds, "nav": "email_templates"})


@staff_required(Perm.MANAGE_ORGANISATION)
def email_template_edit(request, template: str):
    kind = EMAIL_KINDS.get(template)
    if kind is None:
        raise Http404()
    organisation = request.organisation
    override = selectors.overrides_for_organisation(organisation).get(template)
    if override is not None:
        initial = {"subject": override.subject, "body": override.body}
    else:
        subject, body = default_wording(kind, organisation)
        initial = {"subject": subject, "body": body.strip()}
    form = EmailOverrideForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST" and "reset" in request.POST:
        mailing.reset_override(organisation=organisation, template=template, acting_user=request.user)
        messages.success(request, _("« %(label)s » reprend le texte d'origine.") % {"label": kind.label})
        return _go(request, "backoffice:email_templates")
    if request.method == "POST" and form.is_valid():
        try:
            subject, body = mailing.validate_override(
                template=template, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"]
            )
            if "save" in request.POST:
                mailing.save_override(
                    organisation=organisation, template=template, subject=subject, body=body, acting_user=request.user
                )
                messages.success(request, _("Le texte de « %(label)s » est enregistré.") % {"label": kind.label})
                return _go(request, "backoffice:email_templates")
            from django.conf import settings

            context = {"organisation": organisation, "site_url": settings.SITE_URL, **kind.sample(organisation)}
            preview = render_override(kind, subject=subject, body=body, context=context)
        except DomainError as error:
            apply_errors(form, error)
    return render(
        request,
        "backoffice/email_template_form.html",
        {
            "form": form,
            "kind": kind,
            "override": override,
            "placeholders": [(name, label) for name, (label, _read) in kind.all_placeholders().items()],
            "preview": preview,
            "nav": "email_templates",
        },
        status=400 if form.errors else 200,
    )


# --- Families of a structure ---------------------------------------------------------------
@staff_required(Perm.COMMUNICATE)
def structure_families(request, structure_id: int):
    structure = get_structure_for_staff(request.membership, structure_id)
    links = selectors.families_of_structure(structure)
    families = families_to_follow(request.membership).exclude(pk__in=links.values("family_id"))
    form = LinkFamilyForm(request.POST or None, families=families)
    if request.method == "POST":
        remove = request.POST.get("remove", "")
        if parse_id(remove):
            link = get_object_or_404(links, pk=parse_id(remove))
            mailing.unlink_family_from_structure(link=link, acting_user=request.user)
            messages.success(
                request,
                _("La famille %(family)s n'est plus rattachée à %(structure)s.")
                % {"family": link.family.name, "structure": structure.name},
            )
            return _go(request, "backoffice:structure_families", structure_id=structure.pk)
        if form.is_valid():
            family = form.cleaned_data["family"]
            mailing.link_family_to_structure(structure=structure, family=family, acting_user=request.user)
            messages.success(
                request,
                _("La famille %(family)s est rattachée à %(structure)s.")
                % {"family": family.name, "structure": structure.name},
            )
            return _go(request, "backoffice:structure_families", structure_id=structure.pk)
    return render(
        request,
        "backoffice/structure_families.html",
        {"structure": structure, "links": links, "form": form, "nav": "structures"},
        status=400 if form.errors else 200,
    )
