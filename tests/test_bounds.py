"""Bounds on everything that can be large, and no recursion limit reachable from input.

Channel counts, the grid a figure lays out, the frame size, durations, storyboard tiles and DPI
and ``--jobs`` are refused in one line naming the flag or field, before anything is built or
written; templates naming each other are refused naming the chain, deeply nested TOML before it
is parsed, and a broken user template is reported and skipped, never breaking the others.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from convanim import animation as animation_module
from convanim.animation import Animation
from convanim.catalog.manifest import load_manifest
from convanim.catalog.templates import MAX_CHAIN, resolve, survey_templates, template_names
from convanim.catalog.tomldepth import MAX_TOML_DEPTH, too_deep
from convanim.cli.main import main
from convanim.errors import BudgetError, ManifestError, SpecError, TemplateError
from convanim.export.storyboard import check_storyboard
from convanim.export.writers import MAX_FRAME_SECONDS, WriteOptions, delay_of_fps
from convanim.model.spec import FigureSpec, LayerSpec
from convanim.ops.geometry import layout
from convanim.scene.budget import (
    MAX_CHANNELS,
    check_jobs,
    check_target,
    drawn_shape,
    max_jobs,
    min_frame_size,
)


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONVANIM_TEMPLATES", str(tmp_path / "tpl"))
    (tmp_path / "tpl").mkdir()

    def invoke(*args: str):  # noqa: ANN202
        return CliRunner().invoke(main, list(args))

    return invoke


def one_error(result) -> str:  # noqa: ANN001
    lines = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def no_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a renderer is built: the refusal must come from the geometry alone."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a renderer was built")

    monkeypatch.setattr(animation_module, "_renderer_for", refuse)


# -- channels, the laid-out grid, the frame size -------------------------------------------------


def test_a_huge_channel_count_names_the_flag_before_anything_is_built(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: ANN001
    no_renderer(monkeypatch)
    result = run("render", "conv:i5,k3", "--in-channels", "100000000", "-o", "x.gif")
    assert result.exit_code == 2
    line = one_error(result)
    assert "--in-channels" in line and str(MAX_CHANNELS) in line
    assert not (tmp_path / "x.gif").exists()
    result = run("render", f"conv:i5,k3,cout{10**30}", "-o", "x.gif")
    assert result.exit_code == 2 and "out_channels" in one_error(result)


@pytest.mark.parametrize("flag", ["--stride", "--dilation"])
def test_a_step_too_long_for_any_grid_names_the_flag(run, flag: str) -> None:  # noqa: ANN001
    # A 1x1 kernel's dilation and a single output's stride change no size, but were an
    # OverflowError traceback in the window arithmetic.
    result = run("render", "conv:i2,k1", flag, str(10**30), "-o", "x.gif")
    assert result.exit_code == 2
    assert one_error(result).startswith(f"Error: {flag}: {10**30} is more than 4000000")


def test_explain_counts_a_huge_layers_frames_without_laying_it_out(run) -> None:  # noqa: ANN001
    result = run("explain", "conv:i5,k3,cin100000000000")
    assert result.exit_code == 0, result.output
    assert "frames: 3 (a schematic: 3 of the 9 positions)" in result.output
    result = run("explain", "conv:i100000000,k3,cin10")
    assert result.exit_code == 0, result.output
    assert "frames: 4 (a schematic" in result.output


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        ("conv:i3000,k3000", "grid under the kernel is 3000x3000"),  # one frame, 9M cells
        ("conv:i400,k400,view=numerical", "frame too large: at least"),
        ("conv:i5,k3,cin100,schematic=false,view=numerical", "--schematic"),
        ("conv:i100000000,k3,cin10", "grid under the kernel"),  # even as a schematic
    ],
)
def test_grids_and_frames_too_large_are_refused_from_the_geometry_alone(
    ref: str, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_renderer(monkeypatch)
    with pytest.raises(BudgetError, match=words):
        check_target(resolve(ref))
    with pytest.raises(BudgetError):
        Animation(resolve(ref)).check_budget()


SAMPLE_SPECS = (
    "conv:i7,k3,cin4,cout3,schematic=false",
    "conv:i4,k2,cin2,view=numerical",
    "max_pool:i6,k2,cin3,view=numerical",
    "conv:i5,k3,cin3,cout6,g3,view=numerical,frame_order=position_channel",
    "conv:i40,k3",
    "conv:i30,k3,view=numerical",
    "conv_transpose:i5,k3,s2",
    "conv:i3,k1,p2,view=numerical",
)


@pytest.mark.parametrize("ref", [*template_names(), *SAMPLE_SPECS])
def test_the_frame_size_lower_bound_holds_for_every_template(ref: str) -> None:
    target = resolve(ref)
    width, height = min_frame_size(target)
    actual = Animation(target, max_frames=10**6, max_pixels=10**9).size
    assert width <= actual[0] and height <= actual[1]


def test_the_drawn_grid_is_counted_exactly_by_arithmetic() -> None:
    specs = []
    for op in ("conv", "conv_transpose", "max_pool", "avg_pool"):
        for i, k, s, p, d, ceil in np.ndindex(4, 3, 3, 3, 2, 2):
            with contextlib.suppress(SpecError):
                spec = LayerSpec(op, i + 2, k + 1, s + 1, p, d + 1, ceil_mode=bool(ceil))  # type: ignore[arg-type]
                specs.append(spec)
    assert len(specs) > 200
    for spec in specs:
        assert drawn_shape(spec) == layout(spec).shape, spec


def test_the_schematic_of_a_depthwise_layer_colours_channels_as_the_per_group_loop() -> None:
    def loop(hues: list, groups: np.ndarray) -> np.ndarray:  # the rule, one channel at a time
        out = np.zeros((len(groups), 3))
        for g in np.unique(groups):
            members = np.flatnonzero(groups == g)
            for j, channel in enumerate(members):
                t = LIGHTEST * j / max(len(members) - 1, 1)
                out[channel] = np.round((1 - t) * np.asarray(hues[g], float) + t * 255.0)
        return out

    from convanim.backends import resolve as paint_rgb
    from convanim.model.themes import CLASSIC
    from convanim.scene.channel_common import LIGHTEST, _ramp
    from convanim.scene.display import Paint

    hues = [(38, 139, 210), (211, 54, 130), (181, 137, 0)]  # classic's group0..group2
    roles = [Paint("group0"), Paint("group1"), Paint("group2")]
    for groups in ([0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 1, 2], [0, 0, 0, 0], [0, 0, 1, 1, 2, 2]):
        array = np.array(groups)
        got = np.array([paint_rgb(CLASSIC, paint) for paint in _ramp(roles, array)])
        assert np.array_equal(got, loop(hues, array))
    many = _ramp([Paint("group0")], np.zeros(65536, dtype=int))  # a depthwise layer's worth
    assert len(many) == 65536


# -- durations -----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["delay", "hold_first", "hold_last"])
def test_no_duration_is_over_a_minute(field: str) -> None:
    WriteOptions(**{field: MAX_FRAME_SECONDS})
    with pytest.raises(SpecError, match=f"^{field}: 61 seconds is more than the 60"):
        WriteOptions(**{field: 61})


def test_an_animation_over_an_hour_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    animation = Animation(resolve("conv:i30,k1"))  # 900 frames
    with pytest.raises(SpecError, match="900 frames would play for 53,100 seconds"):
        animation.save(tmp_path / "long.gif", delay=59)
    assert list(tmp_path.iterdir()) == []
    assert WriteOptions(delay=(1.0, 2.0), hold_last=3).check_total(2) == 6.0


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--fps", "inf", "--fps: must be a positive number"),
        ("--fps", "nan", "--fps: must be a positive number"),
        ("--fps", "0.001", "--fps: 0.001 is less than"),
        ("--delay", "1e6", "--delay: 1000000.0 seconds is more than the 60"),
        ("--delay", "inf", "--delay"),
        ("--hold-last", "nan", "--hold-last"),
        ("--hold-first", "1e308", "--hold-first"),
    ],
)
def test_timing_flags_name_themselves(run, flag: str, value: str, words: str) -> None:  # noqa: ANN001
    result = run("render", "conv:i3,k2", flag, value, "-o", "x.gif")
    assert result.exit_code == 2
    assert words in one_error(result)
    assert not Path("x.gif").exists()


def test_delay_of_fps() -> None:
    assert delay_of_fps(4) == 0.25
    with pytest.raises(SpecError, match="^fps:"):
        delay_of_fps(float("inf"))


def test_a_manifest_delay_over_a_minute_names_the_figure_and_key(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('[[figures]]\nname = "a"\ntemplate = "conv:i3,k2"\ndelay = 1e6\n')
    with pytest.raises(ManifestError, match=r"figure a: delay: 1000000.0 seconds is more than"):
        load_manifest(path)


# -- storyboards ---------------------------------------------------------------------------------


def test_a_storyboard_too_large_is_refused_before_the_animation_is_written(
    run, tmp_path: Path
) -> None:  # noqa: ANN001
    result = run("render", "conv:i30,k1", "--dpi", "1200", "--storyboard", "s.png", "-o", "a.gif")
    assert result.exit_code == 2
    assert "storyboard too large: 900 tiles in 30 columns at 1200 dpi" in one_error(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tpl"]


def test_more_columns_than_tiles_is_one_row(run, tmp_path: Path) -> None:  # noqa: ANN001
    width, height = check_storyboard(resolve("conv:i3,k2"), columns=100000, dpi=72)
    one_row = check_storyboard(resolve("conv:i3,k2"), columns=4, dpi=72)
    assert (width, height) == one_row and width > 3 * height
    result = run("render", "conv:i3,k2", "--columns", "100000", "--storyboard", "s.png")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("flag", "value"), [("--dpi", "nan"), ("--dpi", "inf"), ("--columns", "0"), ("--every", "0")]
)
def test_storyboard_options_name_themselves(run, flag: str, value: str) -> None:  # noqa: ANN001
    result = run("render", "conv:i3,k2", flag, value, "--storyboard", "s.png", "-o", "a.gif")
    assert result.exit_code == 2
    assert one_error(result).startswith(f"Error: {flag}:")
    assert not Path("a.gif").exists()


# -- jobs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [("gallery", "--out", "g"), ("batch", "m.toml")])
def test_jobs_beyond_four_per_core_are_refused(run, command: tuple) -> None:  # noqa: ANN001
    Path("m.toml").write_text('[[figures]]\nname = "a"\ntemplate = "conv:i3,k2"\n')
    result = run(*command, "--jobs", str(10**6))
    assert result.exit_code == 2
    assert f"--jobs: 1000000 is more than {max_jobs()} (4 per CPU core" in one_error(result)
    assert not Path("g").exists()


def test_check_jobs() -> None:
    assert check_jobs(None) == (os.cpu_count() or 1)
    assert check_jobs(max_jobs()) == max_jobs()
    for bad in (0, -1, True, 2.0, max_jobs() + 1):
        with pytest.raises(SpecError, match="^jobs:"):
            check_jobs(bad)


# -- recursion -----------------------------------------------------------------------------------


def write_templates(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")


def test_templates_naming_each_other_are_refused_naming_the_chain(run, tmp_path: Path) -> None:  # noqa: ANN001
    write_templates(
        tmp_path / "tpl",
        {
            # The names inside the files differ from the file names on purpose.
            "a": 'name = "alpha"\nsequence = ["b", "conv:i3,k1"]\n',
            "b": 'compare = ["c", "conv:i3,k1"]\n',
            "c": 'sequence = ["conv:i3,k1", "a"]\n',
        },
    )
    result = run("render", "a", "-o", "x.gif")
    assert result.exit_code == 2
    assert one_error(result) == "Error: template 'a' refers to itself: a -> b -> c -> a"


def test_a_long_chain_of_templates_is_bounded(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("CONVANIM_TEMPLATES", str(tmp_path))
    n = 3 * MAX_CHAIN
    files = {f"t{k}": f'sequence = ["t{k + 1}", "conv:i3,k1"]\n' for k in range(n)}
    files[f"t{n}"] = 'op = "conv"\ninput_size = 3\nkernel_size = 1\n'
    write_templates(tmp_path, files)
    with pytest.raises(TemplateError, match=f"more than {MAX_CHAIN} deep: t0 -> t1 -> "):
        resolve("t0")


DEEP = {
    "arrays": "x = " + "[" * 5000 + "]" * 5000 + "\n",
    "inline tables": "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
    "dotted keys": ".".join(["a"] * 100_000) + " = 1\n",
    "table header": "[" + ".".join(["a"] * 5000) + "]\n",
}


@pytest.mark.parametrize("kind", list(DEEP))
def test_deeply_nested_toml_is_one_line_in_a_template_theme_and_manifest(
    run, tmp_path: Path, kind: str
) -> None:  # noqa: ANN001
    (tmp_path / "tpl" / "deep.toml").write_text(DEEP[kind])
    (tmp_path / "deep_theme.toml").write_text(DEEP[kind])
    (tmp_path / "deep_manifest.toml").write_text(DEEP[kind])
    for args in (
        ("render", "deep", "-o", "x.gif"),
        ("render", "conv:i3,k2", "--theme", "deep_theme.toml", "-o", "x.gif"),
        ("batch", "deep_manifest.toml"),
    ):
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert f"nested too deeply (line 1): more than {MAX_TOML_DEPTH} levels" in one_error(result)


def test_brackets_and_dots_inside_strings_and_comments_do_not_count(tmp_path: Path) -> None:
    text = (
        f'description = "{"[" * 100}{"a." * 100}"\n'
        f"# {'{' * 100}\n"
        f"labels = '''{']' * 100}'''\n"
        'op = "conv"\ninput_size = 3\nkernel_size = 1\ndelay_list = [0.5, 1.5, 2.5]\n'
    )
    path = tmp_path / "ok.toml"
    path.write_text(text)
    from convanim.catalog.templates import read_toml

    assert read_toml(path)["op"] == "conv"
    # Linear in the text: a long word after an unterminated string used to backtrack per letter.
    assert too_deep(b'x = """' + b"a" * 200_000) is None


