"""Shared frame plumbing for the format modules: validation, colour mode and timing.

Owns the contract every writer relies on: frames are ``(H, W, 3|4)`` uint8 arrays of one size;
the output is RGBA only when transparency was asked for *and* the first frame has alpha
(otherwise RGBA is flattened onto white); each frame's display time is its delay plus
``hold_first`` / ``hold_last``. Frames are pulled one at a time, with a single frame of lookahead
(to know which one is last), so streaming writers stay flat in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from convanim.errors import SpecError
from convanim.export.writers import WriteOptions, WriteResult


@dataclass
class FrameStream:
    """Validated, colour-normalised frames with their display times (seconds).

    ``size`` is (width, height); ``alpha`` tells whether frames come out RGBA. Iterate it once.
    """

    size: tuple[int, int]
    alpha: bool
    _first: np.ndarray
    _rest: Iterator[np.ndarray]
    _options: WriteOptions
    count: int = 0

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        options = self._options
        current: np.ndarray | None = self._normalise(self._first, 0)
        index = 0
        while current is not None:
            try:
                upcoming: np.ndarray | None = self._normalise(next(self._rest), index + 1)
            except StopIteration:
                upcoming = None
            seconds = options.frame_delay(index)
            if index == 0:
                seconds += options.hold_first
            if upcoming is None:
                seconds += options.hold_last
            self.count = index + 1
            yield current, seconds
            current = upcoming
            index += 1
        if isinstance(options.delay, tuple) and len(options.delay) != self.count:
            raise SpecError(
                "delay",
                f"lists {len(options.delay)} durations but {self.count} frames were given",
            )

    def _normalise(self, frame: np.ndarray, index: int) -> np.ndarray:
        array = check_frame(frame, index)
        height, width = array.shape[:2]
        if (width, height) != self.size:
            raise ValueError(
                f"frame {index} is {width}x{height} but frame 0 is {self.size[0]}x{self.size[1]}"
            )
        out = to_rgba(array) if self.alpha else to_rgb(array)
        if np.may_share_memory(out, frame):
            # One frame of lookahead: a renderer that reuses its buffer would otherwise
            # overwrite the frame we are still holding.
            out = out.copy()
        return out


def open_frames(frames: Iterable[np.ndarray], options: WriteOptions) -> FrameStream:
    """Pull and check the first frame now, so bad input fails before any file is created.

    Frames the stream yields are its own copies: callers may keep them.
    """
    iterator = iter(frames)
    try:
        first = next(iterator)
    except StopIteration:
        raise ValueError("no frames to write") from None
    array = check_frame(first, 0)
    height, width = array.shape[:2]
    alpha = bool(options.transparent and array.shape[2] == 4)
    return FrameStream((width, height), alpha, array, iterator, options)


def check_frame(frame: np.ndarray, index: int) -> np.ndarray:
    """The frame as an ndarray, or a ValueError naming what is wrong (a caller bug, not user's)."""
    array = np.asarray(frame)
    if array.dtype != np.uint8:
        raise ValueError(f"frame {index} has dtype {array.dtype}, expected uint8")
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f"frame {index} has shape {array.shape}, expected (H, W, 3) or (H, W, 4)")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"frame {index} is empty: shape {array.shape}")
    return array


def to_rgb(frame: np.ndarray) -> np.ndarray:
    """RGB frame; RGBA is composited onto white (exact when alpha is 0 or 255)."""
    if frame.shape[2] == 3:
        return frame
    alpha = frame[..., 3]
    if alpha.min() == 255:
        # Opaque RGBA (matplotlib's usual buffer): dropping alpha is exact and cheap.
        return frame[..., :3]
    a = alpha.astype(np.uint16)[..., None]
    rgb = frame[..., :3].astype(np.uint16)
    # Rounded integer "over white": rgb*a/255 + 255*(1 - a/255).
    return ((rgb * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def to_rgba(frame: np.ndarray) -> np.ndarray:
    """RGBA frame; RGB gets an opaque alpha channel."""
    if frame.shape[2] == 4:
        return frame
    out = np.empty(frame.shape[:2] + (4,), dtype=np.uint8)
    out[..., :3] = frame
    out[..., 3] = 255
    return out


def merged(stream: FrameStream) -> Iterator[tuple[np.ndarray, float]]:
    """Frames with identical consecutive ones merged into one, their times summed.

    Holds one frame back, so memory stays at two frames.
    """
    pending: np.ndarray | None = None
    pending_seconds = 0.0
    for frame, seconds in stream:
        if pending is not None and np.array_equal(frame, pending):
            pending_seconds += seconds
            continue
        if pending is not None:
            yield pending, pending_seconds
        pending, pending_seconds = frame, seconds
    if pending is not None:
        yield pending, pending_seconds


def to_ms(seconds: float) -> int:
    """Whole milliseconds (APNG and WebP's unit), at least 1."""
    return max(1, round(seconds * 1000))


def save_all_with_pillow(
    path: Path, frames: Iterable[np.ndarray], options: WriteOptions, fmt: str, **params: Any
) -> WriteResult:
    """Write an animation with Pillow's ``save_all`` (APNG, WebP), atomically.

    Pillow needs every frame at once, so these formats hold the (merged) frames in memory.
    """
    from PIL import Image

    from convanim.export.atomic import atomic_file

    stream = open_frames(frames, options)
    with atomic_file(path) as out:
        images: list[Image.Image] = []
        durations: list[int] = []
        total = 0.0
        for frame, seconds in merged(stream):
            images.append(Image.fromarray(frame, "RGBA" if stream.alpha else "RGB"))
            durations.append(to_ms(seconds))
            total += seconds
        images[0].save(
            out,
            format=fmt.upper(),
            save_all=True,
            append_images=images[1:],
            duration=durations,
            loop=options.loop,
            **params,
        )
    return WriteResult(
        path=path,
        format=fmt.lower(),
        n_frames=len(images),
        size=stream.size,
        bytes=path.stat().st_size,
        duration=total,
    )
