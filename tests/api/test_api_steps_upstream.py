"""`/api/steps` additions for the page: each step's upstream dV[i,j,d], and every n-th step."""

from __future__ import annotations

import numpy as np
import pytest
from api_helpers import compact_to_array, square
from fastapi.testclient import TestClient


@pytest.mark.parametrize("order", ["depth_slice", "depth_column"])
def test_each_step_carries_the_upstream_value_at_its_own_neuron(
    client: TestClient, order: str
) -> None:
    spec = square(5, 2, 3, 3, padding=1)  # output 5x5x3
    # distinct values, so a step reading the wrong (i, j, d) cannot match by accident
    up = np.arange(5 * 5 * 3, dtype=float).reshape(5, 5, 3) - 37.5
    body = {"layer": spec, "start": 20, "count": 30, "order": order,
            "upstream": {"values": up.tolist()}}
    answer = client.post("/api/steps", json=body)
    assert answer.status_code == 200, answer.text
    steps = answer.json()["steps"]
    assert len(steps) == 30
    for step in steps:
        assert step["upstream"] == up[step["i"], step["j"], step["d"]]


def test_upstream_value_times_the_window_is_the_steps_weight_gradient(
    client: TestClient,
) -> None:
    spec = square(4, 1, 2, 2)  # no activation: the gradient passes unchanged
    body = {"layer": spec, "start": 0, "count": 18,
            "upstream": {"fill": {"kind": "integers", "seed": 3, "low": -2, "high": 2}}}
    for step in client.post("/api/steps", json=body).json()["steps"]:
        expected = step["upstream"] * np.array(step["window"])
        np.testing.assert_allclose(step["weight_gradient"], expected)


def test_steps_without_upstream_send_no_upstream_value(client: TestClient) -> None:
    answer = client.post("/api/steps", json={"layer": square(5, 1, 1, 3), "count": 2}).json()
    assert [s["upstream"] for s in answer["steps"]] == [None, None]


@pytest.mark.parametrize("order", ["depth_slice", "depth_column"])
def test_every_nth_step_equals_those_steps_of_a_contiguous_range(
    client: TestClient, order: str
) -> None:
    spec = square(6, 2, 3, 3, padding=1, activation="relu")  # 6x6x3 = 108 steps
    body = {"layer": spec, "start": 5, "count": 1000, "order": order, "upstream": {}}
    contiguous = client.post("/api/steps", json=body).json()["steps"]
    by_t = {step["t"]: step for step in contiguous}
    answer = client.post("/api/steps", json={**body, "count": 12, "every": 7}).json()
    # 5, 12, ..., 82: twelve steps 7 apart, every field as in the contiguous answer
    assert [s["t"] for s in answer["steps"]] == list(range(5, 5 + 12 * 7, 7))
    for step in answer["steps"]:
        assert step == by_t[step["t"]]
    assert (answer["total"], answer["start"]) == (108, 5)


def test_every_nth_step_is_clipped_at_the_end_of_the_trace(client: TestClient) -> None:
    body = {"layer": square(5, 1, 1, 3), "start": 2, "count": 100, "every": 3}  # 9 steps
    answer = client.post("/api/steps", json=body).json()
    assert [s["t"] for s in answer["steps"]] == [2, 5, 8]


@pytest.mark.parametrize("every", [9, 2**53 - 1])
@pytest.mark.parametrize("upstream", [None, {}])
def test_an_every_past_the_last_step_answers_the_start_step_alone(
    client: TestClient, every: int, upstream: dict[str, object] | None
) -> None:
    body = {"layer": square(5, 1, 1, 3), "start": 4, "count": 3, "every": every,
            "upstream": upstream}  # 9 steps
    answer = client.post("/api/steps", json=body)
    assert answer.status_code == 200, answer.text
    assert [s["t"] for s in answer.json()["steps"]] == [4]


@pytest.mark.parametrize("every", [2**53, 2**63, 10**19, 2**64 + 5])
def test_an_every_past_2_53_is_refused_at_the_documents_maximum(
    client: TestClient, every: int
) -> None:
    # 2**63 and over made NumPy's arange step in floats: a 500 (found by hand, not the fuzzer);
    # the document bounds every whole number at 2**53 - 1, what a JavaScript client holds
    body = {"layer": square(5, 1, 1, 3), "start": 4, "every": every}
    answer = client.post("/api/steps", json=body)
    assert answer.status_code == 422, answer.text
    [entry] = answer.json()["detail"]
    assert entry["loc"] == ["body", "every"]
    assert entry["msg"] == (f"every is {every}: it must be <= 9007199254740991; it takes a "
                            "whole number from 1 to 2**53 - 1")


def test_a_backward_answer_carries_the_upstream_a_fill_made_and_no_other(
    client: TestClient,
) -> None:
    # an engineer checking dx by hand had to ask /api/steps for every step to learn the
    # upstream the fill had drawn
    layer = square(5, 3, 2, 3, stride=2, padding=1)
    fill = {"fill": {"kind": "integers", "seed": 3, "low": -2, "high": 2}}
    answer = client.post("/api/backward", json={"layer": layer, "upstream": fill}).json()
    up = np.array(answer["upstream"])
    assert up.shape == (3, 3, 2) and len(np.unique(up)) > 2  # drawn, not ones
    steps = client.post("/api/steps", json={"layer": layer, "count": 18,
                                            "upstream": fill}).json()["steps"]
    assert [s["upstream"] for s in steps] == [up[s["i"], s["j"], s["d"]] for s in steps]
    # dx by the notes' loops with that upstream: each window gets upstream * its filter
    forward = client.post("/api/forward", json=layer).json()
    w = np.array(forward["filters"])
    dxp = np.zeros((7, 7, 3))
    for i, j, d in np.ndindex(3, 3, 2):
        dxp[2 * i:2 * i + 3, 2 * j:2 * j + 3, :] += up[i, j, d] * w[d]
    np.testing.assert_allclose(np.array(answer["dx"]), dxp[1:6, 1:6, :], rtol=1e-12)
    for upstream in ({}, {"values": up.tolist()}, {"fill": {"kind": "ones"}},
                     {"fill": {"kind": "zeros"}}):
        sent = client.post("/api/backward", json={"layer": layer, "upstream": upstream}).json()
        assert sent["upstream"] is None
    compact = client.post("/api/backward?encoding=compact",
                          json={"layer": layer, "upstream": fill}).json()
    np.testing.assert_allclose(compact_to_array(compact["upstream"]), up)
