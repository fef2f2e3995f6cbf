"""Batch manifests: a TOML file of defaults and figures, loaded into frozen, validated data.

Owns what a manifest may say and how it is checked; ``convanim.batch.runner`` owns what is done with
it. Every figure goes through the same path as a template or a flag: a ``template`` (a template
name or a spec string) is resolved with ``templates.resolve`` and the figure's other spec fields
as overrides, or the fields alone go through ``templates.figure_from_mapping`` — so a manifest
accepts exactly what ``LayerSpec.from_mapping`` accepts, with the same messages.

Errors raise ``ManifestError`` as one line, ``FILE: figure NAME: KEY: reason`` (TOML syntax errors
with their line and column). Output paths are checked here too: relative, inside the output
directory even after symlinks are followed, one figure per path. Standard library only (plus
convanim's light modules), so loading a manifest costs no numpy.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from convanim.catalog.manifest_outputs import (
    INDEX_NAME,
    STATE_NAME,
    Outputs,
    check_inside,
    output_path,
    reject_control,
)
from convanim.catalog.templates import Resolved, figure_from_mapping, read_toml, resolve
from convanim.catalog.themes import load_theme
from convanim.errors import ConvanimError, ManifestError, SpecError, TemplateError
from convanim.export.writers import WriteOptions, writers
from convanim.model import spec as _spec
from convanim.model.look import Look
from convanim.model.spec import FIGURE_KEYS, CompareSpec, LayerSpec
from convanim.model.themes import THEMES
from convanim.scene.budget import DEFAULT_MAX_FRAMES

__all__ = [
    "DEFAULT_MANIFEST",
    "INDEX_NAME",
    "STATE_NAME",
    "Defaults",
    "Manifest",
    "ManifestFigure",
    "load_manifest",
]

DEFAULT_MANIFEST = "convanim.toml"

_TOP_KEYS = ("defaults", "figures")
# WriteOptions fields a manifest may set; MP4's ``fps`` is left out on purpose: it would read
# as "1 / delay" to anyone used to the CLI. (``transparent`` is a look key, below.)
_TIMING_KEYS = ("delay", "loop", "hold_first", "hold_last")
# Keys that may be set in [defaults] and overridden per figure.
# Look fields a manifest may set, as on the command line (convanim.model.look.Look).
_LOOK_KEYS = (
    "transparent", "scale", "width", "font_scale", "labels", "formula", "sums", "sync", "crisp",
)  # fmt: skip
# ``player``: also write an HTML player beside the figure (NAME.html), linked from the index.
_SHARED_KEYS = ("theme", "format", "player", *_TIMING_KEYS, *_LOOK_KEYS)
_DEFAULT_KEYS = ("output_dir", "html", "title", "max_frames", *_SHARED_KEYS)
# Keys a figure table has besides spec fields.
_FIGURE_OWN_KEYS = ("name", "template", "output", *_SHARED_KEYS)
# Template keys that make a figure a composite (a comparison, or a sequence where supported).
_COMPOSITE_KEYS = ("compare", "labels", *(("sequence",) if hasattr(_spec, "SequenceSpec") else ()))


@dataclass(frozen=True)
class Defaults:
    """What applies to every figure unless the figure says otherwise."""

    output_dir: Path  # already joined to the manifest's folder
    theme: str = "classic"
    format: str | None = None
    options: WriteOptions = WriteOptions()
    html: bool = False
    title: str = ""
    max_frames: int = DEFAULT_MAX_FRAMES  # checked per figure before it is drawn
    look: tuple[tuple[str, Any], ...] = ()  # look fields every figure gets unless it says
    player: bool = False  # every figure also gets an HTML player beside it


@dataclass(frozen=True)
class ManifestFigure:
    """One figure of a manifest, resolved: what to draw, where, and how to write it."""

    name: str
    target: Resolved  # a figure, a comparison (or a sequence): what templates.resolve returns
    output: PurePosixPath  # normalised, relative to the output directory
    format: str  # a writer name, settled at load time so that it can be hashed
    theme: str
    options: WriteOptions
    look: Look = Look()  # its theme is ``theme``
    player: PurePosixPath | None = None  # its HTML player beside the output, when asked


@dataclass(frozen=True)
class Manifest:
    path: Path
    defaults: Defaults
    figures: tuple[ManifestFigure, ...]
    # The output folder's real path when the manifest was read: writes are held inside it.
    output_root: Path | None = None

    @property
    def output_dir(self) -> Path:
        return self.defaults.output_dir

    def destination(self, figure: ManifestFigure) -> Path:
        return self.output_dir.joinpath(*figure.output.parts)


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read and validate a manifest; raise ``ManifestError`` naming the file, figure and key."""
    path = Path(path)
    if path.is_dir():
        raise ManifestError(f"{path}: is a folder; give a manifest file such as {DEFAULT_MANIFEST}")
    if not path.exists():
        raise ManifestError(f"{path}: no such manifest")
    try:
        data = read_toml(path)
    except TemplateError as exc:  # its message already names the file, line and column
        raise ManifestError(str(exc)) from None
    where = str(path)
    _reject_nul(where, data)
    for key in data:
        if key not in _TOP_KEYS:
            raise ManifestError(f"{where}: {key}: unknown key; known keys: {', '.join(_TOP_KEYS)}")
    defaults = _defaults(where, path, data.get("defaults", {}))
    raw_figures = data.get("figures")
    if raw_figures is None:
        raise ManifestError(f"{where}: figures: missing; add one [[figures]] table per figure")
    if not isinstance(raw_figures, list) or not all(isinstance(f, dict) for f in raw_figures):
        raise ManifestError(f"{where}: figures: must be an array of tables ([[figures]])")
    if not raw_figures:
        raise ManifestError(f"{where}: figures: is empty; add at least one [[figures]] table")

    figures: list[ManifestFigure] = []
    names: dict[str, tuple[int, str]] = {}  # casefolded name -> (number, name)
    clashes = Outputs(where)
    for number, raw in enumerate(raw_figures, start=1):
        figure = _figure(where, defaults, raw, number)
        if figure.name.casefold() in names:
            first, other = names[figure.name.casefold()]
            how = "given twice" if other == figure.name else f"differs from {other!r} only in case"
            raise ManifestError(
                f"{where}: figure {figure.name}: name: {how} (figures {first} and {number}); "
                "names must be unique, ignoring case, as file names are on macOS and Windows"
            )
        clashes.add(figure)
        if figure.player is not None:
            clashes.add(dataclasses.replace(figure, output=figure.player, format="html"))
        names[figure.name.casefold()] = (number, figure.name)
        figures.append(figure)
    root = Path(os.path.realpath(defaults.output_dir))
    return Manifest(path=path, defaults=defaults, figures=tuple(figures), output_root=root)


