"""Batch and gallery when things go wrong: killed parents, killed workers, two runs, bad state.

The kill tests start the real command in a subprocess and kill it (SIGKILL runs no clean-up) or
interrupt it; figures of a few hundred frames keep a worker busy long enough to be caught at
work. Every wait is bounded, and polls rather than sleeps.
"""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import convanim.animation  # noqa: F401 - drawn once here, so forked workers start warm
from convanim.batch import jobs as jobs_module
from convanim.batch.jobs import Job, run_jobs
from convanim.batch.runner import read_state
from convanim.catalog.manifest import STATE_NAME
from convanim.catalog.templates import resolve
from convanim.cli.main import main
from convanim.model.spec import FigureSpec

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc; SIGKILL and flock are POSIX"
)

CONVANIM = [sys.executable, "-m", "convanim"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Relative paths, as typed: messages then name "out/...".
    monkeypatch.chdir(tmp_path)


WAIT = 60.0  # generous bound for a loaded machine; every loop below ends well before it


def _figure(name: str, spec: str, output: str) -> str:
    return f'[[figures]]\nname = "{name}"\ntemplate = "{spec}"\noutput = "{output}"\n\n'


def _manifest(folder: Path, figures: list[tuple[str, str]], name: str = "convanim.toml") -> Path:
    text = '[defaults]\noutput_dir = "out"\ndelay = 0.01\n\n'
    text += "".join(_figure(n, spec, f"{n}.gif") for n, spec in figures)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _until(
    condition: Callable[[], object], what: str, proc: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if proc is not None:
            assert proc.poll() is None, f"the command ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process on the machine."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while being looked at
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie runs nothing; reaping it is init's business


def _temporaries(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp")) + sorted(folder.glob(".*.old"))


# -- workers die with their parent ---------------------------------------------------------------

SLOW = "conv:i12,k1"  # 144 frames: a second or more of drawing
SLOW_FIGURES = [("slow_a", SLOW), ("slow_b", SLOW), ("slow_c", SLOW)]

# Runs the command with the kernel's parent-death signal turned off: the watcher alone.
_WATCHER_ONLY = (
    "import sys; import convanim.batch.workers as w; w._USE_PDEATHSIG = False; "
    "from convanim.cli.main import main; main(sys.argv[1:])"
)


@pytest.mark.parametrize(
    ("command", "mechanism"),
    [("batch", "pdeathsig"), ("batch", "watcher"), ("gallery", "pdeathsig")],
)
def test_sigkill_of_the_parent_leaves_no_worker_running(
    tmp_path: Path, command: str, mechanism: str
) -> None:
    if command == "batch":
        _manifest(tmp_path, SLOW_FIGURES)
        args = ["batch", "convanim.toml", "--jobs", "2"]
        env = dict(os.environ)
    else:
        templates = tmp_path / "templates"
        templates.mkdir()
        for name, _ in SLOW_FIGURES:
            (templates / f"{name}.toml").write_text(
                'op = "conv"\ninput_size = 12\nkernel_size = 1\n'
            )
        args = ["gallery", "--jobs", "2", "--out", "out", *(n for n, _ in SLOW_FIGURES)]
        env = {**os.environ, "CONVANIM_TEMPLATES": str(templates)}
    start = CONVANIM if mechanism == "pdeathsig" else [sys.executable, "-c", _WATCHER_ONLY]
    proc = subprocess.Popen(
        [*start, *args],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,  # as a caller's pipe: it must close when the parent dies
        stderr=subprocess.STDOUT,
    )
    workers: list[int] = []
    try:

        def two_workers() -> bool:
            workers[:] = _descendants(proc.pid)
            return len(workers) >= 2

        _until(two_workers, "two workers started", proc)
        proc.send_signal(signal.SIGKILL)
        # Returns only once every holder of the pipe, the workers included, has gone.
        proc.communicate(timeout=WAIT)
    finally:
        proc.kill()
        proc.wait(timeout=WAIT)
    assert proc.returncode == -signal.SIGKILL
    _until(lambda: not any(_alive(pid) for pid in workers), "the workers ended")
    # Stopped mid-figure, not left to finish: an orphan would have completed its figure.
    assert list((tmp_path / "out").glob("*.gif")) == []


# -- a dead worker is one failed figure -----------------------------------------------------------

needs_fork = pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="the replaced run_job reaches the workers only when they are forked",
)


@pytest.fixture
def warm() -> None:
    """One figure drawn here first, so that forked workers do not each pay matplotlib's
    first-figure cost (seconds on a loaded machine)."""
    CliRunner().invoke(main, ["render", "conv:i3,k2", "-o", "warm.gif"])


def _dies_on(*names: str) -> Callable[[Job], object]:
    real = jobs_module.run_job

    def run(job: Job) -> object:
        if job.name in names:
            os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer does
        return real(job)

    return run


@needs_fork
@pytest.mark.usefixtures("warm")
def test_a_killed_worker_is_one_failed_figure_and_the_rest_are_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures = [("one", "conv:i3,k2"), ("two", "conv:i3,k1"), ("three", "max_pool:i4,k2,s2")]
    manifest = _manifest(tmp_path, [*figures, ("four", "conv:i4,k3")])
    real = jobs_module.run_job
    monkeypatch.setattr(jobs_module, "run_job", _dies_on("two"))
    result = CliRunner().invoke(main, ["batch", manifest.name, "--jobs", "2"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "BrokenProcessPool" not in result.output
    assert result.output.splitlines() == [
        "wrote out/one.gif (4 frames)",
        "error: two: worker killed (signal 9)",
        "wrote out/three.gif (4 frames)",
        "wrote out/four.gif (4 frames)",
        "3 rendered, 1 failed",
    ]
    assert set(read_state(tmp_path / "out")) == {"one.gif", "three.gif", "four.gif"}

    monkeypatch.setattr(jobs_module, "run_job", real)
    again = CliRunner().invoke(main, ["batch", manifest.name, "--jobs", "2"])
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[-1] == "1 rendered, 3 up to date, 0 failed"


@needs_fork
@pytest.mark.usefixtures("warm")
def test_the_pool_is_restarted_when_every_worker_dies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both workers take one of the first two jobs, and both die: only new workers can do the rest.
    names = ["a", "b", "c", "d", "e"]
    (tmp_path / "out").mkdir()
    work = [
        Job(n, resolve("conv:i3,k2"), tmp_path / "out" / f"{n}.gif", options={"delay": 0.01})
        for n in names
    ]
    monkeypatch.setattr(jobs_module, "run_job", _dies_on("a", "b", "d"))
    seen: list[str] = []
    outcomes = run_jobs(work, 2, lambda o: seen.append(o.name))
    assert seen == names  # in job order, whatever order they finished in
    assert [o.error for o in outcomes] == [
        "worker killed (signal 9)",
        "worker killed (signal 9)",
        None,
        "worker killed (signal 9)",
        None,
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["c.gif", "e.gif"]


@needs_fork
@pytest.mark.usefixtures("warm")
def test_a_worker_that_exits_is_reported_with_its_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def leave(job: Job) -> object:
        os._exit(3)

    monkeypatch.setattr(jobs_module, "run_job", leave)
    work = [
        Job(n, FigureSpec.from_mapping({"op": "conv", "input_size": 3}), tmp_path / n) for n in "xy"
    ]
    outcomes = run_jobs(work, 2)
    assert [o.error for o in outcomes] == ["worker exited unexpectedly (exit code 3)"] * 2


# -- one batch at a time in a folder --------------------------------------------------------------


def test_a_second_batch_into_a_busy_folder_is_refused_in_one_line(tmp_path: Path) -> None:
    first = _manifest(tmp_path, [("slow_a", SLOW), ("quick", "conv:i3,k2")])
    # Another manifest sharing the folder and an output, with other inputs for it.
    second = _manifest(tmp_path, [("quick", "conv:i4,k2")], "other.toml")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*CONVANIM, "batch", first.name, "--jobs", "1"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _until(lambda: list(out.glob(".slow_a.gif.*.tmp")), "the first batch was rendering", proc)
        refused = CliRunner().invoke(main, ["batch", second.name])
        still_running = proc.poll() is None
        output, _ = proc.communicate(timeout=WAIT)
    finally:
        proc.kill()
        proc.wait(timeout=WAIT)
    assert proc.returncode == 0, output
    assert still_running, "the first batch ended before the second was tried"
    assert refused.exit_code == 1
    assert refused.output == (
        "Error: out: another convanim batch is writing this folder; "
        "run again when it has finished\n"
    )
    assert CliRunner().invoke(main, ["batch", first.name, "--check"]).exit_code == 0
    # Now the second runs, and the first's record of the shared output is no longer claimed.
    assert CliRunner().invoke(main, ["batch", second.name]).exit_code == 0
    check = CliRunner().invoke(main, ["batch", first.name, "--check"])
    assert check.exit_code == 1 and "stale: quick (out/quick.gif)" in check.output


def test_a_lock_held_elsewhere_refuses_and_a_released_one_does_not(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, [("quick", "conv:i3,k2")])
    (tmp_path / "out").mkdir()
    holder = os.open(tmp_path / "out", os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        result = CliRunner().invoke(main, ["batch", manifest.name])
        assert result.exit_code == 1
        assert "Error: out: another convanim batch is writing this folder" in result.output
        assert not any((tmp_path / "out").iterdir())
    finally:
        os.close(holder)  # as a killed holder's lock goes
    result = CliRunner().invoke(main, ["batch", manifest.name])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [STATE_NAME, "quick.gif"]


def test_a_nested_batch_overwriting_an_output_makes_it_stale(tmp_path: Path) -> None:
    outer = tmp_path / "convanim.toml"
    outer.write_text(
        '[defaults]\noutput_dir = "out"\n' + _figure("x", "conv:i3,k2", "sub/x.gif"),
        encoding="utf-8",
    )
    inner = tmp_path / "inner.toml"
    inner.write_text(
        '[defaults]\noutput_dir = "out/sub"\n' + _figure("x", "conv:i4,k2", "x.gif"),
        encoding="utf-8",
    )
    assert CliRunner().invoke(main, ["batch", outer.name]).exit_code == 0
    # Another folder, another lock and state: but the outer state must not go on claiming x.
    assert CliRunner().invoke(main, ["batch", inner.name]).exit_code == 0
    check = CliRunner().invoke(main, ["batch", outer.name, "--check"])
    assert check.exit_code == 1, check.output
    assert "stale: x (out/sub/x.gif)" in check.output


# -- interrupted runs: --check stays truthful, the next run repairs ------------------------------

V1 = [("slow", "conv:i3,k1"), ("quick", "conv:i3,k2")]
V2 = [("slow", SLOW), ("quick", "conv:i4,k2")]


def _check(manifest: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["batch", manifest.name, "--check"])
    return result.exit_code, result.output


def test_sigkill_mid_batch_never_leaves_a_record_the_files_contradict(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, V1)
    assert CliRunner().invoke(main, ["batch", manifest.name, "--jobs", "1"]).exit_code == 0
    out = tmp_path / "out"
    before = (out / "quick.gif").stat().st_ino

    _manifest(tmp_path, V2)
    proc = subprocess.Popen(
        [*CONVANIM, "batch", "convanim.toml", "--jobs", "2"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # "quick" lands first, but is reported (and recorded) in manifest order, after "slow":
        # killed now, its new file is in place while the state still holds its old inputs.
        _until(lambda: (out / "quick.gif").stat().st_ino != before, "quick was written", proc)
        assert proc.poll() is None, "the batch finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=WAIT)
    finally:
        proc.kill()
        proc.wait(timeout=WAIT)
        if proc.stderr:
            proc.stderr.close()

    code, output = _check(manifest)
    assert code == 1
    assert "2 out of date, 0 up to date" in output
    # Back to the old inputs: "slow" is truly current, "quick" is not (its bytes are new ones,
    # though the state records the old inputs for it).
    _manifest(tmp_path, V1)
    code, output = _check(manifest)
    assert code == 1
    assert output.splitlines() == ["stale: quick (out/quick.gif)", "1 out of date, 1 up to date"]

    _manifest(tmp_path, V2)
    repair = CliRunner().invoke(main, ["batch", manifest.name, "--jobs", "2"])
    assert repair.exit_code == 0, repair.output
    assert repair.output.splitlines()[-1] == "2 rendered, 0 failed", repair.output
    assert _check(manifest)[0] == 0
    assert sorted(p.name for p in out.iterdir()) == [STATE_NAME, "quick.gif", "slow.gif"]


def test_ctrl_c_mid_batch_stops_the_workers_cleanly_and_check_is_truthful(tmp_path: Path) -> None:
    # The slow ones first: each worker starts on one of them.
    manifest = _manifest(tmp_path, [*SLOW_FIGURES[:2], ("quick", "conv:i3,k2")])
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*CONVANIM, "batch", "convanim.toml", "--jobs", "2"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    workers: list[int] = []
    try:

        def rendering() -> bool:
            workers[:] = _descendants(proc.pid)
            return len(list(out.glob(".slow_*.gif.*.tmp"))) >= 2

        _until(rendering, "two slow figures were being written", proc)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends: to every process of the group
        output, _ = proc.communicate(timeout=WAIT)
    finally:
        proc.kill()
        proc.wait(timeout=WAIT)
    assert proc.returncode == 1, output
    assert "Traceback" not in output
    assert output.splitlines()[-1] == "Aborted!"
    _until(lambda: not any(_alive(pid) for pid in workers), "the workers ended")
    assert _temporaries(out) == []  # interrupted writes removed their temporaries

    code, output = _check(manifest)
    assert code == 1
    recorded = set(read_state(out))
    for name in ("quick", "slow_a", "slow_b"):
        # A figure is recorded if and only if its file was written (none existed before).
        assert (f"{name}.gif" in recorded) == (out / f"{name}.gif").exists()
    assert f"{3 - len(recorded)} out of date, {len(recorded)} up to date" in output
    repair = CliRunner().invoke(main, ["batch", manifest.name, "--jobs", "2"])
    assert repair.exit_code == 0, repair.output
    assert _check(manifest)[0] == 0


# -- a damaged state file ------------------------------------------------------------------------


def _damage(kind: str, path: Path) -> None:
    good = path.read_text(encoding="utf-8")
    if kind == "not json":
        path.write_text("{not json", encoding="utf-8")
    elif kind == "truncated":
        path.write_text(good[: len(good) // 2], encoding="utf-8")
    elif kind == "a list":
        path.write_text("[]", encoding="utf-8")
    elif kind == "figures a list":
        path.write_text('{"version": 2, "figures": []}', encoding="utf-8")
    elif kind == "hash a number":
        data = json.loads(good)
        data["figures"]["one.gif"]["hash"] = 5
        path.write_text(json.dumps(data), encoding="utf-8")
    elif kind == "deeply nested":
        path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    elif kind == "not utf-8":
        path.write_bytes(b'{"version": 2, "figures": {"\xff": 1}}')
    elif kind == "too large":
        with open(path, "r+b") as fh:
            fh.truncate(33 * 1024 * 1024)  # sparse: costs no disk
    elif kind == "a FIFO":
        path.unlink()
        os.mkfifo(path)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("not json", "not valid JSON"),
        ("truncated", "not valid JSON"),
        ("a list", "expected a JSON object, found list"),
        ("figures a list", "'figures' is not an object"),
        ("hash a number", "the entry of 'one.gif' is not an object of strings"),
        ("deeply nested", "nested too deeply to be a state file"),
        ("not utf-8", "not valid JSON"),
        ("too large", "larger than 32 MiB"),
        ("a FIFO", "not a regular file"),
    ],
)
def test_a_damaged_state_file_is_one_warning_and_heals(
    tmp_path: Path, kind: str, reason: str
) -> None:
    manifest = _manifest(tmp_path, [("one", "conv:i3,k2")])
    runner = CliRunner()
    assert runner.invoke(main, ["batch", manifest.name]).exit_code == 0
    state = tmp_path / "out" / STATE_NAME
    _damage(kind, state)

    check = runner.invoke(main, ["batch", manifest.name, "--check"])
    assert check.exit_code == 1, check.output
    (warning,) = check.stderr.splitlines()
    assert warning.startswith(f"warning: out/{STATE_NAME}: {reason}")
    assert warning.endswith("; every figure counts as stale, and the next run rewrites it")
    assert check.stdout.splitlines() == ["stale: one (out/one.gif)", "1 out of date, 0 up to date"]
    if kind == "a FIFO":
        return  # replacing a FIFO is the writers' decision, not the state's
    result = runner.invoke(main, ["batch", manifest.name])
    assert result.exit_code == 0, result.output
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout.splitlines()[-1] == "1 rendered, 0 failed"
    assert set(read_state(tmp_path / "out")) == {"one.gif"}
    healed = runner.invoke(main, ["batch", manifest.name, "--check"])
    assert healed.exit_code == 0 and healed.stderr == ""


def test_an_index_that_is_a_fifo_is_stale_not_a_hang(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, [("one", "conv:i3,k2")])
    assert CliRunner().invoke(main, ["batch", manifest.name, "--html"]).exit_code == 0
    index = tmp_path / "out" / "index.html"
    index.unlink()
    os.mkfifo(index)
    check = CliRunner().invoke(main, ["batch", manifest.name, "--check", "--html"])
    assert check.exit_code == 1
    assert check.output.splitlines() == [
        "stale: index.html (out/index.html)",
        "0 out of date, 1 up to date",
    ]


def test_an_exit_swallowed_by_a_callback_is_delivered_again_without_a_traceback() -> None:
    """SIGTERM's exit raised inside a weakref callback is an "unraisable" exception: Python
    would print its traceback and carry on. A worker prints nothing and exits all the same."""
    code = (
        "import signal, sys, time, weakref\n"
        "from convanim.batch import workers\n"
        "signal.signal(signal.SIGTERM, workers._exit_on_term)\n"
        "sys.unraisablehook = workers._exit_again\n"
        "class T: pass\n"
        "def callback(ref):\n"
        "    workers._exit_on_term(signal.SIGTERM, None)\n"
        "t = T(); r = weakref.ref(t, callback); del t\n"
        "for _ in range(300): time.sleep(0.01)\n"
        "print('still running')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=WAIT
    )
    assert done.returncode == 128 + signal.SIGTERM, done
    assert "Traceback" not in done.stderr and "still running" not in done.stdout
