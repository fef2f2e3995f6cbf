"""The command line, through click's CliRunner: every command, and bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from convanim import __version__
from convanim.catalog.templates import template_names
from convanim.cli.main import main


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str):  # noqa: ANN202
        return CliRunner().invoke(main, list(args))

    return invoke


def _gif(path: Path) -> tuple[int, tuple[int, int], list[int]]:
    with Image.open(path) as im:
        durations = []
        for index in range(im.n_frames):
            im.seek(index)
            durations.append(im.info["duration"])
        return im.n_frames, im.size, durations


def test_version_and_help(run) -> None:  # noqa: ANN001
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output
    result = run("--help")
    assert result.exit_code == 0
    for command in ("render", "compare", "templates", "gallery"):
        assert command in result.output


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "convanim", "--version"], capture_output=True, text=True, check=True
    )
    assert __version__ in out.stdout


def test_help_imports_neither_numpy_nor_matplotlib() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from convanim.cli.main import main;"
        "r = CliRunner().invoke(main, ['templates']); assert r.exit_code == 0, r.output;"
        "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0;"
        "bad = [m for m in ('numpy', 'matplotlib') if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_render_strided_1x1_from_flags(run, tmp_path: Path) -> None:  # noqa: ANN001
    result = run("render", "--kernel", "1", "--stride", "2", "--input", "5", "-o", "s.gif")
    assert result.exit_code == 0, result.output
    assert "s.gif" in result.output
    n, size, durations = _gif(tmp_path / "s.gif")
    assert n == 9
    assert set(durations) == {1000}


def test_render_template_goes_to_output_by_default(run, tmp_path: Path) -> None:  # noqa: ANN001
    result = run("render", "numerical_max_pooling")
    assert result.exit_code == 0, result.output
    n, _, _ = _gif(tmp_path / "output" / "numerical_max_pooling.gif")
    assert n == 9


def test_flags_override_a_template(run, tmp_path: Path) -> None:  # noqa: ANN001
    result = run("render", "padding_strides", "--stride", "1", "--delay", "0.5", "-o", "p.gif")
    assert result.exit_code == 0, result.output
    n, _, durations = _gif(tmp_path / "p.gif")
    assert n == 25  # 5x5 input, padding 1, kernel 3, now stride 1
    assert set(durations) == {500}


def test_render_spec_string_and_fps(run, tmp_path: Path) -> None:  # noqa: ANN001
    result = run("render", "conv:i5x7,k3x1,s2", "--fps", "4", "-o", "r.gif")
    assert result.exit_code == 0, result.output
    n, _, durations = _gif(tmp_path / "r.gif")
    assert n == 2 * 4
    assert set(durations) == {250}


def test_compare_template_and_figures(run, tmp_path: Path) -> None:  # noqa: ANN001
    result = run("compare", "compare_3x3_vs_1x1", "-o", "c.gif")
    assert result.exit_code == 0, result.output
    n, _, _ = _gif(tmp_path / "c.gif")
    assert n == 25
    result = run("compare", "conv:i5,k3", "conv:i5,k1", "-o", "d.gif")
    assert result.exit_code == 0, result.output
    n, _, _ = _gif(tmp_path / "d.gif")
    assert n == 25  # the 1x1 member's 25 frames; the 3x3 one holds its ninth


def test_templates_lists_names_with_descriptions(run) -> None:  # noqa: ANN001
    result = run("templates")
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert [line.split()[0] for line in lines] == template_names()
    assert all(len(line.split()) > 1 for line in lines)


def test_gallery_writes_one_gif_per_template(run, tmp_path: Path) -> None:  # noqa: ANN001
    result = run("gallery", "--out", "g", "--jobs", "2")
    assert result.exit_code == 0, result.output
    names = template_names()
    assert sorted(p.stem for p in (tmp_path / "g").glob("*.gif")) == names
    assert f"{len(names)} rendered, 0 failed" in result.output
    n, _, _ = _gif(tmp_path / "g" / "padding_strides_odd_transposed.gif")
    assert n == 36


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["render", "--kernel", "0"], "--kernel"),
        (["render", "--stride", "0"], "--stride"),
        (["render", "--input", "abc"], "--input"),
        (["render", "--padding", "-1"], "--padding"),
        (["render", "--op", "convolve"], "--op"),
        (["render", "--input", "3", "--kernel", "5"], "--kernel"),
        (["render", "--view", "3d"], "--view"),
        (["render", "no_such_template"], "unknown template"),
        (["render", "conv:i5,zz"], "spec"),
        (["render", "--delay", "0"], "--delay"),
        (["compare", "conv:i5,k9"], "kernel_size"),
        (["render", "--delay", "1", "--fps", "2"], "--fps"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(
    run,  # noqa: ANN001
    tmp_path: Path,
    args: list[str],
    expected: str,
) -> None:
    result = run(*args, "-o", "bad.gif")
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "bad.gif").exists()
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(error_lines) == 1


def test_missing_output_directory_is_a_runtime_error(run, tmp_path: Path) -> None:  # noqa: ANN001
    result = run("render", "strided_1x1", "-o", "nowhere/x.gif")
    assert result.exit_code == 1
    assert "nowhere" in result.output
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(run) -> None:  # noqa: ANN001
    result = run("--debug", "render", "--kernel", "0")
    assert result.exit_code != 0
    assert result.exception is not None
    assert type(result.exception).__name__ == "SpecError"


def test_same_spec_same_bytes_and_gif_loops_forever(run, tmp_path: Path) -> None:  # noqa: ANN001
    assert run("render", "padding_strides_odd_transposed", "-o", "a.gif").exit_code == 0
    assert run("render", "padding_strides_odd_transposed", "-o", "b.gif").exit_code == 0
    a, b = (tmp_path / "a.gif").read_bytes(), (tmp_path / "b.gif").read_bytes()
    assert a == b
    with Image.open(tmp_path / "a.gif") as im:
        assert im.info.get("loop") == 0
        assert im.n_frames == 36
