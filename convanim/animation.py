"""An animation ready to be shown or saved: a figure, comparison or sequence, how it looks, and
its frame stream.

This is where the renderer meets the writers; the CLI, batch mode and notebooks all go
through ``Animation``. numpy and Pillow load only when frames are first needed; matplotlib only
for storyboards.

Every request is bounded (``convanim.scene.budget``): before a renderer is built the frame count is
worked out from the geometry alone, and before anything is written the exact frame count and
frame size are checked against ``max_frames`` and ``max_pixels``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from convanim.model.look import Look
from convanim.model.spec import CompareSpec, FigureSpec, SequenceSpec
from convanim.model.themes import Theme
from convanim.scene.budget import (
    DEFAULT_MAX_FRAMES,
    DEFAULT_MAX_PIXELS,
    check_budget,
    check_max_frames,
    check_target,
    frames_of,
)

if TYPE_CHECKING:
    import numpy as np

    from convanim.export.writers import WriteResult

Target = FigureSpec | CompareSpec | SequenceSpec


class Animation:
    """Frames of a figure (or a comparison, or a sequence) and ways to save or show them.

    ``look`` sets theme, size, labels and background; ``theme`` (a ``Theme``) overrides the
    look's theme name; ``reverse`` plays the frames forward then back (ping-pong).
    ``max_frames`` and ``max_pixels`` (per frame) bound what may be drawn; more raises
    ``BudgetError`` before any frame is drawn.
    """

    def __init__(
        self,
        target: Target,
        theme: Theme | None = None,
        look: Look | None = None,
        reverse: bool = False,
        max_frames: int = DEFAULT_MAX_FRAMES,
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ) -> None:
        self.target = target
        self.max_frames = check_max_frames(max_frames)
        self.max_pixels = max_pixels
        self.look = look or Look()
        self.look.check_target(target)  # an option the target cannot show is an error
        if theme is None:
            from convanim.catalog.themes import load_theme

            theme = load_theme(self.look.theme)
        self.theme = theme
        self.reverse = reverse

    @property
    def name(self) -> str:
        return self.target.name

    @cached_property
    def _renderer(self):  # noqa: ANN202 - a renderer of convanim.render(_volume), imported lazily
        return self._new_renderer()

    def _new_renderer(self):  # noqa: ANN202 - a RasterFrames or StagedFrames
        self._target_within_budget  # noqa: B018 - the geometry-only count first, once
        return _renderer_for(self.target, self.theme, self.look)

    def check_target(self) -> None:
        """Raise ``BudgetError`` or ``SpecError`` if the target is over a budget, from the
        arithmetic alone (no scene is built); runs once."""
        self._target_within_budget  # noqa: B018 - a cached check

    def check_budget(self) -> None:
        """Raise ``BudgetError`` if the frames or the frame size exceed the budgets; builds the
        renderer (the scene and its static layer) but draws no frame. An
        animation's frames and size never change, so the check runs once."""
        self._within_budget  # noqa: B018 - a cached check

    @cached_property
    def _target_within_budget(self) -> bool:
        check_target(self.target, self.max_frames, self.reverse, self.max_pixels)
        return True

    @cached_property
    def _within_budget(self) -> bool:
        check_budget(self.n_frames, self.size, self.max_frames, self.max_pixels)
        return True

    @cached_property
    def _measure(self) -> tuple[int, tuple[int, int]]:
        # Kept apart from the renderer, which the first pass of frames() takes over.
        renderer = self._renderer
        return renderer.n_frames, renderer.size

    @property
    def n_frames(self) -> int:
        n = self._measure[0]
        return n + max(n - 2, 0) if self.reverse else n

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self._measure[1]

    def frames(self) -> Iterator[np.ndarray]:
        """The frames as (H, W, 3) uint8 arrays (RGBA when transparent), streamed."""
        self.check_budget()
        # A renderer per pass, so that two passes never share drawing state: the first pass
        # takes the one built to measure the animation (building one can take 0.1 s), later
        # passes build their own.
        renderer = self.__dict__.pop("_renderer", None) or self._new_renderer()
        yield from renderer.frames()
        if self.reverse:  # back again, without repeating the two ends
            for index in range(renderer.n_frames - 2, 0, -1):
                yield renderer.frame(index)

    def save(self, path: str | Path, format: str | None = None, **options: Any) -> WriteResult:
        """Write the animation; the writer is chosen by ``format`` or the path's suffix (a
        ``format`` must agree with the suffix, except for a folder of frames).

        ``options`` are ``WriteOptions`` fields (delay, loop, hold_first, hold_last, ...).
        """
        from convanim.export.writers import WriteOptions, writer_for

        options.setdefault("transparent", self.look.transparent)
        write_options = WriteOptions(**options)
        writer = writer_for(path, format)
        if format is not None and writer.name != "frames":
            from convanim.export.outputs import check_format

            check_format(path, writer.name)  # a GIF named x.webp is read as WebP everywhere
        if write_options.transparent:
            self.look.check_format(writer.name)
        self.check_budget()  # before the writer creates anything
        write_options.check_total(self.n_frames)
        if writer.takes_picture:  # SVG, the HTML player, PDF: the picture itself, not pixels
            return writer.write_picture(Path(path), self.picture_input(), write_options)
        if writer.name == "gif" and write_options.comment is None:
            from dataclasses import replace

            write_options = replace(write_options, comment=self.comment())
        if writer.name == "gif" and not write_options.transparent:
            # The raster backend's index frames go to the GIF as they are: no RGB round trip.
            from convanim.export.writers.gif_indexed import write_indexed

            renderer = self.__dict__.pop("_renderer", None) or self._new_renderer()
            frames = self._index_frames(renderer)
            return write_indexed(Path(path), frames, renderer.palette.colours, write_options)
        return writer.write(Path(path), self.frames(), write_options)

    def _index_frames(self, renderer) -> Iterator[tuple[np.ndarray, Any]]:  # noqa: ANN001
        yield from renderer.index_frames()
        if self.reverse:  # back again, without repeating the two ends
            for index in range(renderer.n_frames - 2, 0, -1):
                yield renderer.index_frame(index)

    def picture_input(self) -> Any:
        """What a vector writer takes: the display list, theme, words and play order."""
        from convanim.backends.mpl import MplMetrics
        from convanim.export.writers._picture import PictureInput
        from convanim.scene.describe import describe
        from convanim.scene.pictures import picture_for

        metrics = MplMetrics()
        picture = picture_for(self.target, self.look, metrics)
        words = describe(self.target, picture.n_frames, self.look.sync or "loop")
        return PictureInput(
            picture, self.theme, words, metrics, self.look.transparent, self.reverse
        )

    def alt_text(self) -> str:
        """The figure described in one paragraph (``convanim.scene.describe``)."""
        from convanim.scene.describe import alt_text

        return alt_text(self.target)

    def comment(self) -> str:
        """What a GIF carries in its comment: the alt text and where it came from."""
        from convanim.scene.describe import attribution

        return f"{self.alt_text()}\n{attribution(self.target)}"

    def check_write(self, **options: Any) -> None:
        """Raise before anything is drawn if ``save(path, **options)`` would be refused for its
        timing or its budgets (builds the renderer, draws nothing)."""
        from convanim.export.writers import WriteOptions

        options.setdefault("transparent", self.look.transparent)
        write_options = WriteOptions(**options)
        self.check_budget()
        write_options.check_total(self.n_frames)

    def check_storyboard(
        self, every: int = 1, columns: int | None = None, dpi: float = 144
    ) -> tuple[int, int]:
        """The storyboard's size in pixels, or the error ``storyboard`` would raise for its
        options, its tiles or its pixels; draws nothing."""
        from convanim.export.storyboard import check_options, check_storyboard

        check_options(every, columns, dpi)
        self._check_tiles(every)
        return check_storyboard(
            self._board_target(), self.theme, self.look, every, columns, dpi, self.max_pixels
        )

    def _board_target(self) -> Target:
        return self.target

    def _check_tiles(self, every: int) -> None:
        # A storyboard draws one tile per chosen frame, and always the last one.
        n = frames_of(self.target)
        tiles = -(-n // every) + (1 if (n - 1) % every else 0)
        what = f"{n} frames taken every {every} would be "
        check_budget(tiles, None, self.max_frames, what=what)

    def storyboard(
        self, path: str | Path, every: int = 1, columns: int | None = None, dpi: float = 144
    ) -> Path:
        """All frames (or every n-th) tiled in one PNG, PDF or SVG, numbered."""
        from convanim.export.storyboard import check_options, save_storyboard

        target = self._board_target()
        check_options(every, columns, dpi)
        self._check_tiles(every)
        written, _ = save_storyboard(
            target, path, self.theme, self.look, every, columns, dpi, self.max_pixels
        )
        return written

    def _repr_html_(self) -> str:
        """Shown inline by Jupyter: the GIF, embedded."""
        import base64
        import html
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{self.name}.gif"
            self.save(path)
            data = base64.b64encode(path.read_bytes()).decode("ascii")
        width = self.size[0]
        alt = html.escape(self.alt_text())
        return f'<img src="data:image/gif;base64,{data}" width="{width}" alt="{alt}"/>'


def _renderer_for(target: Target, theme: Theme, look: Look):  # noqa: ANN202
    """Every target's frames: its display list (``convanim.scene.pictures``) drawn by the raster
    backend (numpy and Pillow: the animation path never imports matplotlib)."""
    from convanim.backends._fonts import PilMetrics
    from convanim.backends.staged import raster_frames
    from convanim.scene.pictures import picture_for

    picture = picture_for(target, look, PilMetrics())
    return raster_frames(picture, theme, look.transparent, crisp=look.crisp)