def _reject_nul(where: str, value: Any, at: str = "") -> None:
    """TOML may spell a NUL (``"\\u0000"``), but no file name can hold one: the OS would
    refuse it with a ValueError deep inside pathlib. Refused here, naming the key."""
    if isinstance(value, str) and "\x00" in value:
        raise ManifestError(f"{where}: {at}: contains a NUL character (\\u0000); not allowed")
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{at}.{key}" if at else str(key)
            if "\x00" in str(key):
                raise ManifestError(f"{where}: {here!r}: a key contains a NUL character")
            _reject_nul(where, item, here)
    elif isinstance(value, list):
        for number, item in enumerate(value, 1):
            _reject_nul(where, item, f"{at}[{number}]")


# --------------------------------------------------------------------------------------------
# defaults


def _defaults(where: str, path: Path, raw: Any) -> Defaults:
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: defaults: must be a table ([defaults])")
    table = _normalised_keys(where, "defaults", raw, _DEFAULT_KEYS)
    prefix = f"{where}: defaults"
    output_dir = table.get("output_dir", "output")
    if not isinstance(output_dir, str) or not output_dir.strip():
        raise ManifestError(f"{prefix}: output_dir: must be a non-empty string (a folder)")
    reject_control(f"{prefix}: output_dir", output_dir)
    # Relative to the manifest, not the working directory, so that the same command works from
    # anywhere; normpath only so that messages read "output/blog", not "templates/../output/blog".
    folder = Path(os.path.normpath(path.parent / Path(output_dir).expanduser()))
    html = table.get("html", False)
    if not isinstance(html, bool):
        raise ManifestError(f"{prefix}: html: {html!r} is not allowed; must be true or false")
    title = table.get("title", path.stem)
    if not isinstance(title, str):
        raise ManifestError(f"{prefix}: title: {title!r} is not allowed; must be a string")
    max_frames = table.get("max_frames", DEFAULT_MAX_FRAMES)
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1:
        raise ManifestError(
            f"{prefix}: max_frames: {max_frames!r} is not allowed; must be a whole number >= 1"
        )
    theme = _theme(prefix, table.get("theme", "classic"), path.parent)
    fmt = _format_name(prefix, table["format"]) if "format" in table else None
    options = _write_options(prefix, {k: table[k] for k in _TIMING_KEYS if k in table})
    look = {k: table[k] for k in _LOOK_KEYS if k in table}
    _look(prefix, theme, look)  # a mistake is named once, in [defaults], not per figure
    player = _flag(prefix, "player", table.get("player", False))
    return Defaults(
        output_dir=folder,
        theme=theme,
        format=fmt,
        options=options,
        html=html,
        title=title,
        max_frames=max_frames,
        look=tuple(look.items()),
        player=player,
    )


