"""The outputs of one render: checked together before anything is drawn or written.

One request may write an animation, a folder of frames and a storyboard. ``check_outputs``
refuses, naming the option, what cannot be meant: a format that disagrees with the animation's
suffix (as manifests refuse it), two outputs that are the same path or one inside the other,
timing for a run that writes no animation, a loop count for a format without one, and
storyboard options without a storyboard. Standard library only, so the command line can use
it before the heavy modules load.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

from convanim.errors import SpecError

# Options that only a timed animation file uses, by field.
TIMING = ("delay", "fps", "hold_first", "hold_last", "loop")
STORYBOARD = ("every", "columns", "dpi")
_NO_LOOP = ("mp4",)  # video has no loop count; players decide


def format_of_suffix(path: str | os.PathLike[str]) -> str | None:
    """The writer whose suffix ``path`` has (``frames`` for no suffix), or None if unknown."""
    from convanim.export.writers import writers

    suffix = Path(path).suffix.lower()
    return next((w.name for w in writers() if suffix in w.suffixes), None)


def check_format(path: str | os.PathLike[str], format_name: str) -> None:
    """An explicit format must agree with the path's suffix: ``--format gif -o x.webp`` would
    write a GIF that every program reads as WebP."""
    by_suffix = format_of_suffix(path)
    if by_suffix != format_name:
        what = f"a {by_suffix} suffix" if by_suffix else "an unknown suffix"
        raise SpecError(
            "format",
            f"{format_name!r} does not match the output {os.fspath(path)!r} ({what}); "
            "change one of them",
        )


def check_outputs(
    animation: Path | None,
    frames: Path | None = None,
    storyboard: Path | None = None,
    format_name: str | None = None,
    given: Collection[str] = (),
) -> None:
    """Refuse, with a ``SpecError`` naming the option, outputs of one run that cannot be meant.

    ``animation`` is the animation's path (None when only frames or a storyboard are written),
    ``format_name`` its writer; ``given`` names the options set explicitly (``TIMING``,
    ``STORYBOARD`` fields and ``reverse``).
    """
    if animation is None:
        for field in TIMING:
            if field in given:
                raise SpecError(
                    field, "times an animation file; frames and storyboards are stills (add -o)"
                )
    elif format_name in _NO_LOOP and "loop" in given:
        raise SpecError("loop", f"{format_name} has no loop count; leave it out")
    if storyboard is None:
        for field in STORYBOARD:
            if field in given:
                raise SpecError(field, "applies to a storyboard only; add --storyboard FILE")
    elif animation is None and frames is None and "reverse" in given:
        raise SpecError("reverse", "plays an animation back; a storyboard shows each frame once")
    named = [
        (field, path)
        for field, path in (
            ("output", animation),
            ("frames_dir", frames),
            ("storyboard", storyboard),
        )
        if path is not None
    ]
    for k, (field, path) in enumerate(named):
        for other, other_path in named[:k]:
            _apart(field, path, other, other_path)


_WORDS = {
    "output": "the animation",
    "frames_dir": "the frames folder",
    "storyboard": "the storyboard",
}


def _apart(field: str, path: Path, other: str, other_path: Path) -> None:
    a, b = _real(path), _real(other_path)
    if a == b:
        problem = f"is also {_WORDS[other]} ({os.fspath(other_path)})"
    elif b in a.parents:
        problem = f"lies inside {_WORDS[other]} ({os.fspath(other_path)})"
    elif a in b.parents:
        problem = f"would contain {_WORDS[other]} ({os.fspath(other_path)})"
    else:
        return
    raise SpecError(field, f"{os.fspath(path)} {problem}; give each output its own path")


def _real(path: Path) -> Path:
    # normcase: on Windows X.gif and x.gif are one file.
    return Path(os.path.normcase(Path(path).expanduser().resolve(strict=False)))
