"""The words the page leads a budget refusal with, worked out from the API's figures (a
refusal's ``ctx``, a geometry answer's ``over_limit``): the tests compare the page with these."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# what each budget holds a request to, as the page says it (`who`: the server)
BUDGETS = {
    "CONVSCOPE_MAX_ELEMENTS": "the numbers {who} holds at once",
    "CONVSCOPE_MAX_WORK": "the work {who} does for one request",
    "CONVSCOPE_MAX_IMAGE_PIXELS": "the pixels {who} reads from one image",
    "CONVSCOPE_MAX_UPLOAD_BYTES": "the bytes {who} takes in one upload",
    "CONVSCOPE_MAX_BODY_BYTES": "the bytes {who} takes in one request",
}


def over_budget(refusal: Mapping[str, Any], who: str = "this server") -> str:
    """How far over its budget ``refusal`` (with ``needed``, ``limit`` and ``setting``) is:
    "17 times the numbers this server holds at once"; one decimal under ten times."""
    times = refusal["needed"] / refusal["limit"]
    assert times >= 1.05, refusal  # "just over" is not among the tests' layers
    how = f"{times:.1f} times" if times < 9.95 else f"{round(times):,} times"
    return f"{how} {BUDGETS[refusal['setting']].format(who=who)}"
