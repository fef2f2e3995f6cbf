"""Backends: how pixels (or vectors) are made from a display list (``convanim.display``).

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


class FrameSource(Protocol):
    """What writers consume: a fixed frame size and a stream of frames."""

    @property
    def size(self) -> tuple[int, int]: ...  # (width, height) in pixels

    @property
    def n_frames(self) -> int: ...

    def frame(self, index: int) -> np.ndarray: ...

    def frames(self) -> Iterator[np.ndarray]: ...
