"""Receptive fields: the built-in stacks' numbers, the recurrences against a brute-force walk of
the windows, PyTorch's gradient of one interior output cell, ``explain --receptive-field``
(JSON, tables, chaining) and the receptive-field view of sequences."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from convanim.catalog.templates import resolve
from convanim.cli.main import main
from convanim.errors import SpecError
from convanim.model.look import Look
from convanim.model.spec import LayerSpec
from convanim.ops import geometry, receptive
from convanim.scene.budget import frames_of
from convanim.scene.display import Text
from convanim.scene.pictures import picture_for


@pytest.mark.parametrize(
    "name, rf, jump",
    [
        ("receptive_field_3x3_stack", [3, 5, 7], [1, 1, 1]),
        ("receptive_field_dilated_stack", [3, 7, 15], [1, 1, 1]),
        ("receptive_field_strided_stack", [3, 7, 15], [2, 4, 4]),
        ("network_in_network_receptive_field", [3, 3, 3], [1, 1, 1]),
        ("network_in_network", [3, 3, 3], [1, 1, 1]),
    ],
)
def test_the_templates_fields(name: str, rf: list[int], jump: list[int]) -> None:
    result = CliRunner().invoke(main, ["explain", name, "--receptive-field", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [entry["rf"] for entry in data] == [[v, v] for v in rf]
    assert [entry["jump"] for entry in data] == [[v, v] for v in jump]


def _random_stack(rng: np.random.Generator, size: int = 48) -> list[LayerSpec]:
    layers = []
    for _ in range(rng.integers(1, 5)):
        op = rng.choice(["conv", "conv", "max_pool", "avg_pool"])
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        s = tuple(int(v) for v in rng.integers(1, 3, 2))
        d = tuple(int(v) for v in rng.integers(1, 3, 2)) if op != "avg_pool" else (1, 1)
        p = tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k)
        try:
            layer = LayerSpec(
                op=op, input_size=size, kernel_size=k, stride=s, dilation=d, padding=p
            )
        except SpecError:
            continue
        if min(geometry.output_size(layer)) < 3:
            break
        layers.append(layer)
        size = geometry.output_size(layer)
    return layers


def _recurrences(layers: list[LayerSpec]) -> list[tuple]:
    """The textbook recurrences, per axis, written out again."""
    out = []
    rf, jump, start = [1, 1], [1, 1], [0.0, 0.0]
    for layer in layers:
        for a in (0, 1):
            k, s, d, p = layer.kernel_size[a], layer.stride[a], layer.dilation[a], layer.pads[2 * a]
            k_eff = d * (k - 1) + 1
            start[a] += ((k_eff - 1) / 2 - p) * jump[a]
            rf[a] += (k_eff - 1) * jump[a]
            jump[a] *= s
        out.append((tuple(rf), tuple(jump), tuple(start)))
    return out


def test_fields_follow_the_recurrences_and_the_windows() -> None:
    rng = np.random.default_rng(5)
    for _ in range(60):
        layers = _random_stack(rng)
        if not layers:
            continue
        fields = receptive.fields(layers)
        assert [(f.rf, f.jump, f.start) for f in fields] == _recurrences(layers)
        ho, wo = geometry.output_size(layers[-1])
        for cell in [(0, 0), (ho - 1, wo - 1), (ho // 2, wo // 3)]:
            (r0, r1), (c0, c1) = receptive.windows(layers, cell)[0]
            assert (r1 - r0 + 1, c1 - c0 + 1) == fields[-1].rf
            centre = ((r0 + r1) / 2, (c0 + c1) / 2)
            want = tuple(st + j * c for st, j, c in zip(fields[-1].start, fields[-1].jump, cell))
            assert centre == want


def test_fields_are_the_support_of_pytorchs_gradient_of_one_interior_cell() -> None:
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    rng = np.random.default_rng(9)
    checked = 0
    while checked < 25:
        layers = _random_stack(rng, size=40)
        if not layers:
            continue
        fields = receptive.fields(layers)
        ho, wo = geometry.output_size(layers[-1])
        cell = (ho // 2, wo // 2)
        (r0, r1), (c0, c1) = receptive.windows(layers, cell)[0]
        h, w = layers[0].input_size
        if r0 < 0 or c0 < 0 or r1 >= h or c1 >= w:
            continue  # not interior: the field reaches into padding
        x = torch.rand(1, 1, h, w, dtype=torch.float64, requires_grad=True)
        y = x
        for layer in layers:
            t, _, left, _ = layer.pads
            if layer.op == "conv":
                weight = torch.ones(1, 1, *layer.kernel_size, dtype=torch.float64)
                y = F.conv2d(
                    y, weight, stride=layer.stride, padding=(t, left), dilation=layer.dilation
                )
            elif layer.op == "avg_pool":
                y = F.avg_pool2d(y, layer.kernel_size, layer.stride, (t, left))
            else:
                # The maximum passes its gradient to one cell; its window is a kernel of ones'.
                y = _window_sum(y, layer, F, torch)
        assert tuple(y.shape[-2:]) == (ho, wo)
        y[0, 0, cell[0], cell[1]].backward()
        rows, cols = np.nonzero(x.grad[0, 0].numpy())
        assert (rows.min(), rows.max(), cols.min(), cols.max()) == (r0, r1, c0, c1)
        assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == fields[-1].rf
        checked += 1


def _window_sum(y, layer: LayerSpec, F, torch):  # noqa: ANN001, ANN202, N803
    """A max pool's window (dilated too) with every tap weighted: the sum over its taps."""
    t, _, left, _ = layer.pads
    weight = torch.ones(1, 1, *layer.kernel_size, dtype=torch.float64)
    return F.conv2d(y, weight, stride=layer.stride, padding=(t, left), dilation=layer.dilation)


