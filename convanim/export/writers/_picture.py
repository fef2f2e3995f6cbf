"""What the vector writers (SVG, HTML player, PDF) take instead of raster frames: the picture
itself, its theme, its words, and the play order, with the timing worked out as the raster
writers work it out (each step's delay, ``hold_first`` on the first, ``hold_last`` on the last).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from convanim.backends.svg import Timeline
from convanim.errors import SpecError
from convanim.export.atomic import atomic_write_text
from convanim.export.writers import WriteOptions, WriteResult
from convanim.model.themes import Theme
from convanim.scene.describe import Description
from convanim.scene.display import Picture, TextMetrics


@dataclass(frozen=True, eq=False)
class PictureInput:
    """A picture to write as a document. ``reverse`` plays it forward, then back (ping-pong)
    without repeating the two ends, as ``Animation.frames`` does."""

    picture: Picture
    theme: Theme
    description: Description
    metrics: TextMetrics
    transparent: bool = False
    reverse: bool = False

    @property
    def order(self) -> tuple[int, ...]:
        n = self.picture.n_frames
        back = tuple(range(n - 2, 0, -1)) if self.reverse else ()
        return (*range(n), *back)


def timeline(job: PictureInput, options: WriteOptions) -> Timeline:
    """The steps with their display times and the loop count, or the ``SpecError`` a raster
    writer gives for a delay list of the wrong length."""
    order = job.order
    if isinstance(options.delay, tuple) and len(options.delay) != len(order):
        raise SpecError(
            "delay", f"lists {len(options.delay)} durations but {len(order)} frames were given"
        )
    seconds = [options.frame_delay(k) for k in range(len(order))]
    seconds[0] += options.hold_first
    seconds[-1] += options.hold_last
    return Timeline(order, tuple(seconds), options.loop)


def write_document(
    path: Path, text: str, fmt: str, job: PictureInput, steps: Timeline
) -> WriteResult:
    """Write a text document (SVG, HTML) atomically and report it as the writers do."""
    atomic_write_text(path, text)
    return WriteResult(
        path=path,
        format=fmt,
        n_frames=job.picture.n_frames,
        size=job.picture.size,
        bytes=path.stat().st_size,
        duration=steps.total,
    )
