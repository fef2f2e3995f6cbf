"""The HTML player writer: one self-contained page (``convanim.backends.player``) that steps
through the picture's frames, written atomically. Deterministic bytes."""

from __future__ import annotations

from pathlib import Path

from convanim.backends.player import player_html
from convanim.export.writers import WriteOptions, WriteResult
from convanim.export.writers._picture import PictureInput, timeline, write_document

__all__ = ["write"]


def write(path: Path, job: PictureInput, options: WriteOptions) -> WriteResult:
    steps = timeline(job, options)
    words = job.description
    text = player_html(
        job.picture,
        job.theme,
        steps,
        title=words.title,
        alt=words.alt,
        lines=words.lines,
        captions=words.captions,
        transparent=job.transparent,
        metrics=job.metrics,
    )
    return write_document(path, text, "html", job, steps)
