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
from convanim.scene.display import Fill, Paint


def resolve(theme: Theme, fill: Fill) -> RGB:
    """The colour of a role or a ``Paint`` in ``theme``, rounded to whole values at each step
    (mix, then light) so that equal paints give equal pixels everywhere."""
    paint = fill if isinstance(fill, Paint) else Paint(fill)
    rgb = np.array(theme.colour(paint.role), float)
    for role, amount in paint.mixes:
        t = theme.opacity(role) if amount is None else amount
        rgb = np.round((1 - t) * rgb + t * np.array(theme.colour(role), float))
    r, g, b = (int(v) for v in np.round(rgb * paint.light))
    return (r, g, b)


def opacity(theme: Theme, fill: Fill) -> float:
    """A plain role may be translucent (the shade); a paint is always opaque."""
    return 1.0 if isinstance(fill, Paint) else theme.opacity(fill)


class FrameSource(Protocol):
    """What writers consume: a fixed frame size and a stream of frames."""

    @property
    def size(self) -> tuple[int, int]: ...  # (width, height) in pixels

    @property
    def n_frames(self) -> int: ...

    def frame(self, index: int) -> np.ndarray: ...

    def frames(self) -> Iterator[np.ndarray]: ...
