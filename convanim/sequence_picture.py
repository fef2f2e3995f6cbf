"""A sequence of layers as one display list: the stages one after another, each under a strip
that names it; a stage's output is the next stage's input (``channels.check_sequence``), and
channels told apart by their groups' hues keep those hues into the next stage. numpy only.
"""

from __future__ import annotations

from convanim import channel_numbers, schematic, volume
from convanim.channel_common import MARGIN, TEXT, dims, printable
from convanim.channels import ChannelScene, build_sequence
from convanim.display import Paint, Picture, Primitive, Text, TextMetrics, moved
from convanim.planar import picture as planar_picture
from convanim.spec import FigureSpec, SequenceSpec

STRIP = 40  # height of the strip naming the stage
_WORDS = 9.0


def stage_words(figure: FigureSpec) -> str:
    spec = figure.layer
    op = {"conv": "convolution", "conv_transpose": "transposed convolution"}.get(spec.op, spec.op)
    words = f"{dims(*spec.kernel_size)} {op}, {spec.in_channels} to {spec.out_channels} channels"
    if spec.groups > 1:
        words += f", groups = {spec.groups}"
    return words


def channel_picture(
    scene: ChannelScene, metrics: TextMetrics, inputs: list[Paint] | None = None
) -> tuple[Picture, list[Paint] | None]:
    """A channel scene's picture (schematic, numbers or volume) and the paints of its output
    channels, for a next stage to keep."""
    if scene.schematic:
        return schematic.picture(scene, metrics), None
    if scene.view == "numerical":
        pic, tints = channel_numbers.picture(scene, metrics, inputs)
    else:
        pic, tints = volume.picture(scene, metrics, inputs)
    return pic, tints.output


def picture(spec: SequenceSpec, metrics: TextMetrics | None = None) -> Picture:
    metrics = metrics or TextMetrics()
    stages: list[Picture] = []
    handed_on: list[Paint] | None = None
    for stage, scene in zip(spec.stages, build_sequence(spec)):
        if scene is None:
            stages.append(planar_picture(stage, metrics=metrics))
            handed_on = None
            continue
        pic, outputs = channel_picture(scene, metrics, handed_on)
        stages.append(pic)
        handed_on = outputs if scene.groups > 1 else None
    n = len(spec.stages)
    titles = [
        printable(f"stage {k} of {n}: {stage.description or stage_words(stage)}")
        for k, stage in enumerate(spec.stages, 1)
    ]
    starts = [0]
    for pic in stages:
        starts.append(starts[-1] + pic.n_frames)

    def frame(index: int) -> tuple[Primitive, ...]:
        k = next(k for k in range(n) if index < starts[k + 1])
        pic = stages[k]
        title = Text(titles[k], MARGIN, STRIP * 0.65, TEXT + 2, "text", _WORDS, "left")
        # A stage's still picture moves with it: every frame of a sequence is drawn whole.
        return (title, *moved(pic.static, 0, STRIP), *moved(pic.frame(index - starts[k]), 0, STRIP))

    roles = tuple(dict.fromkeys(c for pic in stages for c in pic.colours()))
    return Picture(
        max(p.width for p in stages),
        max(p.height for p in stages) + STRIP,
        (),
        starts[-1],
        frame,
        roles=roles,
    )
