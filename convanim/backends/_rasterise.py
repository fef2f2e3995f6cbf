"""Primitives to coverage masks: what the raster backend composites.

A primitive becomes a few ``Ink`` layers, each one colour (a fill and its alpha) and a uint8
coverage mask at a whole-pixel offset, in the order Agg would draw them: a collection of
cells is each cell's fill then its outline, cell after cell, as matplotlib's
``PolyCollection`` draws (``convanim.backends._chain`` blends them so); one colour with no
outline is one compound path. Lines (``Segments``, solid or dashed), outlines (solid, or
dashed with the pattern running on around the corners) and convex cells
(``convanim.backends._convex``) cover each pixel by the exact share of it inside their
edges, worked out only near them, as Agg's byte (``levels``); a collection's cells are worked
out together and parted, equal shapes at whole-pixel offsets once (``_once``); other polygons
are filled by Pillow on a grid ``SUPERSAMPLE`` times finer and averaged down; crisp drawing
samples each pixel once, at its centre, and crisp one-pixel lines are Pillow's (worked out
directly). Text is drawn by Pillow's FreeType and placed as Agg places it
(``convanim.backends._text``).

Geometry follows what Agg shows for the matplotlib backend: fills and strokes cover the area
they enclose; paths made only of horizontal and vertical lines are snapped to the pixel grid
(matplotlib's auto snapping), so grid lines stay one sharp pixel; outlines get square corners;
dashes run on along an outline, lines have butt ends. numpy and Pillow only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from convanim.backends._convex import MAX_WINDOW as _MAX_WINDOW
from convanim.backends._convex import convex_each, convex_fill, levels, square_share
from convanim.backends._text import text_coverage
from convanim.scene.display import Fill, Polygons, Primitive, Segments, Text

SUPERSAMPLE = 8
_MAX_SAMPLES = 1 << 22  # supersampled pixels of one mask at most
_SHIFT = 0.001  # past the tie: a boundary on a sample line is outside


@dataclass(frozen=True, eq=False)
class Ink:
    """One colour's coverage: ``mask`` (h, w) uint8 with its top-left pixel at (x, y)."""

    colour: tuple[Fill, float]  # (fill, alpha of the primitive)
    mask: np.ndarray
    x: int
    y: int
    # Where a mostly empty mask is drawn (rows, cols), when known without searching it.
    pixels: tuple[np.ndarray, np.ndarray] | None = None

    def box(self) -> tuple[int, int, int, int]:
        height, width = self.mask.shape
        return (self.x, self.y, self.x + width, self.y + height)

    def moved(self, dx: int, dy: int) -> Ink:
        return Ink(self.colour, self.mask, self.x + dx, self.y + dy, self.pixels)


def inks(prim: Primitive, crisp: bool = False) -> list[Ink]:
    """The layers that draw ``prim``, in drawing order."""
    sample = 1 if crisp else SUPERSAMPLE
    if isinstance(prim, Polygons):
        return _polygon_inks(prim, sample)
    if isinstance(prim, Segments):
        return _segment_inks(prim, sample)
    return _text_inks(prim, crisp)


# -- polygons and lines ------------------------------------------------------------------------


def _polygon_inks(prim: Polygons, sample: int) -> list[Ink]:
    points = np.asarray(prim.points, float)
    if points.size == 0:
        return []
    stroke = prim.width if prim.edge else 0.0
    points = _snapped(points, stroke, closed=True)
    if prim.edge is None and not isinstance(prim.fill, tuple):
        # One colour, no outline: one compound path (touching cells add up, no seams).
        if prim.fill is None:
            return []
        made = convex_fill(list(points), sample == 1)
        if made is NotImplemented:
            made = _fill(list(points), sample)
        return [] if made is None else [Ink((prim.fill, prim.alpha), *made)]
    # A collection, as matplotlib draws one: each polygon's fill, then its outline, then the
    # next polygon's (a neighbour's fill covers half of a shared side's first outline, its own
    # outline covers it again). Equal shapes at whole-pixel offsets are drawn once.
    fills = prim.fill if isinstance(prim.fill, tuple) else (prim.fill,) * len(points)
    crisp = sample == 1

    def fill_all(shapes: np.ndarray) -> list:
        made = convex_each(shapes, crisp)
        return [_fill([shape], sample) for shape in shapes] if made is None else made

    filled = _once(points, fill_all)
    outlined: list = [None] * len(points)
    if prim.edge is not None and prim.width > 0:
        width, dash = prim.width, prim.dash
        if dash is None:
            outlined = _once(points, lambda shapes: outlines_each(shapes, width, crisp))
        else:
            outlined = _once(points, lambda shapes: outlines_each(shapes, width, crisp, dash))
    out: list[Ink] = []
    for fill, inside, edge in zip(fills, filled, outlined):
        if fill is not None and inside is not None:
            out.append(Ink((fill, prim.alpha), *inside))
        if edge is not None:
            out.append(Ink((prim.edge, 1.0), *edge))  # type: ignore[arg-type]
    return out


