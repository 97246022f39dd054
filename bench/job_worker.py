"""One of the bot's scheduled jobs, in a process of its own, run the way the scheduler runs it.

    python bench/job_worker.py digest    the minute job, DigestService.run_due(), every 60 s
    python bench/job_worker.py refresh   the refresh sweep, RefreshSweep.run(), every 4 minutes

Settings come from the environment, as for `python bot.py`; the runtime is the bot's own
(bot.create_runtime) without its scheduler, which this loop stands in for. A run starts at
the first run's start plus a whole number of intervals, as APScheduler would start it (a
run still going when the next one is due makes that one a no-op: for the sweep
max_instances=1 skips it, for digests the second instance finds the service's lock held).
The loop ends when no work is left or at BENCH_DEADLINE (epoch seconds). The last line
printed is a JSON report, with this process's peak resident memory.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bot import _configure_logging, create_runtime  # noqa: E402
from services.limits import SWEEP_INTERVAL, SWEEP_WINDOW  # noqa: E402
from settings import load_settings  # noqa: E402
from storage.models import GRANT_ACTIVE, UserPrefs, ZoomGrant  # noqa: E402

DIGEST_INTERVAL = 60.0


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def digests_left(db) -> int:  # type: ignore[no-untyped-def]
    now = datetime.now(timezone.utc)
    with db.session() as session:
        return int(session.scalar(
            select(func.count(UserPrefs.id)).where(UserPrefs.next_digest_at.is_not(None)).where(UserPrefs.next_digest_at <= now)
        ) or 0)


def grants_left(db) -> int:  # type: ignore[no-untyped-def]
    """Active grants that expire within the sweep window: what a sweep still has to renew."""
    soon = datetime.now(timezone.utc) + SWEEP_WINDOW
    with db.session() as session:
        return int(session.scalar(
            select(func.count(ZoomGrant.id)).where(ZoomGrant.status == GRANT_ACTIVE).where(ZoomGrant.expires_at < soon)
        ) or 0)


def main() -> int:
    job = sys.argv[1]
    deadline = float(os.environ.get("BENCH_DEADLINE", time.time() + 900))
    settings = load_settings()
    _configure_logging(settings)
    started_import = time.time()
    runtime = create_runtime(settings, start_scheduler=False)
    services = runtime.services
    if job == "digest":
        interval, run, left = DIGEST_INTERVAL, services.digests.run_due, lambda: digests_left(services.db)
    elif job == "refresh":
        interval, run, left = SWEEP_INTERVAL.total_seconds(), services.sweep.run, lambda: grants_left(services.db)
    else:
        print(f"unknown job {job!r}", file=sys.stderr)
        return 2
    rss_before = peak_rss_mb()
    cpu_before = cpu_seconds()
    first = time.time()
    runs = []
    remaining = -1
    try:
        while time.time() < deadline:
            run_started = time.time()
            report = run()
            counts = {k: v for k, v in vars(report).items() if not k.startswith("_")}
            runs.append({"started": run_started, "seconds": time.time() - run_started, **counts})
            if not left():
                break
            # The scheduler's next firing after this run ends.
            next_start = first + interval * (int((time.time() - first) / interval) + 1)
            while time.time() < min(next_start, deadline) and left():
                time.sleep(0.5)
            if not left():
                break
        remaining = left()
    finally:
        runtime.close()
    print(json.dumps({
        "job": job, "first_run_started": first, "finished": time.time(), "runs": runs,
        "left": remaining, "startup_seconds": first - started_import,
        "peak_rss_mb": peak_rss_mb(), "rss_before_first_run_mb": rss_before,
        "cpu_seconds": cpu_seconds() - cpu_before,
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
