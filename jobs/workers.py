"""The task processes that `python bot.py` (and gunicorn.conf.py) keep running beside the web server.

Each is `python bot.py work`: a task worker plus the scheduled jobs, at a lower CPU priority
than the web server (see jobs/tasks.py for why). One that exits unexpectedly is started
again, after a pause that doubles while it keeps failing; stop() ends them all with SIGTERM
(each finishes the tasks it holds) and SIGKILL for any still there after the timeout.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

log = logging.getLogger(__name__)

BOT = Path(__file__).resolve().parent.parent / "bot.py"
# How much less CPU priority the task processes get (nice(2) steps, 0-19).
NICENESS = 10
# A process that ran this long before exiting was healthy: restart it after the shortest pause.
HEALTHY_SECONDS = 60.0
MAX_PAUSE_SECONDS = 30.0
PARENT_ENV = "ZOOMBOT_SERVER_PID"


class TaskProcesses:
    def __init__(self, count: int, *, argv: Sequence[str] | None = None) -> None:
        self._count = count
        self._argv = list(argv or [sys.executable, str(BOT), "work", "--supervised", "--nice", str(NICENESS)])
        self._procs: list[subprocess.Popen[bytes] | None] = [None] * count
        self._started_at = [0.0] * count
        self._pause = [1.0] * count
        self._stopping = threading.Event()
        self._guard = threading.Lock()
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        for slot in range(self._count):
            self._spawn(slot)
        self._watcher = threading.Thread(target=self._watch, name="zoombot-task-processes", daemon=True)
        self._watcher.start()

    def pids(self) -> list[int]:
        with self._guard:
            return [proc.pid for proc in self._procs if proc is not None]

    def stop(self, timeout: float = 25.0) -> None:
        self._stopping.set()
        with self._guard:
            procs = [proc for proc in self._procs if proc is not None]
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + timeout
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("task process %d did not stop within %.0f s; killing it", proc.pid, timeout)
                proc.kill()
                proc.wait()
        if self._watcher is not None:
            self._watcher.join(timeout=2)

    def _spawn(self, slot: int) -> None:
        # The server's own environment, stdout and stderr.
        proc = subprocess.Popen(self._argv, env={**os.environ, PARENT_ENV: str(os.getpid())})
        with self._guard:
            self._procs[slot] = proc
            self._started_at[slot] = time.monotonic()
        log.info("started task process %d (pid %d)", slot + 1, proc.pid)

    def _watch(self) -> None:
        while not self._stopping.wait(0.5):
            for slot in range(self._count):
                with self._guard:
                    proc = self._procs[slot]
                if proc is None or proc.poll() is None:
                    continue
                if time.monotonic() - self._started_at[slot] > HEALTHY_SECONDS:
                    self._pause[slot] = 1.0
                pause = self._pause[slot]
                self._pause[slot] = min(MAX_PAUSE_SECONDS, pause * 2)
                # The exit status may read 0: gunicorn's arbiter reaps every child of its process.
                log.error("task process %d (pid %d) exited; starting another in %.0f s", slot + 1, proc.pid, pause)
                if self._stopping.wait(pause):
                    return
                self._spawn(slot)


def die_with_parent() -> None:
    """Have the kernel send this process SIGTERM when its parent dies (Linux; elsewhere a no-op).

    A task process whose server was killed outright would otherwise run the scheduled jobs on
    its own, unwatched, until someone noticed."""
    parent = int(os.environ.get(PARENT_ENV) or os.getppid())
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)
