"""Answers under a slow Zoom: 200 users send `/zoom meetings` at once, Zoom takes 300 ms.

    python bench/slow_zoom.py [--rounds 3] [--users 200] [--zoom-delay 0.3] [--postgres]

`python bot.py` runs against the fakes; the fake Zoom answers every API call after 300 ms.
Each round, 200 sender threads (200 different connected users, new ones every round so that
no cache helps) wait at a barrier and then each POST one signed command. Measured per command:
the time to the HTTP answer (the ack), and the time from sending the command to the moment the
fake Slack received the meeting list at that command's response_url.

Bars: every ack under 3 s; every list delivered within 2 s of its command.
"""
from __future__ import annotations

import argparse
import http.client
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common import (
    Fakes,
    Profiler,
    bot_env,
    free_port,
    fresh_postgres_url,
    median,
    percentile,
    prepare_database,
    scratch_dir,
    signed_command,
    sqlite_url,
    start_bot,
    table,
    utc_now,
    verdict,
    wait_until,
    write_results,
)

ACK_BAR = 3.0
DELIVERY_BAR = 2.0


def send_all(url: str, commands: list[tuple[str, str, bytes]]) -> list[dict[str, Any]]:
    """POST every command from its own thread, all released at once."""
    host = urlsplit(url)
    barrier = threading.Barrier(len(commands))
    results: list[dict[str, Any]] = [{} for _ in commands]

    def send(index: int) -> None:
        ts, signature, body = commands[index]
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        try:
            conn.connect()
            barrier.wait(timeout=60)
            sent = time.time()
            conn.request("POST", "/slack/events", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
            })
            response = conn.getresponse()
            response.read()
            results[index] = {"sent": sent, "acked": time.time(), "status": response.status}
        except Exception as exc:  # noqa: BLE001 - counted as a failed ack
            results[index] = {"sent": time.time(), "acked": None, "status": None, "error": repr(exc)}
        finally:
            conn.close()

    threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(len(commands))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def one_round(url: str, fakes: Fakes, users: list[dict[str, Any]]) -> dict[str, Any]:
    response_urls = fakes.call("new_response_urls", count=len(users))
    commands = [signed_command(u["user_id"], r) for u, r in zip(users, response_urls)]
    results = send_all(url, commands)
    ids = [r.rsplit("/", 1)[-1] for r in response_urls]
    wait_until(lambda: all(fakes.call("response_arrivals", response_ids=ids).values()), timeout=30, interval=0.25)
    arrivals = fakes.call("response_arrivals", response_ids=ids)
    acks, deliveries = [], []
    for result, rid in zip(results, ids):
        acks.append(result["acked"] - result["sent"] if result.get("acked") else float("inf"))
        got = arrivals.get(rid) or []
        deliveries.append(got[0] - result["sent"] if got else float("inf"))
    return {
        "commands": len(users),
        "non_200": sum(1 for r in results if r.get("status") != 200),
        "ack_p50_s": percentile(acks, 50), "ack_p99_s": percentile(acks, 99), "ack_max_s": max(acks),
        "delivery_p50_s": percentile(deliveries, 50), "delivery_p99_s": percentile(deliveries, 99),
        "delivery_max_s": max(deliveries),
        "acks_over_bar": sum(1 for a in acks if a >= ACK_BAR),
        "deliveries_over_bar": sum(1 for d in deliveries if d >= DELIVERY_BAR),
        "undelivered": sum(1 for d in deliveries if d == float("inf")),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--zoom-delay", type=float, default=0.3)
    parser.add_argument("--postgres", action="store_true", help="also run the bot on PostgreSQL")
    parser.add_argument("--profile", type=Path, default=None,
                        help="record the bot's worker with py-spy during each round into this folder")
    parser.add_argument("--profile-mode", choices=("gil", "idle"), default="gil",
                        help="gil: samples holding the GIL (where the CPU goes); idle: every thread (where the time goes)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the bot (e.g. WORKER_THREADS=64); repeatable")
    args = parser.parse_args()

    workdir = scratch_dir("slow-zoom")
    runs: dict[str, list[dict[str, Any]]] = {}
    with Fakes() as fakes:
        total = args.users * (args.rounds + 1)  # fresh users every round, plus a warm-up
        users = fakes.call("add_users", start=0, count=total, tz="America/New_York")
        now = utc_now()
        databases = [("sqlite", sqlite_url(workdir))]
        if args.postgres:
            databases.append(("postgres", fresh_postgres_url()))
        for name, database_url in databases:
            env = bot_env(fakes, database_url=database_url, extra=dict(e.split("=", 1) for e in args.env))
            prepare_database(env, users, now=now, expires_at=lambda _u: now + timedelta(minutes=55))
            bot = start_bot(env, port=free_port(), workdir=workdir, name=f"zoombot-{name}")
            try:
                bot.wait_healthy()
                fakes.call("configure", zoom={"api_delay": args.zoom_delay})
                one_round(bot.url, fakes, users[: min(16, args.users)])  # warm-up: pools, auth.test
                runs[name] = []
                for round_index in range(args.rounds):
                    batch = users[args.users * (round_index + 1): args.users * (round_index + 2)]
                    profile = args.profile / f"{name}-round{round_index + 1}.txt" if args.profile else None
                    with Profiler(bot.worker_pid(), profile, gil=args.profile_mode == "gil", idle=args.profile_mode == "idle"):
                        result = one_round(bot.url, fakes, batch)
                    runs[name].append(result)
                    print(f"{name} round {round_index + 1}: ack max {result['ack_max_s']:.2f} s, "
                          f"delivery p50 {result['delivery_p50_s']:.2f} s, max {result['delivery_max_s']:.2f} s, "
                          f"over 2 s: {result['deliveries_over_bar']}", flush=True)
                    time.sleep(1)
            finally:
                fakes.call("configure", zoom={"api_delay": 0.0})
                bot.stop()

    rows = []
    summary = {}
    for name, results in runs.items():
        s = {
            "ack_p50_s": median(r["ack_p50_s"] for r in results),
            "ack_max_s": median(r["ack_max_s"] for r in results),
            "ack_worst_s": max(r["ack_max_s"] for r in results),
            "delivery_p50_s": median(r["delivery_p50_s"] for r in results),
            "delivery_p99_s": median(r["delivery_p99_s"] for r in results),
            "delivery_max_s": median(r["delivery_max_s"] for r in results),
            "delivery_worst_s": max(r["delivery_max_s"] for r in results),
            "non_200": sum(r["non_200"] for r in results),
            "deliveries_over_bar": sum(r["deliveries_over_bar"] for r in results),
            "undelivered": sum(r["undelivered"] for r in results),
        }
        s["ack_ok"] = s["ack_worst_s"] < ACK_BAR and s["non_200"] == 0
        s["delivery_ok"] = s["delivery_worst_s"] < DELIVERY_BAR
        summary[name] = s
        rows.append([f"zoombot-{name}", s["ack_p50_s"], s["ack_max_s"], s["delivery_p50_s"], s["delivery_p99_s"],
                     s["delivery_max_s"], f"{s['deliveries_over_bar']} of {args.users * len(results)}", s["non_200"],
                     f"ack {verdict(s['ack_ok'])}, lists {verdict(s['delivery_ok'])}"])
    print()
    print(f"Slow Zoom: {args.users} users at once, Zoom answers in {args.zoom_delay * 1000:.0f} ms, "
          f"{args.rounds} rounds (medians of per-round values; seconds)")
    print(table(["bot", "ack p50", "ack max", "list p50", "list p99", "list max", "lists over 2 s",
                 "non-200", "bars"], rows))
    path = write_results("slow_zoom", {"settings": vars(args), "runs": runs, "summary": summary})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
