"""The MP4 writer: H.264 (libx264, yuv420p) through imageio-ffmpeg's ffmpeg binary.

Owns the ``.mp4`` output (the ``convanim[mp4]`` extra). Frames stream straight into ffmpeg's
stdin, one at a time. Video has one frame rate, so each frame is repeated to cover its delay:
the rate is ``WriteOptions.fps`` or, by default, the coarsest rate at which every delay and hold
is a whole number of frames (1 s per frame -> 1 fps; with a 0.5 s hold -> 2 fps), capped at
60 fps. yuv420p needs even sizes, so odd frames are padded by repeating the last row/column;
video has no alpha, so RGBA is flattened onto white. Colours are tagged BT.709 so browsers show
them as drawn, and metadata is stripped (``+bitexact``) so the bytes depend only on the frames
and the ffmpeg build.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from convanim.errors import OutputError
from convanim.export.atomic import atomic_path
from convanim.export.writers import WriteOptions, WriteResult
from convanim.export.writers._common import open_frames

__all__ = ["derive_fps", "write"]

_MAX_FPS = 60
_OUTPUT_PARAMS = [
    # Visually lossless for flat-colour figures; "animation" tunes x264 for large flat areas.
    "-crf", "18", "-preset", "medium", "-tune", "animation",
    # Convert with BT.709 and say so in the stream, so players show the colours as drawn.
    "-vf", "scale=out_color_matrix=bt709:out_range=tv,"
    "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709",
    # Index at the front so browsers can start playing before the whole file arrives.
    "-movflags", "+faststart",
    # No encoder version strings or creation times: same input, same bytes.
    "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
    # The temporary file ends in .tmp, so the container must be named.
    "-f", "mp4",
]  # fmt: skip


def write(path: Path, frames: Iterable[np.ndarray], options: WriteOptions) -> WriteResult:
    """Encode ``frames`` as H.264 MP4, streaming them into ffmpeg."""
    import imageio_ffmpeg  # the optional extra; availability was checked by the registry

    stream = open_frames(frames, dataclasses.replace(options, transparent=False))
    fps = derive_fps(options)
    width, height = stream.size
    even = (width + width % 2, height + height % 2)
    written = 0
    seconds_total = 0.0
    with atomic_path(path) as tmp:
        encoder = imageio_ffmpeg.write_frames(
            str(tmp),
            even,
            pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p",
            fps=fps,
            quality=None,
            codec="libx264",
            # We pad to even sizes ourselves; 1 stops imageio-ffmpeg from rescaling.
            macro_block_size=1,
            ffmpeg_log_level="error",
            output_params=list(_OUTPUT_PARAMS),
        )
        encoder.send(None)  # start ffmpeg
        try:
            for frame, repeats in _repeated(stream, fps):
                data = _pad_even(frame).tobytes()
                for _ in range(repeats):
                    encoder.send(data)
                written += repeats
            seconds_total = written / fps
        finally:
            # Closing lets ffmpeg finish the file (or stop, when an error is on its way out).
            encoder.close()
        if tmp.stat().st_size == 0:
            raise OutputError(f"ffmpeg wrote nothing for {path}; see its messages above")
    return WriteResult(
        path=path,
        format="mp4",
        n_frames=written,
        size=even,
        bytes=path.stat().st_size,
        duration=float(seconds_total),
    )


def derive_fps(options: WriteOptions) -> Fraction:
    """The frame rate: ``options.fps``, else the coarsest one that fits every delay exactly."""
    if options.fps is not None:
        return Fraction(options.fps).limit_denominator(1001)
    delays = options.delay if isinstance(options.delay, tuple) else (options.delay,)
    times = [*delays, delays[0] + options.hold_first, delays[-1] + options.hold_last]
    millis = [max(1, round(t * 1000)) for t in times]
    fps = Fraction(1000, math.gcd(*millis))
    return min(fps, Fraction(_MAX_FPS))


def _repeated(
    stream: Iterable[tuple[np.ndarray, float]], fps: Fraction
) -> Iterator[tuple[np.ndarray, int]]:
    """How many video frames each frame fills; rounding on the running total, so no drift."""
    elapsed = 0.0
    emitted = 0
    for frame, seconds in stream:
        elapsed += seconds
        target = round(elapsed * fps)
        repeats = max(1, target - emitted)
        emitted += repeats
        yield frame, repeats


def _pad_even(frame: np.ndarray) -> np.ndarray:
    height, width = frame.shape[:2]
    if width % 2 == 0 and height % 2 == 0:
        return np.ascontiguousarray(frame)
    return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
