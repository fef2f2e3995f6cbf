"""The SVG backend: a ``Picture`` as one SVG document, the static layer once and every frame's
moving primitives as a group of its own.

Depth order is kept by bands: the static primitives are written in depth order, and between
two static depths each frame has one group holding its moving primitives of that band, so
what hides what is exactly as in the raster frames. A group is shown in its frame's time
either by CSS keyframes with step timing (``animated_svg``: plays in any browser, also as an
``<img>``, with no script) or by a script that toggles a class (``frames_svg``, for the HTML
player). Repeated shapes are written once: a primitive that occurs twice or more (the same
polygons, lines or text, possibly moved) is defined in ``<defs>`` and placed with ``<use>``,
and repeated styles become CSS classes. Coordinates keep two decimals; nothing depends on the
clock or on dict order, so the same picture gives the same bytes.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from convanim.backends import opacity, resolve
from convanim.model.themes import Theme
from convanim.scene.display import (
    Fill,
    Picture,
    Polygons,
    Primitive,
    Segments,
    Text,
    TextMetrics,
    in_depth_order,
)

FONTS = {
    "serif": "cmr10,'CMU Serif','Latin Modern Roman','DejaVu Serif',serif",
    "sans": "'DejaVu Sans',sans-serif",
    "mono": "'DejaVu Sans Mono',monospace",
}
_MIN_SHARED = 24  # bytes of an element below which a <use> would not be shorter
_FREE_TEXT = 3  # texts this short (digits, labels) keep the reader's own width


@dataclass(frozen=True)
class Timeline:
    """What plays when: ``order[k]`` is the picture frame shown at step k for ``seconds[k]``;
    the whole is played ``loop`` times (0 = forever), then rests on its last step."""

    order: tuple[int, ...]
    seconds: tuple[float, ...]
    loop: int = 0

    @property
    def total(self) -> float:
        return float(sum(self.seconds))


def animated_svg(
    picture: Picture,
    theme: Theme,
    timeline: Timeline,
    transparent: bool = False,
    metrics: TextMetrics | None = None,
    title: str = "",
    description: str = "",
) -> str:
    """A self-playing SVG document (CSS keyframes, step timing)."""
    doc = _Document(picture, theme, transparent, metrics or TextMetrics())
    drawn = [i for i, frame in enumerate(doc.frames) if any(frame)]
    return doc.render(title, description, _keyframes(drawn, timeline))


def frames_svg(
    picture: Picture,
    theme: Theme,
    transparent: bool = False,
    metrics: TextMetrics | None = None,
    title: str = "",
    description: str = "",
) -> str:
    """An SVG element whose frame groups (class ``f f<i>``) a script shows one at a time; the
    first frame is shown until then."""
    doc = _Document(picture, theme, transparent, metrics or TextMetrics())
    return doc.render(title, description, ".f{visibility:hidden}.f0{visibility:visible}")


# -- timing ------------------------------------------------------------------------------------


def _keyframes(frames: Sequence[int], timeline: Timeline) -> str:
    """The CSS that shows each of ``frames`` (those with something to draw) in its time."""
    total = timeline.total
    count = "infinite" if timeline.loop == 0 else str(timeline.loop)
    rules = [f".f{{visibility:hidden;animation:{_n(total, 3)}s step-end {count} forwards}}"]
    shown: dict[int, list[tuple[float, float]]] = {}
    start = 0.0
    for frame, seconds in zip(timeline.order, timeline.seconds):
        spans = shown.setdefault(frame, [])
        if spans and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], start + seconds)  # shown on, uninterrupted
        else:
            spans.append((start, start + seconds))
        start += seconds
    last = timeline.order[-1]
    for frame in frames:
        steps: list[tuple[float, str]] = [(0.0, "hidden")]
        for begin, end in shown.get(frame, []):
            steps.append((begin, "visible"))
            steps.append((end, "hidden"))
        steps.append((total, "visible" if frame == last else "hidden"))
        marks: dict[str, str] = {}
        for at, value in steps:  # a later mark at the same time wins
            marks[_n(100 * at / total, 4)] = value
        body = "".join(f"{at}%{{visibility:{value}}}" for at, value in marks.items())
        rules.append(f"@keyframes k{frame}{{{body}}}.f{frame}{{animation-name:k{frame}}}")
    # Still, for readers who ask for less motion (and for viewers without CSS animation).
    rules.append(
        "@media (prefers-reduced-motion:reduce){.f{animation:none}.f0{visibility:visible}}"
    )
    return "\n".join(rules)


# -- the document ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Element:
    """A primitive as SVG: ``tag`` with ``style`` (a CSS declaration) and ``body`` (the
    attributes besides position), placed at ``at``; equal (tag, style, body) draw the same
    thing moved."""

    tag: str
    style: str
    body: str  # path: the relative path data after "M x y"; text: the escaped text
    at: tuple[str, str]
    extra: str = ""  # text: the offset and rotation (relative to ``at``)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.tag, self.style, self.body, self.extra)


class _Document:
    def __init__(
        self, picture: Picture, theme: Theme, transparent: bool, metrics: TextMetrics
    ) -> None:
        self.picture = picture
        self.theme = theme
        self.transparent = transparent
        self.metrics = metrics
        self.styles: dict[str, str] = {}  # declaration -> class name
        static = in_depth_order(picture.static)
        self.static_depths = sorted({p.depth for p in static})
        bands = len(self.static_depths) + 1
        self.static_bands: list[list[_Element]] = [[] for _ in range(bands)]
        for prim in static:
            # Static primitives sit on their own depth; band b + 1 follows static depth b.
            band = self.static_depths.index(prim.depth)
            self.static_bands[band].extend(self._elements(prim))
        self.frames: list[list[list[_Element]]] = []
        for index in range(picture.n_frames):
            per_band: list[list[_Element]] = [[] for _ in range(bands)]
            for prim in in_depth_order(picture.frame(index)):
                # Ties go after the static primitives of the same depth, as in the raster.
                band = bisect.bisect_right(self.static_depths, prim.depth)
                per_band[band].extend(self._elements(prim))
            self.frames.append(per_band)
        self._share_runs()
        counts: dict[tuple[str, str, str, str], int] = {}
        for element in self._all():
            counts[element.key] = counts.get(element.key, 0) + 1
        self.shared: dict[tuple[str, str, str, str], str] = {}
        for element in self._all():
            big = len(element.body) + len(element.extra) >= _MIN_SHARED
            if big and counts[element.key] > 1 and element.key not in self.shared:
                self.shared[element.key] = f"u{len(self.shared)}"

    def _share_runs(self) -> None:
        """Runs of elements that several frames draw in the same place (a sequence redraws a
        stage's still picture in each of its frames) become one group, defined once."""
        seen: dict[tuple, set[int]] = {}
        for index, frame in enumerate(self.frames):
            for band in frame:
                for element in band:
                    seen.setdefault((element.key, element.at), set()).add(index)
        self.runs: dict[tuple, str] = {}  # content -> id
        self.frame_items: list[list[list[_Element | tuple]]] = []
        run_count: dict[tuple, int] = {}
        split: list[list[list[list[_Element]]]] = []
        for frame in self.frames:
            bands = []
            for band in frame:
                pieces: list[list[_Element]] = []
                last: frozenset[int] | None = None
                for element in band:
                    where = frozenset(seen[(element.key, element.at)])
                    if pieces and where == last and len(where) > 1:
                        pieces[-1].append(element)
                    else:
                        pieces.append([element])
                    last = where
                for piece in pieces:
                    if len(piece) > 1:
                        content = tuple((e.key, e.at) for e in piece)
                        run_count[content] = run_count.get(content, 0) + 1
                bands.append(pieces)
            split.append(bands)
        self.run_elements: dict[str, list[_Element]] = {}
        for bands in split:
            items_per_band = []
            for pieces in bands:
                items: list[_Element | tuple] = []
                for piece in pieces:
                    content = tuple((e.key, e.at) for e in piece)
                    if len(piece) > 1 and run_count[content] > 1:
                        if content not in self.runs:
                            self.runs[content] = f"r{len(self.runs)}"
                            self.run_elements[self.runs[content]] = piece
                        items.append(("run", self.runs[content]))
                    else:
                        items.extend(piece)
                items_per_band.append(items)
            self.frame_items.append(items_per_band)

    def _all(self):  # noqa: ANN202 - every element written, in document order
        for elements in self.run_elements.values():
            yield from elements
        for band in range(len(self.static_bands)):
            for frame in self.frame_items:
                yield from (e for e in frame[band] if isinstance(e, _Element))
            if band < len(self.static_depths):
                yield from self.static_bands[band]

    # -- primitives to elements --

    def _class(self, declaration: str) -> str:
        if declaration not in self.styles:
            self.styles[declaration] = f"s{len(self.styles)}"
        return self.styles[declaration]

    def _paint(self, fill: Fill, alpha: float, what: str) -> str:
        r, g, b = resolve(self.theme, fill)
        seen = alpha * opacity(self.theme, fill)
        text = f"{what}:#{r:02x}{g:02x}{b:02x}"
        return text if seen >= 1 else f"{text};{what}-opacity:{_n(seen, 3)}"

    def _elements(self, prim: Primitive) -> list[_Element]:
        if isinstance(prim, Text):
            return [self._text(prim)]
        if isinstance(prim, Segments):
            style = f"{self._paint(prim.role, prim.alpha, 'stroke')};fill:none;"
            style += f"stroke-width:{_n(prim.width)}" + _dash(prim.dash)
            return _paths(prim.points, style, closed=False)
        return self._polygons(prim)

    def _polygons(self, prim: Polygons) -> list[_Element]:
        stroke = ";stroke:none"
        if prim.edge is not None:
            stroke = ";" + self._paint(prim.edge, 1.0, "stroke")
            stroke += f";stroke-width:{_n(prim.width)};stroke-linejoin:round" + _dash(prim.dash)
        fills = prim.fill if isinstance(prim.fill, tuple) else (prim.fill,) * len(prim.points)
        out: list[_Element] = []
        start = 0
        # Runs of one fill become one path: nonzero filling, like matplotlib's compound path.
        for end in range(1, len(fills) + 1):
            if end == len(fills) or fills[end] != fills[start]:
                fill = fills[start]
                paint = "fill:none" if fill is None else self._paint(fill, prim.alpha, "fill")
                out.extend(_paths(prim.points[start:end], paint + stroke, closed=True))
                start = end
        return out

    def _text(self, prim: Text) -> _Element:
        width, ascent, descent = self.metrics.measure(prim.text, prim.size, prim.font)
        # SVG places the baseline; the display list anchors a box edge or its middle.
        dy = {"top": ascent, "center": (ascent - descent) / 2, "baseline": 0.0, "bottom": -descent}
        anchor = {"left": "start", "center": "middle", "right": "end"}[prim.ha]
        style = (
            f"{self._paint(prim.role, 1.0, 'fill')};font-family:{FONTS[prim.font]};"
            f"font-size:{_n(prim.size)}px;text-anchor:{anchor};white-space:pre"
        )
        extra = f' y="{_n(dy[prim.va])}"' if dy[prim.va] else ""
        if len(prim.text) > _FREE_TEXT and width > 0:
            # The layout measured this width; a reader without the face gets the same width, so
            # a long caption in a wider fallback font still fits the canvas.
            extra += f' textLength="{_n(width)}" lengthAdjust="spacingAndGlyphs"'
        if prim.rotation:
            extra += f' transform="rotate({_n(-prim.rotation)})"'
        return _Element("text", style, escape(prim.text), (_n(prim.x), _n(prim.y)), extra)

    # -- writing --

    def _write(self, element: _Element | tuple) -> str:
        if not isinstance(element, _Element):
            return f'<use href="#{element[1]}"/>'
        x, y = element.at
        name = self.shared.get(element.key)
        if name is not None:
            place = ("" if x == "0" else f' x="{x}"') + ("" if y == "0" else f' y="{y}"')
            return f'<use href="#{name}"{place}/>'
        return self._define(element, None, x, y)

    def _define(self, element: _Element, name: str | None, x: str, y: str) -> str:
        css = self._class(element.style)
        ident = f' id="{name}"' if name else ""
        if element.tag == "path":
            return f'<path{ident} class="{css}" d="M{x} {y}{element.body}"/>'
        if element.extra or x != "0" or y != "0":
            # Text is moved as a whole: the offset and rotation stay relative to the anchor.
            inner = f'<text class="{css}"{element.extra}>{element.body}</text>'
            if name is not None:
                return f"<g{ident}>{inner}</g>"
            return f'<g transform="translate({x} {y})">{inner}</g>'
        return f'<text{ident} class="{css}">{element.body}</text>'

    def render(self, title: str, description: str, timing_css: str) -> str:
        pic = self.picture
        # Frame groups first (they register their styles), then the rest.
        body: list[str] = []
        for band in range(len(self.static_bands)):
            for index, frame in enumerate(self.frame_items):
                if frame[band]:
                    inner = "".join(self._write(e) for e in frame[band])
                    body.append(f'<g class="f f{index}">{inner}</g>')
            if band < len(self.static_depths):
                body.extend(self._write(e) for e in self.static_bands[band])
        defs = []
        written: set[str] = set()
        for element in self._all():
            name = self.shared.get(element.key)
            if name is not None and name not in written:
                written.add(name)
                defs.append(self._define(element, name, "0", "0"))
        for name, elements in self.run_elements.items():
            defs.append(f'<g id="{name}">' + "".join(self._write(e) for e in elements) + "</g>")
        css = "".join(f".{name}{{{decl}}}" for decl, name in self.styles.items())
        head = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{pic.width}" height="{pic.height}" '
            f'viewBox="0 0 {pic.width} {pic.height}" role="img">',
        ]
        if title:
            head.append(f"<title>{escape(title)}</title>")
        if description:
            head.append(f"<desc>{escape(description)}</desc>")
        head.append(f"<style>\n{css}\n{timing_css}\n</style>")
        if defs:
            head.append("<defs>" + "".join(defs) + "</defs>")
        if not self.transparent:
            background = self._paint(pic.background, 1.0, "fill")
            head.append(f'<rect width="100%" height="100%" style="{background}"/>')
        return "\n".join([*head, *body, "</svg>", ""])


