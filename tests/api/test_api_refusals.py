"""Every class of bad input is refused with the right status and a message naming the field.

Never a 500: malformed JSON, NaN, wrong types, ragged arrays, huge shapes, oversized bodies.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator, MutableMapping
from typing import Any

import httpx
import numpy as np
import pytest
from api_helpers import ALEXNET, compact, square
from fastapi.testclient import TestClient

import app.convert as app_convert
import app.costs as app_costs
import app.json_body as json_body
import app.layer_cache as app_layer_cache
from app.config import Settings
from app.main import create_app

JSON = {"content-type": "application/json"}


def refused(response: Any, status: int = 422) -> dict[str, Any]:
    """The single detail entry of a refusal, after checking the status."""
    assert response.status_code == status, response.text
    details = response.json()["detail"]
    assert isinstance(details, list) and details
    entry: dict[str, Any] = details[0]
    assert {"loc", "msg", "type"} <= set(entry)
    return entry


def locs(response: Any) -> list[list[Any]]:
    return [entry["loc"] for entry in response.json()["detail"]]


# ----------------------------------------------------------------------------- malformed bodies


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"[" * 100_000, "depth limit"),
        (b"not json at all", "invalid literal"),
        (b'{"input": ', "unexpected end"),
    ],
)
def test_malformed_json_is_422_saying_why(client: TestClient, body: bytes, why: str) -> None:
    entry = refused(client.post("/api/forward", content=body, headers=JSON))
    assert entry["type"] == "json_invalid"
    assert why in entry["msg"].lower()


@pytest.mark.parametrize(
    ("body", "loc", "msg"),
    [
        (b'{"input": {"shape": [NaN, 5, 3]}}', ["input", "shape", 0],
         "input.shape[0] is NaN: JSON has no NaN or Infinity"),
        (b'{"input": {"shape": [7, Infinity, 3]}}', ["input", "shape", 1],
         "input.shape[1] is Infinity: JSON has no NaN or Infinity"),
        (b'{"input": {"values": [[[1, -Infinity]]]}}', ["input", "values", 0, 0, 1],
         "input.values[0][0][1] is -Infinity: JSON"),
        (b'{"stride": 1e999}', ["stride"], "stride is 1e999: too large for a float"),
        (b'{"filters": {"bias": [2, -1.5E+999]}}', ["filters", "bias", 1],
         "filters.bias[1] is -1.5E+999: too large for a float"),
        # more digits than Python converts (4,300): orjson and Python's parser both refuse it
        (b'{"stride": 1' + b"0" * 5000 + b"}", ["stride"],
         "stride is 1000000000000000000000000... (5001 digits): a whole number of more digits "
         "than this server reads"),
        (b'{"stride": -1' + b"0" * 5000 + b"}", ["stride"],
         "stride is -1000000000000000000000000... (5001 digits): a whole number of more digits "
         "than this server reads"),
    ],
)
def test_a_number_no_float_holds_is_refused_at_its_field(
    client: TestClient, body: bytes, loc: list[Any], msg: str
) -> None:
    # orjson says only the character it stopped at; the refusal names the field
    entry = refused(client.post("/api/forward", content=body, headers=JSON))
    assert entry["loc"] == ["body", *loc] and entry["type"] == "json_invalid"
    assert entry["msg"].startswith(msg), entry["msg"]


def test_every_number_no_float_holds_is_refused_at_its_own_field(client: TestClient) -> None:
    # two or more were one entry at a character of the body ("loc": ["body", 76])
    body = (b'{"input": {"shape": [5, 5, 3], "fill": {"kind": "uniform", "low": 1e400}}, '
            b'"filters": {"count": 2, "size": 3, "bias": [NaN, -Infinity]}}')
    entries = client.post("/api/forward", content=body, headers=JSON).json()["detail"]
    assert [(e["loc"], e["type"]) for e in entries] == [
        (["body", "input", "fill", "low"], "json_invalid"),
        (["body", "filters", "bias", 0], "json_invalid"),
        (["body", "filters", "bias", 1], "json_invalid"),
    ]
    assert [e["msg"].split(":")[0] for e in entries] == [
        "input.fill.low is 1e400", "filters.bias[0] is NaN", "filters.bias[1] is -Infinity"]


def test_past_the_most_refused_numbers_the_refusal_says_the_character(
    client: TestClient,
) -> None:
    def refusal_of(columns: int) -> list[dict[str, Any]]:
        values = b"[[" + b", ".join([b"[NaN]"] * columns) + b"]]"  # 1 x columns x 1
        answer = client.post("/api/forward", content=b'{"input": {"values": ' + values + b'}}',
                             headers=JSON)
        entries: list[dict[str, Any]] = answer.json()["detail"]
        return entries

    most = json_body.MOST_REFUSED_NUMBERS
    assert [e["loc"] for e in refusal_of(most)] == [
        ["body", "input", "values", 0, column, 0] for column in range(most)]
    [entry] = refusal_of(most + 1)  # the first NaN, by its character in the body
    assert (entry["loc"], entry["type"]) == (["body", 24], "json_invalid")
    assert "NaN at character 24" in entry["msg"]


DEMO_BODY = b'"input": {"shape": [5, 5, 3]}, "filters": {"count": 2, "size": 3}'


@pytest.mark.parametrize(("path", "body", "locs"), [
    ("/api/forward", b'{' + DEMO_BODY + b', "stride": 2, "stride": 1}', [["stride"]]),
    ("/api/forward", b'{"input": {"shape": [5, 5, 3], "shape": [4, 4, 3]}, '
     b'"filters": {"count": 2, "size": 3, "count": 1}}',
     [["input", "shape"], ["filters", "count"]]),
    ("/api/forward", b'{' + DEMO_BODY + b', "edits": [{"array": "bias", "index": [0], '
     b'"value": 1}, {"array": "bias", "index": [1], "value": 1, "value": 2}]}',
     [["edits", 1, "value"]]),
    ("/api/steps", b'{"layer": {' + DEMO_BODY + b'}, "start": 1, "start": 2}', [["start"]]),
    # a string holding a quote and a colon, and numbers before an object: read again, found
    ("/api/forward", b'{' + DEMO_BODY + b', "preset": "a \\": b", "padding": [1, {"a": 1, '
     b'"a": 2}]}', [["padding", 1, "a"]]),
    # in a large body of values too
    ("/api/forward", b'{"input": {"values": ' + json.dumps(
        np.ones((100, 100, 3)).tolist()).encode() + b'}, "filters": {"count": 2, "size": 3}, '
     b'"stride": 1, "stride": 1}', [["stride"]]),
])
def test_a_key_given_twice_is_refused_at_its_path(
    client: TestClient, path: str, body: bytes, locs: list[list[Any]]
) -> None:
    # it was answered as the last one said (the 5x5 input computed as 4x4, 200): JSON leaves
    # which one counts to the reader, so the sender may have meant the other
    answer = client.post(path, content=body, headers=JSON)
    assert answer.status_code == 422, answer.text
    entries = answer.json()["detail"]
    assert [e["loc"] for e in entries] == [["body", *loc] for loc in locs]
    assert {e["type"] for e in entries} == {"duplicate_key"}
    assert entries[0]["msg"].endswith("is given twice in one object: send it once (JSON leaves "
                                      "which one counts)"), entries[0]["msg"]


@pytest.mark.parametrize("body", [
    b'{' + DEMO_BODY + b', "preset": "a \\": b"}',  # read again, nothing twice
    b'{' + DEMO_BODY + b', "edits": [{"array": "bias", "index": [0], "value": 1}, '
    b'{"array": "bias", "index": [0], "value": 2}]}',  # the same keys in two objects
])
def test_keys_once_in_each_object_are_not_refused_as_twice(
    client: TestClient, body: bytes
) -> None:
    answer = client.post("/api/forward", content=body, headers=JSON)
    assert all(e["type"] != "duplicate_key" for e in answer.json().get("detail", [])), \
        answer.text


@pytest.mark.parametrize(("body", "at"), [
    (b'{"stride": 1e999, "padding": [1,}', 11),  # the rest is not JSON either
    (b'{"stride": NaN, "x": "' + b"y" * 70_000 + b'"}', 11),  # too large to read twice
])
def test_a_bad_number_in_a_body_not_read_again_is_refused_at_its_character(
    client: TestClient, body: bytes, at: int
) -> None:
    entry = refused(client.post("/api/forward", content=body, headers=JSON))
    assert entry["loc"] == ["body", at] and entry["type"] == "json_invalid"
    assert f"at character {at}" in entry["msg"]


@pytest.mark.parametrize(("body", "where"), [
    (b"not json", "at line 1, column 1"),
    (b'{"input": {"shape": [5, 5, 3]},\n "filters": {"count": 2 "size": 3}}',
     "at line 2, column 25"),
])
def test_a_body_that_is_not_json_is_refused_at_its_line_and_column(
    client: TestClient, body: bytes, where: str
) -> None:
    # "the body is not valid JSON: invalid literal, expected 'null'" left a reader to count
    # characters (and to wonder about null, the parser's guess for a body starting with n)
    entry = refused(client.post("/api/forward", content=body, headers=JSON))
    assert entry["type"] == "json_invalid"
    assert entry["msg"].startswith(f"the body is not valid JSON {where}: "), entry["msg"]


@pytest.mark.parametrize("body", [b"", b" ", b"\r\n\t "])
def test_empty_body_is_422_body_required(client: TestClient, body: bytes) -> None:
    # spaces alone were "not valid JSON: input data is empty" at character 0
    entry = refused(client.post("/api/forward", content=body, headers=JSON))
    assert entry["loc"] == ["body"]
    assert entry["type"] == "missing"
    assert entry["msg"] == "the body is empty: send the request as a JSON object"  # not
    # "the body: it is required", as though a field of it were


@pytest.mark.parametrize("media", ["text/plain", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x", "application/jsonx"])
def test_non_json_content_type_is_415_naming_the_header(client: TestClient, media: str) -> None:
    response = client.post("/api/forward", content=b"input=5", headers={"content-type": media})
    entry = refused(response, 415)
    assert entry["loc"] == ["header", "content-type"]
    assert entry["type"] == "unsupported_media_type"
    assert media.split(";")[0] in entry["msg"]


@pytest.mark.parametrize("path", ["/api/geometry", "/api/forward", "/api/steps",
                                  "/api/inverse", "/api/backward"])
def test_json_body_without_content_type_is_415_saying_what_to_send(
    client: TestClient, path: str
) -> None:
    body = b'{"input": {"shape": [5, 5, 1]}, "filters": {"count": 1, "size": 3}}'
    response = client.post(path, content=body)
    assert "content-type" not in response.request.headers
    entry = refused(response, 415)
    assert entry["loc"] == ["header", "content-type"]
    assert entry["type"] == "unsupported_media_type"
    assert "no Content-Type" in entry["msg"]
    assert "Content-Type: application/json" in entry["msg"]


@pytest.mark.parametrize(("path", "media"), [
    ("/api/forward", "application/json; charset=latin-1"),
    ("/api/geometry", 'application/json;charset="ISO-8859-1"'),
    ("/api/steps", "application/json; foo=bar; charset=utf-16"),
])
def test_json_in_another_charset_is_415_not_misread(
    client: TestClient, path: str, media: str
) -> None:
    # JSON is UTF-8: a body said to be latin-1 was read as UTF-8 regardless
    body = b'{"input": {"shape": [5, 5, 1]}, "filters": {"count": 1, "size": 3}}'
    entry = refused(client.post(path, content=body, headers={"content-type": media}), 415)
    assert entry["loc"] == ["header", "content-type"]
    assert entry["type"] == "unsupported_media_type"
    charset = media.rsplit("charset=", 1)[1].strip('"').lower()
    assert f"the body is sent in charset {charset!r}; JSON is read as UTF-8" in entry["msg"]


@pytest.mark.parametrize("media", ["application/json; charset=utf-8", "application/vnd.a+json",
                                   'application/json; charset="UTF-8"', "application/json;",
                                   "application/json; charset=us-ascii",
                                   "application/json; charset="])
def test_json_media_types_with_parameters_or_suffix_are_read(
    client: TestClient, media: str
) -> None:
    body = b'{"input": {"shape": [5, 5, 1]}, "filters": {"count": 1, "size": 3}}'
    response = client.post("/api/geometry", content=body, headers={"content-type": media})
    assert response.json()["output_shape"] == [3, 3, 1]  # (5 - 3)/1 + 1 = 3


def test_json_array_instead_of_object_is_422(client: TestClient) -> None:
    assert refused(client.post("/api/geometry", json=[1, 2, 3]))["loc"] == ["body"]


# ----------------------------------------------------------------------------- strict types


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"stride": True}, ["body", "stride"]),
        ({"stride": "2"}, ["body", "stride"]),
        ({"stride": 1.5}, ["body", "stride"]),
        ({"stride": 0}, ["body", "stride"]),
        ({"padding": -1}, ["body", "padding"]),
        ({"padding": [1, 1, 1]}, ["body", "padding"]),
        ({"dilation": [1, 2, 3]}, ["body", "dilation"]),
        ({"fit": "crop"}, ["body", "fit"]),
        ({"connectivity": "dense"}, ["body", "connectivity"]),
        ({"activation": "tanh"}, ["body", "activation"]),
        ({"strides": 2}, ["body", "strides"]),
        ({"input": {"shape": [5, 5]}}, ["body", "input", "shape"]),
        ({"input": {"shape": [5, 5, True]}}, ["body", "input", "shape"]),
        ({"input": {"shape": [5, 5, 0]}}, ["body", "input", "shape"]),
        ({"input": {"shape": [5, 5, 1], "colour": "red"}}, ["body", "input", "colour"]),
        ({"filters": {"count": 1}}, ["body", "filters", "size"]),
        ({"filters": {"count": 1.5, "size": 3}}, ["body", "filters", "count"]),
        ({"input": {"shape": [5, 5, 1], "fill": {"kind": "integers", "low": 3, "high": 1}}},
         ["body", "input", "fill"]),
        ({"input": {"shape": [5, 5, 1], "fill": {"seed": -1}}},
         ["body", "input", "fill", "seed"]),
        ({"input": {"shape": [5, 5, 1], "fill": {"low": 1e300}}},
         ["body", "input", "fill", "low"]),
    ],
)
def test_wrong_types_and_values_are_422_naming_the_field(
    client: TestClient, change: dict[str, Any], loc: list[str]
) -> None:
    spec = {**square(5, 1, 1, 3), **change}
    response = client.post("/api/forward", json=spec)
    assert response.status_code == 422, response.text
    assert any(found[: len(loc)] == loc for found in locs(response)), locs(response)
    assert "input" not in response.json()["detail"][0]  # bodies are never echoed back


def test_float_nan_reaching_the_schema_is_refused_as_not_finite() -> None:
    # orjson refuses NaN literals before the schema; the schema refuses them too.
    from pydantic import ValidationError

    from app.schemas import FillSpec

    with pytest.raises(ValidationError, match="finite"):
        FillSpec(mean=float("nan"))


@pytest.mark.parametrize(
    ("path", "body", "loc", "echo"),
    [
        # beyond 64 bits: orjson alone reads these as floats (1e+29, 999...216)
        ("/api/geometry", b'{"input": {"shape": [7, 7, 3]}, "filters": {"count": 2, "size": 3}, '
         b'"stride": 100000000000000000000000000000}', ["body", "stride"],
         "100,000,000,000,000,000,000,000,000,000"),
        ("/api/steps", b'{"layer": {"input": {"shape": [7, 7, 3]}, "filters": {"count": 2, '
         b'"size": 3}}, "start": 100000000000000000000000000001}', ["body", "start"],
         "start 100000000000000000000000000001 "),
        ("/api/forward", b'{"input": {"shape": [7, 7, 3], "fill": {"kind": "integers", "low": 0, '
         b'"high": 1, "seed": -18446744073709551617}}, "filters": {"count": 2, "size": 3}}',
         ["body", "input", "fill", "seed"], "seed is -18446744073709551617:"),
        # 19 digits, the fewest past 64 bits (below -2**63): orjson reads -1e+19
        ("/api/forward", b'{"input": {"shape": [7, 7, 3], "fill": {"kind": "integers", "low": 0, '
         b'"high": 1, "seed": -9999999999999999999}}, "filters": {"count": 2, "size": 3}}',
         ["body", "input", "fill", "seed"], "seed is -9999999999999999999:"),
        # past a float's range too (orjson refuses these as "infinity"): still the field's,
        # quoted cut short
        ("/api/steps", b'{"layer": {"input": {"shape": [7, 7, 3]}, "filters": {"count": 2, '
         b'"size": 3}}, "start": 1' + b"0" * 400 + b"}", ["body", "start"],
         "start 1" + "0" * 24 + "... (401 digits) is out of range"),
        ("/api/geometry", b'{"input": {"shape": [7, 7, 3]}, "filters": {"count": 2, "size": 3}, '
         b'"stride": -1' + b"0" * 400 + b"}", ["body", "stride"], "stride is -10000"),
    ],
)
def test_integers_beyond_64_bits_are_echoed_as_sent(
    client: TestClient, path: str, body: bytes, loc: list[Any], echo: str
) -> None:
    entry = refused(client.post(path, content=body, headers=JSON))
    assert entry["loc"] == loc
    assert echo in entry["msg"], entry["msg"]


def test_a_whole_number_past_a_floats_range_in_a_float_field_says_so(client: TestClient) -> None:
    huge = b"1" + b"0" * 400
    body = (b'{"input": {"shape": [5, 5, 1], "fill": {"kind": "uniform", "low": ' + huge
            + b'}}, "filters": {"count": 1, "size": 3}}')
    entry = refused(client.post("/api/forward", content=body, headers=JSON))
    assert entry["loc"] == ["body", "input", "fill", "low"]
    assert entry["msg"].endswith("it is a whole number too large for a float (about 1.8e308)")


@pytest.mark.parametrize("rest", [
    b', "order": "\\ud800"}',  # a lone surrogate, which orjson refuses and Python's json takes
    b', "order": "depth_slice", "pad": "' + b"x" * 70_000 + b'"}',  # past the small bodies
])
def test_a_huge_integer_does_not_let_what_orjson_refuses_through(
    client: TestClient, rest: bytes
) -> None:
    body = (b'{"layer": {"input": {"shape": [5, 5, 1]}, "filters": {"count": 1, "size": 3}}, '
            b'"start": 1' + b"0" * 400 + rest)
    entry = refused(client.post("/api/steps", content=body, headers=JSON))
    assert entry["type"] == "json_invalid", entry
    assert "too large for a float" in entry["msg"]


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_a_compressed_body_is_refused_naming_its_content_encoding(
    client: TestClient, encoding: str
) -> None:
    # the header is what is refused, whatever the bytes
    body = gzip.compress(b'{"input": {"shape": [5, 5, 3]}, "filters": {"count": 2, "size": 3}}')
    entry = refused(client.post("/api/geometry", content=body,
                                headers={**JSON, "content-encoding": encoding}), 415)
    assert entry["loc"] == ["header", "content-encoding"]
    assert entry["type"] == "unsupported_media_type"
    assert f"Content-Encoding {encoding!r}" in entry["msg"]


@pytest.mark.parametrize(("body", "at", "words"), [
    ('{"input": {"shape": [5, 5, 3]}}'.encode("utf-16"), 0, "a UTF-16 byte order mark"),
    ('{"input": {"shape": [5, 5, 3]}, "x": "é"}'.encode("latin-1"), 38, "(0xe9)"),
])
def test_a_body_that_is_not_utf8_says_where(
    client: TestClient, body: bytes, at: int, words: str
) -> None:
    # orjson alone said "str is not valid UTF-8: surrogates not allowed" at character 0
    entry = refused(client.post("/api/geometry", content=body, headers=JSON))
    assert entry["loc"] == ["body", at] and entry["type"] == "json_invalid"
    assert entry["msg"].startswith(f"the body is not UTF-8 text: byte {at} ")
    assert words in entry["msg"]


# ----------------------------------------------------------------------------- array values


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ([[[1.0]] * 3] * 2, ["shape [2, 3, 1]", "[3, 3, 1]"]),  # wrong shape: both named
        ([[[1.0]] * 3, [[1.0]] * 3, [[1.0]] * 2], ["ragged", "3 and 2"]),
        # the lengths in the order they come (largest first, it named the second list's first)
        ([[[1.0]] * 2, [[1.0]] * 3, [[1.0]] * 3], ["ragged", "lengths 2 and 3"]),
        ([[[1.0], [2.0], [3.0]]] * 2 + [[[1.0], [2.0], [[3.0]]]], ["ragged"]),
        # the value as the client wrote it: JSON, not Python's repr
        ([[[1.0], [True], [3.0]]] * 3, ["holds true,", "not a number"]),
        ([[[1.0], ["2"], [3.0]]] * 3, ['holds "2",', "not a number"]),
        ([[[1.0], [None], [3.0]]] * 3, ["holds null,", "not a number"]),
        ([[[1.0], [1e308 * 10], [3.0]]] * 3, ["finite"]),
    ],
)
def test_bad_nested_values_are_422_naming_input_values(
    client: TestClient, values: Any, words: list[str]
) -> None:
    spec = square(3, 1, 1, 3)
    spec["input"]["values"] = values
    if any(isinstance(v, float) and not np.isfinite(v) for v in np.ravel(values[0])):
        # JSON cannot carry inf; send it as a number too large for a float instead
        body = (b'{"input": {"shape": [3, 3, 1], "values": [[[1e400]]]}, '
                b'"filters": {"count": 1, "size": 3}}')
        entry = refused(client.post("/api/forward", content=body, headers=JSON))
        assert entry["loc"] == ["body", "input", "values", 0, 0, 0]
        assert "input.values[0][0][0] is 1e400: too large for a float" in entry["msg"]
        return
    entry = refused(client.post("/api/forward", json=spec))
    # a non-number at its place, the array's other faults at the array
    at = [0, 1, 0] if "not a number" in words else []
    assert entry["loc"] == ["body", "input", "values", *at]
    for word in words:
        assert word in entry["msg"]


def test_filter_values_of_the_wrong_shape_name_both_shapes(client: TestClient) -> None:
    spec = square(5, 2, 3, 3)
    spec["filters"]["values"] = np.zeros((3, 3, 3, 1)).tolist()
    entry = refused(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "filters", "values"]
    assert "[3, 3, 3, 1]" in entry["msg"] and "[3, 3, 3, 2]" in entry["msg"]


# Arrays whose shape is wrong only against another field: the filters' depth against the
# input's, the biases against the filters' count, a locally connected layer's against its
# output size. (The case, the field refused, the shape the layer needs.)
WRONG_AGAINST_THE_LAYER = [
    ({"input": {"shape": [3, 3, 3]}, "filters": {"values": np.ones((1, 2, 2, 2)).tolist()}},
     "filters.values", "[1, 2, 2, 3]"),
    ({"input": {"shape": [3, 3, 1]}, "filters": {"count": 2, "size": 2, "bias": [1, 2, 3]}},
     "filters.bias", "(K,) = [2]"),
    ({"input": {"shape": [3, 3, 1]}, "connectivity": "local",
      "filters": {"values": np.ones((3, 2, 1, 2, 2, 1)).tolist()}},
     "filters.values", "(H2, W2, K, Fh, Fw, D) = [2, 2, 1, 2, 2, 1]"),
    ({"input": {"shape": [3, 3, 1]}, "connectivity": "local",
      "filters": {"count": 1, "size": 2, "bias": [1, 2]}},
     "filters.bias", "(H2, W2, K) = [2, 2, 1]"),
]


@pytest.mark.parametrize(("spec", "field", "needs"), WRONG_AGAINST_THE_LAYER)
def test_every_endpoint_refuses_arrays_that_disagree_with_the_layer_alike(
    client: TestClient, spec: dict[str, Any], field: str, needs: str
) -> None:
    # /api/geometry said "valid: true" and /api/inverse answered these, which every endpoint
    # that makes the arrays refuses
    requests = {"forward": spec, "input": spec, "geometry": spec,
                "inverse": {"layer": spec, "cell": [0, 0]}, "steps": {"layer": spec}}
    for endpoint, body in requests.items():
        entry = refused(client.post(f"/api/{endpoint}", json=body))
        prefix = ["layer"] if "layer" in body else []
        assert entry["loc"] == ["body", *prefix, *field.split(".")], endpoint
        assert needs in entry["msg"], (endpoint, entry["msg"])


def test_compact_values_with_nan_are_refused(client: TestClient) -> None:
    x = np.ones((3, 3, 1))
    x[1, 1, 0] = np.nan
    spec = square(3, 1, 1, 3)
    spec["input"]["values"] = compact(x)
    entry = refused(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "input", "values"]
    assert "finite" in entry["msg"]


def _with_value(where: str, value: float) -> tuple[str, dict[str, Any]]:
    """A small layer request with ``value`` in one place a client gives numbers."""
    spec = square(3, 1, 1, 3)
    x = np.ones((3, 3, 1))
    x[2, 0, 0] = value
    if where == "input.values":
        spec["input"]["values"] = x.tolist()
    elif where == "input.values compact":
        spec["input"]["values"] = compact(x)
    elif where == "filters.bias":
        spec["filters"]["bias"] = [value]
    elif where == "edits":
        spec["edits"] = [{"array": "bias", "index": [0], "value": value}]
    else:  # upstream.values
        return "/api/backward", {"layer": spec, "upstream": {"values": [[[value]]]}}
    return "/api/forward", spec


@pytest.mark.parametrize(
    ("where", "loc"),
    [("input.values", ["body", "input", "values", 2, 0, 0]),  # nested: at its indices
     ("input.values compact", ["body", "input", "values"]),
     ("filters.bias", ["body", "filters", "bias", 0]),
     ("edits", ["body", "edits", 0, "value"]),
     ("upstream.values", ["body", "upstream", "values", 0, 0, 0])],
)
def test_numbers_past_the_magnitude_bound_are_refused_where_they_are(
    client: TestClient, where: str, loc: list[Any]
) -> None:
    # 1e308 passed and overflowed: its products came back as null
    for value in (1e308, -2e15):
        url, body = _with_value(where, value)
        entry = refused(client.post(url, json=body))
        assert entry["loc"] == loc, entry
        assert "1e+15" in entry["msg"], entry  # the bound, as people write it
    # the bound itself is a number like any other: the products stay finite
    url, body = _with_value(where, -1e15)
    answer = client.post(url, json=body)
    assert answer.status_code == 200, answer.text
    arrays = ("output",) if url.endswith("forward") else ("dx", "dw", "db")
    for name in arrays:
        numbers = np.array(answer.json()[name], dtype=float)
        assert np.isfinite(numbers).all() and np.abs(numbers).max() >= 1e14, name


def test_compact_values_with_too_few_bytes_or_bad_base64_are_refused(client: TestClient) -> None:
    spec = square(3, 1, 1, 3)
    short = compact(np.ones((3, 3, 1)), "float32")
    short["shape"] = [3, 3, 2]
    spec["input"]["values"] = short
    entry = refused(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "input", "values"]
    assert "72 bytes" in entry["msg"]  # 3*3*2 float32s
    spec["input"]["values"] = {"dtype": "float64", "shape": [1, 1, 1], "data": "A"}
    assert refused(client.post("/api/forward", json=spec))["msg"].endswith(
        "its data holds 1 base64 character but its shape [1, 1, 1] of float64 needs 8 bytes "
        "(12 characters, or 11 without the padding)")
    # the characters 16 bytes need, padded with one "=" where base64 has two: it was told
    # its data held 23 characters where 24 were needed (and none, unpadded, is taken too)
    spec["input"]["values"] = {"dtype": "float32", "shape": [2, 2, 1],
                               "data": "AACAPwAAAEAAAEBAAACAQA="}
    entry = refused(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "input", "values", "data"]
    assert entry["msg"] == ('input.values.data ends in 1 "=" where base64 of 16 bytes ends in 2 '
                            "(or none: the padding may be left out)")
    spec["input"]["values"] = {"dtype": "float32", "shape": [1], "data": "!!!!"}
    bad = refused(client.post("/api/forward", json=spec))
    assert bad["loc"] == ["body", "input", "values", "data"]  # the data alone is wrong
    assert "base64" in bad["msg"]


def test_compact_values_written_in_lines_are_told_to_send_one_line(client: TestClient) -> None:
    # Python's base64.encodebytes breaks its text every 76 characters, the usual cause of
    # this refusal: it was told only that the data held characters the field does not take
    import base64

    spec = square(8, 2, 1, 3)
    values = np.arange(8 * 8 * 2, dtype=np.float32).reshape(8, 8, 2)
    spec["input"]["values"] = {"dtype": "float32", "shape": [8, 8, 2],
                               "data": base64.encodebytes(values.tobytes()).decode()}
    entry = refused(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "input", "values", "data"]
    assert "line breaks" in entry["msg"] and "base64.b64encode" in entry["msg"]
    # sent in one line, the same numbers are taken
    spec["input"]["values"]["data"] = base64.b64encode(values.tobytes()).decode()
    assert client.post("/api/forward", json=spec).status_code == 200
    # another stray character is named as base64's alphabet
    spec["input"]["values"]["data"] = "AAAA*AAA"
    entry = refused(client.post("/api/forward", json=spec))
    assert "A-Z, a-z, 0-9, + and /" in entry["msg"] and "line breaks" not in entry["msg"]


def test_compact_values_with_a_wrong_declared_shape_name_both_shapes(client: TestClient) -> None:
    spec = square(3, 1, 1, 3)
    spec["input"]["values"] = compact(np.ones((3, 1, 3)))
    entry = refused(client.post("/api/forward", json=spec))
    assert "[3, 1, 3]" in entry["msg"] and "[3, 3, 1]" in entry["msg"]


def test_upstream_of_the_wrong_shape_is_refused_naming_upstream_values(
    client: TestClient,
) -> None:
    body = {"layer": square(5, 1, 1, 3), "upstream": {"values": np.ones((3, 3, 2)).tolist()}}
    entry = refused(client.post("/api/backward", json=body))
    assert entry["loc"] == ["body", "upstream", "values"]
    assert "[3, 3, 2]" in entry["msg"] and "[3, 3, 1]" in entry["msg"]


def test_layer_errors_in_nested_requests_carry_the_layer_prefix(client: TestClient) -> None:
    body = {"layer": square(10, 1, 1, 3, stride=2), "count": 1}
    entry = refused(client.post("/api/steps", json=body))
    assert entry["loc"] == ["body", "layer", "stride"]


# ----------------------------------------------------------------------------- limits


def _engine_called(*args: object, **kwargs: object) -> None:
    raise AssertionError("the engine was called before the limits refused the request")


@pytest.fixture
def engine_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any call into the engine's geometry or array building blow up in the request.

    A refusal that reaches the engine has already started the work the limits exist to stop.
    """

    monkeypatch.setattr(app_layer_cache, "resolve", _engine_called)  # every answer's one resolve
    monkeypatch.setattr(app_convert, "build_layer", _engine_called)


