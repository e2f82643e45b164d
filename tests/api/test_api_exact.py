"""Every answer's output is the sum of each neuron's own products: the forward, the steps and
the backward's ReLU gate agree, on layers large enough for the server to split over threads."""

from __future__ import annotations

import numpy as np
from api_helpers import answered, square
from fastapi.testclient import TestClient

# 64x64x16 under 32 3x3 filters, padding 1: deep enough and large enough for a fast kernel
# (Winograd's) to be tempting; the default fills are whole numbers, the edit a half.
HALF_BIAS = {**square(64, 16, 32, 3, padding=1), "activation": "relu",
             "edits": [{"array": "bias", "index": [31], "value": 0.5}]}


def test_a_half_bias_on_one_filter_leaves_the_other_filters_sums_whole(
    client: TestClient,
) -> None:
    pre = np.array(answered(client, "/api/forward", HALF_BIAS)["output_pre"])
    # every product and the other biases are whole numbers: the sums are exact
    np.testing.assert_array_equal(pre[..., :31], np.round(pre[..., :31]))
    np.testing.assert_array_equal(pre[..., 31] - 0.5, np.round(pre[..., 31] - 0.5))
    unedited = {key: value for key, value in HALF_BIAS.items() if key != "edits"}
    before = np.array(answered(client, "/api/forward", unedited)["output_pre"])
    np.testing.assert_array_equal(pre[..., :31], before[..., :31])
    for position in ([0, 0, 0], [17, 40, 8], [63, 63, 30]):
        step = answered(client, "/api/steps", {"layer": HALF_BIAS, "position": position})
        assert step["steps"][0]["pre"] == pre[tuple(position)]
    # the ReLU gate reads the exact sums: the other filters' bias gradients are the unedited
    # layer's (a neuron whose sum is exactly 0 passes nothing back)
    db = answered(client, "/api/backward", {"layer": HALF_BIAS, "parts": ["db"]})["db"]
    db_before = answered(client, "/api/backward", {"layer": unedited, "parts": ["db"]})["db"]
    assert db[:31] == db_before[:31]


def test_a_huge_input_value_leaves_the_neurons_that_do_not_read_it_alone(
    client: TestClient,
) -> None:
    rng = np.random.default_rng(17)
    x = rng.standard_normal((64, 64, 16))
    x[20, 20, :] = 1e15
    spec = {**square(64, 16, 16, 3, padding=1), "input": {"values": x.tolist()},
            "filters": {"values": rng.standard_normal((16, 3, 3, 16)).tolist(),
                        "bias": np.zeros(16).tolist()}}
    pre = np.array(answered(client, "/api/forward", spec)["output"])  # no activation
    # V[23, 23, :] reads X[22:25, 22:25, :] (padding 1): not X[20, 20]
    for d in (0, 14):
        step = answered(client, "/api/steps", {"layer": spec, "position": [23, 23, d]})["steps"][0]
        own = np.sum(x[22:25, 22:25, :] * np.array(spec["filters"]["values"][d]))
        assert abs(step["pre"] - own) < 1e-12
        assert abs(pre[23, 23, d] - own) < 1e-12


# A sample photograph's flat patches under Sobel: sums that are 0 in exact arithmetic, which
# the forward's GEMM, a step's own sum and the running gradient each rounded their own way
SCENE_SOBEL = {"input": {"shape": [72, 96, 3], "image": {"name": "scene"}},
               "filters": {"count": 2, "size": 3, "bank": "sobel"}, "activation": "relu"}


def test_a_sum_rounding_cannot_tell_from_zero_is_zero_in_every_endpoint(
    client: TestClient,
) -> None:
    # V[7,66,0]: +2.78e-17 in /api/forward, 0.0 in /api/steps, so the forward's ReLU let its
    # upstream through where the step's "ReLU blocks it"
    pre = np.array(answered(client, "/api/forward", SCENE_SOBEL)["output_pre"])
    assert pre[7, 66, 0] == 0
    step = answered(client, "/api/steps", {"layer": SCENE_SOBEL, "position": [7, 66, 0]})
    assert step["steps"][0]["pre"] == 0
    upstream = {"fill": {"seed": 0}}
    db = answered(client, "/api/backward",
                  {"layer": SCENE_SOBEL, "upstream": upstream, "parts": ["db"]})["db"]
    # a filter's running db at its last step, asked alone or at the end of a range, is db:
    # -7, -9 and -9 before
    per_slice = 70 * 94
    for d in (0, 1):
        last = (d + 1) * per_slice - 1
        for start, count in ((last, 1), (last - 99, 100)):
            found = answered(client, "/api/steps", {
                "layer": SCENE_SOBEL, "start": start, "count": count, "upstream": upstream,
            })["steps"][-1]
            assert found["bias_gradient_running"] == db[d], (d, start, count)


def test_an_exact_sum_smaller_than_its_terms_rounding_bound_is_kept_by_every_endpoint(
    client: TestClient,
) -> None:
    # the arithmetic review's layer: 1e15 + 0.5 - 1e15 is 0.5 in float64 in any order (and in
    # PyTorch's conv2d); the forward and the step said 0, their ReLU gate closed, dX was 0
    layer = {"input": {"values": [[[1e15], [0.5], [-1e15]]]},
             "filters": {"values": [[[[1], [1], [1]]]], "bias": [0]}, "activation": "relu"}
    assert answered(client, "/api/forward", layer)["output_pre"] == [[[0.5]]]
    [step] = answered(client, "/api/steps", {"layer": layer, "start": 0})["steps"]
    assert (step["channel_sums"], step["pre"], step["post"]) == ([0.5], 0.5, 0.5)
    dx = answered(client, "/api/backward", {"layer": layer, "upstream": {}})["dx"]
    assert dx == [[[1.0], [1.0], [1.0]]]


def test_a_small_exact_sum_beside_a_large_input_under_a_zero_weight_is_kept(
    client: TestClient,
) -> None:
    # the API review's layer: 1e11 * 0 + 1e-5 * 1 is 1e-5, which the step listed in its
    # channel sums while its pre, the forward and the gradients said 0
    layer = {"input": {"values": [[[1e11], [1e-5]]]},
             "filters": {"values": [[[[0.0], [1.0]]]], "bias": [0]}, "activation": "relu"}
    assert answered(client, "/api/forward", layer)["output_pre"] == [[[1e-5]]]
    [step] = answered(client, "/api/steps", {"layer": layer, "start": 0})["steps"]
    assert (step["channel_sums"], step["pre"], step["post"]) == ([1e-5], 1e-5, 1e-5)
    found = answered(client, "/api/backward", {"layer": layer, "upstream": {}})
    assert (found["dw"], found["db"]) == ([[[[1e11], [1e-5]]]], [1.0])
