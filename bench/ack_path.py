"""Ack path: how fast `python bot.py` answers signed `/zoom meetings` from connected users.

    python bench/ack_path.py [--rounds 3] [--duration 10] [--connections 16] [--no-postgres]

wrk sends pre-signed slash commands at 16 concurrent connections to three servers, one after
the other in each round (the order rotates): the bare Bolt app (bench/bare_app.py, the floor),
zoombot on SQLite and zoombot on PostgreSQL, all under the same gunicorn settings. The fakes
answer at once, so the background work of each command (users.info, the Zoom list, the post to
the response_url, in the bot's task process after the ack) costs only its own CPU; the next
run starts when that work has drained.

After each 16-connection run, a short run at one connection shows the latency of a single
command when nothing queues.

Bars: zoombot's throughput at least 0.8 of the bare app's in the same round, p99 under 100 ms
(both at 16 connections).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import (
    BENCH,
    Fakes,
    Profiler,
    ServerProcess,
    bot_env,
    cpu_seconds,
    machine_busy,
    free_port,
    fresh_postgres_url,
    median,
    prepare_database,
    scratch_dir,
    signed_command,
    sqlite_url,
    start_bare_app,
    start_bot,
    table,
    utc_now,
    verdict,
    write_results,
)

RATIO_BAR = 0.8
P99_BAR_MS = 100.0


def write_bodies(path: Path, fakes: Fakes, users: list[dict[str, Any]], count: int) -> None:
    """`count` freshly signed commands, each with its own response_url, users in turn."""
    urls = fakes.call("new_response_urls", count=count)
    with path.open("w") as out:
        for index, url in enumerate(urls):
            ts, signature, body = signed_command(users[index % len(users)]["user_id"], url)
            out.write(f"{ts}\t{signature}\t{body.decode()}\n")


def run_wrk(server: ServerProcess, fakes: Fakes, users: list[dict[str, Any]], args: argparse.Namespace,
            workdir: Path, *, duration: float, drain: bool, connections: int | None = None) -> dict[str, Any]:
    connections = connections or args.connections
    threads = min(args.threads, connections)
    bodies = workdir / "bodies.tsv"
    write_bodies(bodies, fakes, users, args.bodies)
    worker = server.worker_pid()
    tasks = server.task_pids()
    delivered_before = fakes.call("responses_delivered")
    cpu_before = cpu_seconds(worker)
    tasks_before = sum(cpu_seconds(pid) for pid in tasks)
    fakes_before = cpu_seconds(fakes.pid)
    busy_before, total_before = machine_busy()
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--timeout", "5s",
        "-s", str(BENCH / "slash_commands.lua"), server.url, "--", str(bodies), str(threads),
    ]
    profile = None
    if args.profile and not server.name.startswith("bare") and duration >= args.duration and connections == args.connections:
        profile = args.profile / f"{server.name}-{time.strftime('%H%M%S')}.txt"
    with Profiler(worker, profile, gil=True):
        finished = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
    load_ended = time.monotonic()
    cpu_during = cpu_seconds(worker) - cpu_before
    tasks_during = sum(cpu_seconds(pid) for pid in tasks) - tasks_before
    busy_after, total_after = machine_busy()
    fakes_during = cpu_seconds(fakes.pid) - fakes_before
    line = next((l for l in finished.stdout.splitlines() if l.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result (exit {finished.returncode}):\n{finished.stdout}\n{finished.stderr}")
    out = json.loads(line[len("BENCHJSON "):])
    delivered, drain_seconds = 0, 0.0
    if drain:  # let the background work of this run finish before the next run starts
        expected = delivered_before + out["requests"]
        last, stable_since, deadline = -1, time.monotonic(), time.monotonic() + 300
        while time.monotonic() < deadline:
            now_delivered = fakes.call("responses_delivered")
            if now_delivered != last:
                last, stable_since = now_delivered, time.monotonic()
                drain_seconds = stable_since - load_ended
            if now_delivered >= expected or time.monotonic() - stable_since > 10.0:
                break
            time.sleep(0.1)
        delivered = last - delivered_before
    cpu_total = cpu_seconds(worker) - cpu_before + sum(cpu_seconds(pid) for pid in tasks) - tasks_before
    requests = out["requests"]
    seconds = out["duration_us"] / 1e6
    return {
        "requests": requests,
        "rps": requests / seconds if seconds else 0.0,
        "p50_ms": out["latency_us"]["p50"] / 1000,
        "p90_ms": out["latency_us"]["p90"] / 1000,
        "p99_ms": out["latency_us"]["p99"] / 1000,
        "max_ms": out["latency_us"]["max"] / 1000,
        "non_2xx": out["non_2xx"],
        "socket_errors": out["connect_errors"] + out["read_errors"] + out["write_errors"] + out["timeouts"],
        "lists_delivered": delivered,
        # From the end of the load to the last list delivered: the work still queued then.
        "drain_seconds": drain_seconds,
        "cpu_ms_per_request_during_run": 1000 * cpu_during / requests if requests else 0.0,
        "web_cpu_ms_per_command": 1000 * cpu_during / requests if requests else 0.0,
        "cpu_ms_per_command_with_background": 1000 * cpu_total / requests if requests else 0.0,
        # Of the machine's 2 cores during the run: everything, the bot's worker, the fakes.
        "machine_busy_cores": (busy_after - busy_before) / (total_after - total_before) * (os.cpu_count() or 1),
        "bot_cores": cpu_during / seconds if seconds else 0.0,
        "task_cores": tasks_during / seconds if seconds else 0.0,
        "fakes_cores": fakes_during / seconds if seconds else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--light-duration", type=float, default=5.0,
                        help="seconds of a one-connection run per server and round, for the latency "
                             "of a single command when nothing queues (0: skip)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--users", type=int, default=64, help="connected users whose commands rotate")
    parser.add_argument("--bodies", type=int, default=20000, help="signed commands (response_urls) per run")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the bot (e.g. DB_POOL_SIZE=16); repeatable")
    parser.add_argument("--profile", type=Path, default=None,
                        help="record zoombot's worker with py-spy (samples holding the GIL) during each run into this folder")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("ack_path: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2

    workdir = scratch_dir("ack")
    servers: list[ServerProcess] = []
    with Fakes() as fakes:
        try:
            users = fakes.call("add_users", start=0, count=args.users, tz="America/New_York")
            now = utc_now()
            fresh = lambda _u: now + timedelta(minutes=55)  # noqa: E731 - no refresh during the run

            bare_env = bot_env(fakes, database_url="sqlite://")
            servers.append(start_bare_app(bare_env, port=free_port(), workdir=workdir))
            servers.append(start_bare_app(bare_env, port=free_port(), workdir=workdir, inline=True))
            targets = [("zoombot-sqlite", sqlite_url(workdir))]
            if not args.no_postgres:
                targets.append(("zoombot-postgres", fresh_postgres_url()))
            for name, url in targets:
                env = bot_env(fakes, database_url=url, extra=dict(e.split("=", 1) for e in args.env))
                prepare_database(env, users, now=now, expires_at=fresh)
                servers.append(start_bot(env, port=free_port(), workdir=workdir, name=name))
            for server in servers:
                server.wait_healthy()
                run_wrk(server, fakes, users, args, workdir, duration=2, drain=not server.name.startswith("bare"))  # warm-up

            runs: dict[str, list[dict[str, Any]]] = {s.name: [] for s in servers}
            light: dict[str, list[dict[str, Any]]] = {s.name: [] for s in servers}
            for round_index in range(args.rounds):
                order = servers[round_index % len(servers):] + servers[: round_index % len(servers)]
                for server in order:
                    result = run_wrk(server, fakes, users, args, workdir, duration=args.duration,
                                     drain=not server.name.startswith("bare"))
                    runs[server.name].append(result)
                    if args.light_duration > 0:
                        light[server.name].append(run_wrk(server, fakes, users, args, workdir, connections=1,
                                                          duration=args.light_duration, drain=not server.name.startswith("bare")))
                    print(f"round {round_index + 1} {server.name}: {result['rps']:.0f} req/s, "
                          f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                          f"non-2xx {result['non_2xx']}, lists delivered {result['lists_delivered']}; cores busy: "
                          f"machine {result['machine_busy_cores']:.2f}, bot web {result['bot_cores']:.2f}, "
                          f"bot tasks {result['task_cores']:.2f}, fakes {result['fakes_cores']:.2f}; "
                          f"last list {result['drain_seconds']:.1f} s after the load", flush=True)
        finally:
            for server in servers:
                server.stop()

    summary = summarize(runs)
    for name, results in light.items():
        if results:
            summary[name]["one_connection"] = {
                "rps": median(r["rps"] for r in results),
                "p50_ms": median(r["p50_ms"] for r in results),
                "p99_ms": median(r["p99_ms"] for r in results),
                "non_2xx": sum(r["non_2xx"] + r["socket_errors"] for r in results),
            }
    rows = []
    for name, s in summary.items():
        one = s.get("one_connection") or {}
        rows.append([
            name, s["rps"], s["p50_ms"], s["p99_ms"], s["non_2xx"] + one.get("non_2xx", 0),
            "-" if name.startswith("bare") else f"{s['lists_delivered']:,} of {s['requests']:,}",
            "-" if name.startswith("bare") else s["drain_seconds"],
            s["web_cpu_ms_per_command"], s["cpu_ms_per_command"], s["ratio"] if name != "bare" else "1 (floor)",
            s["ratio_vs_inline"],
            one.get("p50_ms", "-"), one.get("p99_ms", "-"),
            "-" if name.startswith("bare") else f"ratio {verdict(s['ratio_ok'])}, p99 {verdict(s['p99_ok'])}",
        ])
    print()
    print(f"Ack path: /zoom meetings, {args.connections} connections, {args.rounds} rounds of {args.duration:g} s "
          "(medians; ratio = median of per-round zoombot/bare)")
    print(table(["server", "req/s", "p50 ms", "p99 ms", "non-2xx (all runs)", "lists delivered (16 conn)",
                 "last list s after load", "ack CPU ms/cmd", "all CPU ms/cmd", "vs bare", "vs bare-inline", "1 conn p50 ms", "1 conn p99 ms", "bars (16 conn)"], rows))
    path = write_results("ack_path", {"settings": vars(args), "runs": runs, "one_connection_runs": light,
                                      "summary": summary})
    print(f"\nwrote {path}")
    return 0


def summarize(runs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    bare = runs["bare"]
    inline = runs.get("bare-inline") or bare
    summary = {}
    for name, results in runs.items():
        ratios = [r["rps"] / b["rps"] for r, b in zip(results, bare) if b["rps"]]
        inline_ratios = [r["rps"] / b["rps"] for r, b in zip(results, inline) if b["rps"]]
        p99 = median(r["p99_ms"] for r in results)
        ratio = median(ratios)
        summary[name] = {
            "rps": median(r["rps"] for r in results),
            "p50_ms": median(r["p50_ms"] for r in results),
            "p99_ms": p99,
            "non_2xx": sum(r["non_2xx"] + r["socket_errors"] for r in results),
            "lists_delivered": sum(r["lists_delivered"] for r in results),
            "requests": sum(r["requests"] for r in results),
            "drain_seconds": median(r.get("drain_seconds", 0.0) for r in results),
            "cpu_ms_per_command": median(r["cpu_ms_per_command_with_background"] for r in results),
            "web_cpu_ms_per_command": median(r.get("web_cpu_ms_per_command", 0.0) for r in results),
            "ratio": ratio,
            "ratios": ratios,
            "ratio_vs_inline": median(inline_ratios),
            "ratio_ok": ratio >= RATIO_BAR,
            "p99_ok": p99 < P99_BAR_MS,
        }
    return summary


if __name__ == "__main__":
    sys.exit(main())
