"""Our small SVG chart renderer: bars, stacked bars, lines and sparklines, drawn on the server.

Accessible by construction: the <svg> is an image with a title and a description (the summary
sentence); each series has a colour from the Okabe–Ito palette AND its own pattern (bars) or
marker and dash (lines), named in a legend and, for lines, labelled at their end, so colour is
never the only way to tell series apart. The viewBox scales the drawing to any width.
"""

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .charts import DASHES, MARKERS, PALETTE, PATTERNS, Chart, with_unit

WIDTH = 720
PLOT_HEIGHT = 240
LEFT = 64
RIGHT_BARS = 16
RIGHT_LINES = 132  # room for the labels at the end of each line
TOP_GAP = 12
BOTTOM = 40
LEGEND_ROW = 22
MAX_X_LABELS = 14
DARK = "#1b1b1b"
# Marks drawn over light fills are dark, over dark fills white: the pattern stays visible.
LIGHT_FILLS = {"#E69F00", "#56B4E9", "#F0E442"}


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _short(name: str, limit: int = 20) -> str:
    """A line's end label fits the right margin; the legend carries the full name."""
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def nice_max(value: float) -> float:
    """The top of the axis: 1, 2, 2.5 or 5 times a power of ten, just above `value`."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _pattern(chart_key: str, index: int) -> str:
    colour = PALETTE[index % len(PALETTE)]
    mark = DARK if colour in LIGHT_FILLS else "#ffffff"
    kind = PATTERNS[index % len(PATTERNS)]
    marks = {
        "solid": "",
        "hatch": f'<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{mark}" stroke-width="1.6"/>',
        "backhatch": f'<path d="M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4" stroke="{mark}" stroke-width="1.6"/>',
        "dots": f'<circle cx="4" cy="4" r="1.6" fill="{mark}"/>',
        "cross": f'<path d="M0,0 l8,8 M8,0 l-8,8" stroke="{mark}" stroke-width="1.2"/>',
        "horizontal": f'<path d="M0,4 h8" stroke="{mark}" stroke-width="1.6"/>',
        "vertical": f'<path d="M4,0 v8" stroke="{mark}" stroke-width="1.6"/>',
        "grid": f'<path d="M0,4 h8 M4,0 v8" stroke="{mark}" stroke-width="1"/>',
    }[kind]
    return (
        f'<pattern id="{chart_key}-p{index}" data-pattern="{kind}" patternUnits="userSpaceOnUse" width="8" height="8">'
        f'<rect width="8" height="8" fill="{colour}"/>{marks}</pattern>'
    )


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{_f(x - 4)}" y="{_f(y - 4)}" width="8" height="8" fill="{colour}" stroke="{DARK}"/>'
    if kind == "triangle":
        return f'<path d="M{_f(x)},{_f(y - 5)} l5,9 h-10 z" fill="{colour}" stroke="{DARK}"/>'
    if kind == "diamond":
        return f'<path d="M{_f(x)},{_f(y - 5)} l5,5 l-5,5 l-5,-5 z" fill="{colour}" stroke="{DARK}"/>'
    if kind == "cross":
        path = f"M{_f(x - 4)},{_f(y - 4)} l8,8 M{_f(x + 4)},{_f(y - 4)} l-8,8"
        return f'<path d="{path}" stroke="{colour}" stroke-width="2.5"/>'
    return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="4" fill="{colour}" stroke="{DARK}"/>'


def _legend(chart: Chart, width: int) -> tuple[str, int]:
    """Swatches with the series' pattern or marker, each followed by its name; wraps to rows."""
    parts, x, row = [], LEFT, 0
    for index, series in enumerate(chart.series):
        label_width = 26 + 7 * len(series.name)
        if x + label_width > width - 8 and x > LEFT:
            x, row = LEFT, row + 1
        y = 14 + row * LEGEND_ROW
        if chart.kind == "line":
            colour = PALETTE[index % len(PALETTE)]
            dash = DASHES[index % len(DASHES)]
            swatch = (
                f'<line x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}" stroke="{colour}" stroke-width="2.5"'
                + (f' stroke-dasharray="{dash}"' if dash else "")
                + "/>"
                + _marker(MARKERS[index % len(MARKERS)], x + 9, y - 4, colour)
            )
        else:
            swatch = (
                f'<rect x="{x}" y="{y - 12}" width="16" height="16" fill="url(#{chart.key}-p{index})" stroke="{DARK}"/>'
            )
        parts.append(
            f'<g class="legend-item" data-series="{escape(series.name)}">{swatch}'
            f'<text x="{x + 22}" y="{y}" font-size="13">{escape(series.name)}</text></g>'
        )
        x += label_width + 14
    return "".join(parts), (row + 1) * LEGEND_ROW + 6


