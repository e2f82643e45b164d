"""Each endpoint's answer, checked against loops written here (not against the engine)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from api_helpers import compact, compact_to_array, naive_conv, square
from fastapi.testclient import TestClient

from app.cli import package_version
from engine.presets import PRESETS


def test_health_reports_ok_and_the_installed_version(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok", "version": package_version()}


def test_health_answers_a_head_probe_as_load_balancers_send_it(client: TestClient) -> None:
    answer = client.head("/api/health")  # was 405 (Allow: GET)
    assert (answer.status_code, answer.headers["content-type"]) == (200, "application/json")
    assert answer.content == b""


@pytest.mark.parametrize("path", [
    "/api/presets", "/api/presets/cs231n-demo", "/api/images", "/api/images/vertical-edge",
    "/api/filter-banks", "/api/filter-banks/sobel", "/", "/docs", "/openapi.json",
])
def test_every_get_route_answers_head_with_the_gets_headers(client: TestClient, path: str) -> None:
    got, head = client.get(path), client.head(path)  # HEAD was 405 but on /api/health
    assert (head.status_code, got.status_code) == (200, 200)
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]


def test_head_is_not_an_operation_of_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert all("head" not in operations for operations in paths.values())
    assert "get" in paths["/api/presets"]


def test_health_does_not_read_the_installed_metadata_per_request(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = package_version()

    def no_reading(name: str) -> str:
        raise AssertionError("the version was read again")

    monkeypatch.setattr("app.cli.version", no_reading)
    for _ in range(3):
        assert client.get("/api/health").json() == {"status": "ok", "version": expected}
    assert package_version() == expected


def test_presets_list_every_preset_with_a_layer_spec_the_api_accepts(client: TestClient) -> None:
    answer = client.get("/api/presets").json()
    assert [p["name"] for p in answer] == list(PRESETS)
    for preset in answer:
        response = client.post("/api/geometry", json=preset["layer"])
        assert response.status_code == 200, (preset["name"], response.text)


def test_a_server_with_smaller_limits_lists_the_presets_they_hold_and_says_why_not_the_rest(
    client: TestClient, override_settings: Any
) -> None:
    # under max_side 100 it listed AlexNet's 227x227 input, which the same server's schema
    # bounds and every endpoint refused
    override_settings(max_side=100, max_filters=40)
    listed = [p["name"] for p in client.get("/api/presets").json()]
    assert listed == [name for name in PRESETS if name not in ("alexnet-conv1", "alexnet-224")]
    bounds = client.get("/openapi.json").json()["components"]["schemas"]["LayerSpec"]
    assert bounds  # the document the listed specs are validated against below
    for name in listed:
        layer = client.get(f"/api/presets/{name}").json()["layer"]
        assert client.post("/api/geometry", json=layer).status_code == 200, name
    response = client.get("/api/presets/alexnet-conv1")
    assert response.status_code == 422
    [entry] = response.json()["detail"]
    assert entry["loc"] == ["path", "name"] and entry["type"] == "over_limit"
    assert entry["msg"] == (
        "alexnet-conv1 is over this server's limits, so it is not published here: "
        "the input's height is 227, over this server's limit of 100 (CONVSCOPE_MAX_SIDE); the "
        "input's width is 227, over this server's limit of 100 (CONVSCOPE_MAX_SIDE); the number "
        "of filters is 96, over this server's limit of 40 (CONVSCOPE_MAX_FILTERS)")
    # its name in a layer is refused for the same sizes
    refused = client.post("/api/geometry", json={"preset": "alexnet-conv1"})
    assert refused.status_code == 422
    assert {e["type"] for e in refused.json()["detail"]} == {"over_limit"}


def test_preset_alexnet_round_trips_to_fifty_five(client: TestClient) -> None:
    preset = client.get("/api/presets/alexnet-conv1").json()
    assert preset["layer"]["input"]["shape"] == [227, 227, 3]
    answer = client.post("/api/geometry", json=preset["layer"]).json()
    assert answer["output_shape"] == [55, 55, 96]


def test_unknown_preset_is_404_naming_the_known_ones(client: TestClient) -> None:
    response = client.get("/api/presets/lenet")
    assert response.status_code == 404
    (entry,) = response.json()["detail"]
    assert entry["loc"] == ["path", "name"]
    assert "'lenet'" in entry["msg"]
    for name in PRESETS:
        assert name in entry["msg"]


def test_forward_matches_the_notes_loops_with_padding_and_relu(client: TestClient) -> None:
    spec = square(5, 3, 2, 3, stride=2, padding=1, activation="relu")
    answer = client.post("/api/forward", json=spec).json()
    xp, w, b = (np.array(answer[k]) for k in ("padded_input", "filters", "bias"))
    assert xp.shape == (7, 7, 3)
    assert np.all(xp[0] == 0) and np.all(xp[:, -1] == 0)  # the zero border
    expected = naive_conv(xp, w, b, stride=2)
    np.testing.assert_allclose(answer["output_pre"], expected)
    np.testing.assert_allclose(answer["output"], np.maximum(expected, 0))
    assert answer["geometry"]["output_shape"] == [3, 3, 2]


def test_forward_without_activation_sends_output_pre_as_null(client: TestClient) -> None:
    answer = client.post("/api/forward", json=square(5, 1, 1, 3)).json()
    assert answer["output_pre"] is None
    assert np.array(answer["output"]).shape == (3, 3, 1)


def test_forward_uses_explicit_values_given_as_nested_lists(client: TestClient) -> None:
    x = np.arange(16.0).reshape(4, 4, 1)
    w = np.array([[[[1.0], [0.0]], [[0.0], [-1.0]]]])  # (1, 2, 2, 1): x[i,j] - x[i+1,j+1]
    spec = square(4, 1, 1, 2, stride=2)
    spec["input"]["values"] = x.tolist()
    spec["filters"]["values"] = w.tolist()
    spec["filters"]["bias"] = [0.5]
    answer = client.post("/api/forward", json=spec).json()
    # each output is x[i,j] - x[i+1,j+1] + 0.5 = -5 + 0.5 on this ramp
    assert answer["output"] == [[[-4.5], [-4.5]], [[-4.5], [-4.5]]]


def test_compact_request_values_give_the_same_answer_as_nested_lists(client: TestClient) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 6, 2))
    nested = square(6, 2, 2, 3)
    nested["input"]["values"] = x.tolist()
    packed = square(6, 2, 2, 3)
    packed["input"]["values"] = compact(x, "float64")
    a = client.post("/api/forward", json=nested).json()
    b = client.post("/api/forward", json=packed).json()
    assert a["output"] == b["output"]
    assert a["padded_input"] == x.tolist()


def test_compact_answer_decodes_to_the_json_answer(client: TestClient) -> None:
    spec = square(7, 3, 4, 3, stride=2, padding=1, activation="relu")
    as_json = client.post("/api/forward?encoding=json", json=spec).json()
    as_compact = client.post("/api/forward?encoding=compact", json=spec).json()
    for key in ("padded_input", "filters", "bias", "output_pre", "output"):
        packed = as_compact[key]
        assert packed["dtype"] == "float32"
        np.testing.assert_array_equal(compact_to_array(packed), np.array(as_json[key]))


@pytest.mark.parametrize("spec", [
    square(24, 16, 16, 3, padding=1),  # deep 3x3: the server's Winograd kernel
    square(227, 3, 96, 11, stride=4),  # AlexNet conv1: Winograd along the width
], ids=["deep-3x3", "alexnet-conv1"])
def test_a_compact_answer_is_the_json_answer_rounded_to_float32(
    client: TestClient, spec: dict[str, Any]
) -> None:
    # Measured values (normal fills): a float32 pass through Winograd's transforms kept about
    # five digits (2e-5 off on AlexNet's outputs), where rounding float64 results keeps seven.
    for part, seed in (("input", 1), ("filters", 2)):
        spec[part]["fill"] = {"kind": "normal", "seed": seed}
    as_json = client.post("/api/forward", json=spec).json()
    as_compact = client.post("/api/forward?encoding=compact", json=spec).json()
    expected = np.array(as_json["output"]).astype(np.float32)
    np.testing.assert_array_equal(compact_to_array(as_compact["output"]), expected)


def test_the_same_spec_twice_gives_identical_bytes(client: TestClient) -> None:
    spec = square(9, 3, 2, 3, stride=2, padding=1)
    spec["input"]["fill"] = {"kind": "normal", "seed": 11}
    for path in ("/api/forward", "/api/forward?encoding=compact", "/api/geometry"):
        assert client.post(path, json=spec).content == client.post(path, json=spec).content
    steps = {"layer": spec, "start": 3, "count": 7, "upstream": {}}
    assert client.post("/api/steps", json=steps).content == client.post(
        "/api/steps", json=steps
    ).content
    # ... and a different seed really changes the answer
    other = {**spec, "input": {**spec["input"], "fill": {"kind": "normal", "seed": 12}}}
    assert client.post("/api/forward", json=other).content != client.post(
        "/api/forward", json=spec
    ).content


def test_steps_in_depth_column_order_visit_every_filter_at_a_position_first(
    client: TestClient,
) -> None:
    spec = square(5, 1, 3, 3)  # output 3x3x3
    answer = client.post(
        "/api/steps", json={"layer": spec, "start": 2, "count": 4, "order": "depth_column"}
    ).json()
    assert answer["total"] == 27
    assert [(s["i"], s["j"], s["d"]) for s in answer["steps"]] == [
        (0, 0, 2), (0, 1, 0), (0, 1, 1), (0, 1, 2),
    ]


def test_steps_range_is_clipped_at_the_end_of_the_trace(client: TestClient) -> None:
    answer = client.post(
        "/api/steps", json={"layer": square(5, 1, 1, 3), "start": 7, "count": 1000}
    ).json()
    assert [s["t"] for s in answer["steps"]] == [7, 8]


def test_steps_with_upstream_carry_each_contribution_and_the_running_sum(
    client: TestClient,
) -> None:
    spec = square(6, 2, 2, 3, activation="relu")  # output 4x4x2: 16 steps per filter
    up = np.random.default_rng(5).integers(-2, 3, size=(4, 4, 2)).astype(float)
    forward = client.post("/api/forward", json=spec).json()
    xp, pre = np.array(forward["padded_input"]), np.array(forward["output_pre"])
    # Start mid-filter-0 so the range's first running sum must include steps before it.
    body = {"layer": spec, "start": 10, "count": 12, "upstream": {"values": up.tolist()}}
    answer = client.post("/api/steps", json=body)
    assert answer.status_code == 200, answer.text
    for step in answer.json()["steps"]:
        i, j, d = step["i"], step["j"], step["d"]
        gate = float(pre[i, j, d] > 0)  # ReLU passes gradient only where pre > 0
        own = up[i, j, d] * gate * xp[i : i + 3, j : j + 3, :]
        np.testing.assert_allclose(step["weight_gradient"], own)
        running = np.zeros((3, 3, 2))
        bias_running = 0.0
        for a in range(4):
            for b in range(4):
                if (a, b) <= (i, j):  # row-major positions up to this step's
                    running += up[a, b, d] * (pre[a, b, d] > 0) * xp[a : a + 3, b : b + 3, :]
                    bias_running += up[a, b, d] * (pre[a, b, d] > 0)
        np.testing.assert_allclose(step["weight_gradient_running"], running)
        assert step["bias_gradient_running"] == pytest.approx(bias_running)


def test_steps_without_upstream_carry_no_gradients(client: TestClient) -> None:
    answer = client.post("/api/steps", json={"layer": square(5, 1, 1, 3), "count": 1}).json()
    assert answer["steps"][0]["weight_gradient"] is None
    assert answer["steps"][0]["bias_gradient_running"] is None


def test_steps_compact_encoding_decodes_to_the_json_step(client: TestClient) -> None:
    body = {"layer": square(5, 2, 1, 3, padding=1), "start": 0, "count": 1}
    as_json = client.post("/api/steps", json=body).json()["steps"][0]
    as_compact = client.post("/api/steps", json={**body, "encoding": "compact"}).json()["steps"][0]
    for key in ("window", "weights", "products", "channel_sums"):
        np.testing.assert_array_equal(compact_to_array(as_compact[key]), np.array(as_json[key]))
    # Step 0 of a padding-1 layer: its top row and left column are padding.
    assert as_json["padding_mask"][0] == [True, True, True]
    assert [row[0] for row in as_json["padding_mask"]] == [True, True, True]


def test_inverse_lists_exactly_the_windows_that_hold_the_cell(client: TestClient) -> None:
    spec = square(7, 1, 2, 3, stride=2, padding=1)  # padded 9, output 4x4
    answer = client.post("/api/inverse", json={"layer": spec, "cell": [2, 3]}).json()
    found = {(t["i"], t["j"], t["tap_row"], t["tap_col"]) for t in answer["taps"]}
    expected = set()
    for i in range(4):
        for j in range(4):
            r, c = 2 + 1 - 2 * i, 3 + 1 - 2 * j  # the cell in window (i, j)'s coordinates
            if 0 <= r < 3 and 0 <= c < 3:
                expected.add((i, j, r, c))
    assert found == expected
    assert answer["filters"] == 2
    assert answer["covered"] is True


def test_inverse_says_whether_an_unread_cell_is_in_a_dilations_gap_or_beyond_every_window(
    client: TestClient,
) -> None:
    # 8x8, 2x2 taps two apart, stride 2 (fit floor): windows span cells 0-2, 2-4 and 4-6 of
    # each axis and read cells 0, 2, 4 and 6; cells 1, 3 and 5 lie in gaps, 7 in no window
    spec = {**square(8, 1, 1, 2, stride=2), "dilation": 2, "fit": "floor"}

    def inverse(cell: list[int]) -> dict[str, Any]:
        answer: dict[str, Any] = client.post("/api/inverse",
                                             json={"layer": spec, "cell": cell}).json()
        return answer

    assert {k: inverse([3, 5])[k] for k in ("taps", "covered")} == {"taps": [], "covered": True}
    assert {k: inverse([3, 7])[k] for k in ("taps", "covered")} == {"taps": [], "covered": False}
    assert inverse([2, 6])["covered"] is True and len(inverse([2, 6])["taps"]) == 2


def test_inverse_of_a_cell_outside_the_input_is_422_naming_cell(client: TestClient) -> None:
    response = client.post("/api/inverse", json={"layer": square(5, 1, 1, 3), "cell": [5, 0]})
    assert response.status_code == 422
    [entry] = response.json()["detail"]
    assert entry["loc"] == ["body", "cell", 0]  # its row, as a position names its axis
    assert entry["msg"] == ("row = 5 is out of range: the input is 5x5, so row runs from 0 "
                            "to 4")
    both = client.post("/api/inverse", json={"layer": square(5, 1, 1, 3), "cell": [5, 7]})
    assert [e["loc"] for e in both.json()["detail"]] == [["body", "cell", 0],
                                                         ["body", "cell", 1]]


def test_backward_matches_finite_differences_of_the_forward_answer(client: TestClient) -> None:
    spec = square(5, 2, 2, 3, stride=2, padding=1)
    up = np.random.default_rng(1).normal(size=(3, 3, 2))
    answer = client.post(
        "/api/backward", json={"layer": spec, "upstream": {"values": up.tolist()}}
    ).json()
    forward = client.post("/api/forward", json=spec).json()
    x = np.array(forward["padded_input"])[1:-1, 1:-1]
    w, b = np.array(forward["filters"]), np.array(forward["bias"])

    def loss(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> float:
        return float(np.sum(naive_conv(np.pad(x, ((1, 1), (1, 1), (0, 0))), w, b, 2) * up))

    # The layer is linear, so a unit step is an exact derivative.
    for index in [(0, 0, 0), (2, 3, 1), (4, 4, 0)]:
        bumped = x.copy()
        bumped[index] += 1
        assert np.isclose(answer["dx"][index[0]][index[1]][index[2]],
                          loss(bumped, w, b) - loss(x, w, b))
    bumped_w = w.copy()
    bumped_w[1, 2, 0, 1] += 1
    assert np.isclose(answer["dw"][1][2][0][1], loss(x, bumped_w, b) - loss(x, w, b))
    np.testing.assert_allclose(answer["db"], up.sum(axis=(0, 1)))


def test_backward_compact_encoding_and_default_upstream_fill(client: TestClient) -> None:
    body = {"layer": square(4, 1, 1, 2), "upstream": {"fill": {"kind": "ones"}}}
    answer = client.post("/api/backward?encoding=compact", json=body).json()
    # With upstream all ones, db is the number of positions: 3*3.
    np.testing.assert_array_equal(compact_to_array(answer["db"]), [9.0])


@pytest.mark.parametrize("connectivity", ["shared", "local"])
@pytest.mark.parametrize("parts", [["dx"], ["dw"], ["db"], ["db", "dx"]])
def test_backward_answers_the_parts_asked_for_as_the_whole_pass_has_them(
    client: TestClient, parts: list[str], connectivity: str
) -> None:
    layer = {**square(6, 2, 3, 3, stride=1, padding=1), "connectivity": connectivity,
             "activation": "relu"}
    upstream = {"fill": {"seed": 4}}
    whole = client.post("/api/backward?encoding=compact",
                        json={"layer": layer, "upstream": upstream}).json()
    some = client.post("/api/backward?encoding=compact",
                       json={"layer": layer, "upstream": upstream, "parts": parts}).json()
    for part in ("dx", "dw", "db"):
        if part in parts:
            np.testing.assert_array_equal(compact_to_array(some[part]),
                                          compact_to_array(whole[part]))
        else:
            assert some[part] is None, part
    # the drawn upstream comes back whatever the parts: it is what they are checked against
    np.testing.assert_array_equal(compact_to_array(some["upstream"]),
                                  compact_to_array(whole["upstream"]))


@pytest.mark.parametrize(("parts", "kind", "said"), [
    (["dx", "db", "dx"], "named_twice", "dx named more than once"),
    ([], "wrong_length", "0 items, fewer than 1"),
    (["dy"], "literal_error", "'dx', 'dw' or 'db'"),
])
def test_backward_refuses_parts_it_cannot_answer_at_parts(
    client: TestClient, parts: list[str], kind: str, said: str
) -> None:
    answer = client.post("/api/backward", json={"layer": square(4, 1, 1, 2), "parts": parts})
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert entry["loc"][:2] == ["body", "parts"]
    assert entry["type"] == kind
    assert said in entry["msg"], entry["msg"]
    # and what it takes instead
    assert entry["msg"].endswith('it takes a list of one to three of "dx", "dw" and "db", each '
                                 "named once; left out, all three"), entry["msg"]


def test_docs_page_loads_swagger_from_this_server_only(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
    assert urls, page.text
    # Swagger UI's files plus its start-up script (an external file: the CSP forbids inline).
    assert all(url.startswith(("/static/vendor/swagger-ui/", "/static/docs/")) for url in urls)
    for url in urls:
        assert client.get(url).status_code == 200
    assert "cdn" not in page.text.lower()
    assert client.get("/redoc").status_code == 404
    assert "/api/forward" in client.get("/openapi.json").json()["paths"]
