"""The server's engine threads: its own workers while it runs, nothing process-wide otherwise."""

from __future__ import annotations

import os
import threading
from typing import ClassVar

import numpy as np
import pytest
from api_helpers import ALEXNET, compact_to_array
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_info

from app import engine_threads
from app.config import Settings
from app.main import create_app
from engine import winograd_strided
from engine.conv import forward
from engine.geometry import LayerShape
from engine.layer import build_layer
from engine.tensors import Fill
from engine.threads import Workers


def blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


class RecordingWorkers(Workers):
    """Workers that remember every instance made and the threads each split ran on."""

    made: ClassVar[list[RecordingWorkers]] = []

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.threads: set[str] = set()
        RecordingWorkers.made.append(self)

    def run(self, work, parts, *, multiply_adds=None):  # type: ignore[no-untyped-def]
        def noted(part):  # type: ignore[no-untyped-def]
            self.threads.add(threading.current_thread().name)
            return work(part)

        return super().run(noted, parts, multiply_adds=multiply_adds)

    def share(self, work, parts, *, multiply_adds=None):  # type: ignore[no-untyped-def]
        def noted(drawn):  # type: ignore[no-untyped-def]
            self.threads.add(threading.current_thread().name)
            return work(drawn)

        return super().share(noted, parts, multiply_adds=multiply_adds)


@pytest.mark.parametrize(("setting", "count"), [(3, 3), (1, 1), (0, os.cpu_count())])
def test_a_running_app_splits_over_its_own_workers_with_blas_single_threaded(
    monkeypatch: pytest.MonkeyPatch, setting: int, count: int
) -> None:
    monkeypatch.setattr(engine_threads, "Workers", RecordingWorkers)
    RecordingWorkers.made.clear()
    before = blas_threads()
    app = create_app(Settings(engine_threads=setting))
    assert blas_threads() == before and not RecordingWorkers.made  # building changes nothing
    with TestClient(app) as client:
        assert blas_threads() == {1}
        answer = client.post("/api/forward?encoding=compact", json=ALEXNET)
        assert answer.status_code == 200
    (workers,) = RecordingWorkers.made
    assert workers.count == count
    # The split ran on the request's thread, and with more than one worker on the pool's too.
    assert len(workers.threads) == 1 if count == 1 else 1 < len(workers.threads) <= count
    assert blas_threads() == before  # stopping the app puts BLAS back


def test_two_runs_of_one_app_each_get_their_own_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_threads, "Workers", RecordingWorkers)
    RecordingWorkers.made.clear()
    app = create_app(Settings(engine_threads=2))
    with TestClient(app) as outer:
        with TestClient(app) as inner:
            assert inner.post("/api/forward", json=ALEXNET).status_code == 200
        assert outer.post("/api/forward", json=ALEXNET).status_code == 200
        assert blas_threads() == {1}  # the inner run's end left the outer's limit in force
    first, second = RecordingWorkers.made
    assert first.threads and second.threads


@pytest.mark.parametrize("fill", ["integers", "normal"])
def test_alexnet_forward_through_the_running_app_equals_one_blas_gemm(
    fill: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The API's forward, split over the app's two workers and sent compact (float32), must be
    # the same layer through one BLAS-threaded GEMM rounded to float32, whatever the fill:
    # the app never asks for Winograd along the width (engine/winograd_strided.py), whose
    # rounding follows the largest input of a tile rather than the neuron's own.
    spec = ALEXNET if fill == "integers" else {
        **ALEXNET, "input": {**ALEXNET["input"], "fill": {"kind": "normal", "seed": 3}},
        "filters": {**ALEXNET["filters"], "fill": {"kind": "normal", "seed": 4}}}
    fills = {} if fill == "integers" else {"input_fill": Fill("normal", seed=3),
                                           "weight_fill": Fill("normal", seed=4)}
    layer = build_layer(LayerShape.square(227, 3, 96, 11, stride=4), **fills)
    expected = forward(layer).pre
    assert layer.sums_exact == (fill == "integers")
    calls = []
    kernel = winograd_strided.conv_strided
    monkeypatch.setattr(winograd_strided, "conv_strided",
                        lambda *args, **kwargs: calls.append(1) or kernel(*args, **kwargs))
    with TestClient(create_app(Settings(engine_threads=2))) as client:
        answer = client.post("/api/forward?encoding=compact", json=spec)
    assert not calls
    assert answer.status_code == 200
    got = compact_to_array(answer.json()["output"])
    assert got.shape == (55, 55, 96)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-12)


def test_an_app_built_but_not_started_answers_without_workers() -> None:
    # A TestClient used outside `with` never starts the lifespan: the engine then lets BLAS
    # thread its one GEMM, with the same answer.
    layer = build_layer(LayerShape.square(227, 3, 96, 11, stride=4))
    answer = TestClient(create_app(Settings(engine_threads=2))).post(
        "/api/forward?encoding=compact", json=ALEXNET
    )
    assert answer.status_code == 200
    got = compact_to_array(answer.json()["output"])
    np.testing.assert_allclose(got, forward(layer, np.float32).pre, rtol=1e-5, atol=1e-3)


def test_the_servers_fast_kernels_keep_a_whole_number_layers_sums_exact(
    client: TestClient,
) -> None:
    # With ReLU, db counts the neurons whose sum is above 0. On this layer (big enough for the
    # server's Winograd path) rounding made sums of exactly 0 come out as +-5e-15, and db[0]
    # counted 348 neurons where 337 are above 0.
    layer = {"input": {"shape": [24, 24, 16]}, "filters": {"count": 16, "size": 3},
             "padding": 1, "activation": "relu"}
    arrays = client.post("/api/forward", json=layer).json()
    xp = np.array(arrays["padded_input"], dtype=np.int64)  # (26, 26, 16)
    w = np.array(arrays["filters"], dtype=np.int64)  # (16, 3, 3, 16)
    b = np.array(arrays["bias"], dtype=np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(0, 1))  # (24,24,16,3,3)
    pre = np.einsum("ijdfg,kfgd->ijk", windows, w) + b
    assert (pre == 0).sum() > 100
    np.testing.assert_array_equal(np.array(arrays["output_pre"]), pre)
    db = client.post("/api/backward", json={"layer": layer, "upstream": {}}).json()["db"]
    np.testing.assert_array_equal(db, (pre > 0).sum(axis=(0, 1)))
