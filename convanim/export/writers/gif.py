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
2. *Encode pass.* The palette is fixed (exact if the frames used at most 256 colours, counting
   the transparent one), the spooled rectangles are replayed onto a palette-index canvas, and
   each frame is written as its changed rectangle with disposal 1 ("do not dispose").

Above 256 colours the palette is quantised deterministically: the most frequent colours are
kept exactly (the flat fills of a figure), the remaining slots come from Pillow's median cut
over a count-weighted sample of the other colours, and every colour maps to its nearest palette
entry (squared RGB distance, lowest index on ties). No dithering, so no noise between frames.

Transparency (``WriteOptions.transparent`` with RGBA frames): GIF alpha is one bit, so alpha 0
is the transparent index and any other alpha is drawn opaque with its RGB. A transparent pixel
drawn with disposal 1 would show the old pixel through, so when a frame turns pixels
transparent the previous frame is stored with disposal 2 (restore to background = clear) over a
rectangle covering them, and the new frame redraws that rectangle.

Frames that come as palette indices with their changed rectangle (the raster backend's) skip
pass 1's packing and lookups: ``convanim.export.writers.gif_indexed`` spools the rectangles as
they are and shares pass 2 with this module.

Output is deterministic: no timestamps; same frames give the same bytes. ``options.comment``
(the alt text, from ``Animation.save``) goes into one comment extension after the loop block.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
from PIL import Image

from convanim.export.atomic import atomic_file, spool_beside
from convanim.export.writers import WriteOptions, WriteResult

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
# GIF stores delays as 16-bit centiseconds.
_MAX_CS = 0xFFFF
# Frequent colours kept exactly when quantising, and the sample size for the median cut.
_EXACT_SLOTS = 64
_SAMPLE = 1 << 18

# Disposal methods (GIF89a, graphic control extension bits 2-4).
_KEEP = 1
_CLEAR = 2

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)


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


@dataclass
class _Record:
    """One stored frame of the spool: where its rectangle is and how long it shows."""

    rect: Rect
    dtype: str
    seconds: float


def _read_ids(spool: BinaryIO, record: _Record) -> np.ndarray:
    x0, y0, x1, y1 = record.rect
    dtype = np.dtype(record.dtype)
    count = (x1 - x0) * (y1 - y0)
    return np.frombuffer(spool.read(count * dtype.itemsize), dtype=dtype)


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


def _bbox(mask: np.ndarray) -> Rect | None:
    """Bounding box (x0, y0, x1, y1) of the True cells of a 2-D mask, or None."""
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) == 0:
        return None
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    cols = np.flatnonzero(mask[y0:y1].any(axis=0))
    return int(cols[0]), y0, int(cols[-1]) + 1, y1


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


@dataclass(frozen=True)
class _Palette:
    """The global colour table and how spooled colour ids map into it."""

    rgb: bytes  # 3 bytes per entry, unpadded
    lut: np.ndarray | None  # colour id -> palette index (uint8); None: the id is the index
    transparent: int | None  # palette index of fully transparent pixels, if any
    keep: int | None  # transparent index used for "unchanged" pixels (= transparent if any)

    def indices(self, ids: np.ndarray) -> np.ndarray:
        if self.lut is not None:
            return np.take(self.lut, ids)
        return ids if ids.dtype == np.uint8 else ids.astype(np.uint8)


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


# --------------------------------------------------------------------------------------------
# pass 2: the GIF stream


@dataclass
class _Pending:
    """A frame held back one step: the next frame may need it to clear (disposal 2)."""

    rect: Rect
    data: np.ndarray
    seconds: float
    transparent: int | None  # index this frame's graphic control marks transparent
    disposal: int = _KEEP


