"""What a parsed JSON body is refused for before it is validated: validation's own cost.

Pydantic checks every item of a list and reports every unknown key before any limit of
ours is checked, so a body of a hundred thousand edits, or unknown keys, held the event loop
while it made an entry for each, and answered with a 422 of tens of megabytes.
:func:`check` walks the body's objects (never its arrays of numbers) and refuses at once an
object with more keys than any object of the API has, and a list of objects (``edits``)
longer than the server's ``max_edits``, with the message :mod:`app.convert` gives a spec
over that limit.
"""

from __future__ import annotations

from typing import Any

from app.config import ServerLimit
from app.errors import OVER_LIMIT, Refusal
from app.validation import path_of

# More keys than any object of the API has (a layer spec has nine fields, the largest answer
# twenty): such an object is mostly unknown fields, which would each get their own entry.
MAX_FIELDS = 64
# An edit has three fields; a few misspelt ones are each worth an entry of the answer, but a
# thousand edits of 64 unknown fields made 64,000 entries, one at a time on the event loop.
EDIT_FIELDS = 5
# Bodies up to this size are not walked before validation: they hold at most a few hundred
# keys or edits, cheap for validation, and the walk would cost every cheap request. One that
# validation refuses is walked then (app.errors.on_validation_error), so a fault gets the same
# answer whatever the body's size.
CHECK_BYTES = 16 * 2**10


def check(body: Any, max_edits: ServerLimit) -> None:
    """Refuse ``body`` (parsed JSON) if validating it would be dear (module docstring).

    >>> from app.config import Settings
    >>> max_edits = Settings(max_edits=3).limit("max_edits")
    >>> check({"layer": {"edits": [{}] * 3}}, max_edits)
    >>> try:
    ...     check({"layer": {"edits": [{}] * 4}}, max_edits)
    ... except Refusal as refusal:
    ...     print(refusal.loc, refusal.msg[:30])
    ['body', 'layer', 'edits'] the number of edits is 4, over
    """
    _walk(body, ["body"], max_edits)


def _walk(body: Any, at: list[str | int], max_edits: ServerLimit) -> None:
    # a stack, not recursion: orjson takes nesting 1,024 deep, past Python's stack (a 6 KB
    # body of nested objects was a 500); children pushed in reverse, so faults are met in
    # the body's order
    pending: list[tuple[Any, list[str | int]]] = [(body, at)]
    while pending:
        node, loc = pending.pop()
        children: list[tuple[Any, list[str | int]]] = []
        if isinstance(node, dict):
            edit = len(loc) >= 2 and loc[-2] == "edits"  # an item of the edits list
            most = EDIT_FIELDS if edit else MAX_FIELDS
            if len(node) > most:
                takes = ("an edit takes array, index and value" if edit
                         else f"no object of this API takes more than {most}")
                raise Refusal(422, loc, f"{path_of(loc)} has {len(node):,} fields; {takes} "
                              "(unknown fields are refused)", "extra_forbidden")
            children = [(value, [*loc, key]) for key, value in node.items()
                        if isinstance(value, dict | list)]
        elif isinstance(node, list) and loc[-1] == "edits":
            # whatever its items are: validation gives each wrong one an entry of its own
            if len(node) > max_edits.value:
                raise Refusal(422, loc,
                              max_edits.over([f"the number of edits is {len(node):,}"]),
                              OVER_LIMIT, max_edits.ctx)
            children = [(item, [*loc, index]) for index, item in enumerate(node)]
        elif isinstance(node, list) and node and isinstance(node[0], dict):
            # the API's one list of objects is edits (arrays of numbers are not walked)
            if len(node) > max_edits.value:
                raise Refusal(422, loc, f"{path_of(loc)} holds {len(node):,} objects; only "
                              "edits is a list of objects", "invalid_type")
            children = [(item, [*loc, index]) for index, item in enumerate(node)]
        pending += reversed(children)
