"""Scenes to pixels: the only module that imports matplotlib (Agg, no pyplot, no display).

A ``FigureRenderer`` draws the parts of a figure that never change once, then produces each
frame by restoring that background and drawing only the moving artists on it (matplotlib's
blitting), which is pixel-identical to a full redraw of the same artists in the same order
(``fast=False`` does the full redraw; a test compares the two). Frames are RGB uint8 arrays,
streamed from a generator so memory does not grow with the number of frames.

Geometry is laid out in whole pixels (the figure's dpi is 72, so a point is a pixel and data
units are pixels): the oblique projection maps a grid unit to integer pixel vectors, so every
cell rasterises like every other and the frames keep to a few dozen colours.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import PathPatch, Polygon
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.transforms import Affine2D

from convanim.geometry import Role
from convanim.palette import blend_palette, composite, snapper
from convanim.scene import FrameState, Scene, build_scene
from convanim.spec import CompareSpec, FigureSpec, Look
from convanim.themes import CLASSIC, Theme

# The oblique projection of the reference, (x, y) -> (x - 0.7 y, 0.5 x + 0.65 y), at 30 px per
# grid unit, rounded to whole pixels: x -> (u, u/2), y -> (-2u/3, 2u/3) rounded, with u even,
# so every vertex is integral. Big grids step the unit down to fit Look.max_size at scale 1.
_UNIT = 30
_EX = np.array([_UNIT, _UNIT // 2])
_EY = np.array([-2 * _UNIT // 3, 2 * _UNIT // 3])
_LINE = 2.0  # cell borders: the reference's 0.8 pt at 150 dpi is ~1.7 px
_THIN = 1.0  # projection lines
_DASH = (0, (3.0, 3.0))  # in units of the line width: 6 px on, 6 px off
_MARGIN = 20
_NUM_CELL = 40
_FONT = FontProperties(family=["cmr10", "DejaVu Serif", "serif"])


def _rgba(theme: Theme, role: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    r, g, b = theme.rgb(role)
    return (r / 255, g / 255, b / 255, alpha)


class _Plane:
    """A grid of cells placed on the page: cell (row, col) -> its four corners in pixels."""

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
        y = self.rows - 1 - row  # row 0 is the top row
        return np.array(
            [
                self.point(col, y),
                self.point(col + 1, y),
                self.point(col + 1, y + 1),
                self.point(col, y + 1),
            ]
        )

    def cells(self, cells: np.ndarray) -> np.ndarray:
        """(n, 4, 2) corners of many cells at once."""
        cells = np.asarray(cells).reshape(-1, 2)
        x = cells[:, 1].astype(float)
        y = (self.rows - 1 - cells[:, 0]).astype(float)
        dx = np.array([0, 1, 1, 0])[None, :]
        dy = np.array([0, 0, 1, 1])[None, :]
        px = x[:, None] + dx
        py = y[:, None] + dy
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
    """A still or moving line of text placed by the layout."""

    x: float
    y: float
    text: str
    size: float
    ha: str = "center"
    va: str = "center"


@dataclass(frozen=True)
class _Layout:
    """Where the two planes go, the labels, and how big the picture is."""

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


def _arrange(scene: Scene, look: Look) -> _Layout:
    """Place the planes at the reference's cell size, or the largest smaller one whose picture
    fits ``look.max_size``; then multiply that drawing by ``look.scale``, or fit it to
    ``look.width``. Only the pixel budget bounds the result (checked by the caller)."""
    flat = scene.view == "numerical"
    base = _NUM_CELL if flat else _UNIT
    smallest = 12 if flat else 6  # numbers stay legible; the oblique unit stays even
    cell = base
    while cell > smallest:
        if max(_size(_place_planes(scene, cell, look))) <= look.max_size:
            break
        cell -= 2
    if look.width is None:
        return _place_planes(scene, cell, look, look.scale)
    natural = _place_planes(scene, cell, look)
    # Captions round per size, so the width is nearly but not exactly proportional to the
    # factor: take the proportional factor and shrink it until the picture fits.
    factor = look.width / natural.width
    place = _place_planes(scene, cell, look, factor)
    while place.width > look.width:
        factor *= 1 - (place.width - look.width + 0.5) / place.width
        place = _place_planes(scene, cell, look, factor)
    if place.width != look.width:
        # Centre the picture in exactly the width asked for (a pixel or two).
        extra = look.width - place.width
        place = dataclasses.replace(place, width=look.width, x0=place.x0 - extra // 2)
    return place


def _size(place: _Layout) -> tuple[int, int]:
    return (place.width, place.height)


def _place_planes(scene: Scene, cell: int, look: Look, factor: float = 1.0) -> _Layout:
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
    extents = [pts] + [_text_box(label) for label in labels]
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


def _text_box(label: _Label) -> np.ndarray:
    """A generous estimate of a label's extent (its glyphs are drawn later)."""
    w, h = 0.6 * label.size * len(label.text), 1.2 * label.size
    x0 = {"left": label.x, "center": label.x - w / 2, "right": label.x - w}[label.ha]
    y0 = {"bottom": label.y, "center": label.y - h / 2, "top": label.y - h}[label.va]
    return np.array([[x0, y0], [x0 + w, y0 + h]])


