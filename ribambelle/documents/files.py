"""Checking uploaded files by their content and making them safe to keep.

A file is accepted only if its first bytes say PDF, JPEG, PNG or HEIC *and* it parses
as such: Pillow decodes images (after a pixel-count check read from the header, so a
160 KB PNG that claims 7 000 × 7 000 pixels is refused before anything is decoded), pypdf
reads PDFs. Images are re-encoded from their pixels, which drops EXIF (GPS position,
camera) and anything hidden after the image data; HEIC photos become JPEG. The uploader's
file name is never used. Every refusal is a DomainError with a French message.

Documents and message attachments both go through clean_file, with a PixelBudget per
request: decoding costs memory and time in proportion to pixels, so one request may
decode only so many, whatever the number of files.
"""

import io
import logging
import warnings
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ribambelle.core.exceptions import DomainError

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_PAGES = 10
# 40 megapixels per image: phones save 12 to 24 MP photos by default. Decoding one 49 MP PNG
# took 5 s and 625 MB of a worker's memory; a "48 MP" photo gets a message asking for the
# standard resolution.
MAX_PIXELS = 40_000_000
# All the images of one request together: ten 12 MP pages of one document.
MAX_REQUEST_PIXELS = 120_000_000
# Pillow's own guard, for any image opened elsewhere in the process (it warns past this and
# refuses past twice this); clean_file turns its warning into a refusal too.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Stored photos are scaled down to this longest side: readable, and a few hundred KB.
MAX_SIDE = 2400
MAX_PDF_PAGES = 50

try:  # HEIC/HEIF photos from iPhones (pillow-heif, from PyPI).
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIC_SUPPORTED = True
except ImportError:  # pragma: no cover - the dependency is declared
    HEIC_SUPPORTED = False

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}
ACCEPT_ATTRIBUTE = "image/*,application/pdf,.heic,.heif"


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    extension: str


