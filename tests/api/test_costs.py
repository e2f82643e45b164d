"""The work budget (app/costs.py): each endpoint is priced by its own cost before it runs.

A request whose estimate equals the budget is answered; the same request under a budget one
unit smaller is refused with a 422 that names CONVSCOPE_MAX_WORK, the estimate and the budget.
The budgets here are small overrides, so the requests stay tiny and the tests fast. Whether
the estimates track measured time is benchmarks/bench_costs.py's job, not a test's.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from typing import Any

import numpy as np
import pytest
from api_helpers import square
from fastapi.testclient import TestClient
from PIL import Image

from app import answers, convert, costs, images
from app.config import Settings
from app.schemas import ArrayIn, LayerSpec
from engine.geometry import GeometryError, LayerShape, applied, resolve

SMALL = square(12, 3, 4, 3, padding=1)
UPSTREAM = [[[0.5, -1.0, 2.0, 0.0]] * 12] * 12  # SMALL's (12, 12, 4) output


def estimate(cost: costs.Cost, body: dict[str, Any]) -> int:
    """The total the server's cost gives the layer spec of ``body``."""
    spec = LayerSpec.model_validate(body.get("layer", body))
    g = convert.geometry(spec, Settings())
    return sum(item.work for item in cost(g, spec))


# (name, path, body, the cost the endpoint must be priced with)
PRICED: list[tuple[str, str, dict[str, Any], costs.Cost]] = [
    ("forward json", "/api/forward", SMALL, costs.forward_cost("json")),
    ("forward compact", "/api/forward?encoding=compact", SMALL, costs.forward_cost("compact")),
    ("steps every 3 with upstream", "/api/steps",
     {"layer": SMALL, "start": 5, "count": 40, "every": 3, "order": "depth_column",
      "upstream": {}, "encoding": "compact"},
     costs.steps_cost(5, 40, 3, "depth_column", True, "compact")),
    ("steps with a drawn upstream", "/api/steps",
     {"layer": SMALL, "count": 4, "upstream": {"fill": {"seed": 3}}},
     costs.steps_cost(0, 4, 1, "depth_slice", True, "json", upstream_filled=True)),
    ("steps json", "/api/steps", {"layer": SMALL, "count": 7},
     costs.steps_cost(0, 7, 1, "depth_slice", False, "json")),
    ("steps from a position", "/api/steps",
     {"layer": SMALL, "position": [11, 2, 3], "count": 30, "upstream": {}},
     costs.steps_cost(0, 30, 1, "depth_slice", True, "json", [11, 2, 3])),
    ("steps with upstream values", "/api/steps",
     {"layer": SMALL, "count": 3, "upstream": {"values": UPSTREAM}},
     costs.steps_cost(0, 3, 1, "depth_slice", True, "json",
                      upstream_values=UPSTREAM)),
    ("forward by a fit policy", "/api/forward", {**square(10, 1, 1, 3, stride=2), "fit": "floor"},
     lambda g, spec: [*costs.forward_cost("json")(g, spec),
                      *answers.marking_cost(g, Settings())]),
    ("backward", "/api/backward", {"layer": SMALL}, costs.backward_cost("json")),
    ("backward, dx and db of a ReLU layer", "/api/backward?encoding=compact",
     {"layer": {**SMALL, "activation": "relu"}, "parts": ["dx", "db"],
      "upstream": {"fill": {"seed": 2}}},
     costs.backward_cost("compact", upstream_filled=True, parts=["dx", "db"])),
    ("backward, dw of a local layer", "/api/backward",
     {"layer": {**SMALL, "connectivity": "local"}, "parts": ["dw"]},
     costs.backward_cost("json", parts=["dw"])),
    ("input of a local layer", "/api/input", {**SMALL, "connectivity": "local"},
     lambda g, spec: costs.input_cost(g.shape, spec, "json")),
    ("inverse", "/api/inverse", {"layer": SMALL, "cell": [3, 4]}, costs.inverse_cost),
    # sums that may round: the forward also prices checking those near 0
    ("forward of a normal fill", "/api/forward",
     {**SMALL, "input": {**SMALL["input"], "fill": {"kind": "normal"}}},
     costs.forward_cost("json")),
    ("steps of a ReLU layer of fractions", "/api/steps",
     {"layer": {**SMALL, "activation": "relu", "edits": [
         {"array": "input", "index": [0, 0, 0], "value": 0.1}]}, "count": 5, "upstream": {}},
     costs.steps_cost(0, 5, 1, "depth_slice", True, "json")),
]


