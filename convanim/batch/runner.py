"""Batch regeneration of a manifest's figures: what is stale, rendering it, and the record of it.

Owns the incremental rule. Each figure's inputs — the resolved figure, its theme, its format and
write options, and convanim's version — are hashed (sha256 over canonical JSON); a figure is up
to date when its output exists and the state file (``<output_dir>/.convanim-state.json``, see
``convanim.batch.state``) records, for that output, this hash of the inputs *and* the hash of
the bytes now there. Stale figures are rendered through ``jobs.run_jobs`` (in parallel, outcomes
in manifest order) while the run holds the output folder's lock; each figure is recorded only
after its file is in place, and the state rewritten atomically after each, so an interrupted
run keeps what it completed and never claims what it did not. Outputs are written atomically by
the writers, so a killed run leaves the previous figure in place; the hidden temporaries such a
kill leaves behind are removed when that figure is rendered again.

Also owns the HTML index (``index.html``): every figure with its name and parameter caption.
The command line (``convanim.cli.batch``) only chooses options and prints.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from convanim import __version__
from convanim.batch.jobs import Job, Outcome, Report, run_jobs
from convanim.batch.state import (
    folder_lock,
    load_state,
    output_digest,
    read_state,
    write_state,
)
from convanim.catalog.manifest import INDEX_NAME, STATE_NAME, Manifest, ManifestFigure
from convanim.catalog.safe_read import read_regular
from convanim.catalog.templates import Resolved
from convanim.catalog.themes import load_theme
from convanim.errors import OutputError
from convanim.export.atomic import atomic_write_text, remove_stale_temporaries
from convanim.export.safe_path import confined_to, make_dirs
from convanim.model.spec import CompareSpec, FigureSpec

__all__ = [
    "BatchResult",
    "Planned",
    "caption",
    "figure_digest",
    "folder_lock",
    "index_html",
    "index_is_current",
    "plan",
    "read_state",
    "run_batch",
    "write_index",
]

# Why a figure is (not) rendered.
CURRENT = "up to date"
MISSING = "missing"
STALE = "stale"
FORCED = "forced"


@dataclass(frozen=True)
class Planned:
    """A figure, where it goes, the hash of its inputs, and whether it must be rendered."""

    figure: ManifestFigure
    path: Path
    digest: str
    status: str

    @property
    def todo(self) -> bool:
        return self.status != CURRENT


@dataclass
class BatchResult:
    planned: list[Planned]
    report: Report
    outcomes: list[Outcome] = field(default_factory=list)
    index: Path | None = None  # the index, when this run wrote it


# --------------------------------------------------------------------------------------------
# hashing and state


def figure_digest(figure: ManifestFigure) -> str:
    """sha256 of everything that decides a figure's bytes, except the code beyond its version."""
    target = figure.target
    payload = {
        "convanim": __version__,
        "kind": type(target).__name__,
        "target": dataclasses.asdict(target),
        # The theme's colours, not just its name: a retouched palette must re-render.
        "theme": dataclasses.asdict(load_theme(figure.theme)),
        "format": figure.format,
        "options": dataclasses.asdict(figure.options),
        "look": dataclasses.asdict(figure.look),
    }
    if figure.player is not None:  # only then: the hashes of figures without one stay as they were
        payload["player"] = str(figure.player)
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()


def plan(
    manifest: Manifest, force: bool = False, warn: Callable[[str], None] | None = None
) -> list[Planned]:
    """Every figure with its hash and status, in manifest order; nothing is written.

    ``warn`` hears, in one line, why a state file that exists could not be used.
    """
    state, problem = load_state(manifest.output_dir)
    if problem and warn:
        warn(f"{problem}; every figure counts as stale, and the next run rewrites it")
    out = []
    for figure in manifest.figures:
        path = manifest.destination(figure)
        digest = figure_digest(figure)
        recorded = state.get(str(figure.output), {})
        player = None if figure.player is None else manifest.output_dir / figure.player
        if not path.exists() or (player is not None and not player.exists()):
            status = MISSING
        elif (
            recorded.get("hash") != digest
            or recorded.get("file") != output_digest(path)
            or (player is not None and recorded.get("player") != output_digest(player))
        ):
            # Either other inputs, or not the bytes that were written from these inputs.
            status = STALE
        else:
            status = FORCED if force else CURRENT
        out.append(Planned(figure, path, digest, status))
    return out


# --------------------------------------------------------------------------------------------
# running


