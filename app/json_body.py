"""Reading a JSON body: orjson's parser, whole integers kept exact, and refusals that name the
field a number no float can hold was given for.

orjson refuses what JSON does not allow (NaN and Infinity literals, nesting deeper than 1024
levels) and numbers past a float's range; :func:`read_json` adds what it cannot say: the exact
value of a long whole number, and for a non-finite or out-of-range number the field it sits in
(orjson knows only the character it stopped at).
"""

from __future__ import annotations

import gc
import json
import math
import re
import secrets
from typing import Any

import orjson

from app.errors import Refusal, non_finite_token
from app.validation import EMPTY_BODY, path_of

# A whole number of 19 digits or more outside a fraction or an exponent: orjson reads integers
# beyond 64 bits as floats, so a stride of 10**30 would be answered as 1e+30 (or echoed as
# 999...216), a value the user never sent.
_LONG_INTEGER = re.compile(rb"(?<![\d.eE])\d{19,}(?![\d.eE])")
# The quick test, a run of 19 digits anywhere: every digit made a 9 and everything else a
# space, then one substring search (a tenth of the time a regex search for \d{19} takes).
_DIGITS_AS_NINES = bytes(0x39 if 0x30 <= c <= 0x39 else 0x20 for c in range(256))
_NINETEEN_DIGITS = b"9" * 19
# Bodies up to this size are searched for long integers. The sizes, strides, seeds and steps
# they matter for are scalars of small bodies; a larger body is mostly arrays of values, read
# as floats anyway, and searching all of it would cost more than parsing it.
LONG_INTEGER_SEARCH_BYTES = 2**16


def _refuse_not_utf8(raw: bytes) -> None:
    """A 422 saying where a body that is not UTF-8 text goes wrong: orjson says only "str is
    not valid UTF-8: surrogates not allowed", at character 0, for UTF-16 and Latin-1 alike.

    >>> try:
    ...     _refuse_not_utf8('{"a": "é"}'.encode("latin-1"))
    ... except Refusal as refusal:
    ...     print(refusal.loc, refusal.msg[:67])
    ['body', 7] the body is not UTF-8 text: byte 7 (0xe9) starts no UTF-8 character
    """
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        utf16 = " (a UTF-16 byte order mark)" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise Refusal(422, ["body", error.start], f"the body is not UTF-8 text: byte "
                      f"{error.start} (0x{raw[error.start]:02x}) starts no UTF-8 character"
                      f"{utf16}; send JSON as UTF-8", "json_invalid") from None


def read_json(raw: bytes) -> Any:
    """A JSON body as orjson reads it (NaN/Infinity literals and nesting deeper than 1024
    levels refused with its ``JSONDecodeError``), with its integers exact when it is small.

    >>> read_json(b'{"stride": 100000000000000000000000000000, "low": 1e30}')
    {'stride': 100000000000000000000000000000, 'low': 1e+30}
    """
    if not raw.strip():  # spaces and newlines alone: as empty as no body (FastAPI's missing)
        raise Refusal(422, ["body"], EMPTY_BODY, "missing")
    try:
        data = _loads(raw)
    except orjson.JSONDecodeError as error:
        _refuse_not_utf8(raw)
        whole = _with_huge_integer(raw, error)
        if whole is _NOT_READ:
            _refuse_naming_the_field(raw, error)
            raise
        return whole
    _refuse_duplicate_key(raw, data)
    if (len(raw) <= LONG_INTEGER_SEARCH_BYTES
            and _NINETEEN_DIGITS in raw.translate(_DIGITS_AS_NINES)
            and _LONG_INTEGER.search(raw)):
        try:
            # orjson has checked the body; Python's parser keeps long integers whole.
            return json.loads(raw)
        except RecursionError:  # within orjson's depth limit but not Python's stack
            return data
    return data


