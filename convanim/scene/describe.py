"""A figure in words, as data: its alt text and one caption per frame.

``alt_text(target)`` is one paragraph a screen reader can read in place of the animation (the
notebook display, the batch index, the GIF's comment, the HTML player); ``frame_captions``
says, for every frame of the picture ``convanim.scene.pictures.picture_for`` draws, which
output cell it computes and, in numerical views, the sum being computed; ``describe`` bundles
both with the parameter lines for the vector backends. The sums, captions and parameter lines
themselves come from ``convanim.scene.words``; this module only puts them in sentences.
numpy only (through the scene plans).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from convanim.model.spec import (
    CompareSpec,
    FigureSpec,
    LayerSpec,
    SequenceSpec,
    wants_channel_view,
)
from convanim.scene.plan import Scene, build_scene
from convanim.scene.words import (
    caption_lines,
    channel_caption,
    dims,
    holding_label,
    plural,
    schematic_caption,
    sum_text,
    written_sum,
)

if TYPE_CHECKING:
    from convanim.scene.channel_plan import ChannelScene

# convanim.scene.channel_plan is imported where a channel figure or a sequence is described:
# a planar figure's short render (which writes its alt text) does not load it.

Target = FigureSpec | CompareSpec | SequenceSpec

_OP_NOUNS = {
    "conv": "kernel",
    "conv_transpose": "kernel",
    "max_pool": "max-pooling window",
    "avg_pool": "average-pooling window",
}


@dataclass(frozen=True)
class Description:
    """What a document shows beside the picture: a title, the alt text, the parameter lines
    (with the output-size formula) and one caption per frame."""

    title: str
    alt: str
    lines: tuple[str, ...]
    captions: tuple[str, ...]


def describe(target: Target, frames: int | None = None, sync: str = "loop") -> Description:
    """The words of ``target`` for a player or a document; ``frames``, the picture's frame
    count, if given, is what the captions must number (a view this module has no words for
    yet gets "frame k of n"); ``sync``, what a comparison's shorter members do."""
    lines = parameter_lines(target)
    captions = frame_captions(target, sync)
    if frames is not None and len(captions) != frames:
        captions = tuple(f"frame {k} of {frames}" for k in range(1, frames + 1))
    return Description(target.name, alt_text(target), lines, captions)


def attribution(target: Target) -> str:
    """The line a file carries to say where it came from, e.g. "made with convanim: conv
    i=5 k=3 s=2 p=1 -> o=3" (ASCII arrows: a GIF comment is 7-bit text)."""
    layers = "; ".join(line.split(": ", 1)[-1] for line in parameter_lines(target, formula=False))
    return " ".join(f"made with convanim: {layers}".replace("→", "->").split())


def parameter_lines(target: Target, formula: bool = True) -> tuple[str, ...]:
    """The parameter line (and formula) of each layer the target shows."""
    if isinstance(target, CompareSpec):
        return tuple(
            f"{label}: {line}"
            for label, member in zip(target.labels, target.members)
            for line in caption_lines(member.layer, formula)
        )
    if isinstance(target, SequenceSpec):
        return tuple(
            f"stage {k}: {line}"
            for k, stage in enumerate(target.stages, 1)
            for line in caption_lines(stage.layer, formula)
        )
    return tuple(caption_lines(target.layer, formula))


# -- alt text ----------------------------------------------------------------------------------


def alt_text(target: Target) -> str:
    """One paragraph describing the whole animation."""
    if isinstance(target, CompareSpec):
        parts = [f"{label}: {_figure_alt(m)}" for label, m in zip(target.labels, target.members)]
        return f"{len(parts)} figures side by side, stepping together. " + " ".join(parts)
    if isinstance(target, SequenceSpec):
        n = len(target.stages)
        parts = [f"Stage {k}: {_figure_alt(s)}" for k, s in enumerate(target.stages, 1)]
        return f"{n} layers one after another, each stage's output the next one's input. " + (
            " ".join(parts)
        )
    return _figure_alt(target)


