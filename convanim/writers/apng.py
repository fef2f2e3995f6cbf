"""The APNG writer: lossless animated PNG through Pillow.

Owns the ``.apng`` / ``.png`` output. Pillow's ``save_all`` needs every frame up front, so the
frames (after merging identical consecutive ones) are held in memory: this writer is *not*
streaming, unlike GIF. Frames are RGBA when transparency was asked for, RGB otherwise. Pillow
stores only the changed region of each frame and writes no timestamps, so the bytes are
deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from convanim.atomic import atomic_path
from convanim.writers import WriteOptions, WriteResult
from convanim.writers._common import merged, open_frames, to_ms

__all__ = ["write"]


def write(path: Path, frames: Iterable[np.ndarray], options: WriteOptions) -> WriteResult:
    """Write an animated PNG (``default_image=False``: the first frame is frame 0)."""
    stream = open_frames(frames, options)
    with atomic_path(path) as tmp:
        images: list[Image.Image] = []
        durations: list[int] = []
        total = 0.0
        for frame, seconds in merged(stream):
            images.append(Image.fromarray(frame, "RGBA" if stream.alpha else "RGB"))
            durations.append(to_ms(seconds))
            total += seconds
        with open(tmp, "wb") as out:
            images[0].save(
                out,
                format="PNG",
                save_all=True,
                append_images=images[1:],
                duration=durations,
                loop=options.loop,
                default_image=False,
            )
    return WriteResult(
        path=path,
        format="apng",
        n_frames=len(images),
        size=stream.size,
        bytes=path.stat().st_size,
        duration=total,
    )