def _refuse_duplicate_key(raw: bytes, data: Any) -> None:
    """A 422 at a key given twice in one object (``{"stride": 1, "stride": 2}``): JSON leaves
    which one counts to the reader (orjson and Python keep the last), so the request is not
    what its sender may have meant.

    The quick test, on every body: its colons (one after each key, and any in its strings)
    counted against those of what was parsed, where a key given twice is one fewer. A small
    body's are counted in orjson's own writing of what it parsed; a large one's (mostly arrays
    of numbers, its strings base64 or names) are its objects' keys, found by a walk that takes
    an array whose first items lead to a number for numbers throughout. Where the counts differ
    for any other reason (a colon in a string of a large body or written as an escape, an
    object after a number in an array), the body is read again with Python's parser, which
    finds the keys given twice, or none.

    >>> try:
    ...     read_json(b'{"input": {"shape": [5, 5, 3], "shape": [4, 4, 3]}}')
    ... except Refusal as refusal:
    ...     print(refusal.loc, refusal.type)
    ...     print(refusal.msg)
    ['body', 'input', 'shape'] duplicate_key
    input.shape is given twice in one object: send it once (JSON leaves which one counts)
    >>> read_json(b'{"text": "a \\\\": b", "list": [1, {"k": 1}]}')
    {'text': 'a ": b', 'list': [1, {'k': 1}]}
    """
    written = raw.count(b":")  # one byte: bytes.count's fast path, not its two-byte search
    try:
        parsed = (orjson.dumps(data).count(b":") if len(raw) <= LARGE_BODY_BYTES
                  else _keys_parsed(data))
    except TypeError:  # an integer past 64 bits (kept whole, read_json): counted again below
        parsed = -1
    if written == parsed:
        return
    paused = gc.isenabled() and len(raw) > LARGE_BODY_BYTES  # as _loads, for the same reason
    if paused:
        gc.disable()
    try:
        again = json.loads(raw, object_pairs_hook=_ObjectRead)
    except (ValueError, RecursionError):  # orjson read it: what it found stands
        return
    finally:
        if paused:
            gc.enable()
    refusals = [
        Refusal(422, loc, f"{path_of(loc)} is given twice in one object: send it once (JSON "
                "leaves which one counts)", "duplicate_key")
        for loc in (["body", *path] for path in _twice_in(again))
    ]
    if refusals:
        raise Refusal(422, refusals[0].loc, refusals[0].msg, refusals[0].type,
                      also=refusals[1:])


def _keys_parsed(data: Any) -> int:
    """The keys of the objects in ``data``, an array whose first items lead to a number (or
    a string, or nothing) taken for one without objects."""
    count = 0
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            count += len(value)
            pending.extend(value.values())
        elif isinstance(value, list) and value:
            first = value[0]
            while isinstance(first, list) and first:
                first = first[0]
            if isinstance(first, dict):
                pending.extend(value)
    return count


class _ObjectRead(dict):  # type: ignore[type-arg]
    """An object as Python's parser reads it, with the first key it was given twice."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.twice: str | None = None
        if len(self) < len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self.twice = key
                    break
                seen.add(key)


def _twice_in(data: Any) -> list[list[str | int]]:
    """The paths of the keys given twice in ``data`` (read with :class:`_ObjectRead`), in the
    body's order."""
    found: list[list[str | int]] = []
    pending: list[tuple[Any, list[str | int]]] = [(data, [])]
    while pending:
        value, path = pending.pop()
        if isinstance(value, _ObjectRead):
            if value.twice is not None:
                found.append([*path, value.twice])
            pending += reversed([(item, [*path, key]) for key, item in value.items()])
        elif isinstance(value, list):
            pending += reversed([(item, [*path, index]) for index, item in enumerate(value)
                                 if isinstance(item, (dict, list))])
    return found


def _loads(raw: bytes) -> Any:
    """``orjson.loads`` with the cyclic garbage collector paused: each list or object parsed
    is a new container, and millions of them (a body of empty lists) set off collection after
    collection over the growing tree, most of the parse's time. The collector's schedule is
    process-wide; pausing it for one parse only delays the next collection."""
    if len(raw) <= LARGE_BODY_BYTES or not gc.isenabled():
        return orjson.loads(raw)
    gc.disable()
    try:
        return orjson.loads(raw)
    finally:
        gc.enable()


# Smaller bodies hold too few lists and numbers to set off a collection worth avoiding or to
# be worth counting (listed_numbers).
LARGE_BODY_BYTES = 2**16
_NOT_READ = object()
_INTEGER = re.compile(rb"-?\d+(?![\d.eE])")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _refuse_constant(text: str) -> Any:
    raise ValueError(text)


