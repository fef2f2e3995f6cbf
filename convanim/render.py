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

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Polygon
from matplotlib.text import Text

from convanim.geometry import Role
from convanim.scene import FrameState, Scene, build_scene
from convanim.spec import CompareSpec, FigureSpec
from convanim.themes import CLASSIC, Theme

# The oblique projection of the reference, (x, y) -> (x - 0.7 y, 0.5 x + 0.65 y), at 30 px per
# grid unit, rounded to whole pixels: 0.65 * 30 = 19.5 becomes 20 so every vertex is integral.
_EX = np.array([30, 15])
_EY = np.array([-20, 20])
_UNIT = 30
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

    def __init__(self, rows: int, cols: int, origin: Sequence[float], oblique: bool, cell: int):
        self.rows, self.cols = rows, cols
        self.origin = np.asarray(origin, dtype=float)
        if oblique:
            self.ex, self.ey = _EX.astype(float), _EY.astype(float)
        else:
            self.ex, self.ey = np.array([cell, 0.0]), np.array([0.0, cell])

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

    def grid_lines(self, r0: int, c0: int, r1: int, c1: int) -> list[np.ndarray]:
        """Every grid line of the cell block."""
        top, bottom = self.rows - r0, self.rows - r1
        lines = [np.array([self.point(c0, y), self.point(c1, y)]) for y in range(bottom, top + 1)]
        lines += [np.array([self.point(x, bottom), self.point(x, top)]) for x in range(c0, c1 + 1)]
        return lines

    def corners(self) -> np.ndarray:
        return self.box(0, 0, self.rows, self.cols)

    def center(self, row: int, col: int) -> np.ndarray:
        return self.point(col + 0.5, self.rows - 1 - row + 0.5)


@dataclass(frozen=True)
class _Layout:
    """Where the two planes go and how big the picture is."""

    inp: _Plane
    out: _Plane
    width: int
    height: int
    x0: int
    y0: int


