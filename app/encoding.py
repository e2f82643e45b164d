"""Arrays on the wire: nested JSON lists or the compact base64 form, and the orjson response.

Compact encoding of an array (docs/design.md)::

    {"dtype": "float32", "shape": [55, 55, 96], "data": "<base64 of little-endian bytes>"}

Answers in compact form are float32: AlexNet conv1's arrays are 2.6 MB that way and 5.1 MB
as float64, and the integer fills the notes use are exact in either. Requests may send
float32 or float64.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from typing import Any, Literal

import anyio
import numpy as np
import numpy.typing as npt
import orjson
from pydantic import BaseModel
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app import validation
from engine.errors import LayerError, counted

# The largest number, either way, a client may give (values, edits, fill bounds): a neuron's
# sum of products of such numbers, and the weight gradient's sum over the positions, stay far
# inside float64, so no answer holds an overflow (written as null in JSON).
MAX_MAGNITUDE = 1e15
# The most dimensions an array of a layer has: a locally connected layer's weights,
# (H2, W2, K, Fh, Fw, D).
MAX_DIMENSIONS = 6
# How deep each field's lists nest, for a refusal of lists nested deeper than any array's.
NESTING = {
    "input.values": "3 lists deep, [H][W][D]",
    "filters.values": "4 lists deep, [K][Fh][Fw][D] (6 when locally connected, [H2][W2][K]...)",
    "filters.bias": "1 list, [K] (3 lists deep when locally connected, [H2][W2][K])",
    "upstream.values": "3 lists deep, [H2][W2][K]",
}

# The most of an answer handed to the server at once (OrjsonResponse), and how long a client
# may take none of it before the answer is given up on: a client on a link of 100 KB/s reads
# a piece in that time.
PIECE = 2**20
PIECE_SECONDS = 10.0
# An array whose compact text is longer than this is not made into a string of its own:
# :func:`dumps` encodes it into the answer, a piece at a time. A whole float32 copy, its
# base64 bytes, their string and orjson's copy of the string were four fresh buffers of the
# answer's size, each paid for in page faults (benchmarks/README.md, "Figures behind the
# code's choices").
INLINE_TEXT = PIECE
# Values converted and encoded at a time: a multiple of 3, so each piece's base64 ends on a
# whole group (no "=" inside the text), and small enough that the allocator reuses its
# buffers rather than mapping fresh pages for every piece.
TEXT_VALUES = 3 * 2**12
# An array whose last axis is 1 (a depth-1 input, one filter's output map) of at least this
# many numbers is written as JSON without that axis, each number then put back in a list of
# its own (:class:`WrappedText`): orjson spends more opening and closing an innermost list
# than writing its number, so such an array took three to four times as long as the same
# numbers in rows (benchmarks/README.md, "Figures behind the code's choices"). Below it the
# nested form costs too little to matter.
WRAPPED_LEAST = 1024
# Numbers written at a time by :class:`WrappedText`: each piece's JSON is a megabyte or two,
# a buffer the allocator reuses from piece to piece.
WRAPPED_NUMBERS = 2**16

Encoding = Literal["json", "compact"]
FloatArray = npt.NDArray[np.float64]

_DTYPES: dict[str, np.dtype[Any]] = {"float32": np.dtype("<f4"), "float64": np.dtype("<f8")}
# JSON leaves must be plain numbers: bool is a subclass of int, so compare exact types.
_NUMBER_TYPES = (int, float)


def _default(value: Any) -> Any:
    """orjson's fallback: pydantic models, and arrays its numpy fast path does not take."""
    if isinstance(value, BaseModel):
        return value.__dict__  # models built with model_construct: fields only, no copy
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value, dtype=np.float64)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(content: Any) -> bytes | bytearray:
    """JSON bytes through orjson, numpy arrays written natively, and each large array's compact
    text (:class:`CompactText`) and wrapped JSON (:class:`WrappedText`) written straight into
    the answer.

    orjson writes a marker for each text (a NUL byte, which it escapes in any string of its
    own); the answer is then made once at its full size and each text written into its
    place, a few thousand values at a time.

    Examples
    --------
    >>> dumps({"a": np.arange(3.0).reshape(1, 3)})
    b'{"a":[[0.0,1.0,2.0]]}'
    >>> bytes(dumps([CompactText(np.array([1.0, 2.0]), "float32")]))
    b'["AACAPwAAAEA="]'
    >>> bytes(dumps({"a": WrappedText(np.array([[1.0], [2.5]]))}))
    b'{"a":[[1.0],[2.5]]}'
    """
    texts: list[CompactText | WrappedText] = []

    def default(value: Any) -> Any:
        if isinstance(value, _TEXTS):
            texts.append(value)
            return value.mark
        return _default(value)

    written = orjson.dumps(content, default=default, option=orjson.OPT_SERIALIZE_NUMPY)
    if not texts:
        return written
    parts = written.split(b"\0")
    answer = bytearray(len(written) - len(texts) + sum(len(text) for text in texts))
    view = memoryview(answer)
    at = 0
    for part, text in zip(parts, [*texts, None], strict=True):
        view[at:at + len(part)] = part
        at += len(part)
        if text is not None:
            text.write(view[at:at + len(text)])
            at += len(text)
    return answer


