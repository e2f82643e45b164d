"""Pydantic's validation errors as people read them: one entry per wrong field.

Pydantic reports a value that fits no branch of a union (``size``: an int or ``[h, w]``) once
per branch, with the branch's internal name in ``loc``
(``["body", "padding", "function-after[...]"]``, ``"constrained-int"``, ``"list[any]"``) and
messages about the branches the value was never meant for ("Input should be a valid list"
for ``-3``). :func:`clean` turns those into one entry per field: ``loc`` is the field's path
(list indices included), ``msg`` says the value received and what the field accepts, and no
"Value error, " prefix. :mod:`app.errors` formats the entries.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any, get_args

from pydantic import BaseModel

from app.config import Settings

# What each field accepts, in words, by the field's name (the last name in its path).
ACCEPTS = {
    "size": "a whole number >= 1, or a list of one or two ([Fh, Fw]) of them",
    "stride": "a whole number >= 1, or a list of one or two ([Sh, Sw]) of them",
    "dilation": "a whole number >= 1 (1 = none; the CS231n notes count the gaps, so their "
    "dilation 1 is 2 here), or a list of one or two ([dh, dw]) of them",
    "padding": "a whole number >= 0, or a list of one, two ([ph, pw]) or four "
    "([top, bottom, left, right]) of them",
    "shape": "[H, W, D]: three whole numbers >= 1",
    "values": "nested lists of numbers, or a compact array {dtype, shape, data}",
    "bias": "nested lists of numbers, or a compact array {dtype, shape, data}",
    "cell": "[row, col]: two whole numbers >= 0",
    "position": "[i, j, d]: an output neuron's row, column and depth, whole numbers >= 0",
    "start": "a whole number >= 0",
    "every": "a whole number from 1 to 2**53 - 1",
    "seed": "a whole number from 0 to 2**53 - 1",
    "data": "base64 text (A-Z, a-z, 0-9, +, /, up to two = at the end)",
    "upstream": '{"values": the (H2, W2, K) gradient} or {"fill": {...}}; {} is all ones',
    "parts": 'a list of one to three of "dx", "dw" and "db", each named once; left out, all '
    "three",
}
# Messages of pydantic's error types, said as a rule about the value.
RULES = {
    "greater_than_equal": "it must be >= {ge}",
    "greater_than": "it must be > {gt}",
    "less_than_equal": "it must be <= {le}",
    "less_than": "it must be < {lt}",
    "int_type": "it must be a whole number",
    "int_from_float": "it must be a whole number",
    "int_parsing": "it must be a whole number",
    "float_parsing": "it must be a number",
    "float_type": "it must be a number",
    "string_type": "it must be a string",
    "bool_type": "it must be true or false",
    "list_type": "it must be a list",
    "model_type": "it must be an object",
    "model_attributes_type": "it must be an object",
    "dict_type": "it must be an object",
    "literal_error": "it must be one of {expected}",
    "missing": "it is required",
    "extra_forbidden": "there is no such field (unknown fields are refused)",
    # base64 (a compact array's data) is the one field with a pattern
    "string_pattern_mismatch": "it holds characters base64 does not use (A-Z, a-z, 0-9, + "
    "and /, then at most two '=')",
    "too_short": "it has {actual_length} {items}, fewer than {min_length}",
    "too_long": "it has {actual_length} {items}, more than {max_length}",
    "finite_number": "it must be a finite number",
}
# Pydantic's types for a value of the wrong type: all answered as ``invalid_type``.
_TYPE_ERRORS = frozenset({
    "int_type", "int_from_float", "int_parsing", "float_type", "float_parsing", "string_type",
    "bool_type", "list_type", "model_type", "model_attributes_type", "dict_type",
})
_VALUE_ERROR = "Value error, "
_SPACE = re.compile(r"\s")
# Branch names pydantic puts in ``loc``: anything that is not a plain field name.
_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]*")
SHOWN_CHARS = 60


def _is_branch(part: str | int) -> bool:
    """``"constrained-int"``, ``"list[any]"``, ``"CompactArray"``, ``"int"``: not a field."""
    return isinstance(part, str) and (
        not _FIELD_NAME.fullmatch(part) or part in ("int", "float", "str", "bool", "none")
    )


def cut_short(text: str) -> str:
    """``text`` as an error may echo it: at most 60 characters, marked where it was cut.

    >>> cut_short("k" * 61)[-12:]
    'k... (cut)'
    """
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "... (cut)"


def _json_chunks(value: Any) -> Iterator[str]:
    """``value`` as JSON text, piece by piece, so :func:`shown` can stop once it has enough:
    a body nested 1,000 lists deep is read only as deep as 60 characters reach (each level
    writes its bracket first), and a long string or key only as far as is shown."""
    if isinstance(value, (list, tuple)):
        yield "["
        for position, item in enumerate(value):
            yield ", " if position else ""
            yield from _json_chunks(item)
        yield "]"
    elif isinstance(value, dict):
        yield "{"
        for position, (key, item) in enumerate(value.items()):
            yield (", " if position else "") + json.dumps(str(key)[: SHOWN_CHARS + 1]) + ": "
            yield from _json_chunks(item)
        yield "}"
    elif isinstance(value, str):
        yield json.dumps(value[: SHOWN_CHARS + 1])
    else:
        yield json.dumps(value, allow_nan=True, default=str)


def shown(value: Any) -> str:
    """A received value as JSON, cut short (an error never echoes a whole array, and never
    walks further into a value than it shows).

    >>> shown([1, 2, 3]), shown({"a": "x"})
    ('[1, 2, 3]', '{"a": "x"}')
    >>> shown(list(range(100)))[-12:]
    '... (cut)'
    """
    text = ""
    for chunk in _json_chunks(value):
        text += chunk
        if len(text) > SHOWN_CHARS:
            break
    return cut_short(text)


# What a base64 text written in lines (base64.encodebytes, MIME's 76 a line) is told.
BASE64_LINES = ("it holds line breaks or spaces: send the base64 in one line (Python's "
                "base64.b64encode; encodebytes breaks it every 76 characters)")


def _rule(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    text = error.get("input")
    if kind == "string_pattern_mismatch" and isinstance(text, str) and _SPACE.search(text):
        return BASE64_LINES
    template = RULES.get(kind)
    if template is not None:
        try:
            items = "item" if ctx.get("actual_length") == 1 else "items"
            bounds = {key: _bound(value) for key, value in ctx.items()}
            return template.format(items=items, **bounds)
        except (KeyError, IndexError):
            pass
    msg = str(error.get("msg", ""))
    return msg.removeprefix(_VALUE_ERROR)


def _bound(value: Any) -> Any:
    """A bound as people write it: ``1e+15``, not ``1000000000000000.0``.

    >>> _bound(1e15), _bound(0.0), _bound(2**53 - 1), _bound("x")
    ('1e+15', '0', 9007199254740991, 'x')
    """
    return f"{value:g}" if isinstance(value, float) else value


# What a request without a body (or with spaces alone) is told.
EMPTY_BODY = "the body is empty: send the request as a JSON object"


def path_of(loc: Sequence[str | int]) -> str:
    """``["body", "filters", "size", 1]`` -> ``filters.size[1]``; ``["query", "max_side"]`` ->
    ``the query's max_side``."""
    if len(loc) == 2 and loc[0] == "query":
        return f"the query's {loc[1]}"
    text = ""
    for part in loc:
        if part == "body" and not text:
            continue
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "the body"


