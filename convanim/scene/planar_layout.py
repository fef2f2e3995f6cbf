"""Where a single-layer figure's things go: the two planes (flat or oblique, in whole pixels),
cell sizes that fit the look and the numbers, the labels, the wrapped sums, the legend of cell
kinds and the caption lines, and the canvas around them all (y up, from the layout's origin).
``convanim.scene.planar`` turns a layout into a display list. numpy only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from convanim.model.look import Look
from convanim.scene import cells
from convanim.scene.display import TextMetrics
from convanim.scene.legibility import CAP_HEIGHT, MIN_VALUE_PX, MIN_WEIGHT_PX, size_for, wrap_terms
from convanim.scene.plan import Scene
from convanim.scene.words import caption_lines, fmt_input, fmt_output, plane_words, sum_text

UNIT = 30  # grid unit of the oblique view at scale 1, in pixels (the reference's ~29.5)
NUM_CELL = 40  # cell side of the numerical view at scale 1
LINE = 2.0  # cell borders: the reference's 0.8 pt at 150 dpi is ~1.7 px
THIN = 1.0  # projection lines
DASH = 3.0  # dash on and off, in line widths
MARGIN = 20
INSET = 0.08  # of a cell: a weight's distance from its cell's corner
WORDS = 15  # font size of labels, captions and sums at scale 1 (10 px capitals)
LINE_STEP = 1.4  # line spacing, in font sizes
LEGEND = 14  # font size of the legend of cell kinds at scale 1
SUMS_WIDTH = 420  # a sum wraps at the grids' width, or this at scale 1 if wider


class Plane:
    """A grid of cells placed on the page (y up): cell (row, col) -> its corners in pixels."""

    def __init__(
        self,
        rows: int,
        cols: int,
        origin: Sequence[float],
        oblique: bool,
        cell: int,
        factor: float = 1.0,
    ):
        """``factor`` multiplies the whole-pixel vectors of ``cell`` (then rounded), so that a
        drawing at scale 2 is exactly twice the one at scale 1."""
        self.rows, self.cols = rows, cols
        self.origin = np.asarray(origin, dtype=float)
        if oblique:
            ex = np.array([cell, cell // 2], dtype=float)
            ey = np.array([-round(2 * cell / 3), round(2 * cell / 3)], dtype=float)
        else:
            ex, ey = np.array([cell, 0.0]), np.array([0.0, cell])
        self.ex, self.ey = np.round(ex * factor), np.round(ey * factor)

    def point(self, x: float, y: float) -> np.ndarray:
        """Grid point (x along columns, y up) in pixels."""
        return self.origin + x * self.ex + y * self.ey

    def cell(self, row: int, col: int) -> np.ndarray:
        return self.cells(np.array([[row, col]]))[0]

    def cells(self, cells: np.ndarray) -> np.ndarray:
        """(n, 4, 2) corners of many cells at once."""
        cells = np.asarray(cells).reshape(-1, 2)
        x = cells[:, 1].astype(float)
        y = (self.rows - 1 - cells[:, 0]).astype(float)  # row 0 is the top row
        px = x[:, None] + np.array([0, 1, 1, 0])[None, :]
        py = y[:, None] + np.array([0, 0, 1, 1])[None, :]
        return self.origin + px[..., None] * self.ex + py[..., None] * self.ey

    def box(self, r0: int, c0: int, r1: int, c1: int) -> np.ndarray:
        """Corners of the cell block rows r0..r1-1, cols c0..c1-1: top-left, top-right,
        bottom-right, bottom-left (as seen on the flat grid)."""
        top, bottom = self.rows - r0, self.rows - r1
        return np.array(
            [
                self.point(c0, top),
                self.point(c1, top),
                self.point(c1, bottom),
                self.point(c0, bottom),
            ]
        )

    def grid_lines(self, r0: int, c0: int, r1: int, c1: int) -> np.ndarray:
        """Every grid line of the cell block, (n, 2, 2)."""
        top, bottom = self.rows - r0, self.rows - r1
        ys = np.arange(bottom, top + 1, dtype=float)
        xs = np.arange(c0, c1 + 1, dtype=float)
        rows = np.stack(
            [self._points(np.full_like(ys, c0), ys), self._points(np.full_like(ys, c1), ys)], axis=1
        )
        cols = np.stack(
            [self._points(xs, np.full_like(xs, bottom)), self._points(xs, np.full_like(xs, top))],
            axis=1,
        )
        return np.concatenate([rows, cols])

    def _points(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.origin + x[:, None] * self.ex + y[:, None] * self.ey

    def corners(self) -> np.ndarray:
        return self.box(0, 0, self.rows, self.cols)

    def center(self, row: int, col: int) -> np.ndarray:
        return self.point(col + 0.5, self.rows - 1 - row + 0.5)


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    size: float
    ha: str = "center"
    va: str = "center"


@dataclass(frozen=True)
class Layout:
    """Where the two planes go, the labels, and how big the picture is (y up, from (x0, y0))."""

    inp: Plane
    out: Plane
    width: int
    height: int
    x0: int
    y0: int
    cell: int  # grid unit (oblique) or cell side (flat), in pixels
    zoom: float = 1.0  # line, margin and font scale
    labels: tuple[Label, ...] = ()
    sums: Label | None = None  # where the numerical sum of products goes (its first line)
    value_size: float = 0.0  # font size of the grids' numbers
    weight_size: float = 0.0  # font size of the kernel's weights
    sums_width: float = 0.0  # the width a sum wraps at
    sum_lines: int = 0  # lines of the longest sum
    legend: tuple[tuple[int, Label], ...] = ()  # (cell kind, its words), with labels


# -- layout ----------------------------------------------------------------------------------


def arrange(scene: Scene, look: Look, metrics: TextMetrics, captions: bool = True) -> Layout:
    """Place the planes at the reference's cell size, or, for the oblique view, the largest
    smaller one whose picture fits ``look.max_size`` (the numerical view keeps its cells, which
    are sized for their numbers: the canvas grows instead); then multiply that drawing by
    ``look.scale``, or fit it to ``look.width``. Only the pixel budget bounds the result
    (checked by the caller)."""
    flat = scene.view == "numerical"
    cell = _num_cell(scene, look, metrics) if flat else UNIT
    while not flat and cell > 6:  # the oblique unit stays even
        place = _place_planes(scene, cell, look, metrics, 1.0, captions)
        if max(place.width, place.height) <= look.max_size:
            break
        cell -= 2
    if look.width is None:
        return _place_planes(scene, cell, look, metrics, look.scale, captions)
    natural = _place_planes(scene, cell, look, metrics, 1.0, captions)
    # Captions round per size, so the width is nearly but not exactly proportional to the
    # factor: take the proportional factor and shrink it until the picture fits.
    factor = look.width / natural.width
    place = _place_planes(scene, cell, look, metrics, factor, captions)
    while place.width > look.width:
        factor *= 1 - (place.width - look.width + 0.5) / place.width
        place = _place_planes(scene, cell, look, metrics, factor, captions)
    if place.width != look.width:
        # Centre the picture in exactly the width asked for (a pixel or two).
        extra = look.width - place.width
        place = dataclasses.replace(place, width=look.width, x0=place.x0 - extra // 2)
    return place


def _num_cell(scene: Scene, look: Look, metrics: TextMetrics) -> int:
    """The numerical view's cell side at scale 1: the reference's 40 pixels, or more when its
    numbers (at their legible size) need it. A weight sits in the bottom-right corner below
    the value's glyphs."""
    value, weight = _value_sizes(look.font_scale)
    assert scene.input_values is not None and scene.output_values is not None
    texts = {fmt_input(v) for v in scene.input_values.flat}
    texts |= {fmt_output(v) for v in scene.output_values.flat}
    widest = max(metrics.measure(t, value)[0] for t in texts)
    side = max(NUM_CELL, widest + 0.6 * value)
    if scene.spec.op in ("conv", "conv_transpose"):
        glyphs = CAP_HEIGHT["serif"]
        side = max(side, (glyphs * value / 2 + 2 + glyphs * weight) / (0.5 - INSET))
    return int(np.ceil(side / 2) * 2)