def _paths(points: np.ndarray, style: str, closed: bool) -> list[_Element]:
    """Polygons (n, k, 2) or lines (n, 2, 2) as one path: absolute start, relative moves in
    hundredths of a pixel, so that the same shape moved gives the same path data."""
    if len(points) == 0:
        return []
    cents = np.round(np.asarray(points, dtype=float) * 100).astype(np.int64)
    anchor = cents[0, 0]
    parts: list[str] = []
    pen = anchor
    for shape in cents:
        if not (shape[0] == pen).all():
            parts.append("m" + _pair_cents(shape[0] - pen))
        steps = np.diff(shape, axis=0)
        parts.append("l" + " ".join(_pair_cents(s) for s in steps))
        pen = shape[-1]
        if closed:
            parts.append("z")
            pen = shape[0]
    body = _compact("".join(parts))
    return [_Element("path", style, body, (_cents(anchor[0]), _cents(anchor[1])))]


def _compact(path: str) -> str:
    # A minus sign separates numbers by itself.
    return path.replace(" -", "-")


def _pair_cents(pair: Sequence[int]) -> str:
    return f"{_cents(pair[0])} {_cents(pair[1])}"


def _cents(value: int) -> str:
    value = int(value)
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 100)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:02d}".rstrip("0")


def _n(value: float, digits: int = 2) -> str:
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _dash(dash: tuple[float, float] | None) -> str:
    return "" if dash is None else f";stroke-dasharray:{_n(dash[0])} {_n(dash[1])}"