def _once(shapes: np.ndarray, draw: Callable[[np.ndarray], list]) -> list:
    """``draw(shapes)`` (each shape's coverage, (mask, x, y) or None), with a shape moved by
    whole pixels from an earlier one drawn once and its mask taken to the new place."""
    corners = np.floor(shapes[:, 0])
    first: dict[bytes, int] = {}
    # Exact: a coordinate less a whole number near it loses no bits.
    which = [
        first.setdefault((s - c).tobytes(), n) for n, (s, c) in enumerate(zip(shapes, corners))
    ]
    unique = sorted(set(which))
    drawn = dict(zip(unique, draw(shapes[unique])))
    made: list = []
    for n, m in enumerate(which):
        found = drawn[m]
        if found is None or m == n:
            made.append(found)
            continue
        mask, x, y = found
        dx, dy = corners[n] - corners[m]
        made.append((mask, x + int(dx), y + int(dy)))
    return made


def _segment_inks(prim: Segments, sample: int) -> list[Ink]:
    points = np.asarray(prim.points, float)
    if points.size == 0 or prim.width <= 0:
        return []
    points = _snapped(points, prim.width, closed=False)
    if prim.dash is None and sample == 1 and prim.width <= 1:
        made = _hairlines(points)
        return [] if made is None else [Ink((prim.role, prim.alpha), *made)]
    if prim.dash is None:
        made = _lines(points, prim.width, sample == 1)
        return [] if made is None else [Ink((prim.role, prim.alpha), *made)]
    # Each line's dashes start at its first end (a grid's lines: each drawn once).
    made = _lines(points, prim.width, sample == 1, prim.dash)
    return [] if made is None else [Ink((prim.role, prim.alpha), *made)]


