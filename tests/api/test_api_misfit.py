"""A layer that does not fit, as the page draws it: the geometry answer's per-axis picture
(whole windows, the overhanging one, what fit="floor" drops and fit="pad" adds) and
/api/input, the input of any layer, a misfit's too. Numbers are worked by hand below."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

import app.answers as answers
import app.convert as app_convert
import app.costs as costs
from app.config import Settings
from app.schemas import LayerSpec
from engine.geometry import LayerShape, Suggestion
from tests.api.api_helpers import compact_to_array, square

PICTURE = ("whole_windows", "overhang_start", "overhang", "floor_drops", "pad_adds")


def picture(axis: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(axis[name] for name in PICTURE)


def test_the_notes_4_5_layer_is_answered_with_four_windows_and_a_fifth_off_by_one(
    client: TestClient,
) -> None:
    # W=10, F=3, S=2, P=0: windows start at 0, 2, 4, 6 (the last ends at column 8); the
    # fifth starts at 8 and needs column 10, one past the end; floor leaves column 9 out,
    # pad adds one zero column. Square, so the rows say the same.
    answer = client.post("/api/geometry", json=square(10, 1, 1, 3, stride=2)).json()
    assert answer["valid"] is False
    assert picture(answer["width"]) == (4, 8, 1, 1, 1)
    assert picture(answer["height"]) == (4, 8, 1, 1, 1)


def test_alexnet_at_224_hangs_off_by_three_pixels(client: TestClient) -> None:
    # (224 - 11)/4 + 1 = 54.25: the 55th window starts at 54*4 = 216 and needs up to 226,
    # three past 223 (the notes' guess: three pixels of padding); the 54th ends at 222, so
    # floor drops column 223.
    answer = client.post("/api/geometry", json=square(224, 3, 96, 11, stride=4)).json()
    assert picture(answer["width"]) == (54, 216, 3, 1, 3)


def test_a_near_whole_misfit_is_written_with_the_digits_that_show_it(client: TestClient) -> None:
    # (4002 - 1)/4000 + 1 = 2.00025: three decimals would say "2." and call it no integer
    spec = {"input": {"shape": [4002, 1, 1]}, "filters": {"count": 1, "size": 1},
            "stride": [4000, 1]}
    answer = client.post("/api/geometry", json=spec).json()
    assert answer["height"]["exact"] == 2.00025
    assert answer["height"]["arithmetic"] == "(4002 - 1 + 2*0)/4000 + 1 = 2.00025"
    assert "= 2.00025 is not an integer" in answer["error"]["message"]


def test_a_near_whole_misfit_shows_the_digits_that_matter_not_seventeen(
    client: TestClient,
) -> None:
    # (4096 - 4095)/4093 + 1 was written "≈ 1.0002443195699975": float noise as precision
    spec = {"input": {"shape": [4096, 1, 1]}, "filters": {"count": 1, "size": [4095, 1]},
            "stride": [4093, 1]}
    answer = client.post("/api/geometry", json=spec).json()
    assert answer["height"]["arithmetic"] == "(4096 - 4095 + 2*0)/4093 + 1 ≈ 1.00024"
    assert "≈ 1.00024 is not an integer" in answer["error"]["message"]


def test_a_misfit_on_one_axis_pictures_only_that_axis(client: TestClient) -> None:
    # height 7: (7 - 3)/2 + 1 = 3 fits; width 8 with one column of padding each side: 10
    # padded columns, the notes' 4.5 again.
    spec = {"input": {"shape": [7, 8, 1]}, "filters": {"count": 1, "size": 3}, "stride": 2,
            "padding": [0, 1]}
    answer = client.post("/api/geometry", json=spec).json()
    assert picture(answer["height"]) == (3, None, 0, 0, 0)
    assert picture(answer["width"]) == (4, 8, 1, 1, 1)


def test_a_layer_fitted_by_pad_reports_the_zeros_it_added_as_pad_adds(client: TestClient) -> None:
    answer = client.post("/api/geometry", json=square(10, 1, 1, 3, stride=2, fit="pad")).json()
    assert answer["valid"] is True and answer["output_shape"] == [5, 5, 1]
    assert answer["width"]["pad_adds"] == answer["width"]["extra_padding"] == 1
    assert answer["padded_shape"] == [11, 11, 1]


def test_a_misfits_input_is_the_one_its_fitting_neighbour_computes_with(
    client: TestClient,
) -> None:
    # The same layer at stride 1 fits; its forward pass uses the very input /api/input
    # gives for the stride-2 misfit (fills do not depend on the stride).
    edits = [{"array": "input", "index": [9, 9, 0], "value": 7}]
    misfit = client.post("/api/input", json=square(10, 1, 1, 3, stride=2, edits=edits))
    assert misfit.status_code == 200
    forward = client.post("/api/forward", json=square(10, 1, 1, 3, stride=1, edits=edits)).json()
    assert misfit.json()["padded_input"] == forward["padded_input"]
    assert misfit.json()["padded_input"][9][9] == [7.0]
    assert misfit.json()["padding"] == [0, 0, 0, 0]


def test_a_misfits_input_comes_inside_its_requested_padding_only(client: TestClient) -> None:
    # 10 + 1 + 1 = 12 padded cells, F=4, S=3: (12 - 4)/3 + 1 = 3.67. Windows at 0, 3, 6
    # reach cell 9; the fourth, at 9, needs cells 9..12, one past the end: pad would add one
    # zero, which /api/input leaves to the picture; floor drops cells 10 and 11.
    spec = square(10, 2, 1, 4, stride=3, padding=1)
    answer = client.post("/api/input?encoding=compact", json=spec).json()
    xp = compact_to_array(answer["padded_input"])
    assert xp.shape == (12, 12, 2)
    assert answer["padding"] == [1, 1, 1, 1]
    assert not xp[0].any() and not xp[-1].any() and not xp[:, 0].any() and not xp[:, -1].any()
    inner = client.post("/api/forward", json=square(10, 2, 1, 3, stride=1, padding=1)).json()
    np.testing.assert_array_equal(xp, np.array(inner["padded_input"], dtype=np.float32))
    geometry = client.post("/api/geometry", json=spec).json()
    assert picture(geometry["width"]) == (3, 9, 1, 2, 1)


def test_a_misfits_filters_are_the_ones_its_fitting_neighbour_computes_with(
    client: TestClient,
) -> None:
    # Shared filters need no output size: the stride-2 misfit's filters and biases, edits
    # included, are the stride-1 layer's, which fits.
    edits = [{"array": "filters", "index": [1, 2, 0, 0], "value": 9},
             {"array": "bias", "index": [0], "value": -4}]
    misfit = client.post("/api/input", json=square(10, 1, 2, 3, stride=2, edits=edits)).json()
    forward = client.post("/api/forward", json=square(10, 1, 2, 3, stride=1, edits=edits)).json()
    assert np.array(misfit["filters"]).shape == (2, 3, 3, 1)
    assert misfit["filters"] == forward["filters"]
    assert misfit["bias"] == forward["bias"]
    assert misfit["filters"][1][2][0] == [9.0] and misfit["bias"][0] == -4.0
    compact = client.post("/api/input?encoding=compact",
                          json=square(10, 1, 2, 3, stride=2, edits=edits)).json()
    np.testing.assert_array_equal(compact_to_array(compact["filters"]),
                                  np.array(forward["filters"], dtype=np.float32))
    # a locally connected layer's weights are one set per output position: none to give
    local = client.post("/api/input", json={**square(10, 1, 2, 3, stride=2),
                                            "connectivity": "local"}).json()
    assert local["filters"] is None and local["bias"] is None


def test_a_filter_edit_outside_a_misfits_filters_is_refused_naming_it(
    client: TestClient,
) -> None:
    edits = [{"array": "input", "index": [0, 0, 0], "value": 1},
             {"array": "filters", "index": [2, 0, 0, 0], "value": 1}]
    response = client.post("/api/input", json=square(10, 1, 2, 3, stride=2, edits=edits))
    assert response.status_code == 422
    (entry,) = response.json()["detail"]
    assert entry["loc"] == ["body", "edits", 1, "index"]
    assert "[2, 0, 0, 0] is outside" in entry["msg"]


def test_an_input_edit_outside_a_misfits_input_is_refused_naming_it(client: TestClient) -> None:
    edits = [{"array": "input", "index": [10, 0, 0], "value": 1}]
    response = client.post("/api/input", json=square(10, 1, 1, 3, stride=2, edits=edits))
    assert response.status_code == 422
    (entry,) = response.json()["detail"]
    assert entry["loc"] == ["body", "edits", 0, "index"]
    assert "[10, 0, 0] is outside input of shape [10, 10, 1]" in entry["msg"]


def test_an_input_over_the_work_budget_is_refused_before_it_is_made(
    client: TestClient, override_settings: Any
) -> None:
    override_settings(max_elements=10_000)
    response = client.post("/api/input", json=square(100, 3, 1, 3, stride=2, padding=1))
    assert response.status_code == 422
    (entry,) = response.json()["detail"]
    assert entry["loc"][0] == "body"
    assert "CONVSCOPE_MAX_ELEMENTS" in entry["msg"]
    # the input, 100*100*3, the padded input, 102*102*3, and the one 3x3x3 filter and its
    # bias: no geometry, no output
    assert "61,240 numbers" in entry["msg"]


def test_a_refused_misfit_lists_the_locs_of_every_field_that_could_fix_it(
    client: TestClient,
) -> None:
    # one loc (the stride) was all a client could read, though padding fixes it too
    layer = square(10, 1, 1, 3, stride=2)  # (10 - 3)/2 + 1 = 4.5 on both axes
    for path, body, prefix in (("/api/forward", layer, ["body"]),
                               ("/api/steps", {"layer": layer}, ["body", "layer"])):
        (entry,) = client.post(path, json=body).json()["detail"]
        fields = entry["ctx"]["fields"]
        assert fields[0] == entry["loc"] == [*prefix, "stride"]
        assert [*prefix, "padding"] in fields and [*prefix, "filters", "size"] in fields
        suggested = {s["field"] for s in entry["ctx"]["suggestions"]}
        assert {".".join(map(str, f[len(prefix):])) for f in fields} >= suggested


def test_a_fitted_layer_is_offered_no_fit_policy_that_gives_the_same_output(
    client: TestClient,
) -> None:
    # 11 wide, F=2, S=4: pad's fourth window would start after the input, so pad keeps the
    # 3 positions floor keeps; "fit floor gives 3x3" was offered as a change
    same = client.post("/api/geometry", json={**square(11, 1, 1, 2, stride=4), "fit": "pad"})
    answer = same.json()
    assert answer["output_shape"] == [3, 3, 1]
    assert [s for s in answer["suggestions"] if s["field"] == "fit"] == []
    # 10 wide, F=3, S=2: pad gives 5, floor 4: floor is a real change, offered
    other = client.post("/api/geometry", json={**square(10, 1, 1, 3, stride=2), "fit": "pad"})
    fits = [(s["value"], s["output"]) for s in other.json()["suggestions"] if s["field"] == "fit"]
    assert fits == [("floor", [4, 4])]


def test_a_refusals_suggestions_give_the_outputs_they_say_when_applied(client: TestClient) -> None:
    # oblong, so a suggestion's (H2, W2) written the wrong way round would show: 10 rows and
    # 13 columns at stride 2 with a 3x3 filter (4.5 x 6 positions)
    spec = {"input": {"shape": [10, 13, 1]}, "filters": {"count": 1, "size": 3}, "stride": 2}
    answer = client.post("/api/forward", json=spec)
    assert answer.status_code == 422
    suggestions = answer.json()["detail"][0]["ctx"]["suggestions"]
    assert len(suggestions) >= 5
    for s in suggestions:
        *parents, name = s["field"].split(".")
        fixed = json.loads(json.dumps(spec))
        (fixed[parents[0]] if parents else fixed)[name] = s["value"]
        g = client.post("/api/geometry", json=fixed).json()
        assert g["valid"], s
        assert g["output_shape"][:2] == s["output"], s
        assert g["output_shape"][0] != g["output_shape"][1], s  # oblong: the order shows


def test_suggestions_past_the_servers_limits_say_so(
    client: TestClient, override_settings: Any
) -> None:
    # 4096 wide at stride 4000 is offered an input of 8,003 a side: over the default
    # max_side, so applying it would only be refused
    spec = {"input": {"shape": [4096, 4096, 1]}, "filters": {"count": 1, "size": 3},
            "stride": 4000}
    limit = "(over this server's limit of 4,096 a side, CONVSCOPE_MAX_SIDE)"

    def over_limit(texts: list[str]) -> list[str]:
        return [text.split(";")[0] for text in texts if text.endswith(limit)]

    answer = client.post("/api/geometry", json=spec).json()
    texts = [s["text"] for s in answer["suggestions"]]
    assert over_limit(texts) == ["input 8003x8003 gives 3x3"]
    refused = client.post("/api/forward", json=spec).json()["detail"][0]["ctx"]["suggestions"]
    assert [s["text"] for s in refused] == texts  # the refusal's, the same
    applied = client.post("/api/geometry", json={**spec, "input": {"shape": [8003, 8003, 1]}})
    assert applied.status_code == 422  # what the words warn of
    # a fit policy that makes it work still lists the exact fits near it, marked the same
    floor = {**spec, "fit": "floor"}
    floored = [s["text"] for s in client.post("/api/geometry", json=floor).json()["suggestions"]]
    assert over_limit(floored) == ["input 8003x8003 gives 3x3"]
    override_settings(max_side=8003)  # room for its side exactly: no word of it
    exact = client.post("/api/geometry", json=spec).json()["suggestions"]
    assert "input 8003x8003 gives 3x3" in [s["text"].split(";")[0] for s in exact]
    assert not any("CONVSCOPE_MAX_SIDE" in s["text"] for s in exact)
    # though its 64 million input cells are past the default element budget
    assert [s["text"] for s in exact if s["text"].startswith("input 8003x8003")] == [
        "input 8003x8003 gives 3x3; 64,047,928 of 64,048,009 input cells unread (over this "
        "server's limit of 50,000,000 numbers, CONVSCOPE_MAX_ELEMENTS)"]
    # a server with room for it says nothing
    override_settings(max_side=9000, max_elements=10**9, max_work=10**12)
    for body in (spec, floor):
        roomy = client.post("/api/geometry", json=body).json()
        assert roomy["suggestions"] and not any("limit" in s["text"] or "budget" in s["text"]
                                                for s in roomy["suggestions"])


def test_a_fit_policy_suggestion_is_marked_with_the_marking_its_forward_pays_for(
    client: TestClient, override_settings: Any
) -> None:
    # 200x200 at stride 2 under a 3x3 filter does not fit; fit "floor" applied fits, and its
    # forward also resolves and prices the exact fits it is told of. A budget between the
    # pass alone and the pass with that marking: the suggestion said nothing, then applied,
    # the layer's geometry said over_limit and its forward was refused
    spec = {"input": {"shape": [200, 200, 3]}, "filters": {"count": 16, "size": 3},
            "stride": 2}
    floor = {**spec, "fit": "floor"}
    layer = LayerSpec.model_validate(floor)
    g = app_convert.geometry(layer, Settings())
    alone = sum(item.work for item in costs.FORWARD_COMPACT(g, layer))
    marking = sum(item.work for item in answers.marking_cost(g, Settings()))
    assert marking > 0  # it is told of exact fits: the test is not empty
    override_settings(max_work=alone + marking - 1)
    said = next(s for s in client.post("/api/geometry", json=spec).json()["suggestions"]
                if s["field"] == "fit" and s["value"] == "floor")
    assert said["limit"] == "CONVSCOPE_MAX_WORK", said
    assert client.post("/api/geometry", json=floor).json()["over_limit"] is not None
    assert client.post("/api/forward?encoding=compact", json=floor).status_code == 422
    override_settings(max_work=alone + marking)  # room for both: no mark, and it computes
    said = next(s for s in client.post("/api/geometry", json=spec).json()["suggestions"]
                if s["field"] == "fit" and s["value"] == "floor")
    assert said["limit"] is None, said
    assert client.post("/api/forward?encoding=compact", json=floor).status_code == 200


def test_suggestions_past_the_servers_budget_say_so_exactly_when_applying_them_is_refused(
    client: TestClient, override_settings: Any
) -> None:
    # 60x60x3 at stride 4 with 8 filters 5x5 does not fit (14.75 positions a side); a budget
    # of 60,000 numbers leaves room for some of the fixes (stride 5: 12x12) and not others
    # (stride 1: 56x56 outputs of 8 filters)
    spec = {"input": {"shape": [60, 60, 3]}, "filters": {"count": 8, "size": 5}, "stride": 4}
    override_settings(max_elements=60_000)
    mark = "(over this server's limit of 60,000 numbers, CONVSCOPE_MAX_ELEMENTS)"
    for fit in ("error", "floor"):  # a misfit's suggestions, and a layer floor made fit
        answer = client.post("/api/geometry", json={**spec, "fit": fit}).json()
        marked = []
        for s in answer["suggestions"]:
            *parents, name = s["field"].split(".")
            fixed = json.loads(json.dumps({**spec, "fit": fit}))
            (fixed[parents[0]] if parents else fixed)[name] = s["value"]
            applied = client.post("/api/geometry", json=fixed).json()
            assert applied["valid"], s
            assert (applied["over_limit"] is not None) == s["text"].endswith(mark), s
            marked.append(s["text"].endswith(mark))
        assert any(marked) and not all(marked), answer["suggestions"]
    refused = client.post("/api/forward", json=spec).json()["detail"][0]["ctx"]["suggestions"]
    assert [s["text"] for s in refused] == [
        s["text"] for s in client.post("/api/geometry", json=spec).json()["suggestions"]]
    override_settings(max_elements=10**8)  # room for all: no word
    roomy = client.post("/api/geometry", json=spec).json()["suggestions"]
    assert roomy and not any("CONVSCOPE_MAX_ELEMENTS" in s["text"] for s in roomy)


def test_a_layer_whose_windows_read_no_input_says_so(client: TestClient) -> None:
    # valid, yet every tap lands in the padding or past the input (dilation 4 over one
    # column padded 2 each side): it answered valid with no word, and dX all zeros
    spec = {"input": {"shape": [3, 1, 1]}, "filters": {"count": 1, "size": [1, 2],
            "bias": [2.5]}, "padding": [0, 0, 2, 2], "dilation": [1, 4]}
    answer = client.post("/api/geometry", json=spec).json()
    assert answer["valid"] and answer["width"]["unseen"] == [0]
    assert [n for n in answer["notes"] if n.startswith("no window reads an input cell (width")]
    assert client.post("/api/forward", json=spec).json()["output"] == [[[2.5]]] * 3
    # one tap on the input: no such note
    seen = client.post("/api/geometry", json={**spec, "dilation": [1, 2]}).json()
    assert seen["valid"] and not any("no window" in n for n in seen["notes"])


def test_a_filter_wider_than_a_one_cell_input_counts_it_in_the_singular(
    client: TestClient,
) -> None:
    # "more than the 1 columns of the padded input"
    error = client.post("/api/geometry", json=square(1, 1, 1, 2)).json()["error"]["message"]
    assert "spans 2 columns, more than the 1 column of the padded input (1 + 0 + 0)" in error
    assert "spans 2 rows, more than the 1 row of the padded input (1 + 0 + 0)" in error


def test_a_resnet_stem_misfit_says_what_a_framework_makes_of_it(client: TestClient) -> None:
    # 224 wide, 7x7 at stride 2, padding 3: (224 - 7 + 6)/2 + 1 = 112.5; PyTorch floors to 112,
    # which an engineer checking the layer expects to read in the refusal itself
    layer = square(224, 3, 64, 7, stride=2, padding=3)
    message = client.post("/api/geometry", json=layer).json()["error"]["message"]
    assert "112.5 is not an integer" in message
    assert message.endswith('(fit "floor", what PyTorch does, gives 112x112)'), message
    refused = client.post("/api/forward", json=layer)
    assert refused.status_code == 422
    assert 'what PyTorch does, gives 112x112' in refused.json()["detail"][0]["msg"]
    floored = client.post("/api/geometry", json={**layer, "fit": "floor"}).json()
    assert floored["output_shape"] == [112, 112, 64]


def test_a_suggestion_the_specs_own_arrays_refuse_says_so(client: TestClient) -> None:
    # applied by assignment, as the schema says, each came back a 422: the image and the
    # bank fix their sizes, and a smaller input leaves out an edited cell
    named = {"input": {"shape": [64, 64, 3], "image": {"name": "stripes"}},
             "filters": {"count": 2, "size": 3, "bank": "sobel"}, "stride": 2}
    edited = {**square(10, 1, 1, 3, stride=2),
              "edits": [{"array": "input", "index": [9, 9, 0], "value": 5}]}
    local = {**square(10, 1, 1, 3, stride=2), "connectivity": "local"}
    local_edits = [{**local, "edits": [{"array": "filters", "index": index, "value": 5}]}
                   for index in ([4, 4, 0, 0, 0, 0], [3, 3, 0, 2, 2, 0])]
    local_bias = {**local, "filters": {**local["filters"], "bias": [[[0.0]] * 4] * 4}}
    for spec in (named, edited, *local_edits, local_bias):
        said = {(s["field"], json.dumps(s["value"])): s["text"]
                for s in client.post("/api/geometry", json=spec).json()["suggestions"]}
        refused = client.post("/api/forward", json=spec)
        assert refused.status_code == 422
        assert [s["text"] for s in refused.json()["detail"][0]["ctx"]["suggestions"]] == list(
            said.values())  # the 422 says the same
        for (field, value), text in said.items():
            applied = json.loads(json.dumps(spec))
            where, key = (applied["input"], "shape") if field == "input.shape" else (
                (applied["filters"], "size") if field == "filters.size" else (applied, field))
            where[key] = json.loads(value)
            status = client.post("/api/forward", json=applied).status_code
            # marked exactly when applying it alone is refused
            assert ("(and leave out " in text) == (status == 422), (text, status)
        if spec is edited:
            texts = list(said.values())
    assert "input 9x9 gives 4x4 (and leave out edit 0, outside it)" in texts
    assert "input 11x11 gives 5x5" in texts


def test_a_suggestion_that_leaves_out_the_filters_values_says_what_count_to_give(
    client: TestClient,
) -> None:
    # two 3x3 filters given as values alone (count and size read from them), 10 wide at
    # stride 2: a filter size of 2 or 4 fixes it, once the values go, and then the spec must
    # state the count the values gave
    spec = {"input": {"shape": [10, 10, 1]}, "stride": 2,
            "filters": {"values": np.ones((2, 3, 3, 1)).tolist()}}
    sized = [s for s in client.post("/api/geometry", json=spec).json()["suggestions"]
             if s["field"] == "filters.size"]
    assert [s["value"] for s in sized] == [2, 4]
    for s in sized:
        assert s["text"].endswith(
            "(and leave out filters.values, which fixes the filters' size; then give "
            "filters.count 2)"), s["text"]
        applied = {**spec, "filters": {"size": s["value"]}}
        assert client.post("/api/forward", json=applied).status_code == 422  # no count
        applied["filters"]["count"] = 2
        answer = client.post("/api/forward", json=applied)
        assert answer.status_code == 200
        assert answer.json()["geometry"]["output_shape"] == [*s["output"], 2]
    # a count the spec states is not asked for again
    counted = {**spec, "filters": {**spec["filters"], "count": 2}}
    texts = [s["text"] for s in client.post("/api/geometry", json=counted).json()["suggestions"]
             if s["field"] == "filters.size"]
    assert texts and not any("then give" in text for text in texts)


def _follow(spec: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with suggestion ``s`` applied as its fields say: its value assigned, what it
    leaves out given null (edits dropped by number) and what it also sets set."""
    applied = json.loads(json.dumps(spec))

    def at(path: str) -> tuple[dict[str, Any], str]:
        *parents, name = path.split(".")
        where = applied
        for parent in parents:  # a preset's spec may not send the object
            where = where.setdefault(parent, {})
        return where, name

    where, name = at(s["field"])
    where[name] = s["value"]
    cut = {int(path.split(".")[1]) for path in s["leave_out"] if path.startswith("edits.")}
    for path in s["leave_out"]:
        if not path.startswith("edits."):
            where, name = at(path)
            where[name] = None  # over a preset, leaving it out would keep the preset's
    applied["edits"] = [e for n, e in enumerate(applied.get("edits", [])) if n not in cut]
    for path, value in s["also"].items():
        where, name = at(path)
        where[name] = value
    return applied


