"""Backends: how pixels (or vectors) are made from a display list (``convanim.scene.display``).

A backend takes a ``Picture`` and a theme and knows nothing of convolutions. Each exposes the
same small surface — ``size``, ``n_frames``, ``frame(i)`` and ``frames()`` for raster frames
(``(H, W, 3)`` or, with a transparent background, ``(H, W, 4)`` uint8 arrays) — so that writers
and storyboards need not know which one drew. ``matplotlib`` is imported only by the modules of
this package.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np

from convanim.model.themes import RGB, Theme
from convanim.scene.display import Fill, Ink, Paint


def resolve(theme: Theme, fill: Fill | Ink) -> RGB:
    """The colour of a role, a ``Paint`` or an ``Ink`` in ``theme``, rounded to whole values at
    each step (mix, then light) so that equal paints give equal pixels everywhere."""
    if isinstance(fill, Ink):
        return ink(theme, resolve(theme, fill.on))
    paint = fill if isinstance(fill, Paint) else Paint(fill)
    rgb = np.array(theme.colour(paint.role), float)
    for role, amount in paint.mixes:
        t = theme.opacity(role) if amount is None else amount
        rgb = np.round((1 - t) * rgb + t * np.array(theme.colour(role), float))
    r, g, b = (int(v) for v in np.round(rgb * paint.light))
    return (r, g, b)


def opacity(theme: Theme, fill: Fill | Ink) -> float:
    """A plain role may be translucent (the shade); a paint or an ink is always opaque."""
    return 1.0 if isinstance(fill, (Paint, Ink)) else theme.opacity(fill)


READABLE = 4.5  # WCAG 2's contrast ratio for body text


def ink(theme: Theme, behind: RGB) -> RGB:
    """The theme's text colour if it reads on ``behind``; else its background colour if that
    does; else whichever of black and white contrasts more."""
    for candidate in (theme.rgb("text"), theme.rgb("background")):
        if contrast(candidate, behind) >= READABLE:
            return candidate
    black, white = (0, 0, 0), (255, 255, 255)
    return black if contrast(black, behind) >= contrast(white, behind) else white


def contrast(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _luminance(rgb: RGB) -> float:
    c = np.array(rgb, float) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(linear @ np.array([0.2126, 0.7152, 0.0722]))


class FrameSource(Protocol):
    """What writers consume: a fixed frame size and a stream of frames."""

    @property
    def size(self) -> tuple[int, int]: ...  # (width, height) in pixels

    @property
    def n_frames(self) -> int: ...

    def frame(self, index: int) -> np.ndarray: ...

    def frames(self) -> Iterator[np.ndarray]: ...