def _value_sizes(font: float) -> tuple[float, float]:
    """Font sizes of grid values and kernel weights, a little over the legible minimum."""
    return size_for(MIN_VALUE_PX + 1) * font, size_for(MIN_WEIGHT_PX + 0.5) * font


def _place_planes(
    scene: Scene,
    cell: int,
    look: Look,
    metrics: TextMetrics,
    factor: float = 1.0,
    with_captions: bool = True,
) -> Layout:
    """The layout of ``cell`` (the fitted grid unit) drawn ``factor`` times as large."""
    (h, w), (ho, wo) = scene.input_shape, scene.output_shape
    numerical = scene.view == "numerical"
    if numerical:
        inp = Plane(h, w, (0, 0), False, cell, factor)
        # Output on the right, one cell apart, vertically centred on whole pixels.
        origin = ((w + 1) * cell, round((h - ho) * cell / 2))
        out = Plane(ho, wo, np.round(np.array(origin) * factor), False, cell, factor)
    else:
        inp = Plane(h, w, (0, 0), True, cell, factor)
        top = Plane(h, w, (0, 0), True, cell).point(w, h)[1]
        # The reference lifts the output plane by (N + 1) units for an N x N input; for other
        # shapes, lift by the input's own height plus one unit, a little to the left.
        origin = (-round(cell / 5), round(top * 6 / 7) + cell)
        out = Plane(ho, wo, np.round(np.array(origin) * factor), True, cell, factor)
    zoom = factor * cell / (NUM_CELL if numerical else UNIT)
    cell = round(cell * factor)
    # Words keep their size whatever the cells do: a big grid grows the canvas.
    font = factor * look.font_scale
    margin = round(max(6, round(MARGIN * min(zoom, 1.0) / factor)) * factor)
    pts = np.concatenate([inp.corners(), out.corners()])
    labels: list[Label] = []
    size = WORDS * font
    if look.labels:
        if numerical:
            for plane, word in zip((inp, out), plane_words(scene.spec)):
                x = plane.origin[0] + plane.cols * cell / 2
                y = plane.origin[1] + plane.rows * cell + 0.5 * size
                labels.append(Label(x, y, word, size, va="bottom"))
        else:
            for plane, word in zip((inp, out), plane_words(scene.spec)):
                x, y = plane.point(0, plane.rows)  # the plane's left corner
                labels.append(Label(x - 0.4 * size, y, word, size, ha="right"))
    extents = [pts] + [_text_box(label, metrics) for label in labels]
    sums, sums_width, sum_lines = None, 0.0, 0
    if look.sums and numerical:
        left, right = float(pts[:, 0].min()), float(pts[:, 0].max())
        sums_width = max(right - left, SUMS_WIDTH * font)
        texts = {sum_text(scene, scene.frame(i)) for i in range(scene.n_frames)}
        wrapped = [wrap_terms(t, sums_width, size, metrics) for t in texts]
        sum_lines = max(len(lines) for lines in wrapped)
        widest = max(metrics.measure(line, size)[0] for lines in wrapped for line in lines)
        step = LINE_STEP * size
        y = float(pts[:, 1].min()) - 0.8 * size - 0.5 * step  # the first line's middle
        sums = Label((left + right) / 2, y, "", size)
        half = max(widest, right - left) / 2
        bottom = y - (sum_lines - 0.5) * step
        extents.append(np.array([[sums.x - half, bottom], [sums.x + half, y + 0.5 * step]]))
    body = np.concatenate(extents)
    lo = np.floor(body.min(axis=0)).astype(int) - margin
    hi = np.ceil(body.max(axis=0)).astype(int) + margin
    legend = _legend_rows(scene, look, metrics, lo, hi, margin, LEGEND * font)
    captions = _captions(scene, look) if look.labels and with_captions else []
    for k, text in enumerate(captions):
        y = hi[1] + (len(captions) - k - 0.5) * LINE_STEP * size
        labels.append(Label(float(lo[0] + hi[0]) / 2, y, text, size))
    if captions:
        hi[1] += round(len(captions) * LINE_STEP * size)
        width_needed = max(metrics.measure(t, size)[0] for t in captions) + 2 * margin
        if hi[0] - lo[0] < width_needed:
            grow = int(width_needed - (hi[0] - lo[0])) // 2 + 1
            lo[0] -= grow
            hi[0] += grow
    width, height = (hi - lo).tolist()
    value, weight = _value_sizes(font)
    return Layout(
        inp, out, width, height, int(lo[0]), int(lo[1]), cell, zoom, tuple(labels), sums,
        value, weight, sums_width, sum_lines, legend,
    )  # fmt: skip


