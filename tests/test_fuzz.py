"""Property-based fuzzing: hand-written input either works or fails with convanim's own errors.

Arbitrary mappings (real field names, their aliases and dashed spellings, and junk keys, with
values of every TOML type and some that TOML cannot hold) go into ``LayerSpec.from_mapping``,
``FigureSpec.from_mapping``, ``templates.figure_from_mapping`` and, written out as TOML, the
manifest loader: each either returns or raises a ``ConvanimError`` — any other exception is
a bug that would reach a user as a traceback. Small random valid layers are then rendered in
both views: exactly one frame per output cell, every frame the renderer's size.

Example counts are tuned so that the file runs in well under 30 s.
"""

from __future__ import annotations

import contextlib
import json
import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from convanim.catalog.manifest import load_manifest
from convanim.catalog.templates import figure_from_mapping
from convanim.errors import ConvanimError
from convanim.model.spec import ALIASES, FIGURE_KEYS, FigureSpec, LayerSpec, SpecError
from convanim.ops.geometry import output_size
from convanim.render import FigureRenderer

LAYER_FIELDS = LayerSpec.field_names()
REAL_KEYS = (
    *LAYER_FIELDS,
    *ALIASES,
    *FIGURE_KEYS,
    *(f.replace("_", "-") for f in LAYER_FIELDS if "_" in f),
    "layer",
    "compare",
    "labels",
    "sequence",
)
# Strings a user would plausibly write, so that values are often almost right.
WORDS = (
    "conv", "conv_transpose", "max_pool", "avg_pool", "same", "valid", "full", "zeros",
    "reflect", "replicate", "circular", "arithmetic", "numerical", "volume", "position",
    "position_channel", "true", "false", "5x7", "3,1", "0,1,0,1", "2", "-1", "0", "1e3", "²",
    "conv:i5,k3", "padding_strides", "../x", "",
)  # fmt: skip

keys = st.one_of(st.sampled_from(REAL_KEYS), st.text(max_size=8))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=12),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(max_size=6),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(keys, inner, max_size=3)),
    max_leaves=8,
)
mappings = st.dictionaries(st.one_of(keys, st.integers()), values, max_size=6)

FAST = settings(max_examples=150, deadline=None)


def _survives(call: Any, *args: Any) -> None:
    """``call`` returns, or raises one of convanim's errors; anything else propagates."""
    with contextlib.suppress(ConvanimError):
        call(*args)


@FAST
@given(mappings)
def test_layer_from_mapping_never_raises_a_foreign_error(mapping: dict) -> None:
    _survives(LayerSpec.from_mapping, mapping)


@FAST
@given(mappings)
def test_figure_from_mapping_never_raises_a_foreign_error(mapping: dict) -> None:
    _survives(FigureSpec.from_mapping, mapping)


@settings(max_examples=100, deadline=None)
@given(mappings)
def test_template_mappings_never_raise_a_foreign_error(mapping: dict) -> None:
    _survives(figure_from_mapping, mapping, "fuzzed")


@FAST
@given(st.one_of(scalars, st.lists(scalars, max_size=3)))
def test_every_layer_field_accepts_or_names_itself(value: Any) -> None:
    for name in LAYER_FIELDS:
        try:
            LayerSpec.from_mapping({name: value})
        except SpecError as exc:
            assert str(exc).startswith(f"{exc.field}: ")  # one line, naming a field


# -- manifests, written as TOML -----------------------------------------------------------------

# Only what TOML can hold: no None; a dictionary becomes an inline table.
toml_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-3, max_value=12),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(max_size=6),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
DEFAULT_KEYS = ("output_dir", "html", "title", "max_frames", "theme", "format", "delay", "loop",
                "hold_first", "hold_last")  # fmt: skip
FIGURE_OWN_KEYS = ("name", "template", "output", "theme", "format", "delay", "loop")
# Mostly keys the loader knows, so that examples get past the first unknown-key check.
default_keys = st.one_of(st.sampled_from(DEFAULT_KEYS), st.sampled_from(DEFAULT_KEYS),
                         st.sampled_from(DEFAULT_KEYS), st.text(max_size=6))  # fmt: skip
figure_keys = st.one_of(st.sampled_from(FIGURE_OWN_KEYS), st.sampled_from(FIGURE_OWN_KEYS),
                        st.sampled_from(REAL_KEYS), st.text(max_size=6))  # fmt: skip
# Keys that name files get file names, often hostile ones: escapes, NUL bytes, odd suffixes.
PATH_KEYS = ("output_dir", "output", "theme", "template")
PATHS = (
    "out", "sub/ok.gif", "ok.gif", "ok.webp", "ok", "../x.gif", "/abs.gif", "C:\\x.gif", ".",
    "..", "", " ", "a\x00b", "x\x00.gif", "t\x00.toml", "x.toml", "~/x", "dark", "ok.bmp",
    ".convanim-state.json", "conv:i3,k2",
)  # fmt: skip
path_values = st.one_of(*[st.sampled_from(PATHS)] * 3, st.text(max_size=6))


