"""``convanim batch``: manifests, incremental runs, --check, failures, path safety, kills.

Figures here are tiny (a few frames) so that the file stays fast; most runs go through click's
CliRunner in this process, and only the kill test and the terminal test start the real command.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from convanim.batch.runner import figure_digest, plan, read_state
from convanim.catalog.manifest import STATE_NAME, load_manifest
from convanim.catalog.templates import builtin_dir, template_names
from convanim.cli.main import main
from convanim.errors import ManifestError

SMALL = """\
[defaults]
output_dir = "out"
delay = 0.1

[[figures]]
name = "one"
op = "conv"
input_size = 3
kernel_size = 2
output = "one.gif"

[[figures]]
name = "two"
template = "conv:i3,k1"
output = "sub/two.gif"

[[figures]]
name = "three"
op = "max_pool"
input_size = 4
kernel_size = 2
stride = 2
view = "numerical"
output = "three.png"
"""


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str):  # noqa: ANN202
        return CliRunner().invoke(main, ["batch", *args])

    return invoke


def _write(folder: Path, text: str, name: str = "convanim.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _inodes(folder: Path) -> dict[str, int]:
    """Atomic writes replace files, so an unchanged inode means "not written again"."""
    return {
        str(p.relative_to(folder)): p.stat().st_ino
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


# -- incremental behaviour -----------------------------------------------------------------------


def test_second_run_renders_nothing_and_an_edit_renders_only_that_figure(
    run,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    manifest = _write(tmp_path, SMALL)
    first = run("--jobs", "1")
    assert first.exit_code == 0, first.output
    assert "3 rendered, 0 failed" in first.output
    assert "wrote out/sub/two.gif" in first.output
    out = tmp_path / "out"
    assert sorted(_inodes(out)) == ["one.gif", "sub/two.gif", "three.png"]
    with Image.open(out / "three.png") as im:  # APNG, chosen by the suffix
        assert im.n_frames == 4
    state = read_state(out)
    assert set(state) == {"one.gif", "sub/two.gif", "three.png"}

    before = _inodes(out)
    second = run("--jobs", "1")
    assert second.exit_code == 0, second.output
    assert second.output.strip().splitlines() == ["0 rendered, 3 up to date, 0 failed"]
    assert _inodes(out) == before

    manifest.write_text(
        SMALL.replace("input_size = 3\nkernel_size = 2", "input_size = 4\nkernel_size = 2"),
        encoding="utf-8",
    )
    third = run("--jobs", "1")
    assert third.exit_code == 0, third.output
    assert "1 rendered, 2 up to date, 0 failed" in third.output
    after = _inodes(out)
    assert [k for k in after if after[k] != before[k]] == ["one.gif"]
    with Image.open(out / "one.gif") as im:
        assert im.n_frames == 9  # 4x4 input, 2x2 kernel: 3x3 outputs


def test_check_exit_codes_and_force(run, tmp_path: Path) -> None:  # noqa: ANN001
    manifest = _write(tmp_path, SMALL)
    result = run("--check")
    assert result.exit_code == 1
    assert "missing: one (out/one.gif)" in result.output
    assert "3 out of date, 0 up to date" in result.output
    assert not (tmp_path / "out").exists()  # --check renders nothing

    assert run("--jobs", "1").exit_code == 0
    result = run("--check")
    assert result.exit_code == 0, result.output
    assert "0 out of date, 3 up to date" in result.output

    manifest.write_text(SMALL.replace('"conv:i3,k1"', '"conv:i3,k1,s2"'), encoding="utf-8")
    result = run("--check")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "stale: two (out/sub/two.gif)"
    assert "1 out of date, 2 up to date" in result.output

    (tmp_path / "out" / "one.gif").unlink()
    result = run("--check")
    assert result.exit_code == 1 and "missing: one" in result.output

    dry = run("--dry-run")
    assert dry.exit_code == 0
    assert "would render one -> out/one.gif (missing)" in dry.output
    assert "2 to render, 1 up to date (dry run)" in dry.output
    assert not (tmp_path / "out" / "one.gif").exists()

    assert "2 rendered, 1 up to date" in run("--jobs", "1").output
    forced = run("--jobs", "1", "--force")
    assert forced.exit_code == 0 and "3 rendered, 0 failed" in forced.output
    assert run("--check", "--force").exit_code == 2


def test_every_input_of_the_hash_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def digest(text: str) -> str:
        return figure_digest(load_manifest(_write(tmp_path, text)).figures[0])

    base = digest(SMALL)
    assert digest(SMALL.replace("delay = 0.1", "delay = 0.10")) == base
    assert digest(SMALL.replace("delay = 0.1", "delay = 0.2")) != base  # write options
    assert digest(SMALL.replace('"one.gif"', '"one.webp"')) != base  # format
    assert digest(SMALL.replace('"one"', '"uno"', 1)) != base  # the figure itself
    assert digest(SMALL.replace("[defaults]", '[defaults]\ntheme = "classic"')) == base
    monkeypatch.setattr("convanim.batch.runner.__version__", "99.0")  # convanim's version
    assert digest(SMALL) != base
    # "delay = 1" and "delay = 1.0" are the same input.
    assert digest(SMALL.replace("0.1", "1")) == digest(SMALL.replace("0.1", "1.0"))


def test_a_damaged_state_file_means_stale_not_a_crash(run, tmp_path: Path) -> None:  # noqa: ANN001
    _write(tmp_path, SMALL)
    assert run("--jobs", "1").exit_code == 0
    (tmp_path / "out" / STATE_NAME).write_text("{not json", encoding="utf-8")
    assert run("--check").exit_code == 1
    result = run("--jobs", "1")
    assert result.exit_code == 0 and "3 rendered" in result.output
    assert run("--check").exit_code == 0


# -- failures ------------------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failing_figure_does_not_stop_the_others(
    run,  # noqa: ANN001
    tmp_path: Path,
    jobs: str,
) -> None:
    _write(tmp_path, SMALL)
    # A folder where "one.gif" should go: the writer refuses it while rendering.
    (tmp_path / "out" / "one.gif").mkdir(parents=True)
    (tmp_path / "out" / "one.gif" / "keep.txt").write_text("mine")
    result = run("--jobs", jobs)
    assert result.exit_code == 1, result.output
    assert "error: one: output path is a directory, expected a file" in result.output
    assert "2 rendered, 1 failed" in result.output
    assert (tmp_path / "out" / "sub" / "two.gif").is_file()
    assert set(read_state(tmp_path / "out")) == {"sub/two.gif", "three.png"}

    shutil.rmtree(tmp_path / "out" / "one.gif")
    result = run("--jobs", jobs)
    assert result.exit_code == 0
    assert "1 rendered, 2 up to date, 0 failed" in result.output


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("[defaults]", "[defaults\n"), "convanim.toml: invalid TOML: "),
        (("kernel_size = 2", "kernel_size = 0"), "figure one: kernel_size: 0 is not allowed"),
        (("kernel_size = 2", "kernal_size = 2"), "figure one: kernal_size: unknown key; known"),
        (('"conv:i3,k1"', '"no_such_template"'), "figure two: template: unknown template"),
        (('name = "two"', 'name = "one"'), "figure one: name: given twice"),
        (('"sub/two.gif"', '"one.gif"'), "figure two: output: 'one.gif' is also the output"),
        (('"three.png"', '"three.jpg"'), "figure three: output: unknown suffix '.jpg'"),
        (("delay = 0.1", "delay = -1"), "defaults: delay: durations must be positive"),
        (("delay = 0.1", 'theme = "neon"'), "defaults: theme: 'neon' is not one of classic"),
        (("delay = 0.1", "colour = 1"), "defaults: colour: unknown key; known keys: output_dir"),
        (('output = "one.gif"', 'output = "one.gif"\nformat = "webp"'), "figure one: format:"),
        (("[[figures]]", "[[figure]]"), "convanim.toml: figure: unknown key; known keys"),
    ],
)
def test_manifest_errors_name_file_figure_and_key(
    run,  # noqa: ANN001
    tmp_path: Path,
    change: tuple[str, str],
    expected: str,
) -> None:
    _write(tmp_path, SMALL.replace(*change, 1))
    result = run()
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_toml_syntax_errors_give_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, SMALL.replace("input_size = 3", "input_size = = 3"))
    with pytest.raises(
        ManifestError, match=r"convanim\.toml: invalid TOML: .*\(at line 8, column 14\)"
    ):
        load_manifest(path)


def test_missing_manifest_is_a_usage_error(run, tmp_path: Path) -> None:  # noqa: ANN001
    result = run()
    assert result.exit_code == 2
    assert "convanim.toml: no such manifest" in result.output
    result = run("elsewhere.toml")
    assert result.exit_code == 2 and "elsewhere.toml: no such manifest" in result.output
    assert run("--jobs", "0").exit_code == 2


@pytest.mark.parametrize(
    "output",
    ["../escape.gif", "sub/../../escape.gif", "/tmp/escape.gif", "C:/escape.gif", "..\\escape.gif"],
)
def test_outputs_outside_the_output_directory_are_refused(
    run,  # noqa: ANN001
    tmp_path: Path,
    output: str,
) -> None:
    _write(tmp_path, SMALL.replace('"one.gif"', repr(output).replace("'", '"'), 1))
    result = run()
    assert result.exit_code == 2, result.output
    assert "figure one: output:" in result.output
    assert not (tmp_path / "escape.gif").exists() and not (tmp_path / "out").exists()


def test_symlinks_out_of_the_output_directory_are_refused(run, tmp_path: Path) -> None:  # noqa: ANN001
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "sub").symlink_to(elsewhere, target_is_directory=True)
    _write(tmp_path, SMALL)
    result = run()
    assert result.exit_code == 2, result.output
    assert "figure two: output: 'sub/two.gif' leads outside the output directory" in result.output
    (tmp_path / "out" / "sub").unlink()
    (tmp_path / "out" / "one.gif").symlink_to(elsewhere / "one.gif")
    result = run()
    assert result.exit_code == 2 and "figure one: output:" in result.output
    assert not any(elsewhere.iterdir())


# -- parallel, terminal, kill --------------------------------------------------------------------


def test_parallel_output_is_identical_to_one_process(tmp_path: Path) -> None:
    text = SMALL.replace('output_dir = "out"', 'output_dir = "out"\nhtml = true')
    text += '\n[[figures]]\nname = "cmp"\ntemplate = "compare_3x3_vs_1x1"\n'
    folders = []
    for jobs in ("1", "2"):
        folder = tmp_path / f"jobs{jobs}"
        folder.mkdir()
        _write(folder, text)
        result = CliRunner().invoke(main, ["batch", str(folder / "convanim.toml"), "-j", jobs])
        assert result.exit_code == 0, result.output
        assert "4 rendered, 0 failed" in result.output
        folders.append(folder / "out")
    files = sorted(p.relative_to(folders[0]) for p in folders[0].rglob("*") if p.is_file())
    assert len(files) == 6  # four figures (cmp.gif named after the figure), state, index
    for rel in files:
        assert (folders[0] / rel).read_bytes() == (folders[1] / rel).read_bytes(), rel


def test_a_terminal_gets_a_progress_bar(tmp_path: Path) -> None:
    _write(tmp_path, SMALL)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "convanim", "batch", "--jobs", "1"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "COLUMNS": "100"},
    )
    os.close(follower)
    chunks = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                data = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(leader)
    assert proc.wait(timeout=30) == 0
    text = b"".join(chunks).decode("utf-8", "replace")
    assert "rendering 3 figures" in text
    assert "3 rendered, 0 failed" in text
    assert "wrote out/one.gif" not in text  # the bar replaces the per-figure lines


KILL_V1 = """\
[defaults]
output_dir = "out"
delay = 0.01