def _x_labels(chart: Chart, x_of, baseline: float) -> str:
    step = max(1, math.ceil(len(chart.categories) / MAX_X_LABELS))
    return "".join(
        f'<text x="{_f(x_of(i))}" y="{_f(baseline + 18)}" font-size="12" text-anchor="middle">{escape(label)}</text>'
        for i, label in enumerate(chart.categories)
        if i % step == 0
    )


def _y_axis(top: float, bottom: float, maximum: float, unit: str, right: float) -> str:
    parts = []
    for tick in range(5):
        value = maximum * tick / 4
        y = bottom - (bottom - top) * tick / 4
        label = with_unit(value if unit != "€" else round(value), unit if unit != "€" else "") + (
            " €" if unit == "€" else ""
        )
        parts.append(
            f'<line x1="{LEFT}" y1="{_f(y)}" x2="{_f(right)}" y2="{_f(y)}" stroke="#c8c8c8" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{_f(y + 4)}" font-size="12" text-anchor="end">{escape(label)}</text>'
        )
    parts.append(f'<line x1="{LEFT}" y1="{_f(bottom)}" x2="{_f(right)}" y2="{_f(bottom)}" stroke="{DARK}"/>')
    return "".join(parts)


def render(chart: Chart) -> SafeString:
    """The chart as an accessible, responsive <svg> (role="img", <title>, <desc>)."""
    legend, legend_height = _legend(chart, WIDTH)
    top = legend_height + TOP_GAP
    bottom = top + PLOT_HEIGHT
    height = bottom + BOTTOM
    right = WIDTH - (RIGHT_LINES if chart.kind == "line" else RIGHT_BARS)
    n = max(len(chart.categories), 1)
    if chart.kind == "stacked":
        peak = max(
            (sum(float(s.values[i] or 0) for s in chart.series) for i in range(len(chart.categories))), default=0
        )
    else:
        peak = max((float(v or 0) for s in chart.series for v in s.values), default=0)
    maximum = chart.y_max if chart.y_max and peak <= chart.y_max else nice_max(peak)
    if chart.unit in ("", "h") and maximum % 4:
        maximum = max(math.ceil(peak / 4), 1) * 4  # counts: whole numbers on the four gridlines
    band = (right - LEFT) / n

    def x_of(i: int) -> float:
        return LEFT + band * (i + 0.5)

    def y_of(value) -> float:
        return bottom - (bottom - top) * float(value or 0) / maximum

    body = []
    label_y = {}
    if chart.kind == "line":
        # Labels at the lines' ends, pushed apart so that two lines ending close stay readable.
        ends = []
        for index, series in enumerate(chart.series):
            last = next((v for v in reversed(series.values) if v is not None), None)
            if last is not None:
                ends.append((y_of(last) + 4, index))
        previous = -math.inf
        for y, index in sorted(ends):
            label_y[index] = max(y, previous + 14)
            previous = label_y[index]
        for index, series in enumerate(chart.series):
            colour = PALETTE[index % len(PALETTE)]
            dash = DASHES[index % len(DASHES)]
            # A week without opening (holidays) breaks the line rather than dropping it to zero.
            segments, current = [], []
            for i, value in enumerate(series.values):
                if value is None:
                    if current:
                        segments.append(current)
                    current = []
                else:
                    current.append((x_of(i), y_of(value)))
            if current:
                segments.append(current)
            points = [point for segment in segments for point in segment]
            lines = "".join(
                f'<polyline points="{" ".join(f"{_f(x)},{_f(y)}" for x, y in segment)}" fill="none" '
                f'stroke="{colour}" stroke-width="2.5"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
                for segment in segments
            )
            markers = (
                "".join(_marker(MARKERS[index % len(MARKERS)], x, y, colour) for x, y in points) if n <= 60 else ""
            )
            last_x, last_y = points[-1] if points else (LEFT, bottom)
            body.append(
                f'<g class="series" data-series="{escape(series.name)}" data-marker="{MARKERS[index % len(MARKERS)]}">'
                f"{lines}{markers}"
                f'<text class="direct-label" x="{_f(last_x + 8)}" y="{_f(label_y.get(index, last_y + 4))}" '
                f'font-size="12">{escape(_short(series.name))}</text></g>'
            )
    else:
        count = len(chart.series)
        for index, series in enumerate(chart.series):
            rects = []
            for i, value in enumerate(series.values):
                value = float(value or 0)
                if chart.kind == "stacked":
                    below = sum(float(s.values[i] or 0) for s in chart.series[:index])
                    x, w = x_of(i) - band * 0.35, band * 0.7
                    y0, y1 = y_of(below + value), y_of(below)
                else:
                    w = band * 0.8 / count
                    x = x_of(i) - band * 0.4 + w * index
                    y0, y1 = y_of(value), bottom
                if y1 - y0 <= 0:
                    continue
                if count == 1 and chart.kind == "bar" and n <= MAX_X_LABELS:
                    # One series: its value written above each bar (a direct label).
                    rects.append(
                        f'<text class="direct-label" x="{_f(x + w / 2)}" y="{_f(y0 - 4)}" font-size="12" '
                        f'text-anchor="middle">{escape(with_unit(value, chart.unit))}</text>'
                    )
                rects.append(
                    f'<rect x="{_f(x)}" y="{_f(y0)}" width="{_f(max(w, 1))}" height="{_f(y1 - y0)}" '
                    f'fill="url(#{chart.key}-p{index})" stroke="{DARK}" stroke-width="0.8">'
                    f"<title>{escape(series.name)} – {escape(chart.categories[i])} : "
                    f"{escape(with_unit(value, chart.unit))}</title></rect>"
                )
            body.append(
                f'<g class="series" data-series="{escape(series.name)}" '
                f'data-pattern="{PATTERNS[index % len(PATTERNS)]}">{"".join(rects)}</g>'
            )
    defs = "".join(_pattern(chart.key, i) for i in range(len(chart.series)))
    title_id, desc_id = f"{chart.key}-titre", f"{chart.key}-desc"
    svg = (
        f'<svg class="rb-chart" viewBox="0 0 {WIDTH} {_f(height)}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg" '
        'font-family="system-ui, sans-serif" preserveAspectRatio="xMidYMid meet">'
        f'<title id="{title_id}">{escape(chart.title)}</title><desc id="{desc_id}">{escape(chart.summary)}</desc>'
        f"<defs>{defs}</defs>{legend}{_y_axis(top, bottom, maximum, chart.unit, right)}"
        f"{''.join(body)}{_x_labels(chart, x_of, bottom)}</svg>"
    )
    return mark_safe(svg)  # noqa: S308 - every text above went through escape()


def sparkline(values: list, *, label: str, width: int = 96, height: int = 28) -> SafeString:
    """A small trend line (oldest to newest), its last point marked; `label` is its text equivalent."""
    values = [float(v or 0) for v in values] or [0.0]
    top = max(values) or 1
    step = (width - 8) / max(len(values) - 1, 1)
    points = [(4 + i * step, height - 4 - (height - 8) * v / top) for i, v in enumerate(values)]
    path = " ".join(f"{_f(x)},{_f(y)}" for x, y in points)
    last_x, last_y = points[-1]
    return mark_safe(  # noqa: S308 - the label is escaped
        f'<svg class="rb-sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f'<polyline points="{path}" fill="none" stroke="#0072B2" stroke-width="2"/>'
        f'<circle cx="{_f(last_x)}" cy="{_f(last_y)}" r="3" fill="#D55E00" stroke="{DARK}"/></svg>'
    )
