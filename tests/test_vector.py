"""Vector outputs and the figure's words: animated SVG, the HTML player, multi-page PDF, the alt
text and frame captions (``convanim.scene.describe``), and the GIF's comment.

The browser tests (``test_browser_*.py``) check that the files play; these check what is in
them, on every path that writes them (render, compare, gallery, batch, the Python API).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from convanim.animation import Animation
from convanim.catalog.templates import resolve, template_names
from convanim.cli.figures import _resolve_ref
from convanim.cli.main import main
from convanim.model.look import Look
from convanim.scene.describe import alt_text, describe, frame_captions
from convanim.scene.pictures import picture_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench import GALLERY  # noqa: E402 - the 19 reference figures

# Small members of each kind, so that 36 PDF pages of cubes do not make the suite slow (the
# named templates of every kind are rendered by hand for the note; see the README).
KINDS = {
    "planar": "padding_strides",
    "numerical": "numerical_padding_strides",
    "volume": "conv:i3,k2,cin2,cout2",
    "schematic": "dimension_reduction_200x200x50_to_20",
    "comparison": "compare_3x3_vs_1x1",
    "sequence": "small_sequence.toml",
}
_SEQUENCE = """\
name = "small_sequence"
[[sequence]]
op = "conv"
input_size = 3
kernel_size = 2
in_channels = 2
out_channels = 2
groups = 2
[[sequence]]
op = "conv"
input_size = 2
kernel_size = 1
in_channels = 2
out_channels = 3
"""


# -- words -------------------------------------------------------------------------------------


def test_alt_text_says_kernel_input_padding_stride_frames_and_output() -> None:
    assert alt_text(resolve("padding_strides")) == (
        "A 3x3 kernel slides over a 5x5 input padded by 1 with stride 2; each of the 9 "
        "frames computes one cell of the 3x3 output."
    )
    mixing = alt_text(resolve("one_by_one_channel_mixing"))
    assert "5x5 input with 3 channels" in mixing and "output with 2 channels" in mixing
    assert "a 1x1 filter looks at one position only and mixes all 3 input channels" in mixing
    both = alt_text(resolve("compare_3x3_vs_1x1"))
    assert both.startswith("2 figures side by side") and "3x3: " in both and "1x1: " in both
    stages = alt_text(resolve("network_in_network"))
    assert "Stage 1: " in stages and "Stage 3: " in stages


@pytest.mark.parametrize("name", [n for n in template_names() if n != "blog"])
def test_every_frame_of_every_template_has_a_caption(name: str) -> None:
    target = resolve(name)
    captions = frame_captions(target)
    assert len(captions) == picture_for(target).n_frames
    assert all(captions) and alt_text(target)


def test_numerical_captions_give_the_sum_from_words() -> None:
    captions = frame_captions(resolve("numerical_padding_strides"))
    assert captions[4].startswith("output cell (1, 1) of 3x3: ")
    assert captions[4].endswith("= 18.0") and "·" in captions[4]
    pooled = frame_captions(resolve("numerical_max_pooling"))[0]
    assert pooled.startswith("output cell (0, 0) of 3x3: max(")


def test_explain_alt_prints_the_alt_text() -> None:
    result = CliRunner().invoke(main, ["explain", "padding_strides", "--alt"])
    assert result.exit_code == 0
    assert result.output == alt_text(resolve("padding_strides")) + "\n"


def test_notebook_display_and_gif_comment_carry_the_alt_text(tmp_path: Path) -> None:
    animation = Animation(resolve("no_padding_strides"))
    alt = alt_text(animation.target)
    assert f'alt="{alt}"' in animation._repr_html_()
    path = tmp_path / "x.gif"
    animation.save(path)
    with Image.open(path) as image:
        comment = image.info["comment"].decode("utf-8")
    assert comment == f"{alt}\nmade with convanim: conv i=5 k=3 s=2 p=0 -> o=2"
    first = path.read_bytes()
    animation.save(path)
    assert path.read_bytes() == first  # deterministic with the comment


# -- every kind, every vector format -----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_render_writes_svg_html_and_pdf_for_every_figure_kind(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("small_sequence.toml").write_text(_SEQUENCE, "utf-8")
    name = KINDS[kind]
    runner = CliRunner()
    target = _resolve_ref(name)
    assert type(target).__name__ == {"comparison": "CompareSpec", "sequence": "SequenceSpec"}.get(
        kind, "FigureSpec"
    )
    frames = picture_for(target).n_frames
    for suffix in ("svg", "html", "pdf"):
        out = tmp_path / f"fig.{suffix}"
        result = runner.invoke(main, ["render", name, "-o", str(out)])
        assert result.exit_code == 0, result.output
        data = out.read_bytes()
        if suffix == "pdf":
            assert len(re.findall(rb"/Type\s*/Page\b(?!s)", data)) == frames
            assert not re.search(rb"/Subtype\s*/Image", data)  # vector only: no raster
            assert "\\animategraphics[loop,controls]{1}{" in result.output
        else:
            text = data.decode("utf-8")
            assert len(re.findall(r'class="f f\d+"', text)) >= frames - 1
            assert "<image" not in text and "http://www.w3.org/2000/svg" in text
            Animation(target).save(out)
            assert out.read_bytes() == data  # the same bytes again


def test_pdf_pages_are_the_same_bytes_every_time(tmp_path: Path) -> None:
    animation = Animation(resolve("no_padding_strides"))
    animation.save(tmp_path / "a.pdf")
    animation.save(tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_svg_timing_follows_delays_holds_reverse_and_loop(tmp_path: Path) -> None:
    animation = Animation(resolve("no_padding_strides"), reverse=True)
    path = tmp_path / "x.svg"
    animation.save(path, delay=0.5, hold_last=1.0, loop=3)
    text = path.read_text("utf-8")
    # 4 frames forward and 2 back: 6 steps of 0.5 s, then 1 s more on the last.
    assert ".f{visibility:hidden;animation:4s step-end 3 forwards}" in text
    # Frame 1 is shown twice: on the way there (0.5-1 s) and back (2.5-4 s, the held end).
    assert "@keyframes k1{0%{visibility:hidden}12.5%{visibility:visible}25%{visibility:hidden}" in (
        text
    )
    assert "62.5%{visibility:visible}100%{visibility:visible}}" in text


def test_svg_reuses_shapes_and_the_reference_gallery_stays_small(tmp_path: Path) -> None:
    total = 0
    for name in GALLERY:
        path = tmp_path / f"{name}.svg"
        Animation(resolve(name)).save(path)
        total += path.stat().st_size
    assert total <= 400_000, total  # the 19 GIFs: 1.85 MB
    text = (tmp_path / "padding_strides.svg").read_text("utf-8")
    assert "<defs>" in text and '<use href="#u' in text


def test_themes_and_transparency_reach_the_vector_files(tmp_path: Path) -> None:
    plain = tmp_path / "plain.svg"
    Animation(resolve("padding_strides"), look=Look(theme="dark")).save(plain)
    see_through = tmp_path / "clear.svg"
    Animation(resolve("padding_strides"), look=Look(transparent=True)).save(see_through)
    assert '<rect width="100%" height="100%" style="fill:#002b36"/>' in plain.read_text()
    assert "<rect width" not in see_through.read_text()
    page = tmp_path / "clear.pdf"
    Animation(resolve("padding_strides"), look=Look(transparent=True)).save(page)
    assert page.exists()


def test_pdf_refuses_timing_animate_cannot_play(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "x.pdf"
    result = runner.invoke(main, ["render", "padding_strides", "-o", str(out), "--hold-last", "2"])
    assert result.exit_code == 2
    assert "--hold-last: " in result.output and "Traceback" not in result.output
    assert not out.exists()
    result = runner.invoke(main, ["render", "padding_strides", "-o", str(out), "--fps", "4"])
    assert "\\animategraphics[loop,controls]{4}{" in result.output


def test_compare_gallery_and_batch_write_vector_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["compare", "conv:i5,k3", "conv:i5,k1", "-o", "c.html"])
    assert result.exit_code == 0, result.output
    assert "3x3: output cell" in Path("c.html").read_text("utf-8")
    result = runner.invoke(main, ["gallery", "dilation", "--format", "svg", "--out", "g"])
    assert result.exit_code == 0, result.output
    assert Path("g/dilation.svg").exists()
    result = runner.invoke(main, ["gallery", "dilation", "--format", "frames", "--out", "g"])
    assert result.exit_code == 2 and "--format: " in result.output
    Path("convanim.toml").write_text(
        '[defaults]\noutput_dir = "site"\nhtml = true\nplayer = true\n'
        '[[figures]]\ntemplate = "strided_1x1"\n'
        '[[figures]]\ntemplate = "dilation"\noutput = "dilation.svg"\n'
        '[[figures]]\ntemplate = "no_padding_strides"\noutput = "nps.pdf"\nplayer = false\n',
        "utf-8",
    )
    result = runner.invoke(main, ["batch", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    site = Path("site")
    assert {p.name for p in site.iterdir() if not p.name.startswith(".")} == {
        "strided_1x1.gif", "strided_1x1.html", "dilation.svg", "dilation.html", "nps.pdf",
        "index.html",
    }  # fmt: skip
    index = (site / "index.html").read_text("utf-8")
    assert '<a href="strided_1x1.html"><img src="strided_1x1.gif" alt="A 1x1 kernel' in index
    assert '<a class="player" href="dilation.html">interactive player</a>' in index
    # The player is part of the figure: deleted, it is rendered again; else nothing is.
    assert runner.invoke(main, ["batch", "--check"]).exit_code == 0
    (site / "dilation.html").unlink()
    assert runner.invoke(main, ["batch", "--check"]).exit_code == 1
    assert runner.invoke(main, ["batch"]).exit_code == 0
    assert (site / "dilation.html").exists()


def test_a_player_next_to_another_output_is_refused(tmp_path: Path) -> None:
    from convanim.catalog.manifest import load_manifest
    from convanim.errors import ManifestError

    path = tmp_path / "m.toml"
    path.write_text(
        '[defaults]\nplayer = true\n[[figures]]\ntemplate = "dilation"\n'
        '[[figures]]\nname = "other"\ntemplate = "dilation"\noutput = "dilation.html"\n',
        "utf-8",
    )
    with pytest.raises(ManifestError, match="dilation.html"):
        load_manifest(path)


def test_the_description_bundles_lines_and_captions() -> None:
    words = describe(resolve("compare_3x3_vs_1x1"))
    assert words.lines[0].startswith("3x3: conv transpose")
    assert any(line.startswith("1x1: o = ") for line in words.lines)
    assert len(words.captions) == 25


def test_vector_writers_refuse_raster_frames_and_long_text_keeps_its_width(
    tmp_path: Path,
) -> None:
    import numpy as np

    from convanim.errors import OutputError
    from convanim.export.writers import get_writer

    with pytest.raises(OutputError, match="svg output is drawn from the picture"):
        get_writer("svg").write(tmp_path / "x.svg", [np.zeros((4, 4, 3), np.uint8)])
    assert not (tmp_path / "x.svg").exists()
    path = tmp_path / "labelled.svg"
    Animation(resolve("padding_strides"), look=Look(labels=True)).save(path)
    # The caption is as wide as the layout measured it, whatever face the reader has.
    assert re.search(r'textLength="[\d.]+" lengthAdjust="spacingAndGlyphs"', path.read_text())


def test_a_frame_count_the_words_do_not_know_gets_plain_captions() -> None:
    words = describe(resolve("padding_strides"), frames=3)
    assert words.captions == ("frame 1 of 3", "frame 2 of 3", "frame 3 of 3")
    assert describe(resolve("padding_strides"), frames=9).captions[0].startswith("output cell")
