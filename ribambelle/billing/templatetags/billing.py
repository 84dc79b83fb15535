from django import template

from ribambelle.core.formats import format_euros

register = template.Library()


@register.filter
def euros(value) -> str:
    return "" if value in (None, "") else format_euros(value)
