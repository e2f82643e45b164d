"""`/api/steps` by neuron: `position: [i, j, d]` instead of `start`, and the input bounds'
step. Step numbers are written out here from docs/design.md's definition of the orders."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from api_helpers import ALEXNET, square
from fastapi.testclient import TestClient


def _t(order: str, i: int, j: int, d: int, h2: int, w2: int, k: int) -> int:
    """Step number of neuron (i, j, d) by walking the order, not by its formula."""
    if order == "depth_slice":
        walk = [(a, b, c) for c in range(k) for a in range(h2) for b in range(w2)]
    else:
        walk = [(a, b, c) for a in range(h2) for b in range(w2) for c in range(k)]
    return walk.index((i, j, d))


def _post(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post("/api/steps", json=body)


@pytest.mark.parametrize("order", ["depth_slice", "depth_column"])
@pytest.mark.parametrize("position", [[0, 0, 0], [1, 2, 1], [2, 1, 0], [2, 2, 1]])
def test_position_starts_at_that_neurons_step_and_the_answer_says_its_t(
    client: TestClient, order: str, position: list[int]
) -> None:
    spec = square(5, 3, 2, 3, stride=2, padding=1)  # the CS231n demo: output 3x3x2
    t = _t(order, *position, 3, 3, 2)
    by_position = _post(client, {"layer": spec, "position": position, "count": 3,
                                 "order": order, "upstream": {}})
    assert by_position.status_code == 200, by_position.text
    answer = by_position.json()
    assert answer["start"] == t
    first = answer["steps"][0]
    assert (first["t"], [first["i"], first["j"], first["d"]]) == (t, position)
    # Everything else is the range that start = t asks for.
    by_start = _post(client, {"layer": spec, "start": t, "count": 3, "order": order,
                              "upstream": {}}).json()
    assert answer == by_start


def test_position_of_an_alexnet_neuron_with_every(client: TestClient) -> None:
    # (54, 54, 95) is the last neuron: t = 95*55*55 + 54*55 + 54 = 290399 in depth_slice order.
    body = {"layer": ALEXNET, "position": [54, 54, 95], "count": 5, "every": 3,
            "encoding": "compact"}
    answer = _post(client, body).json()
    assert answer["start"] == 290_399 and answer["total"] == 290_400
    assert [s["t"] for s in answer["steps"]] == [290_399]  # clipped at the end of the trace
    column = _post(client, {**body, "position": [0, 1, 0], "order": "depth_column"}).json()
    assert [s["t"] for s in column["steps"]] == [96, 99, 102, 105, 108]  # (0, 1) is 96 = 1*96
    assert [(s["j"], s["d"]) for s in column["steps"]] == [(1, 0), (1, 3), (1, 6), (1, 9),
                                                         (1, 12)]


def test_neither_start_nor_position_starts_at_step_zero(client: TestClient) -> None:
    answer = _post(client, {"layer": square(5, 1, 1, 3), "count": 2}).json()
    assert answer["start"] == 0 and [s["t"] for s in answer["steps"]] == [0, 1]


@pytest.mark.parametrize("start", [0, 4])
def test_start_and_position_together_are_refused_naming_position(
    client: TestClient, start: int
) -> None:
    body = {"layer": square(5, 1, 1, 3), "start": start, "position": [1, 1, 0]}
    answer = _post(client, body)
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert entry["loc"] == ["body", "position"]
    assert entry["type"] == "start_and_position"
    assert "not both" in entry["msg"] and f"start {start}" in entry["msg"]


def test_both_given_is_said_before_the_layer_is_priced(client: TestClient) -> None:
    # an over-budget layer was refused for its price first: the request's own mistake unsaid
    body = {"layer": square(4096, 64, 512, 3), "start": 0, "position": [0, 0, 0]}
    [entry] = _post(client, body).json()["detail"]
    assert entry["type"] == "start_and_position"


@pytest.mark.parametrize(("extra", "first"), [
    ({"start": None}, 0), ({"start": None, "position": [1, 1, 0]}, 4),
])
def test_a_null_start_is_not_given(
    client: TestClient, extra: dict[str, Any], first: int
) -> None:
    # as position's null is: a client writing every field sends the one it does not use null
    answer = _post(client, {"layer": square(5, 1, 1, 3), **extra})
    assert answer.status_code == 200, answer.text
    assert answer.json()["start"] == first


@pytest.mark.parametrize(("position", "axis", "name", "last"), [
    ([3, 0, 0], 0, "i", 2), ([0, 7, 1], 1, "j", 2), ([2, 2, 2], 2, "d", 1),
])
def test_position_outside_the_output_names_the_axis_and_its_range(
    client: TestClient, position: list[int], axis: int, name: str, last: int
) -> None:
    body = {"layer": square(5, 3, 2, 3, stride=2, padding=1), "position": position}
    answer = _post(client, body)
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert entry["loc"] == ["body", "position", axis]
    assert f"{name} = {position[axis]} is out of range" in entry["msg"]
    assert f"{name} runs from 0 to {last}" in entry["msg"]


def test_every_axis_of_a_position_outside_the_output_is_named_at_once(
    client: TestClient,
) -> None:
    body = {"layer": square(5, 3, 2, 3, stride=2, padding=1), "position": [9, 1, 9]}
    answer = _post(client, body)
    assert answer.status_code == 422
    assert [(e["loc"], e["msg"].split(" is ")[0]) for e in answer.json()["detail"]] == [
        (["body", "position", 0], "i = 9"), (["body", "position", 2], "d = 9")]


def test_a_layers_edits_are_checked_before_the_position_as_with_start(
    client: TestClient,
) -> None:
    # the position was checked as the range was priced, before the layer's edits, so a
    # request with both wrong named the position and only the next one the edit
    layer = {**square(5, 3, 2, 3), "edits": [{"array": "bias", "index": [7], "value": 1}]}
    for asked in ({"position": [9, 0, 0]}, {"start": 99}):
        [entry] = _post(client, {"layer": layer, **asked}).json()["detail"]
        assert entry["loc"] == ["body", "layer", "edits", 0, "index"], asked


@pytest.mark.usefixtures("cold_caches")
def test_a_position_outside_the_output_is_refused_before_the_layer_is_made(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the range was priced from step 0 for such a position, the layer's arrays and its
    # upstream made, and only then the position refused
    from app import convert

    made: list[object] = []
    real = convert.build_layer

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(convert, "build_layer", counted)
    layer = square(227, 3, 96, 11, stride=4)
    layer["input"]["fill"] = {"kind": "uniform", "seed": 4242}  # caches cold: built here
    body = {"layer": layer, "position": [55, 0, 0], "upstream": {"fill": {"kind": "normal"}}}
    answer = _post(client, body)
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert entry["loc"] == ["body", "position", 0] and "i runs from 0 to 54" in entry["msg"]
    assert made == []
    # inside the output, the same layer is made and answered
    assert _post(client, {**body, "position": [54, 0, 0]}).status_code == 200
    assert len(made) == 1


@pytest.mark.parametrize("position", [[1, 1], [1, 1, 0, 0], [1, -1, 0]])
def test_position_that_is_not_three_non_negative_ints_is_refused(
    client: TestClient, position: list[int]
) -> None:
    answer = _post(client, {"layer": square(5, 1, 1, 3), "position": position})
    assert answer.status_code == 422
    assert all(entry["loc"][:2] == ["body", "position"] for entry in answer.json()["detail"])


def test_a_dilated_steps_input_bounds_carry_their_step(client: TestClient) -> None:
    # 5x5, F=3, dilation 2, padding 1: neuron (0, 0)'s taps sit at original -1, 1 and 3, so
    # it reads rows and columns 1 and 3 of X: [1, 4, 2], not rows 1 to 3.
    x = np.arange(25.0).reshape(5, 5, 1)
    spec = square(5, 1, 1, 3, padding=1, dilation=2)
    spec["input"]["values"] = x.tolist()
    step = _post(client, {"layer": spec, "position": [0, 0, 0]}).json()["steps"][0]
    assert step["rows"] == [0, 5, 2]
    assert step["input_rows"] == [1, 4, 2] and step["input_cols"] == [1, 4, 2]
    inside = x[slice(*step["input_rows"]), slice(*step["input_cols"]), 0]
    window = np.array(step["window"])[..., 0]
    assert inside.tolist() == [[6.0, 8.0], [16.0, 18.0]]  # cells (1,1) (1,3) (3,1) (3,3)
    assert window[1:, 1:].tolist() == inside.tolist()  # the window's non-padding taps
    plain = _post(client, {"layer": square(5, 1, 1, 3, padding=1), "start": 0}).json()
    assert plain["steps"][0]["input_rows"] == [0, 2, 1]  # undilated: the step is 1


@pytest.mark.parametrize("repeat", [False, True])
def test_a_positions_step_is_worked_out_once_a_request(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, repeat: bool
) -> None:
    # the handler checked the position as the layer was built, then worked its step out again
    # to start the range; a layer already built (repeat) takes the same one pass
    from engine import trace

    spec = square(5, 3, 2, 3, stride=2, padding=1)
    if repeat:
        assert _post(client, {"layer": spec, "position": [1, 2, 1]}).status_code == 200
    calls: list[tuple[int, ...]] = []
    step_number = trace.step_number

    def counted(*args: Any) -> int:
        calls.append(args[1:4])
        return step_number(*args)

    monkeypatch.setattr(trace, "step_number", counted)
    answer = _post(client, {"layer": spec, "position": [1, 2, 1], "count": 2})
    assert answer.status_code == 200, answer.text
    assert answer.json()["start"] == _t("depth_slice", 1, 2, 1, 3, 3, 2)
    assert calls == [(1, 2, 1)]
