"""Writes that never destroy or escape, and two writers of one folder at once.

An output must be a regular file (a folder for frames) or not exist: a device, a FIFO, a socket
or a symbolic link in its place is refused in one line and left as it was. Every write is made
relative to its folder's descriptor (``convanim.export.safe_path``), so a folder below a manifest's
``output_dir`` swapped for a link to elsewhere while a batch runs is refused at the moment of the
write, and nothing lands outside. Frames are tiny synthetic arrays; the command line runs in
this process through click's CliRunner.
"""

from __future__ import annotations

import os
import socket
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from convanim.batch.runner import plan, run_batch
from convanim.catalog.manifest import load_manifest
from convanim.cli.main import main
from convanim.errors import OutputError
from convanim.export import atomic
from convanim.export.atomic import atomic_dir, atomic_file
from convanim.export.safe_path import confined_to, make_dirs
from convanim.export.writers import write

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="dir_fd and O_NOFOLLOW are POSIX")


def frames(n: int, value: int = 0) -> list[np.ndarray]:
    out = []
    for i in range(n):
        frame = np.full((8, 8, 3), value, np.uint8)
        frame[i % 8, :, 0] = 255
        out.append(frame)
    return out


def everything(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


# -- never destroy: what may stand where an output goes ---------------------------------------


@pytest.fixture
def special(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """A FIFO, a socket, a character device (where mknod is allowed) and two links."""
    made = {"fifo": tmp_path / "fifo.gif"}
    os.mkfifo(made["fifo"])
    # AF_UNIX paths are short (108 bytes): the socket lives in a short folder of its own.
    short = Path(tempfile.mkdtemp(prefix="cv", dir="/tmp"))
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(short / "s.gif"))
    made["socket"] = short / "s.gif"
    try:
        os.mknod(tmp_path / "null.gif", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        made["device"] = tmp_path / "null.gif"
    except (PermissionError, OSError):
        pass  # no CAP_MKNOD here: the device case is skipped, the others still run
    (tmp_path / "target.gif").write_bytes(b"keep me")
    (tmp_path / "link.gif").symlink_to("target.gif")
    made["link"] = tmp_path / "link.gif"
    (tmp_path / "real_frames").mkdir()
    (tmp_path / "link_frames").symlink_to("real_frames")
    made["folder link"] = tmp_path / "link_frames"
    try:
        yield made
    finally:
        sock.close()
        for entry in short.iterdir():
            entry.unlink()
        short.rmdir()


def _kinds(paths: dict[str, Path]) -> dict[str, int]:
    return {name: stat.S_IFMT(os.lstat(path).st_mode) for name, path in paths.items()}


def test_special_files_and_links_are_refused_as_outputs_and_left_alone(
    special: dict[str, Path], tmp_path: Path
) -> None:
    before = _kinds(special)
    expected = {
        "fifo": "is a FIFO (named pipe)",
        "socket": "is a socket",
        "device": "is a character device",
        "link": "is a symbolic link (to target.gif)",
    }
    for name, path in special.items():
        if name == "folder link":
            continue
        code, output = cli("render", "conv:i3,k1", "-o", str(path))
        assert code == 1, output
        assert output.count("\n") == 1 and expected[name] in output and str(path) in output
        # The library refuses it too (the CLI's early check is not the only guard).
        with pytest.raises(OutputError) as info:
            write(path, frames(2))
        assert expected[name] in str(info.value)
    code, output = cli("render", "conv:i3,k1", "--frames", str(special["folder link"]))
    assert code == 1 and "is a symbolic link (to real_frames)" in output
    with pytest.raises(OutputError, match="is a symbolic link"):
        write(special["folder link"], frames(2), format="frames")
    assert _kinds(special) == before
    assert (tmp_path / "target.gif").read_bytes() == b"keep me"
    assert list((tmp_path / "real_frames").iterdir()) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries


def test_a_fifo_that_appears_while_frames_are_drawn_is_not_replaced(tmp_path: Path) -> None:
    dest = tmp_path / "late.gif"

    def drawn() -> Iterator[np.ndarray]:
        yield from frames(2)
        os.mkfifo(dest)  # after the early checks, before the rename

    with pytest.raises(OutputError, match="is a FIFO"):
        write(dest, drawn())
    assert stat.S_ISFIFO(os.lstat(dest).st_mode)
    assert everything(tmp_path) == ["late.gif"]


# -- never escape: a folder swapped for a link ------------------------------------------------

MANIFEST = """\
[defaults]
output_dir = "out"
delay = 0.1

[[figures]]
name = "deep"
template = "conv:i3,k2"
output = "sub/deep.gif"

[[figures]]
name = "frames"
template = "conv:i3,k2"
output = "sub/frames"
"""


@pytest.mark.parametrize("writer", ["gif", "frames"])
def test_a_folder_swapped_for_a_link_during_a_batch_writes_nothing_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (project / "convanim.toml").write_text(MANIFEST)
    (project / "out" / "sub").mkdir(parents=True)
    manifest = load_manifest(project / "convanim.toml")  # every check at load time passes
    planned = plan(manifest)
    # Animations go to GIF as index frames (gif_indexed.open_indexed), to folders as RGB.
    opener = "open_indexed" if writer == "gif" else "open_frames"
    module_name = "gif_indexed" if writer == "gif" else writer
    module = __import__(f"convanim.export.writers.{module_name}", fromlist=[opener])
    real_open_frames = getattr(module, opener)

    def swap_then_open(*args: object, **kwargs: object) -> object:
        # Right before the writer opens its destination: out/sub becomes a link to outside.
        sub = project / "out" / "sub"
        if not sub.is_symlink():
            sub.rename(project / "out" / "sub_moved")
            sub.symlink_to(outside)
        return real_open_frames(*args, **kwargs)

    monkeypatch.setattr(module, opener, swap_then_open)
    result = run_batch(manifest, processes=1, planned=planned)
    assert everything(outside) == []
    wanted = "deep" if writer == "gif" else "frames"
    outcome = next(o for o in result.outcomes if o.name == wanted)
    assert outcome.error is not None and "is a symbolic link" in outcome.error
    assert "\n" not in outcome.error and "never go through a link" in outcome.error


def test_folders_are_never_made_through_a_link_inside_a_confinement(tmp_path: Path) -> None:
    root, outside = tmp_path / "out", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "sub").symlink_to(outside)
    with confined_to(root):
        with pytest.raises(OutputError, match="is a symbolic link"):
            make_dirs(root / "sub" / "deeper")
        with pytest.raises(OutputError, match="lies outside the output folder"):
            write(tmp_path / "x.gif", frames(1))
        make_dirs(root / "a" / "b")
    assert (root / "a" / "b").is_dir() and everything(outside) == []


def test_a_folder_renamed_mid_write_takes_the_file_with_it(tmp_path: Path) -> None:
    # The write is bound to the folder it opened, not to its name: swapping the name for a link
    # mid-write cannot send the file through the link.
    folder, outside = tmp_path / "f", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    with atomic_file(folder / "a.txt") as out:
        out.write(b"one")
        folder.rename(tmp_path / "moved")
        folder.symlink_to(outside)
    assert (tmp_path / "moved" / "a.txt").read_bytes() == b"one"
    assert everything(outside) == []


# -- two writers of one frames folder ----------------------------------------------------------


def test_two_writers_of_one_frames_folder_leave_the_later_one_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "frames"
    real_rename = os.rename
    raced: list[bool] = []

    def racing_rename(src: object, dst: object, **kwargs: object) -> None:
        # The other writer finishes exactly between this one's checks and its rename: the name
        # it needs is now a non-empty folder (rename fails with ENOTEMPTY unless retried).
        if not raced and str(src).endswith(".tmp") and dst == "frames":
            raced.append(True)
            write(dest, frames(3, value=50), format="frames")
        real_rename(src, dst, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "rename", racing_rename)
    result = write(dest, frames(5, value=200), format="frames")
    assert raced and result.n_frames == 5
    assert everything(tmp_path) == ["frames", *(f"frames/frame_{i:04d}.png" for i in range(5))]


def test_a_folder_holding_other_files_is_still_never_replaced_by_a_racing_write(
    tmp_path: Path,
) -> None:
    dest = tmp_path / "frames"
    refused = pytest.raises(OutputError, match="holds files convanim did not write")
    with refused, atomic_dir(dest) as tmp:
        (tmp / "frame_0000.png").write_bytes(b"png")
        dest.mkdir()
        (dest / "notes.txt").write_text("mine")
    assert everything(tmp_path) == ["frames", "frames/notes.txt"]
