"""Footprint: memory of an idle `python bot.py` with many grants stored, and time to healthy.

    python bench/footprint.py [--sizes 1000,10000] [--rounds 3] [--idle 15] [--postgres]

For each size a database is seeded once with N connected users (tokens valid for another
55 minutes, next digest tomorrow: nothing for the scheduler to do). Each round starts
`python bot.py` against the fakes and measures the time from the start of the process to the
first 200 from /healthz; then, while the bot sits idle for --idle seconds (its start-up refresh
sweep and scheduler included), samples the memory of gunicorn's master and its worker.
Sizes alternate within each round, so that both see the same machine.

Reported: resident memory (RSS) of the worker and of master + worker, and the proportional
set size (PSS) of both together, which counts the pages they share after the fork once.
Bars: master + worker RSS under 150 MB; start to healthy under 3 s.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from typing import Any

from common import (
    Fakes,
    bot_env,
    free_port,
    fresh_postgres_url,
    median,
    memory_of,
    prepare_database,
    scratch_dir,
    sqlite_url,
    start_bot,
    table,
    utc_now,
    verdict,
    write_results,
)

RSS_BAR_MB = 150.0
START_BAR_S = 3.0


def one_round(env: dict[str, str], workdir: Any, idle: float) -> dict[str, Any]:
    bot = start_bot(env, port=free_port(), workdir=workdir)
    try:
        healthy = bot.wait_healthy(timeout=60)
        peak = {"worker_rss": 0.0, "master_rss": 0.0, "tasks_rss": 0.0, "total_rss": 0.0, "total_pss": 0.0}
        end = time.monotonic() + idle
        while time.monotonic() < end:
            master, worker = memory_of(bot.process.pid), memory_of(bot.worker_pid())
            tasks = [memory_of(pid) for pid in bot.task_pids()]
            tasks_rss, tasks_pss = sum(t["rss"] for t in tasks), sum(t["pss"] for t in tasks)
            sample = {
                "worker_rss": worker["rss"], "master_rss": master["rss"], "tasks_rss": tasks_rss,
                "total_rss": worker["rss"] + master["rss"] + tasks_rss,
                "total_pss": worker["pss"] + master["pss"] + tasks_pss,
            }
            peak = {k: max(peak[k], sample[k]) for k in peak}
            time.sleep(0.5)
        return {"start_to_healthy_s": healthy, **peak}
    finally:
        bot.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=float, default=15.0, help="seconds of idling sampled per round")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the bot (e.g. DB_POOL_SIZE=16); repeatable")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    results: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes}
    with Fakes() as fakes:
        envs = {}
        next_index = 0
        for size in sizes:
            workdir = scratch_dir(f"footprint-{size}")
            url = fresh_postgres_url(database=f"zoombot_bench_{size}") if args.postgres else sqlite_url(workdir)
            users = fakes.call("add_users", start=next_index, count=size, tz="America/New_York")
            next_index += size
            now = utc_now()
            env = bot_env(fakes, database_url=url, extra=dict(e.split("=", 1) for e in args.env))
            prepare_database(env, users, now=now, expires_at=lambda _u: now + timedelta(minutes=55),
                             digest_at=lambda _u: now + timedelta(days=1))
            envs[size] = (env, workdir)
        for round_index in range(args.rounds):
            for size in sizes:
                env, workdir = envs[size]
                result = one_round(env, workdir, args.idle)
                results[size].append(result)
                print(f"{size} grants, round {round_index + 1}: healthy after {result['start_to_healthy_s']:.2f} s, "
                      f"RSS worker {result['worker_rss']:.0f} MB, task processes {result['tasks_rss']:.0f} MB, "
                      f"all {result['total_rss']:.0f} MB, "
                      f"PSS {result['total_pss']:.0f} MB", flush=True)

    rows, summary = [], {}
    for size, runs in results.items():
        s = {key: median(r[key] for r in runs) for key in runs[0]}
        s["max_total_rss"] = max(r["total_rss"] for r in runs)
        s["max_start_to_healthy_s"] = max(r["start_to_healthy_s"] for r in runs)
        s["ok"] = s["total_rss"] < RSS_BAR_MB and s["start_to_healthy_s"] < START_BAR_S
        summary[size] = s
        rows.append([f"{size:,}", s["start_to_healthy_s"], s["max_start_to_healthy_s"], s["worker_rss"],
                     s["master_rss"], s["tasks_rss"], s["total_rss"], s["total_pss"],
                     f"RSS {verdict(s['total_rss'] < RSS_BAR_MB)}, start {verdict(s['start_to_healthy_s'] < START_BAR_S)}"])
    print()
    print(f"Footprint of an idle python bot.py on {'postgres' if args.postgres else 'sqlite'} "
          f"(medians of {args.rounds} rounds; MB; seconds)")
    print(table(["grants", "start to healthy", "slowest start", "web worker RSS", "master RSS", "task process RSS",
                 "all processes RSS", "all processes PSS", "bars"], rows))
    path = write_results("footprint", {"settings": vars(args), "results": results, "summary": summary})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
