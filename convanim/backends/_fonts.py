"""Fonts for the raster backend: the TrueType files matplotlib draws with, read by Pillow.

matplotlib ships its fonts as package data (``mpl-data/fonts/ttf``); they are found through
the import system's spec of the package, which locates it without importing it (importing
matplotlib costs half a second). The faces are the ones the matplotlib backend asks for:
``serif`` is Computer Modern (``cmr10``) with DejaVu Serif for the glyphs it lacks (arrows,
the middle dot, dashes), ``sans`` DejaVu Sans, ``mono`` DejaVu Sans Mono. Without matplotlib
installed, Pillow's own scalable default font stands in (a different face, same sizes).

``PilMetrics`` measures text as matplotlib's renderer does (the ink box), and ``line_box`` is
the box matplotlib aligns a line by (at least as tall as "lp"), so a scene laid out with these
metrics matches one laid out with the matplotlib metrics within a pixel.
"""

from __future__ import annotations

import importlib.util
import struct
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from convanim.scene.display import TextMetrics

# Faces per font name, first choice first; later files supply glyphs earlier ones lack.
_FACES = {
    "serif": ("cmr10.ttf", "DejaVuSerif.ttf"),
    "sans": ("DejaVuSans.ttf",),
    "mono": ("DejaVuSansMono.ttf",),
}
_MISSING_PROBE = "\ue000"  # a private-use code point no face here draws: its .notdef


@lru_cache(maxsize=1)
def font_folder() -> Path | None:
    """matplotlib's folder of TrueType files, found without importing matplotlib."""
    try:
        spec = importlib.util.find_spec("matplotlib")
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "mpl-data" / "fonts" / "ttf"
        if (folder / "DejaVuSans.ttf").is_file():
            return folder
    return None


Face = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=512)
def faces(font: str, size: float) -> tuple[Face, ...]:
    """The faces of ``font`` at ``size`` pixels, first choice first."""
    folder = font_folder()
    found: list[Face] = []
    if folder is not None:
        for name in _FACES.get(font, _FACES["serif"]):
            path = folder / name
            if path.is_file():
                found.append(
                    ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)
                )
    if not found:
        found.append(ImageFont.load_default(size))
    return tuple(found)


@lru_cache(maxsize=4096)
def _has_glyph(face: Face, char: str) -> bool:
    if char == " ":
        return True
    probe = face.getmask(_MISSING_PROBE)
    mask = face.getmask(char)
    if mask.size != probe.size:
        return True
    return bytes(mask) != bytes(probe) or face.getlength(char) != face.getlength(_MISSING_PROBE)


def runs(text: str, font: str, size: float) -> list[tuple[Face, str]]:
    """``text`` split into runs each drawn by one face: a glyph comes from the first face that
    has it (as matplotlib's font fallback does)."""
    chain = faces(font, size)
    out: list[tuple[Face, str]] = []
    for char in text:
        face = next((f for f in chain if _has_glyph(f, char)), chain[0])
        if out and out[-1][0] is face:
            out[-1] = (face, out[-1][1] + char)
        else:
            out.append((face, char))
    return out


@lru_cache(maxsize=4096)
def ink(text: str, font: str, size: float) -> tuple[float, float, float, float, float]:
    """(left, top, right, bottom, advance) of the ink of ``text`` relative to the pen's start on
    the baseline (y down), all runs laid end to end."""
    pen = 0.0
    left, top, right, bottom = np.inf, np.inf, -np.inf, -np.inf
    for face, chunk in runs(text, font, size):
        x0, y0, x1, y1 = face.getbbox(chunk, anchor="ls")
        if x1 > x0 and y1 > y0:
            left, right = min(left, pen + x0), max(right, pen + x1)
            top, bottom = min(top, y0), max(bottom, y1)
        pen += face.getlength(chunk)
    if left > right:
        return (0.0, 0.0, 0.0, 0.0, pen)
    return (float(left), float(top), float(right), float(bottom), pen)


@lru_cache(maxsize=4096)
def line_box(text: str, font: str, size: float) -> tuple[float, float, float]:
    """(width, ascent, descent) of the line matplotlib would lay out: the ink's width, and a
    box reaching at least the font's own ascender and descender (its OS/2 typographic ones,
    else its hhea ones, scaled to ``size``), or, for a face without those, that of "lp"."""
    left, top, right, bottom, _ = ink(text, font, size)
    least = _font_extent(font, size)
    if least is None:
        _, lp_top, _, lp_bottom, _ = ink("lp", font, size)
        least = (-lp_top, lp_bottom)
    ascent, descent = max(-top, least[0]), max(bottom, least[1], 0.0)
    return (right - left, ascent, descent)


@lru_cache(maxsize=512)
def _font_extent(font: str, size: float) -> tuple[float, float] | None:
    """(ascender, descender) of the first face of ``font`` at ``size`` pixels, as matplotlib
    lays a line out by them; None without the font's file or those tables."""
    folder = font_folder()
    path = folder / _FACES.get(font, _FACES["serif"])[0] if folder is not None else None
    if path is None or not path.is_file():
        return None
    return _typographic(path.read_bytes(), size)


