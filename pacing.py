"""Pacing calls to a rate-limited platform: one lane per key, at a pace learned from 429s.

Slack and Zoom answer "too many" with 429 and a Retry-After, and neither says its ceiling
up front (Zoom's depends on the account's plan, Slack's on the method and the workspace).
Honouring each 429 in each thread on its own wastes the ceiling: every thread sleeps its
own Retry-After (slack_sdk adds up to a second of jitter to it), the server's window frees
meanwhile with nobody sending, and the next burst meets the next 429 (bench/README.md:
0.89 of the ceiling for both the digest fan-out and the refresh sweep). A Pacer keeps one
shared lane per key (a Web API method of one Slack workspace, Zoom's OAuth endpoint):

- While no ceiling is known, calls go out as they come.
- A 429 stops the whole lane until its Retry-After moment (once, for every caller, with no
  jitter), and the pace becomes a little under the number of calls the server accepted
  over the last window, with the calls spread evenly (a token bucket one token deep: no
  bursts, which a sliding window would refuse).
- Each quiet minute without a 429 lets the pace creep up a little (a limit may have been
  temporary, or shared with someone who has stopped), and a long quiet forgets it.

Standard library only, and no knowledge of Slack or Zoom: both clients use it, and zoom/
must not import services/. Thread-safe; the clock and sleep are injectable for tests.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Hashable, Protocol

log = logging.getLogger(__name__)

MARGIN = 0.95  # the pace, as a share of the calls the server accepted: room for jitter
WINDOW = 1.0  # seconds; accepted calls are counted over this, or over a longer Retry-After
MAX_WINDOW = 60.0  # seconds of accepted calls remembered per lane
QUIET = 20.0  # seconds without a 429 after which the pace creeps up ...
CREEP = 0.02  # ... by this share
# A 429 met at our own pace (the server took nearly all we sent) says the pace is about right
# and jitter bunched a few calls: it lowers the pace by this share only. Cutting by MARGIN each
# time ratcheted a 10,000-digest run down from 47.5 to 43 calls/s over four minutes.
NUDGE = 0.02
FORGET_AFTER = 1800.0  # seconds without a 429 after which the lane forgets its pace


class PaceTimeout(Exception):
    """The caller's turn is further away than it was willing to wait; nothing was reserved."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"the next turn is {wait:.1f}s away")
        self.wait = wait


class Pacing(Protocol):
    """What a client needs of a Pacer (so that tests may pass their own)."""

    def wait(self, key: Hashable, *, max_wait: float | None = None) -> float: ...

    def accepted(self, key: Hashable) -> None: ...

    def limited(self, key: Hashable, retry_after: float) -> float: ...


@dataclass
class _Lane:
    pace: float | None = None  # calls per second; None: no ceiling known
    paced_at: float = 0.0  # when the pace was learned: creeping counts from here
    next_turn: float = float("-inf")  # the earliest start of the next call
    resume_at: float = float("-inf")  # the Retry-After moment of the latest 429
    epoch: int = 0  # bumped by each 429: turns reserved before it no longer hold
    accepted: deque[float] = field(default_factory=deque)  # when the server took a call


