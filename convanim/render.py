"""Single-layer figures and comparisons as raster frames: their display lists
(``convanim.planar``, ``convanim.compose``) drawn by the matplotlib backend.

The renderers here keep the interface the rest of the package uses (``size``, ``n_frames``,
``frame(i)``, ``frames()``); what is drawn is decided by the display list, how by
``convanim.backends.mpl``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

from convanim.backends.mpl import MplFrames
from convanim.compose import side_by_side
from convanim.display import TextMetrics
from convanim.planar import Planar
from convanim.spec import CompareSpec, FigureSpec, Look
from convanim.themes import CLASSIC, Theme


class FigureRenderer:
    """The frames of one single-layer figure."""

    def __init__(
        self,
        figure: FigureSpec,
        theme: Theme = CLASSIC,
        fast: bool = True,
        look: Look | None = None,
    ) -> None:
        self.figure = figure
        self.theme = theme
        self.look = look or Look()
        self.planar = Planar(figure, self.look, _metrics())
        self.scene = self.planar.scene
        self.picture = self.planar.picture()
        self._frames = MplFrames(self.picture, theme, self.look.transparent, fast)

    @property
    def n_frames(self) -> int:
        return self.picture.n_frames

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self._frames.size

    def frame(self, index: int) -> np.ndarray:
        """One frame as an (H, W, 3) uint8 array ((H, W, 4) with a transparent background)."""
        return self._frames.frame(index)

    def frames(self) -> Iterator[np.ndarray]:
        return self._frames.frames()


class CompareRenderer:
    """Several figures side by side, frames in lockstep; a shorter one holds its last frame."""

    def __init__(
        self, spec: CompareSpec, theme: Theme = CLASSIC, fast: bool = True, look: Look | None = None
    ) -> None:
        self.spec = spec
        self.theme = theme
        look = look or Look()
        self.look = look
        # Comparisons are labelled unless labels were turned off.
        member_look = dataclasses.replace(look, labels=look.labels is not False, width=None)
        self.members = [Planar(m, member_look, _metrics()).picture() for m in spec.members]
        self.picture = side_by_side(self.members, spec.labels, look.scale, look.font_scale)
        self._frames = MplFrames(self.picture, theme, look.transparent, fast)

    @property
    def n_frames(self) -> int:
        return self.picture.n_frames

    @property
    def size(self) -> tuple[int, int]:
        return self._frames.size

    def frame(self, index: int) -> np.ndarray:
        return self._frames.frame(index)

    def frames(self) -> Iterator[np.ndarray]:
        return self._frames.frames()


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


def _metrics() -> TextMetrics:
    # The layout's estimate of text extents, as before the display list; exact metrics
    # (and tests that nothing is clipped) come with the teaching issue.
    return TextMetrics()
