"""Refresh sweep: thousands of Zoom grants expiring within the sweep window, Zoom at 20 token calls/s.

    python bench/refresh_sweep.py [--sizes 1000,10000] [--rounds 3] [--large-rounds 1] [--postgres]

Each run seeds N connected users whose access tokens expire evenly spread from 1 to 10 minutes
from now (all inside the 10-minute sweep window), then runs the bot's refresh sweep
(RefreshSweep.run) in its own process (bench/job_worker.py), every 4 minutes as the scheduler
would, until no grant is left to renew. The fake Zoom accepts 20 /oauth/token calls per second
and answers the others 429 with Retry-After: 1 (a 429 does not consume the refresh token); the
bot is not told that number (its pacer learns it from the 429s).

Checked afterwards, against the fake Zoom's own records:
  refreshed in time  the grant's first successful refresh came before its old token expired
  rate               successful refreshes / (last success - start of the first sweep)
  lost               grants not active any more, or whose stored refresh token is not the one
                     Zoom would accept next
  used twice         refresh tokens Zoom saw again after they had been used (each kills a grant)

Bars: all refreshed in time, rate at least 0.9 x 20/s, zero lost, zero used twice.
"""
from __future__ import annotations

import argparse
import collections
import sys
import time
from datetime import timedelta
from typing import Any

from common import (
    ENCRYPTION_KEY,
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

CEILING = 20
RATE_BAR = 0.9 * CEILING
FIRST_EXPIRY = timedelta(minutes=1)
LAST_EXPIRY = timedelta(minutes=10)


def stored_grants(database_url: str) -> dict[str, tuple[str, str | None]]:
    """email -> (status, decrypted refresh token) as the bot left them."""
    from sqlalchemy import create_engine, select

    from storage.crypto import TokenCipher
    from storage.models import ZoomGrant

    cipher = TokenCipher([ENCRYPTION_KEY])
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(ZoomGrant.zoom_email, ZoomGrant.status, ZoomGrant.refresh_token_enc))
            return {email: (status, cipher.decrypt(enc) if enc else None) for email, status, enc in rows}
    finally:
        engine.dispose()


