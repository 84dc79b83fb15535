"""What a chart says, whatever draws it: categories, series, and the sentence and table that
give the same figures without the picture (svg.py draws it for the page, pdf.py for the PDF)."""

from dataclasses import dataclass, field
from decimal import Decimal

from ribambelle.core.formats import format_euros

# Okabe–Ito, ordered so that neighbours differ in lightness too; each series also gets its own
# pattern (bars) or marker and dash (lines), and bars carry a dark outline (WCAG 1.4.11).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000"]
PATTERNS = ["solid", "hatch", "dots", "cross", "horizontal", "vertical", "backhatch", "grid"]
MARKERS = ["circle", "square", "triangle", "diamond", "cross", "circle", "square", "triangle"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "", "6 3", "2 3", "8 3 2 3"]


@dataclass
class Series:
    name: str
    values: list


@dataclass
class Chart:
    key: str  # stable slug: anchors, CSV file name, export URL
    title: str
    kind: str  # "bar", "stacked" or "line"
    categories: list[str]
    series: list[Series]
    summary: str
    table_header: list[str]
    table_rows: list[list]
    unit: str = ""  # "%", "€", "h" or ""
    y_max: float | None = None  # e.g. 100 for rates
    notes: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.categories or not any(v for s in self.series for v in s.values)


def number(value) -> str:
    """A figure as French readers write it: 1 234,5 (thin spaces in thousands, comma decimal)."""
    if isinstance(value, Decimal):
        value = float(value)
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,.1f}"
    else:
        text = f"{int(round(value)):,}"
    return text.replace(",", "\u202f").replace(".", ",")


def with_unit(value, unit: str) -> str:
    if unit == "€":
        return format_euros(Decimal(str(value)))
    if unit == "%":
        return f"{number(value)} %"
    if unit == "h":
        return f"{number(value)} h"
    return number(value)


def percent_change(current, previous) -> int | None:
    """+12 when `current` is 12 % above `previous`; None when there is nothing to compare to."""
    if not previous:
        return None
    return round((current - previous) * 100 / previous)
