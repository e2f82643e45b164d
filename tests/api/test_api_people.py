"""The API as a person meets it: one error per wrong field that says what was received and
what is accepted, misfits that name every failing axis, sizes read from the values given,
one default encoding, an upstream of ones for ``{}``."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from tests.api.api_helpers import compact, square

# A loc part that is not a field name or an index: pydantic's union branch names.
BRANCH = re.compile(r"[\[\]()\-]|^(int|float|str|bool|list|dict)$|^[A-Z]")


def detail(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    entries: list[dict[str, Any]] = response.json()["detail"]
    return entries


# ----------------------------------------------------------------------------- one error per field


@pytest.mark.parametrize(
    ("change", "loc", "words"),
    [
        ({"padding": [1, 2, 3]}, ["body", "padding"], ["[1, 2, 3]", "3 numbers", "four"]),
        ({"padding": -1}, ["body", "padding"], ["-1", ">= 0"]),
        ({"padding": "1"}, ["body", "padding"], ['"1"', "text"]),
        ({"stride": [2, 0]}, ["body", "stride", 1], ["0", ">= 1"]),
        ({"stride": 1.5}, ["body", "stride"], ["1.5", "not a whole number"]),
        ({"dilation": [1, 2, 3]}, ["body", "dilation"], ["[1, 2, 3]", "3 numbers", "[dh, dw]"]),
        # the notes' "dilation 0" (no gaps) is 1 here: the refusal says how the two count
        ({"dilation": 0}, ["body", "dilation"], ["0", ">= 1", "their dilation 1 is 2 here"]),
        ({"filters": {"count": 1, "size": -3}}, ["body", "filters", "size"], ["-3", ">= 1"]),
        ({"filters": {"count": 1, "size": True}}, ["body", "filters", "size"], ["true"]),
        ({"fit": "crop"}, ["body", "fit"], ['"crop"', "'error', 'floor' or 'pad'"]),
        ({"input": {"shape": [5, 5]}}, ["body", "input", "shape"], ["[5, 5]", "[H, W, D]"]),
        ({"input": {"shape": [5, 5, 1], "values": "x"}}, ["body", "input", "values"],
         ['"x"', "nested lists", "compact"]),
    ],
)
def test_a_wrong_field_gets_exactly_one_clean_error(
    client: TestClient, change: dict[str, Any], loc: list[Any], words: list[str]
) -> None:
    spec = {**square(5, 1, 1, 3), **change}
    entries = detail(client.post("/api/forward", json=spec))
    assert len(entries) == 1, entries
    (entry,) = entries
    assert entry["loc"] == loc
    assert not any(isinstance(part, str) and BRANCH.search(part) for part in entry["loc"])
    assert "Value error" not in entry["msg"]
    assert "valid list" not in entry["msg"]
    for word in words:
        assert word in entry["msg"], entry["msg"]


def test_a_negative_size_says_it_must_be_at_least_one(client: TestClient) -> None:
    spec = square(5, 1, 1, 3)
    spec["filters"]["size"] = -3
    (entry,) = detail(client.post("/api/forward", json=spec))
    assert entry["msg"].startswith("filters.size is -3: it must be >= 1")
    assert entry["type"] == "greater_than_equal"


def test_two_wrong_fields_get_two_errors_under_the_layer(client: TestClient) -> None:
    body = {"layer": {**square(5, 1, 1, 3), "stride": 0, "padding": [1]}, "cell": [0, -1]}
    entries = detail(client.post("/api/inverse", json=body))
    assert [e["loc"] for e in entries] == [["body", "layer", "stride"], ["body", "cell", 1]]


def test_a_whole_float_is_read_as_an_int(client: TestClient) -> None:
    # JSON Schema's "integer" is any number without a fraction: 2.0 is one.
    answer = client.post("/api/geometry", json={**square(5, 1, 1, 3), "stride": 2.0})
    assert answer.status_code == 200
    assert answer.json()["output_shape"] == [2, 2, 1]


def test_padding_of_one_number_in_a_list_is_every_side(client: TestClient) -> None:
    listed = client.post("/api/geometry", json={**square(5, 1, 1, 3), "padding": [2]}).json()
    assert listed["padding"] == [2, 2, 2, 2]
    assert listed["output_shape"] == [7, 7, 1]


@pytest.mark.parametrize(("field", "listed"), [
    ("stride", {"stride": [3]}), ("dilation", {"dilation": [2]}),
    ("filter_size", {"filters": {"count": 2, "size": [5]}}),
])
def test_a_per_axis_field_of_one_number_in_a_list_is_both_axes(
    client: TestClient, field: str, listed: dict[str, Any]
) -> None:
    # as padding takes [2] for every side; it was refused as "it has 1 number"
    layer = {**square(10, 3, 2, 3), "padding": 1}
    whole = {key: value[0] if key != "filters" else {**value, "size": value["size"][0]}
             for key, value in listed.items()}
    as_list = client.post("/api/forward", json={**layer, **listed}).json()
    as_number = client.post("/api/forward", json={**layer, **whole}).json()
    assert as_list["geometry"]["height"][field] == as_list["geometry"]["width"][field] > 1
    assert as_list["geometry"] == as_number["geometry"]
    assert as_list["output"] == as_number["output"]


def test_fill_bounds_are_checked_with_the_roles_default(client: TestClient) -> None:
    spec = square(5, 1, 1, 3)
    spec["input"]["fill"] = {"low": 5}  # the input's default high is 2
    (entry,) = detail(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "input", "fill", "low"]
    assert "low 5 is above high 2" in entry["msg"]
    # the type a fill with both bounds wrong gets from the schema, in a steps body's layer too
    assert entry["type"] == "low_above_high"
    both = client.post("/api/forward", json={**spec, "input": {
        "shape": [5, 5, 1], "fill": {"low": 5, "high": 2}}})
    assert [e["type"] for e in detail(both)] == ["low_above_high"]
    (nested,) = detail(client.post("/api/steps", json={"layer": spec}))
    assert (nested["loc"], nested["type"]) == (
        ["body", "layer", "input", "fill", "low"], "low_above_high")


def test_filters_without_their_sizes_name_both_at_once(client: TestClient) -> None:
    answer = client.post("/api/forward", json={"input": {"shape": [5, 5, 3]}, "filters": {}})
    assert [e["loc"] for e in detail(answer)] == [
        ["body", "filters", "count"], ["body", "filters", "size"]]


@pytest.mark.parametrize("kind", ["normal", "zeros", "ones"])
def test_fills_that_ignore_the_bounds_take_any(client: TestClient, kind: str) -> None:
    # their descriptions say they ignore low and high: so low > high is no error for them
    spec = square(4, 1, 1, 3)
    spec["input"]["fill"] = {"kind": kind, "low": 5, "high": 1, "mean": 2, "std": 0}
    answer = client.post("/api/forward", json=spec)
    assert answer.status_code == 200, answer.text
    expected = {"normal": 2.0, "zeros": 0.0, "ones": 1.0}[kind]  # std 0: every value the mean
    values = client.post("/api/input", json=spec).json()["padded_input"]
    assert {v for row in values for cell in row for v in cell} == {expected}


def test_an_integers_fill_with_no_whole_number_in_range_is_refused(client: TestClient) -> None:
    spec = square(5, 1, 1, 3)
    spec["filters"]["fill"] = {"low": 0.2, "high": 0.5}
    (entry,) = detail(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "filters", "fill", "low"]
    assert "[0.2, 0.5]" in entry["msg"]


# ----------------------------------------------------------------------------- misfits


def test_a_misfit_on_both_axes_names_both_and_the_fields_that_fix_it(client: TestClient) -> None:
    (entry,) = detail(client.post("/api/forward", json=square(10, 1, 1, 3, stride=2)))
    assert entry["loc"] == ["body", "stride"]
    msg = entry["msg"]
    assert "width: (10 - 3 + 2*0)/2 + 1 = 4.5" in msg
    assert "height: (10 - 3 + 2*0)/2 + 1 = 4.5" in msg
    for field in ("stride", "padding", "filters.size", "fit"):
        assert field in msg.split("Changing", 1)[1]


def test_a_misfit_on_one_axis_names_only_that_axis(client: TestClient) -> None:
    spec = {"input": {"shape": [10, 9, 1]}, "filters": {"count": 1, "size": 3}, "stride": 2}
    answer = client.post("/api/geometry", json=spec).json()
    assert answer["valid"] is False
    assert "height: (10 - 3 + 2*0)/2 + 1 = 4.5" in answer["error"]["message"]
    assert "width:" not in answer["error"]["message"]
    assert answer["width"]["fits"] is True and answer["width"]["output"] == 4
    assert answer["height"]["fits"] is False and answer["height"]["output"] == 0
    assert answer["error"]["fields"][0] == "stride"
    assert {"padding", "filters.size", "fit"} <= set(answer["error"]["fields"])


def test_a_misfits_answer_keeps_the_counts_that_need_no_output_size(client: TestClient) -> None:
    answer = client.post("/api/geometry", json=square(10, 3, 4, 3, stride=2)).json()
    assert answer["valid"] is False
    counts = answer["counts"]
    assert counts["weights_per_neuron"] == 3 * 3 * 3
    assert counts["weights_shared"] == 3 * 3 * 3 * 4
    assert counts["parameters_shared"] == 3 * 3 * 3 * 4 + 4
    assert counts["neurons"] is None and counts["parameters_local"] is None
    assert counts["multiply_adds"] is None


def test_a_misfits_answer_keeps_the_padding_asked_for_and_the_input_inside_it(
    client: TestClient,
) -> None:
    body = square(10, 3, 4, 3, stride=2) | {"padding": [1, 1, 0, 2]}  # a misfit on both axes
    answer = client.post("/api/geometry", json=body).json()
    assert answer["valid"] is False
    assert answer["padding"] == [1, 1, 0, 2]
    assert answer["padded_shape"] == [10 + 1 + 1, 10 + 0 + 2, 3]
    assert answer["height"]["padded_size"] == answer["padded_shape"][0]


def test_a_filter_wider_than_the_padded_input_is_explained_per_axis(client: TestClient) -> None:
    answer = client.post("/api/geometry", json=square(3, 1, 1, 5)).json()
    assert answer["valid"] is False
    assert answer["error"]["field"] == "filters.size"
    assert "width: the 5-wide filter spans 5 columns" in answer["error"]["message"]
    assert "height: the 5-tall filter spans 5 rows" in answer["error"]["message"]
    assert answer["width"]["output"] == 0 and answer["height"]["output"] == 0


# ----------------------------------------------------------------------------- sizes from values


def test_input_shape_and_filter_sizes_are_read_from_the_values(client: TestClient) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(-2, 3, size=(5, 4, 2)).astype(float)
    w = rng.integers(-1, 2, size=(3, 2, 3, 2)).astype(float)
    spec = {"input": {"values": x.tolist()}, "filters": {"values": compact(w)}}
    answer = client.post("/api/forward", json=spec)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["geometry"]["output_shape"] == [4, 2, 3]
    out = np.array(body["output"])
    bias = np.array(body["bias"])
    assert out[1, 1, 2] == pytest.approx(np.sum(x[1:3, 1:4, :] * w[2]) + bias[2])


@pytest.mark.parametrize(
    ("filters", "words"),
    [
        ({"count": 2}, ["hold 3 filters", "filters.count is 2"]),
        ({"size": 3}, ["hold 2x3 filters", "filters.size is 3"]),
    ],
)
def test_sizes_that_disagree_with_the_values_are_refused_naming_both(
    client: TestClient, filters: dict[str, Any], words: list[str]
) -> None:
    spec = {"input": {"shape": [5, 5, 2]},
            "filters": {**filters, "values": np.ones((3, 2, 3, 2)).tolist()}}
    (entry,) = detail(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "filters", "values"]
    for word in words:
        assert word in entry["msg"]


@pytest.mark.parametrize("depth", [2, 3])
def test_values_that_disagree_with_a_size_say_too_when_they_are_not_as_deep_as_the_input(
    client: TestClient, depth: int
) -> None:
    # the depth's refusal came only after the count was mended
    spec = {"input": {"shape": [5, 5, 3]},
            "filters": {"count": 2, "values": np.ones((3, 1, 1, depth)).tolist()}}
    (entry,) = detail(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "filters", "values"]
    assert "filters.count is 2" in entry["msg"]
    assert ("2 deep where the input is 3" in entry["msg"]) == (depth == 2)


def test_an_input_shape_that_disagrees_with_the_values_is_refused(client: TestClient) -> None:
    spec = {"input": {"shape": [4, 4, 1], "values": np.ones((5, 5, 1)).tolist()},
            "filters": {"count": 1, "size": 3}}
    (entry,) = detail(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "input", "values"]
    assert "[5, 5, 1]" in entry["msg"] and "[4, 4, 1]" in entry["msg"]


def test_no_input_size_at_all_is_refused_naming_the_shape(client: TestClient) -> None:
    spec = {"input": {}, "filters": {"count": 1, "size": 3}}
    (entry,) = detail(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "input", "shape"]
    assert "input.values" in entry["msg"]


# ----------------------------------------------------------------------------- defaults


def test_an_empty_upstream_is_ones(client: TestClient) -> None:
    layer = square(5, 3, 2, 3, stride=2, padding=1)
    grads = client.post("/api/backward", json={"layer": layer, "upstream": {}}).json()
    assert grads["db"] == [9.0, 9.0]  # each bias gradient counts its 3x3 positions
    left_out = client.post("/api/backward", json={"layer": layer}).json()
    assert left_out["db"] == [9.0, 9.0]
    steps = client.post("/api/steps", json={"layer": layer, "count": 3, "upstream": {}}).json()
    assert [s["upstream"] for s in steps["steps"]] == [1.0, 1.0, 1.0]


def test_an_upstream_fill_without_bounds_draws_from_minus_one_to_one(client: TestClient) -> None:
    layer = square(7, 1, 2, 1)  # 98 neurons
    body = {"layer": layer, "upstream": {"fill": {"kind": "integers", "seed": 3}}, "count": 98}
    drawn = [s["upstream"] for s in client.post("/api/steps", json=body).json()["steps"]]
    assert set(drawn) == {-1.0, 0.0, 1.0}


def test_image_answers_default_to_json_arrays(client: TestClient) -> None:
    values = client.get("/api/images/checkerboard").json()["input"]["values"]
    assert isinstance(values, list) and len(values[0][0]) == 3


def test_image_links_asking_for_compact_still_get_compact(client: TestClient) -> None:
    values = client.get("/api/images/checkerboard?encoding=compact").json()["input"]["values"]
    # compact, as float64: sent back as a layer's input, the server's own numbers
    assert values["dtype"] == "float64" and len(values["shape"]) == 3


@pytest.mark.usefixtures("cold_caches")
def test_forward_resolves_the_geometry_once(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.convert as convert

    calls: list[object] = []
    real = convert.resolved  # resolve, remembered per shape (app.layer_cache)

    def counting(shape: Any) -> Any:
        calls.append(shape)
        return real(shape)

    monkeypatch.setattr(convert, "resolved", counting)
    # caches cold: the same bytes seen earlier in the process are not read again
    # (app.layer_cache.SPECS), and nothing would be resolved to count
    spec = square(6, 2, 3, 3, stride=1, padding=1, activation="relu")
    answer = client.post("/api/forward", json=spec)
    assert answer.status_code == 200
    assert len(calls) == 1
    assert answer.json()["geometry"]["output_shape"] == [6, 6, 3]
    calls.clear()
    misfit = client.post("/api/geometry", json=square(10, 1, 1, 3, stride=2)).json()
    assert misfit["valid"] is False
    # its own layer once; then each suggestion's layer, resolved once to price it
    suggested = len(misfit["suggestions"])
    assert suggested >= 5 and len(calls) == 1 + suggested
    assert len(set(calls)) == len(calls)


def test_an_image_max_side_over_the_limit_is_refused_by_every_endpoint(
    client: TestClient,
) -> None:
    spec = {"input": {"shape": [64, 64, 3], "image": {"name": "scene", "max_side": 100_000}},
            "filters": {"count": 1, "size": 3}}
    for path in ("/api/geometry", "/api/forward"):
        (entry,) = detail(client.post(path, json=spec))
        assert entry["loc"] == ["body", "input", "image", "max_side"]
        assert "CONVSCOPE_MAX_IMAGE_SIDE" in entry["msg"]
        # the same failure as /api/images's query (it said layer_error here) and as any
        # number over its setting (it was image_side_too_large, a name of its own)
        assert entry["type"] == "over_limit"
    (query,) = detail(client.get("/api/images/scene?max_side=100000"))
    assert query["type"] == entry["type"]


def test_a_named_image_without_a_shape_says_the_shape_is_needed(client: TestClient) -> None:
    spec = {"input": {"image": {"name": "scene"}}, "filters": {"count": 1, "size": 3}}
    (entry,) = detail(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "input", "shape"]
    # and which shape: the one /api/images says the image has at that max_side
    for side in (None, 40):
        image = {"name": "scene"} if side is None else {"name": "scene", "max_side": side}
        made = client.get("/api/images/scene", params={} if side is None else {"max_side": side})
        shape = made.json()["shape"]
        (entry,) = detail(client.post("/api/forward", json={**spec, "input": {"image": image}}))
        said = f"needs input.shape, {shape}: the shape of sample image 'scene' at max_side"
        assert said in entry["msg"], entry["msg"]
        sent = {**spec, "input": {"image": image, "shape": shape}}
        assert client.post("/api/geometry", json=sent).json()["valid"]


def test_a_named_images_shape_hint_over_the_side_limit_gives_one_that_fits(
    client: TestClient, override_settings: Any
) -> None:
    # with CONVSCOPE_MAX_SIDE under the image's side, the hint quoted a shape that the
    # layer's own limit then refused
    override_settings(max_side=50)
    spec = {"input": {"image": {"name": "scene"}}, "filters": {"count": 1, "size": 3}}
    (entry,) = detail(client.post("/api/forward", json=spec))
    assert "over this server's input limit of 50" in entry["msg"], entry["msg"]
    shape = client.get("/api/images/scene", params={"max_side": 50}).json()["shape"]
    assert max(shape[:2]) == 50 and entry["msg"].endswith(
        f"with input.image.max_side 50 it is {shape}"), entry["msg"]
    fixed = {**spec, "input": {"image": {"name": "scene", "max_side": 50}, "shape": shape}}
    assert client.post("/api/geometry", json=fixed).json()["valid"]


@pytest.mark.parametrize(("filters", "missing", "over"), [
    ({"count": 99_999}, "size", "count"), ({"size": 9_000}, "count", "size")])
def test_a_filter_number_over_its_limit_is_told_beside_the_other_one_missing(
    client: TestClient, filters: dict[str, int], missing: str, over: str
) -> None:
    # told only that the other was missing, and, that given, refused for this one
    entries = detail(client.post("/api/forward", json={"input": {"shape": [5, 5, 3]},
                                                      "filters": filters}))
    assert [(e["loc"], e["type"]) for e in entries] == [
        (["body", "filters", missing], "missing"), (["body", "filters", over], "over_limit")]


@pytest.mark.parametrize("word", ["same", "valid"])
def test_a_padding_words_hint_over_a_preset_gives_the_rule(client: TestClient, word: str) -> None:
    # AlexNet's stride 4, left to the preset, was read as 1: "same" was answered "padding 1",
    # which the layer then refused (57.5 positions)
    body = {"preset": "alexnet-conv1", "filters": {"size": 3}, "padding": word}
    (entry,) = detail(client.post("/api/forward", json=body))
    assert entry["loc"] == ["body", "padding"]
    assert "gives" not in entry["msg"] and "this layer" not in entry["msg"], entry["msg"]


def test_a_named_image_without_a_shape_and_over_the_limits_is_told_all_at_once(
    client: TestClient,
) -> None:
    # it was told the shape at max_side 5000, and then, sent with it, refused for the 5000,
    # and then for its count of filters and its stride
    settings = Settings()
    most = settings.max_image_side
    spec = {"input": {"image": {"name": "scene", "max_side": 5000}},
            "filters": {"count": settings.max_filters + 1, "size": 3},
            "stride": settings.max_side + 1}
    shaped, *over = detail(client.post("/api/forward", json=spec))
    assert shaped["loc"] == ["body", "input", "shape"]
    assert {(tuple(e["loc"]), e["type"]) for e in over} == {
        (("body", "input", "image", "max_side"), "over_limit"),
        (("body", "filters", "count"), "over_limit"), (("body", "stride"), "over_limit")}
    shape = client.get("/api/images/scene", params={"max_side": most}).json()["shape"]
    assert f"{shape}: the shape of sample image 'scene' at max_side {most}, this server's " \
        "most" in shaped["msg"]
    fixed = {"input": {"image": {"name": "scene"}, "shape": shape},  # all of it done
             "filters": {"count": 1, "size": 3}}
    assert client.post("/api/geometry", json=fixed).json()["valid"]


# ----------------------------------------------------------------------------- wording


@pytest.mark.parametrize("path", ["/api/steps", "/api/inverse", "/api/backward"])
def test_a_bare_layer_sent_where_layer_is_wanted_is_told_to_wrap_it(
    client: TestClient, path: str
) -> None:
    spec = square(5, 3, 2, 3, stride=2, padding=1)
    answer = client.post(path, json=spec)
    assert answer.status_code == 422
    # one mistake, one entry: each stray field's own "no such field" was a second and third
    # (the inverse's own cell, not sent, is a mistake of its own)
    [entry] = [e for e in answer.json()["detail"] if e["loc"] != ["body", "cell"]]
    assert entry["loc"] == ["body", "layer"] and entry["type"] == "missing"
    assert entry["msg"] == (
        'layer: it is required; this request takes the layer spec under "layer" '
        '({"layer": {...}}), and input, filters, stride, padding at the top are its fields: '
        "they belong inside it")


def test_an_unknown_field_is_not_told_what_a_known_one_takes(client: TestClient) -> None:
    spec = {**square(5, 3, 2, 3), "strid": 1}
    entry = client.post("/api/forward", json=spec).json()["detail"][0]
    # (a near miss is told the name, not what it takes)
    assert entry["msg"] == ("strid is 1: there is no such field (unknown fields are refused); "
                            "did you mean stride?")


@pytest.mark.parametrize(("where", "name"), [
    ((), "Stride"), ((), "int"), ((), "x-y"), ((), "é"), (("input",), "shäpe"),
    (("input", "values"), "Extra"),  # inside a union's object branch (a compact array)
])
def test_an_unknown_field_is_refused_at_its_own_name_whatever_it_looks_like(
    client: TestClient, where: tuple[str, ...], name: str
) -> None:
    # names that are not snake_case once passed for pydantic's union branch names
    spec: dict[str, Any] = square(5, 3, 2, 3)
    if where == ("input", "values"):
        spec["input"] = {"values": {**compact(np.ones((5, 5, 3))), name: 1}}
    target = spec
    for part in where[:1]:
        target = target[part]
    if where != ("input", "values"):
        target[name] = 2
    [entry] = detail(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", *where, name]
    assert entry["type"] == "extra_forbidden"
    assert "there is no such field" in entry["msg"]


def test_a_missing_field_of_a_compact_array_does_not_quote_the_array(client: TestClient) -> None:
    values = compact(np.ones((1, 1, 1)))
    del values["dtype"]
    spec = {"input": {"values": values}, "filters": {"count": 1, "size": 1}}
    [entry] = detail(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "input", "values", "dtype"]
    assert entry["msg"] == "input.values.dtype: it is required"


def test_counts_in_messages_agree_with_their_nouns(client: TestClient) -> None:
    spec = square(5, 3, 2, 3)
    spec["input"] = {"shape": [5]}
    entry = client.post("/api/forward", json=spec).json()["detail"][0]
    assert "it has 1 item, fewer than 3" in entry["msg"]
    spec["input"] = {"values": [1.0, 2.0]}
    entry = client.post("/api/forward", json=spec).json()["detail"][0]
    assert entry["msg"].startswith("input.values have 1 dimension (shape [2])")


@pytest.mark.parametrize(("field", "shape", "words"), [
    ("input", [3, 3], "input.values have 2 dimensions (shape [3, 3]); the input is (H, W, D)"),
    ("filters", [3, 3, 1], "filters.values have 3 dimensions (shape [3, 3, 1]); shared filters "
     "are (K, Fh, Fw, D)"),
])
def test_a_compact_arrays_shape_of_the_wrong_length_is_refused_at_its_shape(
    client: TestClient, field: str, shape: list[int], words: str
) -> None:
    # as the schema says it (the shape's own minItems and maxItems), not as a layer error at
    # the values: a generated client and the server name the same list
    spec = {**square(3, 1, 1, 1), field: {"values": compact(np.ones(shape))}}
    if field == "input":
        spec["filters"] = {"count": 1, "size": 1}
    [entry] = detail(client.post("/api/forward", json=spec))
    assert (entry["loc"], entry["type"]) == (["body", field, "values", "shape"], "wrong_length")
    assert entry["msg"].startswith(words)


@pytest.mark.parametrize(
    ("method", "url", "takes"),
    [("POST", "/api/forward?encodign=compact", "it takes encoding"),
     ("POST", "/api/geometry?verbose=1", "it takes none"),
     ("GET", "/api/images/stripes?maxside=32", "it takes encoding, max_side, scale"),
     ("GET", "/api/health?x", "it takes none")],
)
def test_an_unknown_query_parameter_is_refused_as_an_unknown_field_is(
    client: TestClient, method: str, url: str, takes: str
) -> None:
    # a misspelt ?encodign=compact used to answer JSON, silently
    answer = client.request(method, url, json=square(5, 3, 2, 3) if method == "POST" else None)
    assert answer.status_code == 422, answer.text
    [entry] = answer.json()["detail"]
    name = url.split("?")[1].split("=")[0]
    assert entry["loc"] == ["query", name] and entry["type"] == "extra_forbidden"
    assert entry["msg"] == f"{name} is not a query parameter of this endpoint; {takes}"


def test_encoding_in_the_wrong_place_is_pointed_to_the_right_one(client: TestClient) -> None:
    # /api/steps takes encoding in its body, the others in the query string: the refusals said
    # only "not a query parameter" and "no such field"
    steps = client.post("/api/steps?encoding=compact", json={"layer": square(5, 3, 2, 3)})
    assert steps.json()["detail"][0]["msg"] == (
        "encoding is not a query parameter of this endpoint; it takes none; encoding goes in "
        "the JSON body here")
    forward = client.post("/api/forward", json={**square(5, 3, 2, 3), "encoding": "compact"})
    [entry] = forward.json()["detail"]
    assert entry["loc"] == ["body", "encoding"]
    assert entry["msg"].endswith("; encoding goes in the query string here: ?encoding=...")
    geometry = client.post("/api/geometry", json={**square(5, 3, 2, 3), "encoding": "compact"})
    assert "query string" not in geometry.json()["detail"][0]["msg"]  # it takes none at all


def test_known_query_parameters_are_still_read(client: TestClient) -> None:
    forward = client.post("/api/forward?encoding=compact", json=square(5, 3, 2, 3)).json()
    assert forward["output"]["dtype"] == "float32"
    image = client.get("/api/images/stripes?max_side=32&encoding=json").json()
    assert image["shape"] == [32, 32, 3]


@pytest.mark.parametrize(
    ("change", "loc"),
    [({"stride": "2"}, ["body", "stride"]),  # a union field: an int or [Sh, Sw]
     ({"filters": {"count": "2", "size": 3}}, ["body", "filters", "count"]),  # int or null
     ({"input": {"shape": [5, 5, 3], "fill": {"kind": "normal", "seed": "2"}}},
      ["body", "input", "fill", "seed"])],
)
def test_text_for_a_number_is_one_failure_type_wherever_it_is(
    client: TestClient, change: dict[str, Any], loc: list[str]
) -> None:
    [entry] = client.post("/api/forward", json={**square(5, 3, 2, 3), **change}).json()["detail"]
    assert entry["loc"] == loc and entry["type"] == "invalid_type"  # count's was int_type
    assert ': it is text, not a number; it takes a whole number' in entry["msg"]


@pytest.mark.parametrize(("change", "loc"), [
    ({"filters": {"count": 2, "size": 3, "bias": 1.0}}, ["body", "filters", "bias"]),
    ({"input": {"values": 5}}, ["body", "input", "values"]),
    ({"input": {"values": 5.5}}, ["body", "input", "values"]),
])
def test_one_number_where_an_array_goes_is_called_a_single_number(
    client: TestClient, change: dict[str, Any], loc: list[str]
) -> None:
    # it was "1.0: it is not a whole number" (and "5: it is a whole number"), which reads as
    # if a whole number would do
    [entry] = client.post("/api/forward", json={**square(5, 3, 2, 3), **change}).json()["detail"]
    assert entry["loc"] == loc and entry["type"] == "invalid_type"
    assert ": it is a single number; it takes nested lists of numbers" in entry["msg"]


def test_every_wrong_item_of_a_list_gets_its_own_entry(client: TestClient) -> None:
    # stride [0, "a"]: two wrong items, two entries (the first alone was reported)
    spec = {**square(5, 3, 2, 3), "stride": [0, "a"]}
    entries = client.post("/api/forward", json=spec).json()["detail"]
    assert [(e["loc"], e["type"]) for e in entries] == [
        (["body", "stride", 0], "greater_than_equal"), (["body", "stride", 1], "invalid_type")]
    assert entries[1]["msg"].startswith('stride[1] is "a": it is text, not a number')


@pytest.mark.parametrize(("word", "means"), [
    ("same", '"same" as TensorFlow pads this layer: padding 1 gives 5x5'),
    ("valid", '"valid" is padding 0: gives 3x3'),
    # TensorFlow's own spelling
    ("SAME", '"same" as TensorFlow pads this layer: padding 1 gives 5x5'),
    ("VALID", '"valid" is padding 0: gives 3x3')])
def test_other_libraries_padding_words_are_answered_with_the_number(
    client: TestClient, word: str, means: str
) -> None:
    entry = client.post("/api/geometry", json={**square(5, 3, 2, 3), "padding": word}).json()[
        "detail"][0]
    assert entry["loc"] == ["body", "padding"] and entry["type"] == "invalid_type"
    assert entry["msg"].endswith(f"; {means}")


@pytest.mark.parametrize(("layer", "means"), [
    # DeepLab's dilated 3x3: 4 each side, where the rule "(F - 1)/2" said 1
    ({**square(65, 8, 4, 3), "dilation": 4}, "padding 4 gives 65x65"),
    # ResNet's stem: the odd zero after
    ({**square(224, 3, 64, 7), "stride": 2},
     "padding [2, 3, 2, 3] (top, bottom, left, right) gives 112x112"),
    # a 1x7 filter pads the columns alone
    ({"input": {"shape": [10, 12, 3]}, "filters": {"count": 2, "size": [1, 7]}},
     "padding [0, 3] (rows, columns) gives 10x12"),
    # the README's 1x1 stride-2 downsample: no padding, and TensorFlow drops the last cell
    ({**square(28, 1, 1, 1), "stride": 2}, 'padding 0 with fit "floor" gives 14x14'),
])
def test_same_is_answered_in_the_layers_own_numbers(
    client: TestClient, layer: dict[str, Any], means: str
) -> None:
    for path, body, loc in [("/api/geometry", {**layer, "padding": "same"}, ["body", "padding"]),
                            ("/api/steps", {"layer": {**layer, "padding": "same"}},
                             ["body", "layer", "padding"])]:
        (entry,) = detail(client.post(path, json=body))
        assert entry["loc"] == loc
        assert entry["msg"].endswith(f'; "same" as TensorFlow pads this layer: {means}')


@pytest.mark.parametrize(("layer", "means"), [
    # ResNet's stem unpadded: (224 - 7)/2 + 1 = 109.5, which TensorFlow and PyTorch round down
    ({**square(224, 3, 64, 7), "stride": 2}, 'padding 0 with fit "floor" (TensorFlow and '
     "PyTorch round down): gives 109x109"),
    ({**square(227, 3, 96, 11), "stride": 4}, "padding 0: gives 55x55"),  # AlexNet conv1
    # no input size: the rule alone
    ({"filters": {"count": 2, "size": 3}}, "padding 0"),
])
def test_valid_is_answered_in_the_layers_own_numbers(
    client: TestClient, layer: dict[str, Any], means: str
) -> None:
    # "valid" was answered "padding 0", which ResNet's stem then refused as a misfit
    entries = detail(client.post("/api/geometry", json={**layer, "padding": "valid"}))
    (entry,) = [e for e in entries if e["loc"] == ["body", "padding"]]
    assert entry["msg"].endswith(f'; "valid" is {means}')
    if "gives" in means:  # what it says, sent, gives the size it says
        fit = "floor" if "floor" in means else "error"
        g = client.post("/api/geometry", json={**layer, "padding": 0, "fit": fit}).json()
        assert g["valid"] and f"{g['output_shape'][0]}x{g['output_shape'][1]}" in means


@pytest.mark.parametrize("word", ["valid", "same"])
def test_a_padding_words_hint_tries_no_suggestions(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, word: str
) -> None:
    # "valid" resolved the layer with resolve(), whose refusal tries dozens of layers: a 2x2
    # input at dilation 4095 ran that search (0.3 s, unpriced) on a body already refused
    import engine.geometry

    def refused(*_: object) -> None:
        raise AssertionError("a hint searched for suggestions")

    monkeypatch.setattr(engine.geometry, "suggest", refused)
    spec = {"input": {"shape": [2, 2, 1]}, "filters": {"count": 1, "size": 2},
            "dilation": 4095, "padding": word}
    (entry,) = detail(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "padding"] and entry["type"] == "invalid_type"
    if word == "valid":  # no padding 0 of any fit: the rule alone
        assert entry["msg"].endswith('; "valid" is padding 0')


@pytest.mark.parametrize("seed", range(2))
def test_the_padding_a_same_hint_gives_makes_ceil_n_over_s_outputs(
    client: TestClient, seed: int
) -> None:
    # TensorFlow's "same": ceil(N/S) outputs per axis, whatever the filter and dilation
    rng = np.random.default_rng(900 + seed)
    checked = 0
    for _ in range(20):
        h, w, f, s, d = (int(v) for v in rng.integers(1, [40, 40, 6, 4, 4]))
        layer = {"input": {"shape": [h, w, 1]}, "filters": {"count": 1, "size": f},
                 "stride": s, "dilation": d}
        (entry,) = detail(client.post("/api/geometry", json={**layer, "padding": "same"}))
        said = re.search(r'pads this layer: padding (\[[\d, ]+\]|\d+)( with fit "floor")?',
                         entry["msg"])
        if said is None:  # a window whose taps all miss the input: the rule instead
            assert "d*(F - 1) zeros at stride 1" in entry["msg"]
            continue
        checked += 1
        # strided, "same" may leave part of a stride over: fit="floor" then, as TensorFlow
        # drops it (a 1x1 stride-2 filter on 28 cells: padding 0, 14 outputs); it got the rule
        fit = "floor" if said[2] else "error"
        g = client.post("/api/geometry",
                        json={**layer, "padding": json.loads(said[1]), "fit": fit}).json()
        assert g["valid"], (layer, entry["msg"])
        assert g["fits"] == (fit == "error"), (layer, entry["msg"])
        assert not [n for n in g["notes"] if n.startswith("no window reads")], layer
        assert g["output_shape"][:2] == [-(-h // s), -(-w // s)], (layer, entry["msg"])
    assert checked >= 15


def test_same_that_would_leave_a_window_of_zeros_is_answered_with_the_rule(
    client: TestClient,
) -> None:
    # its padding with fit="floor" gives TensorFlow's 1x1, but every window then reads only
    # the zeros above and below the one-row input: no hint to offer
    layer = {"input": {"shape": [1, 4, 1]}, "filters": {"count": 1, "size": [6, 2]},
             "stride": [5, 5], "dilation": [2, 1], "padding": "same"}
    (entry,) = detail(client.post("/api/geometry", json=layer))
    assert "pads this layer" not in entry["msg"] and "d*(F - 1) zeros" in entry["msg"]


def test_same_without_the_numbers_it_needs_is_answered_with_the_rule(client: TestClient) -> None:
    # at stride 2 "same" depends on the input's size, which values-only input does not state
    spec = {"input": {"values": [[[1.0]]]}, "filters": {"count": 1, "size": 1}, "stride": 2,
            "padding": "same"}
    (entry,) = detail(client.post("/api/geometry", json=spec))
    assert entry["msg"].endswith("half before and the odd one after: 1 each side for a 3x3 "
                                 "filter, 2 for 5x5")


@pytest.mark.parametrize("layer", [
    {"input": {"shape": [10**15, 10**15, 1]}, "filters": {"count": 1, "size": 2},
     "dilation": 10**16},
    {"input": {"shape": [5, 5, 1]}, "filters": {"count": 1, "size": 10**18}},
])
def test_same_beside_absurd_sizes_is_answered_with_the_rule(
    client: TestClient, layer: dict[str, Any]
) -> None:
    # the refused body's numbers are unbounded: working "same" out for a dilation of 10**16
    # would walk 10**15 windows
    entries = detail(client.post("/api/geometry", json={**layer, "padding": "same"}))
    (entry,) = [e for e in entries if e["loc"] == ["body", "padding"]]
    assert entry["msg"].endswith("half before and the odd one after: 1 each side for a 3x3 "
                                 "filter, 2 for 5x5")


@pytest.mark.parametrize(("flag", "said"), [
    # PyTorch's bias=False, written the README's way, and its default, bias=True
    (False, 'for none, make them zeros with filters.bias_fill {"kind": "zeros"}'),
    (True, "every layer here has biases: leave filters.bias out and filters.bias_fill makes "
           "them"),
])
def test_a_bias_flag_is_told_what_biases_are_here(
    client: TestClient, flag: bool, said: str
) -> None:
    spec = square(5, 3, 2, 3)
    spec["filters"]["bias"] = flag
    (entry,) = detail(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "filters", "bias"]
    assert entry["msg"].startswith(f"filters.bias is {str(flag).lower()}: it is a true/false "
                                   "value;")  # it said "it is true/false"
    assert said in entry["msg"]


def test_same_past_the_servers_side_limit_says_so(client: TestClient) -> None:
    # a 5x5 filter at dilation 2100 needs 4,200 zeros a side: a padding the server refuses
    layer = {"input": {"shape": [64, 64, 1]}, "filters": {"count": 1, "size": 5},
             "dilation": 2100, "padding": "same"}
    (entry,) = detail(client.post("/api/geometry", json=layer))
    assert entry["msg"].endswith(
        "padding 4200 gives 64x64 (over this server's limit of 4,096 a side, "
        "CONVSCOPE_MAX_SIDE: a smaller filter or dilation)")


def test_same_reads_sizes_as_the_schema_does(client: TestClient) -> None:
    # 2.0 is the stride 2 (the schema takes it); a stride sent as null is refused, not 1
    two = {**square(8, 1, 1, 3), "stride": 2.0, "padding": "same"}
    (entry,) = detail(client.post("/api/geometry", json=two))
    assert entry["msg"].endswith("padding [0, 1, 0, 1] (top, bottom, left, right) gives 4x4")
    null = {**square(8, 1, 1, 3), "stride": None, "padding": "same"}
    padding = [e for e in detail(client.post("/api/geometry", json=null))
               if e["loc"] == ["body", "padding"]]
    assert padding[0]["msg"].endswith("1 each side for a 3x3 filter, 2 for 5x5")


@pytest.mark.parametrize(("field", "value", "hint"), [
    ("fit", "ceil", 'PyTorch\'s ceil_mode=True is "pad"'),
    ("input.channels", 3, "the input's depth is the third number of input.shape"),
    ("filters.depth", 3, "third number of input.shape (each filter is as deep as the input)"),
    # our own names sent in the other object: "size" is the filters', "shape" the input's
    ("input.size", [5, 5, 3], "the input's size is input.shape, [H, W, D]"),
    ("filters.shape", [3, 3, 3], "a filter's height and width are filters.size"),
])
def test_other_libraries_words_say_what_they_are_here(
    client: TestClient, field: str, value: Any, hint: str
) -> None:
    spec = square(5, 3, 2, 3)
    *parents, name = field.split(".")
    (spec[parents[0]] if parents else spec)[name] = value
    (entry,) = detail(client.post("/api/geometry", json=spec))
    assert entry["loc"] == ["body", *field.split(".")]
    assert hint in entry["msg"]


@pytest.mark.parametrize("path", ["/api/geometry", "/api/forward"])
def test_a_layer_wrapped_where_the_body_is_the_layer_is_told_to_unwrap_it(
    client: TestClient, path: str
) -> None:
    answer = client.post(path, json={"layer": square(5, 3, 2, 3)})
    # one mistake, one entry: input and filters "missing" at the top came with it
    [entry] = detail(answer)
    assert entry["loc"] == ["body", "layer"] and entry["type"] == "extra_forbidden"
    assert "this request's body is the layer spec itself" in entry["msg"]
    assert entry["msg"].endswith("(input and filters, required, are missing there)")
    # a stray field of its own is still named beside it
    answer = client.post(path, json={"layer": square(5, 3, 2, 3), "strid": 1})
    assert [e["loc"] for e in detail(answer)] == [["body", "layer"], ["body", "strid"]]


@pytest.mark.parametrize("path", ["/api/steps", "/api/backward", "/api/inverse"])
def test_a_layer_wrapped_twice_under_layer_is_told_to_unwrap_it(
    client: TestClient, path: str
) -> None:
    body: dict[str, Any] = {"layer": {"layer": square(5, 3, 2, 3)}}
    if path == "/api/inverse":
        body["cell"] = [0, 0]
    [entry] = detail(client.post(path, json=body))
    assert entry["loc"] == ["body", "layer", "layer"] and entry["type"] == "extra_forbidden"
    assert 'layer is the layer spec itself: send the fields inside its "layer" directly' \
        in entry["msg"]
    assert entry["msg"].endswith("(input and filters, required, are missing there)")


@pytest.mark.parametrize(("part", "values", "loc", "words"), [
    ("input", [[[]]], ["body", "input", "values"], "shape [1, 1, 0]: its depth is 0"),
    ("filters", [[[[]]]], ["body", "filters", "values"], "shape [1, 1, 1, 0]: its depth is 0"),
])
def test_empty_values_are_refused_at_the_values_not_at_a_size_never_sent(
    client: TestClient, part: str, values: Any, loc: list[str], words: str
) -> None:
    # the sizes were read from the values and refused at input.shape ("depth is 0"), a field
    # the request did not have (a compact array's empty axis is the schema's to refuse, at
    # that axis: test_api_refusals.py)
    spec: dict[str, Any] = {"input": {"shape": [2, 2, 1]}, "filters": {"count": 1, "size": 1}}
    spec[part] = {"values": values}
    (entry,) = detail(client.post("/api/forward", json=spec))
    assert entry["loc"] == loc
    assert words in entry["msg"] and "every axis needs at least 1" in entry["msg"]


@pytest.mark.parametrize(("field", "body", "loc"), [
    ("stride", b'{"input": {"shape": [5, 5, 3]}, "filters": {"count": 2, "size": 3}, '
     b'"stride": 1e30}', ["body", "stride"]),
    ("input.shape[0]", b'{"input": {"shape": [1e30, 5, 3]}, "filters": {"count": 2, "size": 3}}',
     ["body", "input", "shape", 0]),
    ("filters.size[1]", b'{"input": {"shape": [5, 5, 3]}, "filters": {"count": 2, '
     b'"size": [3, 1e308]}}', ["body", "filters", "size", 1]),
])
def test_a_whole_float_beyond_2_53_is_quoted_as_sent_not_as_its_binary_value(
    client: TestClient, field: str, body: bytes, loc: list[Any]
) -> None:
    # 1e30 came back as "1,000,000,000,000,000,019,884,624,838,656", and 1e308 as 309 digits
    [entry] = detail(client.post("/api/geometry", content=body,
                                 headers={"content-type": "application/json"}))
    assert entry["loc"] == loc and entry["type"] == "invalid_type"
    assert entry["msg"].startswith(f"{field} is 1e+3"), entry["msg"]
    assert "over 2**53" in entry["msg"] and len(entry["msg"]) < 200


@pytest.mark.parametrize(("path", "body", "loc"), [
    ("/api/geometry", {"input": {"shape": [5, 5]}, "filters": {"count": 2, "size": 3}},
     ["body", "input", "shape"]),
    ("/api/geometry", {"input": {"shape": [5, 5, 3, 1]}, "filters": {"count": 2, "size": 3}},
     ["body", "input", "shape"]),
    ("/api/inverse", {"layer": square(5, 3, 2, 3), "cell": [0]}, ["body", "cell"]),
    ("/api/steps", {"layer": square(5, 3, 2, 3), "position": [0, 0]}, ["body", "position"]),
    ("/api/geometry", {**square(5, 3, 2, 3), "stride": [1, 1, 1]}, ["body", "stride"]),
])
def test_a_list_of_the_wrong_length_is_one_failure_type_wherever_it_is(
    client: TestClient, path: str, body: dict[str, Any], loc: list[str]
) -> None:
    # a fixed-length field said too_short or too_long, a union field wrong_length
    [entry] = detail(client.post(path, json=body))
    assert entry["loc"] == loc and entry["type"] == "wrong_length"
    assert "; it takes " in entry["msg"]


@pytest.mark.parametrize(("value", "said"), [
    ([2, 2, 2], "it has 3 numbers"),
    ([[1, 2], [1, 2], [1, 2]], "it has 3 items"),  # pairs are no numbers
    (["same"] * 1200, "it has 1,200 items"),
])
def test_a_wrong_length_counts_what_the_list_holds(
    client: TestClient, value: list[Any], said: str
) -> None:
    [entry] = detail(client.post("/api/geometry", json={**square(5, 3, 2, 3), "stride": value}))
    assert entry["type"] == "wrong_length" and said in entry["msg"]


def test_an_unknown_padding_field_is_not_told_what_same_is(client: TestClient) -> None:
    # padding belongs to the spec's top: inside input it takes nothing, so no hint of its own
    spec = square(5, 3, 2, 3)
    spec["input"]["padding"] = "same"
    [entry] = detail(client.post("/api/geometry", json=spec))
    assert entry["type"] == "extra_forbidden" and entry["loc"] == ["body", "input", "padding"]
    assert "TensorFlow" not in entry["msg"] and "no such field" in entry["msg"]


def test_backward_takes_a_null_upstream_as_ones_as_steps_takes_null(client: TestClient) -> None:
    layer = square(5, 3, 2, 3)
    ones = client.post("/api/backward", json={"layer": layer, "upstream": {}}).json()
    answer = client.post("/api/backward", json={"layer": layer, "upstream": None})
    assert answer.status_code == 200, answer.text  # was 422 "it must be an object"
    assert answer.json()["db"] == ones["db"] == [9.0, 9.0]


@pytest.mark.parametrize(("change", "loc", "words"), [
    ({"filters": {"count": 2, "size": 3, "bank": 5}}, ["body", "filters", "bank"],
     "it takes a filter bank's name: sobel, "),
    ({"input": {"shape": [5, 5, 3], "image": {"name": 5}}}, ["body", "input", "image", "name"],
     "it takes a sample image's name: vertical-edge, "),
])
def test_a_name_of_the_wrong_type_lists_the_names_taken(
    client: TestClient, change: dict[str, Any], loc: list[str], words: str
) -> None:
    [entry] = detail(client.post("/api/geometry", json={**square(5, 3, 2, 3), **change}))
    assert entry["loc"] == loc and words in entry["msg"]


def test_a_query_number_that_is_text_is_said_in_the_apis_words(client: TestClient) -> None:
    [entry] = detail(client.get("/api/images/vertical-edge?max_side=abc"))
    assert entry["loc"] == ["query", "max_side"]
    assert entry["msg"] == ("the query's max_side is abc: it must be a whole number; it takes a "
                            "whole number from 1 to 256 (this server's "
                            "CONVSCOPE_MAX_IMAGE_SIDE)")


@pytest.mark.parametrize(
    ("method", "path", "body", "words"),
    [
        # a query value is the link's text: unquoted, and named as the query's
        ("GET", "/api/images/scene?max_side=0", None, "the query's max_side is 0: it must be >= 1"),
        ("GET", "/api/images/scene?max_side=", None,
         "the query's max_side is empty: it must be a whole number"),
        ("POST", "/api/forward", {**square(5, 3, 1, 3),
                                  "input": {"shape": [5, 5, 3],
                                            "fill": {"kind": "uniform", "low": 5, "high": 1}}},
         "low 5 is above high 1"),
        # a JSON answer too dear to write: the same request compact is answered
        ("POST", "/api/backward", {"layer": {"input": {"shape": [200, 200, 3]}, "filters": {
            "count": 4, "size": 3}, "connectivity": "local"}, "upstream": {}},
         "goes to weight gradients (JSON); written compact (?encoding=compact) it would cost"),
        ("POST", "/api/forward", {**square(5, 3, 1, 3), "input": {"shape": [5, 5, 3], "fill": {
            "kind": "integers", "low": 0.2, "high": 0.8}}},
         "input.fill has no whole number in [0.2, 0.8]: an integers fill draws whole numbers"),
        ("POST", "/api/forward", {**square(5, 3, 1, 3), "connectivity": "local",
                                  "edits": [{"array": "bias", "index": [0], "value": 1}]},
         "[0] has 1 number but bias of shape [3, 3, 1] needs 3"),
        ("POST", "/api/forward", {**square(1, 1, 1, 1),
                                  "input": {"shape": [1, 1, 1], "values": {
                                      "dtype": "float32", "shape": [1, 1, 1], "data": "AAA="}}},
         "input.values's data and shape disagree: its data holds 4 base64 characters"),
        ("POST", "/api/forward", {**square(1, 1, 1, 1),
                                  "input": {"shape": [1, 1, 1], "values": {
                                      "dtype": "float64", "shape": [1000, 1000, 1], "data": ""}}},
         "needs 8,000,000 bytes (10,666,668 characters, or 10,666,667 without the padding)"),
        ("POST", "/api/forward", {**square(1, 1, 1, 1),
                                  "input": {"shape": [1, 1, 1], "values": [[1, 2]]}},
         "input.values have 2 dimensions"),
    ],
)
def test_a_message_names_its_field_and_reads_as_people_write(
    client: TestClient, method: str, path: str, body: Any, words: str
) -> None:
    answer = client.request(method, path, json=body)
    assert answer.status_code == 422, answer.text
    messages = [entry["msg"] for entry in answer.json()["detail"]]
    assert any(words in msg for msg in messages), messages


@pytest.mark.parametrize("numbers", [[1.5], [1.5, -2.0], [1.5, -2.0, 3.25]])
def test_compact_values_without_base64_padding_read_as_with_it(
    client: TestClient, numbers: list[float]
) -> None:
    # many encoders leave out the trailing "=": 4, 8 or 12 bytes are 8, 11 or 16 characters
    # padded, 6, 11 or 16 without; the unpadded form was refused as disagreeing with the shape
    n = len(numbers)
    raw = np.array(numbers, "<f4").tobytes()
    padded = base64.b64encode(raw).decode()
    answers = []
    for data in (padded, padded.rstrip("=")):
        values = {"dtype": "float32", "shape": [1, n, 1], "data": data}
        answer = client.post("/api/forward", json={**square(1, 1, 1, 1), "input": {
            "shape": [1, n, 1], "values": values}, "filters": {
            "count": 1, "size": 1, "values": [[[[2]]]], "bias": [0]}})
        assert answer.status_code == 200, answer.text
        answers.append(answer.json()["output"])
    assert answers[0] == answers[1]
    assert [row[0] for row in answers[0][0]] == [2 * x for x in numbers]


@pytest.mark.parametrize("url", ["/api/forward?encoding=json&encoding=compact",
                                 "/api/images/scene?scale=unit&scale=byte"])
def test_a_query_parameter_given_twice_is_refused_not_guessed(client: TestClient, url: str) -> None:
    # the last one won, silently
    method = "POST" if "forward" in url else "GET"
    answer = client.request(method, url, json=square(5, 3, 2, 3) if method == "POST" else None)
    [entry] = detail(answer)
    name = url.split("?")[1].split("=")[0]
    assert (entry["loc"], entry["type"]) == (["query", name], "duplicate_parameter")
    assert f"gives {name} more than once" in entry["msg"]


@pytest.mark.parametrize(("extra", "loc", "words"), [
    ({"groups": 32}, ["body", "groups"], "grouped and depthwise filters are not supported"),
    ({"filters": {"count": 2, "size": 3, "kernel_size": 3}},
     ["body", "filters", "kernel_size"], "the filter size is filters.size"),
    ({"strides": 2}, ["body", "strides"], "the stride is stride"),
])
def test_another_librarys_field_name_says_where_its_value_goes_here(
    client: TestClient, extra: dict[str, Any], loc: list[str], words: str
) -> None:
    [entry] = detail(client.post("/api/geometry", json={**square(5, 4, 2, 3), **extra}))
    assert (entry["loc"], entry["type"]) == (loc, "extra_forbidden")
    assert words in entry["msg"]


def test_an_upstream_sent_as_an_array_says_it_goes_under_values(client: TestClient) -> None:
    body = {"layer": square(5, 3, 2, 3, stride=2, padding=1), "upstream": [[[1, 2]]]}
    [entry] = detail(client.post("/api/backward", json=body))
    assert entry["loc"] == ["body", "upstream"]
    assert '{"values": the (H2, W2, K) gradient}' in entry["msg"]
    assert "{} is all ones" in entry["msg"]


def test_a_presets_normal_fill_leaves_its_bounds_to_the_roles_defaults(
    client: TestClient,
) -> None:
    # AlexNet's weights are a normal fill; their echoed bounds were the input's 0..2, so a
    # client that turned the fill into "integers" drew weights in 0..2 instead of -1..1
    layer = client.get("/api/presets/alexnet-conv1").json()["layer"]
    weights = layer["filters"]["fill"]
    assert weights["kind"] == "normal" and weights["low"] is None and weights["high"] is None
    assert layer["input"]["fill"]["low"] == 0 and layer["input"]["fill"]["high"] == 1  # uniform
    small = {**layer, "input": {"shape": [11, 11, 3]}, "filters": {
        **layer["filters"], "count": 2, "fill": {**weights, "kind": "integers"}}}
    values = np.array(client.post("/api/forward", json=small).json()["filters"])
    assert values.min() == -1 and values.max() == 1


def test_every_size_left_out_is_named_at_once_as_missing(client: TestClient) -> None:
    # {"input": {}, "filters": {}} named input.shape alone, and the filters' sizes only on
    # the next try
    for url in ("/api/geometry", "/api/forward"):
        entries = detail(client.post(url, json={"input": {}, "filters": {}}))
        assert [(e["loc"], e["type"]) for e in entries] == [
            (["body", "input", "shape"], "missing"), (["body", "filters", "count"], "missing"),
            (["body", "filters", "size"], "missing")], url
    entries = detail(client.post("/api/forward", json={"input": {},
                                                       "filters": {"count": 2, "size": 3}}))
    assert [e["loc"] for e in entries] == [["body", "input", "shape"]]


@pytest.mark.parametrize(("spec", "said"), [
    ({"input": {"shape": "5,5,3"}, "filters": {"count": 1, "size": 1}},
     'input.shape is "5,5,3": it is text, not a list; it takes [H, W, D]'),
    ({"input": {"shape": [5, 5, 3]}, "filters": {"count": 1, "size": 1, "bias": "1"}},
     'filters.bias is "1": it is text, not a list; it takes nested lists of numbers'),
    ({"input": {"shape": [5, 5, 3]}, "filters": {"count": "1", "size": 1}},
     'filters.count is "1": it is text, not a number; it takes a whole number from 1 to '
     "4,096 (this server's CONVSCOPE_MAX_FILTERS)"),
])
def test_text_is_said_to_be_not_what_the_field_takes(
    client: TestClient, spec: dict[str, Any], said: str
) -> None:
    (entry,) = detail(client.post("/api/forward", json=spec))
    assert entry["msg"].startswith(said), entry["msg"]


@pytest.mark.parametrize(("body", "said"), [
    ({"layer": {"preset": "cs231n-demo"}, "count": 0},
     "count is 0: it must be >= 1; it takes a whole number from 1 to 1,000 (this server's "
     "CONVSCOPE_MAX_STEPS)"),
    ({"layer": {"preset": "cs231n-demo", "filters": {"count": 0}}},
     "layer.filters.count is 0: it must be >= 1; it takes a whole number from 1 to 4,096 "
     "(this server's CONVSCOPE_MAX_FILTERS)"),
])
def test_a_count_below_1_is_told_the_most_it_takes_too(
    client: TestClient, body: dict[str, Any], said: str
) -> None:
    # "it must be >= 1; it takes a whole number >= 1" said the rule twice and not the most
    (entry,) = detail(client.post("/api/steps", json=body))
    assert entry["msg"] == said


def test_a_number_below_1_is_told_the_most_this_server_takes(
    client: TestClient, override_settings: Any
) -> None:
    # "max_side must be >= 1" gave no upper bound; a count's said the default, not the most
    # in force
    override_settings(max_image_side=96, max_filters=40, max_steps=30)
    takes = "it must be >= 1; it takes a whole number from 1 to {} (this server's {})"
    (entry,) = detail(client.get("/api/images/scene?max_side=0"))
    assert entry["msg"] == ("the query's max_side is 0: "
                            + takes.format(96, "CONVSCOPE_MAX_IMAGE_SIDE"))
    (entry,) = detail(client.post("/api/forward", json={
        "input": {"image": {"name": "scene", "max_side": 0}}, "filters": {"count": 1, "size": 1}}))
    assert entry["msg"] == ("input.image.max_side is 0: "
                            + takes.format(96, "CONVSCOPE_MAX_IMAGE_SIDE"))
    (entry,) = detail(client.post("/api/steps", json={
        "layer": {"preset": "cs231n-demo", "filters": {"count": 0}}, "count": 5}))
    assert entry["msg"] == "layer.filters.count is 0: " + takes.format(40, "CONVSCOPE_MAX_FILTERS")
    (entry,) = detail(client.post("/api/steps", json={"layer": {"preset": "cs231n-demo"},
                                                      "count": 0}))
    assert entry["msg"] == "count is 0: " + takes.format(30, "CONVSCOPE_MAX_STEPS")


@pytest.mark.parametrize(("url", "body", "said"), [
    ("/api/forward", {"input": {"shape": [5, 5, 3]}, "filters": {"count": 1, "size": 1},
                      "stride": None},
     "stride is null: it is null, not a number; it takes a whole number >= 1"),
    ("/api/steps", {"layer": {"input": {"shape": [5, 5, 1]}, "filters": {"count": 1, "size": 1}},
                    "count": None}, "count is null: it is null, not a number; it takes"),
    ("/api/inverse", {"layer": {"input": {"shape": [5, 5, 1]}, "filters": {"count": 1,
                                                                           "size": 1}},
                      "cell": None}, "cell is null: it is null, not a list; it takes [row, col]"),
    # names and base64 are text, not numbers
    ("/api/forward", {"input": {"shape": [64, 64, 3], "image": {"name": None}},
                      "filters": {"count": 1, "size": 1}},
     "input.image.name is null: it is null, not text; it takes a sample image's name"),
    ("/api/forward", {"input": {"values": {"dtype": "float32", "shape": [1, 1, 1], "data": None}},
                      "filters": {"count": 1, "size": 1}},
     "input.values.data is null: it is null, not text; it takes base64 text"),
])
def test_null_is_said_to_be_not_what_the_field_takes(
    client: TestClient, url: str, body: dict[str, Any], said: str
) -> None:
    # "stride is null: it is null; it takes ..." said the value twice and no reason
    (entry,) = detail(client.post(url, json=body))
    assert entry["msg"].startswith(said), entry["msg"]


@pytest.mark.parametrize(("url", "body", "hint"), [
    ("/api/forward", {"input": {"shap": [5, 5, 1]}, "filters": {"count": 1, "size": 1}},
     "input.shap is [5, 5, 1]: there is no such field (unknown fields are refused); did you "
     "mean shape?"),
    ("/api/forward", {"input": {"shape": [5, 5, 1]}, "filters": {
        "count": 1, "size": 1, "fill": {"kindd": "ones"}}}, "; did you mean kind?"),
    ("/api/steps", {"layer": {"input": {"shape": [5, 5, 1]}, "filters": {"count": 1, "size": 1}},
                    "positon": [0, 0, 0]}, "; did you mean position?"),
])
def test_a_near_miss_of_a_field_name_is_told_the_name(
    client: TestClient, url: str, body: dict[str, Any], hint: str
) -> None:
    # "strides" had a hint (another library's name), "input.shap" none
    (entry,) = detail(client.post(url, json=body))
    assert entry["type"] == "extra_forbidden" and entry["msg"].endswith(hint), entry["msg"]


def test_a_field_far_from_every_name_gets_no_guess(client: TestClient) -> None:
    spec = {"input": {"shape": [5, 5, 1]}, "filters": {"count": 1, "size": 1}, "zzz": 1,
            "count": 3}  # count: a field of /api/steps, not a near miss of one here
    entries = detail(client.post("/api/forward", json=spec))
    assert {str(e["loc"][-1]): e["msg"].endswith("(unknown fields are refused)")
            for e in entries} == {"zzz": True, "count": True}


def test_one_stray_layer_field_is_named_in_the_singular(client: TestClient) -> None:
    answer = client.post("/api/inverse", json={"cell": [0, 0], "stride": 2})
    [entry] = answer.json()["detail"]
    assert entry["msg"].endswith('and stride at the top is its field: it belongs inside it')


def test_a_uniform_fill_with_low_equal_to_high_is_every_value_low(client: TestClient) -> None:
    # [low, high) is empty there: the schema says what it gives instead
    spec = {"input": {"shape": [2, 2, 1], "fill": {"kind": "uniform", "low": 1.5, "high": 1.5}},
            "filters": {"count": 1, "size": 1}}
    answer = client.post("/api/forward", json=spec)
    assert answer.status_code == 200, answer.text
    assert np.asarray(answer.json()["padded_input"]).ravel().tolist() == [1.5] * 4
    described = client.get("/openapi.json").json()["components"]["schemas"]["FillSpec"]
    assert "every one `low` when they are equal" in described["properties"]["kind"]["description"]


def test_filters_given_by_value_get_no_bias_unless_one_is_asked_for(client: TestClient) -> None:
    # a reader checking their own 1x1 filter of weight 1 got every output shifted by a seeded
    # bias (1.0) they never gave
    x = [[[1.0], [2.0]], [[3.0], [4.0]]]
    spec: dict[str, Any] = {"input": {"values": x}, "filters": {"values": [[[[1.0]]]]}}
    answer = client.post("/api/forward", json=spec).json()
    assert answer["bias"] == [0.0]
    assert answer["output"] == x
    # a bias fill asked for is made as before, beside given weights too
    seeded = {"input": {"shape": [2, 2, 1]}, "filters": {"count": 3, "size": 1}}
    made = client.post("/api/forward", json=seeded).json()["bias"]
    spec["filters"] = {"values": [[[[1.0]]]] * 3, "bias_fill": {"kind": "integers"}}
    assert client.post("/api/forward", json=spec).json()["bias"] == made
    # and filters made by a fill keep their seeded biases (the demo's b0 = 1, b1 = 0)
    demo = {**square(5, 3, 2, 3), "stride": 2, "padding": 1}
    assert client.post("/api/forward", json=demo).json()["bias"] == [1.0, 0.0]


@pytest.mark.parametrize(
    ("shape", "size", "stride", "padding", "sent_as"),
    [
        ([64, 56, 56], 3, 1, 1, "[56, 56, 64]"),  # a bottleneck's input, channels first: fits
        ([3, 224, 224], 7, 2, 3, "[224, 224, 3]"),  # ResNet's stem: a misfit of the width
        ([3, 224, 320], 3, 1, 1, "[224, 320, 3]"),  # a wide picture's few channels first
    ],
)
def test_a_channels_first_input_shape_gets_a_note_with_the_shape_to_send(
    client: TestClient, shape: list[int], size: int, stride: int, padding: int, sent_as: str
) -> None:
    spec = {"input": {"shape": shape}, "filters": {"count": 64, "size": size},
            "stride": stride, "padding": padding}
    answer = client.post("/api/geometry", json=spec).json()
    noted = [n for n in answer["notes"] if "(C, H, W)" in n]
    assert len(noted) == 1, answer["notes"]
    assert f"the same input is {sent_as} here" in noted[0]
    assert f"{shape[0]} rows, {shape[1]} columns, {shape[2]} channels" in noted[0]


def test_the_notes_layers_get_no_channels_first_note(client: TestClient) -> None:
    names = [p["name"] for p in client.get("/api/presets").json()]
    assert len(names) >= 10
    for name in names:
        answer = client.post("/api/geometry", json={"preset": name}).json()
        assert not [n for n in answer["notes"] if "(C, H, W)" in n], (name, answer["notes"])


@pytest.mark.parametrize(("extra", "words"), [
    ({"bias": False}, ["bias_fill", "zeros"]),  # PyTorch's bias=False beside the sizes
    ({"bias": True}, ["every layer here has biases"]),
    ({"bias": [1, 2]}, ["filters.bias, K numbers"]),
    ({"groups": 1}, ["every layer here is groups=1", "leave groups out"]),
    ({"groups": 32}, ["grouped and depthwise filters are not supported"]),
])
def test_pytorch_layer_arguments_beside_the_layer_say_where_they_go_here(
    client: TestClient, extra: dict[str, Any], words: list[str]
) -> None:
    (entry,) = detail(client.post("/api/geometry", json={**square(8, 3, 2, 3), **extra}))
    assert entry["loc"] == ["body", next(iter(extra))]
    for word in words:
        assert word in entry["msg"], entry["msg"]
