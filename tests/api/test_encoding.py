"""Arrays on the wire (app/encoding.py): a large array's base64 text is written straight
into the answer, and must read exactly as the small arrays' text does; a large array whose
last axis is 1 is written as JSON in rows and wrapped, and must be the very bytes orjson
writes for it nested."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import orjson
import pytest
from api_helpers import compact_to_array, square
from fastapi.testclient import TestClient

from app import encoding
from app.encoding import CompactText, OrjsonResponse, WrappedText, _default, dumps, encode


def reference_text(array: np.ndarray, dtype: str) -> str:
    """The compact form's text by its definition: base64 of the little-endian values."""
    code = {"float32": "<f4", "float64": "<f8"}[dtype]
    return base64.b64encode(np.ascontiguousarray(array, dtype=code).tobytes()).decode()


def large(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "array",
    [
        large((600, 601, 1), 1),  # not a whole number of pieces
        large((3 * encoding.TEXT_VALUES * 23,), 2),  # exactly a whole number of them
        large((300, 500, 3), 3)[:, ::-1].transpose(1, 0, 2),  # a strided, transposed view
        large((1, 1, 2, 137_001), 4),  # one value past a whole base64 group
    ],
    ids=["ragged", "whole-pieces", "view", "odd-length"],
)
def test_a_large_arrays_text_written_into_the_answer_is_its_base64(
    array: np.ndarray, dtype: str
) -> None:
    encoded = encode(array, "compact", dtype)  # type: ignore[arg-type]
    assert isinstance(encoded["data"], CompactText)  # written later, not a string now
    expected = reference_text(array, dtype)
    assert len(encoded["data"]) == len(expected)
    # twice in one answer, between plain values and a string holding a NUL of its own
    # (orjson escapes it, so it is not taken for a text's place)
    written = dumps({"a": encoded, "note": "x\0y", "more": [1, {"b": encoded}], "end": None})
    answer = orjson.loads(written)
    assert answer["a"]["data"] == expected and answer["more"][1]["b"]["data"] == expected
    assert answer["note"] == "x\0y" and answer["more"][0] == 1 and answer["end"] is None
    assert answer["a"]["shape"] == list(array.shape) and answer["a"]["dtype"] == dtype


def test_small_arrays_keep_their_text_as_a_string_and_the_line_is_the_piece_size() -> None:
    under = np.arange(encoding.INLINE_TEXT * 3 // 4 // 4, dtype=np.float64)  # 1 MiB of text
    over = np.arange(under.size + 1, dtype=np.float64)
    assert encode(under, "compact")["data"] == reference_text(under, "float32")
    assert isinstance(encode(over, "compact")["data"], CompactText)
    assert orjson.loads(dumps(encode(over, "compact")))["data"] == reference_text(over, "float32")


def test_a_response_holding_large_texts_states_its_true_length() -> None:
    encoded = encode(large((700, 700), 5), "compact")
    response = OrjsonResponse({"output": encoded})
    length = int(dict(response.raw_headers)[b"content-length"])
    assert length == len(response.body) == len(dumps({"output": encoded}))
    assert orjson.loads(bytes(response.body))["output"]["data"] == reference_text(
        large((700, 700), 5), "float32")


def test_a_large_compact_forward_and_backward_equal_their_json_answers(
    client: TestClient,
) -> None:
    # a 520x520 output (270,400 values: over a piece of text) and its 1x1 filter's gradient
    spec: dict[str, Any] = square(520, 2, 1, 1, input={"shape": [520, 520, 2],
                                                       "fill": {"seed": 77}})
    json_answer = client.post("/api/forward", json=spec).json()
    packed = client.post("/api/forward?encoding=compact", json=spec).json()
    expected = np.asarray(json_answer["output"], dtype=np.float32)
    assert expected.size * 4 > encoding.INLINE_TEXT * 3 // 4
    np.testing.assert_array_equal(compact_to_array(packed["output"]), expected)
    np.testing.assert_array_equal(compact_to_array(packed["padded_input"]),
                                  np.asarray(json_answer["padded_input"], dtype=np.float32))
    body = {"layer": spec, "upstream": {"fill": {"kind": "ones"}}}
    grads_json = client.post("/api/backward", json=body).json()
    grads = client.post("/api/backward?encoding=compact", json=body).json()
    np.testing.assert_array_equal(compact_to_array(grads["dx"]),
                                  np.asarray(grads_json["dx"], dtype=np.float32))
    np.testing.assert_array_equal(compact_to_array(grads["dw"]),
                                  np.asarray(grads_json["dw"], dtype=np.float32))


def nested_json(content: Any) -> bytes:
    """What orjson writes for ``content``, every array nested as it comes (the reference)."""
    return orjson.dumps(content, default=_default, option=orjson.OPT_SERIALIZE_NUMPY)


def odd_values(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Numbers of every length orjson writes: tiny and huge magnitudes, signs, -0.0, NaN and
    infinities (both written as null)."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape) * 10.0 ** rng.integers(-12, 12, size=shape)
    flat = values.reshape(-1)
    flat[:4] = [np.nan, -0.0, np.inf, -np.inf]
    return values


@pytest.mark.parametrize("seed", range(6))
def test_a_large_depth_one_array_as_json_is_the_bytes_orjson_writes_nested(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # seeded shapes ending in 1, of one to four other axes
    lead = [int(n) for n in rng.integers(1, 24, size=rng.integers(1, 5))]
    lead[0] = max(lead[0], -(-encoding.WRAPPED_LEAST // int(np.prod(lead[1:], dtype=int))))
    shape = (*lead, 1)
    for array in (odd_values(shape, seed), odd_values(shape, seed).astype(np.float32),
                  odd_values(shape, seed) > 0, rng.integers(-(10**15), 10**15, size=shape)):
        wrapped = encode(array, "json")
        assert isinstance(wrapped, WrappedText), shape
        content = {"a": wrapped, "note": "x\0y", "more": [1, {"b": wrapped}], "end": None}
        assert bytes(dumps(content)) == nested_json(
            {"a": array, "note": "x\0y", "more": [1, {"b": array}], "end": None})


def test_wrapped_json_of_many_pieces_views_and_other_dtypes_matches_orjson() -> None:
    many = odd_values((3 * encoding.WRAPPED_NUMBERS + 17, 1), 7)  # four pieces, one ragged
    tall = odd_values((2 * encoding.WRAPPED_NUMBERS // 5 + 3, 5, 1), 8)  # rows per piece
    view = odd_values((64, 64, 2), 9)[:, :, 1:]  # not C-contiguous: written as float64
    half = np.random.default_rng(10).standard_normal((64, 64, 1)).astype(np.float16)
    for array in (many, tall, view, half, view.astype(np.float32)):
        assert bytes(dumps([encode(array, "json")])) == nested_json([array])


def test_small_depth_one_arrays_and_deeper_ones_stay_nested_by_orjson() -> None:
    assert encode(np.zeros((encoding.WRAPPED_LEAST - 1, 1)), "json").shape == (1023, 1)
    assert isinstance(encode(np.zeros((encoding.WRAPPED_LEAST, 1)), "json"), WrappedText)
    assert encode(np.zeros((64, 64, 3)), "json").shape == (64, 64, 3)
