"""Splitting over the caller's workers gives the notes' numbers, and the engine keeps no state.

Nothing here wraps the engine in a policy: a kernel splits exactly when it is handed a
:class:`engine.threads.Workers`, and the engine holds no pool, buffer or switch of its own.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import pkgutil
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from engine_helpers import random_layer
from threadpoolctl import threadpool_info, threadpool_limits

import engine
from engine import conv, threads, winograd, winograd_strided
from engine.backward import backward, backward_naive
from engine.conv import forward, forward_naive
from engine.geometry import LayerShape, Padding
from engine.layer import Connectivity, build_layer
from engine.tensors import Fill
from engine.threads import Workers

# Big enough to be split (>= threads.SPLIT_MULTIPLY_ADDS), small enough for the naive loops.
SPLIT_SHAPES = [
    LayerShape.square(31, 16, 24, 3, stride=1, padding=1),  # 16 tile rows (asked: Winograd)
    LayerShape.square(41, 8, 20, 5, stride=2),  # 19 rows
    LayerShape(
        35, 29, 6, 48, 7, 5, stride_h=3, stride_w=2, dilation_w=2,
        padding=Padding(2, 1, 0, 3), fit="floor",
    ),
    LayerShape(3, 64, 64, 96, 3, 3),  # one output row: fewer rows than threads
    # 31 rows of tap-major columns (conv.tap_major: 7 x 2 values per window row), dilated
    LayerShape(40, 36, 2, 12, 7, 7, dilation_h=2, padding=Padding(2, 1, 1, 2), fit="floor"),
]
COUNTS = [None, 1, 2, 3]  # None: no workers (one GEMM BLAS threads); n: Workers(n)


@pytest.fixture
def workers(request: pytest.FixtureRequest) -> Iterator[Workers | None]:
    count: int | None = request.param
    if count is None:
        yield None
        return
    with Workers(count) as pool:
        yield pool


def blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


@pytest.mark.parametrize("minimal", [False, True])
@pytest.mark.parametrize("workers", COUNTS, indirect=True)
@pytest.mark.parametrize("index", range(len(SPLIT_SHAPES)))
def test_forward_equals_the_notes_loops_with_and_without_workers(
    workers: Workers | None, index: int, minimal: bool
) -> None:
    shape = SPLIT_SHAPES[index]
    layer = random_layer(shape, seed=40 + index, seed_step=1)
    assert layer.geometry.counts.multiply_adds >= threads.SPLIT_MULTIPLY_ADDS
    expected = forward_naive(layer).pre
    got64 = forward(layer, workers=workers, winograd=minimal).pre
    got32 = forward(layer, np.float32, workers, winograd=minimal).pre
    np.testing.assert_allclose(got64, expected, rtol=1e-10, atol=1e-10)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("workers", COUNTS, indirect=True)
@pytest.mark.parametrize("connectivity", ["shared", "local"])
def test_backward_equals_the_notes_loops_with_and_without_workers(
    workers: Workers | None, connectivity: Connectivity
) -> None:
    # ReLU, so the gradient is gated by the forward kernel's own (possibly split) output.
    layer = random_layer(SPLIT_SHAPES[1], seed=3, connectivity=connectivity, activation="relu")
    assert threads.worth_splitting(layer.geometry.counts.multiply_adds)
    upstream = np.random.default_rng(5).standard_normal(layer.geometry.output_shape)
    expected = backward_naive(layer, upstream)
    got = backward(layer, upstream, workers)
    for name in ("dx", "dw", "db"):
        np.testing.assert_allclose(
            getattr(got, name), getattr(expected, name), rtol=1e-9, atol=1e-9, err_msg=name
        )


@pytest.mark.parametrize("index", [2, 4])  # columns position by position, tap by tap
@pytest.mark.parametrize("band_bytes", [1, 3000, 10**9])
def test_bands_of_any_height_cover_every_row_once(
    monkeypatch: pytest.MonkeyPatch, band_bytes: int, index: int
) -> None:
    # One byte makes every band one row; 3000 bytes a few rows with a ragged last band;
    # 10**9 one band per thread.
    monkeypatch.setattr(conv, "BAND_BYTES", band_bytes)
    monkeypatch.setattr(conv, "TAP_MAJOR_BAND_BYTES", band_bytes)
    layer = random_layer(SPLIT_SHAPES[index], seed=7, seed_step=1)
    assert not winograd.fits(layer.geometry) and not winograd_strided.fits(layer.geometry)
    assert conv.tap_major(layer.geometry) == (index == 4)
    with Workers(2) as workers:
        got = forward(layer, workers=workers).pre
    np.testing.assert_allclose(got, forward_naive(layer).pre, rtol=1e-10, atol=1e-10)


class RecordingWorkers(Workers):
    """Workers that note, per call of ``run``, the parts and the thread each ran on."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.calls: list[list[tuple[Any, str]]] = []

    def run(  # type: ignore[override]
        self, work: Callable[[Any], Any], parts: Sequence[Any], *, multiply_adds: int | None = None
    ) -> list[Any]:
        ran: list[tuple[Any, str]] = []
        self.calls.append(ran)

        def noted(part: Any) -> Any:
            ran.append((part, threading.current_thread().name))
            return work(part)

        return super().run(noted, parts, multiply_adds=multiply_adds)


