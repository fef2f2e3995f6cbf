"""Single-layer figures and comparisons as raster frames: their display lists
(``convanim.scene.planar``, ``convanim.scene.compose``) drawn by the matplotlib backend, with
the figure's layout kept at hand (``cell_pixel``) for tests and tools that point at a cell.
"""

from __future__ import annotations

import dataclasses

from convanim.backends.mpl import MplFrames
from convanim.model.look import Look
from convanim.model.spec import CompareSpec, FigureSpec
from convanim.model.themes import CLASSIC, Theme
from convanim.scene.display import TextMetrics
from convanim.scene.pictures import picture_for
from convanim.scene.planar import Planar


class FigureRenderer(MplFrames):
    """The frames of one single-layer figure."""

    def __init__(
        self,
        figure: FigureSpec,
        theme: Theme = CLASSIC,
        fast: bool = True,
        look: Look | None = None,
    ) -> None:
        self.figure = figure
        self.look = look or Look()
        # The layout's estimate of text extents, as the golden frames were drawn with.
        self.planar = Planar(figure, self.look, TextMetrics())
        self.scene = self.planar.scene
        super().__init__(self.planar.picture(), theme, self.look.transparent, fast)


class CompareRenderer(MplFrames):
    """Several figures side by side, frames in lockstep (``convanim.scene.pictures``); a
    shorter one starts again, or holds its last frame with ``Look(sync="hold")``."""

    def __init__(
        self, spec: CompareSpec, theme: Theme = CLASSIC, fast: bool = True, look: Look | None = None
    ) -> None:
        self.spec = spec
        look = look or Look()
        # Comparisons are labelled unless labels were turned off.
        member_look = dataclasses.replace(look, labels=look.labels is not False, width=None)
        self.members = [Planar(m, member_look, TextMetrics()).picture() for m in spec.members]
        picture = picture_for(spec, look, TextMetrics())
        super().__init__(picture, theme, look.transparent, fast)


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


def cell_pixel(renderer: FigureRenderer, plane: str, row: int, col: int) -> tuple[int, int]:
    """Image (row, col) of the centre of a cell of the ``"input"`` or ``"output"`` plane."""
    x, y = renderer.planar.cell_centre(plane, row, col)
    return (int(y), int(x))
