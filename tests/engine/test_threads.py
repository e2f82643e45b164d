"""Engine threads: the row split gives the notes' numbers under every policy, and BLAS obeys it.

The app turns engine threads on when it is built, so these tests pin the policy they test
with ``threads.policy`` (which restores whatever was in force before).
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import random_layer
from threadpoolctl import threadpool_info

from engine import conv, threads
from engine.backward import backward, backward_naive
from engine.conv import forward, forward_naive
from engine.geometry import LayerShape, Padding
from engine.layer import Connectivity

# Big enough to be split (>= threads.SPLIT_MULTIPLY_ADDS), small enough for the naive loops.
SPLIT_SHAPES = [
    LayerShape.square(31, 16, 24, 3, stride=1, padding=1),  # 31 rows over 2 or 3 threads
    LayerShape.square(41, 8, 20, 5, stride=2),  # 19 rows
    LayerShape(
        35, 29, 6, 48, 7, 5, stride_h=3, stride_w=2, dilation_w=2,
        padding=Padding(2, 1, 0, 3), fit="floor",
    ),
    LayerShape(3, 64, 64, 96, 3, 3),  # one output row: fewer rows than threads
]
POLICIES = [None, 1, 2, 3]  # None: BLAS threads; n: engine threads over n threads
ROOT = Path(__file__).resolve().parents[2]  # the checkout, so the subprocess imports engine


def blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


@pytest.mark.parametrize("workers", POLICIES)
@pytest.mark.parametrize("index", range(len(SPLIT_SHAPES)))
def test_forward_equals_the_notes_loops_under_every_policy(workers: int | None, index: int) -> None:
    shape = SPLIT_SHAPES[index]
    layer = random_layer(shape, seed=40 + index, seed_step=1)
    assert layer.geometry.counts.multiply_adds >= threads.SPLIT_MULTIPLY_ADDS
    expected = forward_naive(layer).pre
    with threads.policy(workers):
        got64 = forward(layer).pre
        got32 = forward(layer, np.float32).pre
    np.testing.assert_allclose(got64, expected, rtol=1e-10, atol=1e-10)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("workers", POLICIES)
@pytest.mark.parametrize("connectivity", ["shared", "local"])
def test_backward_equals_the_notes_loops_under_every_policy(
    workers: int | None, connectivity: Connectivity
) -> None:
    # ReLU, so the gradient is gated by the forward kernel's own (possibly split) output.
    layer = random_layer(SPLIT_SHAPES[1], seed=3, connectivity=connectivity, activation="relu")
    assert threads.worth_splitting(layer.geometry.counts.multiply_adds)
    upstream = np.random.default_rng(5).standard_normal(layer.geometry.output_shape)
    expected = backward_naive(layer, upstream)
    with threads.policy(workers):
        got = backward(layer, upstream)
    for name in ("dx", "dw", "db"):
        np.testing.assert_allclose(
            getattr(got, name), getattr(expected, name), rtol=1e-9, atol=1e-9, err_msg=name
        )


@pytest.mark.parametrize("band_bytes", [1, 3000, 10**9])
def test_bands_of_any_height_cover_every_row_once(
    monkeypatch: pytest.MonkeyPatch, band_bytes: int
) -> None:
    # BAND_BYTES=1 makes every band one row; 3000 bytes a few rows with a ragged last band;
    # 10**9 one band per thread.
    monkeypatch.setattr(conv, "BAND_BYTES", band_bytes)
    layer = random_layer(SPLIT_SHAPES[1], seed=7, seed_step=1)
    with threads.policy(2):
        got = forward(layer).pre
    np.testing.assert_allclose(got, forward_naive(layer).pre, rtol=1e-10, atol=1e-10)


def test_engine_threads_make_blas_single_threaded_and_blas_threads_restore_it() -> None:
    with threads.policy(None):
        original = blas_threads()
        with threads.policy(2):
            assert blas_threads() == {1}
            assert threads.engine_workers() == 2
        assert blas_threads() == original
        assert threads.engine_workers() == 1


def test_large_layers_run_on_the_pool_and_small_ones_on_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[list[tuple[int, int]]] = []
    real = threads.run_parts

    def spy(work, parts):  # type: ignore[no-untyped-def]
        seen.append(list(parts))
        return real(work, parts)

    monkeypatch.setattr(threads, "run_parts", spy)
    with threads.policy(2):
        forward(random_layer(SPLIT_SHAPES[0]))
        forward(random_layer(LayerShape.square(7, 3, 2, 3, stride=2, padding=1)))
    assert seen == [[(0, 16), (16, 31)]]  # the CS231n demo layer was not split


def test_run_parts_runs_every_part_and_reraises_after_all_finish() -> None:
    finished: list[int] = []
    lock = threading.Lock()

    def work(part: int) -> None:
        if part == 1:
            raise ValueError("part 1 failed")
        with lock:
            finished.append(part)

    with threads.policy(3), pytest.raises(ValueError, match="part 1 failed"):
        threads.run_parts(work, [0, 1, 2, 3])
    assert sorted(finished) == [0, 2, 3]


@pytest.mark.parametrize("count", [1, 2, 5, 55, 224])
@pytest.mark.parametrize("parts", [1, 2, 3, 8])
def test_split_evenly_tiles_the_range_in_near_equal_spans(count: int, parts: int) -> None:
    spans = threads.split_evenly(count, parts)
    assert spans[0][0] == 0 and spans[-1][1] == count
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    sizes = [b - a for a, b in spans]
    assert len(spans) == min(count, parts)
    assert max(sizes) - min(sizes) <= 1


def test_workers_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        threads.use_engine_threads(0)


def test_each_thread_keeps_one_column_buffer_and_large_ones_are_not_kept() -> None:
    small = (4, 5, 6)
    first = conv._column_buffer(small, np.dtype(np.float64))
    again = conv._column_buffer(small, np.dtype(np.float32))  # same bytes, viewed as float32
    assert np.shares_memory(first, again)
    assert again.shape == small and again.dtype == np.float32
    rows = conv.WORKSPACE_BYTES // (5 * 6 * 8) + 1
    huge = conv._column_buffer((rows, 5, 6), np.dtype(np.float64))  # over the limit: fresh
    assert not np.shares_memory(huge, conv._column_buffer(small, np.dtype(np.float64)))
    elsewhere: list[np.ndarray] = []
    worker = threading.Thread(
        target=lambda: elsewhere.append(conv._column_buffer(small, np.dtype(np.float64)))
    )
    worker.start()
    worker.join()
    assert not np.shares_memory(elsewhere[0], first)  # another thread has its own


FAULTS_PER_FORWARD = """
import resource, numpy as np
from engine import threads
from engine.conv import forward
from engine.layer import build_layer
from engine.geometry import LayerShape
layer = build_layer(LayerShape.square(227, 3, 96, 11, stride=4))
threads.use_engine_threads(2)
for _ in range(3):
    forward(layer, np.float32)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    forward(layer, np.float32)
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