def test_explain_chains_spec_strings_and_prints_a_table() -> None:
    runner = CliRunner()
    chained = runner.invoke(
        main,
        ["explain", "conv:i9,k3", "conv:k3,s2", "max_pool:k2,s2", "--receptive-field", "--json"],
    )
    assert chained.exit_code == 0, chained.output
    data = json.loads(chained.output)
    assert data == [
        {"rf": [3, 3], "jump": [1, 1], "start": [1, 1]},
        {"rf": [5, 5], "jump": [2, 2], "start": [2, 2]},
        {"rf": [7, 7], "jump": [4, 4], "start": [3, 3]},
    ]
    table = runner.invoke(main, ["explain", "receptive_field_dilated_stack", "--receptive-field"])
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0].split() == ["layer", "op", "output", "rf", "jump", "start"]
    assert "15 x 15" in lines[3]
    bad = runner.invoke(main, ["explain", "conv:i4,k3", "conv_transpose:k3", "--receptive-field"])
    assert bad.exit_code == 2 and "conv_transpose" in bad.output and "Traceback" not in bad.output


def test_the_view_steps_through_the_last_layers_cells_and_keeps_text_inside() -> None:
    from convanim.backends.mpl import MplMetrics

    metrics = MplMetrics()
    for name in ("receptive_field_dilated_stack", "receptive_field_strided_stack"):
        target = resolve(name)
        pic = picture_for(target, Look(labels=True), metrics)
        ho, wo = geometry.output_size(target.stages[-1].layer)
        assert pic.n_frames == ho * wo == frames_of(target)
        texts = [
            p
            for i in range(pic.n_frames)
            for p in (*pic.static, *pic.frame(i))
            if isinstance(p, Text)
        ]
        for text in texts:
            left, top, right, bottom = text.bounds(metrics)
            assert left >= 0 and top >= 0 and right <= pic.width and bottom <= pic.height
        words = {t.text for t in texts}
        field = receptive.fields([s.layer for s in target.stages])[-1]
        assert f"rf {field.rf[0]}" in words and f"jump {field.jump[0]}" in words


def test_a_sequence_selects_the_view_by_its_view_key_or_the_flag() -> None:
    assert resolve("network_in_network").view == "stages"
    assert resolve("network_in_network", {"view": "receptive_field"}).view == "receptive_field"
    assert resolve("network_in_network_receptive_field").view == "receptive_field"
    result = CliRunner().invoke(main, ["render", "conv:i5,k3", "--view", "receptive_field"])
    assert result.exit_code == 2 and "a view of a sequence" in result.output