# What a layer without biases is here (PyTorch's bias=False): every layer has K of them.
NO_BIAS = ('every layer here has biases; for none, make them zeros with filters.bias_fill '
           '{"kind": "zeros"} (counts.weights_shared counts the parameters without them)')

# PyTorch's bias=True, the default: so is every layer's here.
HAS_BIAS = ("every layer here has biases: leave filters.bias out and filters.bias_fill makes "
            "them, or give their values")

# Biases sent as a layer's own field, not as the filters': where they go.
BIAS_AT = "the biases are the filters': filters.bias, K numbers"

# PyTorch's groups=1, its default, sent as it is: every layer here is that one.
GROUPS_ONE = ("every layer here is groups=1 (each filter spans the input's whole depth): leave "
              "groups out")

# Other libraries' words for a fit policy, as the one this API takes.
CEIL_IS_PAD = ('PyTorch\'s ceil_mode=True is "pad" (for a window no wider than the padded '
               'input)')
# (PyTorch's pooling also takes a window wider than the padded input, as one position;
# here that is refused under every policy, with the paddings that make room suggested)
FIT_WORDS = {"ceil": CEIL_IS_PAD, "ceil_mode": CEIL_IS_PAD,
             "same": 'a padding of "same" is a number here: padding, not fit'}