def _hairlines(points: np.ndarray) -> tuple[np.ndarray, int, int, tuple] | None:
    """Crisp lines one pixel wide (the projection rays of every frame): one pixel a row or
    column, centres nearest the line — the same weight as ``_lines``' crisp rule, a pixel
    here or there at the steps. The pixels are Pillow's ``ImageDraw.line`` (Bresenham, both
    ends drawn; a test compares them), worked out directly: a ray's box is mostly empty, and
    its few pixels are what the sprite keeps. Returns the mask, its corner and those pixels
    (rows, cols in the mask)."""
    flat = points.reshape(-1, 2)
    x0, y0 = np.floor(flat.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(flat.max(axis=0)).astype(int) + 2
    width, height = int(x1 - x0), int(y1 - y0)
    # The pixels nearest the ends (Pillow would truncate): no pixel a whole one off the line.
    ends = np.rint(points - (np.array([x0, y0]) + 0.5)).astype(np.int64)
    (ax, ay), (bx, by) = ends[:, 0].T, ends[:, 1].T
    run, rise = np.abs(bx - ax), np.abs(by - ay)
    counts = np.maximum(run, rise) + 1
    line = np.repeat(np.arange(len(ends)), counts)
    steps = np.arange(len(line)) - np.repeat(np.cumsum(counts) - counts, counts)
    run, rise = run[line], rise[line]
    lying = run >= rise  # x the longer axis
    # Along the longer axis one pixel a step; across it rounded half up, as Bresenham's error
    # term does.
    major = np.where(lying, run, rise)
    across = (2 * np.where(lying, rise, run) * steps + major) // np.maximum(2 * major, 1)
    cols = ax[line] + np.sign(bx - ax)[line] * np.where(lying, steps, across)
    rows = ay[line] + np.sign(by - ay)[line] * np.where(lying, across, steps)
    flat_at = np.sort(rows * width + cols)
    flat_at = flat_at[np.r_[True, flat_at[1:] != flat_at[:-1]]]  # rays meet at their ends
    at_rows, at_cols = np.divmod(flat_at, width)
    mask = np.zeros((height, width), np.uint8)
    mask[at_rows, at_cols] = 255
    return mask, int(x0), int(y0), (at_rows, at_cols)


def _lines(
    points: np.ndarray,
    width: float,
    crisp: bool,
    dash: tuple[float, float] | None = None,
    square: bool = False,
) -> tuple[np.ndarray, int, int] | None:
    """Coverage of lines with butt ends (``_line_levels``) in one mask: where lines overlap,
    the larger."""
    drawn = _line_levels(points, width, crisp, dash, square)
    if drawn is None:
        return None
    (x0, y0, x1, y1), found = drawn
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for rows, cols, _, level in found:
        # Written smallest first, so that of a pixel listed twice the larger stays.
        order = np.argsort(level, kind="stable")
        rows, cols, level = rows[order] - y0, cols[order] - x0, level[order]
        mask[rows, cols] = np.maximum(mask[rows, cols], level)
    if not mask.any():
        return None
    return mask, int(x0), int(y0)


def outlines_each(
    polygons: np.ndarray, width: float, crisp: bool, dash: tuple[float, float] | None = None
) -> list:
    """Each closed outline's coverage, (mask, x, y) or None, as ``_lines`` of its sides gives
    it — worked out for all of them together, then parted. Solid, the sides have square
    ends (corners close); dashed, butt ends, the pattern running on around the corners."""
    n, k, _ = polygons.shape
    sides = np.stack([polygons, np.roll(polygons, -1, axis=1)], axis=2).reshape(-1, 2, 2)
    phase = None
    if dash is not None:
        lengths = np.hypot(*(polygons - np.roll(polygons, -1, axis=1)).transpose(2, 0, 1))
        phase = (np.cumsum(lengths, axis=1) - lengths).ravel()  # the sides before each
    drawn = _line_levels(sides, width, crisp, dash, dash is None, phase)
    made: list = [None] * n
    if drawn is None:
        return made
    _, found = drawn
    rows, cols, line, level = (np.concatenate(part) for part in zip(*found))
    keep = level > 0
    rows, cols, level, owner = rows[keep], cols[keep], level[keep], line[keep] // k
    order = np.lexsort((level, owner))  # by outline, then smallest first (the larger stays)
    rows, cols, level, owner = rows[order], cols[order], level[order], owner[order]
    bounds = np.searchsorted(owner, np.arange(n + 1))
    for p in range(n):
        at = slice(bounds[p], bounds[p + 1])
        if bounds[p] == bounds[p + 1]:
            continue
        r, c = rows[at], cols[at]
        top, left = int(r.min()), int(c.min())
        mask = np.zeros((int(r.max()) - top + 1, int(c.max()) - left + 1), np.uint8)
        mask[r - top, c - left] = level[at]
        made[p] = (mask, left, top)
    return made


def _line_levels(
    points: np.ndarray,
    width: float,
    crisp: bool,
    dash: tuple[float, float] | None = None,
    square: bool = False,
    phase: np.ndarray | None = None,
) -> tuple[tuple[int, int, int, int], list[tuple[np.ndarray, ...]]] | None:
    """Coverage of lines with butt ends, worked out per pixel from its centre's distance to
    each line: across it the exact share of the pixel between the line's two edges
    (``square_share``), along it a box filter at the ends — no supersampled canvas, and only
    the few pixels of each row (or column) that a line crosses: a long ray costs its length.
    ``dash`` (on, off) draws each line dashed from its first end, its pattern begun
    ``phase[line]`` before it; ``square`` ends reach half the width past both ends (the sides
    of an outline then close its corners). Returns the
    box around them all (x0, y0, x1, y1) and, in groups, (rows, cols, line, level): canvas
    pixels, the number of the line in ``points``, and its coverage there (0 where a pixel
    looked at is not reached)."""
    half = width / 2
    a, b = points[:, 0].astype(float), points[:, 1].astype(float)
    length = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
    drawn = length > 0
    if not drawn.any():
        return None
    number = np.flatnonzero(drawn)
    a, b, length = a[drawn], b[drawn], length[drawn]
    if phase is not None:
        phase = phase[drawn]
    unit = (b - a) / length[:, None]
    if square:
        a, b, length = a - unit * half, b + unit * half, length + width
    # The box around every point given (a line of no length too) and every square end.
    flat = np.concatenate([points.reshape(-1, 2), a, b])
    x0, y0 = np.floor(flat.min(axis=0) - half).astype(int) - 1
    x1, y1 = np.ceil(flat.max(axis=0) + half).astype(int) + 1
    xs = np.arange(x0, x1, dtype=np.float32) + 0.5
    ys = np.arange(y0, y1, dtype=np.float32) + 0.5
    # Each line's own box, then the pixels near it (``_near``), each with its line's number.
    low, high = np.minimum(a, b), np.maximum(a, b)
    box = np.concatenate(
        [np.floor(low - half).astype(int) - 1, np.ceil(high + half).astype(int) + 1], axis=1
    ) - np.array([x0, y0, x0, y0])
    start = a - np.array([x0, y0])
    reach = half if crisp else half + 0.5
    found = []
    # In groups of lines, so that the per-pixel arrays stay small however many there are.
    steps = np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]) * (2 * reach + 6)
    group = np.cumsum(steps) // _MAX_WINDOW  # never decreasing: groups are runs of lines
    for chosen in np.split(np.arange(len(a)), np.flatnonzero(np.diff(group)) + 1):
        rows, cols, line = _near(start[chosen], unit[chosen], reach, box[chosen])
        line = chosen[line]
        ax, ay, ux, uy = a[line, 0], a[line, 1], unit[line, 0], unit[line, 1]
        px, py = xs[cols] - ax, ys[rows] - ay
        along = px * ux + py * uy
        across = np.abs(px * uy - py * ux)
        long = length[line]
        begun = 0.0 if phase is None else phase[line]
        if crisp:
            inside = (across <= half) & (along >= 0) & (along <= long)
            if dash is not None:
                inside &= np.mod(along + begun, dash[0] + dash[1]) <= dash[0]
            part = inside.astype(np.float32)
        else:
            big, small = np.maximum(np.abs(ux), np.abs(uy)), np.minimum(np.abs(ux), np.abs(uy))
            part = square_share(half - across, big, small)
            part -= square_share(-half - across, big, small)
            if dash is None:
                part *= np.clip(along + 0.5, 0, 1) * np.clip(long - along + 0.5, 0, 1)
            else:
                # The share of the pixel's extent along the line that is dash, not gap.
                part *= _dashed(along + 0.5, long, dash, begun) - _dashed(
                    along - 0.5, long, dash, begun
                )
        # Coverage as Agg's byte (of the share in float32, as it is kept).
        found.append((rows + y0, cols + x0, number[line], levels(part.astype(np.float32))))
    return (int(x0), int(y0), int(x1), int(y1)), found


