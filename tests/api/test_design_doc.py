"""docs/design.md is the contract: its field lists are the OpenAPI document's, and the
endpoint table names every path the API serves."""

from __future__ import annotations

import re
from pathlib import Path

from app.main import app

DESIGN = Path(__file__).resolve().parents[2] / "docs" / "design.md"
ROW = re.compile(r"^\| `(\w+)` \| ([\w, ]+) \|$")


def documented_fields() -> dict[str, list[str]]:
    text = DESIGN.read_text()
    table = text.split("<!-- fields -->", 1)[1].split("<!-- /fields -->", 1)[0]
    found = {}
    for line in table.splitlines():
        match = ROW.match(line.strip())
        if match:
            found[match.group(1)] = [name.strip() for name in match.group(2).split(",")]
    return found


def test_every_schema_lists_the_fields_the_api_sends_in_order() -> None:
    schemas = app.openapi()["components"]["schemas"]
    sent = {name: list(schema.get("properties", {})) for name, schema in schemas.items()}
    assert documented_fields() == sent


def test_the_endpoint_table_names_every_api_path() -> None:
    text = DESIGN.read_text()
    table = text.split("| endpoint | body | answer |", 1)[1].split("\n\n", 1)[0]
    documented = set(re.findall(r"`(?:GET|POST) (/api/[^`?\s]*)", table))
    documented |= {f"/api/{rest}" for rest in re.findall(r"`GET /api/([\w/{}-]+)`", table)}
    served = {path for path in app.openapi()["paths"] if path.startswith("/api/")}
    assert served <= documented, served - documented


def test_the_readmes_configuration_table_names_every_setting_with_its_default() -> None:
    from app.config import Settings

    readme = DESIGN.parents[1] / "README.md"
    rows = re.findall(r"^\| `CONVSCOPE_(\w+)` \| ([^|]+) \|", readme.read_text(), re.MULTILINE)
    documented = {name.lower(): default.strip() for name, default in rows}
    fields = Settings.model_fields
    assert set(fields) <= set(documented), set(fields) - set(documented)  # MAX_EDITS was not
    assert set(documented) - set(fields) == {"workers"}  # the CLI's own (convscope serve)
    for name, field in fields.items():
        is_number = isinstance(field.default, int) and not isinstance(field.default, bool)
        if is_number:  # the table's number leads its default
            assert documented[name].split()[0] == str(field.default), name



def test_the_readmes_configuration_names_the_status_of_every_refusal_naming_a_setting() -> None:
    # "a refusal (413 for bodies, 422 for everything else) names the variable", but a body
    # that stops arriving is a 408 (CONVSCOPE_BODY_SECONDS) and a full waiting line a 503
    # (CONVSCOPE_WAITING_REQUESTS)
    import anyio

    from app.errors import BodyLimit, Limit, Refusal
    from app.routing import HeavyWork

    async def busy() -> Refusal:
        heavy = HeavyWork(at_once=1, waiting=0)
        await heavy.limiter.acquire()  # the one turn taken, no room to wait
        try:
            await heavy.run(lambda: None)
        except Refusal as refusal:
            return refusal
        raise AssertionError("not refused")

    body = Limit(8, "CONVSCOPE_MAX_BODY_BYTES")
    refusals = [body.refusal(), BodyLimit(app, body).late(), anyio.run(busy)]
    readme = (DESIGN.parents[1] / "README.md").read_text()
    paragraph = readme.split("read once when the server starts.", 1)[1].split(":\n", 1)[0]
    sentence = " ".join(paragraph.split())
    for refusal in refusals:
        assert "CONVSCOPE_" in refusal.entry()["msg"]
        assert str(refusal.status_code) in sentence, (refusal.status_code, sentence)
    assert "422 for everything else" in sentence
