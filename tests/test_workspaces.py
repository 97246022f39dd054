"""zoombot as a distributable app: two workspaces install it and never see each other."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import text

from tests.fakes.slack_signing import SlackRequestSender
from tests.flows import all_text, connect_url, eventually
from tests.harness import SIGNING_SECRET, BotServer

SLACK_CLIENT = ("1111.2222", "slack-client-secret-xyz")


@pytest.fixture
def distributed(tmp_path, zoom, slack, clock):
    slack.oauth_client = SLACK_CLIENT
    slack.revoke_team(slack.team_id)  # no preinstalled token: workspaces install through OAuth
    server = BotServer(tmp_path=tmp_path, zoom_url=zoom.url, slack_api_url=slack.api_url, clock=clock,
                       extra_env={"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": SLACK_CLIENT[0], "SLACK_CLIENT_SECRET": SLACK_CLIENT[1]})
    yield server
    server.stop()


def install(bot, slack, team_id, user_id):
    slack.install_as(team_id, user_id)
    start = requests.get(bot.url + "/slack/install", timeout=10, allow_redirects=False)
    assert start.status_code == 302 and start.headers["Location"].startswith(slack.url + "/oauth/v2/authorize?")
    # Bolt's state cookie is Secure (PUBLIC_URL is https in production); a browser sends it back.
    cookie = start.headers["Set-Cookie"].split(";", 1)[0]
    consent = requests.get(start.headers["Location"], timeout=10, allow_redirects=False)
    assert consent.status_code == 302
    page = requests.get(consent.headers["Location"], headers={"Cookie": cookie}, timeout=10)
    assert page.status_code == 200, page.text
    return page


def connect_in(sender, team_id, user_id):
    response, _ = sender.command("connect", team_id=team_id, user_id=user_id)
    assert response.status_code == 200, response.text
    return requests.get(connect_url(response.json()), timeout=10)


def test_two_workspaces_side_by_side_never_see_each_other(distributed, zoom, slack, clock):
    bot = distributed
    for team, user, email, topic in (("T0AAAA", "U0ANNA", "anna@a.example", "Anna's standup"),
                                     ("T0BBBB", "U0BORIS", "boris@b.example", "Boris's review")):
        slack.add_user(user, name=user.lower(), team_id=team)
        zoom.add_user(email)
        zoom.add_meeting(email, topic=topic, start_time=clock.now() + timedelta(hours=1))
        install(bot, slack, team, user)
    assert [i["team_id"] for i in slack.installs] == ["T0AAAA", "T0BBBB"]
    sender = SlackRequestSender(bot.url, SIGNING_SECRET, slack)
    zoom.consent_as("anna@a.example")
    assert "anna@a.example" in connect_in(sender, "T0AAAA", "U0ANNA").text
    zoom.consent_as("boris@b.example")
    assert "boris@b.example" in connect_in(sender, "T0BBBB", "U0BORIS").text

    lists = {}
    for team, user in (("T0AAAA", "U0ANNA"), ("T0BBBB", "U0BORIS")):
        response, url = sender.command("meetings today", team_id=team, user_id=user)
        assert response.status_code == 200
        lists[team] = all_text(slack.wait_for_response(url)[0])
    assert "Anna's standup" in lists["T0AAAA"] and "Boris" not in lists["T0AAAA"]
    assert "Boris's review" in lists["T0BBBB"] and "Anna" not in lists["T0BBBB"]
    # The same Slack user id in another workspace is someone else: not connected.
    response, _ = sender.command("status", team_id="T0BBBB", user_id="U0ANNA")
    assert "haven't connected" in all_text(response.json())

    # Each workspace's token only ever touched that workspace's users.
    eventually(lambda: len([m for m in slack.messages if "Zoom is connected" in all_text(m)]) == 2)
    for team, method, target in slack.token_uses:
        if target.startswith("U0"):
            assert {"U0ANNA": "T0AAAA", "U0BORIS": "T0BBBB"}.get(target, team) == team, (team, method, target)
    dm_teams = {m["channel"]: m["team"] for m in slack.messages}
    assert dm_teams == {"U0ANNA": "T0AAAA", "U0BORIS": "T0BBBB"}


def test_bot_tokens_are_encrypted_at_rest(distributed, slack):
    slack.add_user("U0ANNA", team_id="T0AAAA")
    install(distributed, slack, "T0AAAA", "U0ANNA")
    with distributed.services.db.engine.connect() as connection:
        dump = " ".join(str(v) for row in connection.execute(text("SELECT * FROM slack_bots")) for v in row)
        dump += " ".join(str(v) for row in connection.execute(text("SELECT * FROM slack_installations")) for v in row)
    assert "xoxb-" not in dump
    assert distributed.services.workspaces.client_for("T0AAAA").token.startswith("xoxb-T0AAAA-")


def test_uninstalling_a_workspace_deletes_its_data_only(distributed, zoom, slack, clock):
    bot = distributed
    sender = SlackRequestSender(bot.url, SIGNING_SECRET, slack)
    for team, user, email in (("T0AAAA", "U0ANNA", "anna@a.example"), ("T0BBBB", "U0BORIS", "boris@b.example")):
        slack.add_user(user, team_id=team)
        zoom.add_user(email)
        install(bot, slack, team, user)
        zoom.consent_as(email)
        connect_in(sender, team, user)
        eventually(lambda: bot.services.prefs.get(team_id=team, user_id=user))
    response = sender.event({"type": "app_uninstalled"}, team_id="T0AAAA")
    assert response.status_code == 200
    eventually(lambda: bot.services.grants.find(team_id="T0AAAA", user_id="U0ANNA") is None)
    eventually(lambda: bot.services.prefs.get(team_id="T0AAAA", user_id="U0ANNA") is None)
    with pytest.raises(LookupError):
        eventually(lambda: bot.services.workspaces.client_for("T0AAAA") is None, timeout=0.5)
    assert bot.services.grants.find(team_id="T0BBBB", user_id="U0BORIS") is not None
    assert bot.services.workspaces.client_for("T0BBBB").token.startswith("xoxb-T0BBBB-")


def test_a_request_from_a_workspace_that_never_installed_is_refused_quietly(distributed, slack):
    sender = SlackRequestSender(distributed.url, SIGNING_SECRET, slack)
    response, _ = sender.command("help", team_id="T0NEVER", user_id="U0X")
    assert response.status_code == 200 and "Traceback" not in response.text
    assert not [t for t in slack.token_uses if t[0] == "T0NEVER"]
