"""Themes by name or from a TOML theme file: ``load_theme``.

A theme file names a built-in theme to start from (``base``) and the roles it changes; it is
parsed as TOML only, through the catalog's bounded reader, and checked by ``Theme`` itself.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from convanim.catalog.templates import read_toml  # the TOML reader that reports line and column
from convanim.errors import SpecError, TemplateError
from convanim.model.themes import ROLES, THEMES, Theme

_FILE_KEYS = ("name", "base", *ROLES)


def load_theme(name_or_path: str | os.PathLike[str] | Theme) -> Theme:
    """A built-in theme by name, or a TOML theme file by path.

    A theme file holds ``name`` (default: the file's stem), ``base`` (a built-in name, default
    ``classic``) and any of the roles, colours as ``"#RRGGBB"``; the roles it leaves out are the
    base's. A mistake raises ``SpecError`` naming the key; a missing or malformed file raises
    ``TemplateError`` naming the file.
    """
    if isinstance(name_or_path, Theme):
        return name_or_path
    if isinstance(name_or_path, str) and name_or_path in THEMES:
        return THEMES[name_or_path]
    if isinstance(name_or_path, os.PathLike) or _looks_like_path(name_or_path):
        return _load_file(Path(name_or_path))
    raise SpecError("theme", _unknown(name_or_path, " or a .toml theme file"))


def _looks_like_path(text: str) -> bool:
    return text.lower().endswith(".toml") or "/" in text or os.sep in text


def _unknown(value: Any, alternative: str = "") -> str:
    close = difflib.get_close_matches(str(value), list(THEMES), n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{value!r} is not one of {', '.join(THEMES)}{alternative}{hint}"


def _load_file(path: Path) -> Theme:
    try:
        data = read_toml(path)
    except UnicodeDecodeError as exc:  # read_toml reports syntax, not encoding
        raise TemplateError(f"{path}: invalid TOML: not UTF-8 (byte {exc.start})") from None
    where = f" (theme file {path})"
    for key in data:
        if key not in _FILE_KEYS:
            raise SpecError(key, f"unknown key; known keys: {', '.join(_FILE_KEYS)}{where}")
    base_name = data.get("base", "classic")
    if not isinstance(base_name, str) or base_name not in THEMES:
        raise SpecError("base", _unknown(base_name) + where)
    base = THEMES[base_name]
    values: dict[str, Any] = {f.name: getattr(base, f.name) for f in fields(Theme)}
    values["name"] = path.stem
    values.update((k, v) for k, v in data.items() if k != "base")
    try:
        return Theme(**values)
    except SpecError as exc:
        raise SpecError(exc.field, str(exc).removeprefix(f"{exc.field}: ") + where) from None
