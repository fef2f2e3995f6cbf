"""The GIF writer for palette-index frames: a backend that composites in index space (the raster
backend) hands each frame as indices plus the rectangle that changed, and its palette.

Pass 1 of ``convanim.export.writers.gif`` (packing every pixel to a colour key, comparing whole
frames, looking colours up) is skipped: the changed rectangles go to the spool as they are.
Pass 2 is the same code, so both paths write the same bytes for the same frames (a test
checks): the palette holds only the colours drawn, numbered as ``gif.write`` numbers them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from convanim.errors import SpecError
from convanim.export.atomic import atomic_file, spool_beside
from convanim.export.writers import WriteOptions, WriteResult
from convanim.export.writers._gif_stream import Rect, _encode_pass, _Palette, _Record
from convanim.export.writers.gif import _MAX_COLOURS

IndexFrame = tuple[np.ndarray, Rect | None]


def open_indexed(frames: Iterable[IndexFrame]) -> tuple[IndexFrame, Iterator[IndexFrame]]:
    """Pull the first frame now, so bad input fails before any file is created."""
    iterator = iter(frames)
    try:
        first = next(iterator)
    except StopIteration:
        raise ValueError("no frames to write") from None
    return first, iterator


def write_indexed(
    path: Path,
    frames: Iterable[tuple[np.ndarray, Rect | None]],
    palette: Callable[[], np.ndarray],
    options: WriteOptions,
) -> WriteResult:
    """Write an animated GIF from palette-index frames, as a backend that composites in index
    space makes them: each frame is (indices (H, W) uint8, the rectangle that changed since
    the frame before, None when nothing did; the first frame's is the whole canvas).
    ``palette()`` gives the (n <= 255, 3) colours once every frame was drawn (a palette may
    grow while frames are made). No colour is looked up and no frame compared whole: the
    changed rectangles go straight to the spool, then to the same encode pass as ``write``."""
    (first, rect), iterator = open_indexed(frames)
    height, width = first.shape
    with atomic_file(path) as out, spool_beside(path) as spool:
        order: list[int] = []
        chained = itertools.chain([(first, rect)], iterator)
        records = _spool_indexed(chained, spool, options, order, palette)
        colours = np.asarray(palette(), np.uint8)
        # Only the colours drawn, in the order ``write`` would number them (as first seen,
        # by colour key within a frame), so both paths write the same bytes; the spare slot
        # after them is the "keep" index.
        kept = np.array(order[: _MAX_COLOURS - 1], np.int64)
        lut = np.zeros(256, np.uint8)
        lut[kept] = np.arange(len(kept))
        table = _Palette(colours[kept].tobytes() + b"\0\0\0", lut, None, keep=len(kept))
        spool.seek(0)
        n_frames, seconds = _encode_pass(out, spool, records, table, (width, height), options)
    return WriteResult(
        path=path,
        format="gif",
        n_frames=n_frames,
        size=(width, height),
        bytes=path.stat().st_size,
        duration=seconds,
    )


def _spool_indexed(
    frames: Iterable[tuple[np.ndarray, Rect | None]],
    spool: BinaryIO,
    options: WriteOptions,
    order: list[int],
    palette: Callable[[], np.ndarray],
) -> list[_Record]:
    """Changed rectangles to the spool, with each frame's display time (as ``FrameStream``
    times RGB frames: delay, hold_first on the first, hold_last on the last); appends to
    ``order`` each index the first time it is stored."""
    records: list[_Record] = []
    seen: set[int] = set()
    count = 0
    for index, (indices, rect) in enumerate(frames):
        seconds = options.frame_delay(index) + (options.hold_first if index == 0 else 0.0)
        count = index + 1
        if index == 0:
            rect = (0, 0, indices.shape[1], indices.shape[0])
        if rect is None:
            records[-1].seconds += seconds
            continue
        x0, y0, x1, y1 = rect
        region = np.ascontiguousarray(indices[y0:y1, x0:x1], np.uint8)
        present = np.flatnonzero(np.bincount(region.ravel(), minlength=256))
        new = [int(i) for i in present if int(i) not in seen]
        if new:
            rgb = np.asarray(palette(), np.uint32)[new]
            keys = rgb[:, 0] | (rgb[:, 1] << 8) | (rgb[:, 2] << 16)
            order.extend(new[k] for k in np.argsort(keys, kind="stable"))
            seen.update(new)
        spool.write(region.tobytes())
        records.append(_Record(rect, "u1", seconds))
    records[-1].seconds += options.hold_last
    if isinstance(options.delay, tuple) and len(options.delay) != count:
        raise SpecError(
            "delay", f"lists {len(options.delay)} durations but {count} frames were given"
        )
    return records
