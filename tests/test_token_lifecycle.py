"""Keeping grants alive: the sweep, one refresh per token under concurrency, dead grants."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import text

from tests.conftest import ALICE, ALICE_EMAIL
from tests.flows import all_text, connect, connect_url

NOW = datetime(2026, 12, 7, 14, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    from tests.harness import MovableClock

    return MovableClock(start=NOW)


@pytest.fixture
def connected(sender, zoom):
    assert connect(sender).status_code == 200
    return sender


def grant_of(bot, slack, user=ALICE):
    return bot.services.grants.find(team_id=slack.team_id, user_id=user)


def test_the_sweep_refreshes_grants_that_expire_within_ten_minutes(connected, bot, zoom, slack, clock):
    before = grant_of(bot, slack)
    clock.advance(minutes=45)  # 15 minutes left: not yet
    assert bot.services.sweep.run().refreshed == 0
    clock.advance(minutes=6)  # 9 minutes left
    report = bot.services.sweep.run()
    assert report.refreshed == 1 and zoom.refresh_count == 1
    after = grant_of(bot, slack)
    assert after.access_token != before.access_token and after.refresh_token != before.refresh_token
    assert after.expires_at > before.expires_at
    assert bot.services.sweep.run().refreshed == 0  # fresh again
    assert zoom.refresh_count == 1


def test_twenty_commands_and_the_sweep_make_exactly_one_refresh(connected, bot, zoom, slack, clock):
    zoom.add_meeting(ALICE_EMAIL, topic="Standup", start_time=NOW + timedelta(hours=3))
    clock.advance(minutes=61)  # the access token has expired
    zoom.token_delay = 0.3  # widen the window in which racers could collide
    start = threading.Barrier(21)

    def command():
        start.wait()
        return connected.command("meetings today")

    def sweep():
        start.wait()
        return bot.services.sweep.run()

    with ThreadPoolExecutor(21) as pool:
        commands = [pool.submit(command) for _ in range(20)]
        swept = pool.submit(sweep)
        results = [future.result(timeout=30) for future in commands]
        swept.result(timeout=30)
    for response, response_url in results:
        assert response.status_code == 200
        assert "Standup" in all_text(slack.wait_for_response(response_url, timeout=20)[0])
    assert len(zoom.refresh_calls) == 1 and zoom.refresh_count == 1


def test_a_refused_refresh_marks_the_grant_and_tells_the_user_once(connected, bot, zoom, slack, clock):
    clock.advance(minutes=61)
    zoom.fail_next_token(400, {"reason": "Invalid Token!", "error": "invalid_grant"})
    bot.services.sweep.run()
    grant = grant_of(bot, slack)
    assert grant.status == "needs_reconnect" and grant.zoom_email == ALICE_EMAIL
    assert grant.access_token is None and grant.refresh_token is None
    with bot.services.db.engine.connect() as connection:
        row = connection.execute(text("SELECT access_token_enc, refresh_token_enc FROM zoom_grants")).one()
    assert row == (None, None)
    dm = slack.wait_for_message(channel=ALICE, predicate=lambda m: "expired" in all_text(m))
    assert "Your Zoom connection has expired" in all_text(dm)
    # Later commands and sweeps show the same, and no second DM is sent.
    for _ in range(3):
        response, _ = connected.command("meetings")
        assert "Your Zoom connection has expired" in all_text(response.json())
        bot.services.sweep.run()
    response, _ = connected.command("status")
    assert "has expired" in all_text(response.json())
    bot.services.background.submit(lambda: None).result(timeout=5)
    dms = [m for m in slack.messages if "expired" in all_text(m)]
    assert len(dms) == 1
    # The DM's button still works days later: it opens a fresh consent at Zoom.
    clock.advance(days=3)
    page = requests.get(connect_url(dm), timeout=10)
    assert page.status_code == 200 and "Zoom is connected as" in page.text
    assert grant_of(bot, slack).active


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_during_refresh_changes_nothing_and_is_retried_later(connected, bot, zoom, slack, clock, status):
    before = grant_of(bot, slack)
    clock.advance(minutes=52)
    zoom.fail_next_token(status)
    report = bot.services.sweep.run()
    assert report.postponed == 1 and report.refreshed == 0
    after = grant_of(bot, slack)
    assert after.active and after.refresh_token == before.refresh_token
    assert bot.services.sweep.run().refreshed == 0  # waits before trying again
    clock.advance(minutes=1)
    assert bot.services.sweep.run().refreshed == 1


def test_zoom_unreachable_during_refresh_never_marks_a_grant_dead(connected, bot, zoom, slack, clock):
    clock.advance(minutes=61)
    zoom.stop()
    bot.services.sweep.run()
    response, response_url = connected.command("meetings")
    assert "isn't answering" in all_text(slack.wait_for_response(response_url, timeout=30)[0])
    assert grant_of(bot, slack).active


def test_a_forged_or_old_connect_link_is_refused(connected, bot, clock):
    link = bot.services.connect.connect_link(team_id="T0TEAM1", user_id=ALICE)
    clock.advance(days=8)
    assert requests.get(link, timeout=10).status_code == 400
    assert requests.get(bot.url + "/zoom/oauth/start?t=garbage", timeout=10).status_code == 400
    assert requests.get(bot.url + "/zoom/oauth/start", timeout=10).status_code == 400
