from decimal import Decimal

from django import template

from ribambelle.caf.exports import french

register = template.Library()


@register.filter
def caf_figure(value) -> str:
    """A figure as the CSV writes it ("16,00", "3", "" for not applicable): screen and files agree."""
    return french(value)


@register.filter
def caf_delta(value) -> str:
    """A difference with its sign: "+2,00", "-1", "0"."""
    if value is None:
        return ""
    text = french(value)
    return f"+{text}" if (value > 0 if isinstance(value, int | Decimal) else False) else text
