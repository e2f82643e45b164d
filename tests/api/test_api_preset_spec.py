"""A layer spec that names a preset: the preset's spec is the base and the request's fields
apply over it (``app/preset_specs.py``)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.layer_cache import LayerCache
from app.preset_specs import merged_over
from app.schemas import LayerSpec
from engine.presets import PRESETS


def preset_layer(client: TestClient, name: str) -> dict[str, Any]:
    response = client.get(f"/api/presets/{name}")
    assert response.status_code == 200
    layer: dict[str, Any] = response.json()["layer"]
    return layer


def forward(client: TestClient, layer: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/forward", json=layer)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize("name", ["cs231n-demo", "one-d-stride-2", "numpy-example"])
def test_a_named_preset_is_its_spelled_out_layer(client: TestClient, name: str) -> None:
    named = forward(client, {"preset": name})
    spelled = forward(client, preset_layer(client, name))
    assert named["output"] == spelled["output"]
    assert named["geometry"]["output_shape"] == spelled["geometry"]["output_shape"]


def test_fields_apply_over_the_preset_and_objects_merge(client: TestClient) -> None:
    """Only the input's seed and the activation change; the preset's sizes, stride and
    weights stay."""
    patch = {"preset": "cs231n-demo", "activation": "relu", "input": {"fill": {"seed": 7}}}
    spelled = preset_layer(client, "cs231n-demo")
    spelled["activation"] = "relu"
    spelled["input"]["fill"]["seed"] = 7
    named, expected = forward(client, patch), forward(client, spelled)
    assert named["output"] == expected["output"]
    plain = forward(client, {"preset": "cs231n-demo"})
    assert named["padded_input"] != plain["padded_input"]  # the seed did change the input
    assert named["filters"] == plain["filters"]  # and nothing else of the arrays
    assert np.min(named["output"]) >= 0  # the ReLU


def test_hand_worked_one_d_example_with_its_filter_replaced(client: TestClient) -> None:
    """The notes' 1-D input [1, 2, -1, 1, -3] with one zero each side (the preset), summed
    by a filter of ones with no bias: windows (0,1,2) (1,2,-1) (2,-1,1) (-1,1,-3) (1,-3,0)."""
    answer = forward(client, {"preset": "one-d-stride-1",
                              "filters": {"values": [[[[1], [1], [1]]]], "bias": [0]}})
    assert np.ravel(answer["output"]).tolist() == [3, 2, 2, -3, -2]


def test_null_is_not_given_as_without_a_preset(client: TestClient) -> None:
    """``values: null`` over a preset's explicit input lets the fill make it."""
    answer = forward(client, {"preset": "one-d-stride-1", "input": {"values": None}})
    spelled = preset_layer(client, "one-d-stride-1")
    del spelled["input"]["values"]
    assert answer["padded_input"] == forward(client, spelled)["padded_input"]
    assert np.ravel(answer["padded_input"]).tolist() != [0, 1, 2, -1, 1, -3, 0]


def test_a_null_where_a_spec_refuses_null_is_refused(client: TestClient) -> None:
    response = client.post("/api/forward", json={"preset": "cs231n-demo", "edits": None})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "edits"]]


def test_edits_and_steps_take_a_named_preset(client: TestClient) -> None:
    """Edits apply over the preset's arrays; a step by position of a named preset."""
    body = {"layer": {"preset": "cs231n-demo",
                      "edits": [{"array": "bias", "index": [1], "value": 5}]},
            "position": [1, 2, 1]}
    response = client.post("/api/steps", json=body)
    assert response.status_code == 200, response.text
    step = response.json()["steps"][0]
    assert (step["i"], step["j"], step["d"], step["bias"]) == (1, 2, 1, 5)
    assert step["pre"] == pytest.approx(sum(np.ravel(step["products"])) + 5)


def test_an_unknown_preset_is_one_error_at_its_name(client: TestClient) -> None:
    response = client.post("/api/forward", json={"preset": "alexnet", "stride": 2})
    assert response.status_code == 422
    (entry,) = response.json()["detail"]
    assert entry["loc"] == ["body", "preset"]
    assert entry["type"] == "unknown_name"
    assert "alexnet" in entry["msg"] and "alexnet-conv1" in entry["msg"]