def _with_huge_integer(raw: bytes, error: orjson.JSONDecodeError) -> Any:
    """The body as Python's parser reads it when orjson refused it for an integer past a
    float's range (a 1 and 400 zeros): that is valid JSON, and the field it is given for
    refuses it (a size with its range, a float field as too large for a float). ``_NOT_READ``
    for any other refusal; for a body over :data:`LONG_INTEGER_SEARCH_BYTES` (the sizes,
    strides and seeds this is for are scalars of small bodies; Python's parser is a tenth of
    orjson's speed); and where Python's parser would accept what orjson rightly does not (a
    float past the range, NaN, a surrogate escape, which may be a lone one, nesting deeper
    than its stack, more digits than it converts).

    >>> _with_huge_integer(b'{"start": 1' + b'0' * 400 + b'}', orjson.JSONDecodeError(
    ...     "number is infinity when parsed as double", "", 10))["start"] == 10**400
    True
    """
    if ("infinity when parsed" not in str(error) or len(raw) > LONG_INTEGER_SEARCH_BYTES
            or not _INTEGER.match(raw, getattr(error, "pos", -1))
            or _SURROGATE_ESCAPE.search(raw)):
        return _NOT_READ
    try:
        return json.loads(raw, parse_float=_finite, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return _NOT_READ


# A number as JSON writes it, read from where orjson stopped.
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
# What stands in for a refused number while the body is read again to find its field: a
# string no client sends (a control character, and a random part made per process), numbered
# by the refused number's place among them.
_MARK = f"\x00refused number {secrets.token_hex(8)} "
# The refused numbers one refusal names, each found by reading the body once more; past them,
# orjson's refusal of the next one says the character.
MOST_REFUSED_NUMBERS = 32


def _refused_number(raw: bytes, error: orjson.JSONDecodeError) -> tuple[int, int, str] | None:
    """Where orjson's refusal ``error`` of ``raw`` stopped, if at a NaN/Infinity literal or a
    number past a float's range: ``(start, end, why)``; None for anything else."""
    position = getattr(error, "pos", -1)
    if not 0 <= position < len(raw):
        return None
    literal = non_finite_token(raw, position)
    if literal:
        token, start = literal
        return (start, start + len(token),
                f"is {token}: JSON has no NaN or Infinity; every value must be a finite number")
    number = _NUMBER.match(raw, position)
    if number is None or "infinity when parsed" not in str(error):
        return None
    # a long number is cut in the message, its digits counted (app.errors.detail)
    text = number.group().decode()
    why = (f"is {text}: a whole number of more digits than this server reads (4,300), far "
           "past any limit here" if text.lstrip("-").isdigit() else
           f"is {text}: too large for a float (about 1.8e308 at most); every value must "
           "be finite")
    return number.start(), number.end(), why


def _refuse_naming_the_field(raw: bytes, error: orjson.JSONDecodeError) -> None:
    """A 422 at the field of each NaN/Infinity literal and of each number past a float's range
    (``1e999``, a whole number of more digits than Python converts), one entry each in the
    body's order, when ``raw`` is otherwise JSON and small enough to read again for each;
    nothing otherwise (orjson's own refusal then says the character).

    >>> try:
    ...     _refuse_naming_the_field(b'{"input": {"shape": [NaN, 5, 3]}}', orjson.JSONDecodeError(
    ...         "unexpected character", "", 21))
    ... except Refusal as refusal:
    ...     print(refusal.loc, refusal.msg[:62] + "...")
    ['body', 'input', 'shape', 0] input.shape[0] is NaN: JSON has no NaN or Infinity; every...
    """
    if len(raw) > LONG_INTEGER_SEARCH_BYTES:
        return
    reasons: list[str] = []  # each refused number's, by its mark's number
    while True:
        refused = _refused_number(raw, error)
        if refused is None or len(reasons) == MOST_REFUSED_NUMBERS:
            return  # something else in the body is not JSON either: orjson's refusal says where
        start, end, why = refused
        raw = raw[:start] + orjson.dumps(f"{_MARK}{len(reasons)}") + raw[end:]
        reasons.append(why)
        try:
            marked = orjson.loads(raw)
            break
        except orjson.JSONDecodeError as again:
            error = again
    paths = _paths_to_marks(marked)
    refusals = []
    for number, why in enumerate(reasons):
        loc: list[str | int] = ["body", *paths[number]]
        refusals.append(Refusal(422, loc, f"{path_of(loc)} {why}", "json_invalid"))
    first, *others = refusals
    first.also = tuple(others)
    raise first


def _paths_to_marks(data: Any) -> dict[int, list[str | int]]:
    """Where each mark is in ``data``, as keys and indices, by the mark's number."""
    found: dict[int, list[str | int]] = {}
    pending: list[tuple[Any, list[str | int]]] = [(data, [])]
    while pending:
        value, path = pending.pop()
        if isinstance(value, str) and value.startswith(_MARK):
            found[int(value[len(_MARK):])] = path
        elif isinstance(value, dict):
            pending += [(item, [*path, key]) for key, item in value.items()]
        elif isinstance(value, list):
            pending += [(item, [*path, index]) for index, item in enumerate(value)]
    return found