# Other libraries' names for fields this API spells otherwise (PyTorch's Conv2d, Keras's
# Conv2D): an unknown field of one of these names says where its value goes here.
OTHER_NAMES = {
    "kernel_size": "the filter size is filters.size",
    "out_channels": "the number of filters is filters.count",
    "in_channels": "the input's depth is the third number of input.shape",
    "groups": "grouped and depthwise filters are not supported: every filter spans the "
              "input's whole depth, as groups=1 does",
    "padding_mode": "padding is zeros, the notes' kind",
    "strides": "the stride is stride",
    "dilation_rate": "the dilation is dilation",
    "channels": "the input's depth is the third number of input.shape",
    "depth": "the depth is the input's, the third number of input.shape (each filter is as "
             "deep as the input)",
    "use_bias": NO_BIAS,
    "kernel": "the filters' weights are filters.values",
    "weight": "the filters' weights are filters.values",
    "weights": "the filters' weights are filters.values",
}

# Names this API uses in another object, sent in the wrong one: the filters' size sent as the
# input's, and the other way round (found by trying the API as a new user: "input": {"size"}).
OTHER_NAMES_IN = {
    ("input", "size"): "the input's size is input.shape, [H, W, D]",
    ("filters", "shape"): "a filter's height and width are filters.size (its depth is the "
                          "input's) and the number of filters is filters.count",
}

# Other libraries' padding words, as the numbers this API takes ("same" in the layer's own
# numbers where the body gives them: :func:`same_hint`).
SAME_VALID = {
    "valid": '"valid" is padding 0',
    "same": '"same" (TensorFlow\'s: ceil(H/S) x ceil(W/S) outputs) is, per axis, d*(F - 1) '
            "zeros at stride 1 (filter size F, dilation d), half before and the odd one after: "
            "1 each side for a 3x3 filter, 2 for 5x5",
}


def _pair(value: Any) -> tuple[int, int] | None:
    """A body's per-axis size (a whole number, a list of one or two, each >= 1, as the schema
    reads them: 2.0 is 2) as (height, width)."""
    if not isinstance(value, list):
        value = [value]
    pair = value * 2 if len(value) == 1 else value
    if len(pair) != 2:  # before anything is made of it: a refused list may be millions long
        return None
    whole = [int(v) if isinstance(v, float) and v.is_integer() else v for v in pair]
    if all(type(v) is int and v >= 1 for v in whole):
        return whole[0], whole[1]
    return None