def test_a_repeated_alexnet_forward_does_not_fault_its_memory_in_again() -> None:
    # Freshly allocated column buffers were handed back to the OS between calls and faulted
    # in again on every call (~540-725 minor page faults per AlexNet conv1 forward). Whether
    # that happens depends on the heap's history, so it is measured in a fresh interpreter.
    pytest.importorskip("resource")  # POSIX; CI runs Linux
    ran = subprocess.run(
        [sys.executable, "-c", FAULTS_PER_FORWARD],
        capture_output=True, text=True, check=True, timeout=120, cwd=ROOT,
    )
    assert float(ran.stdout) < 100


def test_concurrent_callers_each_get_their_own_layer_back() -> None:
    # As in the server: several request threads share the engine's pool (and each has its own
    # column buffer). Every caller must get exactly its own layer's output.
    layers = [random_layer(SPLIT_SHAPES[i % 3], seed=60 + i, seed_step=1) for i in range(6)]
    expected = [forward_naive(layer).pre for layer in layers]
    got: dict[int, np.ndarray] = {}
    start = threading.Barrier(len(layers))

    def call(index: int) -> None:
        start.wait()
        for _ in range(5):
            got[index] = forward(layers[index]).pre

    with threads.policy(2):
        callers = [threading.Thread(target=call, args=(i,)) for i in range(len(layers))]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join()
    for index, want in enumerate(expected):
        np.testing.assert_allclose(got[index], want, rtol=1e-10, atol=1e-10)
