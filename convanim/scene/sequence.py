"""A sequence of layers as one display list: the stages one after another, each under a strip
that names it; a stage's output is the next stage's input (``channels.check_sequence``), and
channels told apart by their groups' hues keep those hues into the next stage. numpy only.
"""

from __future__ import annotations

from convanim.model.look import Look
from convanim.model.spec import SequenceSpec
from convanim.scene import channel_numbers, schematic, volume
from convanim.scene.channel_common import MARGIN, TEXT
from convanim.scene.channel_plan import ChannelScene, build_sequence
from convanim.scene.compose import scaled, with_strip
from convanim.scene.display import Paint, Picture, Primitive, Stage, Text, TextMetrics, moved
from convanim.scene.planar import picture as planar_picture
from convanim.scene.words import caption_lines, printable, stage_words

STRIP = 40  # height of the strip naming the stage
CAPTION = 15  # the caption strip's text size at scale 1
_WORDS = 9.0


def channel_picture(
    scene: ChannelScene,
    metrics: TextMetrics,
    inputs: list[Paint] | None = None,
    font_scale: float = 1.0,
) -> tuple[Picture, list[Paint] | None]:
    """A channel scene's picture (schematic, numbers or volume) and the paints of its output
    channels, for a next stage to keep."""
    if scene.schematic:
        return schematic.picture(scene, metrics, font_scale), None
    kind = channel_numbers.NumbersView if scene.view == "numerical" else volume.VolumeView
    view = kind(scene, metrics, inputs, font_scale)
    return view.picture(), view.tints.output


def picture(
    spec: SequenceSpec,
    metrics: TextMetrics | None = None,
    look: Look | None = None,
) -> Picture:
    """The stages one after another; ``look`` sets the stages' font scale (and a planar
    stage's whole look)."""
    metrics = metrics or TextMetrics()
    look = look or Look()
    stages: list[Picture] = []
    handed_on: list[Paint] | None = None
    for stage, scene in zip(spec.stages, build_sequence(spec)):
        if scene is None:
            stages.append(planar_picture(stage, _stage_look(look), metrics))
            handed_on = None
            continue
        pic, outputs = channel_picture(scene, metrics, handed_on, look.font_scale)
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
    size = (TEXT + 2) * look.font_scale
    widest_title = max(metrics.measure(t, size)[0] for t in titles)
    width = max(max(p.width for p in stages), int(widest_title + 2 * MARGIN + 1))
    height = max(p.height for p in stages)
    # Every stage fills the canvas: a smaller one is drawn larger, and centred.
    stages = [_filling(pic, width, height) for pic in stages]
    offsets = [
        (round((width - p.width) / 2), STRIP + round((height - p.height) / 2)) for p in stages
    ]

    # A stage's still picture stands still while the stage lasts, under the stage's title.
    parts = tuple(
        _stage(pic, starts[k], Text(title, MARGIN, STRIP * 0.65, size, "text", _WORDS, "left"),
               offsets[k])
        for k, (pic, title) in enumerate(zip(stages, titles))
    )  # fmt: skip

    def frame(index: int) -> tuple[Primitive, ...]:
        part = parts[next(k for k in range(n) if index < starts[k + 1])]
        return (*part.static, *part.moving(index - part.start))

    roles = tuple(dict.fromkeys(c for pic in stages for c in pic.colours()))
    whole = Picture(width, height + STRIP, (), starts[-1], frame, roles=roles, stages=parts)
    if not look.labels:
        return whole
    # The caption strip names the layer of the stage being shown.
    captions = [caption_lines(stage.layer, look.formula, stage.flip) for stage in spec.stages]
    return with_strip(
        whole,
        lambda index: captions[next(k for k in range(n) if index < starts[k + 1])],
        CAPTION * look.font_scale,
        constant=len({tuple(c) for c in captions}) == 1,
    )


def _stage(pic: Picture, start: int, title: Text, offset: tuple[int, int]) -> Stage:
    """A stage's picture moved into place, under its title."""
    dx, dy = offset

    def moving(index: int) -> tuple[Primitive, ...]:
        return moved(pic.frame(index), dx, dy)

    return Stage(start, pic.n_frames, (title, *moved(pic.static, dx, dy)), moving)


def _filling(pic: Picture, width: int, height: int) -> Picture:
    factor = min(width / pic.width, height / pic.height)
    return scaled(pic, factor) if factor > 1.05 else pic


def _stage_look(look: Look) -> Look:
    # Size and captions apply to the whole sequence, not to one stage inside it.
    return Look(theme=look.theme, font_scale=look.font_scale)
