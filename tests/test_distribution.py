"""What a new user of an installed convanim meets: templates found inside the package, starting
from a template or the starter manifest, the licence and the credits.

The last test builds the real artefacts (sdist and wheel with ``python -m build``), installs the
wheel into a fresh virtual environment and runs the README's commands from an empty folder. It
takes a minute or two and needs the package index, so it runs in CI (``CI`` set) or when
``CONVANIM_TEST_WHEEL=1``; elsewhere it skips and says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

import convanim.catalog.templates as templates_module
from convanim.catalog.manifest import load_manifest
from convanim.catalog.templates import builtin_dir, template_names
from convanim.cli.main import main

REPO = Path(__file__).resolve().parent.parent
MIN_TEMPLATES = 28


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """The CLI, run from an empty folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CONVANIM_TEMPLATES", raising=False)

    def invoke(*args: str):  # noqa: ANN202
        return CliRunner().invoke(main, list(args))

    return invoke


def test_the_builtin_templates_are_package_data_found_from_any_folder(run) -> None:  # noqa: ANN001
    folder = builtin_dir()
    assert folder.is_dir() and folder.parent.name == "catalog"
    assert (folder.parent / "__init__.py").is_file()  # inside the package, not the checkout
    names = template_names()
    assert len(names) >= MIN_TEMPLATES
    listed = run("templates")
    assert listed.exit_code == 0, listed.output
    assert len(listed.output.splitlines()) == len(names)
    assert "padding_strides " in listed.output


def test_no_templates_at_all_is_an_error_for_templates_and_gallery(
    run,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    monkeypatch.setattr(templates_module, "builtin_dir", lambda: empty)
    listed = run("templates")
    assert listed.exit_code == 1
    assert "no templates found" in listed.output
    gallery = run("gallery", "--jobs", "1")
    assert gallery.exit_code == 1
    assert "no templates to render" in gallery.output
    assert not (tmp_path / "output").exists()


def test_env_templates_still_come_first(
    run,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "padding_strides.toml").write_text(
        'description = "my own"\nop = "conv"\ninput_size = 4\nkernel_size = 1\n', encoding="utf-8"
    )
    monkeypatch.setenv("CONVANIM_TEMPLATES", str(mine))
    shown = run("templates", "show", "padding_strides")
    assert shown.exit_code == 0 and 'description = "my own"' in shown.output


def test_templates_show_prints_the_toml(run) -> None:  # noqa: ANN001
    shown = run("templates", "show", "padding_strides")
    assert shown.exit_code == 0, shown.output
    assert shown.output == (builtin_dir() / "padding_strides.toml").read_text(encoding="utf-8")
    unknown = run("templates", "show", "padding_stride")
    assert unknown.exit_code == 2
    assert "did you mean padding_strides" in unknown.output


def test_a_copied_template_is_edited_and_rendered_by_path(run, tmp_path: Path) -> None:  # noqa: ANN001
    copied = run("templates", "copy", "padding_strides", "mine.toml")
    assert copied.exit_code == 0, copied.output
    assert "render it with: convanim render ./mine.toml" in copied.output
    path = tmp_path / "mine.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("stride = 2", "stride = 1"), encoding="utf-8"
    )
    rendered = run("render", "./mine.toml")
    assert rendered.exit_code == 0, rendered.output
    with Image.open(tmp_path / "output" / "mine.gif") as gif:
        assert gif.n_frames == 25  # 5x5 input, padding 1, stride 1 (the template's stride 2: 9)
    assert run("explain", "mine.toml").output.startswith("mine:")

    again = run("templates", "copy", "padding_strides", "mine.toml")
    assert again.exit_code == 1 and "exists" in again.output
    assert "stride = 1" in path.read_text(encoding="utf-8")  # kept
    forced = run("templates", "copy", "padding_strides", "mine.toml", "--force")
    assert forced.exit_code == 0 and "stride = 2" in path.read_text(encoding="utf-8")

    (tmp_path / "figs").mkdir()
    into_folder = run("templates", "copy", "dilation", "figs")
    assert into_folder.exit_code == 0 and (tmp_path / "figs" / "dilation.toml").is_file()
    default = run("templates", "copy", "dilation")
    assert default.exit_code == 0 and (tmp_path / "dilation.toml").is_file()


def test_a_path_is_told_apart_from_a_name(run, tmp_path: Path) -> None:  # noqa: ANN001
    missing = run("render", "./nope.toml")
    assert missing.exit_code == 2
    assert "template file './nope.toml' does not exist" in missing.output
    named = run("render", "nope")
    assert named.exit_code == 2 and "unknown template 'nope'" in named.output
    run("batch", "--init")
    manifest = run("render", "convanim.toml")
    assert manifest.exit_code == 2
    assert "is a batch manifest, not a template; run 'convanim batch convanim.toml'" in (
        manifest.output
    )
    assert not (tmp_path / "output").exists()