def one_run(fakes: Fakes, size: int, first_index: int, database: str, args: argparse.Namespace) -> dict[str, Any]:
    workdir = scratch_dir(f"refresh-{size}")
    database_url = sqlite_url(workdir) if database == "sqlite" else fresh_postgres_url()
    users = fakes.call("add_users", start=first_index, count=size, tz="America/New_York")
    now = utc_now()
    spread = (LAST_EXPIRY - FIRST_EXPIRY) / size
    expiry = {u["email"]: now + FIRST_EXPIRY + spread * n for n, u in enumerate(users)}
    env = bot_env(fakes, database_url=database_url, extra=dict(e.split("=", 1) for e in args.env))
    prepare_database(env, users, now=now, expires_at=lambda u: expiry[u["email"]])
    fakes.call("forget_history")
    fakes.call("configure", zoom={"token_ceiling_per_second": CEILING})
    try:
        deadline = (now + LAST_EXPIRY).timestamp() + 60  # past that, every old token has expired
        report = run_job("refresh", env, deadline=deadline, workdir=workdir)
    finally:
        fakes.call("configure", zoom={"token_ceiling_per_second": None})

    log = fakes.call("refresh_log")
    counters = fakes.call("counters")
    current = fakes.call("current_refresh_tokens")
    stored = stored_grants(database_url)
    first_ok: dict[str, float] = {}
    oks = collections.Counter()
    outcomes = collections.Counter(outcome for _, _, outcome in log)
    for when, email, outcome in log:
        if outcome == "ok":
            oks[email] += 1
            first_ok.setdefault(email, when)
    emails = [u["email"] for u in users]
    late = sum(1 for e in emails if e not in first_ok or first_ok[e] >= expiry[e].timestamp())
    lost = sum(1 for e in emails if stored.get(e, ("gone", None))[0] != "active" or stored[e][1] != current.get(e))
    ok_times = sorted(first_ok.values())
    elapsed = (ok_times[-1] - report["first_run_started"]) if ok_times else float("inf")
    # How much sooner than needed the last grant was renewed (negative: after it expired).
    margins = [expiry[e].timestamp() - first_ok[e] for e in emails if e in first_ok]
    return {
        "grants": size,
        "database": database,
        "refreshed": len(first_ok),
        "late": late,
        "lost": lost,
        "used_twice": outcomes["reused"],
        "refused": outcomes["refused"] + outcomes["unknown"],
        "refreshed_more_than_once": sum(1 for c in oks.values() if c > 1),
        "seconds": elapsed,
        "rate": len(first_ok) / elapsed if elapsed else 0.0,
        "zoom_429s": counters["zoom_rate_limited"],
        "token_calls": counters["zoom_token_calls"],
        "min_margin_s": min(margins) if margins else 0.0,
        "sweeps": len(report["runs"]),
        "postponed": sum(r.get("postponed", 0) for r in report["runs"]),
        "peak_rss_mb": report["peak_rss_mb"],
        "cpu_seconds": report["cpu_seconds"],
        "cpu_ms_per_refresh": 1000 * report["cpu_seconds"] / max(1, len(first_ok)),
        "job_runs": report["runs"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--rounds", type=int, default=3, help="runs at each size but the largest")
    parser.add_argument("--large-rounds", type=int, default=1, help="runs at the largest size")
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
                print(f"{size} grants, run {round_index + 1}: {result['rate']:.1f}/s over {result['seconds']:.0f} s, "
                      f"{result['late']} late, {result['lost']} lost, {result['used_twice']} used twice, "
                      f"{result['sweeps']} sweeps, {result['postponed']} postponed, "
                      f"tightest margin {result['min_margin_s']:.0f} s, {result['zoom_429s']} 429s", flush=True)
                time.sleep(2)

    rows, summary = [], {}
    for size, runs in results.items():
        s = {
            "rate": median(r["rate"] for r in runs),
            "rate_vs_ceiling": median(r["rate"] for r in runs) / CEILING,
            "seconds": median(r["seconds"] for r in runs),
            "late": sum(r["late"] for r in runs),
            "lost": sum(r["lost"] for r in runs),
            "used_twice": sum(r["used_twice"] for r in runs),
            "min_margin_s": min(r["min_margin_s"] for r in runs),
            "zoom_429s": median(r["zoom_429s"] for r in runs),
            "sweeps": median(r["sweeps"] for r in runs),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "cpu_ms_per_refresh": median(r["cpu_ms_per_refresh"] for r in runs),
            "runs": len(runs),
        }
        s["ok"] = s["rate"] >= RATE_BAR and not (s["late"] or s["lost"] or s["used_twice"])
        summary[size] = s
        rows.append([f"{size:,}", s["rate"], s["rate_vs_ceiling"], s["seconds"], s["late"], s["lost"], s["used_twice"],
                     s["min_margin_s"], s["zoom_429s"], s["sweeps"], s["cpu_ms_per_refresh"], s["peak_rss_mb"], s["runs"],
                     f"rate {verdict(s['rate'] >= RATE_BAR)}, in time {verdict(s['late'] == 0)}, "
                     f"none lost {verdict(s['lost'] == 0)}, none twice {verdict(s['used_twice'] == 0)}"])
    print()
    print(f"Refresh sweep on {database}: Zoom ceiling {CEILING} token calls/s; expiries spread over 1-10 min "
          "(medians over runs)")
    print(table(["grants", "refreshes/s", "of ceiling", "seconds", "late", "lost", "used twice", "tightest margin s",
                 "429s", "sweeps", "CPU ms/refresh", "peak RSS MB", "runs", "bars"], rows))
    path = write_results("refresh_sweep", {"settings": vars(args), "results": results, "summary": summary})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
