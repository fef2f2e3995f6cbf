"""Output writers: the registry of formats, the options they share, and what they report.

Owns the format table (like imageio's plugin table): each :class:`Writer` knows its name, the
suffixes it claims, whether it can run here and how to fix it if not. The format modules
(``gif``, ``apng``, ``webp``, ``mp4``, ``frames``; the vector ``svg``, ``html`` and ``pdf``,
which take the picture instead of frames: ``Writer.takes_picture``) are imported only when a
writer actually writes, so importing this package costs no numpy and no Pillow (``convanim
--help`` stays fast).

Frames are numpy arrays ``(H, W, 3 or 4)`` of ``uint8``, passed as any iterable (usually the
renderer's generator). Writers never import matplotlib themselves (PDF pages are drawn by
``convanim.backends.pdf``).
"""

from __future__ import annotations

import importlib
import math
import numbers
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from convanim.errors import OutputError, SpecError, WriterUnavailable

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "MAX_FRAME_SECONDS",
    "MAX_TOTAL_SECONDS",
    "WriteOptions",
    "WriteResult",
    "Writer",
    "get_writer",
    "write",
    "writer_for",
    "writers",
    "delay_of_fps",
]

# No frame is shown longer than a minute and no animation lasts longer than an hour: nobody
# watches more, and GIF stores at most 655 s a frame, so longer delays would be written as
# repeated frames (``--delay 1e6`` was a 17 MB file).
MAX_FRAME_SECONDS = 60.0
MAX_TOTAL_SECONDS = 3600.0
MAX_VIDEO_FPS = 120  # WriteOptions.fps, MP4's frame rate


@dataclass(frozen=True)
class WriteOptions:
    """How an animation is timed and whether it keeps transparency.

    ``delay``: seconds each frame is shown, either one number for all frames or one per frame
    (then the frame count must match). ``hold_first`` / ``hold_last``: extra seconds on the first
    / last frame. ``loop``: the loop count written into the file, 0 meaning forever (GIF's
    NETSCAPE2.0 count, APNG's num_plays and WebP's loop count as each format defines it; MP4 and
    frame folders ignore it). ``transparent``: keep the alpha of RGBA frames (otherwise RGBA is
    flattened onto white). ``fps``: MP4 only; ``None`` derives it from the delays. ``comment``:
    GIF only, text written in a comment extension (``Animation.save`` gives the alt text).

    Every duration is at most ``MAX_FRAME_SECONDS`` (60 s), and ``check_total`` bounds the
    whole animation by ``MAX_TOTAL_SECONDS`` (1 hour) once its frame count is known.
    """

    delay: float | tuple[float, ...] = 1.0
    loop: int = 0
    hold_first: float = 0.0
    hold_last: float = 0.0
    transparent: bool = False
    fps: float | None = None
    comment: str | None = None  # GIF only: text stored in a comment extension (alt text)

    def __post_init__(self) -> None:
        if isinstance(self.delay, (list, tuple)):
            # A list is accepted for convenience; stored as a tuple to stay immutable.
            object.__setattr__(self, "delay", tuple(self.delay))
        delays = self.delay if isinstance(self.delay, tuple) else (self.delay,)
        # SpecError (a ConvanimError and a ValueError) so the CLI shows one line naming the field.
        if not delays:
            raise SpecError("delay", "give at least one duration")
        for value in delays:
            if not (_is_number(value) and math.isfinite(value) and value > 0):
                raise SpecError("delay", f"durations must be positive seconds, got {value!r}")
            if value > MAX_FRAME_SECONDS:
                raise SpecError("delay", f"{value!r} seconds is more than {_MAX_FRAME}")
        loop = self.loop
        if not (isinstance(loop, numbers.Integral) and not isinstance(loop, bool)):
            raise SpecError("loop", f"must be an integer (0 = forever), got {loop!r}")
        if not 0 <= loop <= 65535:
            raise SpecError("loop", f"must be 0..65535 (0 = forever), got {loop!r}")
        for name in ("hold_first", "hold_last"):
            value = getattr(self, name)
            if not (_is_number(value) and math.isfinite(value) and value >= 0):
                raise SpecError(name, f"must be zero or positive seconds, got {value!r}")
            if value > MAX_FRAME_SECONDS:
                raise SpecError(name, f"{value!r} seconds is more than {_MAX_FRAME}")
        fps = self.fps
        if fps is not None and not (_is_number(fps) and math.isfinite(fps) and fps > 0):
            raise SpecError("fps", f"must be positive, got {fps!r}")
        if fps is not None and not 1 / MAX_FRAME_SECONDS <= fps <= MAX_VIDEO_FPS:
            # The video repeats frames at this rate: a huge rate is a huge file.
            raise SpecError("fps", f"{fps!r} is not allowed; must be 1/60 to {MAX_VIDEO_FPS}")
        if self.comment is not None and not isinstance(self.comment, str):
            raise SpecError("comment", f"must be text, got {self.comment!r}")

    def check_total(self, n_frames: int) -> float:
        """The animation's display time for ``n_frames`` frames, or a ``SpecError`` naming the
        delay if it is over ``MAX_TOTAL_SECONDS``; checked before anything is written."""
        if isinstance(self.delay, tuple):
            base = float(sum(self.delay[:n_frames]))
        else:
            base = float(self.delay) * n_frames
        total = base + self.hold_first + self.hold_last
        if total > MAX_TOTAL_SECONDS:
            raise SpecError(
                "delay",
                f"{n_frames} frames would play for {total:,.0f} seconds, more than the "
                f"{MAX_TOTAL_SECONDS:,.0f} (one hour) an animation may last; use a shorter delay",
            )
        return total

    def frame_delay(self, index: int) -> float:
        """The base delay of frame ``index`` (holds not included)."""
        if isinstance(self.delay, tuple):
            try:
                return float(self.delay[index])
            except IndexError:
                raise SpecError(
                    "delay", f"lists {len(self.delay)} durations but more frames were given"
                ) from None
        return float(self.delay)


