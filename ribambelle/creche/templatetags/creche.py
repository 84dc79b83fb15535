from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def slots(schedule: dict) -> list:
    """A version's weekly schedule as (day name, [start, end]), Monday first."""
    names = [_("lundi"), _("mardi"), _("mercredi"), _("jeudi"), _("vendredi"), _("samedi"), _("dimanche")]
    return [(names[int(day)], slot) for day, slot in sorted((schedule or {}).items(), key=lambda item: int(item[0]))]


@register.filter
def plain(value) -> str:
    """A Decimal as French readers write it, without trailing zeros: 1.8060 -> "1,806", 36.00 -> "36"."""
    if value in (None, ""):
        return ""
    return f"{Decimal(value).normalize():f}".replace(".", ",")
