"""Where a manifest's figures may write: an output is a relative path inside the output folder
(no ``..``, no absolute path, no link leading out, no control character, not batch's own files),
its suffix names its writer, and no two outputs are one file or lie inside one another.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Protocol

from convanim.errors import ManifestError
from convanim.export.writers import writers


class ManifestFigure(Protocol):
    """What the clash check reads of a manifest's figure."""

    name: str
    output: PurePosixPath
    format: str


STATE_NAME = ".convanim-state.json"
INDEX_NAME = "index.html"
# Outputs may not take the names batch writes for itself beside them.
_RESERVED = frozenset({STATE_NAME, INDEX_NAME})


def reject_control(where: str, text: str) -> None:
    """A newline or another control character in a file or figure name is always a mistake
    (and would split every message and listing that shows it)."""
    bad = next((c for c in text if ord(c) < 32 or ord(c) == 127), None)
    if bad is not None:
        raise ManifestError(
            f"{where}: {text!r} contains a control character ({bad!r}); "
            "file and figure names may not"
        )


class Outputs:
    """The outputs seen so far, to refuse one that is another's, or lies inside another's.

    Compared ignoring case, as macOS and Windows compare file names; a frames folder holding
    another figure's file would be corrupted by it (and replaced, taking the file with it).
    """

    def __init__(self, where: str) -> None:
        self._where = where
        self._whole: dict[tuple[str, ...], ManifestFigure] = {}
        self._holding: dict[tuple[str, ...], ManifestFigure] = {}  # proper prefixes of outputs

    def add(self, figure: ManifestFigure) -> None:
        key = tuple(part.casefold() for part in figure.output.parts)
        shown = str(figure.output)
        prefix = f"{self._where}: figure {figure.name}: output: {shown!r}"
        if key in self._whole:
            other = self._whole[key]
            if str(other.output) == shown:
                raise ManifestError(f"{prefix} is also the output of figure {other.name}")
            raise ManifestError(
                f"{prefix} differs from figure {other.name}'s output {str(other.output)!r} only "
                "in case; on macOS and Windows they are one file"
            )
        for depth in range(1, len(key)):
            other = self._whole.get(key[:depth])
            if other is not None:
                raise ManifestError(
                    f"{prefix} lies inside figure {other.name}'s output {str(other.output)!r}"
                    f"{' (a folder of frames)' if other.format == 'frames' else ''}; "
                    "outputs may not contain one another"
                )
        if key in self._holding:
            other = self._holding[key]
            raise ManifestError(
                f"{prefix} would contain figure {other.name}'s output {str(other.output)!r}; "
                "outputs may not contain one another"
            )
        self._whole[key] = figure
        for depth in range(1, len(key)):
            self._holding.setdefault(key[:depth], figure)


def output_path(
    prefix: str, output: Any, name: str, own_format: str | None, default_format: str | None
) -> tuple[PurePosixPath, str]:
    """The normalised relative output path and the writer that writes it.

    An output's suffix says its format; a figure's own ``format`` must agree with it, while the
    defaults' ``format`` only names the suffix of outputs that are not given.
    """
    if output is None:
        fmt = own_format or default_format or "gif"
        suffix = next(s for w in writers() if w.name == fmt for s in w.suffixes)
        output = f"{name}{suffix}"
    if not isinstance(output, str) or not output.strip():
        raise ManifestError(f"{prefix}: output: must be a non-empty path such as {name}.gif")
    reject_control(f"{prefix}: output", output)
    text = output.strip()
    if (
        PurePosixPath(text).is_absolute()
        or PureWindowsPath(text).is_absolute()
        or (PureWindowsPath(text).drive)
    ):
        raise ManifestError(
            f"{prefix}: output: {text!r} is absolute; give a path inside the output directory"
        )
    normal = os.path.normpath(text.replace("\\", "/")).replace("\\", "/")
    if normal == "." or normal == ".." or normal.startswith("../"):
        raise ManifestError(f"{prefix}: output: {text!r} leaves the output directory")
    relative = PurePosixPath(normal)
    if str(relative) in _RESERVED:
        raise ManifestError(f"{prefix}: output: {text!r} is reserved for batch's own files")
    by_suffix = _writer_by_suffix(relative.suffix)
    if by_suffix is None:
        known = ", ".join(f"{w.name} ({' '.join(s for s in w.suffixes if s)})" for w in writers())
        raise ManifestError(
            f"{prefix}: output: unknown suffix {relative.suffix!r}; known: {known}, "
            "no suffix = a folder of frames"
        )
    if own_format is not None and own_format != by_suffix:
        raise ManifestError(
            f"{prefix}: format: {own_format!r} does not match the output {text!r} "
            f"({by_suffix}); change one of them"
        )
    return relative, by_suffix


def _writer_by_suffix(suffix: str) -> str | None:
    for writer in writers():
        if suffix.lower() in writer.suffixes:
            return writer.name
    return None


def check_inside(prefix: str, output_dir: Path, relative: PurePosixPath) -> None:
    """Refuse an output that a symlink (of a folder on the way, or the file) points elsewhere."""
    try:
        base = output_dir.resolve()
        final = base.joinpath(*relative.parts).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise ManifestError(f"{prefix}: output: {str(relative)!r}: cannot resolve: {exc}") from None
    if not final.is_relative_to(base) or final == base:
        raise ManifestError(
            f"{prefix}: output: {str(relative)!r} leads outside the output directory "
            f"{output_dir} (through a symbolic link, to {final})"
        )
