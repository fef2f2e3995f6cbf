"""The picture of a single-layer figure: the arithmetic view (two oblique planes, the footprint,
the rays) and the numerical view (two flat grids with their numbers), as display lists.

Everything about where things go is decided here: cell sizes that fit the look, the oblique
projection in whole pixels (so every cell rasterises like every other and frames keep to a few
dozen colours), the labels and captions, what each frame adds and in which depth order. numpy
only; the strings come from ``convanim.explain``'s caption functions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from convanim.model.look import Look
from convanim.model.spec import FigureSpec
from convanim.ops.geometry import Role
from convanim.scene.display import Picture, Polygons, Primitive, Segments, Text, TextMetrics
from convanim.scene.plan import FrameState, Scene, build_scene
from convanim.scene.words import caption_lines, fmt_input, fmt_output, sum_text

_UNIT = 30  # grid unit of the oblique view at scale 1, in pixels (the reference's ~29.5)
_NUM_CELL = 40  # cell side of the numerical view at scale 1
_LINE = 2.0  # cell borders: the reference's 0.8 pt at 150 dpi is ~1.7 px
_THIN = 1.0  # projection lines
_DASH = 3.0  # dash on and off, in line widths
_MARGIN = 20

# Depths, back to front: the reference's drawing order.
PADDING, PADDING_GRID, INPUT, TAPS, BOX_GRID, RAYS, OUTPUT, CURRENT = range(8)
NUMBERS, NUM_SHADE, WEIGHTS, LABELS = 4, 5, 6, 9


class _Plane:
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
class _Label:
    x: float
    y: float
    text: str
    size: float
    ha: str = "center"
    va: str = "center"


@dataclass(frozen=True)
class _Layout:
    """Where the two planes go, the labels, and how big the picture is (y up, from (x0, y0))."""

    inp: _Plane
    out: _Plane
    width: int
    height: int
    x0: int
    y0: int
    cell: int  # grid unit (oblique) or cell side (flat), in pixels
    zoom: float = 1.0  # line, margin and font scale
    labels: tuple[_Label, ...] = ()
    sums: _Label | None = None  # where the numerical sum of products goes


def picture(
    figure: FigureSpec, look: Look | None = None, metrics: TextMetrics | None = None
) -> Picture:
    """The display list of a single-layer figure."""
    return Planar(figure, look, metrics).picture()


class Planar:
    """A single-layer figure laid out: its scene, where everything goes, and its picture."""

    def __init__(
        self, figure: FigureSpec, look: Look | None = None, metrics: TextMetrics | None = None
    ) -> None:
        self.scene = build_scene(figure)
        self._builder = _Builder(self.scene, look or Look(), metrics or TextMetrics())
        self.layout = self._builder.place

    def picture(self) -> Picture:
        return self._builder.picture()

    def cell_centre(self, plane: str, row: int, col: int) -> tuple[float, float]:
        """Canvas (x, y) of the centre of a cell of the ``"input"`` or ``"output"`` plane."""
        grid = self.layout.inp if plane == "input" else self.layout.out
        x, y = self._builder.canvas(grid.center(row, col))
        return (float(x), float(y))

    def outline(self) -> np.ndarray:
        """The output plane's outline in canvas pixels (arithmetic view)."""
        return self._builder.canvas(_convex(self.layout.out.corners()))


