"""Accent- and case-insensitive search that behaves the same on SQLite and PostgreSQL.

Rather than rely on PostgreSQL's unaccent extension (not installable everywhere) or
SQLite's ASCII-only LOWER(), services keep Family.search_text: names, e-mails and phone
digits of the family and its members, folded here in Python. A search folds the query
the same way and asks that every word be contained in that column.
"""

import re
import unicodedata

from django.db.models import Q

_KEEP = re.compile(r"[^a-z0-9@._+\- ]+")
_PHONE_LIKE = re.compile(r"^[\d\s.+()\-]{6,}$")


def fold(text: str) -> str:
    """ "Léa  DUPONT-Hervé" -> "lea dupont-herve"; œ -> oe; ß -> ss."""
    if not text:
        return ""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    text = text.replace("ø", "o").replace("Ø", "o").replace("ł", "l").replace("Ł", "l")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_KEEP.sub(" ", stripped).split())


def phone_digits(phone: str) -> str:
    """ "+33 6 12 34 56 78" and "06.12.34.56.78" both -> "0612345678"."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def build_search_text(family, members) -> str:
    parts = [family.name, family.email, family.external_ref]
    phones = [family.phone, family.phone_2]
    for person in members:
        parts += [person.first_name, person.last_name, person.email]
        phones += [person.phone, getattr(person, "work_phone", "")]
    words = [fold(p) for p in parts if p] + [phone_digits(p) for p in phones if p]
    # Leading and trailing spaces let a search match whole words too.
    return " " + " ".join(w for w in words if w) + " "


def search_filter(query: str) -> Q | None:
    """The WHERE clause for a search box entry, or None when there is nothing to search."""
    query = (query or "").strip()[:100]
    if not query:
        return None
    if _PHONE_LIKE.match(query) and len(phone_digits(query)) >= 4:
        return Q(search_text__contains=phone_digits(query))
    words = fold(query).split()
    if not words:
        return None
    condition = Q()
    for word in words[:6]:
        condition &= Q(search_text__contains=word)
    return condition
