"""Reads for communication: scoped querysets, lookups that answer 404 outside reach."""

from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ribambelle.tenancy.access import in_reach, structure_limit
from ribambelle.tenancy.models import Structure
from ribambelle.tenancy.selectors import structures_for_staff

from .audience import structures_of_family
from .models import (
    Banner,
    CommunicationPreference,
    EmailTemplateOverride,
    MailingScope,
    MassMailing,
    MassMailingGroup,
    MassMailingStructure,
    Message,
    MessageThread,
    NewsAudience,
    NewsItem,
    NewsItemStructure,
    OutgoingEmail,
    StructureFamily,
)

PUBLIC_NEWS_LIMIT = 5


def _published(now=None) -> Q:
    now = now or timezone.now()
    return Q(publish_from__lte=now) & (Q(publish_until__isnull=True) | Q(publish_until__gt=now))


# --- News and banners -----------------------------------------------------------------
def public_news(organisation, limit: int = PUBLIC_NEWS_LIMIT):
    return NewsItem.objects.filter(_published(), organisation=organisation, audience=NewsAudience.PUBLIC)[:limit]


def news_for_family(family, limit: int = 5):
    """Public items, items for every family, and items aimed at one of the family's structures."""
    targeted = NewsItemStructure.objects.filter(newsitem=OuterRef("pk"))
    followed, registered = structures_of_family(family)  # subqueries: the news in one query
    mine = targeted.filter(Q(structure_id__in=followed) | Q(structure_id__in=registered))
    return NewsItem.objects.filter(_published(), organisation_id=family.organisation_id).filter(
        Q(audience=NewsAudience.PUBLIC) | ~Exists(targeted) | Exists(mine)
    )[:limit]


def active_banners(organisation):
    return Banner.objects.filter(_published(), organisation=organisation)


def _aimed_within(links, limit) -> Q:
    """Rows aimed at some structures, all of them within `limit`: what a structure-limited
    member may manage. Organisation-wide rows (no structure) are for unlimited staff."""
    return Exists(links) & ~Exists(links.exclude(structure_id__in=limit))


def news_for_staff(membership):
    news = NewsItem.objects.filter(organisation_id=membership.organisation_id)
    limit = structure_limit(membership)
    if limit is not None:
        news = news.filter(_aimed_within(NewsItemStructure.objects.filter(newsitem=OuterRef("pk")), limit))
    return news.prefetch_related("structures")


def get_newsitem_for_staff(membership, newsitem_id: int) -> NewsItem:
    return get_object_or_404(news_for_staff(membership), pk=newsitem_id)


def banners_for_staff(membership):
    """A banner shows to every family of the organisation: staff limited to some structures
    manage none (they publish news aimed at their structures instead)."""
    banners = Banner.objects.filter(organisation_id=membership.organisation_id)
    return banners if structure_limit(membership) is None else banners.none()


def get_banner_for_staff(membership, banner_id: int) -> Banner:
    return get_object_or_404(banners_for_staff(membership), pk=banner_id)


# --- Contacts -------------------------------------------------------------------------
def contact_structures(organisation):
    return Structure.objects.filter(organisation=organisation, is_active=True).select_related("sector")


# --- Messages -------------------------------------------------------------------------
def threads_for_family(family):
    return MessageThread.objects.filter(organisation_id=family.organisation_id, family=family).select_related(
        "structure"
    )


def get_thread_for_family(family, thread_id: int) -> MessageThread:
    return get_object_or_404(threads_for_family(family), pk=thread_id)


def messages_of_thread(thread):
    return Message.objects.filter(organisation_id=thread.organisation_id, thread=thread).select_related("author")


def get_attachment_for_family(family, message_id: int) -> Message:
    return get_object_or_404(
        Message.objects.filter(organisation_id=family.organisation_id, family=family).exclude(attachment=""),
        pk=message_id,
    )