def _encode_pass(
    out: BinaryIO,
    spool: BinaryIO,
    records: list[_Record],
    palette: _Palette,
    size: tuple[int, int],
    options: WriteOptions,
) -> tuple[int, float]:
    width, height = size
    table_bits = _table_bits(len(palette.rgb) // 3)
    out.write(_header(size, palette.rgb, table_bits, options.loop))
    out.write(_comment(options.comment))
    canvas = np.zeros((height, width), dtype=np.uint8)
    clear, keep = palette.transparent, palette.keep
    pending: _Pending | None = None
    written = 0
    total = 0.0
    for record in records:
        x0, y0, x1, y1 = record.rect
        region = palette.indices(_read_ids(spool, record)).reshape(y1 - y0, x1 - x0)
        total += record.seconds
        if pending is None:
            canvas[:] = region
            pending = _Pending((0, 0, width, height), region, record.seconds, clear)
            continue
        changed = region != canvas[y0:y1, x0:x1]
        inner = _bbox(changed)
        if inner is None:
            # Quantisation can make distinct colours equal: then the frame is a repeat.
            pending.seconds += record.seconds
            continue
        rect = _offset(inner, x0, y0)
        redrawn: Rect | None = None
        if clear is not None:
            cleared = _bbox(changed & (region == clear))
            if cleared is not None:
                # Transparent over "do not dispose" would show the old pixel: clear the previous
                # frame's rectangle, grown to cover these pixels, and redraw it in this frame.
                redrawn = _union(pending.rect, _offset(cleared, x0, y0))
                pending.rect, pending.data = redrawn, _crop(canvas, redrawn).copy()
                pending.disposal = _CLEAR
                rect = _union(rect, redrawn)
        before = _crop(canvas, rect).copy()
        canvas[y0:y1, x0:x1] = region
        data = _crop(canvas, rect).copy()
        transparent = clear
        if keep is not None:
            # Unchanged pixels become the "keep" (transparent) index: they show the previous
            # frame through, and long runs of one index compress far better under LZW.
            same = data == before
            if redrawn is not None:
                # ...except where the previous frame's disposal has just cleared the canvas.
                rx0, ry0, rx1, ry1 = _offset(redrawn, -rect[0], -rect[1])
                same[ry0:ry1, rx0:rx1] = False
            if same.any():
                np.copyto(data, np.uint8(keep), where=same)
                transparent = keep
        written += _emit(out, pending, table_bits)
        pending = _Pending(rect, data, record.seconds, transparent)
    assert pending is not None
    written += _emit(out, pending, table_bits)
    out.write(b";")  # trailer
    return written, total


def _header(size: tuple[int, int], rgb: bytes, table_bits: int, loop: int) -> bytes:
    width, height = size
    entries = 1 << table_bits
    colour_table = rgb + b"\0" * (3 * entries - len(rgb))
    # Global table present (0x80), 8-bit colour resolution (0x70), table size 2**(n+1).
    flags = 0x80 | 0x70 | (table_bits - 1)
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, flags, 0, 0)
    netscape = b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\0"
    return screen + colour_table + netscape


def _emit(out: BinaryIO, frame: _Pending, table_bits: int) -> int:
    """Write one frame; a delay beyond GIF's 16-bit limit repeats it. Returns frames written."""
    x0, y0, x1, y1 = frame.rect
    # LZW code size must be at least 2 (GIF89a), and cover every index in the table.
    code_size = max(2, table_bits)
    data = np.ascontiguousarray(frame.data)
    image = Image.frombuffer("L", (x1 - x0, y1 - y0), data, "raw", "L", 0, 1)
    lzw = image.tobytes("gif", "L", code_size, 0)
    descriptor = b"\x2c" + struct.pack("<HHHHB", x0, y0, x1 - x0, y1 - y0, 0)
    body = descriptor + bytes([code_size]) + lzw + b"\0"
    centiseconds = max(1, round(frame.seconds * 100))  # GIF's unit; 1.0 s -> 100
    count = 0
    while True:
        chunk = min(centiseconds, _MAX_CS)
        centiseconds -= chunk
        last = centiseconds == 0
        disposal = frame.disposal if last else _KEEP
        out.write(_control(chunk, disposal, frame.transparent))
        out.write(body)
        count += 1
        if last:
            return count


def _control(centiseconds: int, disposal: int, transparent: int | None) -> bytes:
    """Graphic control extension. Disposal is always explicit: some decoders (Pillow among
    them) keep the previous frame's method when a frame says 0 "unspecified"."""
    flags = (disposal << 2) | (1 if transparent is not None else 0)
    index = transparent or 0
    return b"\x21\xf9\x04" + struct.pack("<BHB", flags, centiseconds, index) + b"\0"


def _table_bits(entries: int) -> int:
    """n such that the colour table holds 2**n entries (1..8)."""
    return max(1, (max(entries, 2) - 1).bit_length())


def _offset(rect: Rect, dx: int, dy: int) -> Rect:
    x0, y0, x1, y1 = rect
    return x0 + dx, y0 + dy, x1 + dx, y1 + dy


def _union(a: Rect, b: Rect) -> Rect:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _crop(canvas: np.ndarray, rect: Rect) -> np.ndarray:
    x0, y0, x1, y1 = rect
    return canvas[y0:y1, x0:x1]


def _comment(text: str | None) -> bytes:
    """A comment extension holding ``text`` (UTF-8; GIF89a asks for 7-bit ASCII, which the
    alt text is), in sub-blocks of at most 255 bytes; nothing when there is no text."""
    if not text:
        return b""
    data = text.encode("utf-8")
    blocks = b"".join(
        bytes([len(data[k : k + 255])]) + data[k : k + 255] for k in range(0, len(data), 255)
    )
    return b"\x21\xfe" + blocks + b"\0"
