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
    names = {}  # "lun.", "mar."…: formatted once per weekday, not once per day
    cells = []
    for day in days:
        if day.weekday() not in names:
            names[day.weekday()] = conditional_escape(date_format(day, "D"))
        weekend = " weekend" if day.weekday() >= 5 else ""
        cells.append(
            f'<th scope="col" class="day-head{weekend}"><span class="d-block">{day.day}</span>'
            f'<span class="small">{names[day.weekday()]}</span></th>'
        )
    return mark_safe("".join(cells))


@register.simple_tag
def planning_cells(row) -> str:
    """The row's <td>s: colour (class), symbol and word for every state, and for a cell the family
    may change, a checkbox with the unit and the day spoken to screen readers."""
    words = {state: conditional_escape(label) for state, label in LABELS.items()}
    unit = conditional_escape(row.unit.label)
    days = {}
    cells = []
    for cell in row.cells:
        if cell.day not in days:
            days[cell.day] = conditional_escape(cell.day_label)
        cells.append(_cell(cell, f'<span class="visually-hidden">, {unit}, {days[cell.day]}</span>', words))
    return mark_safe("".join(cells))


def _cell(cell, spoken: str, words) -> str:
    # Every piece is escaped already (words, unit, day) or ours (state, symbol, id): plain
    # f-strings then, as format_html would escape each piece again for every cell.
    state, symbol, word = cell.state, SYMBOLS[cell.state], words[cell.state]
    if not cell.actionable:
        return (
            f'<td class="cell cell-{state}"><span class="sym" aria-hidden="true">{symbol}</span> '
            f'<span class="txt">{word}</span>{spoken}</td>'
        )
    pk = int(cell.opening.pk)
    full = f'<input type="hidden" name="shown_full" value="{pk}">' if state == CellState.FULL else ""
    checked = " checked" if cell.checked else ""
    remaining = ""
    if cell.remaining is not None and state == CellState.FREE:
        remaining = format_html('<span class="remaining">{}</span>', cell.remaining_label)
    return (
        f'<td class="cell cell-{state}"><input type="hidden" name="shown" value="{pk}">{full}'
        f'<label class="cell-btn" data-state="{state}">'
        f'<input type="checkbox" name="o" value="{pk}"{checked} class="cell-check">'
        f'<span class="sym" aria-hidden="true">{symbol}</span> <span class="txt">{word}</span>{remaining}{spoken}'
        "</label></td>"
    )
