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

from convanim.export.writers import WriteOptions, WriteResult
from convanim.export.writers._common import save_all_with_pillow

__all__ = ["write"]


def write(path: Path, frames: Iterable[np.ndarray], options: WriteOptions) -> WriteResult:
    """Write an animated PNG (``default_image=False``: the first frame is frame 0)."""
    return save_all_with_pillow(path, frames, options, "png", default_image=False)