[[figures]]
name = "quick"
op = "conv"
input_size = 3
kernel_size = 2
output = "quick.gif"

[[figures]]
name = "long"
op = "conv"
input_size = 3
kernel_size = 1
output = "long.gif"
"""


def test_a_killed_batch_leaves_old_figures_intact_and_the_next_run_completes(
    tmp_path: Path,
) -> None:
    manifest = _write(tmp_path, KILL_V1)
    result = CliRunner().invoke(main, ["batch", str(manifest), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    old = {name: (out / name).read_bytes() for name in ("quick.gif", "long.gif")}

    # Both figures change; "long" (14x14 = 196 frames) takes seconds, and is killed mid-way.
    manifest.write_text(
        KILL_V1.replace(
            "input_size = 3\nkernel_size = 2", "input_size = 4\nkernel_size = 2"
        ).replace("input_size = 3\nkernel_size = 1", "input_size = 14\nkernel_size = 1"),
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "convanim", "batch", "convanim.toml", "--jobs", "1"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        # The writer's hidden temporary appears when "long" starts: "quick" is done by then.
        while not list(out.glob(".long.gif.*.tmp")):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the long figure never started"
            time.sleep(0.02)
        time.sleep(0.2)
        assert proc.poll() is None, "the batch finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()

    visible = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert visible == ["long.gif", "quick.gif"]
    assert (out / "long.gif").read_bytes() == old["long.gif"]  # the previous figure, whole
    assert (out / "quick.gif").read_bytes() != old["quick.gif"]  # finished before the kill
    with Image.open(out / "quick.gif") as im:
        assert im.n_frames == 9
    assert "quick.gif" in read_state(out)

    result = CliRunner().invoke(main, ["batch", str(manifest), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "1 rendered, 1 up to date, 0 failed" in result.output  # "quick" was recorded
    with Image.open(out / "long.gif") as im:
        assert im.n_frames == 196
    assert sorted(p.name for p in out.iterdir()) == [STATE_NAME, "long.gif", "quick.gif"]
    assert all(p.status == "up to date" for p in plan(load_manifest(manifest)))


# -- the blog manifest and the template index ---------------------------------------------------


def test_the_blog_manifest_is_not_a_template_and_renders_incrementally(
    run,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    assert "blog" not in template_names()
    assert len(template_names()) == len(list(builtin_dir().glob("*.toml"))) - 1
    blog = load_manifest(builtin_dir() / "blog.toml")
    # The outputs stay beneath the manifest's folder, so a copied manifest writes beside itself.
    assert blog.output_dir == builtin_dir() / "output" / "blog"
    assert [f.name for f in blog.figures] == [
        "transposed_3x3",
        "transposed_1x1",
        "compare_3x3_vs_1x1",
        "strided_1x1",
        "numerical_max_pooling",
    ]

    # A copy in the working folder, as a user makes one: its outputs go beneath it.
    shutil.copy(builtin_dir() / "blog.toml", tmp_path / "blog.toml")
    copy = Path("blog.toml")  # as typed, relative to the working directory
    first = run(str(copy), "--jobs", "2")
    assert first.exit_code == 0, first.output
    assert "5 rendered, 0 failed" in first.output
    assert "wrote output/blog/index.html" in first.output
    second = run(str(copy))
    assert second.output.strip() == "0 rendered, 5 up to date, 0 failed"
    assert run(str(copy), "--check").exit_code == 0
    copy.write_text(copy.read_text().replace("stride = 2", "stride = 3"), encoding="utf-8")
    check = run(str(copy), "--check")
    assert check.exit_code == 1
    assert "stale: strided_1x1 (output/blog/strided_1x1.gif)" in check.output


def test_manifests_in_a_user_template_folder_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, SMALL, "my_blog.toml")
    _write(tmp_path, 'op = "conv"\ninput_size = 4\n# figures: none here\n', "mine.toml")
    monkeypatch.setenv("CONVANIM_TEMPLATES", str(tmp_path))
    names = template_names()
    assert "mine" in names and "my_blog" not in names
    result = CliRunner().invoke(main, ["templates"])
    assert result.exit_code == 0 and "my_blog" not in result.output


def test_a_theme_file_beside_the_manifest_is_used_and_hashed(run, tmp_path: Path) -> None:  # noqa: ANN001
    _write(tmp_path, 'base = "classic"\ninput = "#FF0000"\n', "red.toml")
    _write(
        tmp_path,
        '[defaults]\noutput_dir = "out"\ntheme = "red.toml"\n'
        '[[figures]]\nname = "a"\ntemplate = "strided_1x1"\noutput = "a.gif"\n',
    )
    result = run("convanim.toml")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "out" / "a.gif") as im:
        colours = {c for _, c in im.convert("RGB").getcolors(1 << 16)}
    assert (255, 0, 0) in colours and (38, 139, 210) not in colours
    _write(tmp_path, 'base = "classic"\ninput = "#00FF00"\n', "red.toml")
    assert "1 out of date" in run("convanim.toml", "--check").output  # the colours are hashed
    _write(tmp_path, '[defaults]\ntheme = "../x.toml"\n[[figures]]\ntemplate = "strided_1x1"\n')
    result = run("convanim.toml")
    assert result.exit_code == 2 and "outside the manifest's folder" in result.output