def same_hint(spec: Any, max_side: int | None = None) -> str:
    """What TensorFlow's "same" padding is for the layer ``spec`` (a request body's JSON
    object), in its own numbers where they can be read, else the rule; a padding past
    ``max_side`` (the server's limit) is said to be.

    >>> same_hint({"input": {"shape": [65, 65, 8]}, "filters": {"size": 3}, "dilation": 4})
    '"same" as TensorFlow pads this layer: padding 4 gives 65x65'
    >>> same_hint({"filters": {"size": [1, 7]}})  # stride 1: the input's size does not matter
    '"same" as TensorFlow pads this layer: padding [0, 3] (rows, columns)'
    """
    from engine.geometry import LayerShape, same_padding, same_with_floor, span_of

    read = _window_numbers(spec)
    if read is None:
        return SAME_VALID["same"]
    size, stride, dilation, sides = read
    if sides is None and stride != (1, 1):
        return SAME_VALID["same"]
    # at stride 1 "same" is d*(F - 1) zeros whatever the input: any size as wide as a window
    h, w = sides or (span_of(size[0], dilation[0]), span_of(size[1], dilation[1]))
    layer = LayerShape(h, w, 1, 1, *size, *stride, dilation_h=dilation[0],
                       dilation_w=dilation[1])
    # strided, its padding may leave part of a stride over: then it is fit="floor"'s too
    found = same_padding(layer) or (same_with_floor(layer) if sides else None)
    if found is None:
        return SAME_VALID["same"]
    text = found.text.replace(', "same" as TensorFlow pads it,', "")
    text = f'"same" as TensorFlow pads this layer: {text if sides else text.split(" gives")[0]}'
    widest = max(found.value) if isinstance(found.value, list) else found.value
    if max_side is not None and isinstance(widest, int) and widest > max_side:
        text += (f" (over this server's limit of {max_side:,} a side, CONVSCOPE_MAX_SIDE: a "
                 "smaller filter or dilation)")
    return text


def _window_numbers(spec: Any) -> tuple[
        tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int] | None] | None:
    """A refused body's filter size, stride, dilation and input sides (None: not given), each
    (height, width), where they can be read and are within the suggestions' own search (the
    body was refused, so nothing bounded them: a dilation of 10**16 around 10**15 cells is
    answered with the rule, not a walk over them); else None."""
    from engine.geometry import SEARCH

    spec = spec if isinstance(spec, dict) else {}
    if "preset" in spec and not all(key in spec for key in ("stride", "dilation")):
        # a preset gives what the body leaves out (AlexNet's stride 4 read as 1 here gave a
        # padding its layer then refused): its numbers are not read here, so the rule alone
        return None
    filters, given = spec.get("filters"), spec.get("input")
    size = _pair(filters.get("size")) if isinstance(filters, dict) else None
    # left out: 1; sent as null: refused, so not read as 1
    stride, dilation = _pair(spec.get("stride", 1)), _pair(spec.get("dilation", 1))
    shape = given.get("shape") if isinstance(given, dict) else None
    sides = _pair(shape[:2]) if isinstance(shape, list) and len(shape) == 3 else None
    if size is None or stride is None or dilation is None:
        return None
    if max(*size, *stride, *dilation, *(sides or ())) > SEARCH:
        return None
    return size, stride, dilation, sides


def valid_hint(spec: Any) -> str:
    """What "valid" padding is for the layer ``spec`` (a request body's JSON object): padding
    0, and where its windows leave part of a stride over, fit "floor" too (TensorFlow's VALID
    and PyTorch drop it), with the sizes it gives where the body says them.

    >>> valid_hint({"input": {"shape": [224, 224, 3]}, "filters": {"size": 7}, "stride": 2})
    '"valid" is padding 0 with fit "floor" (TensorFlow and PyTorch round down): gives 109x109'
    >>> valid_hint({"input": {"shape": [227, 227, 3]}, "filters": {"size": 11}, "stride": 4})
    '"valid" is padding 0: gives 55x55'
    """
    from dataclasses import replace

    # resolve_if_fits: a refusal's suggestions (dozens of layers tried) would run here
    # unpriced, on a body already refused
    from engine.geometry import LayerShape, resolve_if_fits

    read = _window_numbers(spec)
    if read is None:
        return SAME_VALID["valid"]
    size, stride, dilation, sides = read
    if sides is None:
        return SAME_VALID["valid"]
    h, w = sides
    layer = LayerShape(h, w, 1, 1, *size, *stride, dilation_h=dilation[0],
                       dilation_w=dilation[1])
    g = resolve_if_fits(layer)
    if g is not None:
        return f'{SAME_VALID["valid"]}: gives {g.out_height}x{g.out_width}'
    g = resolve_if_fits(replace(layer, fit="floor"))
    if g is None:  # a filter wider than the input: no padding 0 of any fit
        return SAME_VALID["valid"]
    return (f'{SAME_VALID["valid"]} with fit "floor" (TensorFlow and PyTorch round down): '
            f"gives {g.out_height}x{g.out_width}")