@st.composite
def tables(draw: st.DrawFn, keys: st.SearchStrategy[str]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for key in draw(st.lists(keys, max_size=3, unique=True)):
        table[key] = draw(path_values if key in PATH_KEYS else toml_values)
    return table


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        # JSON's escapes are TOML's (ensure_ascii=False: no surrogate-pair escapes).
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    items = ", ".join(f"{toml_value(str(k))} = {toml_value(v)}" for k, v in value.items())
    return "{" + items + "}"


def toml_table(header: str, table: dict[str, Any]) -> str:
    lines = [header] + [f"{toml_value(k)} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


# One folder for every example (a fixture's tmp_path is per test, not per example); removed when
# the interpreter exits.
_TMP = tempfile.TemporaryDirectory(prefix="convanim-fuzz-")
_FOLDER = Path(_TMP.name)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(st.none(), tables(default_keys)),
    st.lists(tables(figure_keys), max_size=3),
    st.booleans(),
)
def test_the_manifest_loader_never_raises_a_foreign_error(
    defaults: dict | None, figures: list[dict], valid_figure: bool
) -> None:
    text = toml_table("[defaults]", defaults) if defaults is not None else ""
    if valid_figure:  # so that the loader often gets past the first figure
        text += toml_table("[[figures]]", {"name": "ok", "template": "conv:i3,k2"})
    for number, figure in enumerate(figures):
        # A name of its own unless the example gives one, so that most figures get past "name".
        text += toml_table("[[figures]]", {"name": f"f{number}", **figure})
    path = _FOLDER / "convanim.toml"
    path.write_text(text, encoding="utf-8")
    _survives(load_manifest, path)


BASE_DEFAULTS = {"output_dir": "out", "delay": 0.5, "theme": "classic"}
BASE_FIGURES = (
    {"name": "a", "template": "conv:i3,k2"},
    {"name": "b", "op": "conv", "input_size": 4, "kernel_size": 3, "output": "sub/b.gif"},
)
_SECTIONS = ("defaults", 0, 1)


@st.composite
def edits(draw: st.DrawFn) -> tuple[Any, str, Any]:
    section = draw(st.sampled_from(_SECTIONS))
    key = draw(default_keys if section == "defaults" else figure_keys)
    value = draw(st.one_of(st.none(), path_values if key in PATH_KEYS else toml_values))
    return section, key, value  # None: delete the key


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edits(), min_size=1, max_size=3))
def test_a_valid_manifest_with_a_few_edits_loads_or_fails_cleanly(
    changes: list[tuple[Any, str, Any]],
) -> None:
    defaults = dict(BASE_DEFAULTS)
    figures = [dict(f) for f in BASE_FIGURES]
    for section, key, value in changes:
        table = defaults if section == "defaults" else figures[section]
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    text = toml_table("[defaults]", defaults)
    for figure in figures:
        text += toml_table("[[figures]]", figure)
    path = _FOLDER / "convanim.toml"
    path.write_text(text, encoding="utf-8")
    _survives(load_manifest, path)


# -- rendering small random valid layers ----------------------------------------------------------


@st.composite
def small_layers(draw: st.DrawFn) -> LayerSpec:
    op = draw(st.sampled_from(("conv", "conv_transpose", "max_pool", "avg_pool")))
    pair = lambda low, high: st.tuples(  # noqa: E731
        st.integers(low, high), st.integers(low, high)
    )
    fields: dict[str, Any] = {
        "op": op,
        "input_size": draw(pair(1, 6)),
        "kernel_size": draw(pair(1, 3)),
        "stride": draw(pair(1, 3)),
        "dilation": draw(pair(1, 2)) if op != "avg_pool" else (1, 1),
        "padding": draw(st.one_of(pair(0, 2), st.sampled_from(("valid", "same", "full")))),
    }
    if op == "conv_transpose":
        fields["output_padding"] = draw(pair(0, 1))
    if op in ("max_pool", "avg_pool"):
        fields["ceil_mode"] = draw(st.booleans())
    try:
        layer = LayerSpec(**fields)
    except SpecError:
        assume(False)
    # Keeps the frame count (and the test's run time) small.
    assume(math.prod(output_size(layer)) <= 36)
    return layer


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(small_layers(), st.sampled_from(("arithmetic", "numerical")))
def test_a_render_has_one_frame_per_output_cell_of_the_renderers_size(
    layer: LayerSpec, view: str
) -> None:
    renderer = FigureRenderer(FigureSpec(layer, name="fuzz", view=view))
    expected = math.prod(output_size(layer))
    assert renderer.n_frames == expected
    count = 0
    for frame in renderer.frames():
        assert frame.shape == (*renderer.size[::-1], 3)
        assert frame.dtype.name == "uint8"
        count += 1
    assert count == expected