def _captions(scene: Scene, look: Look) -> list[str]:
    """The parameter caption, e.g. "conv  i=5 k=3 s=2 p=1 → o=3", and the formula."""
    from convanim.explain import formula_line, parameter_line

    spec = scene.spec
    # cmr10 has no underscore ("max pool" reads better anyway); in a picture the arrow gets
    # more room than in the index's monospace.
    line = parameter_line(spec).replace(spec.op, spec.op.replace("_", " "), 1)
    lines = [line.replace(" → o=", "  →  o=")]
    if look.formula:
        lines.append(formula_line(spec))
    return lines


def _fmt_input(value: float) -> str:
    if math.isnan(value):
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"


def _fmt_output(value: float) -> str:
    return f"{value:.1f}"


class FigureRenderer:
    """Draws the frames of one single-layer figure."""

    def __init__(
        self,
        figure: FigureSpec,
        theme: Theme = CLASSIC,
        fast: bool = True,
        look: Look | None = None,
        host: tuple[Figure, float, float] | None = None,
    ):
        """``host`` (a figure and an offset in points) draws this figure into another, still,
        as the tiles of a storyboard are drawn; ``paint(index)`` then sets its frame."""
        self.figure = figure
        self.scene = build_scene(figure)
        self.theme = theme
        self.fast = fast
        self.look = look or Look()
        self._place = _arrange(self.scene, self.look)
        # Whole-pixel lines: 2 px borders and 1 px rays at the reference size.
        self._line = max(1.0, round(_LINE * self._place.zoom))
        self._thin = max(1.0, round(_THIN * self._place.zoom))
        self._channels = 4 if self.look.transparent else 3
        self._background: dict[bool, tuple[np.ndarray, np.ndarray]] = {}
        if host is not None:
            self.fast = False
        self._build(host)

    # -- public ----------------------------------------------------------------------------------

    @property
    def n_frames(self) -> int:
        return self.scene.n_frames

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return (self._place.width, self._place.height)

    def frame(self, index: int) -> np.ndarray:
        """One frame as an (H, W, 3) uint8 array ((H, W, 4) with a transparent background)."""
        return self._draw(self.scene.frame(index))

    def frames(self) -> Iterator[np.ndarray]:
        for state in self.scene.frames():
            yield self._draw(state)

    def paint(self, index: int) -> None:
        """Set the (hosted) drawing to frame ``index``, for the host figure to save."""
        self._update(self.scene.frame(index))

    # -- building --------------------------------------------------------------------------------

    def _build(self, host: tuple[Figure, float, float] | None = None) -> None:
        place, theme, scene = self._place, self.theme, self.scene
        if host is None:
            self._fig = Figure(figsize=(place.width / 72, place.height / 72), dpi=72)
            alpha = 0 if self.look.transparent else 1
            self._fig.patch.set_facecolor(_rgba(theme, "background", alpha))
            self._canvas = FigureCanvasAgg(self._fig)
            dx = dy = 0.0
        else:
            self._fig, dx, dy = host
        # No Axes: artists live on the figure, in points (a pixel at the animations' 72 dpi),
        # shifted to the picture's corner; vector stills at other dpi scale as a whole.
        self._transform = (
            Affine2D().translate(dx - place.x0, dy - place.y0).scale(1 / 72)
            + self._fig.dpi_scale_trans
        )
        self._moving: list = []
        if scene.view == "numerical":
            self._build_numerical()
        else:
            self._build_arithmetic()
        text = _rgba(theme, "text")
        for label in place.labels:
            self._add(
                self._text(label.x, label.y, label.text, label.size, text, 4, label.ha, label.va)
            )
        self._sums = None
        if place.sums is not None:
            sums = place.sums
            self._sums = self._add(self._text(sums.x, sums.y, "", sums.size, text, 6), moving=True)
        for artist in self._moving:
            artist.set_animated(self.fast)
        self._snap = snapper(_palette(theme))

    def _add(self, artist, moving: bool = False):  # noqa: ANN001, ANN202
        artist.set_transform(self._transform)
        self._fig.add_artist(artist)
        if moving:
            self._moving.append(artist)
        return artist

    def _cells(self, plane: _Plane, cells: np.ndarray, face: str, zorder: float, **kw) -> None:  # noqa: ANN003
        theme = self.theme
        self._add(
            PolyCollection(
                plane.cells(cells),
                facecolors=[_rgba(theme, face)],
                edgecolors=[_rgba(theme, "grid")],
                linewidths=self._line,
                zorder=zorder,
                **kw,
            )
        )

    def _shades(self, zorder: float) -> PathPatch:
        """A moving set of shaded cells, drawn as one path (no seams where cells meet)."""
        patch = PathPatch(_EMPTY, facecolor=_rgba(self.theme, "shade", self.theme.shade_alpha),
                          edgecolor="none", linewidth=0, zorder=zorder)  # fmt: skip
        return self._add(patch, moving=True)

    def _strokes(self, colour: str, width: float, zorder: float) -> PathPatch:
        """Moving line segments of one colour, drawn as one path."""
        patch = PathPatch(_EMPTY, fill=False, edgecolor=_rgba(self.theme, colour),
                          linewidth=width, capstyle="butt", zorder=zorder)  # fmt: skip
        return self._add(patch, moving=True)

    def _build_arithmetic(self) -> None:
        """Input plane (face, dashed grid, real cells), then the footprint, its grid and the
        rays, then the output plane and the current output cell, as the reference draws them."""
        theme, place, roles = self.theme, self._place, self.scene.roles
        plane = place.inp
        rows, cols = roles.shape
        face = Polygon(plane.corners(), closed=True, facecolor=_rgba(theme, "padding"), zorder=1)
        face.set_edgecolor("none")
        self._add(face)
        if (roles != Role.INPUT).any():
            self._add(
                LineCollection(
                    plane.grid_lines(0, 0, rows, cols),
                    colors=[_rgba(theme, "grid")],
                    linewidths=self._line,
                    linestyles=[_DASH],
                    zorder=2,
                )
            )
        self._cells(plane, np.argwhere(roles == Role.INPUT), "input", 3)
        self._taps = self._shades(4)
        self._box_grid = self._strokes("grid", self._line, 5)
        self._rays = self._strokes("projection", self._thin, 6)
        ho, wo = self.scene.output_shape
        self._cells(place.out, np.argwhere(np.ones((ho, wo), dtype=bool)), "output", 7)
        self._out_plane = self._fig.artists[-1]
        self._current = self._shades(8)
        # The rays end where they meet the output plane's outline, so that a still output
        # plane can stay in the saved background and still seem to hide them.
        self._outline = _convex(place.out.corners())
        lo, hi = self._outline.min(axis=0) - 4, self._outline.max(axis=0) + 4
        self._out_box = (lo, hi)

    def _build_numerical(self) -> None:
        theme, place, scene = self.theme, self._place, self.scene
        text = _rgba(theme, "text")
        plane, roles = place.inp, scene.roles
        zoom = place.cell / _NUM_CELL * self.look.font_scale  # fonts follow the cells
        pad = np.argwhere(roles != Role.INPUT)
        if len(pad):  # each padding cell has its own dashed border, as in the reference
            self._cells(plane, pad, "padding", 1, linestyles=[_DASH])
        self._cells(plane, np.argwhere(roles == Role.INPUT), "input", 2)
        ho, wo = scene.output_shape
        self._cells(place.out, np.argwhere(np.ones((ho, wo), dtype=bool)), "output", 2)
        assert scene.input_values is not None and scene.output_values is not None
        for grid, values, fmt, size in (
            (plane, scene.input_values, _fmt_input, 17 * zoom),
            (place.out, scene.output_values, _fmt_output, 11 * zoom),
        ):
            for (r, c), value in np.ndenumerate(values):
                x, y = grid.center(r, c)
                self._add(self._text(x, y, fmt(value), size, text, 4))
        # The shades go over the numbers (which stay legible) so that only they move.
        self._taps = self._current = self._shades(5)
        n_taps = scene.spec.kernel_size[0] * scene.spec.kernel_size[1]
        self._weights = [
            self._add(self._text(0, 0, "", 10 * zoom, text, 6), moving=True)
            for _ in range(n_taps if scene.kernel_weights is not None else 0)
        ]

    @staticmethod
    def _text(
        x: float,
        y: float,
        s: str,
        size: float,
        colour: tuple,
        zorder: float,
        ha: str = "center",
        va: str = "center",
    ) -> Text:
        return Text(x, y, s, ha=ha, va=va, color=colour, fontproperties=_FONT, fontsize=size,
                    zorder=zorder)  # fmt: skip

    # -- drawing ---------------------------------------------------------------------------------

    def _update(self, state: FrameState) -> bool:
        """Move the moving artists to ``state``; True when the footprint may overlap the output
        plane on screen (so the plane must be drawn again over it)."""
        place, scene = self._place, self.scene
        taps = place.inp.cells(state.taps)
        current = place.out.cell(*state.out)[None]
        if scene.view == "numerical":
            self._taps.set_path(_quads(np.concatenate([taps, current])))
            if state.tap_weights is not None:
                for label, (r, c), w in zip(self._weights, state.taps, state.tap_weights):
                    x, y = place.inp.cell(r, c)[0]
                    label.set_position((x + 0.8 * place.cell, y + 0.2 * place.cell))
                    label.set_text(_fmt_input(w))
            if self._sums is not None:
                self._sums.set_text(_sum_text(scene, state))
            return False
        self._taps.set_path(_quads(taps))
        self._current.set_path(_quads(current))
        r0, c0, r1, c1 = state.box
        self._box_grid.set_path(_segments(place.inp.grid_lines(r0, c0, r1, c1)))
        below = place.inp.box(r0, c0, r1, c1)
        above = place.out.box(state.out[0], state.out[1], state.out[0] + 1, state.out[1] + 1)
        rays = [ray for a, b in zip(below, above) if (ray := _clip_outside(a, b, self._outline))]
        self._rays.set_path(_segments(rays))
        lo, hi = self._out_box
        return bool(np.all(below.max(axis=0) >= lo) and np.all(below.min(axis=0) <= hi))

    def _draw(self, state: FrameState) -> np.ndarray:
        overlap = self._update(state)
        canvas = self._canvas
        if not self.fast:
            canvas.draw()
            return self._pixels(np.asarray(canvas.buffer_rgba()))
        # Where the footprint may pass under the output plane, start from a background
        # without the plane and draw the plane again above the footprint.
        rgba, still = self._still_picture(overlap)
        buffer = np.asarray(canvas.buffer_rgba())
        last_overlap, (top, bottom, left, right) = self._last
        if last_overlap == overlap:  # only what the last frame drew needs undoing
            buffer[top:bottom, left:right] = rgba[top:bottom, left:right]
        else:
            buffer[...] = rgba
        for artist in self._moving:
            if artist is self._current and overlap:
                self._fig.draw_artist(self._out_plane)
            self._fig.draw_artist(artist)
        # Only the moving artists' box differs from the still background, so only it is snapped.
        dirty = top, bottom, left, right = self._dirty(overlap)
        self._last = (overlap, dirty)
        frame = still.copy()
        frame[top:bottom, left:right] = self._pixels(buffer[top:bottom, left:right])
        return frame

    def _pixels(self, rgba: np.ndarray) -> np.ndarray:
        """Canvas pixels as frame pixels: colours snapped to the palette, alpha kept when the
        background is transparent."""
        rgb = self._snap(rgba)
        if not self.look.transparent:
            return rgb
        return np.concatenate([rgb, rgba[..., 3:]], axis=-1)

    def _still_picture(self, without_plane: bool) -> tuple[np.ndarray, np.ndarray]:
        """The still picture, with or without the output plane: (RGBA, snapped RGB), drawn
        the first time it is needed."""
        if without_plane not in self._background:
            plane = getattr(self, "_out_plane", None)
            if plane is not None:
                plane.set_visible(not without_plane)
            self._canvas.draw()
            if plane is not None:
                plane.set_visible(True)
            rgba = np.asarray(self._canvas.buffer_rgba()).copy()
            self._background[without_plane] = (rgba, np.ascontiguousarray(self._pixels(rgba)))
            self._last = (without_plane, (0, self._place.height, 0, self._place.width))
        return self._background[without_plane]

    def _dirty(self, overlap: bool) -> tuple[int, int, int, int]:
        """Image rows and columns (top, bottom, left, right) the moving artists may touch."""
        xy = [self._taps.get_path().vertices, self._current.get_path().vertices]
        place = self._place
        if self.scene.view != "numerical":
            xy += [self._box_grid.get_path().vertices, self._rays.get_path().vertices]
            if overlap:
                xy.append(self._outline)
        elif place.sums is not None:  # the whole line the sum is written on
            y, size = place.sums.y, place.sums.size
            xy.append(np.array([[place.x0, y - size], [place.x0 + place.width, y + size]]))
        pts = np.concatenate(xy)
        lo = np.floor(pts.min(axis=0)).astype(int) - (place.x0, place.y0) - 4
        hi = np.ceil(pts.max(axis=0)).astype(int) - (place.x0, place.y0) + 4
        left, right = max(lo[0], 0), min(hi[0], place.width)
        top, bottom = max(place.height - hi[1], 0), min(place.height - lo[1], place.height)
        return int(top), int(bottom), int(left), int(right)


