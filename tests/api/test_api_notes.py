"""Every number of the CS231n conv-layer notes, reproduced through the REST API."""

from __future__ import annotations

from typing import Any

import numpy as np
from api_helpers import ALEXNET, answered, square
from fastapi.testclient import TestClient


def geometry(client: TestClient, spec: dict[str, Any]) -> dict[str, Any]:
    return answered(client, "/api/geometry", spec)


def test_seven_by_seven_with_three_by_three_gives_five_at_stride_one_and_three_at_two(
    client: TestClient,
) -> None:
    # (7 - 3 + 0)/1 + 1 = 5 and (7 - 3 + 0)/2 + 1 = 3
    assert geometry(client, square(7, 1, 1, 3))["output_shape"] == [5, 5, 1]
    assert geometry(client, square(7, 1, 1, 3, stride=2))["output_shape"] == [3, 3, 1]


def test_ten_wide_input_at_stride_two_is_answered_invalid_with_the_four_point_five_arithmetic(
    client: TestClient,
) -> None:
    answer = geometry(client, square(10, 1, 1, 3, stride=2))
    assert answer["valid"] is False
    assert answer["error"]["field"] == "stride"
    assert "(10 - 3 + 2*0)/2 + 1 = 4.5" in answer["error"]["message"]
    assert answer["width"]["exact"] == 4.5
    assert answer["output_shape"] is None
    # Padding one extra column at the bottom/right makes (10 - 3 + 1)/2 + 1 = 5 whole.
    fields = {s["field"] for s in answer["suggestions"]}
    assert {"padding", "stride", "fit"} <= fields
    assert any("no symmetric padding fits" in note for note in answer["notes"])


def test_forward_refuses_the_ten_wide_stride_two_layer_with_422_and_suggestions(
    client: TestClient,
) -> None:
    response = client.post("/api/forward", json=square(10, 1, 1, 3, stride=2))
    assert response.status_code == 422
    (entry,) = response.json()["detail"]
    assert entry["loc"] == ["body", "stride"]
    assert "4.5 is not an integer" in entry["msg"]
    assert entry["type"] == "layer_error"
    assert any(s["field"] == "fit" for s in entry["ctx"]["suggestions"])


def test_one_d_example_with_padding_one_keeps_five_and_without_gives_three(
    client: TestClient,
) -> None:
    # The notes' figure: input 5, F = 3, S = 1; P = 1 keeps 5 neurons, P = 0 gives 3.
    one_d = {"input": {"shape": [1, 5, 1]}, "filters": {"count": 1, "size": [1, 3]}}
    padded = geometry(client, {**one_d, "padding": [0, 1]})
    assert padded["output_shape"] == [1, 5, 1]
    assert padded["width"]["arithmetic"] == "(5 - 3 + 2*1)/1 + 1 = 5"
    assert geometry(client, one_d)["output_shape"] == [1, 3, 1]


def test_alexnet_conv1_counts_match_the_notes(client: TestClient) -> None:
    answer = geometry(client, ALEXNET)
    assert answer["output_shape"] == [55, 55, 96]
    assert answer["width"]["arithmetic"] == "(227 - 11 + 2*0)/4 + 1 = 55"
    counts = answer["counts"]
    assert counts == {
        "neurons": 55 * 55 * 96,  # 290,400
        "weights_per_neuron": 11 * 11 * 3,  # 363 (+1 bias)
        "weights_shared": 96 * 11 * 11 * 3,  # 34,848
        "parameters_shared": 96 * 11 * 11 * 3 + 96,  # 34,944
        "parameters_local": 290400 * 364,  # 105,705,600
        "multiply_adds": 290400 * 363,
        # the notes' im2col: X_col is [363 x 3025], one column per receptive field
        "im2col": [363, 55 * 55],
    }
    assert counts["neurons"] == 290_400
    assert counts["parameters_local"] == 105_705_600
    assert counts["weights_shared"] == 34_848
    assert counts["parameters_shared"] == 34_944