@pytest.mark.usefixtures("engine_untouched")
def test_a_billion_row_input_is_refused_before_the_engine_runs(client: TestClient) -> None:
    spec = {"input": {"shape": [1_000_000_000, 1, 1]}, "filters": {"count": 1, "size": 1}}
    for path in ("/api/geometry", "/api/forward"):
        entry = refused(client.post(path, json=spec))
        assert entry["loc"] == ["body", "input", "shape", 0]  # the height, the item sent
        assert entry["type"] == "over_limit"
        assert "1,000,000,000" in entry["msg"] and "4,096" in entry["msg"]


@pytest.mark.parametrize(
    ("spec", "loc", "words"),
    [
        # 5 + 6000 - 3 + 1 = 6003 positions a side: the padding makes them, not the 5x5 input
        ({"input": {"shape": [5, 5, 1]}, "filters": {"count": 1, "size": 3}, "padding": 3000},
         ["body", "padding"], "a smaller padding would cut"),
        ({"input": {"shape": [4000, 4000, 1]}, "filters": {"count": 1, "size": 3}},
         ["body", "input", "shape"], "a smaller input.shape would cut"),
    ],
)
def test_too_many_positions_blame_what_makes_them(
    client: TestClient, spec: dict[str, Any], loc: list[str], words: str
) -> None:
    entry = refused(client.post("/api/forward", json=spec))
    assert entry["loc"] == loc
    assert words in entry["msg"] and "CONVSCOPE_MAX_ELEMENTS" in entry["msg"]
    assert "positions x 9 weights" in entry["msg"]


