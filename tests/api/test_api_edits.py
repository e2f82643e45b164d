"""A layer spec's sparse ``edits``: applied on the server, checked, small and cacheable."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from api_helpers import square
from fastapi.testclient import TestClient

from app import body_guard
from app.layer_cache import LAYERS, LayerCache
from app.schemas import LayerSpec

DEMO = square(5, 3, 2, 3, stride=2, padding=1)
EDITS = [{"array": "input", "index": [1, 2, 0], "value": 5},
         {"array": "filters", "index": [0, 0, 1, 2], "value": -1},
         {"array": "bias", "index": [1], "value": 3}]


def forward(client: TestClient, spec: dict[str, Any]) -> dict[str, Any]:
    answer = client.post("/api/forward", json=spec)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_an_edited_layer_equals_the_same_layer_with_explicit_values(client: TestClient) -> None:
    plain = forward(client, DEMO)
    x = np.array(plain["padded_input"])[1:6, 1:6, :]  # padding 1: the unpadded input
    w, b = np.array(plain["filters"]), np.array(plain["bias"])
    x[1, 2, 0], w[0, 0, 1, 2], b[1] = 5, -1, 3
    explicit = {**DEMO, "input": {"shape": [5, 5, 3], "values": x.tolist()},
                "filters": {"count": 2, "size": 3, "values": w.tolist(), "bias": b.tolist()}}
    edited = forward(client, {**DEMO, "edits": EDITS})
    assert edited == forward(client, explicit)
    assert edited["output"] != plain["output"]
    assert edited["padded_input"][2][3][0] == 5  # row 1, col 2 of the input, padded by 1


def test_steps_and_backward_see_the_edits(client: TestClient) -> None:
    plain = forward(client, DEMO)
    w = np.array(plain["filters"])
    w[1, 2, 2, 1] = 40
    layer = {**DEMO, "edits": [{"array": "bias", "index": [0], "value": 100},
                               {"array": "filters", "index": [1, 2, 2, 1], "value": 40}]}
    step = client.post("/api/steps", json={"layer": layer, "start": 0, "count": 1}).json()
    assert step["steps"][0]["bias"] == 100
    explicit = {**DEMO, "filters": {"count": 2, "size": 3, "values": w.tolist()}}
    back = client.post("/api/backward", json={"layer": layer, "upstream": {}}).json()
    assert back == client.post("/api/backward", json={"layer": explicit, "upstream": {}}).json()
    untouched = client.post("/api/backward", json={"layer": DEMO, "upstream": {}}).json()
    assert back["dx"] != untouched["dx"]  # dx runs through the edited weight


@pytest.mark.parametrize(
    ("edits", "loc", "words"),
    [
        ([EDITS[0], {"array": "input", "index": [5, 0, 0], "value": 1}],
         ["body", "edits", 1, "index"],
         "edits[1].index [5, 0, 0] is outside input of shape [5, 5, 3]"),
        ([{"array": "filters", "index": [0, 0, 1], "value": 1}],
         ["body", "edits", 0, "index"], "filters of shape [2, 3, 3, 3] needs 4"),
        ([{"array": "bias", "index": [2], "value": 1}],
         ["body", "edits", 0, "index"], "edits[0].index [2] is outside bias of shape [2]"),
    ],
)
def test_an_index_outside_the_array_is_a_422_naming_the_edit_and_the_shape(
    client: TestClient, edits: list[dict[str, Any]], loc: list[Any], words: str
) -> None:
    answer = client.post("/api/forward", json={**DEMO, "edits": edits})
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert entry["loc"] == loc
    assert words in entry["msg"]


def test_an_edit_in_a_steps_body_is_named_under_layer(client: TestClient) -> None:
    layer = {**DEMO, "edits": [{"array": "bias", "index": [7], "value": 1}]}
    answer = client.post("/api/steps", json={"layer": layer, "start": 0, "count": 1})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "layer", "edits", 0, "index"]


@pytest.mark.parametrize(
    ("edit", "loc"),
    [
        ({"array": "output", "index": [0], "value": 1}, ["body", "edits", 0, "array"]),
        ({"array": "bias", "index": [-1], "value": 1}, ["body", "edits", 0, "index", 0]),
        ({"array": "bias", "index": [], "value": 1}, ["body", "edits", 0, "index"]),
        ({"array": "bias", "index": [0], "value": "1"}, ["body", "edits", 0, "value"]),
        ({"array": "bias", "index": [0]}, ["body", "edits", 0, "value"]),
    ],
)
def test_a_malformed_edit_is_refused_by_the_schema(
    client: TestClient, edit: dict[str, Any], loc: list[Any]
) -> None:
    answer = client.post("/api/forward", json={**DEMO, "edits": [edit]})
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["detail"]] == [loc]


def test_the_number_of_edits_is_bounded_in_the_schema_and_by_the_setting(
    client: TestClient, override_settings: Any
) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["LayerSpec"]
    assert schema["properties"]["edits"]["maxItems"] == 1000
    many = [{"array": "bias", "index": [0], "value": n} for n in range(1001)]
    answer = client.post("/api/forward", json={**DEMO, "edits": many})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "edits"]
    override_settings(max_edits=2)
    answer = client.post("/api/forward", json={**DEMO, "edits": EDITS})
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert entry["loc"] == ["body", "edits"]
    assert "3, over this server's limit of 2 (CONVSCOPE_MAX_EDITS)" in entry["msg"]


@pytest.mark.parametrize("path", ["/api/forward", "/api/steps"])
def test_too_many_edits_are_refused_before_any_edit_is_validated(
    client: TestClient, path: str
) -> None:
    # 20,000 wrong edits: validated one by one they took seconds and answered 20,000 entries
    many = [{"array": "input", "index": [0, 0, 0], "value": "x"}] * 20_000
    layer = {**DEMO, "edits": many}
    body = layer if path == "/api/forward" else {"layer": layer}
    answer = client.post(path, json=body)
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert entry["loc"] == (["body", "edits"] if path == "/api/forward"
                            else ["body", "layer", "edits"])
    assert entry["msg"] == ("the number of edits is 20,000, over this server's limit of 1,000 "
                            "(CONVSCOPE_MAX_EDITS)")


@pytest.mark.parametrize("item", [1, "x", None, [0, 0, 0]], ids=["number", "text", "null", "list"])
def test_too_many_edits_that_are_not_objects_are_refused_before_validation(
    client: TestClient, item: Any
) -> None:
    # the check once looked only at lists of objects: 200,000 numbers took 8.5 s of the
    # event loop and answered 200,000 entries
    answer = client.post("/api/forward", json={**DEMO, "edits": [item] * 20_000})
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert entry["loc"] == ["body", "edits"] and entry["type"] == "over_limit"
    assert entry["msg"].startswith("the number of edits is 20,000, over this server's limit")


def test_an_edit_of_many_unknown_fields_is_one_refusal(client: TestClient) -> None:
    # a thousand edits of 64 unknown fields each were 64,000 entries and 2.6 s
    many = [{f"k{n}": n for n in range(64)}] * 1000
    answer = client.post("/api/forward", json={**DEMO, "edits": many})
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert entry["loc"] == ["body", "edits", 0] and entry["type"] == "extra_forbidden"
    assert entry["msg"] == ("edits[0] has 64 fields; an edit takes array, index and value "
                            "(unknown fields are refused)")


@pytest.mark.parametrize(("extra", "loc", "msg"), [
    ({"edits": [{}] * 1001}, ["body", "edits"], "the number of edits is 1,001, over this server"),
    ({f"k{n}": 0 for n in range(61)}, ["body"], "the body has 65 fields; no object of this API"),
    ({"edits": [{f"k{n}": n for n in range(6)}]}, ["body", "edits", 0],
     "edits[0] has 6 fields; an edit takes array, index and value"),
    ({"padding": [{}] * 1001}, ["body", "padding"],
     "padding holds 1,001 objects; only edits is a list of objects"),
])
def test_a_small_body_gets_the_one_refusal_a_large_one_gets(
    client: TestClient, extra: dict[str, Any], loc: list[Any], msg: str
) -> None:
    # under 16 KiB the guard does not run before validation; 1,001 empty edits (4 KB) got a
    # hundred "required" entries and no word of the limit
    body = {**DEMO, **extra}
    assert len(json.dumps(body)) < body_guard.CHECK_BYTES
    answer = client.post("/api/forward", json=body)
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert entry["loc"] == loc and entry["msg"].startswith(msg), entry


@pytest.mark.parametrize("body", [
    '{"a":' * 1000 + "1" + "}" * 1000,  # 6 KB: walked after validation refused it
    '{"x":' + '{"a":' * 1000 + "1" + "}" * 1000 + ', "pad": "' + "y" * 20_000 + '"}',  # before
])
def test_a_body_nested_as_deep_as_json_allows_is_a_422(client: TestClient, body: str) -> None:
    # the guard's walk recursed past Python's stack: a 500
    answer = client.post("/api/geometry", content=body,
                         headers={"content-type": "application/json"})
    assert answer.status_code == 422, answer.text


def test_a_body_wrong_in_a_thousand_places_lists_the_first_hundred(client: TestClient) -> None:
    answer = client.post("/api/forward", json={**DEMO, "edits": [1] * 1000})
    assert answer.status_code == 422
    entries = answer.json()["detail"]
    assert len(entries) == 101
    assert [e["loc"] for e in entries[:100]] == [["body", "edits", n] for n in range(100)]
    # how many, as the error table promises (it said only "more than the 100 listed")
    assert entries[-1] == {"loc": ["body"], "type": "too_many_errors",
                           "msg": "the body is wrong in 1,000 places, more than the 100 listed "
                                  "here; mend these and send it again to see the rest"}
    edits = [{"array": "input", "index": [0, 0, 0], "value": "x"}] * 150
    [*_, last] = client.post("/api/forward", json={**DEMO, "edits": edits}).json()["detail"]
    assert last["msg"].startswith("the body is wrong in 150 places, more than the 100 listed")


def test_an_object_of_thousands_of_unknown_fields_is_one_refusal(client: TestClient) -> None:
    spec = {**DEMO, **{f"k{n}": 0 for n in range(5000)}}
    answer = client.post("/api/geometry", json=spec)
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert entry["loc"] == ["body"] and entry["type"] == "extra_forbidden"
    assert entry["msg"].startswith("the body has 5,004 fields; no object of this API takes more")


def test_edited_layers_are_cached_under_a_key_that_holds_the_edits(client: TestClient) -> None:
    plain = LayerSpec.model_validate(DEMO)
    edited = LayerSpec.model_validate({**DEMO, "edits": EDITS})
    other = LayerSpec.model_validate({**DEMO, "edits": EDITS[:2]})
    keys = {LayerCache.key(plain), LayerCache.key(edited), LayerCache.key(other)}
    assert None not in keys and len(keys) == 3
    spec = {**DEMO, "input": {"shape": [5, 5, 3], "fill": {"seed": 4242}}, "edits": EDITS}
    first = forward(client, spec)
    key = LayerCache.key(LayerSpec.model_validate(spec))
    assert key is not None and LAYERS.get(key) is not None
    assert LAYERS.get(key).x[1, 2, 0] == 5  # type: ignore[union-attr]
    assert forward(client, spec) == first


def test_an_edited_alexnet_request_stays_small_on_the_wire() -> None:
    alexnet = square(227, 3, 96, 11, stride=4, edits=EDITS)
    assert len(json.dumps(alexnet)) < 400


def test_geometry_refuses_the_edits_the_layer_would_refuse(client: TestClient) -> None:
    # it said "valid: true" for edits every endpoint that makes the layer refuses
    for stride in (2, 3):  # a layer that fits, and a misfit (its input and filters are known)
        spec = {"input": {"shape": [5, 5, 3]}, "filters": {"count": 2, "size": 3},
                "stride": stride, "padding": 1,
                "edits": [{"array": "input", "index": [9, 0, 0], "value": 1},
                          {"array": "bias", "index": [2], "value": 1}]}
        answer = client.post("/api/geometry", json=spec)
        assert answer.status_code == 422
        assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
            (["body", "edits", 0, "index"],
             "edits[0].index [9, 0, 0] is outside input of shape [5, 5, 3]: row 9 is not in 0..4"),
            (["body", "edits", 1, "index"],
             "edits[1].index [2] is outside bias of shape [2]: filter 2 is not in 0..1"),
        ]
        spec["edits"] = [{"array": "bias", "index": [1], "value": 1}]
        assert client.post("/api/geometry", json=spec).status_code == 200


def test_the_input_endpoint_refuses_a_locally_connected_layers_edits_as_the_others_do(
    client: TestClient,
) -> None:
    # /api/input made the input and answered 200, never looking at the weights' edits
    spec = {"input": {"shape": [3, 3, 1]}, "connectivity": "local",
            "filters": {"count": 1, "size": 2},
            "edits": [{"array": "filters", "index": [7, 0, 0, 0, 0, 0], "value": 1},
                      {"array": "bias", "index": [0, 0, 1], "value": 1}]}
    answers = {endpoint: client.post(f"/api/{endpoint}", json=spec)
               for endpoint in ("input", "forward", "geometry")}
    for endpoint, answer in answers.items():
        assert answer.status_code == 422, endpoint
        assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
            (["body", "edits", 0, "index"], "edits[0].index [7, 0, 0, 0, 0, 0] is outside filters "
             "of shape [2, 2, 1, 2, 2, 1]: output row 7 is not in 0..1"),
            (["body", "edits", 1, "index"],
             "edits[1].index [0, 0, 1] is outside bias of shape [2, 2, 1]: "
             "filter 1 is not in 0..0"),
        ], endpoint
    spec["edits"] = [{"array": "filters", "index": [1, 0, 0, 0, 0, 0], "value": 1}]
    assert client.post("/api/input", json=spec).status_code == 200
    # a misfit's weights have no output size: any output position is taken, and the filter,
    # row, column and depth are checked (filter 5 of one was answered, and every suggestion
    # applied was then refused)
    spec |= {"stride": 2, "input": {"shape": [10, 10, 1]},
             "filters": {"count": 1, "size": 3}}  # (10 - 3)/2 + 1 = 4.5
    spec["edits"] = [{"array": "filters", "index": [9, 9, 0, 1, 1, 0], "value": 1},
                     {"array": "filters", "index": [0, 0, 5, 0, 0, 0], "value": 1}]
    for endpoint in ("input", "geometry"):
        answer = client.post(f"/api/{endpoint}", json=spec)
        assert answer.status_code == 422, endpoint
        assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
            (["body", "edits", 1, "index"], "edits[1].index [0, 0, 5, 0, 0, 0] is outside filters "
             "of shape [?, ?, 1, 3, 3, 1]: filter 5 is not in 0..0")], endpoint
    spec["edits"] = spec["edits"][:1]
    assert client.post("/api/input", json=spec).status_code == 200


@pytest.mark.parametrize("path", ["/api/forward", "/api/input"])
def test_an_edit_of_no_cell_is_refused_before_any_array_is_made(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    # the forward built the layer's arrays, and the shared input made its input, first
    from app import convert

    made: list[str] = []
    for name in ("build_layer", "make_input", "make_filters"):
        real = getattr(convert, name)
        monkeypatch.setattr(convert, name, lambda *a, _n=name, _r=real, **k: made.append(_n)
                            or _r(*a, **k))
    body = {"input": {"shape": [20, 8, 3], "fill": {"kind": "uniform", "seed": 987}},
            "filters": {"count": 3, "size": 6}, "padding": 4, "fit": "floor",
            "edits": [{"array": "input", "index": [4, 0, 9], "value": 1}]}
    answer = client.post(path, json=body)
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert entry["loc"] == ["body", "edits", 0, "index"]
    assert "depth 9 is not in 0..2" in entry["msg"]
    assert made == []
