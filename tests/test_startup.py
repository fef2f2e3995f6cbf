"""Start-up of the command line (issue 14): what a short render does not load, and that the
lazily loaded commands behave as if they had all been loaded up front."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

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
