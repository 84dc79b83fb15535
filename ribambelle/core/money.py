"""Amounts as people type them: "11,04", "11.04", "1 104,00", "1.104,00", "1,104.00" are euros."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

SPACES = re.compile(r"[\s\u00a0\u202f'’]")
EURO = re.compile(r"\s*(€|eur|euros?)\s*$", re.IGNORECASE)


def parse_euros(text) -> Decimal | None:
    """The typed amount as a Decimal, or None when it cannot be read. The last "," or "." is
    the decimal separator when it is followed by one or two digits; any other is a
    thousands separator ("1.104" is one thousand one hundred and four)."""
    if isinstance(text, Decimal):
        return text
    value = EURO.sub("", str(text or "").strip())
    value = SPACES.sub("", value)
    if not value:
        return None
    sign = ""
    if value[0] in "+-":
        sign, value = ("-" if value[0] == "-" else ""), value[1:]
    last = max(value.rfind(","), value.rfind("."))
    if last >= 0 and 1 <= len(value) - last - 1 <= 2:
        whole, cents = value[:last], value[last + 1 :]
    else:
        whole, cents = value, ""
    groups = re.split(r"[,.]", whole)
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        return None  # "1,2,3": not a way of writing thousands
    whole = "".join(groups)
    if not whole.isdigit() and whole != "" or not (cents.isdigit() or cents == "") or not (whole or cents):
        return None
    try:
        return Decimal(f"{sign}{whole or '0'}.{cents or '0'}")
    except InvalidOperation:
        return None


class EuroField(forms.DecimalField):
    """A money field that reads the comma and the dot alike; shown as text with a decimal
    keypad on phones (a number input refuses "11,04" in some browsers)."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    default_error_messages = {"invalid": _("Montant illisible : écrivez par exemple 11,04 ou 1 104,00.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        parsed = parse_euros(value)
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(str(parsed))

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)
        attrs.pop("min", None)
        attrs.pop("max", None)
        return attrs

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return f"{value:.2f}".replace(".", ",")
        return value