def test_a_suggestion_followed_as_its_fields_say_gives_its_output(
    client: TestClient, override_settings: Any
) -> None:
    # leave_out, also and limit say in fields what the text says in words, so a program can
    # apply any suggestion: every one followed so gives its output, unless it has a limit
    override_settings(max_elements=2_000)
    specs = [
        {"input": {"shape": [64, 64, 3], "image": {"name": "stripes"}},
         "filters": {"count": 2, "size": 3, "bank": "sobel"}, "stride": 2},
        {**square(10, 1, 1, 3, stride=2), "edits": [
            {"array": "filters", "index": [0, 2, 2, 0], "value": 4},
            {"array": "input", "index": [9, 9, 0], "value": 5}]},
        {**square(10, 1, 1, 3, stride=2), "connectivity": "local", "edits": [
            {"array": "filters", "index": [3, 3, 0, 2, 2, 0], "value": 5}]},
        {"input": {"shape": [10, 10, 1]}, "stride": 2,
         "filters": {"values": np.ones((2, 3, 3, 1)).tolist()}},
        # the values gave the local filters' size too (its stride suggestion drops them)
        {"connectivity": "local", "input": {"shape": [5, 5, 1]}, "stride": 2,
         "filters": {"count": 1, "values": np.ones((2, 2, 1, 2, 2, 1)).tolist()}},
        # a preset whose values stay unless given null
        {"preset": "one-d-stride-1", "stride": 3},
        # input values the limit's price must leave out with them
        {"input": {"values": np.zeros((40, 50, 1)).tolist()}, "filters": {"count": 1,
                                                                          "size": 3},
         "stride": 2},
    ]
    seen = {"leave_out": 0, "also": 0, "limit": 0, "as is": 0}
    for spec in specs:
        suggestions = client.post("/api/geometry", json=spec).json()["suggestions"]
        refused = client.post("/api/forward", json=spec).json()["detail"][0]["ctx"]
        assert refused["suggestions"] == suggestions  # the 422 says the same, fields too
        for s in suggestions:
            assert bool(s["leave_out"]) == (" (and " in s["text"]), s
            assert len(set(s["leave_out"])) == len(s["leave_out"]), s  # each once
            assert (s["limit"] is not None) == ("over this server's" in s["text"]), s
            # the limit in words apart, as the text says it (a page shows it shorter)
            assert (s["limit_words"] is not None) == (s["limit"] is not None), s
            assert s["limit_words"] is None or (
                f" ({s['limit_words']})" in s["text"] and s["limit"] in s["limit_words"]), s
            answer = client.post("/api/forward", json=_follow(spec, s))
            if s["limit"] is not None:
                assert answer.status_code == 422, s
                assert answer.json()["detail"][0]["type"] == "over_limit", s
                seen["limit"] += 1
                continue
            assert answer.status_code == 200, (s, answer.text)
            assert answer.json()["geometry"]["output_shape"][:2] == s["output"], s
            seen["leave_out"] += bool(s["leave_out"])
            seen["also"] += bool(s["also"])
            seen["as is"] += not s["leave_out"]
    assert all(seen.values()), seen  # every kind was met


