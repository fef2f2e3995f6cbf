"""Built-in and user templates: figures kept as TOML data, found by name.

A template is a ``<name>.toml`` file holding either a figure (figure keys and layer
fields, see ``FigureSpec.from_mapping``) or a comparison (``compare = [refs]``, ``labels``).
Anything that names a figure — a template name or a spec string such as ``conv:i5,k1,s2`` — is
resolved here. Templates are parsed as TOML only: no code runs. The built-in ones are package data
(``convanim/catalog/builtin``), found beside this module so that an installed wheel has them
wherever it runs; folders named by ``$CONVANIM_TEMPLATES`` come first.

No input reaches a recursion limit: templates that name each other (a sequence or comparison
naming itself through others) are refused naming the chain (``a -> b -> a``), chains are at
most ``MAX_CHAIN`` templates long, and TOML nested too deeply for ``tomllib`` is refused before
it is parsed (``convanim.catalog.tomldepth``). One bad user template is reported by
``survey_templates`` and never hides the others.
"""

from __future__ import annotations

import contextvars
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from convanim.catalog.flat_toml import loads_flat
from convanim.catalog.safe_read import BOM, read_bounded, read_text
from convanim.catalog.tomldepth import too_deep
from convanim.errors import SpecError, TemplateError
from convanim.model.spec import (
    FIGURE_KEYS,
    CompareSpec,
    FigureSpec,
    SequenceSpec,
    parse_spec_string,
)
from convanim.model.views import SEQUENCE_VIEWS

Resolved = FigureSpec | CompareSpec | SequenceSpec


STARTER_MANIFEST = "blog.toml"
# Templates naming templates (a sequence of comparisons' members, ...) at most this deep.
MAX_CHAIN = 16
# Whether a sequence's sizes are checked to chain (which needs numpy): not when listing.
_CHECK_SEQUENCES = contextvars.ContextVar("check_sequences", default=True)


def builtin_dir() -> Path:
    """The built-in templates inside the installed package."""
    # pip installs packages as plain folders, so the package's own folder holds them (and
    # importlib.resources, 15 ms of every start, is not needed to find it); a zipped install
    # (which pip never makes) would fail here loudly rather than find no templates.
    return Path(__file__).resolve().parent / "builtin"


def template_dirs() -> list[Path]:
    """Where templates are looked up: $CONVANIM_TEMPLATES (os.pathsep-separated), then the
    built-in folder."""
    dirs = [Path(p) for p in os.environ.get("CONVANIM_TEMPLATES", "").split(os.pathsep) if p]
    dirs.append(builtin_dir())
    return dirs


def starter_manifest() -> str:
    """The text of the starter batch manifest (the blog's figures) that ``batch --init`` writes."""
    return (builtin_dir() / STARTER_MANIFEST).read_text(encoding="utf-8")


def _index() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in reversed(template_dirs()):  # earlier folders win
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                if not _is_manifest(path):
                    found[path.stem] = path
    return dict(sorted(found.items()))


def _is_manifest(path: Path) -> bool:
    """A batch manifest (a ``figures`` array, see convanim.catalog.manifest) may sit beside
    templates; it is not a figure. An unreadable file stays in the index, so its error is still
    shown."""
    try:
        raw = read_bounded(path)  # a FIFO among the templates must not hang the listing
        # Parsing only files that mention the key keeps the index as cheap as a glob.
        return b"figures" in raw and "figures" in _loads(raw.removeprefix(BOM), path)
    except (TemplateError, UnicodeDecodeError):
        return False


def _loads(raw: bytes, path: Path) -> dict[str, Any]:
    """Parse TOML bytes; a ``TemplateError`` names the file for what nests too deeply to parse
    safely and for invalid TOML (with line and column)."""
    problem = too_deep(raw)
    if problem:
        raise TemplateError(f"{path}: {problem}")
    text = raw.decode("utf-8")
    flat = loads_flat(text)  # most templates: no tomllib to import
    if flat is not None:
        return flat
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{path}: invalid TOML: {exc}") from None


