"""The Pacer on its own, with an injected clock: what it learns from 429s and how it spaces calls."""
from __future__ import annotations

import threading
import time

import pytest

from pacing import CREEP, FORGET_AFTER, MARGIN, NUDGE, QUIET, Pacer, PaceTimeout

KEY = "slack chat.postMessage"


class FakeTime:
    """A clock that only sleeping moves; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.during_sleep: list[object] = []  # callables run once, at the next sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        while self.during_sleep:
            self.during_sleep.pop(0)()  # type: ignore[operator]
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def t() -> FakeTime:
    return FakeTime()


@pytest.fixture
def pacer(t: FakeTime) -> Pacer:
    return Pacer(clock=t.clock, sleep=t.sleep)


def accept(pacer: Pacer, t: FakeTime, n: int, *, over: float = 0.5) -> None:
    """n calls taken by the server, evenly over `over` seconds, each after its turn."""
    for _ in range(n):
        pacer.wait(KEY)
        pacer.accepted(KEY)
        t.advance(over / n)


def turns(pacer: Pacer, t: FakeTime, n: int) -> list[float]:
    """When each of n callers in a row gets to send."""
    out = []
    for _ in range(n):
        pacer.wait(KEY)
        out.append(t.now)
    return out


def test_with_no_ceiling_known_calls_go_out_at_once(pacer, t):
    accept(pacer, t, 100, over=0.1)
    assert t.sleeps == [] and pacer.pace(KEY) is None


def test_a_429_stops_every_caller_until_its_retry_after_moment_without_jitter(pacer, t):
    accept(pacer, t, 50, over=0.2)
    stopped_at = t.now
    assert pacer.limited(KEY, 1.0) == pytest.approx(1.0)
    first = turns(pacer, t, 1)[0]
    assert first == pytest.approx(stopped_at + 1.0)  # not a moment sooner, and no random extra


def test_the_pace_is_just_under_what_the_server_accepted_in_the_last_window(pacer, t):
    accept(pacer, t, 50, over=0.2)
    pacer.limited(KEY, 1.0)
    assert pacer.pace(KEY) == pytest.approx(MARGIN * 50)


def test_after_a_429_calls_are_spaced_evenly_so_no_second_holds_more_than_the_ceiling(pacer, t):
    accept(pacer, t, 20, over=0.1)
    pacer.limited(KEY, 1.0)
    times = turns(pacer, t, 200)
    gaps = {round(b - a, 9) for a, b in zip(times, times[1:])}
    assert gaps == {round(1 / (MARGIN * 20), 9)}
    assert max(sum(1 for x in times if start <= x < start + 1.0) for start in times) <= 19


def test_429s_that_answer_calls_sent_before_the_stop_teach_nothing_new(pacer, t):
    accept(pacer, t, 50, over=0.2)
    pacer.limited(KEY, 1.0)
    t.advance(0.05)
    for _ in range(10):  # the other in-flight calls of the same burst
        pacer.limited(KEY, 1.0)
    assert pacer.pace(KEY) == pytest.approx(MARGIN * 50)
    assert turns(pacer, t, 1)[0] == pytest.approx(t.now)  # the stop now ends 1 s after the last


def test_a_429_with_nothing_accepted_stops_the_lane_but_sets_no_pace(pacer, t):
    assert pacer.limited(KEY, 2.0) == pytest.approx(2.0)
    assert pacer.pace(KEY) is None
    assert turns(pacer, t, 3) == [pytest.approx(1002.0)] * 3  # all of them after the stop, at once


def test_a_long_retry_after_counts_over_as_long_a_window(pacer, t):
    accept(pacer, t, 100, over=10.0)
    pacer.limited(KEY, 10.0)
    assert pacer.pace(KEY) == pytest.approx(MARGIN * 10, rel=0.02)


def at_pace_for(pacer: Pacer, t: FakeTime, seconds: float) -> None:
    """Callers send back to back for `seconds`, each at its turn, and the server takes them all."""
    end = t.now + seconds
    while t.now < end:
        pacer.wait(KEY)
        pacer.accepted(KEY)
        t.advance(0.001)


def test_each_429_met_at_our_own_pace_nudges_the_pace_down(pacer, t):
    """Jitter bunched calls at the server: the pace is about right, so it backs off a little."""
    accept(pacer, t, 50, over=0.2)
    pacer.limited(KEY, 1.0)
    for n in range(1, 3):
        at_pace_for(pacer, t, 2.0)
        pacer.limited(KEY, 1.0)
        assert pacer.pace(KEY) == pytest.approx(50 * MARGIN * (1 - NUDGE) ** n)


def test_a_429_after_the_pace_crept_over_the_ceiling_brings_it_back_under(pacer, t):
    accept(pacer, t, 20, over=0.1)
    pacer.limited(KEY, 1.0)
    t.advance(QUIET)
    assert pacer.pace(KEY) == pytest.approx(MARGIN * 20 * (1 + CREEP))
    at_pace_for(pacer, t, 1.5)
    pacer.limited(KEY, 1.0)
    assert pacer.pace(KEY) == pytest.approx(MARGIN * 20, rel=0.05)  # the server took 20 or 21


def test_a_ceiling_that_rose_is_found_by_the_creep(pacer, t):
    accept(pacer, t, 20, over=0.1)
    pacer.limited(KEY, 1.0)
    t.advance(5 * QUIET)
    crept = pacer.pace(KEY)
    assert crept == pytest.approx(MARGIN * 20 * (1 + CREEP) ** 5)
    at_pace_for(pacer, t, 1.5)  # the server took all of these: its limit is higher now
    pacer.limited(KEY, 1.0)
    assert pacer.pace(KEY) == pytest.approx(crept * (1 - NUDGE))


def test_a_ceiling_that_fell_lowers_the_pace_but_one_429_at_most_halves_it(pacer, t):
    accept(pacer, t, 40, over=0.2)
    pacer.limited(KEY, 1.0)
    assert pacer.pace(KEY) == pytest.approx(MARGIN * 40)
    t.advance(3.0)
    accept(pacer, t, 2, over=0.9)  # the server took only these (someone else spends the limit)
    pacer.limited(KEY, 1.0)
    assert pacer.pace(KEY) == pytest.approx(MARGIN * 40 / 2)
    t.advance(3.0)
    accept(pacer, t, 2, over=0.9)
    pacer.limited(KEY, 1.0)
    assert pacer.pace(KEY) == pytest.approx(MARGIN * 40 / 4)


def test_a_429_right_after_a_resume_is_the_same_overload_and_keeps_the_pace(pacer, t):
    accept(pacer, t, 50, over=0.2)
    pacer.limited(KEY, 1.0)
    t.advance(1.1)  # resumed 0.1 s ago
    accept(pacer, t, 3, over=0.06)
    pacer.limited(KEY, 1.0)
    assert pacer.pace(KEY) == pytest.approx(MARGIN * 50)


def test_the_pace_creeps_up_after_each_quiet_period_and_is_forgotten_after_a_long_one(pacer, t):
    accept(pacer, t, 20, over=0.1)
    pacer.limited(KEY, 1.0)
    learned = MARGIN * 20
    t.advance(QUIET - 0.01)
    assert pacer.pace(KEY) == pytest.approx(learned)
    t.advance(0.02)
    assert pacer.pace(KEY) == pytest.approx(learned * (1 + CREEP))
    t.advance(QUIET)
    assert pacer.pace(KEY) == pytest.approx(learned * (1 + CREEP) ** 2)
    t.advance(FORGET_AFTER)
    assert pacer.pace(KEY) is None
    t.sleeps.clear()
    accept(pacer, t, 50, over=0.1)
    assert t.sleeps == []


def test_a_turn_further_than_max_wait_is_refused_and_reserves_nothing(pacer, t):
    pacer.limited(KEY, 5.0)
    with pytest.raises(PaceTimeout) as refused:
        pacer.wait(KEY, max_wait=2.0)
    assert refused.value.wait == pytest.approx(5.0)
    assert t.sleeps == []
    assert pacer.wait(KEY, max_wait=5.0) == pytest.approx(5.0)


def test_a_429_while_a_caller_sleeps_moves_its_turn_behind_the_new_stop(pacer, t):
    accept(pacer, t, 20, over=0.1)
    pacer.limited(KEY, 1.0)
    t.advance(1.0)
    pacer.wait(KEY)  # takes the turn at once; the next caller's is a pace later
    t.during_sleep.append(lambda: pacer.limited(KEY, 1.0))  # someone else meets a 429 meanwhile
    limited_at = t.now
    pacer.wait(KEY)
    assert t.now == pytest.approx(limited_at + 1.0)


def test_lanes_are_independent(pacer, t):
    accept(pacer, t, 20, over=0.1)
    pacer.limited(KEY, 1.0)
    assert pacer.wait("zoom https://zoom.us/oauth/token") == 0.0
    assert pacer.pace("zoom https://zoom.us/oauth/token") is None


def test_threads_never_share_a_turn() -> None:
    """Real threads, real clock, a pace of 2,000/s: 400 turns cannot end sooner than 399 gaps."""
    pacer = Pacer()
    key = "fast lane"
    for _ in range(2000):
        pacer.accepted(key)
    pacer.limited(key, 0.0)
    pace = pacer.pace(key)
    assert pace is not None and pace > 1000
    errors: list[BaseException] = []

    def caller() -> None:
        try:
            for _ in range(50):
                pacer.wait(key)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not errors
    assert time.monotonic() - started >= 399 / pace * 0.999