def test_large_layers_run_on_two_threads_and_small_ones_on_the_caller() -> None:
    with RecordingWorkers(2) as workers:
        forward(random_layer(SPLIT_SHAPES[2]), workers=workers)  # im2col: bands shared out
        # strided Winograd: 10 + 9 rows
        forward(random_layer(SPLIT_SHAPES[1]), workers=workers, winograd=True)
        forward(random_layer(LayerShape.square(7, 3, 2, 3, stride=2, padding=1)), workers=workers)
    shared, split = workers.calls  # the CS231n demo layer never reached run: one thread
    caller = threading.current_thread().name
    for ran in (shared, split):
        assert {name for _, name in ran} == {caller, "convscope-engine_0"}
    assert sorted(part for part, _ in split) == [(0, 10), (10, 19)]


def test_run_runs_every_part_and_reraises_after_all_finish() -> None:
    finished: list[int] = []
    lock = threading.Lock()

    def work(part: int) -> None:
        if part == 1:
            raise ValueError("part 1 failed")
        with lock:
            finished.append(part)

    with Workers(3) as workers, pytest.raises(ValueError, match="part 1 failed"):
        workers.run(work, [0, 1, 2, 3])
    assert sorted(finished) == [0, 2, 3]


def test_share_hands_every_part_to_one_thread_and_reraises_after_all_stop() -> None:
    taken: list[tuple[int, str]] = []
    lock = threading.Lock()

    def drain(parts: Iterator[int]) -> None:
        for part in parts:
            with lock:
                taken.append((part, threading.current_thread().name))
            if part == 7:
                raise ValueError("part 7 failed")

    with Workers(3) as workers, pytest.raises(ValueError, match="part 7 failed"):
        workers.share(drain, list(range(40)))
    # The thread that failed stopped drawing; the others drew the rest: each part once.
    assert sorted(part for part, _ in taken) == list(range(40))
    assert {name for _, name in taken} <= {
        threading.current_thread().name, "convscope-engine_0", "convscope-engine_1"
    }
    with Workers(2) as workers:  # a small job: every part on the caller
        taken.clear()
        workers.share(drain, [1, 2, 3], multiply_adds=10)
    assert taken == [(p, threading.current_thread().name) for p in (1, 2, 3)]


@pytest.mark.parametrize("count", [1, 2, 5, 55, 224])
@pytest.mark.parametrize("parts", [1, 2, 3, 8])
def test_split_evenly_tiles_the_range_in_near_equal_spans(count: int, parts: int) -> None:
    spans = threads.split_evenly(count, parts)
    assert spans[0][0] == 0 and spans[-1][1] == count
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    sizes = [b - a for a, b in spans]
    assert len(spans) == min(count, parts)
    assert max(sizes) - min(sizes) <= 1


def test_fewer_than_one_worker_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Workers(0)


def test_each_thread_keeps_its_own_scratch_and_large_requests_are_not_kept() -> None:
    small = (4, 5, 6)
    f64 = np.dtype(np.float64)
    with Workers(2, scratch_bytes=4 * 5 * 6 * 8) as workers:
        first = workers.scratch(small, f64)
        again = workers.scratch(small, np.dtype(np.float32))  # same bytes, viewed as float32
        assert np.shares_memory(first, again)
        assert again.shape == small and again.dtype == np.float32
        huge = workers.scratch((5, 5, 6), f64)  # over scratch_bytes: fresh
        assert not np.shares_memory(huge, workers.scratch(small, f64))
        elsewhere: list[np.ndarray] = []
        other = threading.Thread(target=lambda: elsewhere.append(workers.scratch(small, f64)))
        other.start()
        other.join()
        assert not np.shares_memory(elsewhere[0], first)  # another thread has its own
    with Workers(1) as others:  # and another Workers has its own too
        assert not np.shares_memory(others.scratch(small, f64), first)