def _figure_alt(figure: FigureSpec) -> str:
    if wants_channel_view(figure):
        from convanim.scene.channel_plan import build_channel_scene

        return _channel_alt(build_channel_scene(figure))
    return _planar_alt(build_scene(figure))


def _planar_alt(scene: Scene) -> str:
    spec = scene.spec
    out = dims(*scene.output_shape).replace(" ", "")
    kernel = f"{dims(*spec.kernel_size).replace(' ', '')} {_OP_NOUNS[spec.op]}"
    dilated = f" dilated by {_pair(spec.dilation)}" if spec.dilation != (1, 1) else ""
    n = scene.n_frames
    frames = (
        f"each of the {n} frames computes one cell of the {out} output"
        if n > 1
        else f"its one frame computes the single cell of the {out} output"
    )
    if spec.is_transposed:
        spread = (
            "spread out with zeros between its cells and around it"
            if spec.stride != (1, 1)
            else "with zeros around it"
        )
        drawn = dims(*scene.input_shape).replace(" ", "")
        head = (
            f"A transposed convolution of a {_size(spec.input_size)} input with a "
            f"{kernel}, stride {_pair(spec.stride)}{_padding_words(spec.pads, ', padding')}, "
            f"drawn as the direct convolution that computes it: the {kernel}{dilated} slides "
            f"with stride 1 over the {drawn} grid of the input {spread}"
        )
    else:
        head = (
            f"A {kernel}{dilated} slides over a {_size(spec.input_size)} input"
            f"{_padding_words(spec.pads, 'padded by')} with stride {_pair(spec.stride)}"
        )
    sentence = f"{head}; {frames}."
    if scene.view == "numerical":
        sentence += " " + _numbers_words(spec)
    return sentence


def _numbers_words(spec: LayerSpec) -> str:
    if spec.op == "max_pool":
        return "The numbers are shown: each output is the largest input value under the window."
    if spec.op == "avg_pool":
        return "The numbers are shown: each output is the average of the input values under it."
    return (
        "The numbers are shown: each output is the sum of the input values times the "
        "kernel's weights written in the corners of the cells under it."
    )


def _channel_alt(scene: ChannelScene) -> str:
    spec = scene.spec
    ins, outs = scene.in_channels, scene.out_channels
    inp = f"{_size(spec.input_size)} input with {plural(ins, 'channel')}"
    out = f"{dims(*scene.output_shape).replace(' ', '')} output with {plural(outs, 'channel')}"
    kh, kw, per = scene.filter_shape
    if spec.is_pool:
        what = (
            f"{_OP_NOUNS[spec.op].split('-')[0]} pooling {dims(kh, kw).replace(' ', '')} with "
            f"stride {_pair(spec.stride)} turns a {inp} into a {out}; each channel is pooled "
            "alone"
        )
    else:
        op = "A transposed convolution" if spec.is_transposed else "A convolution"
        what = (
            f"{op} turns a {inp} into a {out}: "
            f"{plural(outs, 'filter')} of {dims(kh, kw, per).replace(' ', '')}, stride "
            f"{_pair(spec.stride)}{_padding_words(spec.pads, ', padding')}"
        )
        if (kh, kw) == (1, 1):
            reads = "its group's" if scene.groups > 1 else "all"
            what += (
                f"; a 1x1 filter looks at one position only and mixes {reads} "
                f"{plural(per, 'input channel')} there into one output value"
            )
        elif scene.groups == ins and ins > 1:
            what += "; depthwise: each filter reads one input channel alone"
        elif scene.groups > 1:
            what += f"; in {scene.groups} groups, each filter reads only its group's channels"
        else:
            what += f"; each filter reads all {plural(ins, 'input channel')}"
    n = scene.n_frames
    if scene.schematic:
        frames = (
            f"drawn as labelled boxes, its {plural(n, 'frame')} show the filter at a few positions"
        )
    elif scene.frame_order == "position_channel":
        frames = f"each of the {plural(n, 'frame')} computes one output channel at one position"
    else:
        frames = f"each of the {plural(n, 'frame')} computes one output position for every channel"
    sentence = f"{what}; {frames}."
    if scene.view == "numerical" and not scene.schematic:
        sentence += " The numbers are shown."
    return sentence