@pytest.mark.parametrize(
    "spec",
    [
        # a 1x1 input padded by 4,096: 8,193 x 8,193 outputs, all the padding's ("a smaller
        # input.shape would cut" it, of a 1x1 input)
        {"input": {"shape": [1, 1, 1]}, "filters": {"count": 1, "size": 1}, "padding": 4096},
        # 8 filters over an 8x8 input padded by 1,500: "a smaller filters.count", which sent
        # as 1 was refused again, at the padding
        {"input": {"shape": [8, 8, 3]}, "filters": {"count": 8, "size": 1}, "padding": 1500},
    ],
)
def test_too_many_outputs_blame_the_padding_that_makes_them(
    client: TestClient, spec: dict[str, Any]
) -> None:
    entry = refused(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "padding"], entry
    assert "outputs" in entry["msg"] and "a smaller padding would cut" in entry["msg"]
    over = client.post("/api/geometry", json=spec).json()["over_limit"]
    assert over["field"] == "padding" and over["fields"] == ["padding"]


def test_geometry_over_limit_counts_the_marks_a_fit_policys_forward_pays_for(
    client: TestClient,
) -> None:
    # floor makes a 2x2 filter at stride 3 fit 2302 cells; its forward also resolves and
    # prices the exact fits it is told of, and that marking tips it over the work budget:
    # the geometry answer said it was within (valid, no over_limit), the forward refused it
    spec = {"input": {"shape": [2302, 2302, 1]}, "filters": {"count": 1, "size": 2},
            "stride": 3, "fit": "floor"}
    forward = refused(client.post("/api/forward?encoding=compact", json=spec))
    geometry = client.post("/api/geometry", json=spec).json()
    assert geometry["valid"] and geometry["suggestions"]
    over = geometry["over_limit"]
    assert over is not None and over["field"] == ".".join(forward["loc"][1:])

    def work(message: str) -> str:
        found = re.search(r"would cost ([\d,]+) units", message)
        assert found, message
        return found[1]

    assert work(over["message"]) == work(forward["msg"])


