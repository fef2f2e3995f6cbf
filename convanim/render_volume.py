"""Channel figures to pixels: the volume view, the schematic, numbers per channel, sequences.

The scenes come from ``convanim.channels``; this module decides where things go and draws them
with the conventions of ``convanim.render`` (whose constants and helpers it imports): Agg
through ``matplotlib.figure.Figure``, no pyplot, dpi 72 so that a point is a pixel and data
units are pixels, whole-pixel oblique vectors, still artists drawn once and the moving ones
blitted over them, frames as (H, W, 3) uint8 arrays from a generator.

* **Volume**: the input as a block of H x W x C_in cells, channel 0 on top, each channel a slab
  in its own tint; the output block above it; the filters beside them. Each frame shows the
  kernel's k_h x k_w x (C_in / groups) footprint as a column cut out of the input block, the
  output column (or cell) it writes cut out of the output block, the projection lines between
  them and, one output channel at a time, the filter in use.
* **Schematic**: blocks without cells, their sizes written on them, one filter: for layers too
  big to draw cell by cell. The kernel is shown at a few positions.
* **Numbers**: flat maps side by side, one per channel, the filters' weights per channel, and
  the current output value written out as a sum over the input channels.
* **Sequence**: the stages one after another, each under a caption.

With ``groups > 1`` every group (its input channels, filters and output channels) takes its own
Solarized hue; within a group the channels run from the hue towards white.

Everything is placed before the canvas exists (a ``_Sketch`` of points and labels), so that
the canvas fits what is drawn, text included, in whole pixels.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.textpath import TextToPath

from convanim.channels import (
    ChannelFrame,
    ChannelScene,
    Term,
    build_channel_scene,
    build_sequence,
    channel_depth,
)
from convanim.geometry import Role
from convanim.render import (
    _DASH,
    _EX,
    _EY,
    _FONT,
    _LINE,
    _MARGIN,
    _NUM_CELL,
    _THIN,
    _UNIT,
    _fmt_input,
    _fmt_output,
    _Plane,
    _rgba,
)
from convanim.render import renderer_for as _planar_renderer_for
from convanim.spec import FigureSpec, SequenceSpec
from convanim.themes import CLASSIC, Theme, hex_to_rgb

Colour = tuple[float, float, float, float]

# Group hues (Solarized accents), blue first so that a single group keeps the reference's.
_GROUP_HUES = ("#268BD2", "#D33682", "#B58900", "#859900", "#6C71C4", "#CB4B16", "#DC322F")
_LIGHTEST = 0.55  # the last channel of a group is mixed this far towards white
_FADED = 0.6  # filters not in use are mixed this far towards the background
_TEXT = 15  # labels and captions
_SMALL = 11  # channel and filter names
_CAPTION_GAP = 28  # from the drawing's top to the caption line
_SLOPE = math.degrees(math.atan2(_EX[1], _EX[0]))  # of text written along a block's right face

# Face kinds, and how bright each is, so that a block reads as a solid lit from above.
_TOP, _RIGHT, _LEFT = 0, 1, 2
_BRIGHTNESS = {_TOP: 1.0, _RIGHT: 0.88, _LEFT: 0.76}


def _mix(a: np.ndarray | Sequence[float], b: np.ndarray | Sequence[float], t: float) -> np.ndarray:
    return (1 - t) * np.asarray(a, float) + t * np.asarray(b, float)


def _colour(rgb: np.ndarray) -> Colour:
    r, g, b = (int(round(float(v))) for v in rgb)
    return (r / 255, g / 255, b / 255, 1.0)


# The Computer Modern face of render._FONT puts other glyphs where ASCII has < > | (TeX's
# encoding); words from templates are written with these instead.
_GLYPHS = str.maketrans({"<": "‹", ">": "›", "|": "¦"})


def _printable(text: str) -> str:
    return text.replace("->", "→").replace("<-", "←").translate(_GLYPHS)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _dims(*sides: int) -> str:
    return " x ".join(str(s) for s in sides)


def _channel_words(channels: Sequence[int]) -> str:
    if len(channels) == 1:
        return f"channel {channels[0]}"
    return f"channels {channels[0]}-{channels[-1]}"


class _Palette:
    """The colours of one channel figure, as RGB 0-255 arrays."""

    def __init__(self, theme: Theme, scene: ChannelScene, inputs: np.ndarray | None = None) -> None:
        self.theme = theme
        self.white = np.array(theme.rgb("padding"), float)
        self.background = np.array(theme.rgb("background"), float)
        self.shade = np.array(theme.rgb("shade"), float)
        if scene.groups == 1:
            ins, outs = [theme.rgb("input")], [theme.rgb("output")]
        else:
            ins = [hex_to_rgb(_GROUP_HUES[g % len(_GROUP_HUES)]) for g in range(scene.groups)]
            outs = ins
        # A sequence may hand on the colours of the previous stage's output.
        self.input = self._ramp(ins, scene.input_groups) if inputs is None else inputs
        self.output = self._ramp(outs, scene.output_groups)
        self.input_hues = np.array(ins, float)
        self.output_hues = np.array(outs, float)

    @staticmethod
    def _ramp(hues: list[tuple[int, int, int]], groups: np.ndarray) -> np.ndarray:
        """Each channel its group's hue, lighter the later it comes in its group; vectorised,
        as a depthwise layer may have tens of thousands of groups."""
        groups = np.asarray(groups, dtype=int)
        order = np.argsort(groups, kind="stable")
        ranked = groups[order]
        ranks = np.empty(len(groups), dtype=int)
        ranks[order] = np.arange(len(groups)) - np.searchsorted(ranked, ranked, side="left")
        sizes = np.bincount(groups)[groups]
        t = (_LIGHTEST * ranks / np.maximum(sizes - 1, 1))[:, None]
        base = np.asarray(hues, float)[groups]
        return np.round((1 - t) * base + t * np.array([255.0, 255.0, 255.0]))

    def shaded(self, rgb: np.ndarray) -> np.ndarray:
        """The reference's shade over a colour: 0.6 c + 0.4 #073642."""
        return np.round(_mix(rgb, self.shade, self.theme.shade_alpha))

    def faded(self, rgb: np.ndarray) -> np.ndarray:
        return np.round(_mix(rgb, self.background, _FADED))


