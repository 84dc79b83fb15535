"""French display helpers shared by both interfaces."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

CENT = Decimal("0.01")
NBSP = "\u00a0"
NARROW_NBSP = "\u202f"


def round_money(amount: Decimal) -> Decimal:
    """The one rounding rule for euros: half up, to the cent."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def format_euros(amount: Decimal) -> str:
    """12.5 -> "12,50 €" with a narrow no-break space before the sign, as French typography wants."""
    value = round_money(amount)
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    thousands = NARROW_NBSP.join(groups)
    return f"{sign}{thousands},{cents}{NBSP}€"


def _age_part(months: int) -> tuple[int, str]:
    if months % 12 == 0 and months:
        return months // 12, "ans"
    return months, "mois"


def age_range_label(min_months: int, max_months: int) -> str:
    """(24, 48) -> "2 – 4 ans"; (2, 48) -> "2 mois – 4 ans"; (36, 144) -> "3 – 12 ans"."""
    low, low_unit = _age_part(min_months)
    high, high_unit = _age_part(max_months)
    if low_unit == high_unit == "ans":
        return _("%(low)s – %(high)s ans") % {"low": low, "high": high}
    return f"{_age_text(low, low_unit)} – {_age_text(high, high_unit)}"


def _age_text(n: int, unit: str) -> str:
    if unit == "ans":
        return ngettext("%(n)s an", "%(n)s ans", n) % {"n": n}
    return ngettext("%(n)s mois", "%(n)s mois", n) % {"n": n}  # one word in French, two in English