@pytest.mark.parametrize(
    ("change", "loc", "limit"),
    [
        ({"input": {"shape": [8, 8, 5000]}}, ["body", "input", "shape", 2], "MAX_DEPTH"),
        ({"filters": {"count": 5000, "size": 3}}, ["body", "filters", "count"], "MAX_FILTERS"),
        ({"padding": 10**6}, ["body", "padding"], "MAX_SIDE"),
        ({"stride": [1, 10**9]}, ["body", "stride", 1], "MAX_SIDE"),
        ({"padding": [0, 10**6]}, ["body", "padding", 1], "MAX_SIDE"),
        ({"padding": [0, 0, 0, 10**6]}, ["body", "padding", 3], "MAX_SIDE"),
        ({"dilation": 10**12}, ["body", "dilation"], "MAX_SIDE"),
        ({"filters": {"count": 1, "size": 10**9}}, ["body", "filters", "size"], "MAX_SIDE"),
    ],
)
def test_each_size_limit_names_its_field_and_setting(
    client: TestClient, change: dict[str, Any], loc: list[str], limit: str
) -> None:
    entry = refused(client.post("/api/forward", json={**square(8, 1, 1, 3), **change}))
    assert entry["loc"] == loc
    assert f"CONVSCOPE_{limit}" in entry["msg"]
    assert entry["type"] == "over_limit"  # the layer may be right: a server's limit refused it
    # the limit and its setting as data, for a client that acts on them (4,096 by default)
    assert entry["ctx"] == {"limit": 4096, "setting": f"CONVSCOPE_{limit}"}


def test_every_number_over_a_limit_gets_its_own_entry_at_once(client: TestClient) -> None:
    # one entry per wrong number at its own path, as validation gives a list's wrong items
    # (it used to be the first field alone, one per attempt, then one per field)
    layer = {"input": {"shape": [5000, 5000, 5000]}, "filters": {"count": 5000, "size": 5000},
             "stride": [1, 5000]}
    answer = client.post("/api/steps", json={"layer": layer})
    assert answer.status_code == 422, answer.text
    entries = {tuple(e["loc"]): e["msg"] for e in answer.json()["detail"]}
    assert list(entries) == [("body", "layer", *path) for path in (
        ("input", "shape", 0), ("input", "shape", 1), ("input", "shape", 2),
        ("filters", "count"), ("filters", "size"), ("stride", 1))]
    assert entries[("body", "layer", "input", "shape", 1)] == (
        "the input's width is 5,000, over this server's limit of 4,096 (CONVSCOPE_MAX_SIDE)")
    assert entries[("body", "layer", "input", "shape", 2)] == (
        "the input's depth is 5,000, over this server's limit of 4,096 (CONVSCOPE_MAX_DEPTH)")
    assert entries[("body", "layer", "stride", 1)].startswith("the horizontal stride is 5,000")
    assert {e["type"] for e in answer.json()["detail"]} == {"over_limit"}


def test_sizes_read_from_values_are_refused_at_the_values(client: TestClient) -> None:
    # input.shape was never sent: the refusal named it all the same
    values = [[[0.0] * 3] for _ in range(5000)]  # 5000 x 1 x 3
    spec = {"input": {"values": values}, "filters": {"count": 1, "size": 1}}
    entry = refused(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "input", "values"]
    assert entry["msg"].startswith("the input's height is 5,000, over this server's limit")


# 300x300x3 input values: the input's numbers are the most (read, made, padded)
_INPUT_VALUES = {"input": {"values": compact(np.ones((300, 300, 3)))},
                 "filters": {"count": 4, "size": 3}}
# 300 filters of 1x1x3 from their values: the outputs are the most (the input endpoint
# makes none)
_FILTER_VALUES = {"input": {"shape": [40, 40, 3]},
                  "filters": {"values": compact(np.ones((300, 1, 1, 3)))}}


@pytest.mark.parametrize(("path", "layer", "blamed"), [
    *[(path, _INPUT_VALUES, "input.values")
      for path in ("/api/forward", "/api/geometry", "/api/input")],
    *[(path, _FILTER_VALUES, "filters.values") for path in ("/api/forward", "/api/geometry")],
])
def test_budget_refusals_of_sizes_read_from_values_blame_the_values(
    client: TestClient, override_settings: Any, path: str, layer: dict[str, Any], blamed: str
) -> None:
    # they blamed input.shape and filters.count, which the body never sent
    override_settings(max_elements=200_000)
    answer = client.post(path, json=layer)
    if path == "/api/geometry":
        over = answer.json()["over_limit"]
        field, message = over["field"], over["message"]
    else:
        entry = refused(answer)
        field, message = ".".join(entry["loc"][1:]), entry["msg"]
    assert field == blamed, message
    assert message.endswith(f"which smaller {blamed} would cut"), message


@pytest.mark.parametrize("path", ["/api/backward", "/api/steps"])
def test_upstream_values_over_the_budget_are_blamed_beside_the_layer(
    client: TestClient, override_settings: Any, path: str
) -> None:
    # reading 4,900 nested numbers is the dearest part: it was blamed at
    # ["body", "layer", "upstream", "values"], a field no body has
    override_settings(max_work=40_000_000)
    layer = {"input": {"shape": [70, 70, 1]}, "filters": {"count": 1, "size": 1}}
    entry = refused(client.post(path, json={
        "layer": layer, "upstream": {"values": np.ones((70, 70, 1)).tolist()}}))
    assert entry["loc"] == ["body", "upstream", "values"], entry
    assert "values read from the request (nested lists)" in entry["msg"]
    assert "would cut" not in entry["msg"]  # its shape is the output's: nothing to cut


def test_a_budget_below_one_request_is_not_blamed_on_a_size(
    client: TestClient, override_settings: Any
) -> None:
    # a 1x1 layer under a budget smaller than any request's fixed cost was told "which a
    # smaller input.shape would cut": no input is smaller
    override_settings(max_work=1_000_000)
    entry = refused(client.post("/api/forward", json=square(1, 1, 1, 1)))
    assert f"the most, {app_costs.REQUEST:,}, goes to the request itself" in entry["msg"], entry
    assert "would cut" not in entry["msg"]
    assert entry["msg"].endswith("so this server's budget is below one request"), entry


@pytest.mark.parametrize(("change", "said"), [
    ({"stride": 5000}, "stride is 5,000, over this server's limit of 4,096 (CONVSCOPE_MAX_SIDE)"),
    ({"padding": [5000]}, "padding is 5,000, over this server's limit of 4,096"),
    ({"dilation": 5000}, "dilation is 5,000, over this server's limit of 4,096"),
    ({"filters": {"count": 1, "size": 5000}}, "filters.size is 5,000, over this server's"),
    ({"padding": [5000, 5000]}, "the vertical padding is 5,000, over this server's limit"),
    ({"padding": [5000, 0, 0, 0]}, "the top padding is 5,000, over this server's limit"),
])
def test_one_number_over_a_limit_is_quoted_once_as_it_was_sent(
    client: TestClient, change: dict[str, Any], said: str
) -> None:
    # padding 5000 was "the top padding is 5,000, the bottom padding is 5,000, the left ...":
    # four numbers the client never wrote
    entry = refused(client.post("/api/forward", json={**square(8, 1, 1, 3), **change}))
    assert entry["msg"].startswith(said), entry["msg"]


def test_alexnet_conv1_uses_at_most_a_tenth_of_the_default_budgets() -> None:
    settings = Settings()
    macs = 55 * 55 * 96 * 11 * 11 * 3  # the notes' neurons times weights per neuron
    elements = 227 * 227 * 3 * 2 + 96 * 363 + 96 + 55 * 55 * 363 + 2 * 55 * 55 * 96
    assert macs + elements <= settings.max_work / 10
    assert elements <= settings.max_elements / 10


def test_alexnet_conv1_compact_forward_fits_in_3_mb(client: TestClient) -> None:
    # Its time (<= 100 ms) is measured by benchmarks/bench_api.py, not asserted here.
    response = client.post("/api/forward?encoding=compact", json=ALEXNET)
    assert response.status_code == 200
    assert response.json()["output"]["shape"] == [55, 55, 96]
    assert len(response.content) <= 3_000_000


def test_alexnet_locally_connected_is_refused_by_the_element_limit(client: TestClient) -> None:
    spec = {**ALEXNET, "connectivity": "local"}
    with pytest.MonkeyPatch.context() as patch:
        # Refused before 105,415,200 weights exist: building the layer would fail the test.
        patch.setattr(app_convert, "build_layer", _engine_called)
        entry = refused(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "connectivity"]
    assert "105,415,200" in entry["msg"]  # 290,400 neurons x 363 weights
    assert "CONVSCOPE_MAX_ELEMENTS" in entry["msg"]
    assert entry["ctx"]["setting"] == "CONVSCOPE_MAX_ELEMENTS"
    assert entry["ctx"]["limit"] == Settings().max_elements


@pytest.mark.parametrize(("change", "ctx"), [
    ({"input": {"shape": [5, 5]}}, {"actual_length": 2, "min_length": 3}),
    ({"input": {"shape": [5, 5, 1, 1]}}, {"actual_length": 4, "max_length": 3}),
    ({"stride": [1, 1, 1]}, {"actual_length": 3}),  # 1 or 2 numbers: no one range
    ({"padding": [1, 1, 1]}, {"actual_length": 3}),  # 1, 2 or 4
    ({"edits": [{"array": "input", "index": [1, 1], "value": 5}]},
     {"actual_length": 2, "min_length": 3, "max_length": 3}),
])
def test_a_wrong_length_says_the_length_received_as_data(
    client: TestClient, change: dict[str, Any], ctx: dict[str, int]
) -> None:
    # every wrong_length carries actual_length (an edit's index carried no ctx at all), and
    # the bound it passes where the field has one range of lengths
    spec = {**square(5, 1, 1, 3), **change}
    entry = refused(client.post("/api/forward", json=spec))
    assert entry["type"] == "wrong_length", entry
    assert {key: entry["ctx"][key] for key in ctx} == ctx
    assert set(entry["ctx"]) - {"field_type"} == set(ctx), entry["ctx"]


