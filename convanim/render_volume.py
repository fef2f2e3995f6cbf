"""Channel figures and sequences as raster frames: their display lists
(``convanim.scene.volume``, ``convanim.scene.schematic``, ``convanim.scene.channel_numbers``,
``convanim.scene.sequence``) drawn by the matplotlib backend.

The renderers keep the interface the rest of the package uses (``size``, ``n_frames``,
``frame(i)``, ``frames()``); what is drawn, and what hides what, is decided by the display list.
"""

from __future__ import annotations

from convanim.backends.mpl import MplFrames, MplMetrics
from convanim.model.spec import FigureSpec, SequenceSpec
from convanim.model.themes import CLASSIC, Theme
from convanim.scene import channel_numbers, schematic, volume
from convanim.scene.channel_plan import ChannelScene, build_channel_scene
from convanim.scene.display import TextMetrics
from convanim.scene.sequence import picture as sequence_picture


class VolumeRenderer(MplFrames):
    """The input block, the output block above it and the filters beside them."""

    def __init__(
        self, scene: ChannelScene, theme: Theme = CLASSIC, fast: bool = True,
        transparent: bool = False,
    ) -> None:  # fmt: skip
        self.scene = scene
        self.view = volume.VolumeView(scene, _metrics(), None)
        super().__init__(self.view.picture(), theme, transparent, fast)


class SchematicRenderer(MplFrames):
    """Blocks with their sizes written on them: layers too big to draw cell by cell."""

    def __init__(
        self, scene: ChannelScene, theme: Theme = CLASSIC, fast: bool = True,
        transparent: bool = False,
    ) -> None:  # fmt: skip
        self.scene = scene
        super().__init__(schematic.picture(scene, _metrics()), theme, transparent, fast)


class NumbersRenderer(MplFrames):
    """Flat maps with numbers, per channel."""

    def __init__(
        self, scene: ChannelScene, theme: Theme = CLASSIC, fast: bool = True,
        transparent: bool = False,
    ) -> None:  # fmt: skip
        self.scene = scene
        picture = channel_numbers.NumbersView(scene, _metrics(), None).picture()
        super().__init__(picture, theme, transparent, fast)


class SequenceRenderer(MplFrames):
    """The stages of a sequence one after another, each under a strip that names it."""

    def __init__(
        self, spec: SequenceSpec, theme: Theme = CLASSIC, fast: bool = True,
        transparent: bool = False,
    ) -> None:  # fmt: skip
        self.spec = spec
        super().__init__(sequence_picture(spec, _metrics()), theme, transparent, fast)


def _for_scene(scene: ChannelScene, theme: Theme, fast: bool) -> MplFrames:
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