class _Builder:
    def __init__(self, scene: Scene, look: Look, metrics: TextMetrics) -> None:
        self.scene, self.look, self.metrics = scene, look, metrics
        self.place = _arrange(scene, look, metrics)
        self.line = max(1.0, round(_LINE * self.place.zoom))
        self.thin = max(1.0, round(_THIN * self.place.zoom))
        place = self.place
        # y up (the layout's) to y down from the canvas's top-left corner.
        self._flip = np.array([1.0, -1.0])
        self._shift = np.array([-place.x0, place.height + place.y0])

    def canvas(self, points: np.ndarray) -> np.ndarray:
        return np.asarray(points, dtype=float) * self._flip + self._shift

    def text(self, label: _Label, depth: float) -> Text:
        x, y = self.canvas(np.array([label.x, label.y]))
        return Text(label.text, float(x), float(y), label.size, "text", depth, label.ha, label.va)  # type: ignore[arg-type]

    def picture(self) -> Picture:
        numerical = self.scene.view == "numerical"
        static = self._numerical() if numerical else self._arithmetic()
        static += [self.text(label, LABELS) for label in self.place.labels]
        moving = self._numerical_frame if numerical else self._arithmetic_frame
        # The shade falls on every flat colour somewhere; listing it keeps the palette whole.
        return Picture(
            self.place.width,
            self.place.height,
            tuple(static),
            self.scene.n_frames,
            lambda index: moving(self.scene.frame(index)),
            roles=(("shade", 1.0),),
        )

    # -- arithmetic view ---------------------------------------------------------------------

    def _arithmetic(self) -> list[Primitive]:
        """Input plane (face, dashed grid, real cells), then the output plane, as the
        reference draws them; the footprint, its grid and the rays move between them."""
        roles, place = self.scene.roles, self.place
        plane = place.inp
        rows, cols = roles.shape
        out: list[Primitive] = [Polygons(self.canvas(plane.corners()[None]), "padding", PADDING)]
        if (roles != Role.INPUT).any():
            grid = self.canvas(plane.grid_lines(0, 0, rows, cols))
            dash = (_DASH * self.line, _DASH * self.line)
            out.append(Segments(grid, "grid", PADDING_GRID, self.line, dash))
        out.append(self._cells(plane, np.argwhere(roles == Role.INPUT), "input", INPUT))
        ho, wo = self.scene.output_shape
        out.append(self._cells(place.out, np.argwhere(np.ones((ho, wo), bool)), "output", OUTPUT))
        self._outline = _convex(place.out.corners())
        return out

    def _arithmetic_frame(self, state: FrameState) -> tuple[Primitive, ...]:
        place = self.place
        r0, c0, r1, c1 = state.box
        below = place.inp.box(r0, c0, r1, c1)
        above = place.out.box(state.out[0], state.out[1], state.out[0] + 1, state.out[1] + 1)
        # The rays end where they meet the output plane's outline: the plane hides the rest.
        rays = [ray for a, b in zip(below, above) if (ray := _clip_outside(a, b, self._outline))]
        return (
            Polygons(self.canvas(place.inp.cells(state.taps)), "shade", TAPS),
            Segments(
                self.canvas(place.inp.grid_lines(r0, c0, r1, c1)), "grid", BOX_GRID, self.line
            ),
            Segments(self.canvas(np.array(rays).reshape(-1, 2, 2)), "projection", RAYS, self.thin),
            Polygons(self.canvas(place.out.cell(*state.out)[None]), "shade", CURRENT),
        )

    # -- numerical view ----------------------------------------------------------------------

    def _numerical(self) -> list[Primitive]:
        scene, place = self.scene, self.place
        plane, roles = place.inp, scene.roles
        zoom = place.cell / _NUM_CELL * self.look.font_scale  # fonts follow the cells
        out: list[Primitive] = []
        pad = np.argwhere(roles != Role.INPUT)
        if len(pad):  # each padding cell has its own dashed border, as in the reference
            dash = (_DASH * self.line, _DASH * self.line)
            out.append(self._cells(plane, pad, "padding", PADDING, dash))
        out.append(self._cells(plane, np.argwhere(roles == Role.INPUT), "input", INPUT))
        ho, wo = scene.output_shape
        out.append(self._cells(place.out, np.argwhere(np.ones((ho, wo), bool)), "output", INPUT))
        assert scene.input_values is not None and scene.output_values is not None
        for grid, values, fmt, size in (
            (plane, scene.input_values, fmt_input, 17 * zoom),
            (place.out, scene.output_values, fmt_output, 11 * zoom),
        ):
            for (r, c), value in np.ndenumerate(values):
                x, y = self.canvas(grid.center(r, c))
                out.append(Text(fmt(value), float(x), float(y), size, "text", NUMBERS))
        self._weight_size = 10 * zoom
        return out

    def _numerical_frame(self, state: FrameState) -> tuple[Primitive, ...]:
        place, scene = self.place, self.scene
        taps = place.inp.cells(state.taps)
        current = place.out.cell(*state.out)[None]
        # The shade goes over the numbers (which stay legible) so that only it moves.
        out: list[Primitive] = [
            Polygons(self.canvas(np.concatenate([taps, current])), "shade", NUM_SHADE)
        ]
        if state.tap_weights is not None:
            for (r, c), w in zip(state.taps, state.tap_weights):
                x, y = place.inp.cell(r, c)[0]
                at = self.canvas(np.array([x + 0.8 * place.cell, y + 0.2 * place.cell]))
                out.append(
                    Text(
                        fmt_input(w), float(at[0]), float(at[1]), self._weight_size, "text", WEIGHTS
                    )
                )
        if place.sums is not None:
            sums = dataclasses.replace(place.sums, text=sum_text(scene, state))
            out.append(self.text(sums, WEIGHTS))
        return tuple(out)

    def _cells(
        self,
        plane: _Plane,
        cells: np.ndarray,
        role: str,
        depth: float,
        dash: tuple[float, float] | None = None,
    ) -> Polygons:
        corners = self.canvas(plane.cells(cells))
        return Polygons(corners, role, depth, edge="grid", width=self.line, dash=dash)


