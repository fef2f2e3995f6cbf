"""Every string a figure shows, in one place: numbers as printed, parameter lines, the
output-size formula, the numerical view's sums, the channel figures' captions and words, the
stage titles of a sequence. Scene builders ask this module; backends never make a string, and
``convanim.explain`` builds its report from the same lines. numpy only (through the scene).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from convanim.model.spec import FigureSpec, LayerSpec
from convanim.ops import geometry

if TYPE_CHECKING:
    from convanim.scene.channel_plan import ChannelFrame, ChannelScene, Term
    from convanim.scene.plan import FrameState, Scene


# -- numbers -----------------------------------------------------------------------------------


def fmt_input(value: float) -> str:
    if math.isnan(value):
        return ""
    if float(value).is_integer():
        return str(int(value))
    return half_up(value)


def fmt_output(value: float) -> str:
    return "" if math.isnan(value) else half_up(value)


def half_up(value: float, places: int = 1) -> str:
    """``value`` rounded as by hand: halves away from zero, from the decimal a reader sees
    (1.25 -> "1.3", 2.675 -> "2.68" at two places), where a float's own rounding gives
    "1.2"; never "-0.0"."""
    if not math.isfinite(value):
        return str(value)
    from decimal import ROUND_HALF_UP, Decimal  # only for numbers shown: not every figure's

    exact = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    text = f"{exact:.{places}f}"
    return text[1:] if text.startswith("-") and not exact else text


# -- parameters and the output-size formula ----------------------------------------------------

_AXES = (("height", "p_top", "p_bottom"), ("width", "p_left", "p_right"))


_TRAILING = ("bottom", "right")  # the padding after the input, per axis


def _axis_values(spec: LayerSpec, axis: int) -> tuple[int, int, int, int]:
    return (
        spec.input_size[axis],
        spec.kernel_size[axis],
        spec.stride[axis],
        spec.dilation[axis],
    )


def axis_formula(spec: LayerSpec, axis: int) -> str:
    """The output-size formula for one axis, then the numbers, ending with ``= o``."""
    i, k, s, d = _axis_values(spec, axis)
    _, lo_name, hi_name = _AXES[axis]
    lo, hi = spec.pads[2 * axis], spec.pads[2 * axis + 1]
    out = geometry.output_size(spec)[axis]
    if spec.is_transposed:
        a = spec.output_padding[axis]
        return (
            f"o = (i - 1)·s - {lo_name} - {hi_name} + d·(k - 1) + output_padding + 1 "
            f"= ({i} - 1)·{s} - {lo} - {hi} + {d}·({k} - 1) + {a} + 1 = {out}"
        )
    numerator = f"(i + {lo_name} + {hi_name} - d·(k - 1) - 1) / s"
    numbers = f"({i} + {lo} + {hi} - {d}·({k} - 1) - 1) / {s}"
    if not (spec.is_pool and spec.ceil_mode):
        return f"o = floor({numerator}) + 1 = floor({numbers}) + 1 = {out}"
    span = i + lo + hi - (k - 1) * d - 1
    ceiled = -(-span // s) + 1
    start = (ceiled - 1) * s
    text = f"o = ceil({numerator}) + 1 = ceil({numbers}) + 1 = {ceiled}"
    # PyTorch's rule: the last window must start inside the input or its leading padding.
    trailing = _TRAILING[axis]
    if start >= i + lo:
        return (
            f"{text}; the last window would start at ({ceiled} - 1)·{s} = {start} "
            f">= i + {lo_name} = {i + lo}, in the {trailing} padding or past it, so PyTorch "
            f"drops it: o = {out}"
        )
    return (
        f"{text}; the last window starts at ({ceiled} - 1)·{s} = {start} < i + {lo_name} "
        f"= {i + lo}, before the {trailing} padding, so PyTorch keeps it: o = {out}"
    )


def parameter_line(layer: LayerSpec) -> str:
    """The layer's parameters and output size on one line, e.g. ``conv  i=5 k=1 s=2 p=0 → o=3``
    (figure captions and the batch index both show it)."""
    parts = [
        f"i={_short(layer.input_size)}",
        f"k={_short(layer.kernel_size)}",
        f"s={_short(layer.stride)}",
        f"p={_short_padding(layer.padding)}",
    ]
    if layer.dilation != (1, 1):
        parts.append(f"d={_short(layer.dilation)}")
    if any(layer.output_padding):
        parts.append(f"a={_short(layer.output_padding)}")
    if layer.ceil_mode:
        parts.append("ceil")
    if layer.in_channels != 1 or layer.out_channels != 1:
        parts.append(f"c={layer.in_channels}→{layer.out_channels}")
    if layer.groups != 1:
        parts.append(f"g={layer.groups}")
    return f"{layer.op}  {' '.join(parts)} → o={_short(geometry.output_size(layer))}"


def _short(pair: Sequence[int]) -> str:
    return str(pair[0]) if len(set(pair)) == 1 else "x".join(str(v) for v in pair)


def _short_padding(padding: tuple[int, int, int, int] | str) -> str:
    if isinstance(padding, str):
        return padding
    top, bottom, left, right = padding
    if top == bottom and left == right:
        return _short((top, left))
    return "x".join(str(v) for v in padding)


def formula_line(spec: LayerSpec) -> str:
    """The output-size formula with the numbers only, short enough for a figure's caption,
    e.g. "o = floor((5 + 1 + 1 - 1·(3 - 1) - 1) / 2) + 1 = 3" (per axis when they differ)."""
    out = geometry.output_size(spec)
    parts = []
    for axis in (0, 1):
        text = axis_formula(spec, axis)
        numbers = text.split(" = ")[2]
        if "drops it" in text:  # ceil_mode's last window fell into the padding
            numbers = f"{numbers} - 1"
        parts.append(f"{numbers} = {out[axis]}")
    if parts[0] == parts[1]:
        return f"o = {parts[0]}"
    return f"o_h = {parts[0]};  o_w = {parts[1]}"


def caption_lines(spec: LayerSpec, formula: bool = False, flip: bool = False) -> list[str]:
    """The parameter caption, e.g. "conv  i=5 k=3 s=2 p=1 → o=3", for a transposed
    convolution also the direct convolution it is drawn as, the formula, and with ``flip`` the
    line saying the figure is a true convolution."""
    # cmr10 has no underscore ("max pool" reads better anyway); in a picture the arrow gets
    # more room than in the index's monospace.
    line = parameter_line(spec).replace(spec.op, spec.op.replace("_", " "), 1)
    lines = [line.replace(" → o=", "  →  o=")]
    if spec.is_transposed:
        lines.append(direct_line(spec).replace(" → o=", "  →  o="))
    if formula:
        lines.append(formula_line(spec))
    if flip:
        lines.append(FLIP_LINE)
    return lines


def direct_line(spec: LayerSpec) -> str:
    """The direct convolution a transposed one is drawn as (the guide's Relationship 14),
    e.g. "drawn as conv  i'=5 k'=3 s'=1 p'=1x2x1x2 → o=6": the stretched input (s - 1 zeros
    between inputs), the same kernel at stride 1, d·(k - 1) - p padding per side plus
    output_padding after; a negative p' crops the stretched input."""
    stretched = [(i - 1) * s + 1 for i, s in zip(spec.input_size, spec.stride)]
    pads = (*geometry.transposed_padding(spec, 0), *geometry.transposed_padding(spec, 1))
    parts = [f"i'={_short(stretched)}", f"k'={_short(spec.kernel_size)}", "s'=1"]
    parts.append(f"p'={_short_padding(pads)}")  # type: ignore[arg-type]
    if spec.dilation != (1, 1):
        parts.append(f"d'={_short(spec.dilation)}")
    if min(pads) < 0:
        parts.append("(negative: crops)")
    return f"drawn as conv  {' '.join(parts)} → o={_short(geometry.output_size(spec))}"


def plane_words(spec: LayerSpec) -> tuple[str, str]:
    """The names of the input and output grids: a strided transposed convolution's drawn
    input is the real input stretched (its cells are the input's, the rest zeros)."""
    stretched = spec.is_transposed and max(spec.stride) > 1
    return ("stretched input" if stretched else "input", "output")


def legend_words(spec: LayerSpec, kind: str) -> str:
    """The legend's line for a kind of drawn cell (``convanim.scene.cells``)."""
    h, w = spec.input_size
    if kind == "input":
        return f"the {h}x{w} input" if spec.is_transposed else "input"
    if kind == "zero":
        gaps = "x".join(str(s - 1) for s in sorted(set(spec.stride)))
        return f"inserted zero ({gaps} between inputs: s - 1)"
    if kind == "padding":
        if spec.is_transposed:
            sides = {*geometry.transposed_padding(spec, 0), *geometry.transposed_padding(spec, 1)}
            if len(sides) == 1:
                return f"padding: d·(k - 1) - p = {sides.pop()} zeros"
            return "padding: d·(k - 1) - p zeros, output padding more after"
        return "padding, counted as 0" if spec.op == "avg_pool" else "padding (zeros)"
    if kind == "uncounted":
        if spec.op == "max_pool":
            return "padding: never the max (-inf in PyTorch)"
        return "padding, not counted (count include pad off)"
    if kind == "overhang":
        return "past the input (ceil mode): not read"
    if kind == "cropped":
        return "cropped (padding beyond d·(k - 1)): no window reaches it"
    raise ValueError(f"no legend words for {kind!r}")


FLIP_LINE = "true convolution: the kernel rotated 180 degrees (PyTorch computes cross-correlation)"


# -- the numerical view's sums -----------------------------------------------------------------


def sum_text(scene: Scene, state: FrameState) -> str:
    """What the current output value is made of, e.g. "3·0 + 3·1 + ... = 12.0" (value·weight,
    in tap order); a pool lists only the cells it reads (the scene leaves the others NaN)."""
    assert scene.input_values is not None and scene.output_values is not None
    values = [scene.input_values[r, c] for r, c in state.taps]
    result = fmt_output(scene.output_values[state.out])
    shown = [v for v in values if not math.isnan(v)]
    if scene.spec.op in ("max_pool", "avg_pool"):
        word = "max" if scene.spec.op == "max_pool" else "mean"
        items = [fmt_input(v) for v in shown]
        if len(items) > 9:
            items = items[:6] + ["\u2026"]
        return f"{word}({', '.join(items)}) = {result}"
    assert state.tap_weights is not None
    terms = [f"{fmt_input(v)}\u00b7{fmt_input(w)}" for v, w in zip(values, state.tap_weights)]
    if len(terms) > 9:
        terms = terms[:6] + ["\u2026"]
    return f"{' + '.join(terms)} = {result}"


_MAX_PRODUCTS = 9  # more terms than this are summed per channel in the written sum


def written_sum(scene: ChannelScene, state: ChannelFrame, o: int) -> str:
    """out c1 (0, 2) = 3·2 + 0·1 + 2·0 = 6.0 (value·weight, in tap order, channel after
    channel) — or, for many terms, one partial per channel."""
    r, c = state.out
    assert scene.output_values is not None
    value = fmt_output(scene.output_values[o, r, c])
    head = f"out c{o} ({r}, {c}) = "
    if scene.spec.is_pool:
        term = scene.terms(state, o)[0]
        # Only what the pool reads: padding it does not count shows no value (NaN).
        values = ", ".join(fmt_input(v) for v in term.values if not math.isnan(v))
        word = "max" if scene.spec.op == "max_pool" else "mean"  # as ``sum_text`` writes it
        return f"{head}{word}({values}) = {value}"
    terms: list[Term] = scene.terms(state, o)
    if sum(len(t.values) for t in terms) <= _MAX_PRODUCTS:
        # value·weight, as the single-layer numerical view writes its sum
        parts = [
            f"{fmt_input(x)}·{fmt_input(wt)}"
            for t in terms
            for wt, x in zip(t.weights, t.values)  # type: ignore[arg-type]
        ]
    else:
        parts = [f"{fmt_input(t.partial)} (c{t.channel})" for t in terms]
    return head + " + ".join(parts) + f" = {value}"


# -- channel figures ---------------------------------------------------------------------------

# The Computer Modern face puts other glyphs where ASCII has < > | (TeX's encoding); words from
# templates are written with these instead.
_GLYPHS = str.maketrans({"<": "‹", ">": "›", "|": "¦"})


def holding_label(label: str) -> str:
    """A comparison member's label once it has finished and holds its last frame."""
    return f"{label} (done)"


def printable(text: str) -> str:
    return text.replace("->", "→").replace("<-", "←").translate(_GLYPHS)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def dims(*sides: int) -> str:
    return " x ".join(str(s) for s in sides)


def channel_words(channels: Sequence[int]) -> str:
    if len(channels) == 1:
        return f"channel {channels[0]}"
    return f"channels {channels[0]}-{channels[-1]}"


def pool_word(scene: ChannelScene) -> str:
    return "max" if scene.spec.op == "max_pool" else "average"


def channel_caption(scene: ChannelScene, state: ChannelFrame) -> str:
    """One line saying what the frame computes."""
    r, c = state.out
    where = f"output ({r}, {c})"
    if scene.spec.is_pool:
        if len(state.out_channels) == 1:
            o = state.out_channels[0]
            return f"{where}, channel {o}: the {pool_word(scene)} of input channel {o} alone"
        return f"{where}: each channel pooled alone ({pool_word(scene)})"
    if len(state.out_channels) == 1:
        o = state.out_channels[0]
        return f"{where}, channel {o} = filter f{o} over input {channel_words(state.in_channels)}"
    if scene.groups == 1:
        return (
            f"{where}, all {scene.out_channels} channels: "
            f"each filter mixes all {scene.in_channels} input channels"
        )
    per = scene.in_channels // scene.groups
    return (
        f"{where}, all {scene.out_channels} channels: "
        f"each filter reads only its group's {plural(per, 'channel')}"
    )


def input_words(scene: ChannelScene) -> str:
    spec = scene.spec
    words = f"input {dims(*spec.input_size, spec.in_channels)}"
    if scene.input_shape != spec.input_size:
        how = "with zeros and padding" if spec.is_transposed else "padded"
        words += f", {how}: {dims(*scene.input_shape)}"
    return words


def output_words(scene: ChannelScene) -> str:
    return f"output {dims(*scene.output_shape, scene.out_channels)}"


def filter_words(scene: ChannelScene) -> list[str]:
    kh, kw, per = scene.filter_shape
    if scene.spec.is_pool:
        return [f"{pool_word(scene)} pooling {dims(kh, kw)}", "on each channel alone"]
    lines = [f"{plural(scene.out_channels, 'filter')} {dims(kh, kw, per)}"]
    if scene.groups > 1:
        depthwise = scene.groups == scene.in_channels
        lines.append(f"{'depthwise: ' if depthwise else ''}groups = {scene.groups}")
    return lines


def schematic_caption(scene: ChannelScene, state: ChannelFrame) -> str:
    r, c = state.out
    where = f"output ({r}, {c}) of {dims(*scene.output_shape)}"
    if scene.spec.is_pool:
        return f"{where}: each of the {scene.in_channels} channels pooled alone"
    kh, kw, per = scene.filter_shape
    return (
        f"{where}: {plural(scene.out_channels, 'filter')} {dims(kh, kw, per)} "
        f"turn {scene.in_channels} channels into {scene.out_channels}"
    )


def stage_words(figure: FigureSpec) -> str:
    spec = figure.layer
    op = {"conv": "convolution", "conv_transpose": "transposed convolution"}.get(spec.op, spec.op)
    words = f"{dims(*spec.kernel_size)} {op}, {spec.in_channels} to {spec.out_channels} channels"
    if spec.groups > 1:
        words += f", groups = {spec.groups}"
    return words
