"""Inclusion tags so any page can show news and the banner without its view knowing."""

from django import template

from ribambelle.communication import selectors

register = template.Library()


@register.inclusion_tag("portail/includes/public_news.html", takes_context=True)
def public_news(context):
    organisation = context["request"].organisation
    return {"news": list(selectors.public_news(organisation)), "request": context["request"]}


@register.inclusion_tag("portail/includes/family_news.html", takes_context=True)
def family_news(context):
    request = context["request"]
    return {"news": list(selectors.news_for_family(request.user.family)), "request": request}


@register.inclusion_tag("portail/includes/info_banner.html", takes_context=True)
def info_banner(context):
    request = context["request"]
    return {"banners": list(selectors.active_banners(request.organisation)), "request": request}


@register.filter
def plain_text(value: str):
    """Staff-typed text shown safely: escaped, then paragraphs, line breaks and clickable links."""
    from django.utils.html import escape, linebreaks, urlize
    from django.utils.safestring import mark_safe

    return mark_safe(linebreaks(urlize(escape(value or ""), nofollow=True, autoescape=False)))


@register.simple_tag
def inbox_new_count(membership) -> int:
    """New messages over the staff member's structures, for the navigation badge (one query)."""
    from ribambelle.communication.models import ThreadStatus

    return selectors.threads_for_staff(membership, status=ThreadStatus.NEW).count()