def run_batch(
    manifest: Manifest,
    *,
    processes: int = 1,
    force: bool = False,
    html: bool | None = None,
    planned: list[Planned] | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> BatchResult:
    """Render the stale figures, record them, and write the index if asked.

    ``html`` None means the manifest's choice; ``planned`` is ``plan(manifest, force)`` if the
    caller already made it (to size a progress bar) while holding ``folder_lock``. ``on_done``
    sees each rendered figure's outcome, in manifest order. A failing figure is an outcome like
    any other; the rest go on. Raises ``FolderBusy`` if another batch is writing the folder.
    """
    output_dir = manifest.output_dir
    # Every write of the run, here and in the workers, must land inside the output folder as it
    # was when the manifest was read, even if a folder below it becomes a link meanwhile.
    inside = (str(output_dir), str(manifest.output_root or output_dir.resolve()))
    with folder_lock(output_dir), confined_to(*inside):
        if planned is None:
            planned = plan(manifest, force)
        return _run_locked(manifest, processes, html, planned, on_done, inside)


def _run_locked(
    manifest: Manifest,
    processes: int,
    html: bool | None,
    planned: list[Planned],
    on_done: Callable[[Outcome], None] | None,
    inside: tuple[str, str],
) -> BatchResult:
    report = Report(unchanged=sum(not p.todo for p in planned))
    result = BatchResult(planned, report)
    todo = [p for p in planned if p.todo]
    output_dir = manifest.output_dir
    _remove_leftovers(output_dir, [STATE_NAME, INDEX_NAME])

    state, damaged = load_state(output_dir)
    wanted = {str(f.output) for f in manifest.figures}
    # Entries of outputs no longer in the manifest stay while their files do, so that two
    # manifests sharing a folder do not undo each other; the rest would only grow the file.
    state = {
        k: v for k, v in state.items() if k in wanted or output_dir.joinpath(*k.split("/")).exists()
    }
    if damaged:
        write_state(output_dir, state)  # healed now, even if every figure fails
    by_name = {p.figure.name: p for p in todo}

    jobs: list[Job] = []
    failed_early: list[Outcome] = []
    for item in todo:
        try:
            make_dirs(item.path.parent)  # never through a link: see safe_path
        except OutputError as exc:
            failed_early.append(Outcome(item.figure.name, item.path, error=str(exc)))
            continue
        player = None if item.figure.player is None else output_dir / item.figure.player
        _remove_leftovers(item.path.parent, [item.path.name, *([player.name] if player else [])])
        jobs.append(
            Job(
                item.figure.name,
                item.figure.target,
                item.path,
                item.figure.format,
                # Transparency is a look key in a manifest; the writer needs to know it too.
                {
                    **dataclasses.asdict(item.figure.options),
                    "transparent": item.figure.look.transparent,
                },
                item.figure.theme,
                look=item.figure.look,
                max_frames=manifest.defaults.max_frames,
                inside=inside,
                player=player,
            )
        )

    def done(outcome: Outcome) -> None:
        result.outcomes.append(outcome)
        report.add(outcome)
        if outcome.ok:
            item = by_name[outcome.name]
            # The bytes now in place (the writer renamed them in before answering): what a
            # later plan compares, so that this record cannot outlive them.
            written = output_digest(item.path)
            key = str(item.figure.output)
            if written is None:
                state.pop(key, None)
            else:
                state[key] = {"hash": item.digest, "name": item.figure.name, "file": written}
                if item.figure.player is not None:
                    state[key]["player"] = output_digest(output_dir / item.figure.player)
            # Recorded as each figure lands, so that a killed run keeps what it finished.
            write_state(output_dir, state)
        if on_done:
            on_done(outcome)

    for outcome in failed_early:
        done(outcome)
    run_jobs(jobs, processes, done)

    if manifest.defaults.html if html is None else html:
        result.index = write_index(manifest)
    return result


def _remove_leftovers(folder: Path, names: list[str]) -> None:
    """Delete the hidden temporaries an interrupted atomic write left for these names.

    ``convanim.export.atomic`` decides what is abandoned (no living writer holds its lock), so a
    second batch writing the same folder at the same time keeps its temporaries.
    """
    if not folder.is_dir():
        return
    for name in names:
        remove_stale_temporaries(folder, name)


# --------------------------------------------------------------------------------------------
# the HTML index


def caption(target: Resolved) -> list[str]:
    """The parameter lines under a figure, e.g. ``conv  i=5 k=1 s=2 p=0 → o=3``; one line per
    member of a comparison, or per stage of a sequence."""
    if isinstance(target, CompareSpec):
        return [
            f"{label}: {_layer_caption(member)}"
            for label, member in zip(target.labels, target.members)
        ]
    stages = getattr(target, "stages", None)  # a sequence, where this convanim has them
    if stages is not None:
        return [f"{number}: {_layer_caption(stage)}" for number, stage in enumerate(stages, 1)]
    return [_layer_caption(target)] if isinstance(target, FigureSpec) else []


def _layer_caption(figure: FigureSpec) -> str:
    from convanim.scene.words import parameter_line  # numpy: only when an index is made

    text = parameter_line(figure.layer)
    if figure.view != "arithmetic":
        text += f"  ({figure.view})"
    return text


_STYLE = """\
body { font-family: system-ui, sans-serif; margin: 2rem; color: #073642; background: #fdfdfd; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 1.5rem; }
figure { display: flex; flex-direction: column; margin: 0; padding: 1rem;
         border: 1px solid #ddd; border-radius: 6px; background: #fff; }
figure .media { flex: 1; display: flex; flex-direction: column; align-items: center;
                justify-content: center; gap: 0.5rem; }
figure img, figure video { display: block; max-width: 100%; height: auto; }
figcaption { margin-top: 0.75rem; font-size: 0.9rem; }
figcaption .file { color: #657b83; margin-left: 0.5rem; }
figcaption code { display: block; white-space: pre-wrap; margin-top: 0.25rem; }
figcaption p { margin: 0.25rem 0 0; color: #586e75; }"""


def index_html(manifest: Manifest) -> str:
    """The index page: deterministic, relative links only, every text escaped."""
    esc = html.escape
    title = manifest.defaults.title or manifest.path.stem
    figures = []
    for figure in manifest.figures:
        figures.append(_figure_html(figure))
    count = len(manifest.figures)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{esc(title)}</title>",
            f"<style>\n{_STYLE}\n</style>",
            "</head>",
            "<body>",
            f"<h1>{esc(title)}</h1>",
            f"<p>{count} figure{'s' if count != 1 else ''} from "
            f"<code>{esc(manifest.path.name)}</code>, made with convanim.</p>",
            "<main>",
            *figures,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _figure_html(figure: ManifestFigure) -> str:
    from convanim.scene.describe import alt_text  # numpy: only when an index is made

    esc = html.escape
    href = quote(str(figure.output))
    alt = esc(alt_text(figure.target))
    # The figure links to its player when it has one (an .html output is one).
    player = quote(str(figure.player)) if figure.player is not None else None
    link = esc(player or href)
    if figure.format == "mp4":
        media = (
            f'<video src="{esc(href)}" autoplay loop muted playsinline aria-label="{alt}"></video>'
        )
    elif figure.format == "html":
        media = f'<a class="player" href="{link}">open the interactive player</a>'
    elif figure.format == "pdf":
        media = f'<a href="{esc(href)}">PDF, one page per frame</a>'
    else:
        # A folder of frames shows its first frame.
        src = f"{href}/frame_0000.png" if figure.format == "frames" else href
        media = f'<a href="{link}"><img src="{esc(src)}" alt="{alt}"></a>'
    if player is not None:
        media += f'<a class="player" href="{link}">interactive player</a>'
    lines = "".join(f"<code>{esc(line)}</code>" for line in caption(figure.target))
    description = figure.target.description
    about = f"<p>{esc(description)}</p>" if description else ""
    return (
        f'<figure id="{esc(figure.name)}">\n<div class="media">{media}</div>\n'
        f"<figcaption><strong>{esc(figure.name)}</strong>"
        f'<span class="file">{esc(str(figure.output))}</span>{lines}{about}</figcaption>\n'
        "</figure>"
    )


def index_is_current(manifest: Manifest) -> bool:
    expected = index_html(manifest).encode("utf-8")
    try:
        # Bounded, and never blocking: a FIFO or a huge file there is simply not the index.
        return read_regular(manifest.output_dir / INDEX_NAME, len(expected)) == expected
    except (OSError, ValueError):
        return False


def write_index(manifest: Manifest) -> Path | None:
    """Write ``index.html`` if its content changed; return its path when written."""
    if index_is_current(manifest):
        return None  # touch only what changed
    manifest.output_dir.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(manifest.output_dir / INDEX_NAME, index_html(manifest))