class WrappedText:
    """An array whose last axis is 1, as the JSON orjson writes for it (``[[1.0],[2.5]]``),
    made from the array without that axis: orjson writes its numbers in rows, and each comma
    between two numbers becomes ``],[`` (a comma between two rows becomes ``]],[[``, which
    closes the one's last list and opens the other's first, at any depth). Made by
    :func:`encode` for arrays of at least :data:`WRAPPED_LEAST` numbers, a piece of rows at a
    time; the pieces are held until :func:`dumps` has made the answer at its full size, so
    the text is in memory twice while it is copied in (orjson's nested text was there once,
    at three times the CPU; the budget bounds both).

    >>> text = WrappedText(np.arange(6.0).reshape(2, 3, 1))
    >>> out = bytearray(len(text))
    >>> text.write(memoryview(out))
    >>> bytes(out)
    b'[[[0.0],[1.0],[2.0]],[[3.0],[4.0],[5.0]]]'
    """

    __slots__ = ("_length", "_pieces")
    mark = orjson.Fragment(b"\0")

    def __init__(self, array: npt.NDArray[Any]) -> None:
        inner = array.reshape(array.shape[:-1])  # (..., 1) -> (...): the same numbers in rows
        per_row = math.prod(inner.shape[1:])
        rows = max(1, WRAPPED_NUMBERS // max(1, per_row))
        # each piece a list of rows; written without its brackets, joined by "],["
        self._pieces = [
            orjson.dumps(inner[top:top + rows], option=orjson.OPT_SERIALIZE_NUMPY)
            .replace(b",", b"],[")
            for top in range(0, len(inner), rows)
        ]
        # less two brackets a piece, plus "],[" between pieces and "[[" and "]]" around them
        self._length = sum(map(len, self._pieces)) + len(self._pieces) + 1

    def __len__(self) -> int:
        return self._length

    def write(self, out: memoryview) -> None:
        """Write the JSON into ``out`` (exactly ``len(self)`` bytes)."""
        out[:2] = b"[["
        at = 2
        for k, written in enumerate(self._pieces):
            piece = memoryview(written)[1:-1]
            if k:
                out[at:at + 3] = b"],["
                at += 3
            out[at:at + len(piece)] = piece
            at += len(piece)
        out[at:at + 2] = b"]]"


def wrapped(shape: tuple[int, ...]) -> bool:
    """Whether :func:`encode` writes an array of ``shape`` as JSON through
    :class:`WrappedText` (app/costs.py prices it so).

    >>> wrapped((64, 64, 1)), wrapped((8, 8, 1)), wrapped((64, 64, 3)), wrapped((4096,))
    (True, False, False, False)
    """
    return len(shape) >= 2 and shape[-1] == 1 and math.prod(shape) >= WRAPPED_LEAST


def as_json(array: npt.NDArray[Any]) -> Any:
    """``array`` for :func:`dumps` to write as JSON: itself, or its :class:`WrappedText`.

    The wrapped text is the very bytes orjson would write: it writes a C-contiguous array of
    a dtype it knows as it is, and any other as :func:`_default` makes it (C-contiguous
    float64), so the text is made from the same.

    >>> [type(as_json(np.zeros(shape))).__name__ for shape in [(64, 64, 1), (8, 8, 1)]]
    ['WrappedText', 'ndarray']
    """
    shape = array.shape
    if not shape or shape[-1] != 1 or not wrapped(shape):  # most arrays at the first test
        return array
    if not (array.flags.c_contiguous and array.dtype in _NATIVE):
        array = np.ascontiguousarray(array, dtype=np.float64)
    return WrappedText(array)


# dtypes orjson writes itself (the engine's arrays are float64, its masks bool)
_NATIVE = frozenset(np.dtype(name) for name in (
    "float64", "float32", "float16", "int64", "int32", "int16", "int8",
    "uint64", "uint32", "uint16", "uint8", "bool"))


class CompactText:
    """An array's base64 text for the compact form, not yet written: :func:`dumps` encodes it
    into the answer's own bytes. Made by :func:`encode` for arrays whose text is over
    :data:`INLINE_TEXT`; ``len()`` is the text's length in characters.

    >>> text = CompactText(np.arange(5.0), "float64")
    >>> out = bytearray(len(text))
    >>> text.write(memoryview(out))
    >>> len(text), out == base64.b64encode(np.arange(5.0).tobytes())
    (56, True)
    """

    __slots__ = ("_dtype", "_length", "_values")
    mark = orjson.Fragment(b'"\0"')  # its text is a string

    def __init__(self, array: npt.NDArray[Any], dtype: Literal["float32", "float64"]) -> None:
        # a flat view of a C-contiguous array (else one copy in its own dtype): the values are
        # converted to ``dtype`` a piece at a time as they are written
        self._values = np.ascontiguousarray(array).reshape(-1)
        self._dtype = _DTYPES[dtype]
        self._length = base64_length(self._values.size * self._dtype.itemsize)

    def __len__(self) -> int:
        return self._length

    def write(self, out: memoryview) -> None:
        """Encode the text into ``out`` (exactly ``len(self)`` bytes)."""
        values = self._values
        step = TEXT_VALUES
        piece = np.empty(min(step, values.size), self._dtype)
        at = 0
        for start in range(0, values.size, step):
            part = piece[:min(step, values.size - start)]
            np.copyto(part, values[start:start + step], casting="same_kind")
            encoded = binascii.b2a_base64(part.data, newline=False)
            out[at:at + len(encoded)] = encoded
            at += len(encoded)


# what :func:`dumps` writes into the answer itself (a tuple: a union made per call costs more)
_TEXTS = (CompactText, WrappedText)


def base64_length(nbytes: int) -> int:
    """Characters of the padded base64 text of ``nbytes`` bytes, 4*ceil(n/3), in whole numbers
    (a float ceil is off for huge shapes).

    >>> base64_length(8), base64_length(9)
    (12, 12)
    """
    return 4 * -(-nbytes // 3)


class OrjsonResponse(Response):
    """A JSON response rendered by orjson (FastAPI's own ORJSONResponse is deprecated), sent
    in pieces of at most :data:`PIECE` bytes.

    The server (uvicorn) waits for a slow client to read before it takes the next piece, and
    keeps what the client has not read of the last one; handed a whole body at once, it
    copied all of it into its write buffer and returned, so each slow client kept its whole
    answer (tens of megabytes for a large forward) in memory beyond the heavy requests'
    turns (:class:`app.routing.HeavyWork`). A heavy answer holds its turn (``release``, set
    by the gate) until it is sent, and each of its messages must be taken within
    :data:`PIECE_SECONDS`, or the answer is given up on: it stops there, uvicorn closes the
    connection once the little it holds is sent (logging that the answer was not completed),
    and the answer's memory and turn are freed. A cheap answer holds no turn and is sent
    without deadlines, which would cost every request more than its answer's own sending.
    """

    media_type = "application/json"
    # HeavyWork's turn, given back when the answer has been sent or given up on
    release: Callable[[], None] | None = None

    def render(self, content: Any) -> bytes | memoryview:
        written = dumps(content)
        return written if isinstance(written, bytes) else memoryview(written)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # a websocket's denial: Starlette's own way
            await super().__call__(scope, receive, send)
            return
        release = self.release
        try:
            if await self._sent(send, heavy=release is not None) and self.background is not None:
                await self.background()
        finally:
            if release is not None:
                release()

    async def _sent(self, send: Send, heavy: bool) -> bool:
        """Whether the whole answer went to the server (False: given up on)."""
        body = self.body
        pieces = [{"type": "http.response.start", "status": self.status_code,
                   "headers": self.raw_headers}]
        if len(body) <= PIECE:
            pieces.append({"type": "http.response.body", "body": body})
        else:
            view = memoryview(body)
            pieces += [{"type": "http.response.body", "body": view[start:start + PIECE],
                        "more_body": start + PIECE < len(body)}
                       for start in range(0, len(body), PIECE)]
        timed = heavy or len(body) > PIECE
        for message in pieces:
            if not timed:
                await send(message)
                continue
            with anyio.move_on_after(PIECE_SECONDS) as waited:
                await send(message)
            if waited.cancelled_caught:
                return False  # not read for PIECE_SECONDS: given up on (class docstring)
        return True


def encode(array: npt.NDArray[Any], encoding: Encoding,
           dtype: Literal["float32", "float64"] = "float32") -> Any:
    """An array in the requested wire form: the array itself (orjson writes nested lists)
    or the compact object, float32 unless ``dtype`` says float64 (for values a client sends
    back as a layer's, which must arrive as the server made them). A large array's text is
    left to :func:`dumps` (:class:`CompactText`, over :data:`INLINE_TEXT`), as is a large
    array's JSON whose last axis is 1 (:class:`WrappedText`).

    Examples
    --------
    >>> encode(np.array([1.0, 2.0]), "compact")
    {'dtype': 'float32', 'shape': [2], 'data': 'AACAPwAAAEA='}
    """
    if encoding == "json":
        return as_json(array)
    if base64_length(array.size * _DTYPES[dtype].itemsize) > INLINE_TEXT:
        return {"dtype": dtype, "shape": list(array.shape), "data": CompactText(array, dtype)}
    data = np.ascontiguousarray(array, dtype=_DTYPES[dtype])
    return {
        "dtype": dtype,
        "shape": list(data.shape),
        # the array's own buffer (C-contiguous above) as a memoryview: tobytes() would copy it
        "data": base64.b64encode(data.data).decode("ascii"),
    }


def decode_compact(dtype: str, shape: list[int], data: str, field: str) -> FloatArray:
    """A compact array back as float64, refusing bad base64, wrong lengths and non-finite values.

    The byte count is checked against ``shape`` before anything is decoded, so a huge
    declared shape costs nothing.

    Examples
    --------
    >>> decode_compact("float32", [2], "AACAPwAAAEA=", "input.values").tolist()
    [1.0, 2.0]
    >>> decode_compact("float32", [2], "AACAPwAAAEA", "input.values").tolist()  # unpadded
    [1.0, 2.0]
    """
    item = _DTYPES[dtype]
    expected = math.prod(shape) * item.itemsize
    characters = base64_length(expected)  # compared before anything is decoded
    # Encoders that leave out the trailing "=" (base64 as JWTs and many libraries write it)
    # give ceil(4n/3) characters: the same bytes, padded here.
    unpadded, needed = len(data.rstrip("=")), -(-4 * expected // 3)
    pads = characters - needed
    if len(data) == unpadded == needed < characters:
        data += "=" * pads
    if unpadded == needed and len(data) != characters:
        # the characters the shape needs, padded wrong: told as that, not as a length that
        # disagrees with the shape (one "=" too many or too few made it "23 characters")
        ends = f"ends in {pads} (or none: the padding may be left out)" if pads else "has none"
        raise LayerError(f"{field}.data", f'{field}.data ends in {len(data) - unpadded} "=" '
                         f"where base64 of {expected:,} bytes {ends}")
    if len(data) != characters:  # data and shape disagree: the array is refused whole
        bare = f", or {needed:,} without the padding" if pads else ""
        raise LayerError(
            field,
            f"{field}'s data and shape disagree: its data holds "
            f"{counted(len(data), 'base64 character')} "
            f"but its shape {shape} of {dtype} needs {expected:,} bytes "
            f"({characters:,} characters{bare})",
        )
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise LayerError(f"{field}.data", f"{field}.data is not valid base64") from None
    if len(raw) != expected:
        raise LayerError(f"{field}.data", f"{field}.data decodes to {len(raw)} bytes, shape "
                         f"{shape} needs {expected}")
    array = np.frombuffer(raw, dtype=item).reshape(shape).astype(np.float64)
    _check_finite(array, field)
    return array


def decode_nested(values: list[Any], field: str) -> FloatArray:
    """Nested JSON lists as a float64 array, refusing ragged lists, non-numbers and NaN.

    Walks one nesting level at a time with list comprehensions, so a 150,000-number input
    is checked at C speed rather than one Python call per number.

    Examples
    --------
    >>> decode_nested([[1, 2], [3, 4.5]], "input.values").tolist()
    [[1.0, 2.0], [3.0, 4.5]]
    >>> try:
    ...     decode_nested([[1, 2], [3]], "input.values")
    ... except LayerError as error:
    ...     print(error.reason)
    input.values is ragged: its lists at nesting level 2 have lengths 2 and 1
    """
    shape: list[int] = []
    level: list[Any] = [values]
    while True:
        kinds = {type(item) for item in level}
        if kinds == {list} and len(shape) == MAX_DIMENSIONS:
            # refused before NumPy's own limit (64 dimensions) is met with an exception
            takes = NESTING.get(field.removeprefix("layer."))
            raise LayerError(field, f"{field} is nested more than {MAX_DIMENSIONS} lists deep; "
                             + (f"it takes {takes}" if takes else "no array of a layer has more "
                                f"than {MAX_DIMENSIONS} dimensions"))
        if kinds == {list}:
            # in the order they come: the first list's length, then the first that differs
            lengths = list(dict.fromkeys(len(item) for item in level))
            if len(lengths) > 1:
                raise LayerError(
                    field,
                    f"{field} is ragged: its lists at nesting level {len(shape) + 1} have "
                    f"lengths {' and '.join(str(n) for n in lengths[:2])}",
                )
            shape.append(lengths[0])
            level = [leaf for item in level for leaf in item]
            continue
        if not level or kinds <= set(_NUMBER_TYPES):
            break
        if list in kinds:
            raise LayerError(field, f"{field} is ragged: numbers and lists mix at nesting "
                             f"level {len(shape) + 1}")
        at, bad = next((n, item) for n, item in enumerate(level)
                       if type(item) not in (*_NUMBER_TYPES, list))
        # where it is, as the schema's refusals give a list item's place: its indices
        index = [int(i) for i in np.unravel_index(at, shape)] if shape else []
        raise LayerError(".".join([field, *map(str, index)]),
                         f"{field}{''.join(f'[{i}]' for i in index)} holds "
                         f"{validation.shown(bad)}, which is not a number",
                         kind="invalid_type")
    try:
        array = np.array(level, dtype=np.float64).reshape(shape)
    except OverflowError:
        raise LayerError(field, f"{field} holds an integer too large for a float64",
                         kind="invalid_type") from None
    _check_finite(array, field, nested=True)
    return array


def _check_finite(array: FloatArray, field: str, nested: bool = False) -> None:
    finite = np.isfinite(array)
    if not finite.all():
        at = int(np.argmin(finite))  # the first value that is not (a False is the least)
        raise LayerError(*_placed(array, at, field, nested, "every value must be a finite "
                                  "number (no NaN or Infinity)"), kind="finite_number")
    # the extremes, not np.abs: no second array the size of the values
    low, high = (float(array.min()), float(array.max())) if array.size else (0.0, 0.0)
    if max(-low, high) > MAX_MAGNITUDE:
        largest = high if high >= -low else low
        # the type a bound of the schema gives (a fill's low or an edit's value over it)
        bound = "less_than_equal" if largest > 0 else "greater_than_equal"
        at = int(np.argmax(array) if largest == high else np.argmin(array))
        raise LayerError(
            *_placed(array, at, field, nested, f"every value must lie between "
                     f"-{MAX_MAGNITUDE:g} and {MAX_MAGNITUDE:g}"), kind=bound,
            # the bound in the ctx the schema's own refusal of that type gives (an edit's)
            ctx={"le": MAX_MAGNITUDE} if largest > 0 else {"ge": -MAX_MAGNITUDE},
        )


def _placed(array: FloatArray, at: int, field: str, nested: bool, rule: str) -> tuple[str, str]:
    """(field, reason) of a refusal of the value at flat index ``at``, named by its indices:
    nested lists have places, so its path goes down to it as a non-number's does; a compact
    array has none in the JSON but the field, so its indices are said in the reason.

    >>> _placed(np.array([[1.0, np.nan]]), 1, "input.values", True, "it is wrong")
    ('input.values.0.1', 'input.values[0][1] holds nan: it is wrong')
    >>> _placed(np.array([[1.0, np.inf]]), 1, "input.values", False, "it is wrong")
    ('input.values', 'input.values holds inf at index [0, 1]: it is wrong')
    """
    index = [int(i) for i in np.unravel_index(at, array.shape)]
    value = f"{float(array.flat[at]):g}"
    if nested:
        return (".".join([field, *map(str, index)]),
                f"{field}{''.join(f'[{i}]' for i in index)} holds {value}: {rule}")
    return field, f"{field} holds {value} at index {index}: {rule}"
