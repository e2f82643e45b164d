"""The server's thread policy: engine threads from CONVSCOPE_ENGINE_THREADS, answers unchanged."""

from __future__ import annotations

import os

import numpy as np
import pytest
from api_helpers import ALEXNET, compact_to_array
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_info

from app.config import Settings
from app.main import create_app
from engine import threads
from engine.conv import forward
from engine.geometry import LayerShape
from engine.layer import build_layer


def blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


@pytest.mark.parametrize(("setting", "workers"), [(3, 3), (1, 1), (0, None)])
def test_building_the_app_turns_engine_threads_on(setting: int, workers: int | None) -> None:
    with threads.policy(None):
        create_app(Settings(engine_threads=setting))
        assert threads.engine_workers() == (workers or os.cpu_count())
        assert blas_threads() == {1}


def test_alexnet_forward_through_the_split_equals_one_blas_gemm() -> None:
    # The API's compact forward runs in float32 on the engine threads; the same layer through
    # one BLAS-threaded GEMM must give the same numbers to float32 rounding.
    layer = build_layer(LayerShape.square(227, 3, 96, 11, stride=4))
    with threads.policy(None):
        expected = forward(layer, np.float32).pre
    with threads.policy(2):
        answer = TestClient(create_app(Settings(engine_threads=2))).post(
            "/api/forward?encoding=compact", json=ALEXNET
        )
    assert answer.status_code == 200
    got = compact_to_array(answer.json()["output"])
    assert got.shape == (55, 55, 96)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)
