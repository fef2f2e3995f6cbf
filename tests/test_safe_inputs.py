"""Inputs that are not files, manifests that contradict themselves, and a hostile environment.

Templates, themes and manifests must be regular files of at most 1 MiB
(``convanim.catalog.safe_read``): a FIFO, a device or a folder is one line, never a hang, and a
UTF-8 BOM is accepted. A manifest whose outputs clash, nest, differ only in case or hold a control
character is refused when it is read (exit 2, nothing rendered). A deleted working folder, an
unwritable standard output and an over-long name are one line and exit 1 (``convanim.cli.guard``),
and nothing a render writes goes through ``$TMPDIR``. Most cases run in this process through click's
CliRunner; the ones about standard output need a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from convanim.catalog.safe_read import MAX_TOML_BYTES, read_bounded, read_text
from convanim.cli.main import main
from convanim.errors import TemplateError

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and devices are POSIX")

FIGURE = 'op = "conv"\ninput_size = 3\nkernel_size = 2\n'


def invoke(*args: str, fifo: Path | None = None) -> tuple[int, str]:
    """Run the command line here; if it blocks on ``fifo`` for 20 s, unblock it and fail."""
    box: list = []
    thread = threading.Thread(
        target=lambda: box.append(CliRunner().invoke(main, list(args))), daemon=True
    )
    thread.start()
    thread.join(20)
    if thread.is_alive():
        if fifo is not None:  # a reader is stuck in open(): give it a writer, then fail
            with open(fifo, "w"):
                pass
        thread.join(20)
        pytest.fail(f"convanim {' '.join(args)} hung")
    result = box[0]
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, output
    return lines[0]


# -- only regular files are read -----------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    templates = tmp_path / "tpl"
    templates.mkdir()
    monkeypatch.setenv("CONVANIM_TEMPLATES", str(templates))
    return tmp_path


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
@pytest.mark.parametrize("role", ["template", "theme", "manifest"])
def test_a_template_theme_or_manifest_that_is_not_a_regular_file_is_one_line(
    project: Path, role: str, kind: str
) -> None:
    folder = project / "tpl" if role == "template" else project
    path = folder / "odd.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")  # endless: read whole, it would exhaust memory
    else:
        path.mkdir()
    args = {
        "template": ("render", "odd", "-o", "x.gif"),
        "theme": ("render", "conv:i3,k2", "--theme", str(path), "-o", "x.gif"),
        "manifest": ("batch", str(path)),
    }[role]
    code, output = invoke(*args, fifo=path if kind == "fifo" else None)
    line = error_line(output)
    assert code == 2
    assert "odd.toml" in line
    assert {"fifo": "FIFO", "device": "is a device", "folder": "is a folder"}[kind] in line
    assert not (project / "x.gif").exists()


def test_a_fifo_among_the_templates_does_not_hang_the_listing(project: Path) -> None:
    os.mkfifo(project / "tpl" / "pipe.toml")
    (project / "tpl" / "fine.toml").write_text(FIGURE)
    code, output = invoke("templates", fifo=project / "tpl" / "pipe.toml")
    assert "fine" in output


def test_bytes_read_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_bytes(b"#" * 100)
    assert read_bounded(path, limit=100) == b"#" * 100
    with pytest.raises(TemplateError, match="larger than 99 bytes"):
        read_bounded(path, limit=99)
    path.write_bytes(b"#" * (MAX_TOML_BYTES + 1))
    code, output = invoke("render", "conv:i3,k2", "--theme", str(path), "-o", "x.gif")
    assert code == 2 and "larger than 1 MiB" in error_line(output)


def test_a_utf8_bom_is_accepted_in_templates_themes_and_manifests(project: Path) -> None:
    bom = "\ufeff"
    (project / "tpl" / "bom_tpl.toml").write_text(bom + FIGURE, encoding="utf-8")
    (project / "bom_theme.toml").write_text(bom + 'input = "#123456"\n', encoding="utf-8")
    (project / "bom.toml").write_text(
        bom + '[defaults]\noutput_dir = "out"\ntheme = "bom_theme.toml"\n\n'
        '[[figures]]\ntemplate = "bom_tpl"\n',
        encoding="utf-8",
    )
    assert read_text(project / "bom.toml").startswith("[defaults]")
    code, output = invoke("render", "bom_tpl", "--theme", "bom_theme.toml", "-o", "a.gif")
    assert code == 0, output
    code, output = invoke("batch", "bom.toml", "--jobs", "1")
    assert code == 0, output
    assert (project / "a.gif").is_file() and (project / "out" / "bom_tpl.gif").is_file()


# -- manifests that contradict themselves ------------------------------------------------------


def _figure(name: str, output: str | None = None) -> str:
    text = f'\n[[figures]]\nname = "{name}"\n{FIGURE}'
    return text + (f"output = {output}\n" if output else "")


MANIFEST_CASES = {
    "same output": (
        _figure("a", '"x.gif"') + _figure("b", '"./x.gif"'),
        "figure b: output: 'x.gif' is also the output of figure a",
    ),
    "same output but for case": (
        _figure("a", '"sub/X.gif"') + _figure("b", '"Sub/x.gif"'),
        "figure b: output: 'Sub/x.gif' differs from figure a's output 'sub/X.gif' only in case",
    ),
    "inside a frames folder": (
        _figure("a", '"frames"') + _figure("b", '"frames/b.gif"'),
        "figure b: output: 'frames/b.gif' lies inside figure a's output 'frames' (a folder of "
        "frames)",
    ),
    "holding an earlier output": (
        _figure("a", '"deep/a.gif"') + _figure("b", '"deep"'),
        "figure b: output: 'deep' would contain figure a's output 'deep/a.gif'",
    ),
    "newline in output": (
        _figure("a", '"a\\nb.gif"'),
        "figure a: output: 'a\\nb.gif' contains a control character ('\\n')",
    ),
    "tab in name": (
        _figure("a\\tb"),
        "figure #1: name: 'a\\tb' contains a control character ('\\t')",
    ),
    "names differing in case": (
        _figure("Fig") + _figure("fig"),
        "figure fig: name: differs from 'Fig' only in case (figures 1 and 2)",
    ),
}


@pytest.mark.parametrize("case", list(MANIFEST_CASES), ids=list(MANIFEST_CASES))
def test_a_contradictory_manifest_is_refused_when_read(project: Path, case: str) -> None:
    text, expected = MANIFEST_CASES[case]
    (project / "m.toml").write_text('[defaults]\noutput_dir = "out"\n' + text)
    code, output = invoke("batch", "m.toml")
    assert code == 2
    assert error_line(output) == f"Error: m.toml: {expected}" or expected in error_line(output)
    assert error_line(output).startswith("Error: m.toml: figure")
    assert not (project / "out").exists()  # nothing rendered, not even the folder


# -- the environment ---------------------------------------------------------------------------


def test_a_deleted_working_folder_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    code, output = invoke("render", "conv:i3,k2", "-o", "x.gif")
    assert code == 1 and "the working folder no longer exists" in error_line(output)


def test_an_over_long_file_name_is_one_line(project: Path) -> None:
    for flag in ("-o", "--frames", "--storyboard"):
        name = "n" * 300 + (".png" if flag == "--storyboard" else ".gif" if flag == "-o" else "")
        code, output = invoke("render", "conv:i3,k2", flag, name)
        assert code == 1 and "file name too long" in error_line(output), output
    assert list(project.iterdir()) == [project / "tpl"]


CLI = [sys.executable, "-m", "convanim"]


def test_an_unwritable_standard_output_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*CLI, "templates"], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120
        )
    assert done.returncode == 1
    assert done.stderr == "Error: cannot write to standard output: No space left on device\n"

    closed = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", *CLI, "render", "conv:i3,k2", "-o", "x.gif"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    assert closed.returncode == 1 and closed.stderr.startswith("Error: standard output is closed")
    assert list(tmp_path.iterdir()) == []  # refused before anything was opened as fd 1

    proc = subprocess.Popen(
        [*CLI, "templates"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader goes away at once, as `| head -0` would
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert stderr == "Error: cannot write to standard output: Broken pipe\n"


def test_nothing_a_render_writes_goes_through_tmpdir(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A missing $TMPDIR; tempfile would fall back to /tmp, so it is pinned as missing.
    monkeypatch.setattr(tempfile, "tempdir", str(project / "no-such-tmp"))
    code, output = invoke(
        "render", "conv:i3,k2", "-o", "a.gif", "--frames", "fr", "--storyboard", "s.png"
    )
    assert code == 0, output
    for name in ("a.png", "a.webp"):
        code, output = invoke("render", "conv:i3,k2", "-o", name)
        assert code == 0, output
    assert sorted(p.name for p in project.iterdir()) == [
        "a.gif", "a.png", "a.webp", "fr", "s.png", "tpl"
    ]  # fmt: skip
