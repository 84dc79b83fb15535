"""Serving stored files: only after an access check, never sniffed, never executed."""

from django.http import FileResponse, Http404
from django.utils.text import slugify

SAFE_TYPES = {"application/pdf", "image/jpeg", "image/png"}


def file_response(field_file, *, content_type: str, filename_stem: str, extension: str, inline: bool = False):
    """Stream a stored file with a name we build (never the uploader's) and defensive headers.

    Images may be shown inline (the staff preview); everything else is an attachment.
    The sandbox CSP makes a browser that opens the file directly run nothing from it.
    """
    if content_type not in SAFE_TYPES or not field_file:
        raise Http404("Fichier indisponible")
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("Fichier introuvable") from None
    filename = f"{slugify(filename_stem)[:80] or 'document'}.{extension}"
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=not (inline and content_type.startswith("image/")),
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