# -- layout ----------------------------------------------------------------------------------


def _arrange(scene: Scene, look: Look, metrics: TextMetrics) -> _Layout:
    """Place the planes at the reference's cell size, or the largest smaller one whose picture
    fits ``look.max_size``; then multiply that drawing by ``look.scale``, or fit it to
    ``look.width``. Only the pixel budget bounds the result (checked by the caller)."""
    flat = scene.view == "numerical"
    base = _NUM_CELL if flat else _UNIT
    smallest = 12 if flat else 6  # numbers stay legible; the oblique unit stays even
    cell = base
    while cell > smallest:
        place = _place_planes(scene, cell, look, metrics)
        if max(place.width, place.height) <= look.max_size:
            break
        cell -= 2
    if look.width is None:
        return _place_planes(scene, cell, look, metrics, look.scale)
    natural = _place_planes(scene, cell, look, metrics)
    # Captions round per size, so the width is nearly but not exactly proportional to the
    # factor: take the proportional factor and shrink it until the picture fits.
    factor = look.width / natural.width
    place = _place_planes(scene, cell, look, metrics, factor)
    while place.width > look.width:
        factor *= 1 - (place.width - look.width + 0.5) / place.width
        place = _place_planes(scene, cell, look, metrics, factor)
    if place.width != look.width:
        # Centre the picture in exactly the width asked for (a pixel or two).
        extra = look.width - place.width
        place = dataclasses.replace(place, width=look.width, x0=place.x0 - extra // 2)
    return place


def _place_planes(
    scene: Scene, cell: int, look: Look, metrics: TextMetrics, factor: float = 1.0
) -> _Layout:
    """The layout of ``cell`` (the fitted grid unit) drawn ``factor`` times as large."""
    (h, w), (ho, wo) = scene.input_shape, scene.output_shape
    if scene.view == "numerical":
        inp = _Plane(h, w, (0, 0), False, cell, factor)
        # Output on the right, one cell apart, vertically centred on whole pixels.
        origin = ((w + 1) * cell, round((h - ho) * cell / 2))
        out = _Plane(ho, wo, np.round(np.array(origin) * factor), False, cell, factor)
    else:
        inp = _Plane(h, w, (0, 0), True, cell, factor)
        top = _Plane(h, w, (0, 0), True, cell).point(w, h)[1]
        # The reference lifts the output plane by (N + 1) units for an N x N input; for other
        # shapes, lift by the input's own height plus one unit, a little to the left.
        origin = (-round(cell / 5), round(top * 6 / 7) + cell)
        out = _Plane(ho, wo, np.round(np.array(origin) * factor), True, cell, factor)
    zoom = factor * cell / (_NUM_CELL if scene.view == "numerical" else _UNIT)
    cell = round(cell * factor)
    font = zoom * look.font_scale
    margin = round(max(6, round(_MARGIN * zoom / factor)) * factor)
    pts = np.concatenate([inp.corners(), out.corners()])
    labels: list[_Label] = []
    sums = None
    if look.labels:
        size = 15 * font
        if scene.view == "numerical":
            for plane, word in ((inp, "input"), (out, "output")):
                x = plane.origin[0] + plane.cols * cell / 2
                y = plane.origin[1] + plane.rows * cell + 0.5 * size
                labels.append(_Label(x, y, word, size, va="bottom"))
        else:
            for plane, word in ((inp, "input"), (out, "output")):
                x, y = plane.point(0, plane.rows)  # the plane's left corner
                labels.append(_Label(x - 0.4 * size, y, word, size, ha="right"))
    if look.sums and scene.view == "numerical":
        size = 13 * font
        sums = _Label(float(pts[:, 0].mean()), float(pts[:, 1].min()) - 1.2 * size, "", size)
    extents = [pts] + [_text_box(label, metrics) for label in labels]
    if sums is not None:
        extents.append(np.array([[pts[:, 0].min(), sums.y - size], [pts[:, 0].max(), sums.y]]))
    body = np.concatenate(extents)
    lo = np.floor(body.min(axis=0)).astype(int) - margin
    hi = np.ceil(body.max(axis=0)).astype(int) + margin
    captions = _captions(scene, look) if look.labels else []
    size = 15 * font
    for k, text in enumerate(captions):
        y = hi[1] + (len(captions) - k - 0.5) * 1.5 * size
        labels.append(_Label(float(lo[0] + hi[0]) / 2, y, text, size))
    if captions:
        hi[1] += round(len(captions) * 1.5 * size)
        width_needed = max(len(t) for t in captions) * 0.55 * size + 2 * margin
        if hi[0] - lo[0] < width_needed:
            grow = int(width_needed - (hi[0] - lo[0])) // 2 + 1
            lo[0] -= grow
            hi[0] += grow
    width, height = (hi - lo).tolist()
    return _Layout(inp, out, width, height, int(lo[0]), int(lo[1]), cell, zoom, tuple(labels), sums)


def _text_box(label: _Label, metrics: TextMetrics) -> np.ndarray:
    """A label's extent (y up)."""
    w, ascent, descent = metrics.measure(label.text, label.size)
    h = 1.2 * label.size if type(metrics) is TextMetrics else ascent + descent
    x0 = {"left": label.x, "center": label.x - w / 2, "right": label.x - w}[label.ha]
    y0 = {"bottom": label.y, "center": label.y - h / 2, "top": label.y - h}[label.va]
    return np.array([[x0, y0], [x0 + w, y0 + h]])


def _captions(scene: Scene, look: Look) -> list[str]:
    return caption_lines(scene.spec, look.formula, scene.flip)


# -- words and numbers -----------------------------------------------------------------------


# -- plane geometry --------------------------------------------------------------------------


def _convex(corners: np.ndarray) -> np.ndarray:
    """The corners in counter-clockwise order."""
    x, y = corners[:, 0], corners[:, 1]
    area = np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
    return corners if area > 0 else corners[::-1]


def _clip_outside(a: np.ndarray, b: np.ndarray, polygon: np.ndarray) -> tuple | None:
    """The part of segment a->b before it enters the convex (counter-clockwise) polygon that
    contains b (Cyrus-Beck); None when a is already inside."""
    d = b - a
    edges = np.roll(polygon, -1, axis=0) - polygon
    normals = np.stack([edges[:, 1], -edges[:, 0]], axis=1)  # outward, counter-clockwise
    num = np.einsum("ij,ij->i", normals, a - polygon)
    den = normals @ d
    if np.any((den == 0) & (num > 0)):
        return (a, b)  # parallel to an edge and outside it: never enters
    entering = den < 0
    t_enter = float(np.max(-num[entering] / den[entering], initial=0.0))
    if t_enter <= 0:
        return None
    return (a, a + min(t_enter, 1.0) * d)
