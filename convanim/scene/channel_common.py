"""What the channel pictures share: their colours as paints, their words, and the sketch that
places points and text before the canvas is sized to fit them.

Colours are ``Paint``s of theme roles, never hex values: with one group the input channels run
from the theme's ``input`` towards white and the outputs from ``output``; with several, every
group takes the theme's group hue (``group<k>``) for its input channels and filters, and that
hue leaning towards ``output`` for its output channels. The shade and the fading are mixes
towards the theme's ``shade`` and ``background``, and the faces of a block are lit from above.
numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from convanim.scene.channel_plan import ChannelScene
from convanim.scene.display import Ink, Paint, Text, TextMetrics
from convanim.scene.words import printable

# The last channel of a group is mixed this far towards white (in mono, short of the output grey).
LIGHTEST = 0.45
OUTPUT_LEAN = 0.45  # a group's output channels are mixed this far towards the output colour
FADED = 0.6  # filters not in use are mixed this far towards the background
TEXT = 15  # labels and captions
SMALL = 14  # channel and filter names (capitals 9.6 px tall)
CAPTION_GAP = 28  # from the drawing's top to the caption line
MARGIN = 20
GAP = 20  # between the flat maps of the numerical view

# Face kinds, and how bright each is, so that a block reads as a solid lit from above.
TOP, RIGHT, LEFT = 0, 1, 2
BRIGHTNESS = {TOP: 1.0, RIGHT: 0.88, LEFT: 0.76}


class Tints:
    """The paints of one channel figure: one per input and per output channel."""

    def __init__(self, scene: ChannelScene, inputs: Sequence[Paint] | None = None) -> None:
        if scene.groups == 1:
            ins, outs = [Paint("input")], [Paint("output")]
        else:
            # A group keeps its hue through the layer; its outputs lean towards the output
            # colour, so that an output is never drawn in an input's colour.
            ins = [Paint(f"group{g}") for g in range(scene.groups)]
            outs = [hue.toward("output", OUTPUT_LEAN) for hue in ins]
        # A sequence may hand on the paints of the previous stage's output.
        self.input = list(inputs) if inputs is not None else _ramp(ins, scene.input_groups)
        self.output = _ramp(outs, scene.output_groups)
        self.input_hues = ins
        self.output_hues = outs
        self.padding = Paint("padding")


def _ramp(hues: list[Paint], groups: np.ndarray) -> list[Paint]:
    out: list[Paint] = [hues[0]] * len(groups)
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        for j, channel in enumerate(members):
            t = LIGHTEST * j / max(len(members) - 1, 1)
            paint = hues[int(g)]
            out[int(channel)] = paint.toward("white", t) if t else paint
    return out


def shaded(paint: Paint) -> Paint:
    """The reference's shade over a colour (0.6 c + 0.4 #073642 in the classic theme)."""
    return paint.toward("shade")


def faded(paint: Paint) -> Paint:
    return paint.toward("background", FADED)


def lit_shaded(paints: Sequence[Paint]) -> tuple[tuple[Paint, float], ...]:
    """Each paint shaded, as every kind of face shows it, as a picture's ``roles``: the
    colours that highlighted cubes give frames other than the first, so that a backend's
    palette holds them from the start rather than meeting them once it is full."""
    found = dict.fromkeys(shaded(p).lit(b) for p in paints for b in BRIGHTNESS.values())
    return tuple((paint, 1.0) for paint in found)


# -- placing things before drawing them --------------------------------------------------------


@dataclass
class Label:
    """A line of text centred vertically on (x, y), in the sketch's y-up pixels."""

    x: float
    y: float
    text: str
    size: float = TEXT
    ha: str = "center"
    rotation: float = 0.0
    role: str | Ink = "text"

    def corners(self, metrics: TextMetrics) -> np.ndarray:
        width, ascent, descent = metrics.measure(self.text, self.size)
        height = max(ascent + descent, self.size)
        left = {"left": 0.0, "center": -width / 2, "right": -width}[self.ha]
        box = np.array(
            [[left, -height / 2], [left + width, -height / 2], [left + width, height / 2]]
            + [[left, height / 2]]
        )
        turn = math.radians(self.rotation)
        rot = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
        return box @ rot.T + (self.x, self.y)


class Sketch:
    """Points and labels of a picture, collected before the canvas is made to fit them; then
    the map from the sketch's y-up pixels to the canvas's y-down ones."""

    def __init__(self, metrics: TextMetrics, font_scale: float = 1.0) -> None:
        self.metrics = metrics
        self.font_scale = font_scale  # every label's size is multiplied by it when placed
        self.points: list[np.ndarray] = []
        self.labels: list[Label] = []

    def add(self, points: np.ndarray) -> None:
        self.points.append(np.atleast_2d(np.asarray(points, float)))

    def label(self, *args, **kwargs) -> Label:  # noqa: ANN002, ANN003 - Label's fields
        label = Label(*args, **kwargs)
        label.size *= self.font_scale
        self.labels.append(label)
        return label

    def extent(self) -> tuple[np.ndarray, np.ndarray]:
        boxes = [lab.corners(self.metrics) for lab in self.labels]
        pts = np.concatenate(self.points + boxes)
        return pts.min(axis=0), pts.max(axis=0)

    def caption(self, texts: Sequence[str]) -> Label:
        """A caption line above everything, as wide as the widest of ``texts``."""
        lo, hi = self.extent()
        longest = max(texts, key=lambda t: self.metrics.measure(t, TEXT * self.font_scale)[0])
        return self.label(lo[0], hi[1] + CAPTION_GAP, longest, ha="left")

    def fit(self) -> tuple[int, int]:
        """Fix the canvas around everything placed so far, with a margin; (width, height)."""
        lo, hi = self.extent()
        lo = np.floor(lo).astype(int) - MARGIN
        hi = np.ceil(hi).astype(int) + MARGIN
        self.width, self.height = int(hi[0] - lo[0]), int(hi[1] - lo[1])
        self.x0, self.y0 = int(lo[0]), int(lo[1])
        return self.width, self.height

    def canvas(self, points: np.ndarray) -> np.ndarray:
        """Sketch pixels (y up) as canvas pixels (y down from the top-left corner)."""
        pts = np.asarray(points, dtype=float)
        return np.stack([pts[..., 0] - self.x0, self.height - (pts[..., 1] - self.y0)], axis=-1)

    def text(self, label: Label, depth: float, text: str | None = None) -> Text:
        x, y = self.canvas(np.array([label.x, label.y]))
        return Text(
            printable(label.text if text is None else text), float(x), float(y), label.size,
            label.role, depth, label.ha, "center", label.rotation,  # type: ignore[arg-type]
        )  # fmt: skip


# -- words -------------------------------------------------------------------------------------