def test_without_a_preset_input_and_filters_are_required(client: TestClient) -> None:
    response = client.post("/api/forward", json={"stride": 2})
    assert response.status_code == 422
    assert sorted(e["loc"][-1] for e in response.json()["detail"]) == ["filters", "input"]


def test_the_schema_requires_input_and_filters_only_without_a_preset(
    client: TestClient,
) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["LayerSpec"]
    assert "input" not in schema.get("required", [])
    branches = [branch["required"] for branch in schema["anyOf"]]
    assert branches == [["preset"], ["input", "filters"]]
    assert schema["properties"]["preset"]["anyOf"][0]["enum"] == list(PRESETS)
    # with a preset, input and filters are patches: the sizes are required of whole ones only
    assert "anyOf" not in client.get("/openapi.json").json()["components"]["schemas"][
        "InputSpec"]


def test_the_layer_cache_keys_a_named_and_a_spelled_out_layer_alike(
    client: TestClient,
) -> None:
    named = LayerSpec.model_validate({"preset": "alexnet-conv1"})
    spelled = LayerSpec.model_validate(preset_layer(client, "alexnet-conv1"))
    assert named.preset == "alexnet-conv1" and spelled.preset is None
    assert LayerCache.key(named) == LayerCache.key(spelled) is not None


def test_merged_over_leaves_both_sides_unchanged() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 2}
    patch = {"a": {"b": None, "e": {"f": 3}}, "d": [4]}
    before = copy.deepcopy((base, patch))
    merged = merged_over(base, patch)
    assert merged == {"a": {"b": None, "c": [1, 2], "e": {"f": 3}}, "d": [4]}
    assert (base, patch) == before


def test_a_new_size_over_a_presets_own_values_is_told_to_null_the_values(
    client: TestClient,
) -> None:
    # the notes' 1-D preset gives its input as values: a new size met "give input.shape null
    # ... or make them agree", though the values were the preset's and the size the
    # client's; input.values null (a fill) is what makes the size asked for work
    refused = client.post("/api/forward", json={"preset": "one-d-stride-1",
                                                "input": {"shape": [1, 7, 1]}})
    assert refused.status_code == 422
    message = refused.json()["detail"][0]["msg"]
    assert ("give input.values null (a fill then makes them the size asked for), or make "
            "them agree") in message, message
    answer = client.post("/api/forward", json={"preset": "one-d-stride-1",
                                               "input": {"shape": [1, 7, 1], "values": None}})
    assert answer.status_code == 200 and answer.json()["geometry"]["output_shape"] == [1, 7, 1]


@pytest.mark.parametrize(("patch", "field", "fixed"), [
    ({"filters": {"values": np.ones((1, 1, 1, 3)).tolist()}}, "filters.count and filters.size",
     {"filters": {"values": np.ones((1, 1, 1, 3)).tolist(), "count": None, "size": None}}),
    ({"input": {"values": np.ones((2, 2, 3)).tolist()}}, "input.shape",
     {"input": {"values": np.ones((2, 2, 3)).tolist(), "shape": None}, "padding": 0,
      "stride": 1, "filters": {"size": 1}}),
])
def test_values_over_a_presets_sizes_are_told_to_null_them_and_that_works(
    client: TestClient, patch: dict[str, Any], field: str, fixed: dict[str, Any]
) -> None:
    # leaving the size out keeps the preset's (the demo's 2 filters, its 5x5x3 input), so
    # "leave filters.count out" was advice that could not work
    refused = client.post("/api/forward", json={"preset": "cs231n-demo", **patch})
    assert refused.status_code == 422
    message = refused.json()["detail"][0]["msg"]
    it = "them" if " and " in field else "it"  # both of the filters' sizes disagree at once
    assert f"give {field} null (leaving {it} out keeps preset cs231n-demo's)" in message, message
    assert client.post("/api/forward", json={"preset": "cs231n-demo", **fixed}).status_code == 200
    # with no preset, leaving it out is the advice
    alone = client.post("/api/forward", json={
        "input": {"shape": [3, 3, 3], "values": np.ones((2, 2, 3)).tolist()},
        "filters": {"count": 1, "size": 1}})
    assert "leave input.shape out, or make them agree" in alone.json()["detail"][0]["msg"]