_EMPTY = Path(np.zeros((1, 2)), [Path.MOVETO])
_QUAD_CODES = [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY]


def _quads(corners: np.ndarray) -> Path:
    """One path of many quadrilaterals, (n, 4, 2) corners."""
    if len(corners) == 0:
        return _EMPTY
    verts = np.concatenate([corners, corners[:, :1]], axis=1).reshape(-1, 2)
    return Path(verts, _QUAD_CODES * len(corners))


def _segments(segments: Sequence) -> Path:
    """One path of many separate line segments."""
    if len(segments) == 0:
        return _EMPTY
    verts = np.asarray(segments, dtype=float).reshape(-1, 2)
    return Path(verts, [Path.MOVETO, Path.LINETO] * len(segments))


def _sum_text(scene: Scene, state: FrameState) -> str:
    """What the current output value is made of, e.g. "3·0 + 3·1 + ... = 12.0"."""
    assert scene.input_values is not None and scene.output_values is not None
    values = [scene.input_values[r, c] for r, c in state.taps]
    result = _fmt_output(scene.output_values[state.out])
    shown = [v for v in values if not math.isnan(v)]
    if scene.spec.op in ("max_pool", "avg_pool"):
        word = "max" if scene.spec.op == "max_pool" else "mean"
        items = [_fmt_input(v) for v in shown]
        if len(items) > 9:
            items = items[:6] + ["\u2026"]
        return f"{word}({', '.join(items)}) = {result}"
    assert state.tap_weights is not None
    terms = [f"{_fmt_input(v)}\u00b7{_fmt_input(w)}" for v, w in zip(values, state.tap_weights)]
    if len(terms) > 9:
        terms = terms[:6] + ["\u2026"]
    return f"{' + '.join(terms)} = {result}"