def threads_for_staff(membership, *, structure_id: int | None = None, status: str | None = None):
    threads = MessageThread.objects.filter(
        organisation_id=membership.organisation_id,
        structure__in=structures_for_staff(membership).values("pk"),
    ).select_related("structure", "family")
    if structure_id:
        threads = threads.filter(structure_id=structure_id)
    if status:
        threads = threads.filter(status=status)
    return threads


def get_thread_for_staff(membership, thread_id: int) -> MessageThread:
    return get_object_or_404(threads_for_staff(membership), pk=thread_id)


def get_attachment_for_staff(membership, message_id: int) -> Message:
    return get_object_or_404(
        Message.objects.filter(
            organisation_id=membership.organisation_id,
            thread__structure__in=structures_for_staff(membership).values("pk"),
        ).exclude(attachment=""),
        pk=message_id,
    )


def inbox_counts(membership) -> dict[str, int]:
    """Threads per status over the structures the staff member may see (one query)."""
    rows = threads_for_staff(membership).order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    return dict(rows)


# --- Mass e-mail, preferences, templates ------------------------------------------------
def outbox_for_staff(membership):
    """E-mails queued by the organisation; a member limited to some structures sees those
    to the families in their reach only (an address and a subject already say a lot)."""
    emails = OutgoingEmail.objects.filter(organisation_id=membership.organisation_id)
    if structure_limit(membership) is not None:
        emails = emails.filter(in_reach(membership))
    return emails


def accepts_optional_emails(family) -> bool:
    pref = CommunicationPreference.objects.filter(organisation_id=family.organisation_id, family=family).first()
    return pref is None or pref.accepts_optional_emails


def _mailings_for_staff(membership):
    mailings = MassMailing.objects.filter(organisation_id=membership.organisation_id)
    limit = structure_limit(membership)
    if limit is None:
        return mailings
    structures = MassMailingStructure.objects.filter(massmailing=OuterRef("pk"))
    groups = MassMailingGroup.objects.filter(massmailing=OuterRef("pk"))
    # Sent to some structures or activity groups, every one of them within the limit.
    groups_outside = groups.exclude(group__activity__structure_id__in=limit)
    return mailings.filter(
        (Q(scope=MailingScope.STRUCTURES) & _aimed_within(structures, limit))
        | (Q(scope=MailingScope.GROUPS) & Exists(groups) & ~Exists(groups_outside))
    )


def mailings_for_staff(membership):
    return _mailings_for_staff(membership).annotate(recipient_count=Count("recipients")).order_by("-created_at", "-id")


def get_massmailing_for_staff(membership, massmailing_id: int) -> MassMailing:
    return get_object_or_404(_mailings_for_staff(membership).prefetch_related("structures"), pk=massmailing_id)


def recipients_of_mailing(mailing):
    return mailing.recipients.filter(organisation_id=mailing.organisation_id).select_related("family", "email")


def overrides_for_organisation(organisation) -> dict[str, EmailTemplateOverride]:
    return {o.template: o for o in EmailTemplateOverride.objects.filter(organisation=organisation)}


def families_of_structure(structure):
    return (
        StructureFamily.objects.filter(organisation_id=structure.organisation_id, structure=structure)
        .select_related("family")
        .order_by("family__name")
    )


def outbox_list_for_staff(membership, params):
    """The outbox page's e-mails, filtered by the page (`filterset.qs`)."""
    from .filters import OutboxFilter

    emails = outbox_for_staff(membership).only(
        "created_at", "to", "subject", "status", "attempts", "sent_at", "last_error", "next_attempt_at"
    )
    return OutboxFilter(params, queryset=emails)


def thread_list_for_staff(membership, params):
    """The staff inbox as filtered and sorted by the page (`filterset.qs`), newest conversation first."""
    from .filters import ThreadFilter

    return ThreadFilter(params, queryset=threads_for_staff(membership), structures=structures_for_staff(membership))


def mailing_list_for_staff(membership, params):
    """The mass e-mails as filtered and sorted by the page (`filterset.qs`)."""
    from .filters import MailingFilter

    return MailingFilter(params, queryset=mailings_for_staff(membership))