# -- placing things before drawing them --------------------------------------------------------

_TEXT_PATH = TextToPath()


@dataclass
class _Label:
    """A line of text, centred vertically on (x, y); ``ha`` as matplotlib's."""

    x: float
    y: float
    text: str
    size: float = _TEXT
    ha: str = "center"
    rotation: float = 0.0
    color: Colour | None = None

    def corners(self) -> np.ndarray:
        """The text's box in pixels (measured with the font, so the canvas fits it)."""
        prop = _FONT.copy()
        prop.set_size(self.size)
        width, height, _ = _TEXT_PATH.get_text_width_height_descent(self.text, prop, False)
        height = max(height, self.size)
        left = {"left": 0.0, "center": -width / 2, "right": -width}[self.ha]
        box = np.array(
            [[left, -height / 2], [left + width, -height / 2], [left + width, height / 2]]
            + [[left, height / 2]]
        )
        turn = math.radians(self.rotation)
        rot = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
        return box @ rot.T + (self.x, self.y)


class _Sketch:
    """Points and labels of a frame, collected before the canvas is made to fit them."""

    def __init__(self) -> None:
        self.points: list[np.ndarray] = []
        self.labels: list[_Label] = []

    def add(self, points: np.ndarray) -> None:
        self.points.append(np.atleast_2d(np.asarray(points, float)))

    def label(self, *args, **kwargs) -> _Label:  # noqa: ANN002, ANN003 - _Label's fields
        label = _Label(*args, **kwargs)
        self.labels.append(label)
        return label

    def extent(self) -> tuple[np.ndarray, np.ndarray]:
        pts = np.concatenate(self.points + [lab.corners() for lab in self.labels])
        return pts.min(axis=0), pts.max(axis=0)

    def caption(self, texts: Sequence[str]) -> _Label:
        """A caption line above everything, as wide as the longest of ``texts``."""
        lo, hi = self.extent()
        longest = max(texts, key=len)
        return self.label(lo[0], hi[1] + _CAPTION_GAP, longest, ha="left")


class _Canvas:
    """A figure of whole pixels with still and moving artists, blitted as render's is."""

    def __init__(self, sketch: _Sketch, theme: Theme, fast: bool) -> None:
        lo, hi = sketch.extent()
        lo = np.floor(lo).astype(int) - _MARGIN
        hi = np.ceil(hi).astype(int) + _MARGIN
        self.width, self.height = int(hi[0] - lo[0]), int(hi[1] - lo[1])
        self.x0, self.y0 = int(lo[0]), int(lo[1])
        self.theme, self.fast = theme, fast
        self._fig = Figure(figsize=(self.width / 72, self.height / 72), dpi=72)
        self._fig.patch.set_facecolor(_rgba(theme, "background"))
        self._canvas = FigureCanvasAgg(self._fig)
        ax = self._fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_xlim(self.x0, self.x0 + self.width)
        ax.set_ylim(self.y0, self.y0 + self.height)
        self._ax = ax
        self._moving: list = []
        self._background = None

    def add(self, artist, moving: bool = False):  # noqa: ANN001, ANN201
        if isinstance(artist, Text):
            self._ax.add_artist(artist)
        else:
            self._ax.add_collection(artist, autolim=False)
        if moving:
            self._moving.append(artist)
        return artist

    def text(self, label: _Label, zorder: float = 9, moving: bool = False) -> Text:
        color = label.color or _rgba(self.theme, "text")
        artist = Text(
            label.x,
            label.y,
            label.text,
            ha=label.ha,
            va="center",
            rotation=label.rotation,
            rotation_mode="anchor",
            color=color,
            fontproperties=_FONT,
            fontsize=label.size,
            zorder=zorder,
        )
        return self.add(artist, moving)

    def polys(
        self,
        zorder: float,
        quads: list[np.ndarray] | None = None,
        colours: list[Colour] | None = None,
        moving: bool = False,
        dashed: bool = False,
    ) -> PolyCollection:
        style = {"linestyles": [_DASH]} if dashed else {}
        coll = PolyCollection(
            [], edgecolors=[_rgba(self.theme, "grid")], linewidths=_LINE, zorder=zorder, **style
        )
        _fill(coll, quads or [], colours or [])
        return self.add(coll, moving)

    def rays(self, zorder: float) -> LineCollection:
        colour = _rgba(self.theme, "projection")
        return self.add(LineCollection([], colors=[colour], linewidths=_THIN, zorder=zorder), True)

    def finish(self) -> None:
        # Blitting draws the moving artists over a saved background, so they must all be
        # above every still artist for the result to equal a full redraw.
        still = [a for a in self._ax.get_children() if a not in self._moving]
        assert max(a.get_zorder() for a in still) < min(a.get_zorder() for a in self._moving)
        for artist in self._moving:
            artist.set_animated(self.fast)

    def render(self) -> np.ndarray:
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


def _fill(collection: PolyCollection, quads: list[np.ndarray], colours: list[Colour]) -> None:
    collection.set_verts(quads)
    collection.set_facecolor(colours if colours else "none")


# -- blocks ----------------------------------------------------------------------------------

Face = tuple[np.ndarray, int, int, tuple[int, int]]  # quad, face kind, channel, (row, col)


