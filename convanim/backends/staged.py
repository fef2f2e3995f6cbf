"""Frames of a picture in stages (``Picture.stages``: a sequence's layers one after another),
for the raster backend.

A stage's still part stands still only while the stage lasts. Drawn as part of every frame,
it made each of a sequence's frames composite its blocks' thirty layers of cubes again. Here
each stage is a ``RasterFrames`` of its own, over the picture's static layer and the stage's,
all sharing one palette, so that a stage's frames cost what a figure of its own does (drawn
again in one process, ``network_in_network`` took 0.96 s against 1.46 s; a first render is
mostly the blends worked out once, and about as before); the frame that enters a stage is
compared with the one before it for its changed rectangle. numpy only.
"""

from __future__ import annotations

import numpy as np

from convanim.backends._composite import Playback, Rect
from convanim.backends.raster import RasterFrames
from convanim.model.themes import Theme
from convanim.scene.display import Picture, Stage


def raster_frames(
    picture: Picture,
    theme: Theme,
    transparent: bool = False,
    crisp: bool = False,
    crisp_rays: bool = True,
) -> RasterFrames | StagedFrames:
    """The raster backend's frames of ``picture``: by stage, when it has stages."""
    kind = StagedFrames if picture.stages else RasterFrames
    return kind(picture, theme, transparent, crisp, crisp_rays)


class StagedFrames(Playback):
    """A ``RasterFrames`` per stage, made when the stage is first shown, one palette for all:
    the frames one ``RasterFrames`` of the whole picture draws (``Playback`` plays them)."""

    def __init__(
        self,
        picture: Picture,
        theme: Theme,
        transparent: bool = False,
        crisp: bool = False,
        crisp_rays: bool = True,
    ) -> None:
        self.picture = picture
        self._options = (theme, transparent, crisp, crisp_rays)
        self._stages: dict[int, RasterFrames] = {}
        self._shown: RasterFrames | None = None  # the stage of the frame drawn last
        self._colours = picture.colours()  # every stage's, so the first palette serves all
        self.palette = self._stage(0).palette

    @property
    def size(self) -> tuple[int, int]:
        return self.picture.size

    @property
    def n_frames(self) -> int:
        return self.picture.n_frames

    def index_frame(self, index: int) -> tuple[np.ndarray, Rect | None]:
        """Frame ``index`` as palette indices (valid until the next call) and the rectangle
        in which it differs from the frame drawn before it."""
        if not 0 <= index < self.n_frames:
            raise IndexError(f"frame {index} of {self.n_frames}")
        k = next(k for k, s in enumerate(self.picture.stages) if index < s.start + s.n_frames)
        frames, before = self._stage(k), self._shown
        if frames is not before:
            frames.restart()
        indices, rect = frames.index_frame(index - self.picture.stages[k].start)
        if before is not None and frames is not before:
            rect = frames.differs_from(before)  # a new stage's still part may differ anywhere
        self._shown = frames
        return indices, rect

    def restart(self) -> None:
        self._shown = None

    def rgb(self, indices: np.ndarray) -> np.ndarray:
        """An index image as colours (with the alpha plane of the stage shown, if any)."""
        return (self._shown or self._stage(0)).rgb(indices)

    def _stage(self, k: int) -> RasterFrames:
        if k not in self._stages:
            theme, transparent, crisp, crisp_rays = self._options
            palette = self._stages[0].palette if self._stages else None
            part = _alone(self.picture, self.picture.stages[k], self._colours)
            self._stages[k] = RasterFrames(part, theme, transparent, crisp, crisp_rays, palette)
        return self._stages[k]


def _alone(picture: Picture, stage: Stage, colours: tuple) -> Picture:
    """A stage as a picture of its own: the whole's static layer and the stage's, its frames,
    and ``colours``, the whole's."""
    return Picture(
        picture.width,
        picture.height,
        (*picture.static, *stage.static),
        stage.n_frames,
        stage.moving,
        picture.background,
        roles=colours,
    )