def _dashed(
    t: np.ndarray, length: np.ndarray, dash: tuple[float, float], phase: np.ndarray | float = 0.0
) -> np.ndarray:
    """How much of a dashed line is dash from its start to ``t`` along it (clamped to it),
    its pattern begun ``phase`` before the start (an outline's side: the sides before it)."""
    on, off = dash
    v = np.clip(t, 0, length) + phase
    return np.floor(v / (on + off)) * on + np.minimum(np.mod(v, on + off), on)


def _near(
    start: np.ndarray, unit: np.ndarray, reach: float, box: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, line) of the pixels of each line's box (x0, y0, x1, y1; box coordinates)
    whose centres may lie within ``reach`` of that line, through ``start`` along ``unit``:
    along the line's major axis every row (column) of its box, across it a window of the few
    around the crossing, wide enough that every pixel left out is beyond ``reach``."""
    steep = np.abs(unit[:, 1]) >= np.abs(unit[:, 0])
    m0 = np.where(steep, box[:, 1], box[:, 0])
    m1 = np.where(steep, box[:, 3], box[:, 2])
    n0 = np.where(steep, box[:, 0], box[:, 1])
    n1 = np.where(steep, box[:, 2], box[:, 3])
    sm = np.where(steep, start[:, 1], start[:, 0])
    sn = np.where(steep, start[:, 0], start[:, 1])
    um = np.where(steep, unit[:, 1], unit[:, 0])
    un = np.where(steep, unit[:, 0], unit[:, 1])
    counts = np.maximum(m1 - m0, 0)
    line = np.repeat(np.arange(len(unit)), counts)
    major = np.arange(len(line)) - np.repeat(np.cumsum(counts) - counts - m0, counts)
    crossing = sn[line] + (major + 0.5 - sm[line]) * (un / um)[line]  # minor coordinate there
    spread = reach / np.abs(um)  # |minor - crossing| at which a centre is ``reach`` away
    first = np.floor(crossing - spread[line] - 0.5).astype(np.int64) - 1
    window = int(np.ceil(2 * spread.max())) + 4
    minor = first[:, None] + np.arange(window)
    keep = (minor >= n0[line, None]) & (minor < n1[line, None])
    major = np.broadcast_to(major[:, None], minor.shape)
    tall = np.broadcast_to(steep[line, None], minor.shape)
    rows = np.where(tall, major, minor)[keep]
    cols = np.where(tall, minor, major)[keep]
    return rows, cols, np.broadcast_to(line[:, None], minor.shape)[keep]


def _snapped(points: np.ndarray, stroke: float, closed: bool) -> np.ndarray:
    """matplotlib's auto snapping: a path of only horizontal and vertical lines has its
    corners moved to pixel centres (odd stroke widths) or pixel corners (even, or no stroke),
    so one-pixel lines stay one pixel wide."""
    path = np.concatenate([points, points[:, :1]], axis=1) if closed else points
    steps = np.diff(path, axis=1)
    # (np.isclose's tolerance against 0, without its cost: every frame's rays pass here)
    if not np.all((np.abs(steps[..., 0]) <= 1e-8) | (np.abs(steps[..., 1]) <= 1e-8)):
        return points
    half = 0.5 if int(round(stroke)) % 2 else 0.0
    # Measured against Agg (a 3-pixel grid): both coordinates go to the centre after the
    # rounded corner.
    snapped = np.floor(points + 0.5) + half
    return snapped


def _fill(polygons: Sequence[np.ndarray], sample: int) -> tuple[np.ndarray, int, int] | None:
    """Coverage of the union of ``polygons``: (mask, x, y), or None if it covers nothing."""
    if not polygons:
        return None
    flat = np.concatenate([np.asarray(p).reshape(-1, 2) for p in polygons])
    x0, y0 = np.floor(flat.min(axis=0)).astype(int) - 1
    x1, y1 = np.ceil(flat.max(axis=0)).astype(int) + 1
    width, height = int(x1 - x0), int(y1 - y0)
    if width <= 0 or height <= 0:
        return None
    if sample > 1:
        # Large shapes (a 64x64 grid's lines) get fewer samples: memory and time stay bounded.
        sample = max(2, min(sample, int((_MAX_SAMPLES / (width * height)) ** 0.5)))
    canvas = Image.new("L", (width * sample, height * sample), 0)
    draw = ImageDraw.Draw(canvas)
    origin = np.array([x0, y0], float)
    for polygon in polygons:
        # Pillow fills the pixels whose index lies within the outline, ends included; shifting
        # by half a (sub)pixel makes that "whose centre lies within", i.e. area sampling.
        corners = (np.asarray(polygon) - origin) * sample - _SHIFT
        draw.polygon([(float(x), float(y)) for x, y in corners], fill=255)
    if sample > 1:
        canvas = canvas.reduce(sample)
    mask = np.asarray(canvas)
    if not mask.any():
        return None
    return mask, int(x0), int(y0)


# -- text --------------------------------------------------------------------------------------


def _text_inks(prim: Text, crisp: bool) -> list[Ink]:
    made = text_coverage(prim, crisp)
    return [] if made is None else [Ink((prim.role, 1.0), *made)]
