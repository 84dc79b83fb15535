"""The family grid's cells (Mes réservations – toute la famille), written in Python like the child's
grid (planning.py). A cell's value is "child.opening": one opening may be shown for several children."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ribambelle.bookings.selectors import LABELS, SYMBOLS, CellState

register = template.Library()


@register.simple_tag
def family_cells(row, child) -> str:
    """The row's <td>s: colour (class), symbol and word for every state; for a cell the family may
    change, a checkbox whose spoken name is the child, the unit and the day. A choice not saved yet
    (copied from a sibling) shows as such: framed, and "À réserver" / "À annuler"."""
    words = {state: conditional_escape(label) for state, label in LABELS.items()}
    to_book, to_cancel = conditional_escape(_("À réserver")), conditional_escape(_("À annuler"))
    spoken_child = conditional_escape(child.first_name)
    unit = conditional_escape(row.unit.label)
    cells = []
    for cell in row.cells:
        spoken = f'<span class="visually-hidden">, {spoken_child}, {unit}, {conditional_escape(cell.day_label)}</span>'
        state, symbol = cell.state, SYMBOLS[cell.state]
        if not cell.actionable:
            cells.append(
                f'<td class="cell cell-{state}"><span class="sym" aria-hidden="true">{symbol}</span> '
                f'<span class="txt">{words[state]}</span>{spoken}</td>'
            )
            continue
        value = f"{int(child.pk)}.{int(cell.opening.pk)}"
        full = f'<input type="hidden" name="cf" value="{value}">' if state == CellState.FULL else ""
        pending = cell.wanted != cell.saved
        word = (to_book if cell.wanted else to_cancel) if pending else words[state]
        remaining = ""
        if cell.remaining is not None and state == CellState.FREE:
            remaining = f'<span class="remaining">{conditional_escape(cell.remaining_label)}</span>'
        cells.append(
            f'<td class="cell cell-{state}{" cell-pending" if pending else ""}">'
            f'<input type="hidden" name="cs" value="{value}">{full}'
            f'<label class="cell-btn" data-state="{state}">'
            f'<input type="checkbox" name="co" value="{value}"{" checked" if cell.wanted else ""}'
            f' data-saved="{1 if cell.saved else 0}" class="cell-check">'
            f'<span class="sym" aria-hidden="true">{symbol}</span> <span class="txt" data-initial="{words[state]}">'
            f"{word}</span>{remaining}{spoken}</label></td>"
        )
    return mark_safe("".join(cells))
