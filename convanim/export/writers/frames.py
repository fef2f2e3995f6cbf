"""The frames writer: a folder of PNG files, ``frame_0000.png``, ``frame_0001.png``, ...

Owns folder output (a destination without a suffix). Every given frame becomes one file, in
order: no merging, no timing (delays and holds do not apply to a folder). The folder is built as
a hidden temporary sibling and renamed into place; an older folder is replaced only if it holds
nothing but ``frame_NNNN.png`` files, so a mistyped ``-o`` cannot delete someone's files. PNGs
are written without metadata or timestamps, so the same frames give the same bytes. Streaming:
one frame in memory at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from convanim.export.atomic import atomic_dir
from convanim.export.writers import WriteOptions, WriteResult
from convanim.export.writers._common import open_frames

__all__ = ["FRAME_NAME", "write"]

#: File name of frame ``i``; four digits, growing past 9999 frames.
FRAME_NAME = "frame_{:04d}.png"
_FRAME_FILE = re.compile(r"frame_\d{4,}\.png")


def write(path: Path, frames: Iterable[np.ndarray], options: WriteOptions) -> WriteResult:
    """Write each frame as a PNG into the folder ``path``."""
    stream = open_frames(frames, options)
    total_bytes = 0
    total_seconds = 0.0
    with atomic_dir(path, may_replace=_only_frames) as tmp:
        count = 0
        for count, (frame, seconds) in enumerate(stream, start=1):
            target = tmp / FRAME_NAME.format(count - 1)
            image = Image.fromarray(frame, "RGBA" if stream.alpha else "RGB")
            # Pinned compression; Pillow adds no tIME/text chunks unless asked.
            image.save(target, format="PNG", compress_level=6)
            total_bytes += target.stat().st_size
            total_seconds += seconds
    return WriteResult(
        path=path,
        format="frames",
        n_frames=count,
        size=stream.size,
        bytes=total_bytes,
        duration=total_seconds,
    )


def _only_frames(folder: Path) -> bool:
    """True if ``folder`` looks like an earlier output of this writer (or is empty)."""
    return all(entry.is_file() and _FRAME_FILE.fullmatch(entry.name) for entry in folder.iterdir())
