"""Text in our PDFs (reportlab): every piece of text goes through here.

reportlab's Paragraph reads its text as markup: "<b>" changes the font, "<img src=…/>" embeds any
image file the server can read, and a stray "<" or "&" makes the whole document fail. Names,
allergies, addresses, labels — anything a family or staff member typed — are escaped first;
only the markup we write ourselves (bold, line breaks) remains.
"""

from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph

from .formats import NARROW_NBSP, NBSP, format_euros


def pdf_plain(value) -> str:
    """Text the PDF's standard fonts can draw: they have no narrow no-break space (U+202F, our
    thousands separator and French spacing), which would print as a black box ("1■104,00 €");
    a plain no-break space keeps the figure on one line."""
    return str(value or "").replace(NARROW_NBSP, NBSP)


def pdf_euros(amount) -> str:
    """format_euros for a PDF (see pdf_plain)."""
    return pdf_plain(format_euros(amount))


def pdf_text(value) -> str:
    """Plain text made safe for a Paragraph; line breaks kept."""
    return escape(pdf_plain(value)).replace("\n", "<br/>")


def pdf_bold(value) -> str:
    return f"<b>{pdf_text(value)}</b>"


def pdf_paragraph(value, style, *, bold: bool = False) -> Paragraph:
    return Paragraph(pdf_bold(value) if bold else pdf_text(value), style)