@pytest.mark.parametrize(("change", "rounds"), [
    ({}, False),
    ({"input": {"shape": [12, 12, 3], "fill": {"kind": "uniform"}}}, True),
    ({"input": {"shape": [12, 12, 3], "fill": {"kind": "integers", "high": 2**20}}}, True),
    ({"input": {"shape": [12, 12, 3], "fill": {"kind": "ones"}}}, False),
    ({"edits": [{"array": "bias", "index": [0], "value": 0.5}]}, True),
    ({"edits": [{"array": "bias", "index": [0], "value": 5}]}, False),
    ({"input": {"shape": [12, 12, 3], "values": np.ones((12, 12, 3)).tolist()}}, True),
])
def test_a_forward_prices_the_rounding_check_where_its_sums_may_round(
    change: dict[str, Any], rounds: bool
) -> None:
    # where every sum is near 0 and its window's values differ, the check reads the windows
    # again and makes a second product (engine/rounding.py): unpriced, a layer of fractions
    # at the budget took twice its price's time (benchmarks/bench_costs.py, "near 0")
    spec = LayerSpec.model_validate({**SMALL, **change})
    g = convert.geometry(spec, Settings())
    items = costs.forward_cost("compact")(g, spec)
    checks = [item for item in items if "rounding check" in item.what]
    assert costs.may_round(spec) == rounds
    assert len(checks) == int(rounds)
    if rounds:
        product = next(item for item in items if "multiply-adds" in item.what)
        assert checks[0].work > product.work


@pytest.mark.parametrize(("name", "path", "body", "cost"), PRICED, ids=[p[0] for p in PRICED])
def test_a_request_at_the_budget_is_answered_and_one_unit_over_is_refused(
    client: TestClient, override_settings: Any, name: str, path: str, body: dict[str, Any],
    cost: costs.Cost,
) -> None:
    work = estimate(cost, body)
    override_settings(max_work=work)
    assert client.post(path, json=body).status_code == 200, name
    override_settings(max_work=work - 1)
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    entry = response.json()["detail"][0]
    assert "CONVSCOPE_MAX_WORK" in entry["msg"]
    assert f"would cost {work:,} units" in entry["msg"]
    assert f"budget of {work - 1:,}" in entry["msg"]
    assert entry["loc"][0] == "body" and len(entry["loc"]) >= 2  # a field, not the body


