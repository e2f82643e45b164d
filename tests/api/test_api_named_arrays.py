"""``input.image`` and ``filters.bank``: a sample image and a filter bank named in a layer spec."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.layer_cache import LayerCache
from app.schemas import LayerSpec

NAMED = {
    "input": {"shape": [64, 64, 3], "image": {"name": "vertical-edge"}},
    "filters": {"count": 2, "size": 3, "bank": "sobel"},
    "activation": "relu",
}


def explicit(client: TestClient, image: str, bank: str) -> dict[str, Any]:
    """The same layer with the numbers fetched from the image and bank endpoints."""
    picture = client.get(f"/api/images/{image}?encoding=json").json()
    filters = client.get(f"/api/filter-banks/{bank}").json()
    return {"input": picture["input"],
            "filters": {"count": filters["count"], "size": filters["size"],
                        "values": filters["values"], "bias": filters["bias"]},
            "activation": "relu"}


def test_a_named_image_and_bank_compute_what_their_numbers_compute(client: TestClient) -> None:
    named = client.post("/api/forward", json=NAMED)
    assert named.status_code == 200, named.text
    numbers = client.post("/api/forward", json=explicit(client, "vertical-edge", "sobel"))
    assert named.json() == numbers.json()
    # sobel-x on the vertical edge: 4 = (1 + 2 + 1) * 1 at the edge's columns (30, 31)
    assert named.json()["output"][5][30][0] == pytest.approx(4.0)
    assert len(json.dumps(NAMED)) < 200


def test_edits_lay_over_a_named_bank(client: TestClient) -> None:
    spec = {**NAMED, "edits": [{"array": "filters", "index": [0, 1, 1, 0], "value": 9}]}
    numbers = explicit(client, "vertical-edge", "sobel")
    numbers["filters"]["values"][0][1][1][0] = 9
    edited = client.post("/api/forward", json=spec)
    assert edited.status_code == 200, edited.text
    assert edited.json() == client.post("/api/forward", json=numbers).json()
    assert edited.json()["filters"][0][1][1][0] == 9


def test_named_specs_are_cache_keys_that_differ_by_name() -> None:
    keys = {LayerCache.key(LayerSpec.model_validate(spec)) for spec in (
        NAMED,
        {**NAMED, "filters": {**NAMED["filters"], "bank": "prewitt"}},
        {**NAMED, "input": {"shape": [64, 64, 3], "image": {"name": "stripes"}}},
    )}
    assert None not in keys and len(keys) == 3


def test_the_schema_lists_the_sample_and_bank_names(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert "vertical-edge" in schemas["ImageSourceSpec"]["properties"]["name"]["enum"]
    bank = schemas["FiltersSpec"]["properties"]["bank"]
    assert "sobel" in json.dumps(bank) and "first-layer" in json.dumps(bank)


@pytest.mark.parametrize(
    ("change", "loc", "words"),
    [
        ({"input": {"shape": [60, 64, 3], "image": {"name": "vertical-edge"}}},
         ["body", "input", "shape"], "[60, 64, 3] is not the shape of sample image "
         "'vertical-edge' at max_side 256: [64, 64, 3]"),
        ({"input": {"shape": [32, 32, 3], "image": {"name": "vertical-edge", "max_side": 300}}},
         ["body", "input", "image", "max_side"], "300, over this server's limit of 256"),
        ({"input": {"shape": [64, 64, 3], "image": {"name": "cat"}}},
         ["body", "input", "image", "name"],
         '"cat": there is no sample image of that name; known: vertical-edge'),
        ({"input": {"shape": [3, 3, 3], "values": [[[0, 0, 0]] * 3] * 3,
                    "image": {"name": "vertical-edge"}}},
         ["body", "input", "image"], "not both"),
        # values of another shape too: said first (their shape against input.shape sent the
        # user to leave the shape out, which the image then needed)
        ({"input": {"shape": [64, 64, 3], "values": [[[1, 2, 3]]],
                    "image": {"name": "vertical-edge"}}},
         ["body", "input", "image"], "give the input's `values` or an `image`, not both"),
        ({"filters": {"count": 2, "size": 3, "bank": "sobel", "values": [[[[1.0] * 3] * 3] * 3]}},
         ["body", "filters", "bank"], "give the filters' `values` or a `bank`, not both"),
        ({"filters": {"count": 2, "size": 3, "bank": "nope"}},
         ["body", "filters", "bank"],
         '"nope": there is no filter bank of that name; known: sobel'),
        ({"filters": {"count": 3, "size": 3, "bank": "sobel"}},
         ["body", "filters", "bank"], "bank 'sobel' is 2 filters of 3x3x3, but filters.count "
         "is 3: give filters.count 2, or another bank"),
        # each size that differs named, with what would fit it ("the layer asks for 2 of
        # 3x3x1" left the reader to find which of three fields to change)
        ({"input": {"shape": [64, 64, 1]}, "filters": {"count": 2, "size": 3, "bank": "sobel"}},
         ["body", "filters", "bank"], "but the input is 1 deep: give an input 3 deep, or"),
        ({"input": {"shape": [64, 64, 1]},
          "filters": {"count": 1, "size": [3, 5], "bank": "sobel"}},
         ["body", "filters", "bank"], "but filters.count is 1, filters.size is 3x5 and the "
         "input is 1 deep: give filters.count 2, filters.size 3 and an input 3 deep, or"),
        ({"connectivity": "local"}, ["body", "filters", "bank"], "connectivity 'shared'"),
    ],
)
def test_a_name_that_does_not_fit_is_a_422_naming_the_field(
    client: TestClient, change: dict[str, Any], loc: list[Any], words: str
) -> None:
    answer = client.post("/api/forward", json={**NAMED, **change})
    assert answer.status_code == 422, answer.text
    [entry] = answer.json()["detail"]
    assert entry["loc"] == loc
    assert words in entry["msg"]


@pytest.mark.parametrize("change", [{"input": {"shape": [64, 64, 3], "image": {"name": "cat"}}},
                                    {"filters": {"count": 2, "size": 3, "bank": "nope"}}])
def test_an_unknown_name_lists_the_known_names_once(
    client: TestClient, change: dict[str, Any]
) -> None:
    [entry] = client.post("/api/forward", json={**NAMED, **change}).json()["detail"]
    first = "sobel" if "filters" in change else "vertical-edge"
    assert entry["msg"].count(first) == 1, entry["msg"]


def test_a_named_image_at_a_smaller_side_is_resized(client: TestClient) -> None:
    spec = {**NAMED, "input": {"shape": [32, 32, 3],
                               "image": {"name": "vertical-edge", "max_side": 32}}}
    answer = client.post("/api/forward", json=spec)
    assert answer.status_code == 200, answer.text
    assert answer.json()["geometry"]["output_shape"] == [30, 30, 2]


@pytest.mark.parametrize(("change", "loc"), [
    ({"filters": {"count": 2, "size": 5, "bank": "sobel"}}, ["filters", "bank"]),
    ({"input": {"shape": [64, 64, 1], "image": {"name": "vertical-edge"}}}, ["input", "shape"]),
    ({"input": {"shape": [64, 64, 3], "image": {"name": "vertical-edge", "max_side": 63}}},
     ["input", "shape"]),
    ({"connectivity": "local"}, ["filters", "bank"]),
    ({"filters": {"count": 2, "size": 3, "bank": "sobel", "values": [[[[0.0] * 3] * 3] * 3] * 2}},
     ["filters", "bank"]),
])
def test_geometry_and_inverse_refuse_names_as_the_endpoints_that_make_them_do(
    client: TestClient, change: dict[str, Any], loc: list[str]
) -> None:
    # they answered 200 (valid: true) for layers every other endpoint refused
    spec = {**NAMED, **change}
    made = client.post("/api/forward", json=spec)
    assert made.status_code == 422
    # the first said is the field to change (an input of depth 1 is also not the bank's 3)
    entries = made.json()["detail"]
    assert entries[0]["loc"] == ["body", *loc]
    for path, body, at in (("/api/geometry", spec, []),
                           ("/api/inverse", {"layer": spec, "cell": [0, 0]}, ["layer"])):
        answer = client.post(path, json=body)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["detail"] == [
            {**entry, "loc": ["body", *at, *entry["loc"][1:]]} for entry in entries]


@pytest.mark.parametrize(("path", "at"), [
    ("/api/forward", []), ("/api/geometry", []), ("/api/input", []),
    ("/api/backward", ["layer"]), ("/api/steps", ["layer"]), ("/api/inverse", ["layer"])])
def test_a_bank_of_other_sizes_and_an_edit_of_no_cell_are_refused_together(
    client: TestClient, path: str, at: list[str]
) -> None:
    # the edit (filter 3 of the 3 asked for) was refused alone by the endpoints that make the
    # arrays; fixed, the bank (2 filters) was then refused: both could be said the first time
    spec = {**NAMED, "filters": {"count": 3, "size": 3, "bank": "sobel"},
            "edits": [{"array": "filters", "index": [3, 0, 0, 0], "value": 1}]}
    body = {"layer": spec, **({"cell": [0, 0]} if "inverse" in path else {})} if at else spec
    answer = client.post(path, json=body)
    assert answer.status_code == 422, answer.text
    assert [(e["loc"], e["type"]) for e in answer.json()["detail"]] == [
        (["body", *at, "filters", "bank"], "layer_error"),
        (["body", *at, "edits", 0, "index"], "layer_error")]


def test_a_bank_without_sizes_is_told_to_state_them(client: TestClient) -> None:
    # it was told to give filters.values instead, which a bank refuses beside it
    answer = client.post("/api/geometry", json={"input": {"shape": [64, 64, 3]},
                                                "filters": {"bank": "sobel"}})
    assert [(e["loc"][-1], e["msg"]) for e in answer.json()["detail"]] == [
        (name, f"no filters.{name}: give it (a filters.bank needs the spec to state its sizes)")
        for name in ("count", "size")]


@pytest.mark.parametrize(("connectivity", "shape", "fix"), [
    ("shared", (5, 4, 3, 3, 2, 2), 'for a locally connected layer\'s weights, give connectivity '
     '"local"'),
    ("local", (3, 3, 3, 2), 'for shared weights, give connectivity "shared"'),
])
def test_weights_of_the_other_connectivity_are_told_which_it_is(
    client: TestClient, connectivity: str, shape: tuple[int, ...], fix: str
) -> None:
    body = {"input": {"shape": [7, 6, 2]}, "filters": {"values": np.zeros(shape).tolist()},
            "connectivity": connectivity}
    [entry] = client.post("/api/forward", json=body).json()["detail"]
    assert entry["loc"] == ["body", "filters", "values"] and entry["msg"].endswith(fix)
