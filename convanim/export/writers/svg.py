"""The animated SVG writer: the picture as one self-playing SVG (``convanim.backends.svg``),
written atomically. Deterministic: the same picture and timing give the same bytes."""

from __future__ import annotations

from pathlib import Path

from convanim.backends.svg import animated_svg
from convanim.export.writers import WriteOptions, WriteResult
from convanim.export.writers._picture import PictureInput, timeline, write_document

__all__ = ["write"]


def write(path: Path, job: PictureInput, options: WriteOptions) -> WriteResult:
    steps = timeline(job, options)
    words = job.description
    text = animated_svg(
        job.picture, job.theme, steps, job.transparent, job.metrics, words.title, words.alt
    )
    return write_document(path, text, "svg", job, steps)