def _arrange(scene: Scene) -> _Layout:
    (h, w), (ho, wo) = scene.input_shape, scene.output_shape
    if scene.view == "numerical":
        cell = _NUM_CELL
        inp = _Plane(h, w, (0, 0), False, cell)
        # Output on the right, one cell apart, vertically centred on whole pixels.
        out = _Plane(ho, wo, ((w + 1) * cell, round((h - ho) * cell / 2)), False, cell)
    else:
        inp = _Plane(h, w, (0, 0), True, _UNIT)
        top = inp.point(w, h)[1]
        # The reference lifts the output plane by (N + 1) units for an N x N input; for other
        # shapes, lift by the input's own height plus one unit, a little to the left.
        lift = round(top * _UNIT / (_EX[1] + _EY[1])) + _UNIT
        out = _Plane(ho, wo, (-6, lift), True, _UNIT)
    pts = np.concatenate([inp.corners(), out.corners()])
    lo = np.floor(pts.min(axis=0)).astype(int) - _MARGIN
    hi = np.ceil(pts.max(axis=0)).astype(int) + _MARGIN
    width, height = (hi - lo).tolist()
    return _Layout(inp, out, width, height, int(lo[0]), int(lo[1]))


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

    def __init__(self, figure: FigureSpec, theme: Theme = CLASSIC, fast: bool = True):
        self.figure = figure
        self.scene = build_scene(figure)
        self.theme = theme
        self.fast = fast
        self._place = _arrange(self.scene)
        self._background = None
        self._build()

    # -- public ----------------------------------------------------------------------------------

    @property
    def n_frames(self) -> int:
        return self.scene.n_frames

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return (self._place.width, self._place.height)

    def frame(self, index: int) -> np.ndarray:
        """One frame as an (H, W, 3) uint8 array."""
        return self._draw(self.scene.frame(index))

    def frames(self) -> Iterator[np.ndarray]:
        for state in self.scene.frames():
            yield self._draw(state)

    # -- building --------------------------------------------------------------------------------

    def _build(self) -> None:
        place, theme, scene = self._place, self.theme, self.scene
        self._fig = Figure(figsize=(place.width / 72, place.height / 72), dpi=72)
        self._fig.patch.set_facecolor(_rgba(theme, "background"))
        self._canvas = FigureCanvasAgg(self._fig)
        ax = self._fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_xlim(place.x0, place.x0 + place.width)
        ax.set_ylim(place.y0, place.y0 + place.height)
        self._ax = ax
        self._moving: list = []
        if scene.view == "numerical":
            self._build_numerical()
        else:
            self._build_arithmetic()
        # Blitting draws the moving artists over a saved background, so they must all be
        # above every still artist for the result to equal a full redraw.
        still = [a for a in self._ax.get_children() if a not in self._moving]
        assert max(a.get_zorder() for a in still) < min(a.get_zorder() for a in self._moving)
        for artist in self._moving:
            artist.set_animated(self.fast)

    def _add(self, artist, moving: bool = False):  # noqa: ANN001, ANN202
        if isinstance(artist, Text):
            self._ax.add_artist(artist)
        elif isinstance(artist, Polygon):
            self._ax.add_patch(artist)
        else:
            self._ax.add_collection(artist, autolim=False)
        if moving:
            self._moving.append(artist)
        return artist

    def _input_plane(self) -> None:
        """The padded input: a plain face, the dashed grid, then the real cells."""
        theme, plane, roles = self.theme, self._place.inp, self.scene.roles
        rows, cols = roles.shape
        self._add(
            Polygon(
                plane.corners(),
                closed=True,
                facecolor=_rgba(theme, "padding"),
                edgecolor="none",
                zorder=1,
            )
        )
        if (roles != Role.INPUT).any():
            self._add(
                LineCollection(
                    plane.grid_lines(0, 0, rows, cols),
                    colors=[_rgba(theme, "grid")],
                    linewidths=_LINE,
                    linestyles=[_DASH],
                    zorder=2,
                )
            )
        real = np.argwhere(roles == Role.INPUT)
        self._add(
            PolyCollection(
                plane.cells(real),
                facecolors=[_rgba(theme, "input")],
                edgecolors=[_rgba(theme, "grid")],
                linewidths=_LINE,
                zorder=3,
            )
        )

    def _build_arithmetic(self) -> None:
        theme, place = self.theme, self._place
        shade = _rgba(theme, "shade", theme.shade_alpha)
        grid = _rgba(theme, "grid")
        self._input_plane()
        ho, wo = self.scene.output_shape
        self._taps = self._add(
            PolyCollection([], facecolors=[shade], edgecolors="none", linewidths=0, zorder=4),
            moving=True,
        )
        self._box_grid = self._add(
            LineCollection([], colors=[grid], linewidths=_LINE, zorder=5), moving=True
        )
        self._rays = self._add(
            LineCollection([], colors=[_rgba(theme, "projection")], linewidths=_THIN, zorder=6),
            moving=True,
        )
        # The output plane is still, but it must hide the rays' upper ends, so it is redrawn
        # above them every frame.
        out_cells = np.argwhere(np.ones((ho, wo), dtype=bool))
        self._add(
            PolyCollection(
                place.out.cells(out_cells),
                facecolors=[_rgba(theme, "output")],
                edgecolors=[grid],
                linewidths=_LINE,
                zorder=7,
            ),
            moving=True,
        )
        self._current = self._add(
            Polygon(np.zeros((4, 2)), closed=True, facecolor=shade, edgecolor="none", zorder=8),
            moving=True,
        )

    def _build_numerical(self) -> None:
        theme, place, scene = self.theme, self._place, self.scene
        shade = _rgba(theme, "shade", theme.shade_alpha)
        grid = _rgba(theme, "grid")
        text = _rgba(theme, "text")
        plane, roles = place.inp, scene.roles
        # Padding cells: a plain face with a dashed border each, as in the reference.
        pad = np.argwhere(roles != Role.INPUT)
        if len(pad):
            self._add(
                PolyCollection(
                    plane.cells(pad),
                    facecolors=[_rgba(theme, "padding")],
                    edgecolors=[grid],
                    linewidths=_LINE,
                    linestyles=[_DASH],
                    zorder=1,
                )
            )
        real = np.argwhere(roles == Role.INPUT)
        self._add(
            PolyCollection(
                plane.cells(real),
                facecolors=[_rgba(theme, "input")],
                edgecolors=[grid],
                linewidths=_LINE,
                zorder=2,
            )
        )
        # The shades go over the numbers (which stay legible) so that only they move.
        self._taps = self._add(
            PolyCollection([], facecolors=[shade], edgecolors="none", linewidths=0, zorder=5),
            moving=True,
        )
        values = scene.input_values
        assert values is not None and scene.output_values is not None
        for (r, c), value in np.ndenumerate(values):
            x, y = plane.center(r, c)
            self._add(
                Text(
                    x,
                    y,
                    _fmt_input(value),
                    ha="center",
                    va="center",
                    color=text,
                    fontproperties=_FONT,
                    fontsize=17,
                    zorder=4,
                )
            )
        n_taps = scene.spec.kernel_size[0] * scene.spec.kernel_size[1]
        self._weights = [
            self._add(
                Text(
                    0,
                    0,
                    "",
                    ha="center",
                    va="center",
                    color=text,
                    fontproperties=_FONT,
                    fontsize=10,
                    zorder=6,
                ),
                moving=True,
            )
            for _ in range(n_taps if scene.kernel_weights is not None else 0)
        ]
        ho, wo = scene.output_shape
        out_cells = np.argwhere(np.ones((ho, wo), dtype=bool))
        self._add(
            PolyCollection(
                place.out.cells(out_cells),
                facecolors=[_rgba(theme, "output")],
                edgecolors=[grid],
                linewidths=_LINE,
                zorder=2,
            )
        )
        self._current = self._add(
            Polygon(np.zeros((4, 2)), closed=True, facecolor=shade, edgecolor="none", zorder=5),
            moving=True,
        )
        for (r, c), value in np.ndenumerate(scene.output_values):
            x, y = place.out.center(r, c)
            self._add(
                Text(
                    x,
                    y,
                    _fmt_output(value),
                    ha="center",
                    va="center",
                    color=text,
                    fontproperties=_FONT,
                    fontsize=11,
                    zorder=4,
                )
            )

    # -- drawing ---------------------------------------------------------------------------------

    def _update(self, state: FrameState) -> None:
        place, scene = self._place, self.scene
        self._taps.set_verts(place.inp.cells(state.taps))
        self._current.set_xy(place.out.cell(*state.out))
        if scene.view == "numerical":
            if state.tap_weights is not None:
                size = _NUM_CELL
                for label, (r, c), w in zip(self._weights, state.taps, state.tap_weights):
                    x, y = place.inp.cell(r, c)[0]
                    label.set_position((x + 0.8 * size, y + 0.2 * size))
                    label.set_text(_fmt_input(w))
            return
        r0, c0, r1, c1 = state.box
        self._box_grid.set_segments(place.inp.grid_lines(r0, c0, r1, c1))
        below = place.inp.box(r0, c0, r1, c1)
        above = place.out.box(state.out[0], state.out[1], state.out[0] + 1, state.out[1] + 1)
        self._rays.set_segments([np.array([a, b]) for a, b in zip(below, above)])

    def _draw(self, state: FrameState) -> np.ndarray:
        self._update(state)
        canvas = self._canvas
        if not self.fast:
            canvas.draw()
        else:
            if self._background is None:
                canvas.draw()
                self._background = canvas.copy_from_bbox(self._fig.bbox)
            else:
                canvas.restore_region(self._background)
            for artist in self._moving:
                self._ax.draw_artist(artist)
        return np.asarray(canvas.buffer_rgba())[..., :3].copy()


