"""An animation ready to be shown or saved: a figure or comparison, a theme, a frame stream.

This is where the renderer meets the writers; the CLI, batch mode and notebooks all go
through ``Animation``. matplotlib and numpy load only when frames are first needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from convanim.spec import CompareSpec, FigureSpec
from convanim.themes import CLASSIC, Theme

if TYPE_CHECKING:
    import numpy as np

    from convanim.writers import WriteResult


class Animation:
    """Frames of a figure (or a comparison) and a way to save them."""

    def __init__(self, target: FigureSpec | CompareSpec, theme: Theme = CLASSIC) -> None:
        self.target = target
        self.theme = theme

    @property
    def name(self) -> str:
        return self.target.name

    @cached_property
    def _renderer(self):  # noqa: ANN202 - FigureRenderer | CompareRenderer, imported lazily
        from convanim.render import renderer_for

        return renderer_for(self.target, self.theme)

    @property
    def n_frames(self) -> int:
        return self._renderer.n_frames

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self._renderer.size

    def frames(self) -> Iterator[np.ndarray]:
        """The frames as (H, W, 3) uint8 arrays, one per output cell, streamed."""
        # A fresh renderer per pass, so that two passes never share drawing state.
        from convanim.render import renderer_for

        return renderer_for(self.target, self.theme).frames()

    def save(self, path: str | Path, format: str | None = None, **options: Any) -> WriteResult:
        """Write the animation; the writer is chosen by ``format`` or the path's suffix.

        ``options`` are ``WriteOptions`` fields (delay, loop, ...).
        """
        from convanim.writers import WriteOptions, writer_for

        writer = writer_for(path, format)
        return writer.write(Path(path), self.frames(), WriteOptions(**options))
