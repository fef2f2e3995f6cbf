"""Text to coverage masks for the raster backend (``convanim.backends._rasterise``).

Glyphs are Pillow's FreeType ones (``convanim.backends._fonts``), drawn at whole pixels; Agg
(matplotlib 3.11 on) puts a line at its exact position, in 64ths of a pixel, and lays it out
by the font's typographic ascender and descender. The mask is placed where Agg's line
starts and moved the fraction of a pixel left over by sliding each pixel's ink, which keeps
an edge as sharp as Agg's own rendering of the moved outline. numpy and Pillow only.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from convanim.backends._fonts import ink, line_box, text_mask
from convanim.scene.display import Text


def text_coverage(prim: Text, crisp: bool = False) -> tuple[np.ndarray, int, int] | None:
    """The coverage of a line of text, (mask, x, y) with its top-left pixel at (x, y), placed
    as Agg places it; None for a blank line."""
    if not prim.text.strip():
        return None
    size = float(prim.size)
    mask, ox, oy = text_mask(prim.text, prim.font, size)
    if crisp:
        mask = np.where(mask >= 128, 255, 0).astype(np.uint8)
    left, _, right, _, _ = ink(prim.text, prim.font, size)
    width, ascent, descent = line_box(prim.text, prim.font, size)
    # matplotlib aligns the line box: the ink's width, and at least the font's ascender and
    # descender tall (``line_box``).
    pen = -left - {"left": 0.0, "center": width / 2, "right": width}[prim.ha]
    baseline = {
        "top": ascent,
        "center": ascent - (ascent + descent) / 2,
        "baseline": 0.0,
        "bottom": -descent,
    }[prim.va]
    dx, dy = pen + ox, baseline + oy  # mask corner relative to the anchor, unrotated
    turns = prim.rotation / 90
    if prim.rotation and float(turns).is_integer():
        k = int(turns) % 4
        height, width_px = mask.shape
        corners = np.array(
            [[dx, dy], [dx + width_px, dy], [dx, dy + height], [dx + width_px, dy + height]]
        )
        turn = np.radians(prim.rotation)
        c, s = np.cos(turn), np.sin(turn)
        # Counter-clockwise on the screen: (x, y) -> (x cos + y sin, -x sin + y cos), y down.
        rotated = corners @ np.array([[c, -s], [s, c]])
        dx, dy = rotated.min(axis=0)
        mask = np.ascontiguousarray(np.rot90(mask, k))
    elif prim.rotation:
        image = Image.fromarray(mask).rotate(
            prim.rotation, resample=Image.Resampling.BILINEAR, expand=True
        )
        centre = np.array([dx + mask.shape[1] / 2, dy + mask.shape[0] / 2])
        turn = np.radians(prim.rotation)
        c, s = np.cos(turn), np.sin(turn)
        cx, cy = centre @ np.array([[c, -s], [s, c]])
        mask = np.asarray(image)
        dx, dy = cx - mask.shape[1] / 2, cy - mask.shape[0] / 2
    if crisp:
        # Moved by a fraction, a crisp mask would blur again: it stays on the nearest pixel.
        return mask, int(round(prim.x + dx)), int(round(prim.y + dy))
    # Agg puts the glyphs at their exact position (in 64ths of a pixel, as FreeType takes it),
    # Pillow only at whole pixels: the mask is moved the rest of the way.
    x, y = round((prim.x + dx) * 64) / 64, round((prim.y + dy) * 64) / 64
    left, top = int(np.floor(x)), int(np.floor(y))
    return _nudged(mask, x - left, y - top), left, top


def _nudged(mask: np.ndarray, fx: float, fy: float) -> np.ndarray:
    """``mask`` moved right by ``fx`` and down by ``fy`` (each in [0, 1)) of a pixel, one row
    and column larger: each pixel's ink taken to sit against its more inked neighbour (as a
    glyph's edge pixels do), slid along, and shared between the pixels it then covers. Exact
    for an edge across a row or column wherever it lies; interpolation would blur it."""
    if fx == 0 and fy == 0:
        return mask
    cover = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), np.float32)
    cover[:-1, :-1] = mask
    cover /= 255
    cover = _slid(cover, fx)
    cover = _slid(cover.T, fy).T
    return np.round(cover * 255).astype(np.uint8)


def _slid(cover: np.ndarray, f: float) -> np.ndarray:
    """Rows of coverage (the last column empty) moved right by ``f`` of a pixel."""
    if f == 0:
        return cover
    left = np.zeros_like(cover)
    left[:, 1:] = cover[:, :-1]
    right = np.zeros_like(cover)
    right[:, :-1] = cover[:, 1:]
    # Ink against the left side of its pixel: [0, c] -> [f, c + f]; else [1 - c, 1] moves.
    at_left = left >= right
    stays = np.where(at_left, np.minimum(cover, 1 - f), np.maximum(cover - f, 0))
    moved = cover - stays
    stays[:, 1:] += moved[:, :-1]  # what leaves a pixel enters the next
    return stays
