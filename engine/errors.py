"""The engine's one exception family: every refusal names the spec field and the reason."""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: refusals quote counts the client sent.

    >>> counted(1, "filter"), counted(1200, "base64 character")
    ('1 filter', '1,200 base64 characters')
    """
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def listing(parts: Sequence[str], last: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c`` (``last`` the word before the last part).

    >>> listing(["x is 5"]), listing(["x", "y", "z"]), listing(["stride", "padding"], "or")
    ('x is 5', 'x, y and z', 'stride or padding')
    """
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" {last} {parts[-1]}"


def written(field: str) -> str:
    """A spec path as a message writes it, list items in brackets as the API's other messages
    do (``filters.size[1]``): ``edits.0.index`` -> ``edits[0].index``.

    >>> written("edits.12.index"), written("stride")
    ('edits[12].index', 'stride')
    """
    return re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", field)


class LayerError(ValueError):
    """A layer the engine will not compute. ``field`` is a spec path, ``reason`` a sentence;
    ``also`` holds the refusals of other fields found wrong at the same time, so a client
    hears of every wrong field at once rather than one per attempt; ``ctx``, figures a client
    acts on without reading the sentence (e.g. ``filters_pass``), written as the error's ctx.

    >>> error = LayerError.of([LayerError("stride", "too big"), LayerError("padding", "too big")])
    >>> error.field, [e.field for e in error.also]
    ('stride', ['padding'])
    """

    def __init__(
        self, field: str, reason: str, also: Sequence[LayerError] = (), kind: str = "layer_error",
        ctx: Mapping[str, Any] | None = None,
    ) -> None:
        # a reason that starts with its field (an edit's index among many) is said once
        said = written(field)
        super().__init__(reason if reason.startswith(f"{said} ") else f"{said}: {reason}")
        self.field = field
        self.reason = reason
        self.also = tuple(also)
        # what failed, for a client that tells failures apart (an API's error ``type``): the
        # same failure keeps one name wherever it is found
        self.kind = kind
        self.ctx = dict(ctx or {})

    @classmethod
    def of(cls, errors: Sequence[LayerError]) -> LayerError:
        """One error for several fields: the first, with the others in ``also``."""
        first, *rest = errors
        return cls(first.field, first.reason, rest, first.kind, first.ctx)

    def each(self) -> list[LayerError]:
        """This refusal and the ones it holds in ``also``, one error per field."""
        return [LayerError(self.field, self.reason, kind=self.kind, ctx=self.ctx), *self.also]

    def moved(self, prefix: str) -> LayerError:
        """The same refusal with its fields under ``prefix`` (``stride`` -> ``layer.stride``)."""
        return LayerError(
            f"{prefix}.{self.field}", self.reason, [e.moved(prefix) for e in self.also],
            self.kind, self.ctx,
        )


def check_whole(field: str, what: str, value: object,
                error: type[LayerError] = LayerError) -> None:
    """Refuse (as ``error``) a ``value`` that is not a whole number, a Python or NumPy int:
    a float, a bool, a tuple or a string gave a TypeError deep in the arithmetic, naming no
    field, or (a bool) was taken for 0 or 1.

    >>> check_whole("start", "step", 3.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engine.errors.LayerError: start: step is 3.0 (float); it must be a whole number (an int)
    """
    if type(value) is int:  # the usual case, before the ABC's check (a request makes dozens)
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise error(field, f"{what} is {value!r} ({type(value).__name__}); it must be a whole "
                    "number (an int)")


def refuse_all(*checks: Callable[[], object]) -> None:
    """Run every check and refuse at once what any of them refused, in their order: a client
    that fixes the first refusal is not then told of a second it could have fixed with it.

    >>> def stride() -> None:
    ...     raise LayerError("stride", "too big")
    >>> def padding() -> None:
    ...     raise LayerError.of([LayerError("padding.0", "< 0"), LayerError("padding.1", "< 0")])
    >>> try:
    ...     refuse_all(stride, lambda: None, padding)
    ... except LayerError as error:
    ...     print(error.field, [e.field for e in error.also])
    stride ['padding.0', 'padding.1']
    """
    refused: list[LayerError] = []
    for check in checks:
        try:
            check()
        except LayerError as error:
            refused.extend(error.each())
    if refused:
        raise LayerError.of(refused)
