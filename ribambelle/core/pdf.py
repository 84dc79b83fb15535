"""Text in our PDFs (reportlab): every piece of text goes through here.

reportlab's Paragraph reads its text as markup: "<b>" changes the font, "<img src=…/>" embeds any
image file the server can read, and a stray "<" or "&" makes the whole document fail. Names,
allergies, addresses, labels — anything a family or staff member typed — are escaped first;
only the markup we write ourselves (bold, line breaks) remains.
"""

from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph


def pdf_text(value) -> str:
    """Plain text made safe for a Paragraph; line breaks kept."""
    return escape(str(value or "")).replace("\n", "<br/>")


def pdf_bold(value) -> str:
    return f"<b>{pdf_text(value)}</b>"


def pdf_paragraph(value, style, *, bold: bool = False) -> Paragraph:
    return Paragraph(pdf_bold(value) if bold else pdf_text(value), style)
