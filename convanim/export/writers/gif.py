"""The GIF writer: streaming, exact-colour, changed-rectangle GIF89a.

Owns the product's reference format. The container is written by hand (header, logical
screen, one global colour table, NETSCAPE2.0 loop block, then per frame a graphic control
extension, an image descriptor and LZW data); Pillow only does the LZW compression of each
rectangle, through its public ``Image.tobytes("gif", ...)`` encoder.

Two passes keep memory flat in the number of frames:

1. *Index pass.* Each frame is packed to one ``uint32`` key per pixel and compared with the
   previous frame; identical frames only extend the previous frame's time. The bounding box of
   the change is mapped to colour ids with an exact lookup (``searchsorted`` against a growing,
   sorted colour table; new colours get the next id) and spooled to an anonymous temporary file.
   Only the table, the counts per colour and a few numbers per frame stay in memory.
2. *Encode pass* (``_gif_stream``, shared with the indexed writer). The palette is fixed
   (exact if the frames used at most 256 colours, counting the transparent one), the spooled
   rectangles are replayed onto a palette-index canvas, and each frame is written as its
   changed rectangle; the frame before it is disposed as leaves it least to store.

Above 256 colours the palette is quantised deterministically: the most frequent colours are
kept exactly (the flat fills of a figure), the remaining slots come from Pillow's median cut
over a count-weighted sample of the other colours, and every colour maps to its nearest palette
entry (squared RGB distance, lowest index on ties). No dithering, so no noise between frames.

Transparency (``WriteOptions.transparent`` with RGBA frames): GIF alpha is one bit, so alpha 0
is the transparent index and any other alpha is drawn opaque with its RGB (how frames that
turn pixels transparent are stored: ``_gif_stream``).

Frames that come as palette indices with their changed rectangle (the raster backend's) skip
pass 1's packing and lookups: ``convanim.export.writers.gif_indexed`` spools the rectangles as
they are and shares pass 2 with this module.

Output is deterministic: no timestamps; same frames give the same bytes. ``options.comment``
(the alt text, from ``Animation.save``) goes into one comment extension after the loop block.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
from PIL import Image

from convanim.export.atomic import atomic_file, spool_beside
from convanim.export.writers import WriteOptions, WriteResult
from convanim.export.writers._gif_stream import (
    Rect,
    _encode_pass,
    _Palette,
    _read_ids,
    _Record,
)

if TYPE_CHECKING:
    from convanim.export.writers._common import FrameStream

__all__ = ["write"]

_MAX_COLOURS = 256
# Colour keys are 24-bit RGB (R | G << 8 | B << 16); fully transparent pixels share one key
# just past them, so the direct lookup table has 2**24 + 1 slots.
_TRANSPARENT_KEY = 1 << 24
_KEY_SPACE = _TRANSPARENT_KEY + 1
# "Not seen yet" in the one-byte table, which therefore holds ids 0..254.
_UNSEEN = 255
# Frequent colours kept exactly when quantising, and the sample size for the median cut.
_EXACT_SLOTS = 64
_SAMPLE = 1 << 18


def write(path: Path, frames: Iterable[np.ndarray], options: WriteOptions) -> WriteResult:
    """Write an animated GIF; see the module docstring for the format choices."""
    # Here, not at the top: the raster backend's frames (gif_indexed) never need it.
    from convanim.export.writers._common import open_frames

    stream = open_frames(frames, options)
    # The spool lives beside the output, not in $TMPDIR: one disk to have room on, and named.
    with atomic_file(path) as out, spool_beside(path) as spool:
        table, records = _index_pass(stream, spool)
        palette = _build_palette(table, spool, records)
        spool.seek(0)
        n_frames, seconds = _encode_pass(out, spool, records, palette, stream.size, options)
    return WriteResult(
        path=path,
        format="gif",
        n_frames=n_frames,
        size=stream.size,
        bytes=path.stat().st_size,
        duration=seconds,
    )


# --------------------------------------------------------------------------------------------
# pass 1: exact colour ids, changed rectangles, spooled


class _ColourTable:
    """Exact colour-key -> id lookup, ids in first-seen order.

    A direct table over every possible key makes the lookup one ``np.take`` (a few hundred
    distinct colours touch only a few cache lines). While there are at most 255 colours it is
    one byte per key (16 MiB) with 255 meaning "unseen", and ids are spooled as single bytes;
    past that it widens to uint32 holding ``id + 1`` (0 = unseen) on a lazily zeroed
    allocation, of which only the pages of colours actually seen are touched.
    """

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.uint32)  # key of each id
        self._narrow: np.ndarray | None = np.full(_KEY_SPACE, _UNSEEN, dtype=np.uint8)
        self._wide: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def dtype(self) -> str:
        """How ids are spooled right now."""
        return "u1" if self._narrow is not None else "<u4"

    def ids_of(self, keys: np.ndarray) -> np.ndarray:
        """Ids of ``keys`` (any shape) as ``self.dtype``, adding unseen colours in key order."""
        while True:
            if self._narrow is not None:
                ids = np.take(self._narrow, keys)
                unseen = ids == _UNSEEN
            else:
                assert self._wide is not None
                ids = np.take(self._wide, keys)
                unseen = ids == 0
            if not unseen.any():
                return ids if self._narrow is not None else (ids - 1).astype("<u4")
            self._add(np.unique(keys[unseen]))

    def _add(self, new_keys: np.ndarray) -> None:
        first = len(self.keys)
        self.keys = np.concatenate([self.keys, new_keys.astype(np.uint32)])
        if self._narrow is not None and len(self.keys) > _UNSEEN:
            # More colours than a byte can name next to the sentinel: widen, once.
            self._narrow = None
            self._wide = np.zeros(_KEY_SPACE, dtype=np.uint32)
            first = 0
        ids = np.arange(first, len(self.keys))
        if self._narrow is not None:
            self._narrow[self.keys[first:]] = ids
        else:
            assert self._wide is not None
            self._wide[self.keys[first:]] = ids + 1

    def counts(self, spool: BinaryIO, records: list[_Record]) -> np.ndarray:
        """Stored pixels per id, re-read from the spool (only needed when quantising)."""
        counts = np.zeros(len(self.keys), dtype=np.int64)
        spool.seek(0)
        for record in records:
            counts += np.bincount(_read_ids(spool, record), minlength=len(self.keys))
        return counts

    def rgb(self) -> np.ndarray:
        """(n, 3) uint8 colours by id; the transparent key decodes to black."""
        keys = np.where(self.keys == _TRANSPARENT_KEY, 0, self.keys)
        shifts = np.array([0, 8, 16], dtype=np.uint32)
        return ((keys[:, None] >> shifts) & 0xFF).astype(np.uint8)


def _pack(region: np.ndarray, alpha: bool) -> np.ndarray:
    """One integer key per pixel, equal exactly when the displayed pixels are equal.

    The RGB bytes are copied into a flat buffer with one spare byte and read back as
    little-endian uint32 at a 3-byte stride (R | G << 8 | B << 16 | next R << 24); masking the
    top byte leaves the 24-bit colour. About 3x faster than shifting the channels together.
    """
    height, width = region.shape[:2]
    count = height * width
    buffer = np.empty(3 * count + 1, dtype=np.uint8)
    buffer[:-1].reshape(height, width, 3)[...] = region[..., :3]
    buffer[-1] = 0
    words = np.ndarray((count,), dtype="<u4", buffer=buffer, strides=(3,))
    keys = np.bitwise_and(words, 0xFFFFFF, dtype=np.uint32).reshape(height, width)
    if alpha:
        # Every fully transparent pixel is the same pixel, whatever its RGB says.
        np.copyto(keys, np.uint32(_TRANSPARENT_KEY), where=region[..., 3] == 0)
    return keys


def _changed_rect(frame: np.ndarray, previous: np.ndarray) -> Rect | None:
    """Bounding box of the pixels whose bytes differ, found on the raw (H, W, C) arrays."""
    height, width, channels = frame.shape
    # Rows and columns of the byte-level difference, without packing whole frames first.
    diff = (frame != previous).reshape(height, width * channels)
    rows = np.flatnonzero(diff.any(axis=1))
    if len(rows) == 0:
        return None
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    cols = np.flatnonzero(diff[y0:y1].any(axis=0).reshape(width, channels).any(axis=1))
    return int(cols[0]), y0, int(cols[-1]) + 1, y1


def _index_pass(stream: FrameStream, spool: BinaryIO) -> tuple[_ColourTable, list[_Record]]:
    table = _ColourTable()
    records: list[_Record] = []
    previous: np.ndarray | None = None
    width, height = stream.size
    for frame, seconds in stream:
        rect = (0, 0, width, height) if previous is None else _changed_rect(frame, previous)
        if rect is None:
            # Identical to the frame before: show that one longer instead of storing this one.
            records[-1].seconds += seconds
            continue
        x0, y0, x1, y1 = rect
        ids = table.ids_of(_pack(frame[y0:y1, x0:x1], stream.alpha))
        spool.write(ids.tobytes())
        records.append(_Record(rect, table.dtype, seconds))
        previous = frame
    return table, records


# --------------------------------------------------------------------------------------------
# palette


def _build_palette(table: _ColourTable, spool: BinaryIO, records: list[_Record]) -> _Palette:
    colours = table.rgb()
    is_clear = table.keys == _TRANSPARENT_KEY
    clear_ids = np.flatnonzero(is_clear)
    if len(table) <= _MAX_COLOURS:
        # Exact: palette index = first-seen id, colours as they were drawn.
        rgb = colours.tobytes()
        if len(clear_ids):
            transparent = int(clear_ids[0])
            return _Palette(rgb, None, transparent, keep=transparent)
        if len(table) < _MAX_COLOURS:
            # A spare slot becomes the "keep" index (black, never drawn as a colour).
            return _Palette(rgb + b"\0\0\0", None, None, keep=len(table))
        return _Palette(rgb, None, None, keep=None)

    # Quantised: one slot stays free for the transparent / keep index.
    opaque_ids = np.flatnonzero(~is_clear)
    opaque = colours[opaque_ids].astype(np.int32)
    palette = _quantise(opaque, table.counts(spool, records)[opaque_ids], _MAX_COLOURS - 1)
    lut = np.zeros(len(table), dtype=np.uint8)
    lut[opaque_ids] = _nearest(opaque, palette)
    keep = len(palette)
    lut[clear_ids] = keep
    rgb = palette.astype(np.uint8).tobytes() + b"\0\0\0"
    return _Palette(rgb, lut, keep if len(clear_ids) else None, keep=keep)


def _quantise(colours: np.ndarray, counts: np.ndarray, slots: int) -> np.ndarray:
    """A deterministic palette of at most ``slots`` colours for many more ``colours``.

    The most used colours are kept exactly (flat fills must not drift); median cut, run on a
    count-weighted sample in id order, places the rest.
    """
    # Stable sort on -count: ties keep first-seen order, so the choice is reproducible.
    by_use = np.argsort(-counts, kind="stable")
    n_exact = min(_EXACT_SLOTS, slots // 2)
    kept = colours[by_use[:n_exact]]
    rest = np.sort(by_use[n_exact:])
    weights = counts[rest]
    total = int(weights.sum())
    reps = np.maximum(1, (weights * _SAMPLE) // max(total, 1))
    sample = np.repeat(colours[rest], reps, axis=0).astype(np.uint8)
    image = Image.fromarray(sample.reshape(1, -1, 3), "RGB")
    quantised = image.quantize(
        colors=slots - n_exact, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    used = np.unique(np.asarray(quantised))  # median cut may return fewer colours than asked
    flat = np.array(quantised.getpalette() or [], dtype=np.int32).reshape(-1, 3)
    return np.vstack([kept, flat[used]]).astype(np.int32)


def _nearest(colours: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Index of the nearest palette colour for each colour (exact search, chunked)."""
    out = np.empty(len(colours), dtype=np.uint8)
    pal = palette.astype(np.int32)
    for start in range(0, len(colours), 4096):
        chunk = colours[start : start + 4096].astype(np.int32)
        distance = ((chunk[:, None, :] - pal[None, :, :]) ** 2).sum(axis=2)
        out[start : start + 4096] = distance.argmin(axis=1)  # argmin: first index on ties
    return out
