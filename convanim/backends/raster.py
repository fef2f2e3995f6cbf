"""The raster backend: a ``Picture`` made into frames with numpy and Pillow, no matplotlib.

Every primitive is rasterised once into coverage masks (``convanim.backends._rasterise``): the
static layer when the backend is built, a moving primitive the first time its shape appears
(a footprint that only moves is one sprite, found again at a whole-pixel offset). Frames are
made in palette-index space: a pixel is an index into the figure's palette, and drawing colour
``c`` with coverage ``m`` over index ``i`` is one table lookup, ``lut_c[m, i]``, the palette
colour nearest to ``c`` blended over colour ``i`` — the blend and snap the matplotlib backend
does per pixel, done once per (coverage, colour) pair.

A frame restores the rectangle that changed (where this frame's and the last frame's moving
primitives are) from a cached image of the static primitives below the lowest moving one,
then composites, clipped to that rectangle, the moving primitives and every static one above
them, in depth order. The cost of a frame is the size of its rectangle: a footprint under the
output plane is masked by the plane's own coverage, and nothing else is drawn again.

A channel figure's rectangle spans the caption, both blocks and the rays between them, and a
block's thirty layers lie above its moving column: there (many static primitives above the
moving ones, and a palette that no longer changes, so compositing is a pure function) a frame
is drawn only where its sprites are, in a few small rectangles and the thin sprites' pixels
outside them (``convanim.backends._patches``): the same pixels, and the same changed rectangle.
A palette that fills while the static layer is drawn is shared with the next backend of the
same picture, with the sprites made with it.

A primitive of one colour is a sprite of that colour's index and its coverage; one of several
layers (a grid of cells, each filled then outlined) is a chain (``convanim.backends._chain``):
each pixel keeps which layers it met, and painting it blends those one by one over what is
under it, in Agg's 8-bit integers, before snapping once — so both backends land on the same
palette entries where outlines and fills overlap.

``index_frames`` gives the index image and the changed rectangle of each frame (what the GIF
writer stores); ``frames`` gives RGB (RGBA when transparent) arrays as every backend does.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache

import numpy as np

from convanim.backends import _patches, opacity, resolve
from convanim.backends._chain import Chain, chained
from convanim.backends._composite import (
    Palette,
    Playback,
    Rect,
    Sprite,
    _sprite,
    clip,
    cover,
    inner,
    meets,
)
from convanim.backends._rasterise import inks
from convanim.backends.palette import MAX_COLOURS, agg_byte, palette_of
from convanim.model.themes import Theme
from convanim.scene.display import Fill, Picture, Polygons, Primitive, Segments, Text, union

_NONE = np.zeros(0, np.intp)
_MANY = 6  # static primitives over the moving ones from which ``_patch`` pays
_PATCHES = True  # redraw only where sprites are (``_patches``); off: the plain way, for tests
_RECENT = 16  # moving shapes a backend keeps at least (a footprint's, the last rays)
_SPRITE_BYTES = 64 << 20  # sprites kept, shared by every backend: flat memory however long
_SPRITES: OrderedDict[tuple, Sprite | None] = OrderedDict()
_KEPT = [0]  # their bytes


def _remember(key: tuple, sprite: Sprite | None) -> None:
    _SPRITES[key] = sprite
    _KEPT[0] += _bytes(sprite)
    while _KEPT[0] > _SPRITE_BYTES and len(_SPRITES) > 1:
        _, dropped = _SPRITES.popitem(last=False)
        _KEPT[0] -= _bytes(dropped)


def _bytes(sprite: Sprite | None) -> int:
    if sprite is None:
        return 64
    extra = sum(a.nbytes for a in sprite.sparse) if sprite.sparse is not None else 0
    extra += sprite.chain.nbytes() if sprite.chain is not None else 0
    return sprite.colour.nbytes + sprite.alpha.nbytes + extra


class RasterFrames(Playback):
    """Frames of a picture, composited in palette-index space (see the module docstring).

    ``crisp`` draws without antialiasing: every pixel is in or out of a shape by its centre.
    ``crisp_rays`` draws only the lines that move from frame to frame (the projection rays)
    that way, over an antialiased picture: the rays' soft edges were about a third of a GIF's
    bytes (the 19 reference figures: 1.93 MB, 1.35 MB with crisp rays), and one-pixel rays
    look the same either way at their size.
    """

    def __init__(
        self,
        picture: Picture,
        theme: Theme,
        transparent: bool = False,
        crisp: bool = False,
        crisp_rays: bool = True,
        palette: Palette | None = None,
    ) -> None:
        """``palette``: one to share (a stage's, with the rest of its picture), else the
        picture's own."""
        self.picture = picture
        self.theme = theme
        self.transparent = transparent
        self.crisp = crisp
        self.crisp_rays = crisp_rays
        shared = palette is not None
        self.palette = palette if palette is not None else _palette(picture, theme, transparent)
        fixed = shared or self.palette.fixed
        grown = None if fixed else _grown_key(self.palette, picture, theme, crisp)
        if grown in _GROWN:
            self.palette, grown = _GROWN[grown], None
        self._colours: dict[tuple[Fill, float], tuple[np.ndarray, float]] = {}
        height, width = picture.height, picture.width
        bg = self.palette._entry(resolve(theme, picture.background))
        if transparent and self.palette.clear is not None:
            bg = self.palette.clear
        self._static = sorted(
            ((p.depth, n, self._sprite(p)) for n, p in enumerate(picture.static)),
            key=lambda item: item[:2],
        )
        self._backgrounds: dict[float, tuple[np.ndarray, np.ndarray | None]] = {}
        # Static sprites' packed keys, once a frame is drawn by patches (``_patches.packed``).
        self._packed: dict[int, np.ndarray] = {}
        drawn = [(d, s.box()) for d, _, s in self._static if s is not None]
        self._static_depths = np.array([d for d, _ in drawn], float)
        self._static_boxes = np.array([b for _, b in drawn], np.int64).reshape(-1, 4)
        blank = np.full((height, width), bg, np.uint8)
        self._blank = (blank, np.zeros((height, width), np.uint8) if transparent else None)
        self._still = self._background(np.inf)
        if grown is not None and self.palette.count >= MAX_COLOURS:
            _GROWN[grown] = self.palette
            while len(_GROWN) > 2:
                _GROWN.popitem(last=False)
        self._canvas = self._still[0].copy()
        self._alpha = None if self._still[1] is None else self._still[1].copy()
        self._last: Rect | None = None
        # What the last frame drew over the still picture: rectangles and single pixels.
        self._drawn: tuple[list[Rect], np.ndarray] = ([], _NONE)
        self._recent: OrderedDict[tuple, Sprite | None] = OrderedDict()
        self._moving = 0

    @property
    def size(self) -> tuple[int, int]:
        return (self.picture.width, self.picture.height)

    @property
    def n_frames(self) -> int:
        return self.picture.n_frames

    # -- frames --------------------------------------------------------------------------------

    def index_frame(self, index: int) -> tuple[np.ndarray, Rect | None]:
        """Frame ``index`` as palette indices (the backend's canvas: valid until the next
        call) and the rectangle in which it differs from the frame drawn before it (None:
        nothing changed)."""
        moving = sorted(
            enumerate(self.picture.frame(index)), key=lambda item: (item[1].depth, item[0])
        )
        self._moving = len(moving)  # keep at least this frame's shapes and the last ones
        drawn_now = [(p.depth, n, self._sprite(p, moving=True)) for n, p in moving]
        here = clip(union([s.box() for *_, s in drawn_now if s is not None]), self.size)
        depth = moving[0][1].depth if moving else np.inf
        if self._patches(depth, here):
            changed = [self._patch(depth, drawn_now)]
        else:
            # A palette still growing takes colours in the order blends are met: keep it.
            regions = _regions(here, self._last, self.size)
            changed = [self._redraw(region, depth, drawn_now) for region in regions]
            self._drawn = (regions, _NONE)
        self._last = here
        return self._canvas, union(changed)

    def _patches(self, depth: float, here: Rect | None) -> bool:
        """Whether to draw only where the sprites are (``_patch``): when compositing is a pure
        function (a palette still growing takes colours in the order blends are met), and
        many static primitives lie over the moving ones (a block's layers; what it saves is
        drawing them again over the whole rectangle, and with few its own cost is not repaid)."""
        if not _PATCHES or self._alpha is not None or here is None:
            return False
        if not (self.palette.fixed or self.palette.count >= MAX_COLOURS):
            return False
        region = clip(union([here, self._last]), self.size)
        above = sum(1 for d, _, s in self._static if d > depth and s and meets(s.box(), region))
        return above >= _MANY

    def _patch(self, depth: float, moving: list) -> Rect | None:  # noqa: ANN001
        """Draw again only where the last frame's and this frame's moving sprites are (see
        ``convanim.backends._patches``); the changed part. The same pixels as ``_redraw``."""
        if not self._packed:
            self._packed = _patches.packed(self._static)
        rect, self._drawn = _patches.patch(self, depth, moving, self._drawn)
        return rect

    def _above(self, depth: float, region: Rect | None, moving: list) -> list:  # noqa: ANN001
        """The static sprites above ``depth`` and the moving ones that reach into ``region``,
        in the order they are drawn."""
        drawn = [
            (d, 0, n, sprite)
            for d, n, sprite in self._static
            if d > depth and sprite is not None and meets(sprite.box(), region)
        ]
        drawn += [(d, 1, n, s) for d, n, s in moving if s is not None and meets(s.box(), region)]
        return sorted(drawn, key=lambda item: item[:3])

    def _redraw(self, region: Rect, depth: float, moving: list) -> Rect | None:  # noqa: ANN001
        """Draw ``region`` of the canvas again (``_compose``); the changed part."""
        x0, y0, x1, y1 = region
        patch, alpha = self._compose(region, depth, moving)
        changed = self._canvas[y0:y1, x0:x1] != patch
        self._canvas[y0:y1, x0:x1] = patch
        if alpha is not None and self._alpha is not None:
            changed |= self._alpha[y0:y1, x0:x1] != alpha
            self._alpha[y0:y1, x0:x1] = alpha
        return inner(changed, x0, y0)

    def _compose(
        self,
        region: Rect,
        depth: float,
        moving: list,  # noqa: ANN001
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``region`` composited: the static background below ``depth``, then the moving
        sprites and the static ones above, in depth order (indices, alpha or None)."""
        x0, y0, x1, y1 = region
        under, under_alpha = self._background(depth)
        patch = under[y0:y1, x0:x1].copy()
        alpha = None if under_alpha is None else under_alpha[y0:y1, x0:x1].copy()
        # Static primitives above the lowest moving one, where they reach into the region:
        # their own coverage masks what moved under them.
        for *_, sprite in self._above(depth, region, moving):
            self._paint(patch, alpha, sprite, region)
        return patch, alpha

    def restart(self) -> None:
        """Back to the static picture, as before the first frame."""
        self._canvas[...] = self._still[0]
        if self._alpha is not None and self._still[1] is not None:
            self._alpha[...] = self._still[1]
        self._last = None
        self._drawn = ([], _NONE)

    def differs_from(self, other: RasterFrames) -> Rect | None:
        """The box around the pixels where this backend's canvas (and alpha) differ from
        ``other``'s, of the same size: what changes when one's frame follows the other's."""
        changed = self._canvas != other._canvas
        if self._alpha is not None and other._alpha is not None:
            changed |= self._alpha != other._alpha
        return inner(changed, 0, 0)

    def rgb(self, indices: np.ndarray) -> np.ndarray:
        """An index image as colours (with the alpha plane when transparent)."""
        if self._alpha is None:
            # One 4-byte word per pixel, gathered, then seen as bytes: faster than (H, W, 3).
            words = self.palette.words()[indices]
            return words.view(np.uint8).reshape(*indices.shape, 4)[..., :3]
        rgb = self.palette.rgb[indices]
        return np.concatenate([rgb, self._alpha[..., None]], axis=-1)

    # -- helpers -------------------------------------------------------------------------------

    def _sprite(self, prim: Primitive, moving: bool = False) -> Sprite | None:
        """A primitive drawn: once per shape, then moved by whole pixels. Shapes are shared
        by every backend with the same palette, theme and crispness (a gallery's figures
        draw the same grids and footprints). Moving lines (the projection rays) are drawn
        crisp when ``crisp_rays`` is set."""
        crisp = self.crisp or (moving and self.crisp_rays and isinstance(prim, Segments))
        shape, shift = _shape_key(prim)
        key = (self.palette.token, self.theme, crisp, shape)
        # Moving shapes that never come back (rays) would fill a shared cache: they live in
        # this backend's few recent ones, and only the static layer is shared.
        cache = self._recent if moving else _SPRITES
        if key in cache:
            cache.move_to_end(key)
            found = cache[key]
        elif key in _SPRITES:
            found = _SPRITES[key]
        else:
            found = self._draw(_moved(prim, -shift[0], -shift[1]), crisp)
            if moving:
                cache[key] = found
                if len(cache) > max(_RECENT, 3 * self._moving):
                    cache.popitem(last=False)
            else:
                _remember(key, found)
        return None if found is None else found.moved(*shift)

    def _draw(self, prim: Primitive, crisp: bool) -> Sprite | None:
        """One primitive as a sprite: one colour's index and coverage, or its layers as a
        chain that blends them one by one over what is under it (``_chain``)."""
        layers = inks(prim, crisp)
        box = union([layer.box() for layer in layers])
        if box is None:
            return None
        if len(layers) == 1:
            # One colour (most primitives): its index everywhere, its coverage as alpha. A
            # translucent colour the palette lacks (a shade: only its blends over flat
            # colours are entries) is a chain, blended from its own value, not the nearest.
            layer = layers[0]
            rgb, strength = self._colour(layer.colour)
            index = self.palette.snap(rgb.astype(np.uint8)[None])[0]
            if (self.palette.rgb[index] == rgb).all():
                alpha = layer.mask if strength == 255 else _scaled(strength)[layer.mask]
                colour = np.full(alpha.shape, index, np.uint8)
                return _sprite(colour, alpha, layer.x, layer.y, layer.pixels)
        states, alpha, chain = self._chain(layers, box)
        return _sprite(states, alpha, box[0], box[1], chain=chain)

    def _chain(self, layers: list, box: Rect) -> tuple[np.ndarray, np.ndarray, Chain]:  # noqa: ANN001
        """Layers as a chain (``convanim.backends._chain``): each pixel's state over ``box``,
        its coverage over nothing, and the chain that paints the states."""
        drawn = []
        for layer in layers:
            rgb, strength = self._colour(layer.colour)
            drawn.append((rgb.astype(np.uint8), strength, layer.mask, layer.box()))
        return chained(drawn, box, self.palette)

    def _colour(self, colour: tuple[Fill, float]) -> tuple[np.ndarray, float]:
        if colour not in self._colours:
            fill, alpha = colour
            strength = agg_byte(alpha * opacity(self.theme, fill))
            self._colours[colour] = (np.array(resolve(self.theme, fill), np.float32), strength)
        return self._colours[colour]

    def _paint(
        self, patch: np.ndarray, alpha: np.ndarray | None, sprite: Sprite, region: Rect
    ) -> None:
        sx0, sy0, sx1, sy1 = sprite.box()
        rx0, ry0, rx1, ry1 = region
        x0, y0, x1, y1 = max(sx0, rx0), max(sy0, ry0), min(sx1, rx1), min(sy1, ry1)
        if x0 >= x1 or y0 >= y1:
            return
        if sprite.sparse is not None and (x0, y0, x1, y1) == (sx0, sy0, sx1, sy1):
            rows, cols, packed = sprite.sparse
            if alpha is not None:
                a = sprite.alpha[rows, cols].astype(np.int32)
            rows, cols = rows + (sy0 - ry0), cols + (sx0 - rx0)
            below = patch[rows, cols]
            patch[rows, cols] = sprite.composer(self.palette)(packed | below)
            if alpha is not None:
                seen = alpha[rows, cols].astype(np.int32)
                alpha[rows, cols] = seen + ((255 - seen) * a + 127) // 255
            return
        inside = (slice(y0 - sy0, y1 - sy0), slice(x0 - sx0, x1 - sx0))
        cover = sprite.alpha[inside]
        under = patch[y0 - ry0 : y1 - ry0, x0 - rx0 : x1 - rx0]
        packed = self._packed.get(id(sprite.colour))
        if packed is None:
            packed_here = sprite.packed(sprite.colour[inside], cover)
        else:
            packed_here = packed[inside]
        under[...] = sprite.composer(self.palette)(packed_here | under)
        if alpha is not None:
            seen = alpha[y0 - ry0 : y1 - ry0, x0 - rx0 : x1 - rx0]
            a = cover.astype(np.uint32)
            seen[...] = seen + ((255 - seen.astype(np.uint32)) * a + 127) // 255

    def _background(self, depth: float) -> tuple[np.ndarray, np.ndarray | None]:
        """The static primitives drawn before anything at ``depth`` (ties: static first)."""
        if depth not in self._backgrounds:
            lower = [d for d in self._backgrounds if d < depth]
            start = max(lower) if lower else None
            base = self._backgrounds[start] if start is not None else self._blank
            indices = base[0].copy()
            alpha = None if base[1] is None else base[1].copy()
            whole = (0, 0, *self.size)
            for d, _, sprite in self._static:
                if (start is None or d > start) and d <= depth and sprite is not None:
                    self._paint(indices, alpha, sprite, whole)
            self._backgrounds[depth] = (indices, alpha)
        return self._backgrounds[depth]


_PALETTES: OrderedDict[bytes, Palette] = OrderedDict()
# Palettes that grew full while their figure's static layer was drawn, by that figure: from
# then on compositing is a pure function, so drawing the same static layer again from the same
# start would give this very palette, and it can be shared (with the sprites made with it).
_GROWN: OrderedDict[tuple, Palette] = OrderedDict()


def _grown_key(palette: Palette, picture: Picture, theme: Theme, crisp: bool) -> tuple:
    """What fixes a growing palette's state once the static layer is drawn: its first
    colours, the theme, crispness and every static primitive (its shape, place and depth)."""
    static = tuple((_shape_key(p), p.depth) for p in picture.static)
    start = (palette.colours().tobytes(), palette.clear, picture.background)
    return (start, theme, crisp, static)


def _palette(picture: Picture, theme: Theme, transparent: bool) -> Palette:
    known = palette_of(picture, theme)
    if known is not None and len(known) < MAX_COLOURS and not transparent:
        # A fixed palette never changes, so its table serves every figure that has it (a
        # gallery's figures share a few): what one figure worked out, the next reuses.
        key = known.tobytes()
        if key not in _PALETTES:
            _PALETTES[key] = Palette(known, fixed=True)
            if len(_PALETTES) > 4:
                _PALETTES.popitem(last=False)
        _PALETTES.move_to_end(key)
        return _PALETTES[key]
    if known is not None and len(known) < MAX_COLOURS:
        colours, fixed = known, True
    else:
        flat: list[tuple[int, int, int]] = []
        for fill, _ in picture.colours():
            colour = resolve(theme, fill)
            if colour not in flat:
                flat.append(colour)
        colours, fixed = np.array(flat[: MAX_COLOURS - 1], np.uint8).reshape(-1, 3), False
    if not transparent:
        return Palette(colours, fixed)
    # One entry more: the transparent background (its RGB is the background's).
    colours = colours[: MAX_COLOURS - 1]
    bg = np.array([resolve(theme, picture.background)], np.uint8)
    return Palette(np.concatenate([colours, bg]), fixed, clear=len(colours))


@lru_cache(maxsize=64)
def _scaled(strength: int) -> np.ndarray:
    """Coverage (of 255) times ``strength`` (of 255), rounded: a table for every coverage."""
    return cover(strength, np.arange(256)).astype(np.uint8)


def _shape_key(prim: Primitive) -> tuple[tuple, tuple[int, int]]:
    """A key equal for primitives that differ only by a whole-pixel move, and that move."""
    if isinstance(prim, Text):
        shift = (int(np.floor(prim.x)), int(np.floor(prim.y)))
        rest = (prim.text, prim.x - shift[0], prim.y - shift[1], prim.size, prim.role)
        return ("t", *rest, prim.ha, prim.va, prim.rotation, prim.font), shift
    points = np.asarray(prim.points, float)
    if points.size == 0:
        return ("empty", type(prim).__name__), (0, 0)
    corner = np.floor(points.reshape(-1, 2).min(axis=0))
    shift = (int(corner[0]), int(corner[1]))
    shape = (points - corner).round(6).tobytes()
    if isinstance(prim, Polygons):
        style: tuple = ("p", prim.fill, prim.alpha, prim.edge, prim.width, prim.dash)
    else:
        assert isinstance(prim, Segments)
        style = ("s", prim.role, prim.alpha, prim.width, prim.dash)
    return (*style, points.shape, shape), shift


def _moved(prim: Primitive, dx: float, dy: float) -> Primitive:
    return prim.moved(dx, dy)


def _regions(here: Rect | None, last: Rect | None, size: tuple[int, int]) -> list[Rect]:
    """What a frame draws again: where its moving primitives are and where the last frame's
    were; two rectangles when their union would be mostly neither (a footprint jumping back
    to the start of the next row), else one."""
    boxes = [b for b in (here, last) if b is not None]
    if len(boxes) < 2:
        return boxes
    whole = clip(union(boxes), size)
    assert whole is not None
    if _area(whole) <= sum(_area(b) for b in boxes) or meets(boxes[0], boxes[1]):
        return [whole]
    return boxes


def _area(box: Rect) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])
