"""Channel figures and sequences as raster frames: their display lists (``convanim.volume``,
``convanim.schematic``, ``convanim.channel_numbers``, ``convanim.sequence_picture``) drawn by
the matplotlib backend.

The renderers keep the interface the rest of the package uses (``size``, ``n_frames``,
``frame(i)``, ``frames()``); what is drawn, and what hides what, is decided by the display list.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from convanim import channel_numbers, schematic, volume
from convanim.backends.mpl import MplFrames, MplMetrics
from convanim.channels import ChannelScene, build_channel_scene
from convanim.display import Picture, TextMetrics
from convanim.sequence_picture import picture as sequence_picture
from convanim.spec import FigureSpec, SequenceSpec
from convanim.themes import CLASSIC, Theme


class _Frames:
    """A picture's frames through the matplotlib backend."""

    picture: Picture

    def _start(self, theme: Theme, fast: bool, transparent: bool) -> None:
        self.theme = theme
        self._frames = MplFrames(self.picture, theme, transparent, fast)

    @property
    def n_frames(self) -> int:
        return self.picture.n_frames

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self._frames.size

    def frame(self, index: int) -> np.ndarray:
        return self._frames.frame(index)

    def frames(self) -> Iterator[np.ndarray]:
        return self._frames.frames()


class VolumeRenderer(_Frames):
    """The input block, the output block above it and the filters beside them."""

    def __init__(
        self, scene: ChannelScene, theme: Theme = CLASSIC, fast: bool = True,
        transparent: bool = False,
    ) -> None:  # fmt: skip
        self.scene = scene
        self.view = volume._Volume(scene, _metrics(), None)
        self.picture = self.view.picture()
        self._start(theme, fast, transparent)


class SchematicRenderer(_Frames):
    """Blocks with their sizes written on them: layers too big to draw cell by cell."""

    def __init__(
        self, scene: ChannelScene, theme: Theme = CLASSIC, fast: bool = True,
        transparent: bool = False,
    ) -> None:  # fmt: skip
        self.scene = scene
        self.picture = schematic.picture(scene, _metrics())
        self._start(theme, fast, transparent)


class NumbersRenderer(_Frames):
    """Flat maps with numbers, per channel."""

    def __init__(
        self, scene: ChannelScene, theme: Theme = CLASSIC, fast: bool = True,
        transparent: bool = False,
    ) -> None:  # fmt: skip
        self.scene = scene
        self.picture, _ = channel_numbers.picture(scene, _metrics())
        self._start(theme, fast, transparent)


class SequenceRenderer(_Frames):
    """The stages of a sequence one after another, each under a strip that names it."""

    def __init__(
        self, spec: SequenceSpec, theme: Theme = CLASSIC, fast: bool = True,
        transparent: bool = False,
    ) -> None:  # fmt: skip
        self.spec = spec
        self.picture = sequence_picture(spec, _metrics())
        self._start(theme, fast, transparent)


def _for_scene(scene: ChannelScene, theme: Theme, fast: bool) -> _Frames:
    if scene.schematic:
        return SchematicRenderer(scene, theme, fast)
    if scene.view == "numerical":
        return NumbersRenderer(scene, theme, fast)
    return VolumeRenderer(scene, theme, fast)


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
    view = renderer.view
    box = view.inp if block == "input" else view.out
    x, y = volume.cell_centre(box, view.sketch, row, col)
    return (int(y), int(x))


_METRICS: list[TextMetrics] = []


def _metrics() -> TextMetrics:
    """Channel pictures are laid out with the backend's exact text extents, as before."""
    if not _METRICS:
        _METRICS.append(MplMetrics())
    return _METRICS[0]
