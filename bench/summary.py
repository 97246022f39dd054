"""One table of the newest results of every benchmark (for bench/README.md).

    python bench/summary.py

Reads bench/results/*.json; for each benchmark (and database) the newest file counts.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def newest() -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(RESULTS.glob("*-2*.json")):  # timestamped files, oldest first
        data = json.loads(path.read_text())
        settings = data.get("settings", {})
        database = "postgres" if settings.get("postgres") else "sqlite"
        data["_file"] = path.name
        found[(data["benchmark"], database)] = data
    return found


def ok(flag: bool) -> str:
    return "met" if flag else "**missed**"


def rows(found: dict[tuple[str, str], dict[str, Any]]) -> list[list[str]]:
    out = []
    ack = found.get(("ack_path", "sqlite"))
    if ack:
        s = ack["summary"]
        bare = s["bare"]
        for name in (n for n in s if n != "bare"):
            z = s[name]
            one = z.get("one_connection", {})
            out.append([
                f"ack path, {name.split('-', 1)[1]}",
                f"{z['rps']:.0f} req/s vs bare {bare['rps']:.0f}: ratio {z['ratio']:.2f}; p50 {z['p50_ms']:.0f} ms, "
                f"p99 {z['p99_ms']:.0f} ms at 16 connections (one connection: p50 {one.get('p50_ms', 0):.0f} ms, "
                f"p99 {one.get('p99_ms', 0):.0f} ms; bare {bare.get('one_connection', {}).get('p99_ms', 0):.0f} ms); "
                f"{z['cpu_ms_per_command']:.1f} ms CPU per command vs bare {bare['cpu_ms_per_command']:.1f}; "
                f"non-2xx {z['non_2xx']}",
                "ratio >= 0.8, p99 < 100 ms",
                f"ratio {ok(z['ratio_ok'])}, p99 {ok(z['p99_ok'])}",
            ])
    slow = found.get(("slow_zoom", "postgres")) or found.get(("slow_zoom", "sqlite"))
    if slow:
        for name, s in slow["summary"].items():
            out.append([
                f"slow Zoom, {name}",
                f"ack p50 {s['ack_p50_s']:.2f} s, max {s['ack_max_s']:.2f} s; list p50 {s['delivery_p50_s']:.2f} s, "
                f"p99 {s['delivery_p99_s']:.2f} s, max {s['delivery_max_s']:.2f} s "
                f"({s['deliveries_over_bar']} of {slow['settings']['users'] * slow['settings']['rounds']} lists at 2 s or more)",
                "every ack < 3 s, every list < 2 s",
                f"ack {ok(s['ack_ok'])}, lists {ok(s['delivery_ok'])}",
            ])
    for database in ("sqlite", "postgres"):
        digest = found.get(("digest_fanout", database))
        if digest:
            for size, s in digest["summary"].items():
                out.append([
                    f"digest fan-out, {int(size):,} users, {database}",
                    f"{s['rate']:.1f} digests/s ({s['rate_vs_ceiling']:.2f} of 50/s) over {s['seconds']:.0f} s in "
                    f"{s['job_runs']:.0f} minute run(s); {s['duplicates']} duplicates, {s['missed']} missed; "
                    f"peak RSS {s['peak_rss_mb']:.0f} MB; {s['cpu_ms_per_digest']:.1f} ms CPU per digest",
                    ">= 45/s, 0 dupes, 0 missed, < 250 MB",
                    f"rate {ok(s['rate'] >= 45)}, once {ok(s['duplicates'] == 0 and s['missed'] == 0)}, "
                    f"RSS {ok(s['peak_rss_mb'] < 250)}",
                ])
    for database in ("sqlite", "postgres"):
        sweep = found.get(("refresh_sweep", database))
        if sweep:
            for size, s in sweep["summary"].items():
                out.append([
                    f"refresh sweep, {int(size):,} grants, {database}",
                    f"{s['rate']:.1f} refreshes/s ({s['rate_vs_ceiling']:.2f} of 20/s) over {s['seconds']:.0f} s; "
                    f"{s['late']} late (tightest margin {s['min_margin_s']:.0f} s), {s['lost']} lost, "
                    f"{s['used_twice']} used twice; {s['sweeps']:.0f} sweep(s); {s['cpu_ms_per_refresh']:.1f} ms CPU "
                    f"per refresh; peak RSS {s['peak_rss_mb']:.0f} MB",
                    ">= 18/s, all in time, 0 lost, 0 twice",
                    f"rate {ok(s['rate'] >= 18)}, in time {ok(s['late'] == 0)}, lost {ok(s['lost'] == 0)}, "
                    f"twice {ok(s['used_twice'] == 0)}",
                ])
    for database in ("sqlite", "postgres"):
        foot = found.get(("footprint", database))
        if foot:
            for size, s in foot["summary"].items():
                out.append([
                    f"footprint, {int(size):,} grants, {database}",
                    f"healthy after {s['start_to_healthy_s']:.2f} s (slowest {s['max_start_to_healthy_s']:.2f} s); "
                    f"RSS master+worker {s['total_rss']:.0f} MB (worker {s['worker_rss']:.0f}, PSS of both "
                    f"{s['total_pss']:.0f})",
                    "RSS < 150 MB, start < 3 s",
                    f"RSS {ok(s['total_rss'] < 150)}, start {ok(s['start_to_healthy_s'] < 3)}",
                ])
    return out


def main() -> int:
    found = newest()
    if not found:
        print("no results yet in bench/results/")
        return 1
    print("| benchmark | measured (medians) | bar | verdict |")
    print("|---|---|---|---|")
    for row in rows(found):
        print("| " + " | ".join(row) + " |")
    print()
    print("From: " + ", ".join(sorted(d["_file"] for d in found.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