class PixelBudget:
    """The pixels one request may still decode, spent image by image before decoding."""

    def __init__(self, total: int | None = None):
        self.total = MAX_REQUEST_PIXELS if total is None else total
        self.left = self.total

    def spend(self, pixels: int, *, index: int | None) -> None:
        if pixels > self.left:
            raise DomainError(
                _(
                    "%(file)s dépasse ce qui peut être traité en un seul envoi (%(millions)s millions de pixels "
                    "pour toutes les images ensemble). Envoyez les pages en plusieurs fois ou des photos moins "
                    "grandes."
                )
                % {"file": _label(index), "millions": self.total // 1_000_000}
            )
        self.left -= pixels


def _label(index: int | None) -> str:
    return _("Le fichier n°%(index)s") % {"index": index} if index else _("Le fichier")


def sniff(head: bytes) -> str | None:
    """The real type from the first bytes, whatever the name or the browser says."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heic"
    return None


def read_upload(upload, *, index: int | None = None) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise DomainError(
            _(
                "%(file)s est trop lourd (%(size)s) : la limite est de %(limit)s par fichier. "
                "Prenez une photo moins grande ou réduisez le PDF."
            )
            % {"file": _label(index), "size": filesizeformat(size), "limit": filesizeformat(MAX_FILE_BYTES)}
        )
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(
            _(
                "%(file)s est trop lourd : la limite est de %(limit)s par fichier. "
                "Prenez une photo moins grande ou réduisez le PDF."
            )
            % {"file": _label(index), "limit": filesizeformat(MAX_FILE_BYTES)}
        )
    if not data:
        raise DomainError(
            _("%(file)s est vide. Choisissez à nouveau le fichier ou reprenez la photo.") % {"file": _label(index)}
        )
    return data


def clean_file(data: bytes, *, index: int | None = None, budget: PixelBudget | None = None) -> CleanFile:
    kind = sniff(data[:32])
    if kind is None:
        raise DomainError(
            _(
                "%(file)s n'est ni un PDF, ni une photo JPEG, PNG ou HEIC (son contenu a été vérifié, "
                "pas seulement son nom). Envoyez une photo ou un PDF du document."
            )
            % {"file": _label(index)}
        )
    if kind == "pdf":
        return _clean_pdf(data, index=index)
    if kind == "heic" and not HEIC_SUPPORTED:
        raise DomainError(
            _(
                "%(file)s est une photo HEIC, que ce service ne sait pas lire. "
                "Réglez l'appareil photo en « Le plus compatible » (JPEG) ou envoyez une capture d'écran."
            )
            % {"file": _label(index)}
        )
    return _clean_image(data, kind, index=index, budget=budget or PixelBudget())


def _clean_pdf(data: bytes, *, index: int | None) -> CleanFile:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    unreadable = DomainError(
        _(
            "%(file)s se présente comme un PDF mais ne peut pas être lu. "
            "Enregistrez-le à nouveau en PDF ou envoyez une photo du document."
        )
        % {"file": _label(index)}
    )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DomainError(
                _("%(file)s est un PDF protégé par un mot de passe. Envoyez une version sans protection.")
                % {"file": _label(index)}
            )
        pages = len(reader.pages)
    except DomainError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        raise unreadable from None
    if pages < 1:
        raise unreadable
    if pages > MAX_PDF_PAGES:
        raise DomainError(
            _("%(file)s a %(pages)s pages : la limite est de %(limit)s pages par PDF.")
            % {"file": _label(index), "pages": pages, "limit": MAX_PDF_PAGES}
        )
    # PDFs are kept as sent (re-rendering would lose the text); they are only ever
    # served as attachments with nosniff, never displayed inline by our pages.
    return CleanFile(content=data, content_type="application/pdf", extension="pdf")


def _open_image(data: bytes):
    """Pillow's bomb check runs in Image.open: its warning (past MAX_IMAGE_PIXELS) refuses too."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data))


def _clean_image(data: bytes, kind: str, *, index: int | None, budget: PixelBudget) -> CleanFile:
    unreadable = DomainError(
        _(
            "%(file)s se présente comme une image mais ne peut pas être lu. Reprenez la photo ou choisissez "
            "un autre fichier."
        )
        % {"file": _label(index)}
    )
    too_big = DomainError(
        _(
            "%(file)s est une image aux dimensions démesurées (plus de %(millions)s millions de "
            "pixels) : elle est refusée. Reprenez la photo en résolution standard ou envoyez une "
            "capture d'écran."
        )
        % {"file": _label(index), "millions": MAX_PIXELS // 1_000_000}
    )
    expected_format = {"jpeg": "JPEG", "png": "PNG", "heic": ("HEIF", "AVIF")}[kind]
    try:
        with _open_image(data) as image:
            if image.format not in (expected_format if isinstance(expected_format, tuple) else (expected_format,)):
                raise unreadable
            # Image.open has read the header only: the size is known, nothing is decoded yet.
            width, height = image.size
            if width < 1 or height < 1:
                raise unreadable
            if width * height > MAX_PIXELS:
                raise too_big
            budget.spend(width * height, index=index)
            if kind == "jpeg":
                # JPEG decodes at 1/2, 1/4 or 1/8 scale for free: no more pixels than we keep.
                image.draft(None, (MAX_SIDE, MAX_SIDE))
            image.load()
            image = ImageOps.exif_transpose(image)
            keep_png = kind == "png"
            if keep_png:
                image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
            else:
                image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            # A new file from the pixels only: no EXIF, no GPS, no comment, no trailing data.
            if keep_png:
                image.save(out, format="PNG", optimize=True)
            else:
                image.save(out, format="JPEG", quality=85, optimize=True)
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, MemoryError):
        raise unreadable from None
    if keep_png:
        return CleanFile(content=out.getvalue(), content_type="image/png", extension="png")
    return CleanFile(content=out.getvalue(), content_type="image/jpeg", extension="jpg")


def clean_uploads(uploads: list) -> list[CleanFile]:
    """Read and check every file; refuse the whole sending at the first bad one."""
    uploads = [upload for upload in uploads if upload is not None]
    if not uploads:
        raise DomainError(_("Ajoutez au moins un fichier (PDF, JPEG, PNG ou HEIC) ou prenez une photo du document."))
    if len(uploads) > MAX_PAGES:
        raise DomainError(_("Vous pouvez envoyer au plus %(max)s fichiers pour un même document.") % {"max": MAX_PAGES})
    numbered = len(uploads) > 1
    budget = PixelBudget()
    cleaned = []
    for position, upload in enumerate(uploads, start=1):
        index = position if numbered else None
        cleaned.append(clean_file(read_upload(upload, index=index), index=index, budget=budget))
    return cleaned
