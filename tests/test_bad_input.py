"""Property-based: arbitrary input at the running bot never gets a 5xx and changes nothing."""
from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import MetaData, select

from tests.conftest import ALICE, ALICE_EMAIL
from tests.fakes import FakeSlack, FakeZoom
from tests.fakes.slack_signing import SlackRequestSender
from services.preferences import parse_digest, parse_remind
from tests.flows import connect, eventually
from tests.harness import (
    BOT_TOKEN, SIGNING_SECRET, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, BotServer, MovableClock,
)

WEBHOOK_SECRET = "property-webhook-secret"
SUBCOMMANDS = {"meetings", "list", "connect", "status", "disconnect"}
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[tuple[BotServer, SlackRequestSender, FakeZoom]]:
    clock = MovableClock()
    zoom = FakeZoom(ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, clock=clock.time).start()
    zoom.add_user(ALICE_EMAIL)
    slack = FakeSlack(BOT_TOKEN, clock=clock.time).start()
    slack.add_user(ALICE)
    tmp: Path = tmp_path_factory.mktemp("bad-input")
    bot = BotServer(tmp_path=tmp, zoom_url=zoom.url, slack_api_url=slack.api_url, clock=clock,
                    extra_env={"ZOOM_WEBHOOK_SECRET_TOKEN": WEBHOOK_SECRET, "LOG_LEVEL": "WARNING"})
    sender = SlackRequestSender(bot.url, SIGNING_SECRET, slack)
    assert connect(sender).status_code == 200
    # Connecting creates the user's settings in the background; let that finish first.
    eventually(lambda: bot.services.prefs.get(team_id=slack.team_id, user_id=ALICE))
    yield bot, sender, zoom
    bot.stop()
    slack.stop()
    zoom.stop()


def snapshot(bot: BotServer) -> dict[str, list[tuple]]:
    meta = MetaData()
    meta.reflect(bot.services.db.engine)
    with bot.services.db.engine.connect() as connection:
        return {name: sorted(map(tuple, connection.execute(select(table)))) for name, table in meta.tables.items()}


text_input = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@PROPERTY
@given(text=text_input)
def test_any_command_text_is_answered_and_changes_nothing(world, text):
    bot, sender, _ = world
    words = text.split()
    head = words[0].lower() if words else ""
    if head in SUBCOMMANDS and not (head in ("meetings", "list") and len(words) > 1):
        return  # a real command may legitimately change state; the rest must not
    if head == "digest" and not parse_digest(words[1:]).error:
        return
    if head in ("remind", "reminders", "reminder") and not parse_remind(words[1:]).error:
        return
    before = snapshot(bot)
    response, _ = sender.command(text)
    assert response.status_code == 200
    assert snapshot(bot) == before


query_values = st.one_of(st.none(), st.text(max_size=200), st.just(""), st.text(alphabet="abcdef0123456789-_", min_size=40, max_size=50))


@PROPERTY
@given(state=query_values, code=query_values, error=query_values, extra=st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=3))
def test_any_callback_query_is_refused_kindly_and_changes_nothing(world, state, code, error, extra):
    bot, _, _ = world
    params = {**extra}
    for name, value in (("state", state), ("code", code), ("error", error)):
        if value is not None:
            params[name] = value
    before = snapshot(bot)
    page = requests.get(bot.url + "/zoom/oauth/callback", params=params, timeout=10)
    assert page.status_code < 500 and page.status_code != 200 or "chose not to" in page.text
    assert "Traceback" not in page.text
    assert snapshot(bot) == before


def signed(raw: bytes) -> dict[str, str]:
    timestamp = str(int(time.time() * 1000))
    digest = hmac.new(WEBHOOK_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return {"x-zm-request-timestamp": timestamp, "x-zm-signature": "v0=" + digest, "Content-Type": "application/json"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
webhook_bodies = st.one_of(
    st.binary(max_size=400),
    json_values.map(lambda v: __import__("json").dumps(v).encode()),
    st.fixed_dictionaries({"event": st.sampled_from(["app_deauthorized", "endpoint.url_validation", "meeting.started"]),
                           "payload": json_values}).map(lambda v: __import__("json").dumps(v).encode()),
)


@PROPERTY
@given(body=webhook_bodies, sign=st.booleans())
def test_any_webhook_body_gets_a_4xx_or_a_harmless_200(world, body, sign):
    bot, _, _ = world
    before = snapshot(bot)
    headers = signed(body) if sign else {"Content-Type": "application/json", "x-zm-signature": "v0=00", "x-zm-request-timestamp": "1"}
    response = requests.post(bot.url + "/zoom/webhook", data=body, headers=headers, timeout=10)
    assert response.status_code < 500
    if not sign:
        assert response.status_code == 401
    assert snapshot(bot) == before