def template_names() -> list[str]:
    return list(_index())


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; syntax errors name the file, line and column.

    The file must be a regular file of at most ``safe_read.MAX_TOML_BYTES`` (1 MiB); a UTF-8
    BOM is allowed. A FIFO, a device or a folder is a ``TemplateError``, never a hang.
    """
    return _loads(read_text(path).encode("utf-8"), path)


def _find(name: str) -> Path | None:
    """The file of template ``name``, as ``_index`` would find it, reading only that file (the
    index reads every template, a tenth of a short render's time)."""
    if not name or name != Path(name).name or name.startswith("."):
        return _index().get(name)
    for folder in template_dirs():  # earlier folders win
        path = folder / f"{name}.toml"
        if (path.exists() or path.is_symlink()) and not _is_manifest(path):
            return path
    return None


def read_template(name: str) -> dict[str, Any]:
    """The raw mapping of a template."""
    path = _find(name)
    if path is None:
        import difflib  # only to suggest a name: a mistyped one

        close = difflib.get_close_matches(name, list(_index()), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see 'convanim templates'"
        raise TemplateError(f"unknown template {name!r}{hint}")
    return read_toml(path)


def survey_templates() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(name, description) of every template that resolves, and (name, reason) of every one
    that does not: a broken user file is reported, and the others are still listed."""
    good: list[tuple[str, str]] = []
    bad: list[tuple[str, str]] = []
    # Everything but the sizes of a sequence's stages, which need numpy (the listing must
    # start fast); rendering reports those.
    token = _CHECK_SEQUENCES.set(False)
    try:
        for name, path in _index().items():
            try:
                description = str(read_toml(path).get("description", ""))
                resolve(name)
            except (TemplateError, SpecError) as exc:
                bad.append((name, str(exc)))
            else:
                good.append((name, description))
    finally:
        _CHECK_SEQUENCES.reset(token)
    return good, bad


def describe_templates() -> list[tuple[str, str]]:
    """(name, one-line description) of every template."""
    out = []
    for name, path in _index().items():
        try:
            description = str(read_toml(path).get("description", ""))
        except TemplateError as exc:
            description = f"(unreadable: {exc})"
        out.append((name, description))
    return out


def figure_from_mapping(
    mapping: Mapping[str, Any], name: str, _seen: tuple[str, ...] = ()
) -> Resolved:
    """Build a figure, a comparison or a sequence from a template-like mapping."""
    data = dict(mapping)
    if "sequence" in data:
        return _sequence_from_mapping(data, name, _seen)
    if "compare" in data:
        refs = data.pop("compare")
        labels = data.pop("labels", None)
        description = data.pop("description", "")
        caption = data.pop("caption", "")
        if data:
            raise SpecError(
                next(iter(data)),
                "unknown field in a comparison; known: compare, labels, description, caption",
            )
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            raise SpecError("compare", "must be a list of template names or spec strings")
        members = []
        for ref in refs:
            member = resolve(ref, _seen=_seen)
            if not isinstance(member, FigureSpec):
                kind = "comparison" if isinstance(member, CompareSpec) else "sequence"
                raise SpecError("compare", f"{ref!r} is a {kind}; compare single figures only")
            members.append(member)
        if labels is None:
            labels = [m.name for m in members]
        return CompareSpec(
            tuple(members), tuple(labels), name=name, description=str(description), caption=caption
        )
    data.setdefault("name", name)
    return FigureSpec.from_mapping(data)


# Figure keys a sequence may set for all its stages (e.g. a CLI's --view or --frame-order).
_STAGE_KEYS = tuple(k for k in FIGURE_KEYS if k not in ("name", "description"))


def _sequence_from_mapping(data: dict[str, Any], name: str, _seen: tuple[str, ...]) -> SequenceSpec:
    """``sequence = [tables or template refs]``: layers one after another. Figure keys beside
    the list (view, frame_order, schematic, seed) apply to every stage."""
    stages_raw = data.pop("sequence")
    description = data.pop("description", "")
    name = str(data.pop("name", name))
    shared: dict[str, Any] = {}
    for key in list(data):
        norm = key.strip().lower().replace("-", "_") if isinstance(key, str) else key
        if norm not in _STAGE_KEYS:
            known = ", ".join(("sequence", "description", "name", *_STAGE_KEYS))
            raise SpecError(str(key), f"not allowed in a sequence; known: {known}")
        shared[norm] = data.pop(key)
    # view = "receptive_field" is the sequence's own view, not its stages'.
    view = shared.get("view")
    sequence_view = "stages"
    if isinstance(view, str) and view.strip().lower() in SEQUENCE_VIEWS:
        sequence_view = view.strip().lower()
        del shared["view"]
    if not isinstance(stages_raw, list) or not stages_raw:
        raise SpecError("sequence", "must be a list of tables (layers) or template names")
    stages: list[FigureSpec] = []
    for number, item in enumerate(stages_raw, 1):
        if isinstance(item, str):
            stage = resolve(item, shared or None, _seen=_seen)
        elif isinstance(item, Mapping):
            stage = FigureSpec.from_mapping({"name": f"{name}_stage{number}", **item, **shared})
        else:
            raise SpecError("sequence", f"stage {number} must be a table or a template name")
        if not isinstance(stage, FigureSpec):
            raise SpecError("sequence", f"stage {number} ({item!r}) is not a single figure")
        stages.append(stage)
    sequence = SequenceSpec(
        tuple(stages), name=name, description=str(description), view=sequence_view
    )
    if _CHECK_SEQUENCES.get():
        from convanim.scene.channel_plan import check_sequence  # numpy: only for a sequence

        check_sequence(sequence)
    return sequence


def resolve(
    ref: str, overrides: Mapping[str, Any] | None = None, _seen: tuple[str, ...] = ()
) -> Resolved:
    """A template name or a spec string ("conv:i5,k1,s2") as a figure; ``overrides`` (e.g. CLI
    flags) replace the template's fields. ``_seen``: the templates that led here, in order."""
    if ref in _seen:
        chain = " -> ".join((*_seen[_seen.index(ref) :], ref))
        raise TemplateError(f"template {ref!r} refers to itself: {chain}")
    if len(_seen) >= MAX_CHAIN:
        chain = " -> ".join((*_seen, ref))
        raise TemplateError(f"templates name templates more than {MAX_CHAIN} deep: {chain}")
    _seen = (*_seen, ref)
    if ":" in ref:
        mapping: dict[str, Any] = parse_spec_string(ref)
        mapping["name"] = ref.replace(":", "_").replace(",", "_").replace("=", "")
        return _build(mapping, ref, overrides, _seen, where=None)
    return _build(read_template(ref), ref, overrides, _seen, where=_find(ref))


def resolve_file(
    path: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None
) -> Resolved:
    """A template file a user keeps (e.g. one made by ``convanim templates copy``) as a figure;
    its name is the file's stem unless the file sets one. Only the command line reads templates
    by path: inside templates and manifests a figure is always named, never a path."""
    given, path = os.fspath(path), Path(path)
    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        raise TemplateError(f"template file {given!r} {what}")
    mapping = read_toml(path)
    if "figures" in mapping:
        raise TemplateError(
            f"{path} is a batch manifest, not a template; run 'convanim batch {path}'"
        )
    return _build(mapping, path.stem, overrides, (), where=path)


def template_path(name: str) -> Path:
    """The file behind a template name (for ``templates show`` and ``templates copy``)."""
    read_template(name)  # an unknown name fails here, with suggestions
    found = _find(name)
    assert found is not None
    return found


def _build(
    mapping: dict[str, Any],
    ref: str,
    overrides: Mapping[str, Any] | None,
    _seen: tuple[str, ...],
    where: Path | None,
) -> Resolved:
    if overrides:
        if "compare" in mapping:
            raise SpecError(
                next(iter(overrides)), f"{ref!r} is a comparison; its figures cannot be overridden"
            )
        mapping = _merge(mapping, overrides)
    try:
        return figure_from_mapping(mapping, mapping.get("name", ref), _seen)
    except SpecError as exc:
        given = {_norm(k) for k in overrides or ()}
        field = _norm(exc.field)
        if where is None or field in given or "(template " in str(exc):
            raise
        # A mistake inside a template file: say which file, as theme files do.
        raise SpecError(
            exc.field, f"{str(exc).removeprefix(exc.field + ': ')} (template {where})"
        ) from None


def _norm(key: str) -> str:
    from convanim.model.spec import ALIASES

    key = key.strip().lower().replace("-", "_")
    return ALIASES.get(key, key)


def _merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Overrides win; a flag given as ``input`` replaces a template's ``input_size``."""
    from convanim.model.spec import ALIASES

    def norm(key: str) -> str:
        key = key.strip().lower().replace("-", "_")
        return ALIASES.get(key, key)

    merged = {norm(k) if isinstance(k, str) else k: v for k, v in base.items()}
    merged.update({norm(k): v for k, v in overrides.items()})
    return merged
