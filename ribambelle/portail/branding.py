"""Per-organisation assets: theme colours, home-screen icons, web-app manifest."""

import io

from PIL import Image, ImageDraw, ImageFont


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return tuple(int(value[i : i + 2], 16) for i in (0, 2, 4))


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(hex_a: str, hex_b: str) -> float:
    """WCAG 2.1 contrast ratio between two colours (1 to 21)."""
    la, lb = sorted((_luminance(_rgb(hex_a)), _luminance(_rgb(hex_b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def theme_css(primary: str) -> str:
    r, g, b = _rgb(primary)
    return (
        ":root {\n"
        f"  --rb-primary: {primary};\n"
        "  --rb-primary-contrast: #ffffff;\n"
        f"  --bs-link-color: {primary};\n  --bs-link-hover-color: {primary};\n"
        f"  --bs-link-color-rgb: {r}, {g}, {b};\n"
        f"  --bs-primary: {primary};\n  --bs-primary-rgb: {r}, {g}, {b};\n"
        "}\n"
    )


def initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").split() if w[:1].isupper()]
    return "".join(w[0] for w in words[:3]) or name[:2].upper()


def icon_png(*, name: str, colour: str, size: int) -> bytes:
    """A square icon in the organisation's colour with its initials, for the home screen."""
    image = Image.new("RGB", (size, size), _rgb(colour))
    draw = ImageDraw.Draw(image)
    text = initials(name)
    try:
        font = ImageFont.load_default(size=int(size * 0.36))
    except TypeError:  # Pillow < 10.1
        font = ImageFont.load_default()
    box = draw.textbbox((0, 0), text, font=font)
    x = (size - (box[2] - box[0])) / 2 - box[0]
    y = (size - (box[3] - box[1])) / 2 - box[1]
    draw.text((x, y), text, fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
