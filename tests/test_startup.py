"""Start-up of the command line (issue 14): what a short render does not load, and that the
lazily loaded commands behave as if they had all been loaded up front."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from convanim.catalog.flat_toml import loads_flat
from convanim.catalog.templates import builtin_dir
from convanim.cli.main import main


def _loaded_after_render(tmp_path: Path, modules: list[str]) -> list[str]:
    """Which of ``modules`` a short render from the command line imported."""
    code = f"""
import sys
from convanim.cli.main import main
try:
    main(["render", "no_padding_no_strides", "-o", {str(tmp_path / "x.gif")!r}])
except SystemExit as exit:
    assert exit.code == 0, exit.code
print("loaded:", *(name for name in {modules!r} if name in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert (tmp_path / "x.gif").stat().st_size > 1000
    return out.stdout.split("loaded:")[1].split()


def test_a_short_render_loads_no_other_command(tmp_path: Path) -> None:
    others = [f"convanim.cli.{name}" for name in ("batch", "compare", "explain", "gallery")]
    assert _loaded_after_render(tmp_path, [*others, "convanim.cli.templates"]) == []


def test_help_lists_every_command_as_an_eager_group_would() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    rows = result.output.split("Commands:")[1].splitlines()
    names = [row.split()[0] for row in rows if row.startswith("  ") and not row.startswith("   ")]
    assert names == ["batch", "compare", "explain", "gallery", "render", "templates"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rendr"], "No such command 'rendr'. Did you mean 'render'?"),
        (["galery"], "No such command 'galery'. Did you mean 'gallery'?"),
        (["templates", "shwo"], "No such command 'shwo'. Did you mean 'show'?"),
    ],
)
def test_a_mistyped_command_is_matched_against_every_command(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize("args", [["render"], ["templates"], ["templates", "copy"], ["batch"]])
def test_debug_after_a_lazily_loaded_command(args: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0
    assert "--debug" in result.output


def test_a_short_render_reads_its_template_without_tomllib(tmp_path: Path) -> None:
    assert _loaded_after_render(tmp_path, ["tomllib"]) == []


def test_a_short_render_writes_its_gif_without_the_rgb_frame_plumbing(tmp_path: Path) -> None:
    # The raster backend hands palette indices to gif_indexed: no FrameStream to build.
    assert _loaded_after_render(tmp_path, ["convanim.export.writers._common"]) == []


def _tomllib_or_error(text: str) -> object:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return "error"


def test_every_builtin_template_reads_flat_as_tomllib_reads_it() -> None:
    flat = 0
    for path in sorted(builtin_dir().glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        got = loads_flat(text)
        if got is not None:
            flat += 1
            assert got == tomllib.loads(text), path.name
    assert flat >= 20  # the single figures: what a short render reads


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "# only a comment\n",
        'a = "x"  # trailing\r\nb = -0\n c\t=\t+7\n',
        "a = true\nb = false\n",
        'a = "tab\there, ünï"',
        'a = "caf\\u00e9"',  # an escape: tomllib's
        "a = 1\na = 2\n",  # a duplicate: an error
        "a = 1\rb = 2\n",  # a lone CR: an error
        "a = 1\r",
        "a = 007\n",
        "a = 1_000\n",
        "a = 1.5\n",
        "a = [1, 2]\n",
        "a.b = 1\n",
        '"a" = 1\n',
        "a = True\n",
        "a = 'literal'\n",
        'a = "unterminated\n',
        "a = 1 2\n",
        "a =\n",
        "= 1\n",
        "[table]\na = 1\n",
        "a = 1 # comment with \x7f\n",
        'a = "bell \x07"\n',
        "\ufeffa = 1\n",
    ],
)
def test_flat_toml_is_tomllib_or_declines(text: str) -> None:
    got = loads_flat(text)
    assert got is None or got == _tomllib_or_error(text)


_KEY = st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True)
_VALUE = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=8).map(lambda s: f'"{s}"'),
    st.sampled_from(["+0", "-0", "+12", "0x1f", "1e3", "inf", "'x'", '""', '"\\""', "[]"]),
)
_LINE = st.one_of(
    st.tuples(st.sampled_from(["", " ", "\t"]), _KEY, st.sampled_from(["=", " = ", "\t=  "]),
              _VALUE, st.sampled_from(["", " ", " # note", "#"])).map("".join),
    st.sampled_from(["", "  ", "# comment", "#", "  # indented"]),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=6), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_flat_toml_agrees_with_tomllib(lines: list[str], newline: str, last: bool) -> None:
    text = newline.join(lines) + (newline if last else "")
    got = loads_flat(text)
    assert got is None or got == _tomllib_or_error(text)


def test_a_one_process_gallery_starts_no_worker_machinery(tmp_path: Path) -> None:
    """``gallery --jobs 1`` runs its figures here: multiprocessing (17 ms) is not loaded, nor
    numpy.ma (17 ms), which ``np.unique`` pulls in, by a numerical figure's example values."""
    code = f"""
import sys
from convanim.cli.main import main
try:
    main(["gallery", "--jobs", "1", "numerical_max_pooling", "--out", {str(tmp_path)!r}])
except SystemExit as exit:
    assert exit.code == 0, exit.code
print("loaded:", *(name for name in ("multiprocessing", "numpy.ma") if name in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert (tmp_path / "numerical_max_pooling.gif").stat().st_size > 1000
    assert out.stdout.split("loaded:")[1].split() == []
