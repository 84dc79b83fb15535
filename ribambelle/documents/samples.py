"""Small real files made in code (no download): demo data, blank forms and tests."""

import io

from PIL import Image, ImageDraw


def _page(lines: list[str], *, size=(620, 877), colour=(255, 255, 255)) -> Image.Image:
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    y = 40
    for index, line in enumerate(lines):
        draw.text((40, y), line, fill=(20, 20, 20))
        y += 36 if index == 0 else 24
    draw.rectangle((30, 30, size[0] - 30, size[1] - 30), outline=(90, 90, 90), width=2)
    return image


def pdf_bytes(title: str, lines: list[str] | None = None) -> bytes:
    out = io.BytesIO()
    _page([title, "", *(lines or [])]).save(out, format="PDF", resolution=72)
    return out.getvalue()


def png_bytes(title: str, lines: list[str] | None = None, *, size=(620, 877)) -> bytes:
    out = io.BytesIO()
    _page([title, "", *(lines or [])], size=size).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(title: str = "Attestation", *, with_gps: bool = False, size=(800, 600)) -> bytes:
    """A photo-like JPEG; with_gps adds camera EXIF and a GPS position, as a phone would."""
    image = _page([title], size=size, colour=(250, 248, 240))
    out = io.BytesIO()
    if with_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0110] = "Phone 15"  # Model
        gps = exif.get_ifd(0x8825)
        gps[1] = "N"
        gps[2] = (43.0, 55.0, 12.0)
        gps[3] = "E"
        gps[4] = (1.0, 29.0, 40.0)
        image.save(out, format="JPEG", quality=90, exif=exif)
    else:
        image.save(out, format="JPEG", quality=90)
    return out.getvalue()
