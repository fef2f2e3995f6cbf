"""The command line's rough edges (issue 11 item 6) and strict parsing (issue 17 item 5).

Progress bars that fit the terminal, ``--debug`` after the command, options that would do
nothing refused (or made to do the evident thing), scale and width that scale the drawing,
names that say a figure was overridden, one grammar for sizes, formats that agree with
suffixes, outputs that do not collide, help with examples, and shell completion.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import tomllib
from click.testing import CliRunner
from PIL import Image

import convanim.cli.progress
from convanim.animation import Animation
from convanim.batch.jobs import Outcome
from convanim.catalog.templates import resolve, template_names
from convanim.cli.main import main
from convanim.cli.progress import _Bar
from convanim.errors import SpecError
from convanim.export.outputs import check_outputs
from convanim.model.look import Look
from convanim.model.naming import changes
from convanim.model.spec import FigureSpec, LayerSpec, parse_spec_string


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, env: dict[str, str] | None = None):  # noqa: ANN202
        return CliRunner().invoke(main, list(args), env=env)

    return invoke


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _error(result) -> str:  # noqa: ANN001
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


# -- 1. progress: one bar, one line, at any width -----------------------------------------------


def _screen_lines(output: str) -> list[str]:
    """What a terminal shows: a carriage return starts the line again."""
    return [part for line in output.split("\n") for part in line.split("\r")]


@pytest.mark.parametrize("columns", [40, 80])
def test_gallery_bar_fits_the_terminal_on_one_line(
    run,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    columns: int,
) -> None:
    monkeypatch.setattr(convanim.cli.progress, "_is_tty", lambda: True)
    names = ["strided_1x1", "no_padding_no_strides"]
    result = run("gallery", *names, "--out", "g", "--jobs", "1", env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == sorted(f"{n}.gif" for n in names)
    bar, *rest = result.output.split("\n")
    frames = bar.split("\r")[1:]
    assert len(frames) == 3  # drawn at 0/2, 1/2 and 2/2, all on the same line
    assert frames[-1].startswith("rendering 2 figures [") and "2/2" in frames[-1]
    assert all(len(line) <= columns - 1 for line in _screen_lines(result.output))
    assert rest[0] == "2 rendered, 0 failed"


def test_gallery_without_a_terminal_prints_plain_lines(run) -> None:  # noqa: ANN001
    result = run("gallery", "strided_1x1", "--out", "g", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "\r" not in result.output
    assert result.output.splitlines() == [
        "wrote g/strided_1x1.gif (9 frames)",
        "1 rendered, 0 failed",
    ]


def test_batch_bar_fits_80_columns(
    run,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(convanim.cli.progress, "_is_tty", lambda: True)
    long_name = "a_figure_with_a_name_much_longer_than_any_terminal_is_wide_" * 2
    (tmp_path / "convanim.toml").write_text(
        f'[defaults]\noutput_dir = "out"\n\n[[figures]]\nname = "{long_name}"\n'
        'template = "conv:i3,k2"\noutput = "one.gif"\n',
        encoding="utf-8",
    )
    result = run("batch", "--jobs", "1", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 2  # the bar's line, then the summary
    assert all(len(line) <= 79 for line in _screen_lines(result.output))
    assert "rendering 1 figure [" in result.output


@pytest.mark.parametrize("columns", [40, 41, 60, 80, 132, 300])
def test_the_bar_never_exceeds_the_width(columns: int) -> None:
    bar = _Bar(28, "rendering 28 figures")
    for k, item in enumerate(["x", "padding_strides_odd_transposed", "n" * 200]):
        bar.done = k * 14
        bar.item = item
        line = bar.line(columns)
        assert len(line) <= columns - 1, line
        assert re.search(r"\[[#-]+\] \d+/28", line), line


def test_errors_wait_for_the_bar(monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    monkeypatch.setattr(convanim.cli.progress, "_is_tty", lambda: True)
    with convanim.cli.progress.progress(2) as done:
        done(Outcome("bad", Path("bad.gif"), error="boom"))
        done(Outcome("good", Path("good.gif"), n_frames=4))
    out = capsys.readouterr().out
    bar, error, end = out.split("\n")
    assert "2/2" in bar and "boom" not in bar
    assert error == "error: bad: boom" and end == ""


# -- 2. --debug before or after the command ----------------------------------------------------


@pytest.mark.parametrize(
    "command",
    ["render", "compare", "explain", "templates", "templates show", "gallery", "batch"],
)
def test_debug_is_accepted_after_every_command(run, command: str) -> None:  # noqa: ANN001
    result = run(*command.split(), "--debug", "--help")
    assert result.exit_code == 0, result.output
    assert "--debug" in result.output


def test_debug_after_the_command_shows_the_traceback(run) -> None:  # noqa: ANN001
    from convanim.errors import TemplateError

    plain = run("render", "no_such_template")
    assert plain.exit_code == 2 and "unknown template" in _error(plain)
    after = run("render", "no_such_template", "--debug")
    assert isinstance(after.exception, TemplateError)
    before = run("--debug", "explain", "no_such_template")
    assert isinstance(before.exception, TemplateError)
    assert run("render", "no_such_template").exit_code == 2  # debug does not stick


# -- 3. options that would do nothing -----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "flag", "words"),
    [
        (["padding_strides", "--sums"], "--sums", "numerical"),
        (["padding_strides", "--formula", "--no-labels"], "--formula", "caption"),
        (["padding_strides", "--transparent", "-o", "x.mp4"], "--transparent", "mp4"),
        (["padding_strides", "--every", "2"], "--every", "--storyboard"),
        (["padding_strides", "--columns", "2"], "--columns", "--storyboard"),
        (["padding_strides", "--dpi", "300", "-o", "x.gif"], "--dpi", "--storyboard"),
        (["padding_strides", "--frames", "f", "--delay", "2"], "--delay", "animation"),
        (["padding_strides", "--storyboard", "s.png", "--fps", "2"], "--fps", "animation"),
        (["padding_strides", "--storyboard", "s.png", "--reverse"], "--reverse", "storyboard"),
        (["padding_strides", "--loop", "2", "-o", "x.mp4"], "--loop", "mp4"),
        (["depthwise", "--sums"], "--sums", "numerical"),
        (["padding_strides", "--seed", "3"], "--seed", "numerical"),
        (["padding_strides", "--frame-order", "position_channel"], "--frame-order", "channel"),
    ],
)
def test_an_option_that_would_do_nothing_is_refused(
    run,  # noqa: ANN001
    tmp_path: Path,
    args: list[str],
    flag: str,
    words: str,
) -> None:
    result = run("render", *args)
    assert result.exit_code == 2, result.output
    line = _error(result)
    assert line.startswith(f"Error: {flag}: ") and words in line, line
    assert _files(tmp_path) == []


def test_a_comparison_takes_a_width(run, tmp_path: Path) -> None:  # noqa: ANN001
    result = run("compare", "conv:i5,k3", "conv:i5,k1", "--width", "900", "-o", "c.gif")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "c.gif") as gif:
        assert gif.size[0] == 900


def test_formula_turns_the_captions_on() -> None:
    assert Look(formula=True).labels is True
    figure = resolve("padding_strides")
    plain = Animation(figure).size
    with_formula = Animation(figure, look=Look(formula=True)).size
    labelled = Animation(figure, look=Look(labels=True)).size
    assert with_formula[1] > labelled[1] > plain[1]  # captions, then one more line


def test_the_rules_live_in_the_library() -> None:
    arithmetic = resolve("padding_strides")
    with pytest.raises(SpecError, match="^sums: "):
        Animation(arithmetic, look=Look(sums=True))
    Animation(resolve("numerical_padding_strides"), look=Look(sums=True))
    with pytest.raises(SpecError, match="^transparent: "):
        Look(transparent=True).check_format("mp4")
    with pytest.raises(SpecError, match="^every: "):
        check_outputs(Path("a.gif"), given={"every"})


def test_the_library_refuses_a_format_that_disagrees(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="^format: 'gif' does not match"):
        Animation(resolve("strided_1x1")).save(tmp_path / "x.webp", "gif")
    assert _files(tmp_path) == []


# -- 4. scale and width scale the drawing --------------------------------------------------------


def _width(path: Path) -> int:
    with Image.open(path) as im:
        return im.size[0]


def test_scale_2_is_twice_as_wide_above_the_800_px_cap(run, tmp_path: Path) -> None:  # noqa: ANN001
    # A 40x40 input is drawn smaller at scale 1 (it would be far wider than 800 px); a stride
    # of 37 keeps it to four frames.
    flags = ("--input", "40", "--kernel", "3", "--stride", "37")
    assert run("render", *flags, "--scale", "1", "-o", "one.gif").exit_code == 0
    result = run("render", *flags, "--scale", "2", "-o", "two.gif")
    assert result.exit_code == 0, result.output
    one, two = _width(tmp_path / "one.gif"), _width(tmp_path / "two.gif")
    assert abs(two - 2 * one) <= 1, (one, two)
    # And the 800 px cap of the scale-1 drawing is what made it smaller than the reference.
    assert one <= 800


def test_width_scales_the_drawing_not_the_background(run, tmp_path: Path) -> None:  # noqa: ANN001
    result = run("render", "padding_strides", "--width", "1800", "-o", "w.gif")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "w.gif") as im:
        assert im.size[0] == 1800
        frame = np.asarray(im.convert("RGB"))
    background = frame[0, 0]
    drawn = np.any(frame != background, axis=2)
    columns = np.flatnonzero(drawn.any(axis=0))
    # The drawing spans the frame (less its margins), not a 522-px island in the middle.
    assert columns[-1] - columns[0] > 0.85 * 1800


def test_the_pixel_budget_bounds_scale_and_width(run, tmp_path: Path) -> None:  # noqa: ANN001
    result = run("render", "padding_strides", "--width", "3000", "-o", "w.gif")
    assert result.exit_code == 2
    assert "frame too large" in _error(result) and "--width" in _error(result)
    assert _files(tmp_path) == []


# -- 5. overridden figures get their own names --------------------------------------------------


def test_an_overridden_template_gets_a_suffix(run, tmp_path: Path) -> None:  # noqa: ANN001
    result = run("render", "padding_strides", "--kernel", "3x1")
    assert result.exit_code == 0, result.output
    assert _files(tmp_path) == ["output", "output/padding_strides-k3x1.gif"]
    # A flag equal to the template's value changes nothing, so the name stays.
    result = run("render", "padding_strides", "--stride", "2", "--padding", "1")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "output" / "padding_strides.gif").exists()


def test_explain_names_the_overridden_spec_string(run) -> None:  # noqa: ANN001
    result = run("explain", "conv:i5,k3,s2", "--stride", "1")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "conv_i5_k3_s1"
    result = run("explain", "padding_strides", "--stride", "1", "--padding", "0,1,0,1")
    assert result.output.splitlines()[0].startswith("padding_strides-s1-p0x1x0x1")


def test_suffixes_are_derived_from_the_validated_fields() -> None:
    base = resolve("padding_strides")
    assert isinstance(base, FigureSpec)
    # Two spellings of one figure, one suffix.
    for spelling in ("3x1", [3, 1], "3,1"):
        after = resolve("padding_strides", {"kernel_size": spelling})
        assert isinstance(after, FigureSpec)
        assert changes(base, after) == ["k3x1"]


# -- 6. one grammar for sizes, pairs and padding -----------------------------------------------

BAD_SIZES = ["3x", "x3", "3,", "1,,2", "3xx1", "1x2,3", "3 x", "٣", "1_0", ""]


@pytest.mark.parametrize("value", BAD_SIZES)
def test_a_bad_size_is_refused_as_a_flag(run, tmp_path: Path, value: str) -> None:  # noqa: ANN001
    result = run("render", "--input", "9", "--kernel", value, "-o", "x.gif")
    assert result.exit_code == 2, result.output
    line = _error(result)
    assert line.startswith("Error: --kernel: ") and "HxW" in line, line
    assert _files(tmp_path) == []


@pytest.mark.parametrize("value", ["1,,2", "0,1,0,", "1x", "0x1xx0x1", "0x1,0x1"])
def test_a_bad_padding_flag_is_refused(run, value: str) -> None:  # noqa: ANN001
    result = run("render", "--input", "9", "--padding", value, "-o", "x.gif")
    assert result.exit_code == 2, result.output
    assert _error(result).startswith("Error: --padding: ")


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ("conv:i5x", "input_size"),
        ("conv:i5,k3x", "kernel_size"),
        ("conv:i9,p0x1xx0x1", "padding"),
        ("conv:i5,k3,", "spec"),
        ("conv:i5,,k3", "spec"),
    ],
)
def test_a_bad_spec_string_is_refused(run, spec: str, field: str) -> None:  # noqa: ANN001
    result = run("render", spec, "-o", "x.gif")
    assert result.exit_code == 2, result.output
    assert _error(result).startswith(f"Error: {field}: ")


@pytest.mark.parametrize("value", ['"3x"', '"3,"', '"1,,2"', "[]", "[3, true]", "3.0"])
def test_a_bad_toml_size_is_refused(value: str) -> None:
    data = tomllib.loads(f"input_size = 9\nkernel_size = {value}\n")
    with pytest.raises(SpecError, match="^kernel_size: "):
        LayerSpec.from_mapping(data)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3x1", (3, 1)), ("3,1", (3, 1)), (" 3 x 1 ", (3, 1)), ([3, 1], (3, 1)), (3, (3, 3))],
)
def test_good_sizes_read_alike_everywhere(value: object, expected: tuple[int, int]) -> None:
    assert LayerSpec(input_size=9, kernel_size=value).kernel_size == expected
    if isinstance(value, str) and "," not in value:
        parsed = parse_spec_string(f"conv:i9,k{value.strip().replace(' ', '')}")
        assert LayerSpec.from_mapping(parsed).kernel_size == expected


def test_padding_forms_agree() -> None:
    for value in ("0,1,0,1", "0x1x0x1", [0, 1, 0, 1]):
        assert LayerSpec(input_size=9, padding=value).padding == (0, 1, 0, 1)
    assert LayerSpec(input_size=9, padding="1x2").padding == (1, 1, 2, 2)


def test_a_spec_string_seed_is_read() -> None:
    assert resolve("conv:i5,k3,seed=2").seed == 2  # type: ignore[union-attr]


# -- 7. formats agree with suffixes; outputs of one run do not collide ------------------------


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--format", "gif", "-o", "x.webp"], "--format"),
        (["--format", "webp", "-o", "x"], "--format"),
        (["-o", "a.png", "--storyboard", "a.png"], "--storyboard"),
        (["-o", "f/a.gif", "--frames", "f"], "--frames"),
        (["--frames", "f", "--storyboard", "f/board.png"], "--storyboard"),
        (["--frames", "s.png/f", "--storyboard", "s.png"], "--storyboard"),
        (["-o", "./a.gif", "--storyboard", "sub/../a.gif"], "--storyboard"),
    ],
)
def test_disagreeing_or_colliding_outputs_write_nothing(
    run,  # noqa: ANN001
    tmp_path: Path,
    args: list[str],
    flag: str,
) -> None:
    result = run("render", "strided_1x1", *args)
    assert result.exit_code == 2, result.output
    assert _error(result).startswith(f"Error: {flag}: ")
    assert _files(tmp_path) == []


def test_a_matching_format_is_fine(run, tmp_path: Path) -> None:  # noqa: ANN001
    result = run("render", "strided_1x1", "--format", "apng", "-o", "x.png")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x.png").exists()


# -- 8. help ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["render"],
        ["compare"],
        ["explain"],
        ["templates"],
        ["templates", "show"],
        ["templates", "copy"],
        ["gallery"],
        ["batch"],
    ],
)
def test_every_help_shows_examples(run, command: list[str]) -> None:  # noqa: ANN001
    result = run(*command, "--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    examples = result.output.split("Examples:")[1].split("Options:")[0]
    lines = [line.strip() for line in examples.splitlines() if line.strip()]
    assert 2 <= len(lines) <= 3 and all(line.startswith("convanim ") for line in lines)
    assert max(len(line) for line in result.output.splitlines()) <= 80  # fits, never wraps


def test_render_help_has_the_spec_grammar(run) -> None:  # noqa: ANN001
    text = run("render", "--help").output
    for word in (
        "i5x7",
        "k3x1",
        "s2",
        "p0x1x0x1",
        "d2",
        "a1",
        "cin3",
        "cout4",
        "groups=",
        "name=value",
    ):
        assert word in text, word


def test_explain_help_lists_only_what_explain_uses(run) -> None:  # noqa: ANN001
    text = run("explain", "--help").output
    for unused in ("--seed", "--theme", "--output ", "--scale", "--delay", "--storyboard"):
        assert unused not in text, unused
    for used in ("--kernel", "--stride", "--view", "--in-channels", "--debug"):
        assert used in text, used


# -- 9. shell completion ------------------------------------------------------------------------


def _complete(words: str) -> list[str]:
    env = {
        "_CONVANIM_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    result = CliRunner().invoke(main, [], prog_name="convanim", env=env)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_template_names_complete() -> None:
    assert "plain,padding_strides" in _complete("convanim render padd")
    assert "plain,padding_strides_odd" in _complete("convanim explain padding_strides_o")
    everything = _complete("convanim gallery ")
    assert [line.split(",", 1)[1] for line in everything] == template_names()


def test_theme_names_complete() -> None:
    assert _complete("convanim render --theme da") == ["plain,dark"]
    assert _complete("convanim compare a b --theme ") == [
        "plain,classic",
        "plain,dark",
        "plain,colorblind",
        "plain,mono",
    ]
    assert _complete("convanim render --theme my/th") == ["file,my/th"]  # a theme file