@dataclass(frozen=True)
class WriteResult:
    """What a writer produced.

    ``n_frames`` counts frames as stored in the file: GIF, APNG and WebP merge identical
    consecutive frames, MP4 repeats frames to honour the delays at a constant frame rate, a
    frame folder holds exactly the frames given. ``bytes`` is the file size (a folder: the sum
    of its files); ``duration`` the total display time in seconds.
    """

    path: Path
    format: str
    n_frames: int
    size: tuple[int, int]
    bytes: int
    duration: float


@dataclass(frozen=True)
class Writer:
    """One output format: how to recognise it, whether it can run, and how to run it."""

    name: str
    suffixes: tuple[str, ...]
    description: str
    module: str
    install_hint: str = ""
    requires: tuple[str, ...] = ()
    probe: Callable[[], bool] | None = field(default=None, repr=False, compare=False)
    # A vector writer takes the picture itself (``_picture.PictureInput``), not raster frames.
    takes_picture: bool = False

    def is_available(self) -> bool:
        """True when everything this format needs can be imported (checked on every call)."""
        for name in self.requires:
            try:
                importlib.import_module(name)
            except ImportError:
                return False
        if self.probe is not None:
            return self.probe()
        return True

    def ensure_available(self) -> None:
        """Raise :class:`WriterUnavailable` with the fix-it message if this format cannot run."""
        if not self.is_available():
            needs = ", ".join(self.requires) or "a library feature missing here"
            raise WriterUnavailable(f"{self.name} output needs {needs}; {self.install_hint}")

    def write(
        self,
        path: str | os.PathLike[str],
        frames: Iterable[np.ndarray],
        options: WriteOptions | None = None,
    ) -> WriteResult:
        """Write ``frames`` to ``path`` atomically; nothing is touched if the format can't run."""
        if self.takes_picture:
            raise OutputError(
                f"{self.name} output is drawn from the picture, not from frames; "
                "write it with Animation.save"
            )
        self.ensure_available()
        impl: Any = importlib.import_module(self.module)
        result: WriteResult = impl.write(Path(path), frames, options or WriteOptions())
        return result

    def write_picture(
        self, path: str | os.PathLike[str], job: Any, options: WriteOptions | None = None
    ) -> WriteResult:
        """Write a ``PictureInput`` (``takes_picture`` writers only) to ``path`` atomically."""
        if not self.takes_picture:
            raise OutputError(f"{self.name} output is written from frames, not from a picture")
        self.ensure_available()
        impl: Any = importlib.import_module(self.module)
        result: WriteResult = impl.write(Path(path), job, options or WriteOptions())
        return result


def _ffmpeg_probe() -> bool:
    """imageio-ffmpeg may be installed without a usable ffmpeg binary (e.g. from an sdist)."""
    try:
        import imageio_ffmpeg

        imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError, OSError):
        return False
    return True


def _webp_probe() -> bool:
    """Pillow wheels ship libwebp; only a source build without it fails this."""
    from PIL import features

    return bool(features.check("webp"))


