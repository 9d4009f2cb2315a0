"""What a new banned word would catch: the preview's time on a generated database.

    python -m bench.generate --create --scale 0.1 --database-url postgresql://postgres@127.0.0.1/flick_bench_words
    python -m bench.word_catch --database-url postgresql://postgres@127.0.0.1/flick_bench_words

The preview reads the newest 100,000 visible posts and the newest 100,000 visible comments
(each an index walk on "createdAt", so its cost does not grow with the tables), keeps the
newest 100,000 of both, and runs Flick's matcher over them. Reported: reading, matching and
the whole preview (median of ``--runs``), for a strict word, a normal word and a normal word
with a strict spelling; then the matcher alone on 100,000 non-ASCII texts (the exact, slower
walk), and ``flask words scan``'s pass over all content.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

WORDS = (("scam", True), ("idiot", False), ("trash talk", False), ("deadline", True))  # the last hits many texts


def _median(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/flick_bench")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    from flick_admin import create_app
    from flick_admin.colleges import catch, wordcheck
    from flick_admin.colleges.wordcheck import Word
    from flick_admin.extensions import db

    app = create_app({"DATABASE_URL": args.database_url, "FLICK_ADMIN_ENV": "testing", "SECRET_KEY": "bench"})
    out: dict[str, object] = {}
    with app.app_context(), db.engine.connect() as conn:
        read_s, texts = _median(lambda: list(catch.newest_texts(conn)), args.runs)
        out["read_newest_s"] = round(read_s, 3)
        out["texts"] = len(texts)
        for word, strict in WORDS:
            added = [Word(word, "severe", strict)]
            match_s, result = _median(lambda: catch.preview(conn, [], added, texts=texts), args.runs)
            whole_s, _ = _median(lambda: catch.preview(conn, [], added), args.runs)
            out[f"{word!r} strict={strict}"] = {"match_s": round(match_s, 3), "whole_preview_s": round(whole_s, 3),
                                                "would_block": result.would_block}
        odd = [("नमस्ते दोस्तों, " + t.text + " 😀") for t in texts[:100_000]]
        compiled = wordcheck.compile_words([Word("scam", "severe", True)])
        exact_s, _ = _median(lambda: [wordcheck.matches(t, compiled) for t in odd], 1)
        out["matcher_on_100k_non_ascii_s"] = round(exact_s, 3)
        started = time.perf_counter()
        total = catch.count_all(conn)
        full = catch.preview(conn, [], [Word("scam", "severe", True)], texts=catch.all_texts(conn))
        out["scan_all"] = {"texts": total, "seconds": round(time.perf_counter() - started, 2),
                           "would_block": full.would_block}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
