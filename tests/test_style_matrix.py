"""Every look option against every figure kind, checked in the pixels (and, for text, in the
display list): an option that reaches the renderer of one kind but not another fails here.

Kinds: planar (arithmetic), numerical, volume, schematic, comparison, sequence. Options:
transparency (alpha), width and scale (size), theme (the colours present), labels and formula
(a caption strip), font scale (the text drawn). Paths: the Python API here; the command line,
batch and storyboards below.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from convanim.animation import Animation
from convanim.catalog.templates import resolve
from convanim.cli.main import main
from convanim.model.look import Look
from convanim.scene.display import Text
from convanim.scene.pictures import picture_for

KINDS = {
    "planar": "padding_strides",
    "numerical": "numerical_padding_strides",
    "volume": "one_by_one_channel_mixing",
    "schematic": "dimension_reduction_200x200x50_to_20",
    "comparison": "compare_3x3_vs_1x1",
    "sequence": "depthwise_separable",
}
CLASSIC_INPUT = (38, 139, 210)
MONO_INPUT = (142, 142, 142)


def _first(name: str, **look: object) -> tuple[np.ndarray, tuple[int, int]]:
    anim = Animation(resolve(name), look=Look(**look))  # type: ignore[arg-type]
    return next(anim.frames()), anim.size


def _colours(frame: np.ndarray) -> set[tuple[int, ...]]:
    return {tuple(int(v) for v in c) for c in np.unique(frame[..., :3].reshape(-1, 3), axis=0)}


def _texts(name: str, **look: object) -> list[Text]:
    pic = picture_for(resolve(name), Look(**look))  # type: ignore[arg-type]
    return [p for p in (*pic.static, *pic.frame(0)) if isinstance(p, Text)]


@pytest.mark.parametrize("kind", KINDS)
def test_transparent_gives_an_alpha_channel_with_a_clear_background(kind: str) -> None:
    frame, _ = _first(KINDS[kind], transparent=True)
    assert frame.shape[2] == 4
    assert frame[0, 0, 3] == 0  # the corner is background
    assert (frame[..., 3] == 255).mean() > 0.1  # the drawing is opaque


@pytest.mark.parametrize("kind", KINDS)
def test_width_sets_the_width_and_scale_the_size(kind: str) -> None:
    frame, size = _first(KINDS[kind], width=300)
    assert size[0] == 300 and frame.shape[1] == 300
    natural = _first(KINDS[kind])[1]
    half = _first(KINDS[kind], scale=0.5)[1]
    assert abs(half[0] - natural[0] / 2) <= 0.05 * natural[0]
    assert abs(half[1] - natural[1] / 2) <= 0.05 * natural[1]


@pytest.mark.parametrize("kind", KINDS)
def test_the_theme_decides_the_colours(kind: str) -> None:
    classic = _colours(_first(KINDS[kind])[0])
    mono = _colours(_first(KINDS[kind], theme="mono")[0])
    assert CLASSIC_INPUT in classic and CLASSIC_INPUT not in mono
    assert MONO_INPUT in mono


@pytest.mark.parametrize("kind", KINDS)
def test_labels_add_the_parameter_line_and_formula_the_formula(kind: str) -> None:
    plain = [t.text for t in _texts(KINDS[kind], labels=False)]
    labelled = [t.text for t in _texts(KINDS[kind], labels=True, formula=True)]
    assert not any("→  o=" in t for t in plain)
    assert any("→  o=" in t for t in labelled)
    assert any(t.startswith("o = ") or t.startswith("o_h = ") for t in labelled)
    taller = _first(KINDS[kind], labels=True)[1][1]
    assert taller > _first(KINDS[kind], labels=False)[1][1]


@pytest.mark.parametrize("kind", KINDS)
def test_font_scale_makes_the_text_bigger(kind: str) -> None:
    normal = max(t.size for t in _texts(KINDS[kind], labels=True))
    big = max(t.size for t in _texts(KINDS[kind], labels=True, font_scale=1.5))
    assert big == pytest.approx(1.5 * normal, rel=0.1)


# -- the other paths ---------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.chdir(tmp_path)
    return lambda *args: CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("kind", KINDS)
def test_render_and_storyboard_take_the_look(cli, tmp_path: Path, kind: str) -> None:  # noqa: ANN001
    result = cli(
        "render", KINDS[kind], "--transparent", "--width", "320", "--theme", "mono",
        "-o", "a.png", "--storyboard", "b.png", "--every", "50",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "a.png") as im:
        assert im.size[0] == 320 and im.mode == "RGBA"
    with Image.open(tmp_path / "b.png") as board:
        pixels = np.asarray(board.convert("RGBA"))
    assert pixels[0, 0, 3] == 0 and MONO_INPUT in _colours(pixels)


def test_gallery_takes_the_look(cli, tmp_path: Path) -> None:  # noqa: ANN001
    names = [KINDS["volume"], KINDS["planar"], KINDS["sequence"]]
    result = cli("gallery", *names, "--width", "256", "--jobs", "1", "--out", "g")
    assert result.exit_code == 0, result.output
    for name in names:
        with Image.open(tmp_path / "g" / f"{name}.gif") as gif:
            assert gif.size[0] == 256


def test_batch_takes_the_look_keys(cli, tmp_path: Path) -> None:  # noqa: ANN001
    (tmp_path / "convanim.toml").write_text(
        '[defaults]\noutput_dir = "out"\ntheme = "mono"\nwidth = 300\n'
        '[[figures]]\ntemplate = "one_by_one_channel_mixing"\ntransparent = true\n'
        'output = "ch.png"\n'
        '[[figures]]\ntemplate = "compare_3x3_vs_1x1"\nscale = 0.5\nwidth = 400\n'
        'output = "cmp.gif"\n',
        encoding="utf-8",
    )
    result = cli("batch", "--jobs", "1")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "out" / "ch.png") as im:
        assert im.size[0] == 300 and im.mode == "RGBA"
        assert MONO_INPUT in _colours(np.asarray(im.convert("RGBA")))
    with Image.open(tmp_path / "out" / "cmp.gif") as gif:
        assert gif.size[0] == 400
    # The look is part of a figure's inputs: changing it makes the figure stale.
    text = (tmp_path / "convanim.toml").read_text(encoding="utf-8")
    (tmp_path / "convanim.toml").write_text(text.replace("width = 300", "width = 310"))
    check = cli("batch", "--check")
    assert check.exit_code == 1 and "stale: one_by_one_channel_mixing" in check.output
