"""The bench's reports: the capacity run's ladder, ratios and tables, and the growth table
(their measuring parts need gunicorn, Locust and the generated databases: bench/README.md)."""

from __future__ import annotations

from bench import capacity, growth


def step(users, rps, p95, cpu=10.0, failures=0):
    return {"users": users, "rps": rps, "p50_ms": p95 / 2, "p95_ms": p95, "failures": failures,
            "requests": int(rps * 15), "app_cpu_ms_per_request": cpu / 2, "db_cpu_ms_per_request": cpu / 2,
            "server_cpu_ms_per_request": cpu, "locust_cpu_share": 0.1,
            "per_page": {"queue": {"p50_ms": p95 / 2, "p95_ms": p95, "requests": int(rps * 6)}}}


def test_the_ladder_stops_when_more_load_only_queues():
    assert not capacity._saturated([step(1, 30, 50)])
    assert not capacity._saturated([step(1, 5, 450), step(2, 5, 900)])  # not yet two in flight a worker
    assert not capacity._saturated([step(1, 30, 50), step(2, 40, 150)])  # one step past the bound
    assert not capacity._saturated([step(1, 30, 50), step(2, 40, 150), step(4, 60, 190)])  # still gaining
    assert capacity._saturated([step(1, 30, 50), step(2, 40, 150), step(4, 41, 190)])
    assert capacity._saturated([step(1, 5, 450), step(2, 5, 900), step(4, 5, 1800)])  # far past it


def test_ratios_against_stock_and_previous():
    out = {"load_average_before": (1.0, 1.0, 1.0), "load_average_after": (2.0, 2.0, 2.0), "seconds_per_step": 15}
    for name, steps in ((capacity.OURS, [step(1, 40, 60, 8.0), step(2, 90, 95, 8.0), step(4, 100, 150, 8.0)]),
                        (capacity.PREVIOUS, [step(1, 20, 90, 20.0), step(2, 45, 140, 20.0)]),
                        (capacity.STOCK, [step(1, 5, 300, 100.0)])):
        out[name] = {"commit": "abc1234", "steps": steps, **capacity._best(steps)}
    out["ratios"] = capacity.ratios(out)

    assert out[capacity.OURS]["sustained_rps_at_p95_100ms"] == 90
    assert out["ratios"]["ours/stock"] == {"sustained_at_p95_100ms": None, "max_any_latency": 20.0,
                                           "cpu_per_request": 12.5}
    assert out["ratios"]["ours/previous"] == {"sustained_at_p95_100ms": 4.5, "max_any_latency": 2.2,
                                              "cpu_per_request": 2.5}
    table = capacity.markdown(out)
    assert "| ours/stock | — (none within the bound) | 20.0× | 12.5× | ≥ 20×: met |" in table
    assert "| ours/previous | 4.5× | 2.2× | 2.5× | ≥ 2×: met |" in table
    assert "| Flick Admin | 2 | 90 | 48 | 95 | 0 | 4.0 + 4.0 | 10% |" in table
    assert "| Flick Admin (4 in flight) | queue | 75 | 150 | 40% |" in table


def test_the_growth_table_gives_each_page_its_factor():
    measure = lambda db: {"p50_ms": db + 5, "p95_ms": db + 6, "db_ms": db, "statements": 2,  # noqa: E731
                          "html_kb": 40, "status": 200}
    rows = [{"page": "posts: first page", "small": measure(2.0), "full": measure(3.0), "growth": growth.growth(2.0, 3.0),
             "stock_small": measure(10.0), "stock_full": measure(500.0), "stock_growth": growth.growth(10.0, 500.0)},
            {"page": "overview", "small": measure(1.0), "full": measure(1.0), "growth": growth.growth(1.0, 1.0)}]
    table = growth.markdown(rows)
    assert "| posts: first page | 2.0 | 3.0 | 1.5× | 7.0 | 8.0 | 2 | 10.0 | 500.0 | 50.0× |" in table
    assert "| overview | 1.0 | 1.0 | 1.0× | 6.0 | 6.0 | 2 | — | — | — |" in table
    assert growth.growth(0.0, 3.0) is None
