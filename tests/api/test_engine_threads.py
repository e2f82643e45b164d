"""The server's engine threads: its own workers while it runs, nothing process-wide otherwise."""

from __future__ import annotations

import os

import numpy as np
import pytest
from api_helpers import ALEXNET, compact_to_array
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_info

from app.config import Settings
from app.main import create_app
from engine.conv import forward
from engine.geometry import LayerShape
from engine.layer import build_layer
from engine.threads import Workers


def blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


@pytest.mark.parametrize(("setting", "count"), [(3, 3), (1, 1), (0, os.cpu_count())])
def test_a_running_app_owns_its_workers_and_runs_blas_single_threaded(
    setting: int, count: int
) -> None:
    before = blas_threads()
    app = create_app(Settings(engine_threads=setting))
    assert blas_threads() == before  # building the app changes nothing process-wide
    assert not hasattr(app.state, "engine_workers")
    with TestClient(app):
        workers = app.state.engine_workers
        assert isinstance(workers, Workers) and workers.count == count
        assert blas_threads() == {1}
    assert blas_threads() == before  # and stopping it puts BLAS back
    assert not hasattr(app.state, "engine_workers")


def test_alexnet_forward_through_the_running_app_equals_one_blas_gemm() -> None:
    # The API's compact forward runs in float32, split over the app's two workers; the same
    # layer through one BLAS-threaded GEMM must give the same numbers to float32 rounding.
    layer = build_layer(LayerShape.square(227, 3, 96, 11, stride=4))
    expected = forward(layer, np.float32).pre
    with TestClient(create_app(Settings(engine_threads=2))) as client:
        answer = client.post("/api/forward?encoding=compact", json=ALEXNET)
    assert answer.status_code == 200
    got = compact_to_array(answer.json()["output"])
    assert got.shape == (55, 55, 96)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)


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