def test_a_forward_by_a_fit_policy_is_refused_for_its_suggestions_before_the_pass_runs(
    client: TestClient, override_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fit="floor" makes it fit, and its answer's geometry marks each suggestion, resolving
    # its layer: that was priced on its own after the forward had run, so a layer the
    # forward's price let through was refused once the pass was done
    from app.routers import api

    body = {**square(10, 1, 1, 3, stride=2), "fit": "floor"}
    spec = LayerSpec.model_validate(body)
    g = convert.geometry(spec, Settings())
    alone = sum(item.work for item in costs.forward_cost("json")(g, spec))
    marking = sum(item.work for item in answers.marking_cost(g, Settings()))
    assert marking > costs.SUGGESTION_PRICED  # suggestions to mark: the test is not empty
    passes: list[object] = []
    real = api.conv.forward
    monkeypatch.setattr(api.conv, "forward", lambda *a, **k: passes.append(a) or real(*a, **k))
    override_settings(max_work=alone + marking - 1)
    response = client.post("/api/forward", json=body)
    assert response.status_code == 422, response.text
    assert f"would cost {alone + marking:,} units" in response.json()["detail"][0]["msg"]
    assert passes == []
    override_settings(max_work=alone + marking)
    assert client.post("/api/forward", json=body).status_code == 200
    assert len(passes) == 1


@pytest.mark.parametrize("path", ["/api/forward", "/api/geometry"])
def test_a_fit_policys_suggestions_are_priced_once_per_request(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    # the forward priced marking them with its pass, then priced them again while marking
    listed: list[object] = []
    real = convert.suggested_layers
    for module in (convert, answers):
        monkeypatch.setattr(module, "suggested_layers",
                            lambda *a, **k: listed.append(a) or real(*a, **k))
    body = {**square(10, 1, 1, 3, stride=2), "fit": "floor"}
    answer = client.post(path, json=body).json()
    geometry = answer["geometry"] if path == "/api/forward" else answer
    assert len(geometry["suggestions"]) > 0  # suggestions to mark: the test is not empty
    # the layer's own suggestions listed once; a fit-policy suggestion lists those its layer
    # would be told of (app.convert.told_by_policy), another list
    assert listed and len({repr(call) for call in listed}) == len(listed), listed


@pytest.mark.parametrize("path", ["/api/forward", "/api/geometry"])
def test_marking_a_fit_policys_suggestions_is_blamed_on_fit(
    client: TestClient, override_settings: Any, path: str
) -> None:
    # blamed on filters.size, "which a smaller filters.size would cut", of a 1x1 filter
    body = {"input": {"shape": [11, 11, 1]}, "filters": {"count": 1, "size": 1}, "stride": 3,
            "fit": "floor"}
    override_settings(max_work=50_000_000)
    answer = client.post(path, json=body).json()
    # the geometry explains the layer, its suggestions unchecked, and says its forward's
    # refusal in over_limit
    if path == "/api/geometry":
        assert answer["valid"] is True and "was not checked" in answer["notes"][-1]
        entry = {"loc": ["body", *answer["over_limit"]["field"].split(".")],
                 "msg": answer["over_limit"]["message"]}
    else:
        [entry] = answer["detail"]
    assert entry["loc"] == ["body", "fit"]
    assert "suggested layers resolved and priced (the exact fits" in entry["msg"]
    assert "smaller filters.size" not in entry["msg"]


def test_a_local_layers_input_checks_its_weights_before_making_anything_and_marks_nothing(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the input was made, then the geometry resolved under a budget check of its own, and a
    # misfit's suggestions each resolved and priced, then thrown away
    made: list[object] = []
    marked: list[object] = []
    real_input, real_marked = convert.make_input, convert.all_marked
    monkeypatch.setattr(convert, "make_input",
                        lambda *a, **k: made.append(a) or real_input(*a, **k))
    monkeypatch.setattr(convert, "all_marked",
                        lambda *a, **k: marked.append(a) or real_marked(*a, **k))
    local = {**square(10, 1, 1, 3), "connectivity": "local"}  # 8x8 positions
    outside = {**local, "edits": [{"array": "filters", "index": [8, 0, 0, 0, 0, 0],
                                   "value": 1}]}
    response = client.post("/api/input", json=outside)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "edits", 0, "index"]
    assert made == []
    misfit = {**local, "stride": 2}  # (10 - 3)/2 + 1 = 4.5
    answer = client.post("/api/input", json=misfit)
    assert answer.status_code == 200, answer.text
    assert answer.json()["filters"] is None and len(made) == 1
    assert marked == []


def test_the_geometry_answer_is_priced_by_resolving_it(
    client: TestClient, override_settings: Any
) -> None:
    spec = square(10, 1, 1, 3, stride=2)  # a misfit: suggestions are part of the answer
    shape = convert.layer_shape(LayerSpec.model_validate(spec), Settings())
    # resolving it, and then each suggested layer, to price its forward
    with pytest.raises(GeometryError) as misfit:
        resolve(shape)
    trials = [applied(shape, s) for s in misfit.value.suggestions.changes]
    assert len(trials) == 8
    work = sum(item.work for item in costs.suggested_cost(shape, trials))
    assert work > sum(item.work for item in costs.resolve_cost(shape)) + 8 * (
        costs.SUGGESTION_PRICED)
    override_settings(max_work=work)
    checked = client.post("/api/geometry", json=spec).json()
    assert checked["valid"] is False and "not checked" not in " ".join(checked["notes"])
    # a budget too small to check the suggestions still explains the misfit, and says so
    override_settings(max_work=work - 1)
    unchecked = client.post("/api/geometry", json=spec).json()
    assert unchecked["valid"] is False and unchecked["suggestions"]
    assert f"would cost {work:,} units of work" in unchecked["notes"][-1]
    # one that cannot pay for resolving the misfit itself refuses it
    override_settings(max_work=sum(item.work for item in costs.resolve_cost(shape)) - 1)
    response = client.post("/api/geometry", json=spec)
    assert response.status_code == 422
    assert "CONVSCOPE_MAX_WORK" in response.json()["detail"][0]["msg"]


def test_writing_json_is_priced_above_writing_compact() -> None:
    assert estimate(costs.forward_cost("json"), SMALL) > estimate(
        costs.forward_cost("compact"), SMALL
    )


def test_json_prices_each_innermost_list_so_a_depth_three_volume_costs_more() -> None:
    flat = costs.written("x", "x", (1, 1, 4800), "json").work
    deep = costs.written("x", "x", (40, 40, 3), "json").work
    assert deep - flat == (1600 - 1) * costs.JSON_LIST


def test_json_of_a_large_depth_one_volume_is_priced_as_written_in_rows_and_wrapped() -> None:
    # app.encoding.WrappedText: no innermost list of its own, a copy and a replace per number
    flat = costs.written("x", "x", (1, 1, 4096), "json").work
    tall = costs.written("x", "x", (4096, 1, 1), "json").work
    assert tall - flat == 4096 * costs.JSON_WRAPPED - costs.JSON_LIST
    # under WRAPPED_LEAST numbers, orjson's own nested lists: one priced per number
    small = costs.written("x", "x", (100, 1), "json").work
    assert small == 100 * (costs.JSON_NUMBER + costs.JSON_LIST)


def test_explicit_nested_values_are_priced_above_a_fill() -> None:
    h, w, d = SMALL["input"]["shape"]
    values = [[[1.0] * d for _ in range(w)] for _ in range(h)]
    given = {**SMALL, "input": {"shape": [h, w, d], "values": values}}
    difference = estimate(costs.layer_cost, given) - estimate(costs.layer_cost, SMALL)
    assert difference == h * w * d * (costs.PARSED_NUMBER + costs.ELEMENT - costs.FILLED)


def _running_walk_by_hand(g: Any, order: str, start: int, n: int,
                          every: int) -> tuple[int, int, int]:
    """The running sums' walk, step by step: the window columns of positions up to the last
    wanted one of any filter, and each filter's products up to its own last wanted one."""
    positions, k = g.out_height * g.out_width, g.shape.filters
    last: dict[int, int] = {}
    for t in range(start, start + n * every, every):
        f, at = divmod(t, positions) if order == "depth_slice" else (t % k, t // k)
        last[f] = max(last.get(f, -1), at)
    return max(last.values()) + 1, len(last), sum(at + 1 for at in last.values())


def test_a_running_sum_is_priced_by_the_positions_its_filters_read() -> None:
    # AlexNet conv1 (3025 positions, 96 filters)
    g = convert.geometry(LayerSpec.model_validate(square(227, 3, 96, 11, stride=4)),
                         Settings())
    # depth_column: every 96th step stays on filter 0, a position further each; 100 steps
    # read 100 of its positions, one step after every 1,000 of them 1,000 steps a filter
    assert costs._running_walk(g, "depth_column", 0, 100, 96) == (100, 1, 100)
    assert costs._running_walk(g, "depth_column", 0, 1, 96 * 1000) == (1, 1, 1)
    assert costs._running_walk(g, "depth_column", 96 * 999, 1, 1) == (1000, 1, 1000)
    assert costs._running_walk(g, "depth_column", 0, 10, 1) == (1, 10, 10)
    # depth_slice, across two filters: filter 0 to position 3024, filter 1 to 24
    assert costs._running_walk(g, "depth_slice", 3000, 50, 1) == (3025, 2, 3025 + 25)
    # the 96 neurons at position 0 cost the same in either order (depth_slice priced each
    # filter's whole slice, and refused what depth_column answered)
    assert (costs._running_walk(g, "depth_slice", 0, 96, 3025)
            == costs._running_walk(g, "depth_column", 0, 96, 1) == (1, 96, 96))
    rng = np.random.default_rng(9)
    for _ in range(200):
        order: Any = str(rng.choice(["depth_slice", "depth_column"]))
        start, every = int(rng.integers(0, g.steps)), int(rng.integers(1, 7000))
        n = costs.steps_range(g.steps, start, int(rng.integers(1, 40)), every)
        assert (costs._running_walk(g, order, start, n, every)
                == _running_walk_by_hand(g, order, start, n, every)), (order, start, n, every)


def test_upstream_values_cost_a_range_of_steps_what_they_cost_the_backward_pass() -> None:
    # steps priced them as a fill: a 7 MB body of them took 0.45 s at the price of 0.007 s
    spec = LayerSpec.model_validate(SMALL)
    g = convert.geometry(spec, Settings())
    given: ArrayIn = UPSTREAM

    def extra(cost: costs.Cost, filled: costs.Cost) -> int:
        return sum(i.work for i in cost(g, spec)) - sum(i.work for i in filled(g, spec))

    steps = extra(costs.steps_cost(0, 1, 1, "depth_slice", True, "json", upstream_values=given),
                  costs.steps_cost(0, 1, 1, "depth_slice", True, "json"))
    assert steps == extra(costs.backward_cost("json", given), costs.backward_cost("json")) > 0


def test_the_step_count_is_clipped_at_the_end_of_the_trace() -> None:
    assert costs.steps_range(total=100, start=95, count=1000, every=1) == 5
    assert costs.steps_range(total=100, start=0, count=1000, every=7) == 15
    assert costs.steps_range(total=100, start=100, count=1, every=1) == 0


def test_an_upload_is_priced_by_its_declared_pixels_before_it_is_decoded(
    client: TestClient, override_settings: Any
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 20, 30)).save(buffer, "PNG")
    # json: the default encoding of every answer; the PNG's bytes are inflated too
    body = buffer.getvalue()
    work = sum(item.work for item in costs.image_cost("PNG", (300, 200), 256, "json", len(body),
                                                      images.read_layout(body, "PNG")))
    assert work > sum(item.work for item in costs.image_cost("PNG", (300, 200), 256, "json"))
    headers = {"content-type": "image/png"}
    override_settings(max_work=work)
    answer = client.post("/api/images", content=buffer.getvalue(), headers=headers)
    assert answer.status_code == 200 and answer.json()["shape"] == [171, 256, 3]
    override_settings(max_work=work - 1)
    answer = client.post("/api/images", content=buffer.getvalue(), headers=headers)
    assert answer.status_code == 422
    assert "CONVSCOPE_MAX_WORK" in answer.json()["detail"][0]["msg"]


def test_a_range_from_a_position_is_priced_from_that_neurons_step() -> None:
    spec = LayerSpec.model_validate(square(227, 3, 96, 11, stride=4))
    g = convert.geometry(spec, Settings())
    # neuron (54, 54, 0) is filter 0's last position: the running sum walks all 3025 of them
    late = costs.steps_cost(0, 2, 1, "depth_slice", True, "json", [54, 54, 0])(g, spec)
    early = costs.steps_cost(0, 2, 1, "depth_slice", True, "json", [0, 0, 0])(g, spec)
    walked = {i.what: i.elements for i in late}["window columns walked for the running sums"]
    assert walked == 3025 * 363
    # the padding map the steps' masks come from: one cell per padded input cell (227 x 227)
    assert {i.what: i.elements for i in late}["padding map"] == 227 * 227
    assert sum(i.work for i in late) > sum(i.work for i in early)


def test_a_tall_pngs_rows_are_priced_beside_its_pixels() -> None:
    # the decoder works row by row: a 1 x 16,400,000 strip took seconds where a square image
    # of as many pixels took a tenth of one, so its rows are priced too (and it is refused)
    tall, square = (costs.image_cost("PNG", size, 320, "json")
                    for size in ((1, 16_400_000), (4050, 4050)))
    rows = {item.what: item.work for item in tall}
    assert rows["PNG rows decoded (16,400,000)"] == 16_400_000 * costs.PNG_ROW
    assert sum(i.work for i in tall) > 4 * sum(i.work for i in square)
    assert sum(i.work for i in tall) > Settings().max_work


def test_an_element_refusal_counts_elements_and_a_work_refusal_work(client: TestClient) -> None:
    # the element limit's message named "the matrix product's 7,233,608,448 multiply-adds
    # and its 267,911,424 outputs" as the 535,822,848 numbers it would make
    big = client.post("/api/forward", json={"input": {"shape": [2048, 2048, 3]},
                                            "filters": {"count": 64, "size": 3}})
    said = big.json()["detail"][0]["msg"]
    assert "the most, 535,822,848, are the layer's outputs (267,911,424 neurons, two " in said
    assert "multiply-adds" not in said.split("the most")[1]
    dear = client.post("/api/forward", json={"input": {"shape": [128, 128, 64]},
                                             "filters": {"count": 1024, "size": 3},
                                             "padding": 1})
    said = dear.json()["detail"][0]["msg"]
    assert "units of work" in said and "goes to the matrix product's" in said, said


def _product_work(body: dict[str, Any]) -> tuple[int, int]:
    """The forward's matrix-product item and the layer's multiply-adds."""
    spec = LayerSpec.model_validate(body)
    g = convert.geometry(spec, Settings())
    (item,) = [i for i in costs.forward_cost("json")(g, spec) if "multiply-adds" in i.what]
    return item.work, g.counts.multiply_adds


def test_a_one_filter_product_is_priced_by_the_columns_it_reads() -> None:
    # one 65x65 filter is a matrix-vector product: reading its window columns, not its
    # multiply-adds, is its time (priced at one per multiply-add it took no time at all)
    work, madds = _product_work(square(200, 1, 1, 65))
    assert work >= 4 * madds


def test_locally_connected_multiply_adds_are_priced_at_element_wise_speed() -> None:
    # one small product per position, not one GEMM: ten times a GEMM's multiply-add at least
    shared, madds = _product_work(square(40, 8, 16, 3))
    local, _ = _product_work({**square(40, 8, 16, 3), "connectivity": "local"})
    assert local >= 10 * madds > shared


def test_a_misfit_is_priced_for_its_suggestions_resolving() -> None:
    # a misfit resolves under both fit policies and walks each suggestion's layer: more
    # resolving than the same sizes that fit (10 wide at stride 2 against 11 wide)
    def resolving(body: dict[str, Any]) -> tuple[int, int]:
        spec = LayerSpec.model_validate(body)
        shape = convert.layer_shape(spec, Settings())
        (item,) = [i for i in costs.resolve_cost(shape) if "resolving" in i.what]
        return item.work, item.elements

    misfit, cells = resolving(square(4000, 1, 1, 3, stride=2))
    fits, fitting_cells = resolving(square(4001, 1, 1, 3, stride=2))
    walks = sum(i.work for i in costs.resolve_cost(convert.layer_shape(
        LayerSpec.model_validate(square(4000, 1, 1, 3, stride=2)), Settings()))
        if "unread" in i.what)
    assert misfit / cells == 3 * fits / fitting_cells  # two fit policies besides
    assert walks >= misfit  # a dozen suggestions, each walked up to twice as far as the layer


def test_a_filter_wider_than_its_padded_input_is_priced_as_a_misfit() -> None:
    # its formula gives a whole number below 1 (-4093 for taps 4,095 apart on 2 cells), which
    # was priced as a layer that fits: its suggestion search (a padding per cell of the
    # window's span) ran unpriced, 0.2 s a request on the event loop
    wide = LayerShape(2, 2, 1, 1, 2, 2, dilation_h=4095, dilation_w=4095)
    fitting = LayerShape(2, 2, 1, 1, 2, 2)
    searched = [item.what for item in costs.resolve_cost(wide)]
    assert "layers tried for suggestions" in searched
    assert "layers tried for suggestions" not in [i.what for i in costs.resolve_cost(fitting)]


def test_a_padding_search_through_dilation_holes_is_priced_by_its_windows() -> None:
    # taps 4,095 apart on 2 cells: each padding tried checks every window for a tap on the
    # input (0.27 s, priced as 0.002 s of candidates before); 3 cells apart: no holes
    def windows_checked(shape: LayerShape) -> list[tuple[str, int]]:
        return [(i.field, i.work) for i in costs.resolve_cost(shape) if "tap on" in i.what]

    holed = LayerShape(2, 2, 1, 1, 2, 2, dilation_h=4095, dilation_w=4095)
    assert costs._holed_windows(holed) == 2 * 2049 * 2049  # paddings 2047..4095 each side
    plain = LayerShape(4096, 4096, 1, 1, 2, 2, dilation_h=4095, dilation_w=4095, stride_h=3,
                       stride_w=3)
    assert costs._holed_windows(plain) == 0  # an input wider than the holes
    # priced on its own, at the dilation that makes the holes
    assert windows_checked(holed) == [("dilation", 2 * 2049 * 2049 * costs.HOLED_WINDOW)]
    assert windows_checked(plain) == []


def test_a_search_through_dilation_holes_over_the_budget_blames_the_dilation(
    client: TestClient,
) -> None:
    # it blamed filters.size, for "layers tried", though the dilation makes the windows
    spec = {"input": {"shape": [2, 2, 1]}, "filters": {"count": 1, "size": 2}, "dilation": 4095}
    refused = client.post("/api/geometry", json=spec)
    assert refused.status_code == 422
    (error,) = refused.json()["detail"]
    assert error["loc"] == ["body", "dilation"]
    assert error["msg"].endswith("checked for a tap on the input, which a smaller dilation "
                                 "would cut")
    halved = client.post("/api/geometry", json={**spec, "dilation": 2047})
    assert halved.status_code == 200 and halved.json()["valid"] is False


def test_a_pngs_chunks_are_priced_beside_its_pixels(
    client: TestClient, override_settings: Any
) -> None:
    # Pillow reads every chunk in Python: 870,000 empty ones took seconds at a 1x1 image's price
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "PNG")
    plain = buffer.getvalue()
    empty = struct.pack(">I", 0) + b"zzZz" + struct.pack(">I", zlib.crc32(b"zzZz"))
    padded = plain[:33] + empty * 5_000 + plain[33:]
    priced = {item.what: item.work for item in costs.image_cost(
        "PNG", (1, 1), 256, "json", len(padded), images.read_layout(padded, "PNG"))}
    assert priced["PNG chunks read (5,003)"] == 5_003 * costs.PNG_CHUNK
    headers = {"content-type": "image/png"}
    override_settings(max_work=sum(priced.values()) - 1)
    assert client.post("/api/images", content=plain, headers=headers).status_code == 200
    answer = client.post("/api/images", content=padded, headers=headers)
    assert answer.status_code == 422
    assert "PNG chunks read (5,003)" in answer.json()["detail"][0]["msg"]


def test_a_progressive_jpeg_is_priced_by_its_bytes_scans_and_held_blocks(
    client: TestClient, override_settings: Any
) -> None:
    # a progressive JPEG's decoder keeps every block at full resolution and walks them scan
    # by scan: a 6300x6300 one took 0.5 s (its baseline twin 0.09 s), priced as the same
    # pixels; one of its scans repeated 1,000 times, seconds
    pixels = np.random.default_rng(4).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    bodies = []
    for progressive in (False, True):
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", progressive=progressive)
        bodies.append(buffer.getvalue())
    baseline, progressive_ = (
        {item.what: item for item in costs.image_cost(
            "JPEG", (64, 48), 256, "json", len(body), images.read_layout(body, "JPEG"))}
        for body in bodies)
    held = progressive_["JPEG coefficients held (72 blocks)"]
    assert (held.work, held.elements) == (72 * costs.HELD_BLOCK, 72 * 16)
    walked = progressive_["JPEG blocks walked by its scans (10 scans, 384 blocks)"]
    assert walked.work == 384 * costs.SCAN_BLOCK
    said = f"JPEG bytes decoded ({len(bodies[1]):,}, 10 scans)"
    assert progressive_[said].work == len(bodies[1]) * costs.PROGRESSIVE_BYTE
    assert baseline[f"JPEG bytes decoded ({len(bodies[0]):,}, 1 scan)"].work == (
        len(bodies[0]) * costs.JPEG_BYTE)
    headers = {"content-type": "image/jpeg"}
    override_settings(max_work=sum(item.work for item in baseline.values()))
    assert client.post("/api/images", content=bodies[0], headers=headers).status_code == 200
    answer = client.post("/api/images", content=bodies[1], headers=headers)
    assert answer.status_code == 422
    assert "a progressive JPEG (10 scans)" in answer.json()["detail"][0]["msg"]


def test_a_refusal_dearest_for_reading_nested_values_says_to_send_them_compact(
    client: TestClient, override_settings: Any
) -> None:
    # nested input values: reading them is most of the price, and the refusal said nothing
    # of compact arrays, which are read for a thirtieth of it
    values = [[[1.0]] * 300] * 300
    body = {"input": {"values": values}, "filters": {"count": 1, "size": 1}}
    spec = LayerSpec.model_validate(body)
    read = costs.PARSED_NUMBER * 90_000
    items = costs.forward_cost("json")(convert.geometry(spec, Settings()), spec)
    work = sum(item.work for item in items)
    dearest = max(items, key=lambda item: item.work)
    assert (dearest.what, dearest.work) == (costs.NESTED_READ, read)
    override_settings(max_work=work - 1)
    [entry] = client.post("/api/forward", json=body).json()["detail"]
    assert entry["loc"] == ["body", "input", "values"]
    said = f"the most, {read:,}, goes to values read from the request (nested lists)"
    assert said in entry["msg"]
    assert 'sent compact ({"dtype", "shape", "data"}' in entry["msg"]
    assert "more than its multiply-adds" in entry["msg"]  # the units are not multiply-adds
    # sent compact, the same values pass the same budget
    compact = {"dtype": "float64", "shape": [300, 300, 1],
               "data": base64.b64encode(np.ones(90_000).tobytes()).decode()}
    answer = client.post("/api/forward", json={**body, "input": {"values": compact}})
    assert answer.status_code == 200, answer.text
    assert spec.input.values is not None


def test_the_inputs_filter_values_are_priced_by_how_they_came(
    client: TestClient, override_settings: Any
) -> None:
    # /api/input read compact filter values at the nested price (4,400 a number) and refused
    # a body /api/forward, which does more, answered
    weights = np.ones((1, 50, 50, 10))
    compact = {"dtype": "float64", "shape": list(weights.shape),
               "data": base64.b64encode(weights.tobytes()).decode()}
    body = {"input": {"shape": [50, 50, 10]}, "filters": {"values": compact}}
    override_settings(max_work=100_000_000)
    assert client.post("/api/forward?encoding=compact", json=body).status_code == 200
    answer = client.post("/api/input?encoding=compact", json=body)
    assert answer.status_code == 200, answer.text
    # nested, the bias too: each at its own field, with the advice to send them compact
    spec = LayerSpec.model_validate({"input": {"shape": [5, 5, 1]},
                                     "filters": {"values": [[[[1.0]]]] * 3,
                                                 "bias": [0.5, 0.5, 0.5]}})
    items = costs.input_cost(convert.layer_shape(spec, Settings()), spec, "json", (3, 3))
    read = [(i.field, i.what, i.work) for i in items if "read" in i.what]
    assert read == [("filters.values", costs.NESTED_READ, 3 * costs.PARSED_NUMBER),
                    ("filters.bias", costs.NESTED_READ, 3 * costs.PARSED_NUMBER)]


@pytest.mark.parametrize("connectivity", ["shared", "local"])
def test_a_backward_is_priced_for_the_gradients_it_computes(connectivity: str) -> None:
    spec = LayerSpec.model_validate({**SMALL, "connectivity": connectivity})
    g = convert.geometry(spec, Settings())

    def price(*parts: str, activation: str = "none") -> int:
        layer = spec.model_copy(update={"activation": activation})
        return sum(i.work for i in costs.backward_cost("json", parts=parts)(g, layer))  # type: ignore[arg-type]

    whole = price("dx", "dw", "db")
    # each product is priced with its gradient alone, and the parts add up to the whole
    assert price() < price("db") < price("dx") < whole
    assert price("db") < price("dw") < whole
    assert price("dx") + price("dw") + price("db") - 2 * price() == whole
    # a ReLU's gate is a forward kernel: priced even when only db is asked for
    kernel = sum(i.work for i in costs._kernel_items(g, spec))
    assert price("db", activation="relu") - price("db") == kernel > 0


def test_a_constant_upstream_is_priced_as_made_and_a_drawn_one_as_filled() -> None:
    # ones (left out, {} or a fill of ones) were priced as a seeded fill: 500 units a number
    # for what is one np.ones, and a backward's db alone was refused where it takes 0.2 s
    spec = LayerSpec.model_validate(SMALL)
    g = convert.geometry(spec, Settings())

    def price(cost: costs.Cost) -> int:
        return sum(i.work for i in cost(g, spec))

    neurons = g.counts.neurons
    drawn = price(costs.backward_cost("compact", upstream_filled=True, parts=["db"]))
    ones = price(costs.backward_cost("compact", parts=["db"]))
    answer = costs.written("", "", g.output_shape, "compact").work  # the drawn one comes back
    assert drawn - ones == neurons * (costs.FILLED - costs.ELEMENT) + answer
    steps = [price(costs.steps_cost(0, 3, 1, "depth_slice", True, "json", upstream_filled=f))
             for f in (True, False)]
    assert steps[0] - steps[1] == neurons * (costs.FILLED - costs.ELEMENT)


def test_nested_values_over_the_budget_are_told_both_ways_to_send_less(
    client: TestClient, override_settings: Any
) -> None:
    # the dearest part its nested values read, the message said "asked for compact the
    # request would cost ..." without saying how to ask (the input sent compact is not it)
    spec = {"input": {"values": np.ones((70, 70, 1)).tolist()},
            "filters": {"count": 4, "size": 1}, "activation": "relu"}
    parsed = LayerSpec.model_validate(spec)
    items = costs.forward_cost("json")(convert.geometry(parsed, Settings()), parsed)
    assert max(items, key=lambda i: i.work).what == costs.NESTED_READ
    compact = sum(i.compact_work if i.compact_work is not None else i.work for i in items)
    override_settings(max_work=compact + 1000)
    [entry] = client.post("/api/forward", json=spec).json()["detail"]
    assert entry["msg"].endswith(
        f"; asked for compact (?encoding=compact) the request would cost {compact:,}, within it")
    assert client.post("/api/forward?encoding=compact", json=spec).status_code == 200


def test_a_backward_over_the_budget_by_a_gradient_says_parts_would_skip_it(
    client: TestClient, override_settings: Any
) -> None:
    # big enough for its weight gradients (one filter a neuron, in JSON) to be the dearest
    local = {**square(32, 3, 8, 3, padding=1), "connectivity": "local"}
    body = {"layer": local}
    override_settings(max_work=estimate(costs.backward_cost("json"), body) - 1)
    [entry] = client.post("/api/backward", json=body).json()["detail"]
    assert "the most" in entry["msg"] and "weight gradient" in entry["msg"]
    assert '; "parts": ["dx", "db"] skips it (the dw gradient); asked for compact the request ' \
        "would cost" in entry["msg"]
    # ...and what it says is so: without dw, or compact, the request is answered
    assert client.post("/api/backward", json={**body, "parts": ["dx", "db"]}).status_code == 200
    assert client.post("/api/backward?encoding=compact", json=body).status_code == 200
    # what it says is what was asked for, less that gradient; nothing, when it is all
    asked = {**body, "parts": ["dw", "db"]}
    override_settings(max_work=estimate(costs.backward_cost("json", parts=["dw", "db"]), body) - 1)
    [entry] = client.post("/api/backward", json=asked).json()["detail"]
    assert '; "parts": ["db"] skips it (the dw gradient);' in entry["msg"]
    override_settings(max_work=estimate(costs.backward_cost("json", parts=["dw"]), body) - 1)
    [entry] = client.post("/api/backward", json={**body, "parts": ["dw"]}).json()["detail"]
    assert "weight gradient" in entry["msg"] and '"parts"' not in entry["msg"]
    # a forward over the budget has no gradient to leave out
    override_settings(max_work=estimate(costs.forward_cost("json"), local) - 1)
    [entry] = client.post("/api/forward", json=local).json()["detail"]
    assert "parts" not in entry["msg"]


def test_marking_suggestions_within_the_budget_is_checked_as_work_that_runs(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # deciding whether to mark them with budget_passed alone took the marking out of
    # check_budget: it was not moved off the event loop when heavy, and bench_costs saw a
    # misfit's geometry priced at a third of its work
    checked: list[int] = []

    def recording(real: Any) -> Any:
        return lambda items, *a, **k: checked.append(sum(i.work for i in items)) or real(
            items, *a, **k)

    monkeypatch.setattr(convert, "check_budget", recording(convert.check_budget))
    monkeypatch.setattr(answers, "check_budget", recording(answers.check_budget))
    spec = square(10, 1, 1, 3, stride=2)
    shape = convert.layer_shape(LayerSpec.model_validate(spec), Settings())
    with pytest.raises(GeometryError) as misfit:
        resolve(shape)
    trials = [applied(shape, s) for s in misfit.value.suggestions.changes]
    marking = sum(item.work for item in costs.suggested_cost(shape, trials))
    assert client.post("/api/geometry", json=spec).json()["valid"] is False
    assert marking in checked, (marking, checked)
    checked.clear()
    floor = {**spec, "fit": "floor"}
    g = convert.geometry(LayerSpec.model_validate(floor), Settings())
    policy = sum(item.work for item in [*costs.resolve_cost(g.shape),
                                        *answers.marking_cost(g, Settings())])
    assert client.post("/api/geometry", json=floor).json()["valid"] is True
    assert policy in checked, (policy, checked)