class _Block:
    """A block of rows x cols x depth cells in the oblique view, channel 0 on top.

    Plane coordinates are render's: x along the columns, y up the rows (row 0 at the back),
    and z up in pixels, ``slab`` pixels per channel. Schematic blocks have fractional sides.
    """

    def __init__(
        self, rows: float, cols: float, depth: int, slab: float, origin: Sequence[float]
    ) -> None:
        self.rows, self.cols, self.depth, self.slab = rows, cols, depth, slab
        self.origin = np.asarray(origin, dtype=float)

    @property
    def height(self) -> float:
        return self.depth * self.slab

    def z(self, channel: int) -> float:
        """Height of the top of a channel's slab (the bottom of the next one)."""
        return (self.depth - channel) * self.slab

    def point(self, x: float, y: float, z: float) -> np.ndarray:
        return self.origin + x * _EX + y * _EY + np.array([0.0, z])

    def y_of(self, row: float) -> float:
        return self.rows - 1 - row

    def right_face(self, x0: float, x1: float, y: float, z0: float, z1: float) -> np.ndarray:
        """Upright, at plane-y ``y`` from x0 to x1: it faces the lower right."""
        p = self.point
        return np.array([p(x0, y, z0), p(x1, y, z0), p(x1, y, z1), p(x0, y, z1)])

    def left_face(self, x: float, y0: float, y1: float, z0: float, z1: float) -> np.ndarray:
        """Upright, at plane-x ``x`` from y0 to y1: it faces the lower left."""
        p = self.point
        return np.array([p(x, y0, z0), p(x, y1, z0), p(x, y1, z1), p(x, y0, z1)])

    def top_face(self, x0: float, y0: float, x1: float, y1: float, z: float) -> np.ndarray:
        p = self.point
        return np.array([p(x0, y0, z), p(x1, y0, z), p(x1, y1, z), p(x0, y1, z)])

    def rect(self, r0: float, c0: float, r1: float, c1: float, z: float) -> np.ndarray:
        """Corners of rows r0..r1, cols c0..c1 at height z in render's order: top-left,
        top-right, bottom-right, bottom-left as seen on the flat grid."""
        return self.top_face(c0, self.rows - r0, c1, self.rows - r1, z)[[3, 2, 1, 0]]

    def corners(self) -> np.ndarray:
        xs, ys, zs = (0, self.cols), (0, self.rows), (0, self.height)
        return np.array([self.point(x, y, z) for x in xs for y in ys for z in zs])

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        pts = self.corners()
        return pts.min(axis=0), pts.max(axis=0)

    def faces(self) -> list[Face]:
        """The visible cells of the whole block: the front row's and the front column's upright
        cells and the top layer (they do not overlap, so their order does not matter)."""
        rows, cols = int(self.rows), int(self.cols)
        faces: list[Face] = []
        for channel in range(self.depth):
            z0, z1 = self.z(channel + 1), self.z(channel)
            for col in range(cols):
                quad = self.right_face(col, col + 1, 0, z0, z1)
                faces.append((quad, _RIGHT, channel, (rows - 1, col)))
            for row in range(rows):
                y = self.y_of(row)
                faces.append((self.left_face(0, y, y + 1, z0, z1), _LEFT, channel, (row, 0)))
        for row in range(rows):
            y = self.y_of(row)
            for col in range(cols):
                quad = self.top_face(col, y, col + 1, y + 1, self.z(0))
                faces.append((quad, _TOP, 0, (row, col)))
        return faces

    def columns(self, cells: np.ndarray, first: int, last: int) -> list[Face]:
        """The visible faces of unit columns through channels first..last at ``cells``
        (row, col), painted back to front so that the cut-out looks solid."""
        faces: list[Face] = []
        # Farther is a larger column and a smaller row: paint by ascending row - col.
        order = sorted({(int(r), int(c)) for r, c in cells}, key=lambda rc: rc[0] - rc[1])
        for row, col in order:
            y = self.y_of(row)
            for channel in range(last, first - 1, -1):
                z0, z1 = self.z(channel + 1), self.z(channel)
                faces.append((self.left_face(col, y, y + 1, z0, z1), _LEFT, channel, (row, col)))
                quad = self.right_face(col, col + 1, y, z0, z1)
                faces.append((quad, _RIGHT, channel, (row, col)))
            quad = self.top_face(col, y, col + 1, y + 1, self.z(first))
            faces.append((quad, _TOP, first, (row, col)))
        return faces

    def solid(self, x: tuple[float, float], y: tuple[float, float], z: tuple[float, float]):  # noqa: ANN201
        """The three visible faces of a box inside the block, as (quad, kind) pairs."""
        (x0, x1), (y0, y1), (z0, z1) = x, y, z
        return [
            (self.left_face(x0, y0, y1, z0, z1), _LEFT),
            (self.right_face(x0, x1, y0, z0, z1), _RIGHT),
            (self.top_face(x0, y0, x1, y1, z1), _TOP),
        ]


def _lid_faces(block: _Block, box: tuple[int, int, int, int], first: int) -> list[np.ndarray]:
    """The outline of the block's channels above channel ``first`` over a box of cells."""
    if first == 0:
        return []
    r0, c0, r1, c1 = box
    y = (block.rows - r1, block.rows - r0)
    return [quad for quad, _ in block.solid((c0, c1), y, (block.z(first), block.z(0)))]


# -- words -----------------------------------------------------------------------------------


def _pool_word(scene: ChannelScene) -> str:
    return "max" if scene.spec.op == "max_pool" else "average"


def _caption(scene: ChannelScene, state: ChannelFrame) -> str:
    """One line saying what the frame computes."""
    r, c = state.out
    where = f"output ({r}, {c})"
    if scene.spec.is_pool:
        if len(state.out_channels) == 1:
            o = state.out_channels[0]
            return f"{where}, channel {o}: the {_pool_word(scene)} of input channel {o} alone"
        return f"{where}: each channel pooled alone ({_pool_word(scene)})"
    if len(state.out_channels) == 1:
        o = state.out_channels[0]
        return f"{where}, channel {o} = filter f{o} over input {_channel_words(state.in_channels)}"
    if scene.groups == 1:
        return (
            f"{where}, all {scene.out_channels} channels: "
            f"each filter mixes all {scene.in_channels} input channels"
        )
    per = scene.in_channels // scene.groups
    return (
        f"{where}, all {scene.out_channels} channels: "
        f"each filter reads only its group's {_plural(per, 'channel')}"
    )


def _input_words(scene: ChannelScene) -> str:
    spec = scene.spec
    words = f"input {_dims(*spec.input_size, spec.in_channels)}"
    if scene.input_shape != spec.input_size:
        how = "with zeros and padding" if spec.is_transposed else "padded"
        words += f", {how}: {_dims(*scene.input_shape)}"
    return words


def _output_words(scene: ChannelScene) -> str:
    return f"output {_dims(*scene.output_shape, scene.out_channels)}"


