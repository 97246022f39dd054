"""One bot process for the multi-process tests, with the bot's settings in the environment.

    python -m tests.pg_worker GO_FILE THREADS refresh   hammer every grant, run the sweep
    python -m tests.pg_worker GO_FILE THREADS digest    run the digest minute job

Each prints a JSON line when ready, waits for GO_FILE, works, and prints a JSON report.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from bot import create_runtime
from settings import load_settings


def main() -> int:
    go_file, threads = Path(sys.argv[1]), int(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) > 3 else "refresh"
    runtime = create_runtime(load_settings(), create_tables=False, start_scheduler=False)
    services = runtime.services
    if mode == "digest":
        print(json.dumps({"ready": True}), flush=True)
        while not go_file.exists():
            time.sleep(0.01)
        report = services.digests.run_due()
        runtime.close()
        print(json.dumps({"sent": report.sent, "duplicate": report.duplicate, "retry": report.retry}), flush=True)
        return 0
    ids = [grant.id for grant in services.grants.all_active()]
    print(json.dumps({"ready": True}), flush=True)
    while not go_file.exists():
        time.sleep(0.01)
    ok = errors = 0
    guard = threading.Lock()

    def hammer(offset: int) -> None:
        nonlocal ok, errors
        for index in range(len(ids)):
            grant_id = ids[(index + offset) % len(ids)]
            try:
                grant = services.grants.get(grant_id)
                services.tokens.with_token(grant, services.zoom_api.get_me)
                with guard:
                    ok += 1
            except Exception as exc:  # reported to the test, which fails on any
                with guard:
                    errors += 1
                print(json.dumps({"error": type(exc).__name__, "grant": grant_id}), flush=True)

    workers = [threading.Thread(target=hammer, args=(n * 7,)) for n in range(threads)]
    sweeper = threading.Thread(target=services.sweep.run)
    for worker in workers:
        worker.start()
    sweeper.start()
    for worker in workers:
        worker.join()
    sweeper.join()
    runtime.close()
    print(json.dumps({"ok": ok, "errors": errors}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