def _accepts(loc: Sequence[str | int], settings: Settings | None = None) -> str | None:
    """What the field at ``loc`` takes, in a few words; a number whose most is one of
    ``settings`` (by default the defaults) says the most in force and the setting's name."""
    names = [part for part in loc if isinstance(part, str)]
    if len(names) >= 2 and names[-1] == "shape" and names[-2] in ("values", "bias"):
        return "the compact array's shape: up to 6 whole numbers >= 1"
    if names[-2:] == ["filters", "bank"]:
        from engine.filterbanks import BANKS

        return f"a filter bank's name: {', '.join(BANKS)}"
    if names[-2:] == ["image", "name"]:
        from app.images import SAMPLES  # app.images refuses through app.errors, which uses this

        return f"a sample image's name: {', '.join(SAMPLES)}"
    setting = _LIMITED.get(tuple(names[-2:])) or _LIMITED.get(tuple(names[-1:]))
    if setting is not None:
        most = getattr(settings or Settings(), setting)
        return f"a whole number from 1 to {most:,} (this server's CONVSCOPE_{setting.upper()})"
    return ACCEPTS.get(names[-1]) if names else None


# Whole numbers whose most is a server setting (the field's last names: the setting), so a
# refusal of one says the most in force ("it must be >= 1" alone left a client guessing it).
_LIMITED = {("filters", "count"): "max_filters", ("count",): "max_steps",
            ("max_side",): "max_image_side"}


def _entry(
    loc: list[str | int], kind: str, rule: str, value: Any, has_value: bool,
    ctx: dict[str, Any] | None = None, settings: Settings | None = None,
) -> dict[str, Any]:
    where = path_of(loc)
    # a query parameter's value is the link's text, not JSON: shown as typed, unquoted (and
    # said to be empty, where "?encoding=" read "the query's encoding is : it must be ...")
    if loc[:1] == ["query"] and isinstance(value, str):
        text = cut_short(value) if value else "empty"
    else:
        text = shown(value)
    got = f"{where} is {text}" if has_value else where
    if loc == ["body"] and kind == "missing":  # no body at all, not a field left out
        return {"loc": loc, "msg": EMPTY_BODY, "type": kind}
    # an unknown field takes nothing (what a known one of that name takes would contradict it),
    # and an unknown name's message lists the known names already
    accepts = (_accepts(loc, settings) if kind not in ("extra_forbidden", "unknown_name")
               else None)
    msg = f"{got}: {rule}" + (f"; it takes {accepts}" if accepts else "")
    # (a field of another name only: an unknown "padding" inside input or an edit takes nothing)
    if (kind != "extra_forbidden" and loc and loc[-1] == "padding" and isinstance(value, str)
            and value.lower() in SAME_VALID):
        msg += f"; {SAME_VALID[value.lower()]}"
    elif loc and loc[-1] == "fit" and isinstance(value, str) and value.lower() in FIT_WORDS:
        msg += f"; {FIT_WORDS[value.lower()]}"
    elif loc[-2:] == ["filters", "bias"] and isinstance(value, bool):
        msg += f"; {NO_BIAS if value is False else HAS_BIAS}"
    if kind == "extra_forbidden" and tuple(loc[-2:]) in OTHER_NAMES_IN:
        msg += f"; {OTHER_NAMES_IN[(str(loc[-2]), str(loc[-1]))]}"
    elif kind == "extra_forbidden" and loc and loc[-1] == "bias":
        # PyTorch's Conv2d(..., bias=False) sent beside the layer's sizes: the biases are
        # the filters' here
        msg += f"; {NO_BIAS if value is False else HAS_BIAS if value is True else BIAS_AT}"
    elif kind == "extra_forbidden" and loc and loc[-1] == "groups" and value == 1:
        msg += f"; {GROUPS_ONE}"
    elif kind == "extra_forbidden" and loc and loc[-1] in OTHER_NAMES:
        msg += f"; {OTHER_NAMES[str(loc[-1])]}"
    elif kind == "extra_forbidden" and loc and isinstance(loc[-1], str):
        parent = next((part for part in reversed(loc[:-1]) if isinstance(part, str)), "body")
        # a body's own fields are every request's together: a name known to another kind of
        # request is not a near miss
        known = [name for name in known_fields().get(parent, ()) if name != loc[-1]]
        close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.7)
        if close:
            msg += f"; did you mean {close[0]}?"
    entry: dict[str, Any] = {"loc": loc, "msg": msg, "type": kind}
    if ctx:
        entry["ctx"] = ctx
    return entry


