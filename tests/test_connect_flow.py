"""Connecting Zoom from Slack, end to end over HTTP, and every way the callback refuses."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from tests.conftest import ALICE, ALICE_EMAIL
from tests.flows import all_text, connect, connect_url, state_of


def test_meetings_before_connecting_offers_the_connect_button(sender, bot, zoom):
    response, _ = sender.command("meetings")
    assert response.status_code == 200
    message = response.json()
    assert "zoombot" in all_text(message)
    url = connect_url(message)
    button = next(b for b in message["blocks"] if b["type"] == "actions")["elements"][0]
    assert button["style"] == "primary" and button["text"]["text"] == "Connect Zoom"
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == zoom.url and parts.path == "/oauth/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == bot.settings.zoom_client_id
    assert query["redirect_uri"] == bot.url + "/zoom/oauth/callback"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43 and query["state"]


def test_the_whole_connect_flow_stores_the_grant_and_confirms_in_slack(sender, bot, zoom, slack):
    page = connect(sender)
    assert page.status_code == 200
    assert f"Zoom is connected as <strong>{ALICE_EMAIL}</strong>" in page.text
    assert "close this tab and go back to Slack" in page.text
    grant = bot.services.grants.find(team_id=slack.team_id, user_id=ALICE)
    assert grant is not None and grant.active and grant.zoom_email == ALICE_EMAIL
    assert grant.expires_at is not None
    assert 3500 < (grant.expires_at - bot.clock.now()).total_seconds() <= 3600
    dm = slack.wait_for_message(channel=ALICE)
    assert ALICE_EMAIL in all_text(dm)


def test_tokens_are_encrypted_in_the_database(sender, bot, zoom):
    connect(sender)
    from sqlalchemy import text

    with bot.services.db.engine.connect() as connection:
        dump = " ".join(str(v) for row in connection.execute(text("SELECT * FROM zoom_grants")) for v in row)
        dump += " ".join(str(v) for row in connection.execute(text("SELECT * FROM zoom_oauth_states")) for v in row)
    assert zoom.issued_secrets, "the fake issued no tokens"
    for secret in zoom.issued_secrets:
        assert secret not in dump


def test_reconnecting_replaces_the_old_grant(sender, bot, zoom, slack):
    connect(sender)
    zoom.add_user("alice.work@example.com")
    zoom.consent_as("alice.work@example.com")
    page = connect(sender)
    assert "alice.work@example.com" in page.text
    assert bot.services.grants.count() == 1
    assert bot.services.grants.find(team_id=slack.team_id, user_id=ALICE).zoom_email == "alice.work@example.com"


def test_declining_at_zoom_shows_a_friendly_page_and_stores_nothing(sender, bot, zoom, slack):
    zoom.deny_next = True
    page = connect(sender)
    assert page.status_code == 200
    assert "You chose not to give zoombot access" in page.text
    assert bot.services.grants.find(team_id=slack.team_id, user_id=ALICE) is None


def _callback(bot, **params):
    return requests.get(bot.url + "/zoom/oauth/callback", params=params, timeout=10)


def test_missing_state_is_refused(bot):
    page = _callback(bot, code="whatever")
    assert page.status_code == 400 and "This link is incomplete" in page.text


def test_forged_state_is_refused(bot, slack):
    page = _callback(bot, code="zcode_forged", state="made-up-state")
    assert page.status_code == 400 and "This link is not valid" in page.text
    assert bot.services.grants.count() == 0


def test_expired_state_is_refused(sender, bot, zoom, clock):
    response, _ = sender.command("connect")
    url = connect_url(response.json())
    clock.advance(minutes=11)
    page = requests.get(url, timeout=10)  # Zoom sends the user back, but too late
    assert page.status_code == 400 and "This link has expired" in page.text
    assert bot.services.grants.count() == 0


def test_replayed_state_is_refused(sender, bot, zoom):
    response, _ = sender.command("connect")
    url = connect_url(response.json())
    first = requests.get(url, timeout=10, allow_redirects=False)
    callback = first.headers["Location"]
    assert requests.get(callback, timeout=10).status_code == 200
    replay = requests.get(callback, timeout=10)
    assert replay.status_code == 400 and "This link was already used" in replay.text


def test_a_reused_code_with_a_fresh_state_is_refused(sender, bot, zoom):
    response, _ = sender.command("connect")
    first = requests.get(connect_url(response.json()), timeout=10, allow_redirects=False)
    code = parse_qs(urlsplit(first.headers["Location"]).query)["code"][0]
    assert requests.get(first.headers["Location"], timeout=10).status_code == 200
    response, _ = sender.command("connect")
    fresh_state = state_of(connect_url(response.json()))
    page = _callback(bot, code=code, state=fresh_state)
    assert page.status_code == 400 and "Zoom did not accept this sign-in" in page.text


def test_error_pages_leak_nothing(sender, bot, zoom):
    pages = [
        _callback(bot),
        _callback(bot, state="x" * 5000, code="y"),
        _callback(bot, error="server_error", state="nope"),
        _callback(bot, code="zcode_x", state="nope"),
    ]
    for page in pages:
        assert page.status_code in (400,)
        assert "Traceback" not in page.text
        assert bot.settings.zoom_client_secret not in page.text
        assert bot.settings.slack_signing_secret not in page.text
        assert "zoombot" in page.text and "/zoom connect" in page.text


def test_zoom_down_during_the_exchange_is_a_502_and_the_link_can_be_retried(sender, bot, zoom):
    zoom.fail_next_token(503)
    page = connect(sender)
    assert page.status_code == 502 and "Zoom is not answering" in page.text
    assert bot.services.grants.count() == 0
    assert connect(sender).status_code == 200