def _filter_words(scene: ChannelScene) -> list[str]:
    kh, kw, per = scene.filter_shape
    if scene.spec.is_pool:
        return [f"{_pool_word(scene)} pooling {_dims(kh, kw)}", "on each channel alone"]
    lines = [f"{_plural(scene.out_channels, 'filter')} {_dims(kh, kw, per)}"]
    if scene.groups > 1:
        depthwise = scene.groups == scene.in_channels
        lines.append(f"{'depthwise: ' if depthwise else ''}groups = {scene.groups}")
    return lines


# -- renderers -------------------------------------------------------------------------------


class _ChannelRenderer:
    """Frames of a ``ChannelScene``: what every channel renderer offers."""

    scene: ChannelScene
    canvas: _Canvas

    @property
    def n_frames(self) -> int:
        return self.scene.n_frames

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return (self.canvas.width, self.canvas.height)

    def frame(self, index: int) -> np.ndarray:
        return self._draw(self.scene.frame(index))

    def frames(self) -> Iterator[np.ndarray]:
        for state in self.scene.frames():
            yield self._draw(state)

    def _draw(self, state: ChannelFrame) -> np.ndarray:
        self._update(state)
        return self.canvas.render()

    def _update(self, state: ChannelFrame) -> None:
        raise NotImplementedError

    def _captions(self) -> list[str]:
        return [_caption(self.scene, state) for state in self.scene.frames()]