@cache
def known_fields() -> dict[str, tuple[str, ...]]:
    """The field names of each object of the request bodies, by the name of the field that
    holds it (``"body"`` for a body's own): what an unknown field's near miss is matched
    against (``input.shap``: did you mean shape?).

    >>> "shape" in known_fields()["input"], "stride" in known_fields()["body"]
    (True, True)
    """
    from app import schemas  # app.schemas imports this module's neighbours, not this one

    found: dict[str, set[str]] = {"body": set()}

    def walk(model: type[BaseModel], name: str) -> None:  # the schemas nest, never recur
        found.setdefault(name, set()).update(model.model_fields)
        for field_name, info in model.model_fields.items():
            for inner in _models_in(info.annotation):
                walk(inner, field_name)

    for request in (schemas.LayerSpec, schemas.StepsRequest, schemas.InverseRequest,
                    schemas.BackwardRequest):
        walk(request, "body")
    return {name: tuple(sorted(names)) for name, names in found.items()}


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation holds (in a union, a list, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in get_args(annotation):
        yield from _models_in(arg)


# Fields that take only a list (or an array object): text there is "not a list".
_LIST_FIELDS = frozenset({"shape", "values", "bias", "index", "position", "cell", "parts",
                          "edits"})
# Fields that take only an object: text there ("upstream": "ones") is "not an object".
_OBJECT_FIELDS = frozenset({"input", "filters", "fill", "bias_fill", "upstream", "layer",
                            "image"})
# Fields that take only text (a name, base64): null there is "not text".
_TEXT_FIELDS = frozenset({"name", "data", "bank", "preset"})


def _kind_words(value: Any, field: Sequence[str | int] = ()) -> str:
    """What a JSON value is, in words: ``"3"`` is text, not a number; a number where an
    array goes (``field`` ends in ``values`` or ``bias``) is one number, whole or not."""
    if isinstance(value, str) or value is None:
        # "5,5,3" for a shape is not a number, nor is a number what the shape takes; null
        # where no null is taken likewise ("it is null" alone gave no reason)
        what = "text" if isinstance(value, str) else "null"
        last = field[-1] if field else None
        wanted = ("a list" if last in _LIST_FIELDS else
                  "an object" if last in _OBJECT_FIELDS else
                  "text" if last in _TEXT_FIELDS else "a number")
        return f"{what}, not {wanted}"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and field and (
        field[-1] in ("values", "bias")
    ):
        return "a single number"
    if isinstance(value, float) and value.is_integer():
        return "a float over 2**53, more than any whole number here may be"
    if isinstance(value, float):
        return "not a whole number"
    return {"bool": "a true/false value", "int": "a whole number", "list": "a list",
            "object": "an object"}.get(_json_kind(value), "of another type")


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "other"


def _branch_kind(branch: str) -> str:
    if branch.startswith("list[") or (branch.startswith("function-after[") and "list[" in branch):
        return "list"
    if "int" in branch:
        return "int"
    if branch[:1].isupper() or branch.startswith("dict["):
        return "object"
    return "other"


def _union(field: list[str | int], errors: list[dict[str, Any]],
           settings: Settings | None = None) -> list[dict[str, Any]]:
    """The entries for a value that fits no branch of a union field: one, or one per wrong
    item when the value has the right form (``stride: [0, "a"]``: both items)."""
    value_errors = [e for e in errors if not e["rest"]]
    has_value = bool(value_errors) and "input" in value_errors[0]
    value = value_errors[0].get("input") if has_value else None
    kind = _json_kind(value)
    own = [e for e in errors if _branch_kind(e["branch"]) == kind]
    if not own:
        return [_entry(field, "invalid_type", f"it is {_kind_words(value, field)}", value,
                       has_value, settings=settings)]
    inner = [e for e in own if e["rest"]]
    if inner:  # the value has the right form; something inside it is wrong
        firsts = {tuple(e["rest"]): e for e in reversed(inner)}  # the first error per item
        return [
            _entry(field + e["rest"], *_typed(e, field + e["rest"]), e.get("input"),
                   "input" in e and e.get("type") != "missing", e.get("ctx"), settings)
            for e in sorted(firsts.values(), key=lambda e: [str(p) for p in e["rest"]])
        ]
    if kind == "list" and all(e["type"] in ("too_short", "too_long") for e in own):
        count = len(value) if isinstance(value, list) else 0
        # a list of lists (or of text) has items, not numbers
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool)
                      for v in value[:1000]) if isinstance(value, list) else True
        noun = ("number" if numbers else "item") + ("" if count == 1 else "s")
        return [_entry(field, "wrong_length", f"it has {count:,} {noun}", value, has_value,
                       {"actual_length": count}, settings)]
    first = own[0]
    return [_entry(field, str(first["type"]), _rule(first), value, has_value, first.get("ctx"),
                   settings)]


