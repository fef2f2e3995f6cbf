"""Slides and print: formats from the command line, storyboards, size, labels, transparency,
timing, and the notebook view."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from test_render import check_golden  # noqa: E402 - tests/ is on sys.path under pytest

from convanim.animation import Animation
from convanim.catalog.templates import resolve
from convanim.cli.main import main
from convanim.model.look import Look
from convanim.model.spec import FigureSpec, LayerSpec
from convanim.render import FigureRenderer
from convanim.scene.display import Text


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.chdir(tmp_path)
    return lambda *args: CliRunner().invoke(main, list(args))


def _frames(path: Path) -> list[Image.Image]:
    with Image.open(path) as im:
        out = []
        for index in range(getattr(im, "n_frames", 1)):
            im.seek(index)
            out.append(im.convert("RGBA").copy())
        return out


def _durations(path: Path) -> list[int]:
    with Image.open(path) as im:
        out = []
        for index in range(im.n_frames):
            im.seek(index)
            out.append(im.info["duration"])
        return out


@pytest.mark.parametrize("suffix", [".webp", ".apng", ".png"])
def test_render_to_webp_and_apng(run, tmp_path: Path, suffix: str) -> None:  # noqa: ANN001
    result = run("render", "padding_strides", "-o", f"x{suffix}")
    assert result.exit_code == 0, result.output
    frames = _frames(tmp_path / f"x{suffix}")
    assert len(frames) == 9
    assert frames[0].size == Animation(resolve("padding_strides")).size


def test_render_to_mp4(run, tmp_path: Path) -> None:  # noqa: ANN001
    pytest.importorskip("imageio_ffmpeg", reason="MP4 needs the convanim[mp4] extra")
    result = run("render", "padding_strides", "-o", "slide.mp4")
    assert result.exit_code == 0, result.output
    data = (tmp_path / "slide.mp4").read_bytes()
    assert data[4:8] == b"ftyp"


def test_mp4_without_the_extra_says_how_to_install_it(
    run,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from convanim.export import writers

    mp4 = next(w for w in writers.writers() if w.name == "mp4")
    monkeypatch.setattr(type(mp4), "is_available", lambda self: self.name != "mp4")
    result = run("render", "padding_strides", "-o", "slide.mp4")
    assert result.exit_code == 1
    assert "convanim[mp4]" in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".pdf", ".svg", ".png"])
def test_storyboard_from_the_command_line(run, tmp_path: Path, suffix: str) -> None:  # noqa: ANN001
    result = run("render", "padding_strides", "--storyboard", f"board{suffix}")
    assert result.exit_code == 0, result.output
    data = (tmp_path / f"board{suffix}").read_bytes()
    magic = {".pdf": b"%PDF", ".svg": b"<?xml", ".png": b"\x89PNG"}[suffix]
    assert data.startswith(magic)
    assert not (tmp_path / "output").exists()  # only the storyboard was asked for
    if suffix != ".png":  # vector: the cells are paths, not a picture of them
        assert b"image/png" not in data and b"/Subtype /Image" not in data
    again = run("render", "padding_strides", "--storyboard", f"again{suffix}")
    assert again.exit_code == 0
    assert (tmp_path / f"again{suffix}").read_bytes() == data  # same spec, same bytes


def test_storyboard_golden(tmp_path: Path) -> None:
    anim = Animation(resolve("padding_strides"))
    path = anim.storyboard(tmp_path / "board.png", every=4, dpi=72)
    frame = np.asarray(Image.open(path).convert("RGB"))
    check_golden(frame, "storyboard_padding_strides_every4")


def test_dark_transparent_apng_keeps_alpha(run, tmp_path: Path) -> None:  # noqa: ANN001
    result = run("render", "padding_strides", "--theme", "dark", "--transparent", "-o", "t.png")
    assert result.exit_code == 0, result.output
    first = np.asarray(_frames(tmp_path / "t.png")[0])
    assert first[0, 0, 3] == 0  # the corner is background: fully transparent
    assert first[first.shape[0] // 2, first.shape[1] // 2, 3] == 255  # the planes are opaque


def test_transparent_gif_has_a_transparent_index(run, tmp_path: Path) -> None:  # noqa: ANN001
    assert run("render", "strided_1x1", "--transparent", "-o", "t.gif").exit_code == 0
    with Image.open(tmp_path / "t.gif") as im:
        assert "transparency" in im.info
        assert im.convert("RGBA").getpixel((0, 0))[3] == 0


def test_width_is_exact_and_scale_shrinks() -> None:
    figure = resolve("padding_strides")
    assert isinstance(figure, FigureSpec)
    assert FigureRenderer(figure, look=Look(width=600)).size[0] == 600
    natural = FigureRenderer(figure).size
    half = FigureRenderer(figure, look=Look(scale=0.5)).size
    assert 0.4 < half[0] / natural[0] < 0.6


def test_labels_add_captions() -> None:
    figure = resolve("padding_strides")
    assert isinstance(figure, FigureSpec)
    plain = FigureRenderer(figure)
    labelled = FigureRenderer(figure, look=Look(labels=True))
    # Every string a figure shows is in its display list.
    texts = [p.text for p in labelled.picture.static if isinstance(p, Text)]
    assert "input" in texts and "output" in texts
    assert any(t.startswith("conv  i=5 k=3 s=2 p=1") and t.endswith("o=3") for t in texts)
    assert labelled.size[1] > plain.size[1]


def test_sums_show_the_current_window() -> None:
    figure = FigureSpec(LayerSpec(input_size=4, kernel_size=2, stride=2), view="numerical")
    r = FigureRenderer(figure, look=Look(sums=True))
    (text,) = [p.text for p in r.picture.frame(3) if isinstance(p, Text) and " = " in p.text]
    x = r.scene.input_values
    w = r.scene.kernel_weights
    assert x is not None and w is not None
    terms = text.split(" = ")[0].split(" + ")
    assert len(terms) == 4
    window = x[2:4, 2:4].ravel()
    assert text.endswith(f"= {float((window * w.ravel()).sum()):.1f}")


def test_golden_numerical_with_labels_and_sums() -> None:
    r = FigureRenderer(resolve("numerical_padding_strides"), look=Look(labels=True, sums=True))
    check_golden(r.frame(4), "labels_sums_numerical_padding_strides_04")


def test_timing_hold_loop_and_reverse(run, tmp_path: Path) -> None:  # noqa: ANN001
    args = ["render", "no_padding_no_strides", "--delay", "0.5", "--hold-first", "1",
            "--hold-last", "2", "--loop", "3", "-o", "t.gif"]  # fmt: skip
    assert run(*args).exit_code == 0
    assert _durations(tmp_path / "t.gif") == [1500, 500, 500, 2500]
    with Image.open(tmp_path / "t.gif") as im:
        assert im.info["loop"] == 3
    assert run("render", "no_padding_no_strides", "--reverse", "-o", "r.gif").exit_code == 0
    frames = [np.asarray(f) for f in _frames(tmp_path / "r.gif")]
    assert len(frames) == 4 + 2  # 0 1 2 3 2 1
    assert np.array_equal(frames[4], frames[2]) and np.array_equal(frames[5], frames[1])


def test_notebook_view_embeds_the_gif() -> None:
    html = Animation(resolve("strided_1x1"))._repr_html_()
    assert html.startswith('<img src="data:image/gif;base64,')
    data = base64.b64decode(html.split("base64,")[1].split('"')[0])
    assert data.startswith(b"GIF89a")


def test_bad_look_flags_name_the_flag(run, tmp_path: Path) -> None:  # noqa: ANN001
    for args, flag in (
        (["--theme", "neon"], "--theme"),
        (["--scale", "0"], "--scale"),
        (["--width", "10"], "--width"),
        (["--loop", "-1"], "--loop"),
        (["--storyboard", "b.gif"], "storyboard"),
    ):
        result = run("render", "padding_strides", *args)
        assert result.exit_code in (1, 2), (args, result.output)
        assert flag in result.output, (args, result.output)
        assert not (tmp_path / "output").exists() or not any((tmp_path / "output").iterdir())
