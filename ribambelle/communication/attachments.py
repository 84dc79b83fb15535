"""Attachments to messages: a small allow-list checked on the file's content.

The extension and the browser's content type are never trusted: the first bytes
decide (PDF, JPEG or PNG), the stored name is random, and the file is served only by
a view that checks who asks, as an attachment with `nosniff`. Photos are then cleaned as
documents' are (documents.files.clean_file): re-encoded from their pixels — no EXIF, so no
GPS position or camera — after a pixel-count check. PDFs are kept as sent.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ribambelle.core.exceptions import DomainError
from ribambelle.documents.files import clean_file

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str


SIGNATURES = [
    (b"%PDF-", FileKind("application/pdf", ".pdf")),
    (b"\xff\xd8\xff", FileKind("image/jpeg", ".jpg")),
    (b"\x89PNG\r\n\x1a\n", FileKind("image/png", ".png")),
]


def check_attachment(uploaded) -> FileKind:
    """Return what the file really is, or refuse it with a French message."""
    if uploaded.size == 0:
        raise DomainError(_("Le fichier joint est vide : choisissez un autre fichier."), field="attachment")
    if uploaded.size > MAX_ATTACHMENT_BYTES:
        raise DomainError(
            _(
                "Le fichier joint dépasse 5 Mo : réduisez-le (photo moins grande, PDF compressé) "
                "ou envoyez-le autrement."
            ),
            field="attachment",
        )
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    raise DomainError(
        _("Ce type de fichier n'est pas accepté : joignez un PDF, une photo JPEG ou une image PNG."), field="attachment"
    )


@dataclass(frozen=True)
class PreparedAttachment:
    name: str
    content_type: str
    content: bytes


def prepare_attachment(uploaded) -> PreparedAttachment:
    """Check and clean an attachment before anything is written; refusals name the field."""
    kind = check_attachment(uploaded)
    uploaded.seek(0)
    content = uploaded.read(MAX_ATTACHMENT_BYTES + 1)
    if kind.content_type.startswith("image/"):
        try:
            clean = clean_file(content)
        except DomainError as error:
            raise DomainError(error.message, field="attachment") from None
        kind, content = FileKind(clean.content_type, f".{clean.extension}"), clean.content
    return PreparedAttachment(safe_display_name(uploaded.name, kind), kind.content_type, content)


def safe_display_name(name: str, kind: FileKind) -> str:
    """The name shown to people: the original base name, cleaned, with the real extension."""
    import re

    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    base = base.rsplit(".", 1)[0] if "." in base else base
    base = re.sub(r"[^\w\- ]+", "_", base).strip(" ._")[:80] or "piece-jointe"
    return f"{base}{kind.extension}"