_MP4_HINT = "install convanim[mp4]: pip install 'convanim[mp4]'"

_WRITERS: tuple[Writer, ...] = (
    Writer(
        "gif",
        (".gif",),
        "animated GIF89a, one 256-colour palette, changed rectangles only",
        "convanim.export.writers.gif",
    ),
    Writer(
        "apng",
        (".apng", ".png"),
        "animated PNG, lossless",
        "convanim.export.writers.apng",
    ),
    Writer(
        "webp",
        (".webp",),
        "animated WebP, lossless",
        "convanim.export.writers.webp",
        install_hint="install a Pillow wheel with WebP support: pip install --upgrade pillow",
        probe=_webp_probe,
    ),
    Writer(
        "mp4",
        (".mp4",),
        "H.264 video (yuv420p) through ffmpeg",
        "convanim.export.writers.mp4",
        install_hint=_MP4_HINT,
        requires=("imageio_ffmpeg",),
        probe=_ffmpeg_probe,
    ),
    Writer(
        "svg",
        (".svg",),
        "animated SVG: vector, plays in a browser with no script (CSS keyframes)",
        "convanim.export.writers.svg",
        takes_picture=True,
    ),
    Writer(
        "html",
        (".html", ".htm"),
        "interactive HTML player: one self-contained file, step, slider, keyboard",
        "convanim.export.writers.html",
        takes_picture=True,
    ),
    Writer(
        "pdf",
        (".pdf",),
        "multi-page vector PDF, one page per frame (LaTeX's animate package plays it)",
        "convanim.export.writers.pdf",
        requires=("matplotlib",),
        install_hint="install matplotlib: pip install matplotlib",
        takes_picture=True,
    ),
    Writer(
        "frames",
        ("",),
        "a folder of PNG files frame_0000.png, frame_0001.png, ...",
        "convanim.export.writers.frames",
    ),
)


_MAX_FRAME = f"the {MAX_FRAME_SECONDS:.0f} seconds a frame may be shown; use a shorter duration"


def delay_of_fps(fps: Any) -> float:
    """The delay of a frame rate (the command line's ``--fps``); a ``SpecError`` names fps."""
    if not (_is_number(fps) and math.isfinite(fps) and fps > 0):
        raise SpecError("fps", f"must be a positive number of frames per second, got {fps!r}")
    if fps < 1 / MAX_FRAME_SECONDS:
        raise SpecError(
            "fps",
            f"{fps!r} is less than {1 / MAX_FRAME_SECONDS:.4g} (one frame a minute, the "
            "longest a frame may be shown); use a higher frame rate",
        )
    return 1.0 / float(fps)


def writers() -> tuple[Writer, ...]:
    """Every registered format, available here or not (for listings and help text)."""
    return _WRITERS


def get_writer(name: str) -> Writer:
    """The writer called ``name`` (case-insensitive); raises if unknown or unavailable here."""
    wanted = name.strip().lower().lstrip(".")
    for writer in _WRITERS:
        if writer.name == wanted:
            writer.ensure_available()
            return writer
    raise OutputError(f"unknown output format {name!r}; known formats: {_known()}")


def writer_for(path: str | os.PathLike[str], format: str | None = None) -> Writer:
    """The writer for ``path``: by explicit ``format`` name, else by the path's suffix.

    A path without a suffix means a folder of PNG frames. Raises :class:`OutputError` for an
    unknown suffix and :class:`WriterUnavailable` for a format that cannot run here, before
    anything is drawn or written.
    """
    if format is not None:
        return get_writer(format)
    suffix = Path(path).suffix.lower()
    for writer in _WRITERS:
        if suffix in writer.suffixes:
            writer.ensure_available()
            return writer
    raise OutputError(f"unknown output suffix {suffix!r} in {os.fspath(path)}; known: {_known()}")


def write(
    path: str | os.PathLike[str],
    frames: Iterable[np.ndarray],
    options: WriteOptions | None = None,
    *,
    format: str | None = None,
) -> WriteResult:
    """Write ``frames`` to ``path`` with the writer chosen by :func:`writer_for`."""
    return writer_for(path, format).write(path, frames, options)


def _known() -> str:
    parts = []
    for writer in _WRITERS:
        shown = " ".join(s for s in writer.suffixes if s) or "no suffix = folder"
        parts.append(f"{writer.name} ({shown})")
    return ", ".join(parts)


def _is_number(value: object) -> bool:
    # numbers.Real also admits numpy scalars; bool is an int but never a duration.
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
