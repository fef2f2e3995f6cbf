"""Layer specifications: frozen, validated on creation, built from flags or TOML by one path.

``LayerSpec`` names its fields as PyTorch does. Anything that cannot be drawn or computed raises
``SpecError`` naming the field, the value and what is allowed, so the CLI only has to print it.
This module knows the rules of a layer, not its arithmetic: output sizes and windows live in
``convanim.ops.geometry``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from convanim.errors import SpecError
from convanim.model.sizes import parse_count, parse_ints
from convanim.model.views import SEQUENCE_VIEWS, check_number_view, check_view

OPS = ("conv", "conv_transpose", "max_pool", "avg_pool")
POOL_OPS = ("max_pool", "avg_pool")
PADDING_WORDS = ("valid", "same", "full")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")

Pair = tuple[int, int]
Pads = tuple[int, int, int, int]  # top, bottom, left, right

# Short names accepted by from_mapping (CLI flags, spec strings such as "conv:i5,k1,s2").
ALIASES = {
    "i": "input_size",
    "input": "input_size",
    "k": "kernel_size",
    "kernel": "kernel_size",
    "s": "stride",
    "p": "padding",
    "d": "dilation",
    "a": "output_padding",
    "cin": "in_channels",
    "cout": "out_channels",
    "g": "groups",
}


def _positive(name: str, pair: tuple[int, ...], what: str = "at least 1") -> None:
    for v in pair:
        if v < 1:
            raise SpecError(name, f"{v} is not allowed; must be {what}")


@dataclass(frozen=True)
class LayerSpec:
    """One layer: what it does to an input grid. Square values may be given as a single int.

    ``padding`` is kept as given (normalised to (top, bottom, left, right) or a word); ``pads``
    is always the resolved 4-tuple. ``out_channels`` defaults to ``in_channels``.
    """

    op: str = "conv"
    input_size: Pair = (5, 5)
    kernel_size: Pair = (3, 3)
    stride: Pair = (1, 1)
    padding: Pads | str = (0, 0, 0, 0)
    dilation: Pair = (1, 1)
    padding_mode: str = "zeros"
    output_padding: Pair = (0, 0)
    ceil_mode: bool = False
    count_include_pad: bool = True
    in_channels: int = 1
    out_channels: int | None = None
    groups: int = 1

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in ("op", "padding_mode"):
            if isinstance(getattr(self, name), str):
                set_(self, name, getattr(self, name).strip().lower())
        if self.op not in OPS:
            raise SpecError("op", f"{self.op!r} is not one of {', '.join(OPS)}")
        for name in ("input_size", "kernel_size", "stride", "dilation"):
            set_(self, name, parse_ints(name, getattr(self, name), (2,)))
        _positive("input_size", self.input_size)
        _positive("kernel_size", self.kernel_size)
        _positive("stride", self.stride, "at least 1 (a stride of 0 never moves)")
        _positive("dilation", self.dilation, "at least 1 (1 means no gaps)")
        set_(self, "output_padding", parse_ints("output_padding", self.output_padding, (2,)))
        set_(self, "padding", self._normalise_padding(self.padding))
        for name in ("ceil_mode", "count_include_pad"):
            value = getattr(self, name)
            if isinstance(value, str) and value.lower() in ("true", "false"):
                value = value.lower() == "true"
            if not isinstance(value, bool):
                raise SpecError(name, f"{value!r} is not allowed; must be true or false")
            set_(self, name, value)
        if self.out_channels is None:
            set_(self, "out_channels", self.in_channels)
        for name in ("in_channels", "out_channels", "groups"):
            value = parse_count(name, getattr(self, name))
            set_(self, name, value)
            _positive(name, (value,))
        self._validate()

    # -- normalisation -------------------------------------------------------------------------

    def _normalise_padding(self, value: Any) -> Pads | str:
        if isinstance(value, str) and value.strip().lower() in PADDING_WORDS:
            word = value.strip().lower()
            if self.op == "conv_transpose" and word != "valid":
                raise SpecError(
                    "padding",
                    f"{word!r} is not allowed for conv_transpose; use an integer, (h, w), "
                    "(top, bottom, left, right) or 'valid'",
                )
            return word
        try:
            pads = parse_ints("padding", value, (2, 4))
        except SpecError as exc:
            raise SpecError(
                "padding", f"{str(exc).split(': ', 1)[1]}, or one of {', '.join(PADDING_WORDS)}"
            ) from None
        if len(pads) == 2:
            pads = (pads[0], pads[0], pads[1], pads[1])
        for v in pads:
            if v < 0:
                raise SpecError("padding", f"{v} is not allowed; must be 0 or more")
        return pads  # type: ignore[return-value]

    @property
    def pads(self) -> Pads:
        """The padding as (top, bottom, left, right) integers, with words resolved."""
        if not isinstance(self.padding, str):
            return self.padding
        if self.padding == "valid":
            return (0, 0, 0, 0)
        out: list[int] = []
        for i, k, s, d in zip(self.input_size, self.kernel_size, self.stride, self.dilation):
            span = (k - 1) * d
            if self.padding == "full":
                out += [span, span]
            else:  # TensorFlow's "same": output ceil(i / s), the odd pad at the bottom/right
                total = max((-(-i // s) - 1) * s + span + 1 - i, 0)
                out += [total // 2, total - total // 2]
        return (out[0], out[1], out[2], out[3])

    @property
    def effective_kernel(self) -> Pair:
        """The dilated kernel's extent, (k - 1) * d + 1 per axis."""
        return tuple((k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation))  # type: ignore[return-value]

    @property
    def is_pool(self) -> bool:
        return self.op in POOL_OPS

    @property
    def is_transposed(self) -> bool:
        return self.op == "conv_transpose"

    # -- validation ----------------------------------------------------------------------------

    def _validate(self) -> None:
        pads = self.pads
        axes = (("height", pads[0], pads[1]), ("width", pads[2], pads[3]))
        eff = self.effective_kernel
        if self.padding_mode not in PADDING_MODES:
            raise SpecError(
                "padding_mode", f"{self.padding_mode!r} is not one of {', '.join(PADDING_MODES)}"
            )
        if self.padding_mode != "zeros" and self.op != "conv":
            raise SpecError(
                "padding_mode",
                f"{self.padding_mode!r} is only allowed for conv; {self.op} pads with zeros",
            )
        if self.op != "conv_transpose" and any(self.output_padding):
            raise SpecError(
                "output_padding", f"{self.output_padding} is only allowed for conv_transpose"
            )
        if not self.is_pool:
            if self.ceil_mode:
                raise SpecError("ceil_mode", f"is only allowed for pooling, not {self.op}")
            if not self.count_include_pad:
                raise SpecError("count_include_pad", f"is only allowed for avg_pool, not {self.op}")
        elif self.op == "max_pool" and not self.count_include_pad:
            raise SpecError("count_include_pad", "is only allowed for avg_pool, not max_pool")

        for (axis, lo, hi), i, k, s, d, e, a in zip(
            axes,
            self.input_size,
            self.kernel_size,
            self.stride,
            self.dilation,
            eff,
            self.output_padding,
        ):
            if self.is_transposed:
                # Padding beyond d·(k - 1) is allowed, as in PyTorch: it crops the output.
                if a < 0 or (a >= s and a >= d):
                    raise SpecError(
                        "output_padding",
                        f"{a} along the {axis} is not allowed; must be 0 or more and smaller "
                        f"than the stride ({s}) or the dilation ({d})",
                    )
                out = (i - 1) * s - lo - hi + (k - 1) * d + a + 1
                if out < 1:
                    raise SpecError(
                        "padding",
                        f"({lo}, {hi}) along the {axis} leaves an output of {out}; the output "
                        "must be at least 1",
                    )
                continue
            if e > i + lo + hi:
                what = f"{e} (kernel {k}, dilation {d})" if d > 1 else f"{k}"
                raise SpecError(
                    "kernel_size",
                    f"the kernel's {axis} {what} is larger than the padded input's {i + lo + hi} "
                    f"(input {i} + padding {lo + hi}); use a smaller kernel or more padding",
                )
            # PyTorch bounds pooling padding by half the kernel size, not the dilated extent;
            # more would let a dilated max_pool window see only padding (an output of -inf).
            if self.is_pool and max(lo, hi) > k // 2:
                raise SpecError(
                    "padding",
                    f"{max(lo, hi)} along the {axis} is more than half the pooling kernel "
                    f"({k}); allowed: 0 to {k // 2}",
                )
            if self.padding_mode == "reflect" and max(lo, hi) >= i:
                raise SpecError(
                    "padding",
                    f"{max(lo, hi)} along the {axis} is too large for padding_mode 'reflect'; "
                    f"must be smaller than the input ({i})",
                )
            if self.padding_mode == "circular" and max(lo, hi) > i:
                raise SpecError(
                    "padding",
                    f"{max(lo, hi)} along the {axis} is too large for padding_mode 'circular'; "
                    f"allowed: 0 to the input ({i})",
                )

        if self.op == "avg_pool" and self.dilation != (1, 1):
            raise SpecError("dilation", f"{self.dilation} is not allowed for avg_pool; must be 1")
        if self.is_pool:
            if self.out_channels != self.in_channels:
                raise SpecError(
                    "out_channels",
                    f"{self.out_channels} is not allowed for {self.op}; pooling keeps the "
                    f"{self.in_channels} input channel(s)",
                )
            if self.groups != 1:
                raise SpecError("groups", f"{self.groups} is not allowed for {self.op}; must be 1")
        for name in ("in_channels", "out_channels"):
            if getattr(self, name) % self.groups:
                raise SpecError(
                    "groups",
                    f"{self.groups} does not divide {name} ({getattr(self, name)}); groups must "
                    "divide both in_channels and out_channels",
                )

    # -- construction from data ----------------------------------------------------------------

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> LayerSpec:
        """Build a spec from a TOML table, CLI flags or a parsed spec string.

        Keys may use dashes or underscores and the short names in ``ALIASES``; values may be
        ints, lists or strings such as "5x7". Unknown keys raise ``SpecError`` listing the known.
        """
        if not isinstance(mapping, Mapping):
            raise SpecError("layer", f"expected a table of fields, got {type(mapping).__name__}")
        known = cls.field_names()
        kwargs: dict[str, Any] = {}
        for raw_key, value in mapping.items():
            if not isinstance(raw_key, str):
                raise SpecError(str(raw_key), "field names must be strings")
            key = raw_key.strip().lower().replace("-", "_")
            key = ALIASES.get(key, key)
            if key not in known:
                raise SpecError(raw_key, f"unknown field; known fields: {', '.join(known)}")
            if key in kwargs:
                raise SpecError(raw_key, f"given twice (as {key})")
            kwargs[key] = value
        return cls(**kwargs)

    def to_mapping(self) -> dict[str, Any]:
        """The fields as plain data (lists for tuples), the inverse of ``from_mapping``."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def replace(self, **changes: Any) -> LayerSpec:
        return dataclasses.replace(self, **changes)


_SHORT_TOKEN = re.compile(r"^([a-z_]+?)([0-9].*|same|valid|full)$")


def parse_spec_string(text: str) -> dict[str, Any]:
    """Parse "conv:i5,k1,s2" or "max_pool:input=5x7,kernel=2" into a mapping for from_mapping.

    Pairs use "x" ("k3x1"); four-sided padding is "p0x1x0x1" since commas separate fields.
    """
    op, sep, rest = text.strip().partition(":")
    if not sep:
        raise SpecError("spec", f"{text!r} is not a spec string such as 'conv:i5,k3,s2'")
    mapping: dict[str, Any] = {"op": op.strip()}
    tokens = [t.strip() for t in rest.split(",")]
    if rest.strip() and not all(tokens):
        # A trailing or doubled comma: the same slip that a size like "1,,2" refuses.
        raise SpecError(
            "spec", f"{text!r} has an empty field (a trailing or doubled comma); write 'conv:i5,k3'"
        )
    for token in filter(None, tokens):
        if "=" in token:
            key, _, value = token.partition("=")
        else:
            match = _SHORT_TOKEN.match(token.lower())
            if not match:
                raise SpecError(
                    "spec", f"cannot read {token!r} in {text!r}; write fields as k3 or kernel=3x1"
                )
            key, value = match.groups()
        key = key.strip()
        if key in mapping:
            raise SpecError("spec", f"{key!r} is given twice in {text!r}")
        mapping[key] = value.strip()
    return mapping


VIEWS = ("arithmetic", "numerical", "volume", "matrix", "im2col")
# Channel figures: one frame per output position (all output channels at once), or one per
# (position, output channel).
FRAME_ORDERS = ("position", "position_channel")
FIGURE_KEYS = ("name", "description", "view", "seed", "schematic", "frame_order", "flip")


@dataclass(frozen=True)
class FigureSpec:
    """One animated figure: a layer and how it is shown."""

    layer: LayerSpec
    name: str = "figure"
    view: str = "arithmetic"
    seed: int = 0
    description: str = ""
    schematic: bool | None = None  # None: decided by the channel view's cell budget
    frame_order: str = "position"
    flip: bool = False  # true convolution: the kernel rotated by 180 degrees

    def __post_init__(self) -> None:
        if not isinstance(self.layer, LayerSpec):
            raise SpecError("layer", f"expected a LayerSpec, got {type(self.layer).__name__}")
        object.__setattr__(self, "view", check_view(self.view, VIEWS))
        schematic = self.schematic
        if isinstance(schematic, str) and schematic.strip().lower() in ("true", "false"):
            schematic = schematic.strip().lower() == "true"
        if schematic is not None and not isinstance(schematic, bool):
            raise SpecError("schematic", f"{schematic!r} is not allowed; must be true or false")
        object.__setattr__(self, "schematic", schematic)
        object.__setattr__(self, "flip", check_number_view(self, VIEWS))
        order = self.frame_order
        if isinstance(order, str):
            order = order.strip().lower().replace("-", "_").replace(",", "_")
        if order not in FRAME_ORDERS:
            raise SpecError(
                "frame_order", f"{self.frame_order!r} is not one of {', '.join(FRAME_ORDERS)}"
            )
        object.__setattr__(self, "frame_order", order)
        seed = parse_count("seed", self.seed)  # a spec string's seed=2 is a string
        if seed < 0:
            raise SpecError("seed", f"{self.seed!r} is not allowed; must be a whole number >= 0")
        object.__setattr__(self, "seed", seed)
        for name in ("name", "description"):
            if not isinstance(getattr(self, name), str):
                raise SpecError(name, f"{getattr(self, name)!r} is not allowed; must be a string")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> FigureSpec:
        """Split figure keys (``FIGURE_KEYS``) from layer fields and build both.

        The layer's fields may sit beside the figure keys or in a ``layer`` table.
        """
        if not isinstance(mapping, Mapping):
            raise SpecError("figure", f"expected a table, got {type(mapping).__name__}")
        figure: dict[str, Any] = {}
        layer: dict[str, Any] = {}
        for key, value in mapping.items():
            norm = key.strip().lower().replace("-", "_") if isinstance(key, str) else key
            if norm in FIGURE_KEYS:
                figure[norm] = value
            elif norm == "layer":
                if not isinstance(value, Mapping):
                    raise SpecError("layer", "must be a table of layer fields")
                layer.update(value)
            else:
                layer[key] = value
        try:
            spec = LayerSpec.from_mapping(layer)
        except SpecError as exc:
            if "unknown field" in str(exc):
                known = ", ".join((*FIGURE_KEYS, *LayerSpec.field_names()))
                raise SpecError(exc.field, f"unknown field; known fields: {known}") from None
            raise
        return cls(layer=spec, **figure)


@dataclass(frozen=True)
class CompareSpec:
    """Several figures side by side in one animation, frames in lockstep, each labelled."""

    members: tuple[FigureSpec, ...]
    labels: tuple[str, ...]
    name: str = "compare"
    description: str = ""
    caption: str = ""  # a line under the members, saying what the comparison shows

    def __post_init__(self) -> None:
        object.__setattr__(self, "members", tuple(self.members))
        object.__setattr__(self, "labels", tuple(self.labels))
        if len(self.members) < 2:
            raise SpecError("compare", f"needs at least two figures, got {len(self.members)}")
        for member in self.members:
            if not isinstance(member, FigureSpec):
                raise SpecError(
                    "compare",
                    f"{getattr(member, 'name', member)!r} is not a figure; compare "
                    "single figures only",
                )
        if len(self.labels) != len(self.members):
            raise SpecError(
                "labels",
                f"{len(self.labels)} labels for {len(self.members)} figures; give one each",
            )
        if not all(isinstance(label, str) for label in self.labels):
            raise SpecError("labels", "must be strings")
        if not isinstance(self.caption, str):
            raise SpecError("caption", f"{self.caption!r} is not allowed; must be a string")


@dataclass(frozen=True)
class SequenceSpec:
    """Layers one after another, the output of each the input of the next, shown stage by stage
    in one animation. That the sizes chain is checked by
    ``convanim.scene.channel_plan.check_sequence`` (it needs the geometry's output sizes)."""

    stages: tuple[FigureSpec, ...]
    name: str = "sequence"
    description: str = ""
    view: str = "stages"  # or "receptive_field" (convanim.scene.receptive)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        if self.view not in SEQUENCE_VIEWS:
            raise SpecError("view", f"{self.view!r} is not one of {', '.join(SEQUENCE_VIEWS)}")
        if len(self.stages) < 2:
            raise SpecError("sequence", f"needs at least two stages, got {len(self.stages)}")
        for number, stage in enumerate(self.stages, 1):
            if not isinstance(stage, FigureSpec):
                raise SpecError("sequence", f"stage {number} is not a figure")
        for name in ("name", "description"):
            if not isinstance(getattr(self, name), str):
                raise SpecError(name, f"{getattr(self, name)!r} is not allowed; must be a string")


def wants_channel_view(figure: FigureSpec) -> bool:
    """Whether a figure is drawn by the channel renderer rather than the flat/planar one."""
    layer = figure.layer
    return (
        figure.view == "volume"
        or bool(figure.schematic)
        or layer.in_channels > 1
        or (layer.out_channels or 1) > 1
    )