def _typed(error: dict[str, Any], loc: list[str | int]) -> tuple[str, str]:
    """(type, rule) of one error, a value of the wrong type answered as ``invalid_type``
    (the same failure whether or not its field is a union)."""
    kind, rule = str(error.get("type")), _rule(error)
    if kind in ("too_short", "too_long"):
        kind = "wrong_length"  # as for a union field's list ("stride": [1, 1, 1])
    if kind in _TYPE_ERRORS:
        if kind == "float_type" and type(error.get("input")) is int:  # 10**400: JSON allows it
            return "invalid_type", "it is a whole number too large for a float (about 1.8e308)"
        kind = "invalid_type"
        # (a query's values are all text: "abc" is no whole number, not text where one goes)
        if _accepts(loc) and loc[:1] != ["query"]:
            rule = f"it is {_kind_words(error.get('input'), loc)}"
    return kind, rule


def clean(
    errors: Iterable[dict[str, Any]], body: Any = None, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """Pydantic's errors as one entry per field, each ``{loc, msg, type[, ctx]}``; ``body``
    (the request's JSON) gives a padding of "same" its layer's own numbers; ``settings``, the
    server's limits a message says (its ``max_side``, which the padding may pass).

    ``json_invalid`` errors (the body is not JSON) pass through for :mod:`app.errors`.

    Examples
    --------
    >>> raw = [
    ...     {"loc": ("body", "filters", "size", "constrained-int"), "type": "greater_than_equal",
    ...      "msg": "Input should be greater than or equal to 1", "input": -3, "ctx": {"ge": 1}},
    ...     {"loc": ("body", "filters", "size", "list[constrained-int]"), "type": "list_type",
    ...      "msg": "Input should be a valid list", "input": -3},
    ... ]
    >>> [(e["loc"], e["msg"]) for e in clean(raw)]  # doctest: +NORMALIZE_WHITESPACE
    [(['body', 'filters', 'size'],
      'filters.size is -3: it must be >= 1; it takes a whole number >= 1, or a list of one or
      two ([Fh, Fw]) of them')]
    """
    out: list[dict[str, Any]] = []
    unions: dict[tuple[str | int, ...], list[dict[str, Any]]] = {}
    for raw in errors:
        error = dict(raw)
        if error.get("type") == "json_invalid":
            out.append(error)
            continue
        loc = list(error.get("loc", ()))
        # an unknown field's own name ends its loc, whatever it looks like ("Stride", "int"),
        # and is the client's text: echoed no longer than a value is
        named = loc[:-1] if error.get("type") == "extra_forbidden" else loc
        if len(named) < len(loc):
            loc[-1] = cut_short(str(loc[-1]))
        cut = next((k for k, part in enumerate(named) if _is_branch(part)), None)
        if cut is None:
            entry = _entry(loc, *_typed(error, loc), error.get("input"),
                           "input" in error and error.get("type") != "missing",
                           error.get("ctx"), settings)
            out.append(entry)
            continue
        field = tuple(loc[:cut])
        if field not in unions:
            unions[field] = []
            out.append({"union": field})  # keeps the order of first appearance
        error["branch"] = str(loc[cut])
        error["rest"] = [part for part in named[cut + 1:] if not _is_branch(part)]
        error["rest"] += loc[len(named):]  # the unknown field's name
        unions[field].append(error)
    entries = _point_to_layer([
        entry
        for item in out
        for entry in (_union(list(item["union"]), unions[item["union"]], settings)
                      if "union" in item
                      else [item])
    ])
    for entry in entries:
        if entry.get("loc", [])[-1:] != ["padding"]:
            continue
        spec = _inside(body, entry["loc"][1:-1])
        if SAME_VALID["same"] in entry["msg"]:
            most = None if settings is None else settings.max_side
            entry["msg"] = entry["msg"].replace(SAME_VALID["same"], same_hint(spec, most))
        elif entry["msg"].endswith(SAME_VALID["valid"]):
            entry["msg"] = entry["msg"].removesuffix(SAME_VALID["valid"]) + valid_hint(spec)
    return entries


def _inside(value: Any, path: Sequence[str | int]) -> Any:
    """What ``path`` reaches in JSON ``value``, None where it reaches nothing."""
    for part in path:
        if isinstance(value, dict) and isinstance(part, str):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return None
    return value


def _point_to_layer(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A layer spec sent bare where a request wants it under ``layer`` (steps, inverse,
    backward): its fields are unknown there and ``layer`` is missing. And the other way
    round: a spec under ``layer`` where the body is the spec (geometry, forward), whose
    required fields are missing at the top. One mistake, one entry: at ``layer``, naming the
    fields the other entries would have named (they are not sent)."""
    from app.schemas import LayerSpec  # the schema imports this module's neighbours

    # wrapped once too often: at the top of a geometry or forward body, or inside the
    # "layer" of a steps, inverse or backward body ({"layer": {"layer": {...}}})
    wrapped = next((e for e in entries if e["loc"][-1:] == ["layer"]
                    and e["type"] == "extra_forbidden"), None)
    if wrapped is not None:
        spec_at = wrapped["loc"][:-1]
        missing = [e for e in entries if e["type"] == "missing" and e["loc"][:-1] == spec_at
                   and e["loc"][-1] in LayerSpec.model_fields]
        if missing:
            names = " and ".join(str(e["loc"][-1]) for e in missing)
            where = ("this request's body is the layer spec itself: send the fields inside "
                     '"layer" at the top' if len(spec_at) == 1 else
                     f'{".".join(map(str, spec_at[1:]))} is the layer spec itself: send the '
                     'fields inside its "layer" directly in it')
            wrapped["msg"] += (f'; {where}, without "layer" around them ({names}, required, '
                               "are missing there)")
        return [e for e in entries if e not in missing]
    layer_missing = any(e["loc"] == ["body", "layer"] and e["type"] == "missing" for e in entries)
    stray = [e for e in entries if e["type"] == "extra_forbidden" and len(e["loc"]) == 2
             and e["loc"][1] in LayerSpec.model_fields]
    if not (layer_missing and stray):
        return entries
    names = ", ".join(str(e["loc"][1]) for e in stray)
    are, its, they = ("are", "fields", "they belong") if len(stray) > 1 else (
        "is", "field", "it belongs")
    for entry in entries:
        if entry["loc"] == ["body", "layer"] and entry["type"] == "missing":
            entry["msg"] = ('layer: it is required; this request takes the layer spec under '
                            f'"layer" ({{"layer": {{...}}}}), and {names} at the top {are} its '
                            f"{its}: {they} inside it")
    return [e for e in entries if e not in stray]