def _size(pair: Sequence[int]) -> str:
    return "x".join(str(v) for v in pair)


def _pair(pair: Sequence[int]) -> str:
    return str(pair[0]) if len(set(pair)) == 1 else "x".join(str(v) for v in pair)


def _padding_words(pads: Sequence[int], word: str) -> str:
    top, bottom, left, right = pads
    if not any(pads):
        return ""
    space = "" if word.startswith(",") else " "
    if len(set(pads)) == 1:
        return f"{space}{word} {top}"
    return f"{space}{word} {top} top, {bottom} bottom, {left} left and {right} right"


# -- per-frame captions ------------------------------------------------------------------------


def frame_captions(target: Target, sync: str = "loop") -> tuple[str, ...]:
    """One caption per frame of the target's picture (comparisons: every member's, in
    lockstep, a shorter one starting again or, with ``sync="hold"``, holding; sequences: the
    stage being shown, or the output cell whose receptive field is drawn)."""
    if isinstance(target, CompareSpec):
        members = [_figure_captions(m) for m in target.members]
        n = max(len(c) for c in members)
        rows = []
        for i in range(n):
            parts = []
            for label, caps in zip(target.labels, members):
                if sync == "loop":
                    parts.append(f"{label}: {caps[i % len(caps)]}")
                elif i >= len(caps):
                    parts.append(f"{holding_label(label)}: {caps[-1]}")
                else:
                    parts.append(f"{label}: {caps[i]}")
            rows.append(" | ".join(parts))
        return tuple(rows)
    if isinstance(target, SequenceSpec) and target.view == "receptive_field":
        from convanim.scene.receptive import frame_captions as field_captions

        return field_captions(target)
    if isinstance(target, SequenceSpec):
        n = len(target.stages)
        out: list[str] = []
        from convanim.scene.channel_plan import build_sequence

        scenes = build_sequence(target)
        for k, (stage, scene) in enumerate(zip(target.stages, scenes), 1):
            caps = _channel_captions(scene) if scene is not None else _figure_captions(stage)
            out.extend(f"stage {k} of {n}: {c}" for c in caps)
        return tuple(out)
    return _figure_captions(target)


def _figure_captions(figure: FigureSpec) -> tuple[str, ...]:
    if wants_channel_view(figure):
        from convanim.scene.channel_plan import build_channel_scene

        return _channel_captions(build_channel_scene(figure))
    scene = build_scene(figure)
    out = []
    ho, wo = scene.output_shape
    for state in scene.frames():
        r, c = state.out
        r0, c0, r1, c1 = state.box
        text = (
            f"output cell ({r}, {c}) of {ho}x{wo}: the window covers {_span('row', r0, r1)}, "
            f"{_span('column', c0, c1)} of the drawn input"
        )
        if scene.view == "numerical":
            text = f"output cell ({r}, {c}) of {ho}x{wo}: {sum_text(scene, state)}"
        out.append(text)
    return tuple(out)


def _span(word: str, start: int, stop: int) -> str:
    return f"{word} {start}" if stop - start == 1 else f"{word}s {start}-{stop - 1}"


def _channel_captions(scene: ChannelScene) -> tuple[str, ...]:
    out = []
    numbers = scene.view == "numerical" and not scene.schematic
    for state in scene.frames():
        if scene.schematic:
            out.append(schematic_caption(scene, state))
            continue
        text = channel_caption(scene, state)
        if numbers:
            text += "; " + written_sum(scene, state, state.out_channels[0])
        out.append(text)
    return tuple(out)
