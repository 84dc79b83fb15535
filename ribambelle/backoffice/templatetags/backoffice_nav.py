"""The side menu's links, written by a tag: the menu is on every back-office page and an
{% include %} per link (about thirty) was a fifth of a small page's time."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_link(context, *, href, label, key, count=0, count_label=""):
    """A menu entry; the current page's one says so to screen readers; a queue shows its count."""
    current = mark_safe(' aria-current="page"') if context.get("nav") == key else ""
    badge = (
        format_html(' <span class="badge-count">{}<span class="visually-hidden"> {}</span></span>', count, count_label)
        if count
        else ""
    )
    return format_html('<li><a class="nav-link" href="{}"{}>{}{}</a></li>', href, current, label, badge)