def _typographic(data: bytes, size: float) -> tuple[float, float] | None:
    """The ascender and descender in a TrueType file's tables (OS/2 first, then hhea), in
    pixels at ``size``: read from the table directory, as Pillow does not expose them."""
    tables: dict[bytes, int] = {}
    (count,) = struct.unpack_from(">H", data, 4)
    for k in range(count):
        tag, _, offset, _ = struct.unpack_from(">4sIII", data, 12 + 16 * k)
        tables[tag] = offset
    if b"head" not in tables:
        return None
    (per_em,) = struct.unpack_from(">H", data, tables[b"head"] + 18)
    if b"OS/2" in tables:
        ascender, descender = struct.unpack_from(">hh", data, tables[b"OS/2"] + 68)
    elif b"hhea" in tables:
        ascender, descender = struct.unpack_from(">hh", data, tables[b"hhea"] + 4)
    else:
        return None
    return (ascender * size / per_em, -descender * size / per_em)


def text_mask(text: str, font: str, size: float) -> tuple[np.ndarray, float, float]:
    """The coverage (uint8) of ``text`` and where its top-left corner sits relative to the pen
    start on the baseline."""
    left, top, right, bottom, _ = ink(text, font, size)
    width, height = int(np.ceil(right - left)) + 2, int(np.ceil(bottom - top)) + 2
    ox, oy = int(np.floor(left)) - 1, int(np.floor(top)) - 1
    chunks = runs(text, font, size)
    if len(chunks) == 1 and isinstance(chunks[0][0], ImageFont.FreeTypeFont):
        fast = _one_run(chunks[0][0], text, (width, height), (-ox, -oy))
        if fast is not None:
            return fast, float(ox), float(oy)
    canvas = Image.new("L", (max(width, 1), max(height, 1)), 0)
    pen = 0.0
    draw = ImageDraw.Draw(canvas)
    for face, chunk in chunks:
        draw.text((round(pen) - ox, -oy), chunk, fill=255, font=face, anchor="ls")
        pen += face.getlength(chunk)
    return np.asarray(canvas), float(ox), float(oy)


def _one_run(
    face: ImageFont.FreeTypeFont, text: str, size: tuple[int, int], origin: tuple[int, int]
) -> np.ndarray | None:
    """Text in one face as ``ImageDraw.text`` draws it at a whole-pixel ``origin`` on an empty
    canvas of ``size`` (its mask, copied in: drawing 255 through a mask over 0 gives the mask),
    without the layout machinery around it, which costs as much as the glyphs. A line of
    several words is put together from its words, each drawn once at the fraction of a pixel
    its pen stands at: a caption that changes a number each frame draws only that number
    again. None if this Pillow cannot hand a mask over as an image."""
    if not hasattr(Image.Image, "_new"):
        return None
    width, height = max(size[0], 1), max(size[1], 1)
    canvas = np.zeros((height, width), np.uint8)
    pen = 0.0
    words = text.split(" ") if len(text) > _WHOLE else [text]
    for k, word in enumerate(words):
        if word:
            whole = int(np.floor(pen))
            glyphs, dx, dy = _word(face, word, pen - whole)
            _paste(canvas, glyphs, origin[0] + whole + dx, origin[1] + dy)
        if k < len(words) - 1:
            pen += _advance(face, word + " ")  # no kerning reaches across a space
    return canvas


_WHOLE = 12  # characters up to which a line is drawn in one piece


@lru_cache(maxsize=4096)
def _advance(face: ImageFont.FreeTypeFont, text: str) -> float:
    return face.getlength(text)


@lru_cache(maxsize=4096)
def _word(face: ImageFont.FreeTypeFont, word: str, start: float) -> tuple[np.ndarray, int, int]:
    """A word's glyphs drawn with the pen ``start`` of a pixel in, and the offset of their
    top-left corner from the pen's whole pixel on the baseline."""
    core, (dx, dy) = face.getmask2(word, "L", anchor="ls", start=(start, 0.0))
    glyphs = np.asarray(Image.Image()._new(core))  # noqa: SLF001 - the mask as an image
    glyphs.flags.writeable = False  # shared by every line that has this word here
    return glyphs, dx, dy


def _paste(canvas: np.ndarray, glyphs: np.ndarray, x: int, y: int) -> None:
    """``glyphs`` onto ``canvas`` at (x, y), clipped, the larger coverage where they meet."""
    height, width = canvas.shape
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + glyphs.shape[1], width), min(y + glyphs.shape[0], height)
    if x0 < x1 and y0 < y1:
        window = canvas[y0:y1, x0:x1]
        np.maximum(window, glyphs[y0 - y : y1 - y, x0 - x : x1 - x], out=window)


class PilMetrics(TextMetrics):
    """Text extents as the raster backend draws them (and, within a pixel, as matplotlib)."""

    def measure(self, text: str, size: float, font: str = "serif") -> tuple[float, float, float]:
        # As matplotlib's renderer reports it: the ink box of the text itself.
        left, top, right, bottom, _ = ink(text, font, float(size))
        return (right - left, max(-top, 0.0), max(bottom, 0.0))
