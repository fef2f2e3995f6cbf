"""The multi-page PDF writer: one vector page per frame (``convanim.backends.pdf``), written
atomically, for LaTeX's ``animate`` package: ``\\animategraphics[loop,controls]{FPS}{NAME}{}{}``
(``latex_snippet``). animate plays every page at one frame rate, so per-frame delays and holds
are refused, naming the option, rather than silently dropped; ``loop`` may be 0 (the ``loop``
option) or 1 (plays once)."""

from __future__ import annotations

from pathlib import Path

from convanim.backends.pdf import write_pages
from convanim.errors import SpecError
from convanim.export.atomic import atomic_file
from convanim.export.writers import WriteOptions, WriteResult
from convanim.export.writers._picture import PictureInput

__all__ = ["check_options", "latex_snippet", "write"]


def check_options(options: WriteOptions) -> None:
    """Refuse the timing a page-per-frame PDF cannot carry."""
    if isinstance(options.delay, tuple) and len(set(options.delay)) > 1:
        raise SpecError(
            "delay", "a PDF for LaTeX's animate plays at one frame rate; give one delay"
        )
    for name in ("hold_first", "hold_last"):
        if getattr(options, name):
            raise SpecError(
                name, "a PDF for LaTeX's animate plays every page alike; leave the holds out"
            )
    if options.loop > 1:
        raise SpecError(
            "loop", "LaTeX's animate loops forever (0) or plays once (1); no other count"
        )


def write(path: Path, job: PictureInput, options: WriteOptions) -> WriteResult:
    check_options(options)
    order = job.order
    with atomic_file(path) as out:
        pages = write_pages(job.picture, job.theme, order, out, job.transparent)
    return WriteResult(
        path=path,
        format="pdf",
        n_frames=pages,
        size=job.picture.size,
        bytes=path.stat().st_size,
        duration=options.frame_delay(0) * pages,
    )


def latex_snippet(path: Path, options: WriteOptions) -> str:
    """The line that plays ``path`` in a LaTeX document with the ``animate`` package."""
    fps = 1 / options.frame_delay(0)
    rate = f"{fps:.4f}".rstrip("0").rstrip(".")
    flags = "loop,controls" if options.loop == 0 else "controls"
    return f"\\animategraphics[{flags}]{{{rate}}}{{{path.with_suffix('').as_posix()}}}{{}}{{}}"