def test_every_other_limit_gives_its_number_and_setting_as_ctx(
    client: TestClient, override_settings: Any
) -> None:
    override_settings(max_steps=7, max_edits=2, max_image_side=40)
    small = square(5, 1, 1, 3)
    entry = refused(client.post("/api/steps", json={"layer": small, "count": 8}))
    assert (entry["loc"], entry["ctx"]) == (["body", "count"],
                                            {"limit": 7, "setting": "CONVSCOPE_MAX_STEPS"})
    edits = [{"array": "bias", "index": [0], "value": 1}] * 3
    entry = refused(client.post("/api/forward", json={**small, "edits": edits}))
    assert (entry["loc"], entry["ctx"]) == (["body", "edits"],
                                            {"limit": 2, "setting": "CONVSCOPE_MAX_EDITS"})
    answer = client.get("/api/images/stripes?max_side=1000")
    assert answer.status_code == 422, answer.text
    entry = answer.json()["detail"][0]
    assert entry["ctx"] == {"limit": 40, "setting": "CONVSCOPE_MAX_IMAGE_SIDE"}
    # worded as the query's other refusals, the number written as the body's are
    assert entry["msg"] == ("the query's max_side is 1,000, over this server's limit of 40 "
                            "(CONVSCOPE_MAX_IMAGE_SIDE)")


def said_as_its_own_refusal(over: dict[str, Any], field: str, subject: str, response: Any,
                            at: list[str] | None = None) -> None:
    """A geometry answer's word on a request (``over``, at ``field``) is that request's own
    422 (``response``, its spec at ``at`` in the body), word for word but its subject."""
    assert over["field"] == field and over["fields"] == [field]
    assert over["message"].startswith(f"{subject} would ")
    entry = refused(response)
    assert entry["loc"] == ["body", *(at or []), *field.split(".")]
    assert entry["type"] == "over_limit"
    assert entry["msg"] == over["message"].replace(subject, "this request", 1)


# (valid, the request that draws it, the subject its geometry's over_limit says): a layer
# that fits is drawn by its forward, a misfit by its input
FITS = (True, "forward", "computing this layer")
MISFIT = (False, "input", "drawing this layer's input")


@pytest.mark.parametrize(("spec", "field", "kind"), [
    ({**ALEXNET, "connectivity": "local"}, "connectivity", FITS),
    (square(1024, 64, 64, 3, padding=1), "input.shape", FITS),
    # the padding map and columns of a 4003x4003 padded input (geometry said null: it priced
    # the arrays alone, which every endpoint's own work then passed)
    (square(1, 3, 1, 1, padding=2000), "padding", FITS),
    # one filter's 16 million outputs: "a smaller filters.count" could not cut a count of 1
    (square(4000, 1, 1, 1), "input.shape", FITS),
    # misfits, drawn from /api/input, which refused a large one: their geometry said nothing
    # of it, so the page asked and the refusal was a red line in the console. A 4000x4000x3
    # input under AlexNet's filter at stride 4 ((4000 - 11)/4 + 1 is not whole), and a
    # padding of 3000 around a 5x5 input under a 3x3 filter at stride 3
    ({"input": {"shape": [4000, 4000, 3]}, "filters": {"count": 96, "size": 11}, "stride": 4},
     "input.shape", MISFIT),
    (square(5, 3, 2, 3, stride=3, padding=3000), "padding", MISFIT),
])
def test_geometry_says_a_layer_is_too_large_to_compute_or_draw_here(
    client: TestClient, override_settings: Any, spec: dict[str, Any], field: str,
    kind: tuple[bool, str, str],
) -> None:
    # a layer that fits said valid: true, with nothing of the 422 every endpoint that
    # computes it gives
    valid, endpoint, subject = kind
    answer = client.post("/api/geometry", json=spec).json()
    assert answer["valid"] is valid
    said_as_its_own_refusal(answer["over_limit"], field, subject,
                            client.post(f"/api/{endpoint}?encoding=compact", json=spec))
    # within the budget: null (a layer and a misfit the server draws), and the server with
    # more room says the same layer is fine
    assert client.post("/api/geometry", json=ALEXNET).json()["over_limit"] is None
    small = client.post("/api/geometry", json=square(5, 3, 2, 3, stride=3)).json()
    assert small["valid"] is False and small["over_limit"] is None
    override_settings(max_elements=10**10, max_work=10**13)
    assert client.post("/api/geometry", json=spec).json()["over_limit"] is None


# The whole backward pass the page asks for in backward mode: dX and db, with its seeded
# upstream fill (tests/browser/test_page.py's PAGE_UPSTREAM)
PAGE_BACKWARD = {"parts": ["dx", "db"],
                 "upstream": {"fill": {"kind": "integers", "seed": 0, "low": -1, "high": 1}}}


@pytest.mark.parametrize(("spec", "field"), [
    # the forward passes the budget, dX's product and its adding back do not
    (square(224, 64, 16, 3, padding=1), "input.shape"),
    # both pass it: the geometry says so of each request
    (square(1024, 64, 64, 3, padding=1), "input.shape"),
])
def test_geometry_says_when_the_pages_backward_pass_is_too_large_to_compute_here(
    client: TestClient, override_settings: Any, spec: dict[str, Any], field: str
) -> None:
    # the page asked for the backward and got a 422 (a red line in its console) where its
    # geometry could have said so, as over_limit says it of the forward
    said_as_its_own_refusal(
        client.post("/api/geometry", json=spec).json()["backward_over_limit"], field,
        "computing this layer's dX and db",
        client.post("/api/backward?encoding=compact", json={"layer": spec, **PAGE_BACKWARD}),
        at=["layer"])
    # within the budget, and a misfit (it has no backward pass): null
    assert client.post("/api/geometry", json=ALEXNET).json()["backward_over_limit"] is None
    small = client.post("/api/geometry", json=square(5, 3, 2, 3, stride=3)).json()
    assert small["valid"] is False and small["backward_over_limit"] is None
    # a server with more room computes it, and says so
    override_settings(max_elements=10**10, max_work=10**13)
    assert client.post("/api/geometry", json=spec).json()["backward_over_limit"] is None


def test_a_layer_without_backward_over_limit_has_its_backward_computed(
    client: TestClient,
) -> None:
    # just under the backward's budget (a 200x200 input is over it): the page's request
    # answers it
    spec = square(198, 64, 16, 3, padding=1)
    assert client.post("/api/geometry", json=spec).json()["backward_over_limit"] is None
    answer = client.post("/api/backward?encoding=compact", json={"layer": spec, **PAGE_BACKWARD})
    assert answer.status_code == 200, answer.text[:300]


def test_a_layer_without_over_limit_is_computed_by_every_endpoint(client: TestClient) -> None:
    # just under the forward's budget (the dearest first request), steps, input and backward
    # answer it too
    for padding in (900, 940):
        spec = square(1, 3, 1, 1, padding=padding)
        assert client.post("/api/geometry", json=spec).json()["over_limit"] is None
        for endpoint, body in (("forward?encoding=compact", spec), ("input?encoding=compact", spec),
                               ("steps", {"layer": spec, "encoding": "compact"}),
                               ("backward?encoding=compact", {"layer": spec, "upstream": {}})):
            answer = client.post(f"/api/{endpoint}", json=body)
            assert answer.status_code == 200, (padding, endpoint, answer.text[:200])


@pytest.mark.parametrize(("sizes", "field"), [
    # K x (Fh x Fw) x D shared weights: the largest factor is the field to make smaller
    ((4096, 4096, 4096, 4096), "filters.size"),  # 4096 filters of 4096x4096x4096
    ((3, 2048, 4096, 3), "filters.count"),  # 4096 filters of 3x3x2048
    ((3, 4096, 2000, 3), "input.shape"),  # 2000 filters of 3x3x4096
])
def test_too_many_shared_weights_are_blamed_on_the_same_leaf_by_every_endpoint(
    client: TestClient, sizes: tuple[int, int, int, int], field: str
) -> None:
    # the forward, steps and backward blamed "filters" (the object: no field to make
    # smaller, and no advice), /api/input "filters.count" whatever drove the count
    side, depth, count, size = sizes
    spec = {"input": {"shape": [side, side, depth]}, "filters": {"count": count, "size": size}}
    for endpoint, body, at in (("forward", spec, []), ("input", spec, []),
                               ("steps", {"layer": spec}, ["layer"]),
                               ("backward", {"layer": spec, "upstream": {}}, ["layer"])):
        entry = refused(client.post(f"/api/{endpoint}", json=body))
        assert entry["loc"] == ["body", *at, *field.split(".")], endpoint
        # (and for the filters' count, how many pass: tested below)
        assert re.search(rf", which a smaller {re.escape(field)} would cut"
                         r"( \(at most [\d,]+ filters pass\))?$", entry["msg"]), endpoint
    assert client.post("/api/geometry", json=spec).json()["over_limit"]["field"] == field


def test_work_budget_refuses_with_the_limit_named(
    client: TestClient, override_settings: Any
) -> None:
    override_settings(max_work=100_000_000)  # room for the geometry, not for the forward
    entry = refused(client.post("/api/forward", json=ALEXNET))
    assert "CONVSCOPE_MAX_WORK" in entry["msg"] and "100,000,000" in entry["msg"]
    # the dearest part: writing the 154,587 numbers of the (unpadded) input as JSON, which
    # its size drives (it was blamed on padding, 0 here)
    assert entry["loc"] == ["body", "input", "shape"]
    assert "goes to the padded input (JSON), which a smaller input.shape would cut" in entry["msg"]
    # ... and an override that allows it lets the same request through
    override_settings(max_work=10**10)
    assert client.post("/api/geometry", json=ALEXNET).status_code == 200


def test_steps_count_over_the_limit_names_count(client: TestClient) -> None:
    body = {"layer": ALEXNET, "start": 0, "count": 1001}
    entry = refused(client.post("/api/steps", json=body))
    assert entry["loc"] == ["body", "count"]
    assert "1,000" in entry["msg"] and "CONVSCOPE_MAX_STEPS" in entry["msg"]
    # the same type as every other limit a larger server would allow (it was layer_error)
    assert entry["type"] == "over_limit"


def test_text_where_an_object_goes_says_an_object_goes_there(client: TestClient) -> None:
    # "upstream": "ones" was told it is "not a number", which upstream never is
    body = {"layer": square(4, 1, 1, 2), "upstream": "ones"}
    entry = refused(client.post("/api/backward", json=body))
    assert entry["loc"] == ["body", "upstream"]
    assert entry["msg"].startswith('upstream is "ones": it is text, not an object;')
    assert "{} is all ones" in entry["msg"]


def test_a_server_that_allows_longer_ranges_answers_them(
    client: TestClient, override_settings: Any
) -> None:
    # the engine kept its own limit of 1000: CONVSCOPE_MAX_STEPS=2000 still refused 1500
    override_settings(max_steps=2000)
    body = {"layer": square(40, 1, 1, 3), "start": 0, "count": 1500}  # 38x38 = 1444 steps
    answer = client.post("/api/steps", json=body)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["steps"]) == 1444
    override_settings(max_steps=100)
    entry = refused(client.post("/api/steps", json={**body, "count": 101}))
    assert entry["loc"] == ["body", "count"] and "100 steps" in entry["msg"]