def test_alexnet_224_is_refused_under_fit_error_and_answered_under_fit_pad(
    client: TestClient,
) -> None:
    spec = square(224, 3, 96, 11, stride=4)
    refused = client.post("/api/forward", json=spec)
    assert refused.status_code == 422
    assert "(224 - 11 + 2*0)/4 + 1 = 54.25" in refused.json()["detail"][0]["msg"]
    answer = geometry(client, spec)
    assert answer["valid"] is False
    # The notes' guess: three extra pixels of padding. fit="pad" adds exactly those.
    padded = geometry(client, {**spec, "fit": "pad"})
    assert padded["output_shape"] == [55, 55, 96]
    assert padded["height"]["extra_padding"] == 3
    assert padded["fits"] is False


def test_example_one_has_seventy_five_weights_per_neuron(client: TestClient) -> None:
    # [32x32x3] input, 5x5 receptive field: 5*5*3 = 75 weights (+1 bias).
    answer = geometry(client, square(32, 3, 1, 5))
    assert answer["counts"]["weights_per_neuron"] == 75


def test_example_two_has_one_hundred_eighty_connections(client: TestClient) -> None:
    # [16x16x20] input, 3x3 receptive field: 3*3*20 = 180 connections.
    answer = geometry(client, square(16, 20, 1, 3))
    assert answer["counts"]["weights_per_neuron"] == 180


def test_numpy_example_is_four_by_four_and_its_steps_read_like_the_notes(
    client: TestClient,
) -> None:
    spec = square(11, 4, 2, 5, stride=2)
    assert geometry(client, spec)["output_shape"] == [4, 4, 2]
    # depth_slice order: t = d*16 + i*4 + j, so V[i,0,0] is step 4*i.
    first = client.post("/api/steps", json={"layer": spec, "start": 0, "count": 13})
    assert first.status_code == 200, first.text
    by_t = {s["t"]: s["expression"] for s in first.json()["steps"]}
    assert by_t[0] == "V[0,0,0] = np.sum(X[:5,:5,:] * W0) + b0"
    assert by_t[4] == "V[1,0,0] = np.sum(X[2:7,:5,:] * W0) + b0"
    assert by_t[8] == "V[2,0,0] = np.sum(X[4:9,:5,:] * W0) + b0"
    assert by_t[12] == "V[3,0,0] = np.sum(X[6:11,:5,:] * W0) + b0"
    second = client.post("/api/steps", json={"layer": spec, "start": 16, "count": 16})
    by_t = {s["t"]: s["expression"] for s in second.json()["steps"]}
    assert by_t[16] == "V[0,0,1] = np.sum(X[:5,:5,:] * W1) + b1"
    assert by_t[16 + 4] == "V[1,0,1] = np.sum(X[2:7,:5,:] * W1) + b1"
    assert by_t[16 + 1] == "V[0,1,1] = np.sum(X[:5,2:7,:] * W1) + b1"
    assert by_t[16 + 2 * 4 + 3] == "V[2,3,1] = np.sum(X[4:9,6:11,:] * W1) + b1"


def test_numpy_example_step_value_is_the_sum_its_expression_names(client: TestClient) -> None:
    spec = square(11, 4, 2, 5, stride=2)
    forward = client.post("/api/forward", json=spec).json()
    x = np.array(forward["padded_input"])
    w = np.array(forward["filters"])
    b = np.array(forward["bias"])
    step = client.post("/api/steps", json={"layer": spec, "start": 4, "count": 1}).json()
    # V[1,0,0] = np.sum(X[2:7,:5,:] * W0) + b0, evaluated here by hand
    assert step["steps"][0]["pre"] == np.sum(x[2:7, :5, :] * w[0]) + b[0]
    assert forward["output"][1][0][0] == np.sum(x[2:7, :5, :] * w[0]) + b[0]