def test_a_misfit_blames_a_field_the_spec_can_change_as_sent(client: TestClient) -> None:
    # 3x3 filters given as values on a 2x2 input: it blamed filters.size, a field the request
    # did not send and the values fix, where padding alone fixes the layer
    spec = {"input": {"shape": [2, 2, 1]}, "filters": {"values": np.ones((1, 3, 3, 1)).tolist()}}
    error = client.post("/api/geometry", json=spec).json()["error"]
    assert error["field"] == "padding" and error["fields"][0] == "padding"
    entry = client.post("/api/forward", json=spec).json()["detail"][0]
    assert entry["loc"] == ["body", "padding"]
    assert client.post("/api/forward", json={**spec, "padding": 1}).status_code == 200


def test_a_suggestions_limit_is_priced_without_the_arrays_it_leaves_out() -> None:
    # an input of listed values costs much to read; the input size suggested leaves them out,
    # and was priced with them: marked over the work budget, its layer was computed
    from app.config import Settings
    from app.convert import _without, marked
    from app.costs import FORWARD_COMPACT
    from app.layer_cache import resolved
    from app.schemas import LayerSpec
    from engine.geometry import LayerShape, Suggestion, applied

    spec = LayerSpec.model_validate({"input": {"values": np.zeros((60, 61, 1)).tolist()},
                                     "filters": {"count": 1, "size": 3}, "stride": 2})
    shape = LayerShape(60, 61, 1, 1, 3, 3, stride_h=2, stride_w=2)
    change = Suggestion("input.shape", [59, 59, 1], (29, 29), "input 59x59 gives 29x29")
    layer = resolved(applied(shape, change))
    alone = sum(i.work for i in FORWARD_COMPACT(layer, _without(spec, ["input.values"])))
    with_values = sum(i.work for i in FORWARD_COMPACT(layer, spec))
    assert with_values > alone  # the values' reading, which applying it leaves out
    found = marked(change, shape, Settings(max_work=alone), spec)
    assert found.limit is None and found.leave_out == ("input.values",), found
    assert marked(change, shape, Settings(max_work=alone - 1), spec).limit == "CONVSCOPE_MAX_WORK"