def test_steps_over_the_budget_that_compact_would_pass_say_so(client: TestClient) -> None:
    # refused at count for its running sums, which compact does not change, with no word of
    # the encoding; compact, its arrays written for about half, it was answered in 0.1 s
    body = {"layer": {"preset": "alexnet-conv1"}, "count": 1000, "every": 290, "upstream": {}}
    entry = refused(client.post("/api/steps", json=body))
    assert "running weight-gradient sums" in entry["msg"]
    said = re.search(r'; asked for compact \("encoding": "compact"\) the request would cost '
                     r"([\d,]+), within it$", entry["msg"])
    assert said, entry["msg"]
    assert int(said[1].replace(",", "")) <= Settings().max_work
    assert client.post("/api/steps", json={**body, "encoding": "compact"}).status_code == 200
    # the dearest part its arrays written: what they cost compact is said, and, still over
    # the budget so, no more
    deep = {"layer": {"input": {"shape": [7, 7, 512]}, "filters": {"count": 512, "size": 3},
                      "padding": 1}, "count": 1000}
    entry = refused(client.post("/api/steps", json=deep))
    said = re.search(r"the most, ([\d,]+), goes to step arrays written, which a smaller count "
                     r'would cut; written compact \("encoding": "compact"\) it would cost '
                     r"([\d,]+)$",
                     entry["msg"])
    assert said, entry["msg"]
    json_work, compact_work = (int(n.replace(",", "")) for n in said.groups())
    assert 0.3 < compact_work / json_work < 0.7  # JSON's numbers cost about twice compact's
    assert refused(client.post("/api/steps", json={**deep, "encoding": "compact"}))


@pytest.mark.parametrize("side", [2000, 100])
def test_a_forward_over_the_budget_is_told_how_to_ask_for_compact_and_what_it_costs(
    client: TestClient, side: int
) -> None:
    # "?encoding=compact writes it for about half" where compact cost a ninth, and the
    # request, asked for compact, passed unsaid; a forward told to send 'encoding "compact"'
    # (the steps' body spelling) was refused for it
    spec = ({**square(side, 1, 1, 1)} if side > 1000 else
            {"input": {"shape": [side, side, 512]}, "filters": {"count": 1, "size": 1}})
    entry = refused(client.post("/api/forward", json=spec))
    said = re.search(r"; asked for compact( \(\?encoding=compact\))? the request would cost "
                     r"([\d,]+), within it$", entry["msg"])
    assert said, entry["msg"]
    assert '"encoding"' not in entry["msg"]
    answered = client.post("/api/forward?encoding=compact", json=spec)
    assert answered.status_code == 200, answered.text
    own = re.search(r"the most, ([\d,]+), goes to .* \(JSON\).*written compact "
                    r"\(\?encoding=compact\) it would cost ([\d,]+);", entry["msg"])
    if side > 1000:  # the dearest part its padded input written: its own compact cost, a
        # ninth (it said "about half"), and how to ask said once
        assert own, entry["msg"]
        json_work, compact_work = (int(n.replace(",", "")) for n in own.groups())
        assert compact_work < json_work / 3
        assert said[1] is None
    else:  # the dearest part its input made: no compact word of its own, how to ask after
        assert own is None and said[1] == " (?encoding=compact)", entry["msg"]


@pytest.mark.parametrize(("shape", "size", "count", "loc", "cut"), [
    # one step of a huge window: only a smaller filter cuts it (the layer has no count)
    ([2048, 2048, 64], 2048, 1, ["body", "layer", "filters", "size"], "filters.size"),
    ([2048, 2048, 64], 2048, 5, ["body", "layer", "filters", "size"], "filters.size"),  # 1 step
    # many steps of large windows: the range's own count
    ([300, 300, 64], 200, 400, ["body", "count"], "count"),
])
def test_steps_over_the_elements_limit_blame_what_would_cut_them(
    client: TestClient, shape: list[int], size: int, count: int, loc: list[str], cut: str
) -> None:
    body = {"layer": {"input": {"shape": shape}, "filters": {"count": 1, "size": size}},
            "count": count}
    entry = refused(client.post("/api/steps", json=body))
    assert entry["loc"] == loc  # never ["body", "layer", "count"]: a layer has none
    assert "CONVSCOPE_MAX_ELEMENTS" in entry["msg"]
    assert entry["msg"].endswith(f"step arrays, which a smaller {cut} would cut"), entry["msg"]


@pytest.mark.parametrize(("where", "loc"), [({"start": 85_848}, ["body", "start"]),
                                           ({"position": [291, 291, 0]}, ["body", "position"])])
def test_one_steps_running_sum_walk_over_the_limit_blames_where_it_ends(
    client: TestClient, where: dict[str, Any], loc: list[str]
) -> None:
    # one step: the running dW walks its filter's positions up to it, so an earlier step cuts
    # the walk; "a smaller count would cut" it was no advice at count 1
    body = {"layer": {"input": {"shape": [300, 300, 64]}, "filters": {"count": 1, "size": 8}},
            "count": 1, "upstream": {}, **where}
    entry = refused(client.post("/api/steps", json=body))
    assert entry["loc"] == loc
    assert entry["msg"].endswith(f"running sums, which an earlier {loc[1]} would cut"), entry


def test_a_short_range_far_into_its_filter_blames_its_start(client: TestClient) -> None:
    # two steps near a filter's last position were refused at count, though count 1 from
    # there is refused too: the walk to the start is what costs; a long range from the
    # first position still blames count
    layer = {"input": {"shape": [300, 300, 64]}, "filters": {"count": 1, "size": 3},
             "padding": 1}
    body = {"layer": layer, "start": 89_998, "count": 2, "upstream": {}, "encoding": "compact"}
    assert refused(client.post("/api/steps", json=body))["loc"] == ["body", "start"]
    body |= {"start": 0, "count": 1000, "every": 90}
    assert refused(client.post("/api/steps", json=body))["loc"] == ["body", "count"]


def test_steps_start_past_the_end_names_start(client: TestClient) -> None:
    body = {"layer": square(5, 1, 1, 3), "start": 9, "count": 1}
    assert refused(client.post("/api/steps", json=body))["loc"] == ["body", "start"]


def test_a_thousand_alexnet_steps_with_upstream_are_answered(client: TestClient) -> None:
    body = {"layer": ALEXNET, "start": 290_000, "count": 1000, "order": "depth_column",
            "upstream": {}, "encoding": "compact"}
    response = client.post("/api/steps", json=body)
    assert response.status_code == 200, response.text
    steps = response.json()["steps"]
    assert [s["t"] for s in steps] == list(range(290_000, 290_400))  # clipped at the end


# ----------------------------------------------------------------------------- body size


@pytest.fixture
def small_client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(max_body_bytes=1000))) as test_client:
        yield test_client


def test_body_over_the_limit_is_413_from_content_length(small_client: TestClient) -> None:
    body = b'{"input": {"shape": [5, 5, 1], "values": [' + b"1," * 600 + b"1]}}"
    entry = refused(small_client.post("/api/forward", content=body, headers=JSON), 413)
    assert entry["type"] == "body_too_large"
    # what the body declared, as a budget's refusal gives what it needed: how far over it is
    assert entry["ctx"] == {"limit": 1000, "setting": "CONVSCOPE_MAX_BODY_BYTES",
                            "needed": len(body)}
    assert f"the body ({len(body):,} bytes) is over this server's limit of 1,000" in entry["msg"]


def test_chunked_body_over_the_limit_is_413_without_content_length(
    small_client: TestClient,
) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * 100

    response = small_client.post("/api/forward", content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert response.request.headers.get("content-length") is None
    # stopped once past the limit: how long the whole body is was never known
    assert response.json()["detail"][0]["ctx"] == {"limit": 1000,
                                                   "setting": "CONVSCOPE_MAX_BODY_BYTES"}


def test_content_length_over_the_limit_is_refused_before_the_body_is_read() -> None:
    import asyncio

    from app.errors import BodyLimit, Limit

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body must not be read")

    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/forward",
             "headers": [(b"content-length", b"1000001")]}
    limit = Limit(1_000_000, "CONVSCOPE_MAX_BODY_BYTES")
    asyncio.run(BodyLimit(app, limit)(scope, receive, send))
    assert sent[0]["status"] == 413
    assert b"1,000,000 bytes" in sent[1]["body"]


def test_body_under_the_limit_is_served(small_client: TestClient) -> None:
    assert small_client.post("/api/geometry", json=square(5, 1, 1, 3)).status_code == 200


def test_unknown_route_uses_the_same_error_shape(client: TestClient) -> None:
    entry = refused(client.get("/api/nothing"), 404)
    assert entry["loc"] == ["path"] and entry["msg"] == "nothing at /api/nothing"


def test_a_path_with_a_slash_too_many_is_told_the_path(client: TestClient) -> None:
    # it was a 307 with an empty body, which curl without -L printed as nothing
    answer = client.post("/api/geometry/", json={"preset": "cs231n-demo"},
                         follow_redirects=False)
    entry = refused(answer, 404)
    assert entry["msg"] == ("nothing at /api/geometry/: the path is /api/geometry, with no "
                            "slash at the end")
    assert refused(client.get("/api/nothing/"), 404)["msg"] == "nothing at /api/nothing/"


@pytest.mark.parametrize("depth", [7, 65, 300])
@pytest.mark.parametrize("where", ["input.values", "filters.bias", "upstream.values"])
def test_values_nested_deeper_than_any_array_are_refused_at_their_field(
    client: TestClient, depth: int, where: str
) -> None:
    # NumPy's limit of 64 dimensions used to surface as a 500
    nested: Any = 1.0
    for _ in range(depth):
        nested = [nested]
    layer: dict[str, Any] = {"input": {"shape": [1, 1, 1]}, "filters": {"count": 1, "size": 1}}
    if where == "input.values":
        layer["input"] = {"values": nested}
    if where == "filters.bias":
        layer["filters"]["bias"] = nested
    path, body = ("/api/backward", {"layer": layer, "upstream": {"values": nested}}) \
        if where == "upstream.values" else ("/api/forward", layer)
    entry = refused(client.post(path, json=body))
    assert entry["loc"] == ["body", *where.split(".")]
    # and how deep the field's own lists go (it said only that no array has more than 6)
    takes = {"input.values": "3 lists deep, [H][W][D]",
             "filters.bias": "1 list, [K] (3 lists deep when locally connected, [H2][W2][K])",
             "upstream.values": "3 lists deep, [H2][W2][K]"}[where]
    assert entry["msg"] == f"{where} is nested more than 6 lists deep; it takes {takes}"