class Pacer:
    """Evenly spaced turns per key, at a pace learned from the server's 429s.

    Callers do `wait(key)` before each attempt, then `accepted(key)` when the server took
    the call (any answer but 429) or `limited(key, retry_after)` when it answered 429.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        margin: float = MARGIN,
        window: float = WINDOW,
        max_window: float = MAX_WINDOW,
        quiet: float = QUIET,
        creep: float = CREEP,
        forget_after: float = FORGET_AFTER,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._margin = margin
        self._window = window
        self._max_window = max_window
        self._quiet = quiet
        self._creep = creep
        self._forget_after = forget_after
        self._lanes: dict[Hashable, _Lane] = {}
        self._lock = threading.Lock()

    def wait(self, key: Hashable, *, max_wait: float | None = None) -> float:
        """Block until this caller's turn on `key`'s lane; returns the seconds waited.

        Raises PaceTimeout (reserving nothing) when the turn is more than `max_wait`
        seconds from now. A 429 that arrives while a caller sleeps moves the whole lane
        behind its Retry-After moment, so the caller takes a new turn after it.
        """
        started = self._clock()
        limit = None if max_wait is None else started + max(0.0, max_wait)
        turn, epoch = self._reserve(key, limit)
        while True:
            now = self._clock()
            if now < turn:
                self._sleep(turn - now)
                continue  # a sleep may end early: check the clock again
            with self._lock:
                current = self._lanes[key].epoch == epoch
            if current:
                return now - started
            turn, epoch = self._reserve(key, limit)

    def accepted(self, key: Hashable) -> None:
        """The server took a call (any answer but 429): it counts toward the ceiling."""
        with self._lock:
            now = self._clock()
            times = self._lane(key).accepted
            times.append(now)
            while times and times[0] <= now - self._max_window:
                times.popleft()

    def limited(self, key: Hashable, retry_after: float) -> float:
        """The server answered 429 and asked for `retry_after` seconds. Stops the lane until
        then, learns the pace, and returns the seconds until the lane resumes.

        A 429 that arrives while the lane is already stopped answered a call sent before
        the stop: it may extend the stop but teaches nothing new about the ceiling.
        """
        with self._lock:
            now = self._clock()
            lane = self._lane(key)
            if now >= lane.resume_at:
                self._learn(key, lane, now, retry_after)
            lane.resume_at = max(lane.resume_at, now + max(0.0, retry_after))
            lane.next_turn = lane.resume_at
            lane.epoch += 1
            return lane.resume_at - now

    def pace(self, key: Hashable) -> float | None:
        """The lane's current pace in calls per second (None: no ceiling known)."""
        with self._lock:
            return self._pace_of(self._lane(key), self._clock())

    # -- under the lock -------------------------------------------------------------------
    def _lane(self, key: Hashable) -> _Lane:
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        return lane

    def _reserve(self, key: Hashable, limit: float | None) -> tuple[float, int]:
        """The caller's turn (and the lane's epoch it belongs to); the next one is a pace later."""
        with self._lock:
            now = self._clock()
            lane = self._lane(key)
            turn = max(now, lane.resume_at, lane.next_turn)
            if limit is not None and turn > limit:
                raise PaceTimeout(turn - now)
            pace = self._pace_of(lane, now)
            lane.next_turn = turn + 1.0 / pace if pace else turn
            return turn, lane.epoch

    def _pace_of(self, lane: _Lane, now: float) -> float | None:
        """The learned pace, grown by CREEP for each QUIET period since; forgotten after a long quiet."""
        if lane.pace is None:
            return None
        quiet_for = max(0.0, now - lane.paced_at)
        if quiet_for >= self._forget_after:
            lane.pace = None
            return None
        return lane.pace * (1.0 + self._creep) ** int(quiet_for // self._quiet)

    def _learn(self, key: Hashable, lane: _Lane, now: float, retry_after: float) -> None:
        """Pace = MARGIN x the calls per second the server accepted over the last window.

        The window is the longer of WINDOW and the Retry-After (a server that asks for a
        long wait counts over a long window), and starts no earlier than the lane's last
        resume (a stopped lane sent nothing). Nothing to learn when the lane sent for less
        than half a WINDOW since it resumed (a leftover of the same overload, most likely),
        or when no call was accepted (the limit was spent by someone else, or the 429 was a
        one-off). A 429 met at our own pace lowers it by NUDGE; one that shows the server took
        much less than our pace lowers it to MARGIN x what it took, and by MARGIN at least, but
        at most halves it, so that one unlucky count cannot throttle a lane for long.
        """
        span = min(max(self._window, retry_after), self._max_window)
        since = max(now - span, lane.resume_at)
        count = sum(1 for t in lane.accepted if t > since)
        if count == 0 or now - since < self._window / 2:
            return
        before = self._pace_of(lane, now)
        measured = count / (now - since)
        pace = self._margin * measured
        if before is not None and measured >= 0.9 * before:
            pace = before * (1.0 - NUDGE)  # at our own pace: a nudge, and the creep probes again
        elif before is not None:
            pace = max(min(pace, self._margin * before), before / 2)
        lane.pace, lane.paced_at = pace, now
        if before is None or abs(pace - before) > 0.01 * before:
            log.info("rate limited on %s: pacing at %.1f calls/s", key, pace)
