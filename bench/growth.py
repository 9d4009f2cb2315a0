"""Does a page cost the same as Flick grows? Each page's database time on a small database
and on the full-scale one, side by side in one run, and the growth factor per page — for
Flick Admin and, where it has the page, for the stock Flask-Admin baseline.

    .venv/bin/python -m bench.generate --database-url postgresql://postgres@127.0.0.1/flick_bench_small \\
        --create --scale 0.02
    .venv/bin/python -m bench.growth --small postgresql://postgres@127.0.0.1/flick_bench_small \\
        --full postgresql://postgres@127.0.0.1/flick_bench

The pages are ``bench.run``'s (``--only`` picks some), with the deep pages at the same
absolute depth on both databases (``--depth``, 1,000 rows: the same page, a bigger Flick).
Each page is measured on the small database, then on the full one, page by page, so the
machine's drift touches both alike: the median database time (engine events: the wall
time around each statement) and whole-request time of ``--runs`` requests after a
warm-up, and the statement count. A growth factor near 1 is a page whose cost does not
depend on the size of the tables; the data grow 50× from 2 % to full scale. Results go to
``bench/results/growth.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime

from bench.harness import RESULTS, Probe, open_app
from bench.run import build_cases, measure

SMALL, FULL = "small", "full"


def _side(url: str) -> dict:
    from bench.baseline import create_baseline
    from flick_admin.extensions import db

    bench = open_app(url)
    baseline = create_baseline(url)
    with baseline.app_context():
        base_engines = list(db.engines.values())
    return {"bench": bench, "client": bench.client(), "probe": Probe(bench.engines),
            "baseline": baseline, "base_client": baseline.test_client(), "base_probe": Probe(base_engines)}


def growth(a: float | None, b: float | None) -> float | None:
    return round(b / a, 1) if a and b else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", default="postgresql://postgres@127.0.0.1:5432/flick_bench_small")
    parser.add_argument("--full", default="postgresql://postgres@127.0.0.1:5432/flick_bench")
    parser.add_argument("--runs", type=int, default=10, help="timed requests per Flick Admin page")
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--depth", type=int, default=1000, help="rows deep for the deep pages, on both")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--only", action="append", default=[], help="pages whose name contains this")
    args = parser.parse_args(argv)

    sides = {SMALL: _side(args.small), FULL: _side(args.full)}
    cases = {scale: {name: (our, base) for name, _kind, our, base in
                     build_cases(side["bench"].engine, side["baseline"], args.depth)}
             for scale, side in sides.items()}
    rows = []
    for name in cases[SMALL]:
        if args.only and not any(part in name for part in args.only):
            continue
        row = {"page": name}
        for scale, side in sides.items():
            our_url, base_url = cases[scale][name]
            row[scale] = asdict(measure(side["client"], side["probe"], our_url, args.runs))
            if base_url and not args.skip_baseline:
                row[f"stock_{scale}"] = asdict(measure(side["base_client"], side["base_probe"], base_url,
                                                args.baseline_runs))
        row["growth"] = growth(row[SMALL]["db_ms"], row[FULL]["db_ms"])
        if f"stock_{FULL}" in row:
            row["stock_growth"] = growth(row[f"stock_{SMALL}"]["db_ms"], row[f"stock_{FULL}"]["db_ms"])
        rows.append(row)
        print(_line(row), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "growth.json").write_text(json.dumps(
        {"when": datetime.now(UTC).isoformat(timespec="seconds"), "small": args.small, "full": args.full,
         "depth": args.depth, "rows": rows}, indent=2))
    print("\n" + markdown(rows))
    return 0


def _line(row: dict) -> str:
    s, f = row[SMALL], row[FULL]
    stock = (f" | stock db {row['stock_small']['db_ms']:7.1f} → {row['stock_full']['db_ms']:7.1f} ms "
             f"({_x(row.get('stock_growth'))})" if "stock_full" in row else "")
    return (f"{row['page']:<30} db {s['db_ms']:6.1f} → {f['db_ms']:6.1f} ms ({_x(row['growth'])}), "
            f"p50 {s['p50_ms']:6.1f} → {f['p50_ms']:6.1f} ms, sql {s['statements']}/{f['statements']}{stock}")


def _x(value: float | None) -> str:
    return f"{value}×" if value is not None else "—"


def markdown(rows: list[dict]) -> str:
    out = ["| page | db ms at 2 % | db ms full | growth | p50 ms at 2 % | p50 ms full | SQL | "
           "stock db ms at 2 % | stock db ms full | stock growth |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        s, f = r[SMALL], r[FULL]
        stock = (f"{r['stock_small']['db_ms']:.1f} | {r['stock_full']['db_ms']:.1f} | {_x(r.get('stock_growth'))}"
                 if "stock_full" in r else "— | — | —")
        out.append(f"| {r['page']} | {s['db_ms']:.1f} | {f['db_ms']:.1f} | {_x(r['growth'])} | "
                   f"{s['p50_ms']:.1f} | {f['p50_ms']:.1f} | {f['statements']} | {stock} |")
    grown = sorted((r for r in rows if r["growth"]), key=lambda r: r["growth"], reverse=True)
    if grown:
        median = grown[len(grown) // 2]["growth"]
        out.append(f"\nMedian growth {median}× (data 50×); grew most: "
                   + ", ".join(f"{r['page']} {r['growth']}×" for r in grown[:5]))
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