def test_a_misfit_whose_suggestions_cost_more_to_check_than_the_budget_is_still_explained(
    client: TestClient, override_settings: Any
) -> None:
    # under a budget of 50,000,000 the README's 10x10 misfit was refused whole (resolving and
    # pricing its 8 suggested layers cost more), and so was every misfit down to 2x2
    spec = {"input": {"shape": [10, 10, 1]}, "filters": {"count": 1, "size": 3}, "stride": 2}
    roomy = client.post("/api/geometry", json=spec).json()
    # what checking them costs under max_side 10, where input 11x11 is marked unresolved
    layer_shape = LayerShape.square(10, 1, 1, 3, stride=2)
    trials = costs.suggested_cost(layer_shape, app_convert.suggested_layers(
        [Suggestion(s["field"], s["value"], tuple(s["output"]), s["text"])
         for s in roomy["suggestions"]], layer_shape, Settings(max_side=10)))
    price = sum(item.work for item in trials)
    override_settings(max_work=price - 1, max_side=10)
    answer = client.post("/api/geometry", json=spec).json()
    assert answer["valid"] is False
    # the same suggestions, unchecked against the budget, and said so; max_side still marks
    assert [(s["field"], s["value"], s["output"]) for s in answer["suggestions"]] == [
        (s["field"], s["value"], s["output"]) for s in roomy["suggestions"]]
    assert answer["notes"][-1] == (
        "Whether this server computes each suggested layer was not checked: resolving and "
        f"pricing them would cost {price:,} units of work, over its budget (CONVSCOPE_MAX_WORK); "
        "a suggestion past its max_side is still marked")
    limits = {tuple(s["value"]) if isinstance(s["value"], list) else s["value"]: s["limit"]
              for s in answer["suggestions"] if s["field"] == "input.shape"}
    assert limits == {(9, 9, 1): None, (11, 11, 1): "CONVSCOPE_MAX_SIDE"}
    # the misfit's 422 carries them too
    entry = client.post("/api/forward", json=spec).json()["detail"][0]
    assert entry["type"] == "layer_error" and entry["ctx"]["notes"] == answer["notes"]
    # with room to check them, no note
    override_settings(max_work=price, max_side=10)
    assert client.post("/api/geometry", json=spec).json()["notes"] == roomy["notes"]


def test_a_fit_policys_layer_whose_suggestions_cost_more_to_check_is_still_explained(
    client: TestClient, override_settings: Any
) -> None:
    spec = {"input": {"shape": [10, 10, 1]}, "filters": {"count": 1, "size": 3}, "stride": 2,
            "fit": "floor"}
    override_settings(max_work=50_000_000)
    answer = client.post("/api/geometry", json=spec).json()
    assert answer["valid"] is True and answer["output_shape"] == [4, 4, 1]
    assert answer["notes"][-1].startswith("Whether this server computes each suggested layer "
                                          "was not checked")
    assert all(s["limit"] is None for s in answer["suggestions"])
    # its forward marks them, and is refused as over_limit says
    assert answer["over_limit"]["field"] == "fit"
    entry = client.post("/api/forward?encoding=compact", json=spec).json()["detail"][0]
    assert entry["loc"] == ["body", "fit"]
    said = answer["over_limit"]["message"]
    assert said.startswith("computing this layer would cost ")
    assert entry["msg"] == "this request" + said.removeprefix("computing this layer")
