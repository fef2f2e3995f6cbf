"""Storyboards: all frames of a figure (or every n-th) tiled in a grid as one still, numbered.

For print and for documents that cannot hold an animation (Sphinx's PDF builder, LaTeX). PNG
goes through Agg; PDF and SVG stay vector, because each tile is the figure's own artists drawn
into one matplotlib Figure (``FigureRenderer(host=...)``), not a picture of them. Part of the
renderer layer, with ``convanim.render``: it imports matplotlib.
"""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from convanim.atomic import atomic_file
from convanim.errors import OutputError, SpecError
from convanim.render import _FONT, FigureRenderer, _rgba
from convanim.spec import CompareSpec, FigureSpec, Look
from convanim.themes import CLASSIC, Theme

FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
_GAP = 16  # points between tiles
_NUMBER = 22  # points under each tile for its number
_TITLE = 26  # points above a comparison's members for their labels


def save_storyboard(
    target: FigureSpec | CompareSpec,
    path: str | Path,
    theme: Theme = CLASSIC,
    look: Look | None = None,
    every: int = 1,
    columns: int | None = None,
    dpi: float = 144,
) -> tuple[Path, int]:
    """Write the storyboard; returns (path, number of tiles)."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OutputError(
            f"storyboard: unknown suffix {path.suffix or '(none)'!r}; use {', '.join(FORMATS)}"
        )
    if every < 1:
        raise SpecError("every", f"{every} is not allowed; must be at least 1")
    if columns is not None and columns < 1:
        raise SpecError("columns", f"{columns} is not allowed; must be at least 1")
    if not 10 <= dpi <= 1200:
        raise SpecError("dpi", f"{dpi} is not allowed; must be 10 to 1200")
    look = look or Look()
    members = list(target.members) if isinstance(target, CompareSpec) else [target]
    labels = list(target.labels) if isinstance(target, CompareSpec) else []
    # Probe each member's size and frame count once.
    probes = [FigureRenderer(m, theme, fast=False, look=look) for m in members]
    n_frames = max(p.n_frames for p in probes)
    chosen = list(range(0, n_frames, every))
    if chosen[-1] != n_frames - 1:
        chosen.append(n_frames - 1)  # the storyboard always ends on the last frame
    cols = columns or math.ceil(math.sqrt(len(chosen)))
    rows = math.ceil(len(chosen) / cols)
    title = _TITLE if labels else 0
    gap = _GAP * 3 if labels else _GAP  # tiles further apart than a comparison's members
    tile_w = sum(p.size[0] for p in probes) + _GAP * (len(probes) - 1)
    tile_h = max(p.size[1] for p in probes) + title + _NUMBER
    width = cols * tile_w + (cols - 1) * gap
    height = rows * tile_h + (rows - 1) * gap

    fig = Figure(figsize=(width / 72, height / 72), dpi=72)
    fig.patch.set_facecolor(_rgba(theme, "background", 0 if look.transparent else 1))
    FigureCanvasAgg(fig)
    text = _rgba(theme, "text")
    for k, index in enumerate(chosen):
        row, col = divmod(k, cols)
        left = col * (tile_w + gap)
        bottom = height - (row + 1) * tile_h - row * gap
        x = left
        for member, probe, label in zip(members, probes, labels or [None] * len(members)):
            top_pad = max(p.size[1] for p in probes) - probe.size[1]
            tile = FigureRenderer(member, theme, look=look, host=(fig, x, bottom + _NUMBER + 0))
            tile.paint(min(index, tile.n_frames - 1))
            if label is not None:
                fig.text(
                    (x + probe.size[0] / 2) / width,
                    (bottom + _NUMBER + probe.size[1] + top_pad + title / 2) / height,
                    label,
                    ha="center",
                    va="center",
                    color=text,
                    fontproperties=_FONT,
                    fontsize=16,
                )
            x += probe.size[0] + _GAP
        fig.text(
            (left + tile_w / 2) / width,
            (bottom + _NUMBER / 2) / height,
            str(index + 1),
            ha="center",
            va="center",
            color=text,
            fontproperties=_FONT,
            fontsize=14,
        )
    with atomic_file(path) as out:
        # metadata pinned so that the same spec gives the same bytes (no dates, no versions).
        meta = {
            "png": {"Software": None},
            "pdf": {"CreationDate": None, "Producer": None},
            "svg": {"Date": None},
        }[fmt]
        with rc_context({"svg.hashsalt": "convanim"}):  # SVG ids from a fixed salt
            fig.savefig(out, format=fmt, dpi=dpi, metadata=meta, transparent=look.transparent)
    return path, len(chosen)