class VolumeRenderer(_ChannelRenderer):
    """The input block, the output block above it and the filters beside them."""

    def __init__(
        self,
        scene: ChannelScene,
        theme: Theme = CLASSIC,
        fast: bool = True,
        inputs: np.ndarray | None = None,
    ) -> None:
        self.scene, self.theme = scene, theme
        self.colours = _Palette(theme, scene, inputs)
        (h, w), (ho, wo) = scene.input_shape, scene.output_shape
        slab = round(_UNIT * channel_depth(scene.spec))
        self.inp = _Block(h, w, scene.in_channels, slab, (0, 0))
        lo, hi = self.inp.bounds()
        # As in the reference, the output floats above the input, a little to the left.
        self.out = _Block(ho, wo, scene.out_channels, slab, (-6, hi[1] + _UNIT))
        sketch = _Sketch()
        for block in (self.inp, self.out):
            sketch.add(block.corners())
        self._channel_names(sketch)
        olo, ohi = self.out.bounds()
        sketch.label((lo[0] + hi[0]) / 2, lo[1] - 16, _input_words(scene))
        sketch.label((olo[0] + ohi[0]) / 2, ohi[1] + 16, _output_words(scene))
        right = sketch.extent()[1][0]
        self.filters = self._place_filters(sketch, right + 2 * _MARGIN, lo[1], ohi[1])
        self._caption_label = sketch.caption(self._captions())
        self.canvas = _Canvas(sketch, theme, fast)
        self._build(sketch)

    # -- layout ----------------------------------------------------------------------------------

    def _channel_names(self, sketch: _Sketch) -> None:
        """c0, c1, ... beside each block's slabs, where the slabs are thick enough to name."""
        for block in (self.inp, self.out):
            if block.slab < 12:
                continue
            for channel in range(block.depth):
                z = (block.z(channel) + block.z(channel + 1)) / 2
                x, y = block.point(block.cols, 0, z)
                sketch.label(x + 5, y, f"c{channel}", size=_SMALL, ha="left")

    def _place_filters(
        self, sketch: _Sketch, x: float, y0: float, y1: float
    ) -> list[tuple[int, _Block]]:
        """The filters in rows of up to four, f0 first, centred on the blocks' height; as many
        as fit, the rest counted."""
        scene = self.scene
        words = _filter_words(scene)
        if not scene.has_filters:
            for k, line in enumerate(words):
                sketch.label(x, (y0 + y1) / 2 - 18 * k, line, ha="left")
            return []
        kh, kw, per = scene.filter_shape
        lo, hi = _Block(kh, kw, per, self.inp.slab, (0, 0)).bounds()
        cell_w, cell_h = hi[0] - lo[0] + _MARGIN, hi[1] - lo[1] + 24
        n = scene.out_channels
        rows_fit = max(1, int((y1 - y0 - 18 * len(words)) // cell_h))
        columns = next((c for c in range(1, 5) if math.ceil(n / c) <= rows_fit), 4)
        shown = min(n, rows_fit * columns)
        rows = math.ceil(shown / columns)
        if shown < n:
            words = [*words, f"(f0-f{shown - 1} shown)"]
        # The bank and its words, centred on the middle of the blocks.
        top = (y0 + y1) / 2 + (rows * cell_h + 18 * len(words)) / 2
        placed = []
        for o in range(shown):
            row, col = divmod(o, columns)
            origin = (x - lo[0] + col * cell_w, top - (row + 1) * cell_h + 24 - lo[1])
            block = _Block(kh, kw, per, self.inp.slab, origin)
            sketch.add(block.corners())
            blo, bhi = block.bounds()
            sketch.label((blo[0] + bhi[0]) / 2, blo[1] - 11, f"f{o}", size=_SMALL)
            placed.append((o, block))
        middle = x + (columns * cell_w - _MARGIN) / 2
        bottom = top - rows * cell_h
        for k, line in enumerate(words):
            label = sketch.label(middle, bottom - 6 - 18 * k, line)
            # Centred under the bank, but never reaching back over the blocks' names.
            label.x = max(middle, x + (label.corners()[1, 0] - label.corners()[0, 0]) / 2)
        return placed

    # -- building --------------------------------------------------------------------------------

    def _build(self, sketch: _Sketch) -> None:
        scene, canvas, colours = self.scene, self.canvas, self.colours
        self._block(self.inp, colours.input, scene.roles, zorder=1)
        quads: list[np.ndarray] = []
        fills: list[Colour] = []
        for o, block in self.filters:
            q, f = self._filter_faces(block, o, in_use=False)
            quads += q
            fills += f
        if quads:
            canvas.polys(3, quads, fills)
        for label in sketch.labels:
            if label is not self._caption_label:
                canvas.text(label)
        # Moving: the footprint, the rays, the output block (redrawn above the rays so that it
        # hides their upper ends, as in the reference), the output column, the filter in use.
        self._taps = canvas.polys(10, moving=True)
        self._taps_lid = self._lid(10.5)
        self._rays = canvas.rays(11)
        out_roles = np.full(scene.output_shape, Role.INPUT, dtype=np.uint8)
        self._block(self.out, colours.output, out_roles, zorder=12, moving=True)
        self._out_cells = canvas.polys(13, moving=True)
        self._out_lid = self._lid(13.5)
        self._in_use = canvas.polys(14, moving=True)
        self._caption = canvas.text(self._caption_label, zorder=15, moving=True)
        canvas.finish()

    def _lid(self, zorder: float) -> PolyCollection:
        """The outline of the channels above a highlighted slab, so that a slab inside a block
        reads as lying under them rather than on top."""
        lid = self.canvas.polys(zorder, moving=True, dashed=True)
        lid.set_linewidth(_THIN)
        return lid

    def _block(
        self,
        block: _Block,
        tints: np.ndarray,
        roles: np.ndarray,
        zorder: float,
        moving: bool = False,
    ) -> None:
        """A block: padding cells white with a dashed grid, real cells in their channel's tint."""
        solid: tuple[list, list] = ([], [])
        dashed: tuple[list, list] = ([], [])
        for quad, kind, channel, (row, col) in block.faces():
            real = roles[row, col] == Role.INPUT
            rgb = (tints[channel] if real else self.colours.white) * _BRIGHTNESS[kind]
            target = solid if real else dashed
            target[0].append(quad)
            target[1].append(_colour(rgb))
        if dashed[0]:
            self.canvas.polys(zorder, *dashed, moving=moving, dashed=True)
        self.canvas.polys(zorder + 0.5, *solid, moving=moving)

    def _filter_faces(
        self, block: _Block, o: int, in_use: bool
    ) -> tuple[list[np.ndarray], list[Colour]]:
        """A filter's cells, each slab in the tint of the input channel it multiplies. When the
        filters take turns (one output channel a frame), shaded while in use, else faded."""
        scene, colours = self.scene, self.colours
        ins = scene.group_channels(int(scene.output_groups[o]))[0]
        quads, fills = [], []
        for quad, kind, j, _ in block.faces():
            rgb = colours.input[ins[j]]
            if scene.frame_order == "position_channel":
                rgb = colours.shaded(rgb) if in_use else colours.faded(rgb)
            quads.append(quad)
            fills.append(_colour(rgb * _BRIGHTNESS[kind]))
        return quads, fills

    # -- drawing ---------------------------------------------------------------------------------

    def _update(self, state: ChannelFrame) -> None:
        scene, colours, inp, out = self.scene, self.colours, self.inp, self.out
        first, last = state.in_channels[0], state.in_channels[-1]
        quads, fills = [], []
        for quad, kind, channel, (row, col) in inp.columns(state.taps, first, last):
            real = scene.roles[row, col] == Role.INPUT
            base = colours.input[channel] if real else colours.white
            quads.append(quad)
            fills.append(_colour(colours.shaded(base) * _BRIGHTNESS[kind]))
        _fill(self._taps, quads, fills)
        _fill(self._taps_lid, _lid_faces(inp, state.box, first), [])

        o_first, o_last = state.out_channels[0], state.out_channels[-1]
        quads, fills = [], []
        for quad, kind, channel, _ in out.columns(np.array([state.out]), o_first, o_last):
            quads.append(quad)
            fills.append(_colour(colours.shaded(colours.output[channel]) * _BRIGHTNESS[kind]))
        _fill(self._out_cells, quads, fills)
        r, c = state.out
        _fill(self._out_lid, _lid_faces(out, (r, c, r + 1, c + 1), o_first), [])

        # The reference's four lines: from the footprint's corners up to the output cell's.
        r0, c0, r1, c1 = state.box
        below = inp.rect(r0, c0, r1, c1, inp.z(first))
        above = out.rect(r, c, r + 1, c + 1, out.z(o_last + 1))
        self._rays.set_segments([np.array([a, b]) for a, b in zip(below, above)])

        quads, fills = [], []
        if scene.frame_order == "position_channel":
            for o, block in self.filters:
                if o in state.filters:
                    q, f = self._filter_faces(block, o, in_use=True)
                    quads += q
                    fills += f
        _fill(self._in_use, quads, fills)
        self._caption.set_text(_caption(scene, state))


# -- the schematic ---------------------------------------------------------------------------

_SCHEMATIC_SIDE = 6  # grid units of a schematic block's longer side
_SCHEMATIC_MIN = 0.7  # the narrowest footprint or output column drawn, in grid units
_MAX_BANDS = 48  # group bands on a schematic block, whose depth is at most 100 px


class SchematicRenderer(_ChannelRenderer):
    """Blocks with their sizes written on them, one filter, the kernel at a few positions: for
    layers too big to draw cell by cell."""

    def __init__(self, scene: ChannelScene, theme: Theme = CLASSIC, fast: bool = True) -> None:
        self.scene, self.theme = scene, theme
        self.colours = _Palette(theme, scene)
        spec = scene.spec
        (h, w), (ho, wo) = scene.input_shape, scene.output_shape
        self.inp = self._block(h, w, spec.in_channels, (0, 0))
        lo, hi = self.inp.bounds()
        self.out = self._block(ho, wo, scene.out_channels, (-6, hi[1] + 2 * _UNIT))
        olo, ohi = self.out.bounds()
        sketch = _Sketch()
        sketch.add(self.inp.corners())
        sketch.add(self.out.corners())
        self._written = [
            self._on_face(sketch, self.inp, f"input {_dims(*spec.input_size, spec.in_channels)}"),
            self._on_face(sketch, self.out, _output_words(scene)),
        ]
        x = max(hi[0], ohi[0]) + 3 * _MARGIN
        middle = (lo[1] + ohi[1]) / 2
        self.filter: _Block | None = None
        if scene.has_filters:
            kh, kw, per = scene.filter_shape
            # One filter, drawn as big as the footprint and as deep as the channels it reads.
            depth = max(12.0, self.inp.height * per / spec.in_channels)
            rows = np.diff(self._span(0, spec.effective_kernel[0], h, self.inp.rows))[0]
            cols = np.diff(self._span(0, spec.effective_kernel[1], w, self.inp.cols))[0]
            self.filter = _Block(rows, cols, 1, depth, (x + rows * -_EY[0], 0))
            flo, fhi = self.filter.bounds()
            self.filter.origin[1] = middle - (flo[1] + fhi[1]) / 2
            sketch.add(self.filter.corners())
            x = self.filter.bounds()[1][0] + 10
        for k, line in enumerate(_filter_words(scene)):
            sketch.label(x, middle + 9 - 18 * k, line, ha="left")
        self._caption_label = sketch.caption(self._captions())
        self.canvas = _Canvas(sketch, theme, fast)
        self._build(sketch)

    def _block(self, rows: int, cols: int, channels: int, origin: Sequence[float]) -> _Block:
        """Sides scaled so that the longer is _SCHEMATIC_SIDE units; the depth grows with the
        channels, not to scale (the numbers written on the block are)."""
        scale = _SCHEMATIC_SIDE / max(rows, cols)
        depth = float(min(100, max(24, round(1.8 * channels))))
        return _Block(rows * scale, cols * scale, 1, depth, origin)

    @staticmethod
    def _on_face(sketch: _Sketch, block: _Block, words: str) -> _Label:
        """Words written along the block's right face, in white."""
        x, y = block.point(block.cols / 2, 0, block.height / 2)
        size = min(_TEXT, block.height * 0.45)
        return sketch.label(x, y, words, size=size, rotation=_SLOPE, color=(1, 1, 1, 1))

    def _solid(
        self, block: _Block, hues: np.ndarray, groups: np.ndarray, zorder: float, moving: bool
    ) -> None:
        """A block's visible faces, the upright ones in bands, one per group, outlined only
        around the whole (many groups would otherwise be all lines)."""
        # A band per group, but no more than the block has pixels for (100 at most): a
        # depthwise layer of thousands of channels would otherwise be thousands of polygons.
        n = min(int(groups.max()) + 1, _MAX_BANDS)
        band = block.height / n
        quads, fills = [], []
        for g in range(n):
            z = (block.height - (g + 1) * band, block.height - g * band)
            for quad, kind in block.solid((0, block.cols), (0, block.rows), z)[:2]:
                quads.append(quad)
                fills.append(_colour(hues[g % len(hues)] * _BRIGHTNESS[kind]))
        quads.append(block.top_face(0, 0, block.cols, block.rows, block.height))
        fills.append(_colour(hues[0]))
        bands = self.canvas.polys(zorder, quads, fills, moving=moving)
        bands.set_edgecolor("none")
        whole = block.solid((0, block.cols), (0, block.rows), (0, block.height))
        self.canvas.polys(zorder + 0.5, [q for q, _ in whole], [], moving=moving)

    def _build(self, sketch: _Sketch) -> None:
        scene, canvas, colours = self.scene, self.canvas, self.colours
        self._solid(self.inp, colours.input_hues, scene.input_groups, 1, False)
        if self.filter is not None:
            hue = colours.input_hues[0]
            f = self.filter
            faces = f.solid((0, f.cols), (0, f.rows), (0, f.height))
            quads = [q for q, _ in faces]
            canvas.polys(3, quads, [_colour(hue * _BRIGHTNESS[k]) for _, k in faces])
        moving = {id(label) for label in (*self._written, self._caption_label)}
        for label in sketch.labels:
            if id(label) not in moving:
                canvas.text(label)
        self._taps = canvas.polys(10, moving=True)
        self._rays = canvas.rays(11)
        self._solid(self.out, colours.output_hues, scene.output_groups, 12, True)
        self._out_cells = canvas.polys(13, moving=True)
        # The sizes are written over the moving parts, so that they are never hidden.
        for label in self._written:
            canvas.text(label, zorder=14, moving=True)
        self._caption = canvas.text(self._caption_label, zorder=15, moving=True)
        canvas.finish()

    @staticmethod
    def _span(start: int, stop: int, n: int, length: float) -> tuple[float, float]:
        """Cells start..stop of n mapped onto ``length`` units, at least _SCHEMATIC_MIN wide."""
        a, b = start * length / n, stop * length / n
        if b - a < _SCHEMATIC_MIN:
            middle = (a + b) / 2
            a = min(max(middle - _SCHEMATIC_MIN / 2, 0.0), length - _SCHEMATIC_MIN)
            b = a + _SCHEMATIC_MIN
        return a, b

    def _prism(
        self, block: _Block, x: tuple[float, float], y: tuple[float, float], rgb: np.ndarray
    ) -> tuple[list[np.ndarray], list[Colour]]:
        faces = block.solid(x, y, (0, block.height))
        return [q for q, _ in faces], [_colour(rgb * _BRIGHTNESS[k]) for _, k in faces]

    def _update(self, state: ChannelFrame) -> None:
        scene, colours, inp, out = self.scene, self.colours, self.inp, self.out
        (h, w), (ho, wo) = scene.input_shape, scene.output_shape
        r0, c0, r1, c1 = state.box
        ys = self._span(h - r1, h - r0, h, inp.rows)
        xs = self._span(c0, c1, w, inp.cols)
        group = int(scene.input_groups[state.in_channels[0]])
        rgb = colours.shaded(colours.input_hues[group])
        _fill(self._taps, *self._prism(inp, xs, ys, rgb))
        r, c = state.out
        oys = self._span(ho - r - 1, ho - r, ho, out.rows)
        oxs = self._span(c, c + 1, wo, out.cols)
        group = int(scene.output_groups[state.out_channels[0]])
        rgb = colours.shaded(colours.output_hues[group])
        _fill(self._out_cells, *self._prism(out, oxs, oys, rgb))
        below = inp.top_face(xs[0], ys[0], xs[1], ys[1], inp.height)
        above = out.top_face(oxs[0], oys[0], oxs[1], oys[1], 0)
        self._rays.set_segments([np.array([a, b]) for a, b in zip(below, above)])
        self._caption.set_text(_caption_schematic(scene, state))

    def _captions(self) -> list[str]:
        return [_caption_schematic(self.scene, state) for state in self.scene.frames()]


def _caption_schematic(scene: ChannelScene, state: ChannelFrame) -> str:
    r, c = state.out
    where = f"output ({r}, {c}) of {_dims(*scene.output_shape)}"
    if scene.spec.is_pool:
        return f"{where}: each of the {scene.in_channels} channels pooled alone"
    kh, kw, per = scene.filter_shape
    return (
        f"{where}: {_plural(scene.out_channels, 'filter')} {_dims(kh, kw, per)} "
        f"turn {scene.in_channels} channels into {scene.out_channels}"
    )


# -- numbers per channel ---------------------------------------------------------------------

_MAX_WIDTH = 760  # the flat view shrinks its cells to keep frames about this wide
_GAP = 20
_MAX_PRODUCTS = 9  # more terms than this are summed per channel in the written sum


def _written_sum(scene: ChannelScene, state: ChannelFrame, o: int) -> str:
    """out c1 (0, 2) = 2·3 + 1·0 + 0·2 = 6.0 — or, for many terms, one partial per channel."""
    r, c = state.out
    assert scene.output_values is not None
    value = _fmt_output(scene.output_values[o, r, c])
    head = f"out c{o} ({r}, {c}) = "
    if scene.spec.is_pool:
        term = scene.terms(state, o)[0]
        values = ", ".join(_fmt_input(v) for v in term.values)
        return f"{head}{_pool_word(scene)}({values}) = {value}"
    terms: list[Term] = scene.terms(state, o)
    if sum(len(t.values) for t in terms) <= _MAX_PRODUCTS:
        parts = [
            f"{_fmt_input(wt)}·{_fmt_input(x)}"
            for t in terms
            for wt, x in zip(t.weights, t.values)  # type: ignore[arg-type]
        ]
    else:
        parts = [f"{_fmt_input(t.partial)} (c{t.channel})" for t in terms]
    return head + " + ".join(parts) + f" = {value}"


class NumbersRenderer(_ChannelRenderer):
    """Flat maps with numbers: the input channels side by side, the filters' weights per
    channel, the output channels side by side, and the current value written out as a sum."""

    def __init__(
        self,
        scene: ChannelScene,
        theme: Theme = CLASSIC,
        fast: bool = True,
        inputs: np.ndarray | None = None,
    ) -> None:
        self.scene, self.theme = scene, theme
        self.colours = _Palette(theme, scene, inputs)
        (h, w), (ho, wo) = scene.input_shape, scene.output_shape
        c_in, c_out = scene.in_channels, scene.out_channels
        kh, kw, per = scene.filter_shape
        gaps = (max(c_in, c_out) - 1) * _GAP
        cell = int(max(20, min(_NUM_CELL, (_MAX_WIDTH - gaps) // max(c_in * w, c_out * wo))))
        small = int(max(18, min(28, cell * 0.7)))
        self.cell, self.small = cell, small
        sketch = _Sketch()
        n_lines = c_out if scene.frame_order == "position" else 1
        # Placed with the longest sum, so that the canvas is wide enough for every frame's.
        longest = max(
            (_written_sum(scene, s, o) for s in scene.frames() for o in s.out_channels), key=len
        )
        self._sum_labels = [
            sketch.label(0, (n_lines - 1 - k) * 22, longest, size=_SMALL + 2, ha="left")
            for k in range(n_lines)
        ]
        y = n_lines * 22 + _GAP
        self.outs = [_Plane(ho, wo, (k * (wo * cell + _GAP), y), False, cell) for k in range(c_out)]
        y += ho * cell + 24 + _GAP
        self.filters: list[list[_Plane]] = []
        if scene.has_filters:
            x = 0.0
            for _ in range(c_out):
                planes = [
                    _Plane(kh, kw, (x + j * (kw * small + 4), y), False, small) for j in range(per)
                ]
                self.filters.append(planes)
                x += per * (kw * small + 4) + _GAP + 6
            y += kh * small + 24 + _GAP
        self.ins = [_Plane(h, w, (k * (w * cell + _GAP), y), False, cell) for k in range(c_in)]
        for plane in (*self.ins, *self.outs, *(p for f in self.filters for p in f)):
            sketch.add(np.array([plane.point(0, 0), plane.point(plane.cols, plane.rows)]))
        self._place_labels(sketch)
        self._caption_label = sketch.caption(self._captions())
        self.canvas = _Canvas(sketch, theme, fast)
        self._build(sketch)

    def _place_labels(self, sketch: _Sketch) -> None:
        scene = self.scene
        assert scene.input_values is not None and scene.output_values is not None
        big = max(9, round(17 * self.cell / _NUM_CELL))
        for c, plane in enumerate(self.ins):
            x, y = plane.point(plane.cols / 2, plane.rows)
            sketch.label(x, y + 12, f"input channel {c}", size=_SMALL)
            for (r, col), value in np.ndenumerate(scene.input_values[c]):
                sketch.label(*plane.center(r, col), _fmt_input(value), size=big)
        for o, planes in enumerate(self.filters):
            assert scene.weights is not None
            for j, plane in enumerate(planes):
                for (r, col), value in np.ndenumerate(scene.weights[o, j]):
                    sketch.label(*plane.center(r, col), _fmt_input(value), size=_SMALL)
            x, y = planes[0].point(0, planes[0].rows)
            sketch.label(x, y + 12, f"filter f{o}", size=_SMALL, ha="left")
        for o, plane in enumerate(self.outs):
            x, y = plane.point(plane.cols / 2, plane.rows)
            sketch.label(x, y + 12, f"output channel {o}", size=_SMALL)
            for (r, col), value in np.ndenumerate(scene.output_values[o]):
                sketch.label(*plane.center(r, col), _fmt_output(value), size=max(8, big - 5))

    def _grid(self, plane: _Plane, tint: np.ndarray, roles: np.ndarray | None) -> None:
        cells = np.argwhere(np.ones((plane.rows, plane.cols), dtype=bool))
        real = np.ones(len(cells), bool) if roles is None else roles.ravel() == Role.INPUT
        if (~real).any():
            quads = list(plane.cells(cells[~real]))
            self.canvas.polys(1, quads, [_colour(self.colours.white)] * len(quads), dashed=True)
        quads = list(plane.cells(cells[real]))
        self.canvas.polys(1.5, quads, [_colour(tint)] * len(quads))

    def _build(self, sketch: _Sketch) -> None:
        scene, canvas, colours = self.scene, self.canvas, self.colours
        for c, plane in enumerate(self.ins):
            self._grid(plane, colours.input[c], scene.roles)
        for o, planes in enumerate(self.filters):
            ins = scene.group_channels(int(scene.output_groups[o]))[0]
            for j, plane in enumerate(planes):
                self._grid(plane, colours.input[ins[j]], None)
        for o, plane in enumerate(self.outs):
            self._grid(plane, colours.output[o], None)
        moving = {id(label) for label in (*self._sum_labels, self._caption_label)}
        for label in sketch.labels:
            if id(label) not in moving:
                canvas.text(label, zorder=4)
        # The shades go over the numbers (which stay legible) so that only they move.
        shade = _rgba(self.theme, "shade", self.theme.shade_alpha)
        self._shades = canvas.add(
            PolyCollection([], facecolors=[shade], edgecolors="none", linewidths=0, zorder=10),
            moving=True,
        )
        self._sums = [canvas.text(label, zorder=11, moving=True) for label in self._sum_labels]
        self._caption = canvas.text(self._caption_label, zorder=11, moving=True)
        canvas.finish()

    def _update(self, state: ChannelFrame) -> None:
        scene = self.scene
        quads: list[np.ndarray] = []
        for c in state.in_channels:
            quads += list(self.ins[c].cells(state.taps))
        r, col = state.out
        for o in state.out_channels:
            quads.append(self.outs[o].cell(r, col))
        if scene.frame_order == "position_channel":
            for o in state.filters:
                for plane in self.filters[o]:
                    quads += list(plane.cells(np.argwhere(np.ones((plane.rows, plane.cols)))))
        self._shades.set_verts(quads)
        for k, label in enumerate(self._sums):
            o = state.out_channels[k] if k < len(state.out_channels) else None
            label.set_text("" if o is None else _written_sum(scene, state, o))
        self._caption.set_text(_caption(scene, state))


# -- sequences -------------------------------------------------------------------------------

_STAGE_CAPTION = 40  # height of the strip naming the stage


def _stage_words(figure: FigureSpec) -> str:
    spec = figure.layer
    op = {"conv": "convolution", "conv_transpose": "transposed convolution"}.get(spec.op, spec.op)
    words = f"{_dims(*spec.kernel_size)} {op}, {spec.in_channels} to {spec.out_channels} channels"
    if spec.groups > 1:
        words += f", groups = {spec.groups}"
    return words


class SequenceRenderer:
    """The stages of a sequence one after another in one animation, each under a strip that
    names it; the output of a stage is the input of the next (``channels.check_sequence``)."""

    def __init__(self, spec: SequenceSpec, theme: Theme = CLASSIC, fast: bool = True) -> None:
        self.spec, self.theme = spec, theme
        self.stages: list = []
        handed_on = None
        for stage, scene in zip(spec.stages, build_sequence(spec)):
            if scene is None:
                self.stages.append(_planar_renderer_for(stage, theme, fast))
                handed_on = None
                continue
            renderer = _for_scene(scene, theme, fast, handed_on)
            self.stages.append(renderer)
            # Channels told apart by their groups' hues keep them into the next stage, where
            # they show which channels a filter mixes (a pointwise filter after a depthwise).
            colours = getattr(renderer, "colours", None)
            handed_on = colours.output if colours is not None and scene.groups > 1 else None
        self._width = max(s.size[0] for s in self.stages)
        self._height = max(s.size[1] for s in self.stages)
        n = len(spec.stages)
        self._strips = [
            self._strip(f"stage {k} of {n}: {stage.description or _stage_words(stage)}")
            for k, stage in enumerate(spec.stages, 1)
        ]

    @property
    def n_frames(self) -> int:
        return sum(s.n_frames for s in self.stages)

    @property
    def size(self) -> tuple[int, int]:
        return (self._width, self._height + _STAGE_CAPTION)

    def _strip(self, text: str) -> np.ndarray:
        fig = Figure(figsize=(self._width / 72, _STAGE_CAPTION / 72), dpi=72)
        fig.patch.set_facecolor(_rgba(self.theme, "background"))
        canvas = FigureCanvasAgg(fig)
        fig.text(
            _MARGIN / self._width,
            0.35,
            _printable(text),
            ha="left",
            va="center",
            color=_rgba(self.theme, "text"),
            fontproperties=_FONT,
            fontsize=_TEXT + 2,
        )
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())[..., :3].copy()

    def frames(self) -> Iterator[np.ndarray]:
        for strip, stage in zip(self._strips, self.stages):
            for frame in stage.frames():
                canvas = np.empty((*self.size[::-1], 3), dtype=np.uint8)
                canvas[...] = self.theme.rgb("background")
                canvas[:_STAGE_CAPTION] = strip
                h, w = frame.shape[:2]
                canvas[_STAGE_CAPTION : _STAGE_CAPTION + h, :w] = frame
                yield canvas

    def frame(self, index: int) -> np.ndarray:
        for k, frame in enumerate(self.frames()):
            if k == index:
                return frame
        raise IndexError(index)


def _for_scene(
    scene: ChannelScene, theme: Theme, fast: bool, inputs: np.ndarray | None = None
) -> _ChannelRenderer:
    """``inputs``: the input channels' colours, when a sequence hands them on."""
    if scene.schematic:
        return SchematicRenderer(scene, theme, fast)
    if scene.view == "numerical":
        return NumbersRenderer(scene, theme, fast, inputs)
    return VolumeRenderer(scene, theme, fast, inputs)


def renderer_for(  # noqa: ANN201 - one of this module's renderers
    target: FigureSpec | SequenceSpec, theme: Theme = CLASSIC, fast: bool = True
):
    """The renderer of a channel figure (volume, schematic or numbers) or of a sequence."""
    if isinstance(target, SequenceSpec):
        return SequenceRenderer(target, theme, fast)
    return _for_scene(build_channel_scene(target), theme, fast)


def cell_pixel(renderer: VolumeRenderer, block: str, row: int, col: int) -> tuple[int, int]:
    """Image (row, col) of the centre of a top-face cell of the ``"input"`` or ``"output"``
    block of a volume figure."""
    box = renderer.inp if block == "input" else renderer.out
    x, y = box.point(col + 0.5, box.y_of(row) + 0.5, box.height)
    canvas = renderer.canvas
    return (int(canvas.height - (y - canvas.y0)), int(x - canvas.x0))