def test_batch_init_writes_the_starter_manifest_once(run, tmp_path: Path) -> None:  # noqa: ANN001
    first = run("batch", "--init")
    assert first.exit_code == 0, first.output
    written = tmp_path / "convanim.toml"
    assert written.read_text(encoding="utf-8") == (builtin_dir() / "blog.toml").read_text(
        encoding="utf-8"
    )
    manifest = load_manifest(written)
    assert manifest.output_dir == tmp_path / "output" / "blog"  # beneath the manifest
    assert len(manifest.figures) == 5
    assert run("batch", "--init").exit_code == 0  # the same file again: nothing to do
    written.write_text("# mine\n", encoding="utf-8")
    refused = run("batch", "--init")
    assert refused.exit_code == 1 and "kept" in refused.output
    assert written.read_text(encoding="utf-8") == "# mine\n"
    mixed = run("batch", "--init", "--check")
    assert mixed.exit_code == 2 and "give it alone" in mixed.output
    other = run("batch", "--init", "course.toml")
    assert other.exit_code == 0 and "convanim batch course.toml" in other.output


def test_version_credits_the_style_and_the_colours(run) -> None:  # noqa: ANN001
    shown = run("--version")
    assert shown.exit_code == 0
    assert "arXiv:1603.07285" in shown.output and "Dumoulin & Visin" in shown.output
    assert "Ethan Schoonover" in shown.output and "MIT" in shown.output


def test_the_readme_credits_and_says_who_owns_figures() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "arXiv:1603.07285" in readme and "Ethan Schoonover" in readme
    assert "belong to you" in readme
    assert "MIT" in (REPO / "LICENSE").read_text(encoding="utf-8")


# -- the real artefacts --------------------------------------------------------------------------

_WHEEL_WANTED = bool(os.environ.get("CI")) or os.environ.get("CONVANIM_TEST_WHEEL") == "1"


def _sh(args: list[str | Path], cwd: Path, timeout: float = 600) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.skipif(
    not _WHEEL_WANTED, reason="builds and installs the wheel: in CI or with CONVANIM_TEST_WHEEL=1"
)
def test_the_built_wheel_works_from_an_empty_folder(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _sh([sys.executable, "-m", "build", "--outdir", dist, REPO], cwd=tmp_path)
    (wheel,) = dist.glob("convanim-*.whl")
    (sdist,) = dist.glob("convanim-*.tar.gz")
    template_files = {p.name for p in builtin_dir().glob("*.toml")}
    assert len(template_files) >= MIN_TEMPLATES + 1  # and the starter manifest

    in_wheel = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("/LICENSE") or n == "LICENSE" for n in in_wheel)
    assert {Path(n).name for n in in_wheel if "catalog/builtin/" in n} == template_files
    with tarfile.open(sdist) as archive:
        in_sdist = archive.getnames()
    assert any(n.endswith("/LICENSE") for n in in_sdist)
    assert {Path(n).name for n in in_sdist if "catalog/builtin/" in n} == template_files

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    _sh([python, "-m", "pip", "install", "--quiet", wheel], cwd=tmp_path)
    convanim = env_dir / "bin" / "convanim"
    work = tmp_path / "empty"
    work.mkdir()
    environment = {k: v for k, v in os.environ.items() if k != "CONVANIM_TEMPLATES"}

    def cli(*args: str) -> str:
        done = subprocess.run(
            [str(convanim), *args], cwd=work, capture_output=True, text=True, timeout=600,
            env=environment,
        )  # fmt: skip
        assert done.returncode == 0, f"convanim {args}: {done.stdout}\n{done.stderr}"
        return done.stdout

    # Not the checkout's copy: the installed package, with its own templates.
    where = _sh([python, "-c", "import convanim; print(convanim.__file__)"], cwd=work)
    assert str(env_dir) in where
    listed = cli("templates").splitlines()
    assert len(listed) >= MIN_TEMPLATES
    assert "wrote output/padding_strides.gif (9 frames" in cli("render", "padding_strides")
    with Image.open(work / "output" / "padding_strides.gif") as gif:
        assert gif.n_frames == 9
    gallery = cli("gallery", "--jobs", "2", "--out", "gallery")
    assert f"{len(listed)} rendered, 0 failed" in gallery
    assert len(list((work / "gallery").glob("*.gif"))) == len(listed)
    assert "frames: 9 (one per output cell, 3x3)" in cli("explain", "padding_strides")
    shutil.copy(builtin_dir() / "blog.toml", work / "blog.toml")
    assert "5 rendered, 0 failed" in cli("batch", "blog.toml", "--jobs", "2")
    assert len(list((work / "output" / "blog").glob("*.gif"))) == 5
    assert "wrote convanim.toml" in cli("batch", "--init")