_LABEL_HEIGHT = 34
_GAP = 10


class CompareRenderer:
    """Several figures side by side, frames in lockstep; a shorter one holds its last frame."""

    def __init__(self, spec: CompareSpec, theme: Theme = CLASSIC, fast: bool = True):
        self.spec = spec
        self.theme = theme
        self.members = [FigureRenderer(m, theme, fast) for m in spec.members]
        widths = [m.size[0] for m in self.members]
        self._height = max(m.size[1] for m in self.members)
        self._x = np.concatenate([[0], np.cumsum(np.array(widths) + _GAP)])[:-1].tolist()
        self._width = sum(widths) + _GAP * (len(widths) - 1)
        self._labels = self._draw_labels(widths)

    @property
    def n_frames(self) -> int:
        return max(m.n_frames for m in self.members)

    @property
    def size(self) -> tuple[int, int]:
        return (self._width, self._height + _LABEL_HEIGHT)

    def _draw_labels(self, widths: list[int]) -> np.ndarray:
        fig = Figure(figsize=(self._width / 72, _LABEL_HEIGHT / 72), dpi=72)
        fig.patch.set_facecolor(_rgba(self.theme, "background"))
        canvas = FigureCanvasAgg(fig)
        for x, w, label in zip(self._x, widths, self.spec.labels):
            fig.text(
                (x + w / 2) / self._width,
                0.4,
                label,
                ha="center",
                va="center",
                color=_rgba(self.theme, "text"),
                fontproperties=_FONT,
                fontsize=20,
            )
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())[..., :3].copy()

    def frames(self) -> Iterator[np.ndarray]:
        streams = [m.frames() for m in self.members]
        last: list[np.ndarray | None] = [None] * len(streams)
        for _ in range(self.n_frames):
            canvas = np.empty((self._height + _LABEL_HEIGHT, self._width, 3), dtype=np.uint8)
            canvas[...] = self.theme.rgb("background")
            canvas[:_LABEL_HEIGHT] = self._labels
            for k, stream in enumerate(streams):
                frame = next(stream, None)
                if frame is None:
                    frame = last[k]
                last[k] = frame
                assert frame is not None
                h, w = frame.shape[:2]
                top = _LABEL_HEIGHT + self._height - h  # members stand on a common baseline
                canvas[top : top + h, self._x[k] : self._x[k] + w] = frame
            yield canvas

    def frame(self, index: int) -> np.ndarray:
        for k, frame in enumerate(self.frames()):
            if k == index:
                return frame
        raise IndexError(index)


def renderer_for(target: FigureSpec | CompareSpec, theme: Theme = CLASSIC, fast: bool = True):  # noqa: ANN201
    """The renderer of a figure or a comparison."""
    if isinstance(target, CompareSpec):
        return CompareRenderer(target, theme, fast)
    return FigureRenderer(target, theme, fast)


def _pixel(renderer: FigureRenderer, point: np.ndarray) -> tuple[int, int]:
    """Image (row, col) of a point given in the renderer's pixel-valued data coordinates."""
    place = renderer._place
    x, y = point
    return (int(place.height - (y - place.y0)), int(x - place.x0))


def cell_pixel(renderer: FigureRenderer, plane: str, row: int, col: int) -> tuple[int, int]:
    """Image (row, col) of the centre of a cell of the ``"input"`` or ``"output"`` plane."""
    grid = renderer._place.inp if plane == "input" else renderer._place.out
    return _pixel(renderer, grid.center(row, col))
