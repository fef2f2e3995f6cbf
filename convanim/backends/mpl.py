"""The matplotlib backend: a ``Picture`` drawn by Agg into raster frames, or as vector artists
into any matplotlib figure (PDF and SVG storyboards).

Frames use blitting: the static layer is drawn once; each frame restores, from a cached
background that holds only the static primitives below the frame's moving ones, the rectangle
the moving primitives cover — grown to take in every static primitive above them that overlaps
it — and draws those primitives again in depth order. The result equals a full redraw of the
same primitives (``fast=False``), which a test checks. Colours are snapped to a palette derived
from the picture's roles (``convanim.backends.palette``), so a GIF stores every colour exactly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.text import Text as MplText
from matplotlib.transforms import Affine2D, Bbox, IdentityTransform, Transform, TransformedBbox

from convanim.backends import opacity, resolve
from convanim.backends.palette import palette_of, snapper
from convanim.model.themes import Theme
from convanim.scene.display import (
    Box,
    Fill,
    Picture,
    Polygons,
    Primitive,
    Segments,
    Text,
    TextMetrics,
    in_depth_order,
    union,
)

FONTS = {
    "serif": FontProperties(family=["cmr10", "DejaVu Serif", "serif"]),
    "sans": FontProperties(family=["DejaVu Sans", "sans-serif"]),
    "mono": FontProperties(family=["DejaVu Sans Mono", "monospace"]),
}
_EMPTY = Path(np.zeros((1, 2)), [Path.MOVETO])


def rgba(theme: Theme, fill: Fill, alpha: float = 1.0) -> tuple[float, float, float, float]:
    r, g, b = resolve(theme, fill)
    return (r / 255, g / 255, b / 255, alpha * opacity(theme, fill))


def artist(prim: Primitive, theme: Theme, transform: Transform, figure: Figure):  # noqa: ANN201
    """The matplotlib artist that draws one primitive."""
    if isinstance(prim, Polygons):
        made = _polygons(prim, theme)
    elif isinstance(prim, Segments):
        made = _segments(prim, theme)
    else:
        made = MplText(
            prim.x, prim.y, prim.text, ha=prim.ha, va=prim.va, rotation=prim.rotation,
            rotation_mode="anchor", color=rgba(theme, prim.role), fontproperties=FONTS[prim.font],
            fontsize=prim.size,
        )  # fmt: skip
    made.set_zorder(prim.depth)
    made.set_transform(transform)
    made.set_figure(figure)
    return made


def _polygons(prim: Polygons, theme: Theme):  # noqa: ANN202
    if isinstance(prim.fill, tuple):
        fills: list = [rgba(theme, f, prim.alpha) for f in prim.fill]
    else:
        fills = [rgba(theme, prim.fill, prim.alpha) if prim.fill else "none"]
    if prim.edge is None and len(fills) == 1:
        # One compound path: translucent fills that touch show no seams and never add up.
        return PathPatch(_quads(prim.points), facecolor=fills[0], edgecolor="none", linewidth=0)
    style = {"linestyles": [(0, _dashes(prim.dash, prim.width))]} if prim.dash else {}
    edge = [rgba(theme, prim.edge)] if prim.edge else "none"
    return PolyCollection(
        list(prim.points), facecolors=fills, edgecolors=edge,
        linewidths=prim.width if prim.edge else 0, **style,
    )  # fmt: skip


def _segments(prim: Segments, theme: Theme):  # noqa: ANN202
    colour = rgba(theme, prim.role, prim.alpha)
    if prim.dash:
        return LineCollection(
            list(prim.points), colors=[colour], linewidths=prim.width,
            linestyles=[(0, _dashes(prim.dash, prim.width))],
        )  # fmt: skip
    path = _EMPTY
    if len(prim.points):
        verts = np.asarray(prim.points, dtype=float).reshape(-1, 2)
        path = Path(verts, [Path.MOVETO, Path.LINETO] * len(prim.points))
    return PathPatch(path, fill=False, edgecolor=colour, linewidth=prim.width, capstyle="butt")


def _dashes(dash: tuple[float, float], width: float) -> tuple[float, float]:
    # matplotlib scales dash patterns by the line width; the display list gives pixels.
    return (dash[0] / width, dash[1] / width) if width else dash


def _quads(points: np.ndarray) -> Path:
    if len(points) == 0:
        return _EMPTY
    n, k, _ = points.shape
    verts = np.concatenate([points, points[:, :1]], axis=1).reshape(-1, 2)
    codes = [Path.MOVETO] + [Path.LINETO] * (k - 1) + [Path.CLOSEPOLY]
    return Path(verts, codes * n)


class MplMetrics(TextMetrics):
    """Text extents as Agg draws them."""

    def __init__(self) -> None:
        self._figure = Figure(dpi=72)
        self._renderer = FigureCanvasAgg(self._figure).get_renderer()
        self._cache: dict[tuple[str, float, str], tuple[float, float, float]] = {}

    def measure(self, text: str, size: float, font: str = "serif") -> tuple[float, float, float]:
        key = (text, size, font)
        if key not in self._cache:
            probe = MplText(0, 0, text, fontproperties=FONTS[font], fontsize=size)
            probe.set_figure(self._figure)
            width, height, descent = self._renderer.get_text_width_height_descent(
                text, probe.get_fontproperties(), ismath=False
            )
            self._cache[key] = (float(width), float(height - descent), float(descent))
        return self._cache[key]


class MplFrames:
    """Raster frames of a picture."""

    def __init__(
        self, picture: Picture, theme: Theme, transparent: bool = False, fast: bool = True
    ) -> None:
        self.picture = picture
        self.theme = theme
        self.transparent = transparent
        self.fast = fast
        width, height = picture.width, picture.height
        self._figure = Figure(figsize=(width / 72, height / 72), dpi=72)
        self._figure.patch.set_facecolor(
            rgba(theme, picture.background, 0.0 if transparent else 1.0)
        )
        self._canvas = FigureCanvasAgg(self._figure)
        # Display-list pixels have y down; Agg's have y up.
        self._transform = Affine2D().scale(1, -1).translate(0, height)
        self._static = [
            artist(p, theme, self._transform, self._figure) for p in in_depth_order(picture.static)
        ]
        self._static_prims = in_depth_order(picture.static)
        for made in self._static:
            self._figure.add_artist(made)
        palette = palette_of(picture, theme)
        self._snap = snapper(palette) if palette is not None else _rgb
        self._backgrounds: dict[float, np.ndarray] = {}
        self._still: np.ndarray | None = None
        self._boxes: list[Box | None] | None = None

    @property
    def size(self) -> tuple[int, int]:
        return (self.picture.width, self.picture.height)

    @property
    def n_frames(self) -> int:
        return self.picture.n_frames

    def frames(self) -> Iterator[np.ndarray]:
        for index in range(self.n_frames):
            yield self.frame(index)

    def frame(self, index: int) -> np.ndarray:
        moving = in_depth_order(self.picture.frame(index))
        artists = [artist(p, self.theme, self._transform, self._figure) for p in moving]
        if not self.fast:
            return self._full(artists)
        still = self._still_frame()
        if not moving:
            return still.copy()
        depth = moving[0].depth
        under = self._background(depth)
        region = union([self._box(p, a) for p, a in zip(moving, artists)])
        if region is None:
            return still.copy()
        top, bottom, left, right = self._clip(region)
        if top >= bottom or left >= right:
            return still.copy()
        boxes = self._static_boxes()
        # Static primitives above the moving ones are drawn again, clipped to the region: only
        # those that reach into it, and only there, so the region never grows.
        over = [
            k
            for k, prim in enumerate(self._static_prims)
            if prim.depth > depth and _overlaps(boxes[k], region)
        ]
        buffer = np.asarray(self._canvas.buffer_rgba())
        buffer[top:bottom, left:right] = under[top:bottom, left:right]
        height = self.picture.height
        clip = TransformedBbox(
            Bbox([[left, height - bottom], [right, height - top]]), IdentityTransform()
        )
        drawn = sorted(
            [(self._static_prims[k].depth, 0, n, self._static[k]) for n, k in enumerate(over)]
            + [(p.depth, 1, n, a) for n, (p, a) in enumerate(zip(moving, artists))],
            key=lambda item: item[:3],
        )
        for *_, made in drawn:
            made.set_clip_box(clip)
            self._figure.draw_artist(made)
            made.set_clip_box(None)
        frame = still.copy()
        frame[top:bottom, left:right] = self._pixels(buffer[top:bottom, left:right])
        return frame

    # -- helpers -----------------------------------------------------------------------------

    def _full(self, artists: Sequence) -> np.ndarray:
        for made in artists:
            self._figure.add_artist(made)
        self._canvas.draw()
        for made in artists:
            made.remove()
        return self._pixels(np.asarray(self._canvas.buffer_rgba()).copy())

    def _pixels(self, rgba_pixels: np.ndarray) -> np.ndarray:
        rgb = self._snap(rgba_pixels)
        if not self.transparent:
            return rgb
        return np.concatenate([rgb, rgba_pixels[..., 3:]], axis=-1)

    def _still_frame(self) -> np.ndarray:
        if self._still is None:
            self._canvas.draw()
            self._still = np.ascontiguousarray(
                self._pixels(np.asarray(self._canvas.buffer_rgba()).copy())
            )
        return self._still

    def _background(self, depth: float) -> np.ndarray:
        """The static primitives drawn before anything at ``depth`` (ties: static first)."""
        if depth not in self._backgrounds:
            for prim, made in zip(self._static_prims, self._static):
                made.set_visible(prim.depth <= depth)
            self._canvas.draw()
            for made in self._static:
                made.set_visible(True)
            self._backgrounds[depth] = np.asarray(self._canvas.buffer_rgba()).copy()
        return self._backgrounds[depth]

    def _static_boxes(self) -> list[Box | None]:
        if self._boxes is None:
            self._boxes = [self._box(p, a) for p, a in zip(self._static_prims, self._static)]
        return self._boxes

    def _box(self, prim: Primitive, made) -> Box | None:  # noqa: ANN001 - its artist
        """Where a primitive draws, with a margin for antialiasing: polygons and lines from
        the display list, text as Agg lays it out (hinting, rotation)."""
        if isinstance(prim, Text):
            extent = made.get_window_extent(self._canvas.get_renderer())
            height = self.picture.height
            box: Box | None = (extent.x0, height - extent.y1, extent.x1, height - extent.y0)
        else:
            box = prim.bounds()
        if box is None:
            return None
        return (box[0] - 3, box[1] - 3, box[2] + 3, box[3] + 3)

    def _clip(self, box: Box) -> tuple[int, int, int, int]:
        left, top, right, bottom = box
        width, height = self.size
        return (
            max(int(np.floor(top)), 0),
            min(int(np.ceil(bottom)), height),
            max(int(np.floor(left)), 0),
            min(int(np.ceil(right)), width),
        )


def _rgb(rgba_pixels: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgba_pixels[..., :3])


def _overlaps(box: Box | None, region: Box) -> bool:
    if box is None:
        return False
    return box[0] < region[2] and region[0] < box[2] and box[1] < region[3] and region[1] < box[3]


def write_still(
    picture: Picture,
    theme: Theme,
    target: object,
    fmt: str,
    dpi: float = 144,
    transparent: bool = False,
    index: int | None = None,
    crisp: bool = False,
) -> None:
    """Save one frame (or, with ``index`` None, the static layer alone) as PNG, PDF or SVG to
    ``target`` (a path or a binary file). PDF and SVG stay vector: a pixel of the display list
    is a point. Metadata is pinned so that the same picture gives the same bytes. ``crisp``
    turns antialiasing off (shapes and text)."""
    from matplotlib import rc_context

    width, height = picture.size
    figure = Figure(figsize=(width / 72, height / 72), dpi=72)
    figure.patch.set_facecolor(rgba(theme, picture.background, 0.0 if transparent else 1.0))
    FigureCanvasAgg(figure)
    transform = Affine2D().scale(1, -1).translate(0, height).scale(1 / 72) + figure.dpi_scale_trans
    prims = [*picture.static, *(picture.frame(index) if index is not None else ())]
    for prim in in_depth_order(prims):
        made = artist(prim, theme, transform, figure)
        if crisp:
            made.set_antialiased(False)
        figure.add_artist(made)
    meta = {
        "png": {"Software": None},
        "pdf": {"CreationDate": None, "Producer": None},
        "svg": {"Date": None},
    }[fmt]
    # SVG ids from a fixed salt.
    with rc_context({"svg.hashsalt": "convanim", "text.antialiased": not crisp}):
        figure.savefig(target, format=fmt, dpi=dpi, metadata=meta, transparent=transparent)