def test_every_wrong_edit_and_array_is_refused_at_once(client: TestClient) -> None:
    layer = square(5, 3, 2, 3)
    layer["edits"] = [{"array": "input", "index": [9, 9, 9], "value": 1},
                      {"array": "bias", "index": [1], "value": 1},
                      {"array": "bias", "index": [5], "value": 1}]
    answer = client.post("/api/forward", json=layer)
    assert answer.status_code == 422
    assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
        (["body", "edits", 0, "index"], "edits[0].index [9, 9, 9] is outside input of shape "
         "[5, 5, 3]: row 9 is not in 0..4, column 9 is not in 0..4, depth 9 is not in 0..2"),
        (["body", "edits", 2, "index"],
         "edits[2].index [5] is outside bias of shape [2]: filter 5 is not in 0..1"),
    ]
    layer = square(5, 3, 2, 3)
    layer["filters"].update(values=np.zeros((2, 3, 3, 2)).tolist(), bias=[1, 2, 3])
    answer = client.post("/api/forward", json=layer)
    assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
        (["body", "filters", "values"],
         "filters.values has shape [2, 3, 3, 2] but the layer needs (K, Fh, Fw, D) = [2, 3, 3, 3]: "
         "its D is 2 (not 3): every filter is as deep as the input"),
        (["body", "filters", "bias"],
         "filters.bias has shape [3] but the layer needs (K,) = [2]: its K is 3 (not 2)"),
    ]


def test_filters_in_pytorchs_channels_first_order_are_told_how_to_turn_them(
    client: TestClient,
) -> None:
    layer = {"input": {"shape": [9, 9, 3]}, "filters": {"values": np.zeros((2, 3, 5, 5)).tolist()}}
    entry = refused(client.post("/api/forward", json=layer))
    assert entry["loc"] == ["body", "filters", "values"]
    assert entry["msg"].endswith(
        "[2, 3, 5, 5] is PyTorch's (K, D, Fh, Fw) order: give weight.permute(0, 2, 3, 1)")
    # the sizes read from such values (Fh 3, Fw 5) made a shape that looked needed: the one
    # axis that cannot agree is said, the depth (a documentation review)
    assert "= [2, 3, 5, 3]: its D is 5 (not 3): every filter is as deep as the input; " in (
        entry["msg"])


