"""The OpenAPI document states what the server enforces: the limits of the settings in force,
list lengths, enums, and a description on every field."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import app, create_app

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def small() -> Doc:
    settings = Settings(max_side=64, max_depth=8, max_filters=5, max_steps=10, max_image_side=32)
    document: Doc = create_app(settings).openapi()
    return document


def schema(doc: Doc, name: str) -> Doc:
    found: Doc = doc["components"]["schemas"][name]
    return found


def branches(prop: Doc) -> list[Doc]:
    return [b for b in prop.get("anyOf", [prop]) if b.get("type") != "null"]


def test_layer_bounds_are_the_servers_settings(small: Doc) -> None:
    layer = schema(small, "LayerSpec")["properties"]
    for name in ("stride", "dilation", "padding"):
        for branch in branches(layer[name]):
            bound = branch if branch["type"] == "integer" else branch["items"]
            assert bound["maximum"] == 64, name
    shape = branches(schema(small, "InputSpec")["properties"]["shape"])[0]
    assert [item["maximum"] for item in shape["prefixItems"]] == [64, 64, 8]
    count = branches(schema(small, "FiltersSpec")["properties"]["count"])[0]
    assert count["maximum"] == 5
    assert schema(small, "StepsRequest")["properties"]["count"]["maximum"] == 10


def test_dilation_says_how_it_counts_against_the_notes(small: Doc) -> None:
    # the notes' dilation 1 (one cell skipped) is PyTorch's and this API's 2
    said = schema(small, "LayerSpec")["properties"]["dilation"]["description"]
    assert "1 = none" in said and "their dilation 1 is 2 here" in said


def test_an_app_built_with_settings_enforces_the_limits_it_publishes() -> None:
    # the document stated the given settings' limits while the handlers read the
    # environment's: max_steps 5 published, a count of 10 answered; a 200x200 input under
    # max_side 100 computed
    from fastapi.testclient import TestClient

    app_small = create_app(Settings(max_steps=5, max_side=100))
    with TestClient(app_small) as client:
        published = client.get("/openapi.json").json()
        assert schema(published, "StepsRequest")["properties"]["count"]["maximum"] == 5
        layer = {"input": {"shape": [7, 7, 1]}, "filters": {"count": 1, "size": 3}}
        assert client.post("/api/steps", json={"layer": layer, "count": 5}).status_code == 200
        refused = client.post("/api/steps", json={"layer": layer, "count": 6})
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
            "body", "count"]
        wide = {"input": {"shape": [200, 200, 1]}, "filters": {"count": 1, "size": 3}}
        refused = client.post("/api/forward", json=wide)
        assert refused.status_code == 422, refused.text
        assert "100" in refused.json()["detail"][0]["msg"]


def test_the_image_side_query_is_bounded_by_the_setting(small: Doc) -> None:
    params = small["paths"]["/api/images/{name}"]["get"]["parameters"]
    side = next(p for p in params if p["name"] == "max_side")
    assert side["schema"]["maximum"] == 32


def test_the_default_document_has_the_default_limits() -> None:
    layer = app.openapi()["components"]["schemas"]["LayerSpec"]["properties"]
    assert branches(layer["stride"])[0]["maximum"] == Settings().max_side


def test_padding_takes_one_two_or_four_numbers(small: Doc) -> None:
    padding = schema(small, "LayerSpec")["properties"]["padding"]
    lengths = sorted(
        (b["minItems"], b["maxItems"]) for b in branches(padding) if b["type"] == "array"
    )
    assert lengths == [(1, 1), (2, 2), (4, 4)]
    assert [b["type"] for b in branches(padding)].count("integer") == 1


def test_enums_are_stated(small: Doc) -> None:
    layer = schema(small, "LayerSpec")["properties"]
    assert layer["fit"]["enum"] == ["error", "floor", "pad"]
    assert layer["connectivity"]["enum"] == ["shared", "local"]
    assert schema(small, "FillSpec")["properties"]["kind"]["enum"] == [
        "integers", "uniform", "normal", "zeros", "ones"
    ]


def test_cross_field_rules_are_in_the_descriptions(small: Doc) -> None:
    fill = schema(small, "FillSpec")["properties"]
    assert "<= `high`" in fill["low"]["description"]
    assert ">= `low`" in fill["high"]["description"]
    assert "must agree" in schema(small, "FiltersSpec")["properties"]["count"]["description"]
    # an integers fill between two whole numbers is refused: the schema says so
    for field in ("kind", "low", "high"):
        assert "whole number" in fill[field]["description"], field


def test_the_layer_states_the_budgets_in_force() -> None:
    document = create_app(Settings(max_work=123_456, max_elements=7_890)).openapi()
    description = schema(document, "LayerSpec")["description"]
    assert "CONVSCOPE_MAX_WORK = 123,456 and CONVSCOPE_MAX_ELEMENTS = 7,890" in description
    assert "element" in description.split("This server")[0]  # what the limit counts


def test_shape_or_values_is_required_by_the_schema(small: Doc) -> None:
    """Of a whole layer's input and filters (a preset's patch may give any of their fields)."""
    whole = schema(small, "LayerSpec")["anyOf"][1]["properties"]
    assert [clause["required"] for clause in whole["input"]["anyOf"]] == [["shape"], ["values"]]
    assert [clause["required"] for clause in whole["filters"]["anyOf"]] == [
        ["count", "size"], ["values"]]


def test_every_field_has_a_description(small: Doc) -> None:
    missing = [
        f"{name}.{field}"
        for name, model in small["components"]["schemas"].items()
        for field, prop in model.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert missing == []


def test_every_refusal_uses_the_one_error_schema(small: Doc) -> None:
    refs = {
        answer["content"]["application/json"]["schema"]["$ref"]
        for path in small["paths"].values()
        for operation in path.values()
        for status, answer in operation["responses"].items()
        if status.startswith("4")
    }
    assert refs == {"#/components/schemas/ErrorResult"}
    assert "HTTPValidationError" not in small["components"]["schemas"]


def test_every_operation_states_the_refusals_the_servers_layers_answer(small: Doc) -> None:
    # an unknown query parameter is a 422 on every API route, GETs included; a body that
    # stops arriving a 408 and a full heavy-request gate a 503 (with Retry-After) on POSTs
    missing = []
    for path, operations in small["paths"].items():
        for method, operation in operations.items():
            wanted = {"422"} | ({"408", "503"} if method == "post" else set())
            missing += [f"{method} {path} {status}" for status in sorted(wanted)
                        if status not in operation["responses"]]
    assert missing == []
    busy = small["paths"]["/api/forward"]["post"]["responses"]["503"]
    assert "Retry-After" in busy["headers"]
    assert busy["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResult")


def test_path_names_list_the_known_names(small: Doc) -> None:
    from app.images import SAMPLES
    from engine.filterbanks import BANKS
    from engine.presets import PRESETS

    for path, names in (("/api/presets/{name}", PRESETS), ("/api/images/{name}", SAMPLES),
                        ("/api/filter-banks/{name}", BANKS)):
        (param,) = small["paths"][path]["get"]["parameters"][:1]
        assert param["name"] == "name"
        assert param["schema"]["enum"] == list(names)
        assert param["description"].startswith("the ")


def schema_accepts(doc: Doc, name: str, body: Any) -> bool:
    """Whether a client true to the document would send ``body`` as a ``name``."""
    import jsonschema_rs

    ref = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    return bool(jsonschema_rs.Draft202012Validator(ref).is_valid(body))


ONE = {"input": {"shape": [1, 1, 1]}, "filters": {"count": 1, "size": 1}}
# Bodies the server refuses for a rule JSON Schema can state: the document must refuse them
# too, so that a generated client does (an array's nesting, its numbers and their bounds).
ARRAYS_REFUSED = [
    ("LayerSpec", {**ONE, "input": {"values": [1, 2]}}),  # (H, W, D) is three levels deep
    ("LayerSpec", {**ONE, "input": {"values": [[["a"]]]}}),
    ("LayerSpec", {**ONE, "input": {"values": [[[True]]]}}),
    ("LayerSpec", {**ONE, "input": {"values": [[[1e16]]]}}),
    ("LayerSpec", {**ONE, "input": {"values": [[[]]]}}),  # an empty axis
    ("LayerSpec", {**ONE, "filters": {"values": [[[1]]]}}),  # shared 4 deep, local 6
    ("LayerSpec", {**ONE, "filters": {"count": 1, "size": 1, "bias": [[1]]}}),  # 1 or 3 deep
    ("LayerSpec", {**ONE, "filters": {"count": 1, "size": 1, "bias": [-2e15]}}),
    ("BackwardRequest", {"layer": ONE, "upstream": {"values": [[1]]}}),
    ("LayerSpec", {**ONE, "input": {"values": {"dtype": "float32", "shape": [],
                                               "data": "AACAPw=="}}}),
]
ARRAYS_ACCEPTED = [
    ("LayerSpec", {**ONE, "input": {"values": [[[1, 2.5]], [[-1e15, 1e15]]]}}),
    ("LayerSpec", {**ONE, "filters": {"values": [[[[1]]]], "bias": [0]}}),
    ("LayerSpec", {**ONE, "connectivity": "local",
                   "filters": {"values": [[[[[[1]]]]]], "bias": [[[0]]]}}),
    ("BackwardRequest", {"layer": ONE, "upstream": {"values": [[[1]]]}}),
    ("LayerSpec", {**ONE, "input": {"values": {"dtype": "float32", "shape": [1, 1, 1],
                                               "data": "AACAPw=="}}}),
]


@pytest.mark.parametrize(("name", "body", "taken"), [
    *((name, body, False) for name, body in ARRAYS_REFUSED),
    *((name, body, True) for name, body in ARRAYS_ACCEPTED),
])
def test_the_schema_and_the_server_agree_on_arrays(
    small: Doc, client: Any, name: str, body: Any, taken: bool
) -> None:
    path = "/api/backward" if name == "BackwardRequest" else "/api/forward"
    assert client.post(path, json=body).status_code == (200 if taken else 422)
    assert schema_accepts(small, name, body) is taken


def _compact(shape: list[int]) -> Doc:
    """A float32 compact array of ``shape``, zeros."""
    import base64

    n = 1
    for side in shape:
        n *= side
    return {"dtype": "float32", "shape": shape, "data": base64.b64encode(bytes(4 * n)).decode()}


# Arrays past the small settings' lengths, or of the wrong number of axes given compact: the
# server refused them while the document let every length and 1 to 6 axes through
SMALL_ARRAYS_REFUSED = [
    ("LayerSpec", {"input": {"values": [[[0]]] * 65}, "filters": {"count": 1, "size": 1}}),
    ("LayerSpec", {"input": {"values": [[[0] * 9]]}, "filters": {"count": 1, "size": 1}}),
    ("LayerSpec", {**ONE, "filters": {"values": [[[[0]]]] * 6}}),
    ("LayerSpec", {**ONE, "filters": {"count": 1, "size": 1, "bias": [0] * 6}}),
    ("LayerSpec", {"input": {"values": _compact([65, 1, 1])},
                   "filters": {"count": 1, "size": 1}}),
    ("LayerSpec", {"input": {"values": _compact([9])}, "filters": {"count": 1, "size": 2}}),
    ("LayerSpec", {"input": {"values": _compact([3, 3, 1, 1])},
                   "filters": {"count": 1, "size": 1}}),
    ("LayerSpec", {**ONE, "filters": {"values": _compact([1, 1, 1])}}),
    ("BackwardRequest", {"layer": ONE, "upstream": {"values": _compact([1])}}),
]
# ...and at the settings' lengths both take them
SMALL_ARRAYS_ACCEPTED = [
    ("LayerSpec", {"input": {"values": [[[0] * 8]] * 64}, "filters": {"count": 1, "size": 1}}),
    ("LayerSpec", {**ONE, "filters": {"values": [[[[0]]]] * 5, "bias": [0] * 5}}),
    ("LayerSpec", {"input": {"values": _compact([64, 1, 8])},
                   "filters": {"count": 1, "size": 1}}),
    ("BackwardRequest", {"layer": ONE, "upstream": {"values": _compact([1, 1, 1])}}),
]


@pytest.mark.parametrize(("name", "body", "taken"), [
    *((name, body, False) for name, body in SMALL_ARRAYS_REFUSED),
    *((name, body, True) for name, body in SMALL_ARRAYS_ACCEPTED),
])
def test_the_schema_bounds_each_axis_of_an_array_by_the_settings(
    small: Doc, name: str, body: Any, taken: bool
) -> None:
    settings = Settings(max_side=64, max_depth=8, max_filters=5, max_steps=10,
                        max_image_side=32)
    with TestClient(create_app(settings)) as client:
        path = "/api/backward" if name == "BackwardRequest" else "/api/forward"
        assert client.post(path, json=body).status_code == (200 if taken else 422)
    assert schema_accepts(small, name, body) is taken


def test_the_answers_arrays_state_their_axes(small: Doc) -> None:
    # they were {"type": "array", "items": {}}: a generated client typed them list[Any]
    step = schema(small, "StepResult")["properties"]
    nested_lists, compact = branches(step["window"])
    assert nested_lists["items"]["items"]["items"]["type"] == "number"
    assert compact["properties"]["shape"]["minItems"] == compact["properties"]["shape"][
        "maxItems"] == 3
    depths = []
    for branch in branches(schema(small, "BackwardResult")["properties"]["dw"])[:-1]:
        depth, node = 0, branch
        while node.get("type") == "array":
            depth, node = depth + 1, node["items"]
        depths.append(depth)
    assert depths == [4, 6]


# 1e300 is an integer to JSON Schema (no fraction) and a float past 2**53 to the server, which
# takes no whole number that large: the document's maximum keeps a client from sending it.
HUGE_WHOLE_REFUSED = [
    ("StepsRequest", "/api/steps", {"layer": ONE, "start": 1e300}),
    ("StepsRequest", "/api/steps", {"layer": ONE, "every": 1e300}),
    ("StepsRequest", "/api/steps", {"layer": ONE, "position": [0, 0, 1e300]}),
    ("InverseRequest", "/api/inverse", {"layer": ONE, "cell": [1e300, 0]}),
    ("LayerSpec", "/api/forward", {**ONE, "edits": [
        {"array": "input", "index": [0, 1e300, 0], "value": 1}]}),
    ("LayerSpec", "/api/forward", {**ONE, "input": {"values": {
        "dtype": "float32", "shape": [1, 1, 1e300], "data": "AACAPw=="}}}),
]


IMAGE = {"name": "vertical-edge"}
# Fields the server takes one or the other of, never both: JSON Schema's "not" says so.
EITHER_REFUSED = [
    ("LayerSpec", "/api/forward", {**ONE, "input": {"values": [[[1]]], "image": IMAGE}}),
    ("LayerSpec", "/api/forward", {**ONE, "filters": {"values": [[[[1]]]], "bank": "sobel"}}),
    ("StepsRequest", "/api/steps", {"layer": ONE, "start": 0, "position": [0, 0, 0]}),
]
EITHER_ACCEPTED = [
    ("LayerSpec", "/api/forward", {**ONE, "input": {"values": [[[1]]], "image": None}}),
    ("StepsRequest", "/api/steps", {"layer": ONE, "start": None, "position": [0, 0, 0]}),
    ("StepsRequest", "/api/steps", {"layer": ONE, "start": 0, "position": None}),
]


@pytest.mark.parametrize(("name", "path", "body"), EITHER_REFUSED + HUGE_WHOLE_REFUSED)
def test_the_schema_refuses_both_of_two_fields_and_whole_numbers_past_2_53(
    small: Doc, client: Any, name: str, path: str, body: Any
) -> None:
    assert client.post(path, json=body).status_code == 422
    assert not schema_accepts(small, name, body)


@pytest.mark.parametrize(("name", "path", "body"), EITHER_ACCEPTED)
def test_the_schema_takes_one_of_two_fields_or_the_other_null(
    small: Doc, client: Any, name: str, path: str, body: Any
) -> None:
    assert client.post(path, json=body).status_code == 200
    assert schema_accepts(small, name, body)


@pytest.mark.parametrize(("name", "field", "length"), [
    ("GeometryResult", "output_shape", 3), ("GeometryResult", "padded_shape", 3),
    ("GeometryResult", "padding", 4), ("InputResult", "padding", 4),
    ("SuggestionResult", "output", 2),
    ("StepResult", "rows", 3), ("StepResult", "cols", 3),
    ("StepResult", "input_rows", 3), ("StepResult", "input_cols", 3),
    ("ImageInput", "shape", 3), ("ImageResult", "shape", 3),
    ("ImageResult", "original_shape", 2),
])
def test_the_answers_fixed_length_lists_state_their_length(
    small: Doc, name: str, field: str, length: int
) -> None:
    # a generated client reads [H2, W2, K] as a triple only if the schema says it is one
    (branch,) = branches(schema(small, name)["properties"][field])
    assert (branch["minItems"], branch["maxItems"]) == (length, length)



@pytest.mark.parametrize("field", ["padded_shape", "padding"])
def test_a_misfits_padding_and_padded_shape_are_never_null_in_the_schema(
    small: Doc, client: Any, field: str
) -> None:
    # a misfit's answer gives both (the padding asked for, the input inside it): a generated
    # client typing them as optional would make every reader check for a null never sent
    misfit = {"input": {"shape": [8, 8, 1]}, "filters": {"count": 1, "size": 3}, "stride": 2,
              "padding": [1, 0, 0, 2]}
    answer = client.post("/api/geometry", json=misfit).json()
    assert answer["valid"] is False and answer[field] is not None
    assert schema_accepts(small, "GeometryResult", answer)
    assert not schema_accepts(small, "GeometryResult", {**answer, field: None})
    assert field in schema(small, "GeometryResult")["required"]

def _edit(array: str, index: list[int], connectivity: str = "shared") -> dict[str, Any]:
    layer = {"input": {"shape": [2, 2, 1]}, "filters": {"count": 1, "size": 1},
             "connectivity": connectivity}
    return {**layer, "edits": [{"array": array, "index": index, "value": 1}]}


@pytest.mark.parametrize("body", [
    _edit("input", [0, 0]), _edit("input", [0, 0, 0, 0]), _edit("bias", [0, 0]),
    _edit("filters", [0, 0, 0]), _edit("filters", [0, 0, 0, 0, 0]),
])
def test_the_schema_refuses_an_edit_index_no_array_of_its_kind_has(
    small: Doc, client: Any, body: Any
) -> None:
    # the input has three axes, the filters four (shared) or six (local), the biases one or
    # three: an index of another length is refused whatever the layer
    assert client.post("/api/forward", json=body).status_code == 422
    assert not schema_accepts(small, "LayerSpec", body)


@pytest.mark.parametrize("body", [
    _edit("input", [0, 0, 0]), _edit("bias", [0]), _edit("filters", [0, 0, 0, 0]),
    _edit("bias", [0, 0, 0], "local"), _edit("filters", [0, 0, 0, 0, 0, 0], "local"),
])
def test_the_schema_takes_an_edit_index_of_its_arrays_length(
    small: Doc, client: Any, body: Any
) -> None:
    assert client.post("/api/forward", json=body).status_code == 200
    assert schema_accepts(small, "LayerSpec", body)


def test_the_guides_example_answers_what_the_guide_says(client: TestClient) -> None:
    # /docs opened on a bare list of operations: the guide above them is what a newcomer
    # reads first, so its example is sent and its numbers compared
    guide = client.get("/openapi.json").json()["info"]["description"]
    example = re.search(r"```json\n(.*?)\n```", guide, re.S)
    stated = re.search(r"a (\d+)x(\d+)x(\d+) output whose `V\[0,0,:\]` is `(\[[^\]]+\])`", guide)
    assert example and stated, guide
    answer = client.post("/api/forward", json=json.loads(example.group(1)))
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["geometry"]["output_shape"] == [int(n) for n in stated.groups()[:3]]
    assert found["output"][0][0] == json.loads(stated.group(4))
    preset = client.post("/api/forward", json={"preset": "cs231n-demo"}).json()
    assert preset["output"] == found["output"]  # "the same layer", as it says
    # every refusal status it names is one the document declares somewhere
    declared = {status for operations in client.get("/openapi.json").json()["paths"].values()
                for operation in operations.values() for status in operation["responses"]}
    named = set(re.findall(r"\b(4\d\d|503):", guide))
    assert named == {"422", "413", "415", "408", "503"} and named <= declared, named - declared


@pytest.mark.parametrize(("path", "schema"), [
    ("/api/geometry", "LayerSpec"), ("/api/steps", "StepsRequest"),
    ("/api/inverse", "InverseRequest")])
def test_an_answer_example_is_the_servers_answer_to_the_request_example(
    client: TestClient, path: str, schema: str
) -> None:
    # /docs showed the generator's zeros ("t": 0, "rows": [0, 0, 0], "expression": "string")
    # under a request for the demo's V[1,2,0]
    document = client.get("/openapi.json").json()
    sent = document["components"]["schemas"][schema]["examples"][0]
    shown = document["paths"][path]["post"]["responses"]["200"]["content"][
        "application/json"]["example"]
    answer = client.post(path, json=sent)
    assert answer.status_code == 200, answer.text
    assert shown == answer.json()
    if path == "/api/steps":  # the neuron asked for, with its numbers
        step = shown["steps"][0]
        assert [step["i"], step["j"], step["d"]] == sent["position"]
        assert step["expression"].startswith("V[1,2,0] = np.sum(Xp[")


def test_a_server_that_refuses_the_request_example_shows_no_answer_to_it() -> None:
    # a budget below the demo's: the document was not built at all (the handler's refusal
    # rose through it)
    document = create_app(Settings(max_work=123_456)).openapi()
    content = document["paths"]["/api/steps"]["post"]["responses"]["200"]["content"]
    assert "example" not in content["application/json"]


@pytest.mark.parametrize(("path", "schema", "at"), [
    ("/api/forward", "LayerSpec", None), ("/api/steps", "StepsRequest", "layer"),
    ("/api/inverse", "InverseRequest", "layer"), ("/api/backward", "BackwardRequest", "layer")])
def test_a_422_example_is_the_servers_refusal_of_the_example_made_a_misfit(
    client: TestClient, path: str, schema: str, at: str | None
) -> None:
    # the 422 showed {"loc": ["string", 0], "msg": "string", "type": "string"}
    document = client.get("/openapi.json").json()
    sent = document["components"]["schemas"][schema]["examples"][0]
    shown = document["paths"][path]["post"]["responses"]["422"]["content"][
        "application/json"]["example"]
    stride_3 = ({**sent, "stride": 3} if at is None
                else {**sent, at: {**sent[at], "stride": 3}})
    answer = client.post(path, json=stride_3)
    assert answer.status_code == 422, answer.text
    assert shown == answer.json()
    assert shown["detail"][0]["msg"].startswith("height: (5 - 3 + 2*1)/3 + 1 ≈ 2.333")


@pytest.mark.parametrize(("path", "status", "headers", "body"), [
    ("/api/forward", "413", {"Content-Type": "application/json"}, b" " * 2000),
    ("/api/images", "413", {"Content-Type": "image/png"}, b"\x89PNG" * 1500),
    ("/api/steps", "415", {"Content-Type": "text/plain"}, b"{}"),
])
def test_a_transport_refusals_example_is_the_one_this_server_sends(
    path: str, status: str, headers: dict[str, str], body: bytes
) -> None:
    # the 413 and 415 examples were {"loc": ["string", 0], "msg": "string"}; each path's own
    # limit is the one its 413 states (each body twice its limit, as the example declares one)
    app = create_app(Settings(max_body_bytes=1000, max_upload_bytes=3000))
    client = TestClient(app)
    answer = client.post(path, content=body, headers=headers)
    assert answer.status_code == int(status), answer.text
    shown = app.openapi()["paths"][path]["post"]["responses"][status]["content"][
        "application/json"]["example"]
    assert shown == answer.json()


def test_every_refusal_in_the_document_shows_an_example(small: Doc) -> None:
    # without one, /docs shows the generator's {"loc": ["string", 0], "msg": "string"}
    bare = [f"{method} {path} {status}"
            for path, operations in small["paths"].items() if path.startswith("/api/")
            for method, operation in operations.items()
            for status, response in operation["responses"].items()
            if status != "200" and not {"example", "examples"} & set(
                response.get("content", {}).get("application/json", {}))]
    assert bare == []


def shown_refusal(doc: Doc, method: str, path: str, status: str, named: str | None) -> Any:
    content = doc["paths"][path][method]["responses"][status]["content"]["application/json"]
    return content["example"] if named is None else content["examples"][named]["value"]


# (method, document path, status, the example's name or None for the only one, what is sent)
HANDLER_REFUSALS = [
    ("get", "/api/health", "422", None, "/api/health?encoding=compact"),
    ("get", "/api/presets", "422", None, "/api/presets?encoding=compact"),
    ("get", "/api/presets/{name}", "422", None, "/api/presets/example-1?name=cs231n-demo"),
    ("get", "/api/presets/{name}", "404", None, "/api/presets/alexnet"),
    ("get", "/api/filter-banks/{name}", "404", None, "/api/filter-banks/edges"),
    ("get", "/api/images/{name}", "404", None, "/api/images/edges"),
    ("get", "/api/images/{name}", "422", "?encodign=compact: a parameter it does not take",
     "/api/images/scene?encodign=compact"),
    ("get", "/api/images/{name}", "422", "?max_side=33: over this server's limit",
     "/api/images/scene?max_side=33"),
]


@pytest.mark.parametrize(("method", "path", "status", "named", "sent"), HANDLER_REFUSALS)
def test_a_get_refusals_example_is_the_one_this_server_sends(
    method: str, path: str, status: str, named: str | None, sent: str
) -> None:
    settings = Settings(max_image_side=32)  # the example's max_side is this limit's, plus one
    app = create_app(settings)
    answer = TestClient(app).get(sent)
    assert answer.status_code == int(status), answer.text
    assert shown_refusal(app.openapi(), method, path, status, named) == answer.json()


PNG_BOMB_NAME = "a PNG whose header declares 50000x50000 pixels"


@pytest.mark.parametrize(("path", "status", "named", "headers", "body"), [
    ("/api/images", "415", "sent as text/plain", {"Content-Type": "text/plain"}, b"x"),
    ("/api/images", "415", "a GIF's bytes", {"Content-Type": "image/png"}, b"GIF89a" * 9),
    ("/api/images", "422", "an empty body", {"Content-Type": "image/png"}, b""),
    ("/api/images?max_side=33", "422", "?max_side=33: over this server's limit",
     {"Content-Type": "image/png"}, b"x"),
    ("/api/geometry", "422", None, {}, None),
    ("/api/input", "422", None, {}, None),
])
def test_a_post_refusals_example_is_the_one_this_server_sends(
    path: str, status: str, named: str | None, headers: dict[str, str], body: bytes | None
) -> None:
    app = create_app(Settings(max_image_side=32))
    client = TestClient(app)
    document = app.openapi()
    if body is None:  # the layer's example with stride 0, as its example says
        layer = {**document["components"]["schemas"]["LayerSpec"]["examples"][0], "stride": 0}
        answer = client.post(path, json=layer)
    else:
        answer = client.post(path, content=body, headers=headers)
    assert answer.status_code == int(status), answer.text
    shown = shown_refusal(document, "post", path.split("?")[0], status, named)
    assert shown == answer.json()


def test_the_decompression_bombs_example_is_what_its_header_gets() -> None:
    # a PNG signature and an IHDR chunk (with its CRC) declaring 50000x50000 pixels
    import struct
    import zlib

    app = create_app(Settings())
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(
        ">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    header += struct.pack(">I", zlib.crc32(header[12:]))
    answer = TestClient(app).post("/api/images", content=header + b"\x00" * 100,
                                  headers={"Content-Type": "image/png"})
    assert answer.status_code == 422, answer.text
    assert "50000x50000" in answer.json()["detail"][0]["msg"]
    assert shown_refusal(app.openapi(), "post", "/api/images", "422",
                         PNG_BOMB_NAME) == answer.json()


def test_answer_fields_always_sent_are_required_even_when_null(
    small: Doc, client: TestClient
) -> None:
    # optional in the schema, a generated client typed them "X | None = None": it could not
    # tell a null sent from a field missing
    always = {"StepResult": ["upstream", "weight_gradient", "weight_gradient_running",
                             "bias_gradient_running"], "InputResult": ["filters", "bias"]}
    for name, fields in always.items():
        assert set(fields) <= set(schema(small, name)["required"]), name
    step = client.post("/api/steps", json={"layer": {"preset": "cs231n-demo"},
                                           "encoding": "compact"}).json()["steps"][0]
    assert {field: step[field] for field in always["StepResult"]} == dict.fromkeys(
        always["StepResult"])
    local = client.post("/api/input", json={"preset": "cs231n-demo", "connectivity": "local"})
    assert (local.json()["filters"], local.json()["bias"]) == (None, None)