def _palette(theme: Theme) -> np.ndarray:
    """Every flat colour a figure of ``theme`` shows, and the shade over each of them."""
    flat = [theme.rgb(r) for r in ("background", "padding", "input", "output", "grid")]
    shaded = [composite(c, theme.rgb("shade"), theme.shade_alpha) for c in flat]
    return blend_palette(flat + shaded + [theme.rgb("projection"), theme.rgb("text")])


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


_LABEL_HEIGHT = 34
_GAP = 10


class CompareRenderer:
    """Several figures side by side, frames in lockstep; a shorter one holds its last frame."""

    def __init__(
        self, spec: CompareSpec, theme: Theme = CLASSIC, fast: bool = True, look: Look | None = None
    ):
        self.spec = spec
        self.theme = theme
        look = look or Look()
        self.look = look
        # Comparisons are labelled unless labels were turned off.
        member_look = dataclasses.replace(look, labels=look.labels is not False, width=None)
        self.members = [FigureRenderer(m, theme, fast, look=member_look) for m in spec.members]
        widths = [m.size[0] for m in self.members]
        self._height = max(m.size[1] for m in self.members)
        self._gap = round(_GAP * look.scale)
        self._x = np.concatenate([[0], np.cumsum(np.array(widths) + self._gap)])[:-1].tolist()
        self._width = sum(widths) + self._gap * (len(widths) - 1)
        self._label_height = round(_LABEL_HEIGHT * look.scale * look.font_scale)
        self._channels = 4 if look.transparent else 3
        self._labels = self._draw_labels(widths)

    @property
    def n_frames(self) -> int:
        return max(m.n_frames for m in self.members)

    @property
    def size(self) -> tuple[int, int]:
        return (self._width, self._height + self._label_height)

    def _draw_labels(self, widths: list[int]) -> np.ndarray:
        """The strip of member labels ("3x3", "1x1") above the figures, drawn once."""
        fig = Figure(figsize=(self._width / 72, self._label_height / 72), dpi=72)
        fig.patch.set_facecolor(_rgba(self.theme, "background", 0 if self.look.transparent else 1))
        canvas = FigureCanvasAgg(fig)
        for x, w, label in zip(self._x, widths, self.spec.labels):
            fig.text((x + w / 2) / self._width, 0.4, label, ha="center", va="center",
                     color=_rgba(self.theme, "text"), fontproperties=_FONT,
                     fontsize=20 * self.look.scale * self.look.font_scale)  # fmt: skip
        canvas.draw()
        return self.members[0]._pixels(np.asarray(canvas.buffer_rgba()))

    def _compose(self, tiles: list[np.ndarray]) -> np.ndarray:
        canvas = np.zeros((*self.size[::-1], self._channels), dtype=np.uint8)
        if not self.look.transparent:
            canvas[...] = self.theme.rgb("background")
        canvas[: self._label_height] = self._labels
        for x, tile in zip(self._x, tiles):
            h, w = tile.shape[:2]
            top = self._label_height + self._height - h  # members stand on a common baseline
            canvas[top : top + h, x : x + w] = tile
        return canvas

    def frames(self) -> Iterator[np.ndarray]:
        streams = [m.frames() for m in self.members]
        last: list[np.ndarray] = []
        for _ in range(self.n_frames):
            tiles = [next(stream, None) for stream in streams]
            last = [tile if tile is not None else last[k] for k, tile in enumerate(tiles)]
            yield self._compose(last)

    def frame(self, index: int) -> np.ndarray:
        return self._compose([m.frame(min(index, m.n_frames - 1)) for m in self.members])


def renderer_for(  # noqa: ANN201
    target: FigureSpec | CompareSpec,
    theme: Theme = CLASSIC,
    fast: bool = True,
    look: Look | None = None,
):
    """The renderer of a figure or a comparison."""
    if isinstance(target, CompareSpec):
        return CompareRenderer(target, theme, fast, look)
    return FigureRenderer(target, theme, fast, look=look)


def _pixel(renderer: FigureRenderer, point: np.ndarray) -> tuple[int, int]:
    """Image (row, col) of a point given in the renderer's pixel-valued data coordinates."""
    place = renderer._place
    x, y = point
    return (int(place.height - (y - place.y0)), int(x - place.x0))


def cell_pixel(renderer: FigureRenderer, plane: str, row: int, col: int) -> tuple[int, int]:
    """Image (row, col) of the centre of a cell of the ``"input"`` or ``"output"`` plane."""
    grid = renderer._place.inp if plane == "input" else renderer._place.out
    return _pixel(renderer, grid.center(row, col))