def engine_modules() -> list[Any]:
    return [
        importlib.import_module(f"engine.{info.name}")
        for info in pkgutil.iter_modules(engine.__path__)
    ]


def test_the_engine_keeps_no_pool_buffer_or_switch_between_calls() -> None:
    # Module-level state would be shared by every caller of the process; the engine holds
    # none: no `global` rebinding, no pool, thread-local, lock or writable array at module
    # level (constants such as PRESETS are built once and only read).
    stateful = (Executor, threading.Thread, type(threading.local()), type(threading.Lock()))
    modules = engine_modules()
    assert {"engine.conv", "engine.threads", "engine.backward"} <= {m.__name__ for m in modules}
    for module in modules:
        tree = ast.parse(Path(module.__file__).read_text())
        rebinds = [node for node in ast.walk(tree) if isinstance(node, ast.Global)]
        assert not rebinds, f"{module.__name__} rebinds module globals"
        for name, value in vars(module).items():
            assert not isinstance(value, stateful), f"{module.__name__}.{name}"
            if isinstance(value, np.ndarray):
                assert not value.flags.writeable, f"{module.__name__}.{name} is a writable array"


def test_the_engine_leaves_blas_as_it_found_it() -> None:
    before = blas_threads()
    layer = random_layer(SPLIT_SHAPES[0])
    forward(layer)
    with Workers(2) as workers:
        forward(layer, workers=workers)
        backward(layer, np.ones(layer.geometry.output_shape), workers)
    assert blas_threads() == before


@pytest.mark.parametrize("minimal", [False, True])
def test_a_repeated_alexnet_forward_reuses_each_threads_scratch(
    monkeypatch: pytest.MonkeyPatch, minimal: bool
) -> None:
    # Column bands allocated afresh on a pool thread were handed back to the OS after each
    # call and faulted in again on the next (~650 minor page faults per AlexNet conv1 forward,
    # benchmarks/bench_faults.py). Each thread's scratch keeps them: once a forward has run,
    # the next asks for scratch on every thread and gets the memory it had.
    asked: list[tuple[int, bool]] = []  # (thread, whether the thread's buffer was kept)
    real = Workers.scratch

    def watched(self: Workers, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Any:
        before = getattr(self._local, "buffer", None)
        array = real(self, shape, dtype)
        after = getattr(self._local, "buffer", None)
        asked.append((threading.get_ident(), before is not None and after is before
                      and np.shares_memory(array, after)))
        return array

    monkeypatch.setattr(Workers, "scratch", watched)
    normal = Fill("normal", seed=0)  # not whole numbers, so Winograd takes it when asked
    layer = build_layer(LayerShape.square(227, 3, 96, 11, stride=4), input_fill=normal,
                        weight_fill=normal)
    with threadpool_limits(1, "blas"), Workers(2) as workers:
        first = forward(layer, np.float32, workers, winograd=minimal).post
        asked.clear()
        again = forward(layer, np.float32, workers, winograd=minimal).post
    assert len({thread for thread, _ in asked}) == 2  # both threads worked
    assert all(kept for _, kept in asked), asked
    np.testing.assert_array_equal(first, again)


def test_concurrent_callers_each_get_their_own_layer_back() -> None:
    # As in the server: several request threads share one Workers (each thread with its own
    # scratch). Every caller must get exactly its own layer's output.
    layers = [random_layer(SPLIT_SHAPES[i % 3], seed=60 + i, seed_step=1) for i in range(6)]
    expected = [forward_naive(layer).pre for layer in layers]
    got: dict[int, np.ndarray] = {}
    start = threading.Barrier(len(layers))

    with Workers(2) as workers:

        def call(index: int) -> None:
            start.wait()
            for _ in range(5):
                got[index] = forward(layers[index], workers=workers).pre

        callers = [threading.Thread(target=call, args=(i,)) for i in range(len(layers))]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join()
    for index, want in enumerate(expected):
        np.testing.assert_allclose(got[index], want, rtol=1e-10, atol=1e-10)
