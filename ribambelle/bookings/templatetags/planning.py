"""The planning grid's cells, written in Python: a month of three activities has hundreds of
cells, and a template per cell cost half the page's time (tens of thousands of template nodes)."""

from django import template
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from ribambelle.bookings.selectors import LABELS, SYMBOLS, CellState

register = template.Library()


@register.simple_tag
def planning_head(days) -> str:
    """One <th> per day: its number and short weekday name."""
    return mark_safe(
        "".join(
            format_html(
                '<th scope="col" class="day-head{}"><span class="d-block">{}</span><span class="small">{}</span></th>',
                " weekend" if day.weekday() >= 5 else "",
                day.day,
                date_format(day, "D"),
            )
            for day in days
        )
    )


@register.simple_tag
def planning_cells(row) -> str:
    """The row's <td>s: colour (class), symbol and word for every state, and for a cell the family
    may change, a checkbox with the unit and the day spoken to screen readers."""
    words = {state: conditional_escape(label) for state, label in LABELS.items()}
    unit = conditional_escape(row.unit.label)
    return mark_safe("".join(_cell(cell, unit, words) for cell in row.cells))


def _cell(cell, unit, words) -> str:
    state = cell.state
    spoken = format_html('<span class="visually-hidden">, {}, {}</span>', unit, cell.day_label)
    if not cell.actionable:
        return format_html(
            '<td class="cell cell-{}"><span class="sym" aria-hidden="true">{}</span> '
            '<span class="txt">{}</span>{}</td>',
            state,
            SYMBOLS[state],
            words[state],
            spoken,
        )
    pk = cell.opening.pk
    return format_html(
        '<td class="cell cell-{state}"><input type="hidden" name="shown" value="{pk}">{full}'
        '<label class="cell-btn" data-state="{state}">'
        '<input type="checkbox" name="o" value="{pk}"{checked} class="cell-check">'
        '<span class="sym" aria-hidden="true">{symbol}</span> <span class="txt">{word}</span>{remaining}{spoken}'
        "</label></td>",
        state=state,
        pk=pk,
        full=format_html('<input type="hidden" name="shown_full" value="{}">', pk) if state == CellState.FULL else "",
        checked=mark_safe(" checked") if cell.checked else "",
        symbol=SYMBOLS[state],
        word=words[state],
        remaining=format_html('<span class="remaining">{}</span>', cell.remaining_label)
        if cell.remaining is not None and state == CellState.FREE
        else "",
        spoken=spoken,
    )