def test_a_huge_compact_shapes_character_count_is_exact() -> None:
    # counted through a float, 4 * ceil(n / 3) came out as 5333333333333333166046192422292029440
    from app.encoding import decode_compact
    from engine.errors import LayerError

    shape = [10**12, 10**12, 10]
    with pytest.raises(LayerError) as refused_:
        decode_compact("float32", shape, "AAAA", "input.values")
    needed = 4 * ((4 * 10**25 + 2) // 3)  # 4e25 bytes: ceil(4e25 / 3) groups of 4 characters
    bare = -(-4 * 4 * 10**25 // 3)  # the same without its "=" padding
    assert f"({needed:,} characters, or {bare:,} without the padding)" in refused_.value.reason


@pytest.mark.parametrize(("where", "path"), [
    ("input", ["input", "values"]), ("filters", ["filters", "values"]),
    ("bias", ["filters", "bias"]),
])
def test_a_compact_shape_with_an_empty_axis_is_refused_at_that_axis(
    client: TestClient, where: str, path: list[str]
) -> None:
    # [0, 2**32, 2**32] holds no numbers, so its empty data matched it, and NumPy's reshape
    # then failed on the huge axes: a 500 on every layer endpoint
    spec = square(5, 2, 1, 3)
    empty = {"dtype": "float32", "shape": [0, 2**32, 2**32], "data": ""}
    spec[path[0]][path[1]] = empty
    for url in ("/api/geometry", "/api/forward"):
        entry = refused(client.post(url, json=spec))
        assert entry["loc"] == ["body", *path, "shape", 0], (where, url)
        said = entry["msg"]
        assert said.startswith(f"{'.'.join(path)}.shape[0] is 0: it must be >= 1"), said
        assert "up to 6 whole numbers >= 1" in entry["msg"]


@pytest.mark.parametrize(("array_case", "schema_case", "kind"), [
    # a non-number: in an array of values, and in a field of numbers
    ({"input": {"values": [[["1"]]]}}, {"input": {"shape": ["1", 1, 1]}}, "invalid_type"),
    # a magnitude over the limit: in values, and in an edit's value
    ({"input": {"values": [[[1e16]]]}},
     {"edits": [{"array": "input", "index": [0, 0, 0], "value": 1e16}]}, "less_than_equal"),
    ({"filters": {"count": 1, "size": 1, "values": [[[[-1e16]]]]}},
     {"edits": [{"array": "input", "index": [0, 0, 0], "value": -1e16}]}, "greater_than_equal"),
])
def test_the_same_failure_has_the_same_type_in_arrays_and_in_schema_fields(
    client: TestClient, array_case: dict[str, Any], schema_case: dict[str, Any], kind: str
) -> None:
    # values are checked by app.encoding, fields by the schema: one failure, one type
    base: dict[str, Any] = {"input": {"shape": [1, 1, 1]}, "filters": {"count": 1, "size": 1}}
    for case in (array_case, schema_case):
        spec = {**base, **case}
        if "values" in spec["input"]:
            spec["input"] = {"values": spec["input"]["values"]}
        entry = refused(client.post("/api/forward", json=spec))
        assert entry["type"] == kind, (case, entry)


def test_an_edit_index_of_the_wrong_length_is_a_wrong_length(client: TestClient) -> None:
    spec = square(5, 1, 2, 3)
    spec["edits"] = [{"array": "bias", "index": [0, 0], "value": 1}]
    entry = refused(client.post("/api/forward", json=spec))
    assert entry["loc"] == ["body", "edits", 0, "index"]
    assert entry["type"] == "wrong_length"  # as a list of the wrong length anywhere else


@pytest.mark.parametrize(("url", "body", "loc"), [
    ("/api/geometry", '{"input": {"shape": [5, 5, 1]}, "filters": {"count": 1, "size": 3}, '
     '"stride": 1%s}', ["body", "stride"]),
    ("/api/forward", '{"input": {"shape": [5, 5, 1]}, "filters": {"count": 1, "size": 3}, '
     '"edits": [{"array": "input", "index": [1%s, 0, 0], "value": 1}]}',
     ["body", "edits", 0, "index"]),
    ("/api/inverse", '{"layer": {"input": {"shape": [5, 5, 1]}, "filters": {"count": 1, '
     '"size": 3}}, "cell": [1%s, 0]}', ["body", "cell", 0]),
])
def test_a_huge_number_is_quoted_cut_short_with_its_length(
    client: TestClient, url: str, body: str, loc: list[str | int]
) -> None:
    # 10**4200 was quoted digit by digit (with thousands commas, 11 KB of message)
    answer = client.post(url, content=body % ("0" * 4200),
                         headers={"content-type": "application/json"})
    entry = refused(answer)
    assert entry["loc"] == loc
    assert "... (4201 digits)" in entry["msg"] and len(answer.content) < 400, entry["msg"]
    if "index" in loc:
        assert entry["msg"].endswith("(4201 digits) is not in 0..4")
        assert "(4201 digits), 0, 0] is outside input of shape [5, 5, 1]: row 1" in entry["msg"]


@pytest.mark.parametrize(("body", "loc", "said"), [
    ({"input": {"values": [[[1], [2]], [[3], ["a"]]]}, "filters": {"count": 1, "size": 1}},
     ["body", "input", "values", 1, 1, 0], 'input.values[1][1][0] holds "a", which is not'),
    ({"input": {"shape": [2, 2, 1]}, "filters": {"count": 2, "size": 1, "bias": [0, None]}},
     ["body", "filters", "bias", 1], "filters.bias[1] holds null, which is not a number"),
])
def test_a_non_number_in_values_is_refused_at_its_indices(
    client: TestClient, body: dict[str, Any], loc: list[str | int], said: str
) -> None:
    entry = refused(client.post("/api/forward", json=body))
    assert entry["loc"] == loc and entry["msg"].startswith(said), entry


@pytest.mark.parametrize(("body", "loc", "said", "ctx"), [
    ({"input": {"values": [[[1], [2]], [[3], [1e16]]]}, "filters": {"count": 1, "size": 1}},
     ["body", "input", "values", 1, 1, 0], "input.values[1][1][0] holds 1e+16: every value",
     {"le": 1e15}),
    ({"input": {"shape": [2, 2, 1]}, "filters": {"count": 3, "size": 1, "bias": [0, -2e15, 5]}},
     ["body", "filters", "bias", 1], "filters.bias[1] holds -2e+15: every value",
     {"ge": -1e15}),
])
def test_a_number_past_the_bound_in_nested_values_is_refused_at_its_indices(
    client: TestClient, body: dict[str, Any], loc: list[str | int], said: str,
    ctx: dict[str, float],
) -> None:
    # as a non-number is: it named the whole array, so in 150,000 numbers the user had to
    # search for it; with the bound in its ctx, as an edit's value past it has
    entry = refused(client.post("/api/forward", json=body))
    assert entry["loc"] == loc and entry["msg"].startswith(said), entry
    assert entry["ctx"] == ctx


def test_a_non_number_in_values_is_echoed_cut_short(client: TestClient) -> None:
    # the value was written whole: a 200 KB object in one cell made a 200 KB refusal
    body = {"input": {"values": [[[1], [{"a": "x" * 200_000}]]]},
            "filters": {"count": 1, "size": 1}}
    answer = client.post("/api/forward", json=body)
    entry = refused(answer)
    assert entry["loc"] == ["body", "input", "values", 0, 1, 0]
    assert "... (cut)" in entry["msg"] and len(answer.content) < 400, entry["msg"]


def test_a_list_in_a_message_is_not_read_as_one_long_number() -> None:
    from app.errors import detail

    digits = ",".join(str(n % 10) for n in range(90))  # a list written without spaces
    assert detail(["body"], f"holds [{digits}]", "x")["msg"] == f"holds [{digits}]"
    grouped = "1" + ",000" * 30  # a number grouped by thousands, 91 digits
    assert detail(["body"], f"is {grouped} here", "x")["msg"] == (
        "is 1,000,000,000,000,000,000... (91 digits) here")


def test_nan_in_compact_values_and_a_huge_integer_in_nested_ones_have_the_schemas_types(
    client: TestClient,
) -> None:
    # the schema's own names for the same failures: finite_number, invalid_type
    nan = {"dtype": "float32", "shape": [1, 1, 1], "data": "AADAfw=="}  # one float32 NaN
    entry = refused(client.post("/api/forward", json={
        "input": {"values": nan}, "filters": {"count": 1, "size": 1}}))
    assert (entry["loc"], entry["type"]) == (["body", "input", "values"], "finite_number")
    # a compact array's value is placed by its indices in the message: its JSON has no
    # places but the field
    for values, said, kind in (([[[1.0], [np.nan]]], "nan", "finite_number"),
                               ([[[1.0], [-np.inf]]], "-inf", "finite_number"),
                               ([[[1.0], [1e16]]], "1e+16", "less_than_equal")):
        entry = refused(client.post("/api/forward", json={
            "input": {"values": compact(np.array(values))}, "filters": {"count": 1, "size": 1}}))
        assert (entry["loc"], entry["type"]) == (["body", "input", "values"], kind)
        assert entry["msg"].startswith(f"input.values holds {said} at index [0, 1, 0]: "), entry
    huge = (b'{"input": {"values": [[[1' + b"0" * 400 + b']]]}, '
            b'"filters": {"count": 1, "size": 1}}')
    entry = refused(client.post("/api/forward", content=huge, headers=JSON))
    assert entry["type"] == "invalid_type", entry


# A deep dilated layer (DeepLab's atrous 3x3 on 33x33x2048) whose filters' count drives its work.
ATROUS = {"input": {"shape": [33, 33, 2048]}, "filters": {"count": 256, "size": 3},
          "padding": 4, "dilation": 4}


def _most_filters(message: str) -> int:
    found = re.search(r"which a smaller filters\.count would cut \(at most ([\d,]+) filters pass\)",
                      message)
    assert found, message
    return int(found.group(1).replace(",", ""))


@pytest.mark.parametrize("query", ["", "?encoding=compact"])
def test_a_refusal_that_blames_the_filters_count_says_how_many_pass(
    client: TestClient, query: str
) -> None:
    entry = refused(client.post(f"/api/forward{query}", json=ATROUS))
    assert entry["loc"] == ["body", "filters", "count"]
    most = _most_filters(entry["msg"])
    assert 1 < most < 256
    # the same count as a number, for a client that should not read it out of the sentence
    assert entry["ctx"] == {"filters_pass": most, "limit": Settings().max_work,
                            "setting": "CONVSCOPE_MAX_WORK", "needed": entry["ctx"]["needed"]}
    # exactly the most: that many pass, one more is refused as before
    fewer = {**ATROUS, "filters": {"count": most, "size": 3}}
    assert client.post(f"/api/forward{query}", json=fewer).status_code == 200
    # (a fewer filters' dearest part may be another: the input written as JSON, say)
    one_more = {**ATROUS, "filters": {"count": most + 1, "size": 3}}
    assert refused(client.post(f"/api/forward{query}", json=one_more))["type"] == "over_limit"


# The other budget lifted, so that the one under test alone decides.
LIFTED = {"max_work": 10**15, "max_elements": 10**12}


@pytest.mark.parametrize(("layer", "budget"), [
    (ATROUS, "max_work"),
    ({**ALEXNET, "connectivity": "local"}, "max_elements"),  # 105,705,600 weights
])
def test_a_budget_refusal_says_what_the_request_needs_in_the_limits_units(
    client: TestClient, override_settings: Any, layer: dict[str, Any], budget: str
) -> None:
    entry = refused(client.post("/api/forward?encoding=compact", json=layer))
    ctx = entry["ctx"]
    assert ctx["setting"] == f"CONVSCOPE_{budget.upper()}"
    assert ctx["needed"] > ctx["limit"] == getattr(Settings(), budget)
    # the geometry answer's over_limit is that refusal, figures and all
    over = client.post("/api/geometry", json=layer).json()["over_limit"]
    assert (over["limit"], over["setting"], over["needed"]) == (
        ctx["limit"], ctx["setting"], ctx["needed"])
    # exactly what it needs: a limit of `needed` passes it, one less refuses it
    others = {name: value for name, value in LIFTED.items() if name != budget}
    override_settings(**others, **{budget: ctx["needed"]})
    assert client.post("/api/geometry", json=layer).json()["over_limit"] is None
    override_settings(**others, **{budget: ctx["needed"] - 1})
    again = client.post("/api/geometry", json=layer).json()["over_limit"]
    assert (again["limit"], again["needed"]) == (ctx["needed"] - 1, ctx["needed"])


def test_the_geometrys_over_limit_says_how_many_filters_the_page_could_draw(
    client: TestClient,
) -> None:
    answer = client.post("/api/geometry", json=ATROUS).json()
    forward = _most_filters(answer["over_limit"]["message"])
    backward = _most_filters(answer["backward_over_limit"]["message"])
    assert answer["over_limit"]["filters_pass"] == forward
    assert answer["backward_over_limit"]["filters_pass"] == backward
    assert backward < forward  # the gradients' budget is the tighter: the page offers it
    # what the page asks for: the forward compact, and dX and db by themselves
    fewer = {**ATROUS, "filters": {"count": forward, "size": 3}}
    assert client.post("/api/forward?encoding=compact", json=fewer).status_code == 200
    assert client.post("/api/geometry", json={
        **ATROUS, "filters": {"count": forward + 1, "size": 3}}).json()["over_limit"]
    limited = client.post("/api/geometry", json={
        **ATROUS, "filters": {"count": backward, "size": 3}}).json()
    assert limited["backward_over_limit"] is None
    assert client.post("/api/geometry", json={
        **ATROUS, "filters": {"count": backward + 1, "size": 3}}).json()["backward_over_limit"]


def test_a_budget_that_holds_one_request_blames_what_a_smaller_one_cuts(
    client: TestClient, override_settings: Any
) -> None:
    # under 50,000,000 units a forward was blamed on the request's own 20,000,000, "so this
    # server's budget is below one request", at input.shape and with no count of filters
    override_settings(max_work=50_000_000)
    layer = {"input": {"shape": [32, 32, 16]}, "filters": {"count": 40, "size": 3},
             "padding": 1}
    entry = refused(client.post("/api/forward?encoding=compact", json=layer))
    assert entry["loc"] == ["body", "filters", "count"], entry
    assert "below one request" not in entry["msg"] and "the request itself" not in entry["msg"]
    most = entry["ctx"]["filters_pass"]
    assert f"(at most {most} filters pass)" in entry["msg"]
    fewer = {**layer, "filters": {"count": most, "size": 3}}
    assert client.post("/api/forward?encoding=compact", json=fewer).status_code == 200
    one_more = {**layer, "filters": {"count": most + 1, "size": 3}}
    assert refused(client.post("/api/forward?encoding=compact", json=one_more))["type"] == (
        "over_limit")


def test_a_budget_below_one_request_says_so(
    client: TestClient, override_settings: Any
) -> None:
    override_settings(max_work=10_000_000)
    entry = refused(client.post("/api/forward", json={"input": {"shape": [3, 3, 1]},
                                                      "filters": {"count": 1, "size": 1}}))
    assert entry["msg"].endswith("the most, 20,000,000, goes to the request itself; every request "
                                 "costs that, whatever its sizes, so this server's budget is "
                                 "below one request"), entry["msg"]


def test_a_count_no_fewer_filters_bring_within_the_budget_is_said_so(
    client: TestClient, override_settings: Any
) -> None:
    # "which a smaller filters.count would cut" with no count, where even 1 filter is refused
    override_settings(max_work=25_000_000)
    layer = {"input": {"shape": [100, 100, 1]}, "filters": {"count": 40, "size": 1}}
    entry = refused(client.post("/api/forward?encoding=compact", json=layer))
    assert entry["loc"] == ["body", "filters", "count"]
    assert entry["msg"].endswith(
        "which a smaller filters.count would cut, though not enough: even 1 filter is over")
    assert "filters_pass" not in entry.get("ctx", {})
    one = {**layer, "filters": {"count": 1, "size": 1}}
    assert refused(client.post("/api/forward?encoding=compact", json=one))["type"] == (
        "over_limit")
    over = client.post("/api/geometry", json=layer).json()["over_limit"]
    assert over["filters_pass"] is None and "even 1 filter is over" in over["message"]


def test_filters_given_by_value_are_not_told_a_count(
    client: TestClient, override_settings: Any
) -> None:
    override_settings(max_work=20_000)
    weights = np.ones((8, 3, 3, 1)).tolist()
    entry = refused(client.post("/api/forward", json={
        "input": {"shape": [30, 30, 1]}, "filters": {"values": weights}}))
    assert "filters pass" not in entry["msg"], entry["msg"]
    assert "filters_pass" not in entry.get("ctx", {}), entry


def test_steps_by_a_position_past_the_filters_said_to_pass_are_told_a_count_that_holds_it(
    client: TestClient,
) -> None:
    # AlexNet's 11x11 stride 4 on 599x599 with 4,000 filters, its last filter's neuron and a
    # drawn upstream: refused for the filters' count. The count said must pass with the
    # position in its own last filter (it was priced as step 0 once past the fewer filters:
    # 1,806 were said to pass, and 1,806 with the position at filter 1,805 were refused).
    layer = {"preset": "alexnet-conv1", "input": {"shape": [599, 599, 3]},
             "filters": {"count": 4000, "size": 11}}
    entry = refused(client.post("/api/steps", json={
        "layer": layer, "position": [100, 100, 3999], "upstream": {}}))
    assert entry["loc"] == ["body", "layer", "filters", "count"]
    most = _most_filters(entry["msg"])
    assert 1 < most < 4000

    def at_last_filter(k: int) -> httpx.Response:
        return client.post("/api/steps", json={
            "layer": {**layer, "filters": {"count": k, "size": 11}},
            "position": [100, 100, k - 1], "upstream": {}})

    assert at_last_filter(most).status_code == 200
    assert refused(at_last_filter(most + 1))["type"] == "over_limit"


def test_values_a_preset_gives_beside_a_named_image_or_bank_say_how_to_let_go_of_them(
    client: TestClient,
) -> None:
    # one-d-stride-2 gives its input and weights as values: a body naming only an image or a
    # bank over it was told to give one or the other, which it had (an API-client review)
    for field, named in (("input", {"image": {"name": "checkerboard"}}),
                         ("filters", {"bank": "sobel"})):
        entry = refused(client.post("/api/geometry", json={"preset": "one-d-stride-2",
                                                           field: named}))
        assert entry["msg"].endswith(
            f'; preset one-d-stride-2 gives the {field}\'s values: send "{field}": '
            f'{{"values": null, ...}} with the {next(iter(named))}'), entry
        # ...and done so, that refusal is gone (the sizes then have their own say)
        again = client.post("/api/geometry", json={"preset": "one-d-stride-2",
                                                   field: {**named, "values": None}})
        assert "not both" not in again.text
    # a preset of fills says nothing of it: the values were the body's own
    entry = refused(client.post("/api/geometry", json={
        "preset": "cs231n-demo", "input": {"values": [[[1]]], "image": {"name": "checkerboard"}}}))
    assert entry["msg"] == "give the input's `values` or an `image`, not both"


def test_a_null_list_is_told_it_is_not_a_list(client: TestClient) -> None:
    # "parts is null: it is null, not a number" for a field that takes a list
    layer = {"input": {"shape": [3, 3, 1]}, "filters": {"count": 1, "size": 1}}
    entry = refused(client.post("/api/backward", json={"layer": layer, "parts": None}))
    assert entry["msg"].startswith("parts is null: it is null, not a list;"), entry
    entry = refused(client.post("/api/steps", json={"layer": layer, "start": 18}))
    assert entry["msg"] == "start 18 is out of range: this layer has 9 steps, 0 to 8"


def test_a_refusals_ctx_keeps_its_numbers_numbers(client: TestClient) -> None:
    # {"ge": "1"} and {"actual_length": "3"}: a client compared strings with its numbers
    entry = refused(client.get("/api/images/stripes?max_side=0"))
    assert entry["ctx"] == {"ge": 1}
    entry = refused(client.post("/api/geometry", json={
        "input": {"shape": [3, 3, 1]}, "filters": {"count": 1, "size": 1}, "stride": [1, 1, 1]}))
    assert entry["ctx"] == {"actual_length": 3}
