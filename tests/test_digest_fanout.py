"""Many users due in the same minute: concurrency within bounds, Slack's ceiling respected."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from tests.harness import MovableClock
from tests.seeding import seed_users

UTC = timezone.utc
DUE = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock.ticking_from(DUE + timedelta(seconds=5))


def test_sixty_users_due_at_once_each_get_one_digest_under_a_slack_ceiling(bot, zoom, slack, clock):
    users = seed_users(bot.services, zoom, slack, 60, now=clock.now(), digest_due=DUE, meeting_at=DUE + timedelta(hours=2))
    slack.post_ceiling_per_second = 20  # fake Slack answers 429 + Retry-After above this
    zoom.api_delay = 0.02
    report = bot.services.digests.run_due()
    assert report.sent == 60, report
    per_user = Counter(m["channel"] for m in slack.messages if "Your Zoom meetings today" in str(m.get("blocks")))
    assert set(per_user) == set(users) and set(per_user.values()) == {1}
    assert slack.rate_limited_count > 0, "the ceiling was never reached: the test proves nothing"