def test_one_bad_user_template_is_reported_and_skipped(run, tmp_path: Path) -> None:  # noqa: ANN001
    write_templates(
        tmp_path / "tpl",
        {
            "deep": DEEP["arrays"],
            "loop": 'sequence = ["loop", "conv:i3,k1"]\n',
            "broken": "op = = 1\n",
            "good_one": 'op = "conv"\ninput_size = 2\nkernel_size = 1\ndescription = "fine"\n',
        },
    )
    result = run("templates")
    assert result.exit_code == 0
    assert "Traceback" not in result.output
    errors = sorted(line.split(":")[1].strip() for line in result.stderr.splitlines())
    assert errors == ["broken", "deep", "loop"]
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert "good_one" in listed and "padding_strides" in listed
    good, bad = survey_templates()
    assert len(good) == len(listed) and len(bad) == 3

    result = run("render", "padding_strides", "-o", "p.gif")  # built-ins still work
    assert result.exit_code == 0, result.output

    result = run("gallery", "good_one", "deep", "loop", "--out", "g")
    assert result.exit_code == 1
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["good_one.gif"]
    assert "error: deep: " in result.output and "error: loop: " in result.output
    assert "1 rendered, 2 failed" in result.output


def test_a_seed_is_accepted_in_a_spec_string() -> None:
    figure = resolve("conv:i5,k3,seed=3,view=numerical")
    assert isinstance(figure, FigureSpec) and figure.seed == 3
    with pytest.raises(SpecError, match="^seed:"):
        resolve("conv:i5,k3,seed=-1")