def _flag(prefix: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ManifestError(f"{prefix}: {key}: {value!r} is not allowed; must be true or false")
    return value


def _normalised_keys(
    where: str, what: str, raw: Mapping[str, Any], known: tuple[str, ...]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for raw_key, value in raw.items():
        key = raw_key.strip().lower().replace("-", "_")
        if key not in known:
            raise ManifestError(
                f"{where}: {what}: {raw_key}: unknown key; known keys: {', '.join(known)}"
            )
        out[key] = value
    return out


def _theme(prefix: str, value: Any, folder: Path) -> str:
    """A built-in theme's name, or a theme file beside the manifest (as an absolute path)."""
    if isinstance(value, str) and value.strip().lower() in THEMES:
        return value.strip().lower()
    if not isinstance(value, str) or not value.strip().endswith(".toml"):
        raise ManifestError(
            f"{prefix}: theme: {value!r} is not one of {', '.join(THEMES)} or a .toml theme file"
        )
    theme_path = (folder / value.strip()).resolve()
    if not theme_path.is_relative_to(folder.resolve()):
        raise ManifestError(
            f"{prefix}: theme: {value!r} is outside the manifest's folder; theme files must "
            "live beside the manifest"
        )
    try:
        load_theme(theme_path)
    except ConvanimError as exc:
        raise ManifestError(f"{prefix}: theme: {exc}") from None
    return str(theme_path)


def _format_name(prefix: str, value: Any) -> str:
    names = [w.name for w in writers()]
    wanted = value.strip().lower().lstrip(".") if isinstance(value, str) else None
    if wanted not in names:
        raise ManifestError(f"{prefix}: format: {value!r} is not one of {', '.join(names)}")
    return wanted  # type: ignore[return-value]


def _write_options(
    prefix: str, given: Mapping[str, Any], base: WriteOptions | None = None
) -> WriteOptions:
    # Seconds become floats, so that `delay = 1` and `delay = 1.0` hash alike.
    values: dict[str, Any] = {}
    for key, value in given.items():
        if key in ("delay", "hold_first", "hold_last"):
            if isinstance(value, list) and key == "delay":
                value = tuple(_seconds(v) for v in value)
            else:
                value = _seconds(value)
        values[key] = value
    try:
        if base is not None:
            return dataclasses.replace(base, **values)
        return WriteOptions(**values)
    except SpecError as exc:
        raise ManifestError(f"{prefix}: {exc}") from None


def _seconds(value: Any) -> Any:
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return value  # WriteOptions says what is wrong with it


# --------------------------------------------------------------------------------------------
# figures


def _figure(where: str, defaults: Defaults, raw: dict[str, Any], number: int) -> ManifestFigure:
    table: dict[str, Any] = {}
    for raw_key, value in raw.items():
        key = raw_key.strip().lower().replace("-", "_")
        if key in table:
            raise ManifestError(f"{where}: figure #{number}: {raw_key}: given twice")
        table[key] = value
    template = table.pop("template", None)
    name = table.pop("name", None)
    output = table.pop("output", None)

    if template is not None and (not isinstance(template, str) or not template.strip()):
        raise ManifestError(
            f"{where}: figure #{number}: template: must be a template name or a spec string"
        )
    if name is None:
        # A figure needs an id for messages and the index; the template's or the file's name.
        if isinstance(template, str) and ":" not in template:
            name = template
        elif isinstance(output, str) and output.strip():
            name = PurePosixPath(output.replace("\\", "/")).stem
        else:
            raise ManifestError(
                f"{where}: figure #{number}: name: missing; give the figure a name or an output"
            )
    if not isinstance(name, str) or not name.strip():
        raise ManifestError(f"{where}: figure #{number}: name: must be a non-empty string")
    reject_control(f"{where}: figure #{number}: name", name)
    name = name.strip()
    prefix = f"{where}: figure {name}"

    shared = {k: table.pop(k) for k in _SHARED_KEYS if k in table}
    theme = (
        _theme(prefix, shared["theme"], Path(where).parent) if "theme" in shared else defaults.theme
    )
    own_format = _format_name(prefix, shared["format"]) if "format" in shared else None
    timing = {k: shared[k] for k in _TIMING_KEYS if k in shared}
    options = _write_options(prefix, timing, defaults.options)

    target = _target(prefix, template, table, name)
    relative, fmt = output_path(prefix, output, name, own_format, defaults.format)
    check_inside(prefix, defaults.output_dir, relative)
    inherited = dict(defaults.look)
    if not isinstance(target, CompareSpec):
        inherited.pop("sync", None)  # a default for the comparisons among the figures
    look_fields = {**inherited, **{k: shared[k] for k in _LOOK_KEYS if k in shared}}
    look = _look(prefix, theme, look_fields, target, fmt)
    player = None
    wants_player = _flag(prefix, "player", shared.get("player", defaults.player))
    if wants_player and fmt != "html":  # an .html output is a player already
        # Beside the output, named after it: fig.gif -> fig.html, a frames folder fig -> fig.html.
        player, _ = output_path(prefix, f"{relative.with_suffix('')}.html", name, None, None)
        check_inside(prefix, defaults.output_dir, player)
    return ManifestFigure(
        name=name,
        target=target,
        output=relative,
        format=fmt,
        theme=theme,
        options=options,
        look=look,
        player=player,
    )


def _look(
    prefix: str,
    theme: str,
    fields: dict[str, Any],
    target: Resolved | None = None,
    fmt: str | None = None,
) -> Look:
    """The figure's look, checked as the command line checks it: the values, then that the
    figure can show them and the format store them."""
    try:
        look = Look(theme=theme, **fields)
        if target is not None:
            look.check_target(target)
        if fmt is not None:
            look.check_format(fmt)
    except SpecError as exc:
        raise ManifestError(f"{prefix}: {exc}") from None
    return look


def _target(prefix: str, template: str | None, fields: dict[str, Any], name: str) -> Resolved:
    """The figure through the one from_mapping path; spec fields override the template's."""
    known_spec = (*FIGURE_KEYS, *LayerSpec.field_names(), *_COMPOSITE_KEYS)
    if template is None and not fields:
        raise ManifestError(
            f"{prefix}: template: missing; give a template (a name or a spec string such as "
            "'conv:i5,k1,s2') or spec fields such as op, input_size, kernel_size"
        )
    try:
        if template is not None:
            target = resolve(template.strip(), fields or None)
        else:
            target = figure_from_mapping(fields, name)
    except SpecError as exc:
        # FigureSpec's "unknown field; known fields: ..." lists spec fields only.
        if "unknown field;" in str(exc):
            known = ", ".join(dict.fromkeys((*_FIGURE_OWN_KEYS, *known_spec)))
            message = f"{prefix}: {exc.field}: unknown key; known keys: {known}"
            raise ManifestError(message) from None
        raise ManifestError(f"{prefix}: {exc}") from None
    except TemplateError as exc:
        raise ManifestError(f"{prefix}: template: {exc}") from None
    # The manifest's name is the figure's id everywhere: messages, outcomes, the index.
    return dataclasses.replace(target, name=name)