def _legend_rows(
    scene: Scene,
    look: Look,
    metrics: TextMetrics,
    lo: np.ndarray,
    hi: np.ndarray,
    margin: int,
    size: float,
) -> tuple[tuple[int, Label], ...]:
    """With labels, the legend of cell kinds under the figure, one per row, left-aligned: it
    moves ``lo`` down (and ``hi`` right, for a long line) to make room (y up)."""
    entries = cells.legend(scene.spec, cells.kinds(scene.spec, scene.layout)) if look.labels else []
    x, step = float(lo[0] + margin) + 1.7 * size, 1.5 * size
    rows = tuple(
        (kind, Label(x, float(lo[1]) - (n + 0.5) * step, words, size, ha="left"))
        for n, (kind, words) in enumerate(entries)
    )
    if rows:
        lo[1] -= round(len(rows) * step)
        right = max(_text_box(label, metrics)[1, 0] for _, label in rows) + margin
        hi[0] = max(hi[0], int(np.ceil(right)))
    return rows


def _text_box(label: Label, metrics: TextMetrics) -> np.ndarray:
    """A label's extent (y up)."""
    w, ascent, descent = metrics.measure(label.text, label.size)
    h = 1.2 * label.size if type(metrics) is TextMetrics else ascent + descent
    x0 = {"left": label.x, "center": label.x - w / 2, "right": label.x - w}[label.ha]
    y0 = {"bottom": label.y, "center": label.y - h / 2, "top": label.y - h}[label.va]
    return np.array([[x0, y0], [x0 + w, y0 + h]])


def _captions(scene: Scene, look: Look) -> list[str]:
    return caption_lines(scene.spec, look.formula, scene.flip)


# -- plane geometry --------------------------------------------------------------------------


def convex(corners: np.ndarray) -> np.ndarray:
    """The corners in counter-clockwise order."""
    x, y = corners[:, 0], corners[:, 1]
    area = np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
    return corners if area > 0 else corners[::-1]
