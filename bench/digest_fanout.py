"""Digest fan-out: thousands of connected users whose digest falls due in the same minute.

    python bench/digest_fanout.py [--sizes 1000,10000] [--rounds 3] [--large-rounds 1] [--postgres]

Each run seeds N connected users (each with one meeting today) whose next digest is due within
the last minute, then runs the bot's minute job (DigestService.run_due) in its own process
(bench/job_worker.py), every 60 s as the scheduler would, until nothing is due (a run goes on
past its minute while users are due). The fake Zoom answers each list in 50 ms; the fake Slack
takes at most 50 chat.postMessage per second and answers the rest 429 with Retry-After: 1; the
bot is not told that number (its pacer learns it from the 429s).

Bars: delivery rate at least 0.9 x 50/s, zero duplicates, zero missed, peak RSS under 250 MB.
The rate is digests delivered / (last delivery - start of the first run).
"""
from __future__ import annotations

import argparse
import collections
import random
import sys
import time
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from common import (
    Fakes,
    bot_env,
    fresh_postgres_url,
    median,
    prepare_database,
    run_job,
    scratch_dir,
    sqlite_url,
    table,
    utc_now,
    verdict,
    write_results,
)

CEILING = 50
RATE_BAR = 0.9 * CEILING
RSS_BAR_MB = 250.0
TZ = "America/New_York"


def one_run(fakes: Fakes, size: int, first_index: int, database: str, args: argparse.Namespace) -> dict[str, Any]:
    workdir = scratch_dir(f"digest-{size}")
    database_url = sqlite_url(workdir) if database == "sqlite" else fresh_postgres_url()
    now = utc_now()
    local = now.astimezone(ZoneInfo(TZ))
    meeting_at = local.replace(hour=12, minute=0, second=0, microsecond=0)
    users = fakes.call("add_users", start=first_index, count=size, tz=TZ, meeting_at=meeting_at)
    env = bot_env(fakes, database_url=database_url, extra=dict(e.split("=", 1) for e in args.env))
    rng = random.Random(size)
    prepare_database(
        env, users, now=now, tz=TZ,
        expires_at=lambda _u: now + timedelta(minutes=55),
        digest_at=lambda _u: now - timedelta(seconds=rng.uniform(0, 55)),  # all due in this minute
    )
    fakes.call("forget_history")
    fakes.call("configure", zoom={"api_delay": args.zoom_delay}, slack={"post_ceiling_per_second": CEILING})
    try:
        deadline = time.time() + size / (0.5 * CEILING) + 300
        report = run_job("digest", env, deadline=deadline, workdir=workdir)
    finally:
        fakes.call("configure", zoom={"api_delay": 0.0}, slack={"post_ceiling_per_second": None})
    arrivals = fakes.call("dm_arrivals")
    counters = fakes.call("counters")
    per_user = collections.Counter(channel for channel, _ in arrivals)
    expected = {u["user_id"] for u in users}
    times = sorted(t for _, t in arrivals)
    delivered = sum(1 for uid in expected if per_user[uid] >= 1)
    elapsed = (times[-1] - report["first_run_started"]) if times else float("inf")
    return {
        "users": size,
        "database": database,
        "delivered": delivered,
        "duplicates": sum(c - 1 for uid, c in per_user.items() if c > 1),
        "missed": len(expected) - delivered,
        "strays": sum(c for uid, c in per_user.items() if uid not in expected),
        "seconds": elapsed,
        "rate": delivered / elapsed if elapsed else 0.0,
        "steady_rate": (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0,
        "runs": len(report["runs"]),
        "slack_429s": counters["slack_rate_limited"],
        "zoom_calls": counters["zoom_api_calls"],
        "peak_rss_mb": report["peak_rss_mb"],
        "cpu_seconds": report["cpu_seconds"],
        "cpu_ms_per_digest": 1000 * report["cpu_seconds"] / max(1, delivered),
        "left_due": report["left"],
        "job_runs": report["runs"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--rounds", type=int, default=3, help="runs at each size but the largest")
    parser.add_argument("--large-rounds", type=int, default=1, help="runs at the largest size")
    parser.add_argument("--zoom-delay", type=float, default=0.05)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the bot (e.g. DB_POOL_SIZE=16); repeatable")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    database = "postgres" if args.postgres else "sqlite"

    results: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes}
    next_index = 0
    with Fakes() as fakes:
        for size in sizes:
            rounds = args.large_rounds if size == max(sizes) and len(sizes) > 1 else args.rounds
            for round_index in range(rounds):
                result = one_run(fakes, size, next_index, database, args)
                next_index += size
                results[size].append(result)
                print(f"{size} users, run {round_index + 1}: {result['rate']:.1f}/s over {result['seconds']:.0f} s, "
                      f"{result['duplicates']} duplicates, {result['missed']} missed, "
                      f"peak RSS {result['peak_rss_mb']:.0f} MB, {result['runs']} job runs, "
                      f"{result['slack_429s']} 429s, steady {result['steady_rate']:.1f}/s", flush=True)

    rows, summary = [], {}
    for size, runs in results.items():
        s = {
            "rate": median(r["rate"] for r in runs),
            "rate_vs_ceiling": median(r["rate"] for r in runs) / CEILING,
            "seconds": median(r["seconds"] for r in runs),
            "duplicates": sum(r["duplicates"] for r in runs),
            "missed": sum(r["missed"] for r in runs),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "cpu_ms_per_digest": median(r["cpu_ms_per_digest"] for r in runs),
            "job_runs": median(r["runs"] for r in runs),
            "slack_429s": median(r["slack_429s"] for r in runs),
            "runs": len(runs),
        }
        s["ok"] = s["rate"] >= RATE_BAR and s["duplicates"] == 0 and s["missed"] == 0 and s["peak_rss_mb"] < RSS_BAR_MB
        summary[size] = s
        rows.append([f"{size:,}", s["rate"], s["rate_vs_ceiling"], s["seconds"], s["duplicates"], s["missed"],
                     s["peak_rss_mb"], s["cpu_ms_per_digest"], s["slack_429s"], s["job_runs"], s["runs"],
                     f"rate {verdict(s['rate'] >= RATE_BAR)}, once {verdict(s['duplicates'] == 0 and s['missed'] == 0)}, "
                     f"RSS {verdict(s['peak_rss_mb'] < RSS_BAR_MB)}"])
    print()
    print(f"Digest fan-out on {database}: Slack ceiling {CEILING}/s, Zoom {args.zoom_delay * 1000:.0f} ms "
          "(medians over runs; RSS: the highest)")
    print(table(["users", "digests/s", "of ceiling", "seconds", "dupes", "missed", "peak RSS MB",
                 "CPU ms/digest", "429s", "job runs", "runs", "bars"], rows))
    path = write_results("digest_fanout", {"settings": vars(args), "results": results, "summary": summary})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
