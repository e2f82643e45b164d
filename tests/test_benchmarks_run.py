"""The benchmarks still run against today's app: their figures are not asserted here (speed
lives in benchmarks/, not in tests), but an app change must not break them unseen, as
``check_budget`` gaining a parameter once broke ``bench_costs.py``'s recording of the
estimates."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from app.config import Settings
from app.costs import check_budget
from app.main import create_app
from benchmarks import bench_asgi, bench_costs

T = TypeVar("T")


def on_own_thread(run: Callable[[], T]) -> T:
    """``run()`` on a thread of its own: the benchmarks run event loops, and a worker that ran
    a browser test has Playwright's running on this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def test_bench_costs_records_the_estimate_each_request_was_priced_at() -> None:
    import app.convert

    demo, alexnet = on_own_thread(run_two_forwards)
    assert demo.estimate is not None and alexnet.estimate is not None
    # beyond what every request costs, AlexNet conv1's forward prices at least its 105,415,200
    # multiply-adds (the demo's are 486)
    assert alexnet.estimate - demo.estimate > 105_415_200
    assert demo.estimate > 0
    assert app.convert.check_budget is check_budget  # put back


def run_two_forwards() -> tuple[bench_costs.Case, bench_costs.Case]:
    """The demo's and AlexNet conv1's forwards through bench_costs' machinery."""
    app_ = create_app(Settings(max_work=10**15))
    estimates = bench_costs.Estimates()
    loop = asyncio.new_event_loop()
    try:
        state, stop = loop.run_until_complete(bench_costs.start(app_))
        demo = bench_costs.post("forward demo", "/api/forward", bench_costs.DEMO)
        alexnet = bench_costs.post("forward AlexNet", "/api/forward", bench_costs.ALEXNET)
        for case in (demo, alexnet):
            bench_costs.run_case(app_, loop, state, estimates, case, 1, 1.0)
            assert len(case.times) == 1 and case.times[0] > 0, case.name
        stop.set()
        loop.run_until_complete(asyncio.gather(*bench_costs._LIFESPAN))
    finally:
        bench_costs._LIFESPAN.clear()
        estimates.close()
        loop.close()
    return demo, alexnet


def test_bench_asgi_runs_every_case_through_the_app() -> None:
    cases = bench_asgi.cases()
    # a status other than 200 exits
    on_own_thread(lambda: asyncio.run(bench_asgi._run(cases, requests=5, rounds=1)))
    assert [case.name for case in cases] == list(bench_asgi.CASES)
    assert all(len(case.times) == 1 and case.times[0] > 0 for case in cases)
