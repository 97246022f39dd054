"""`/zoom`, help, status, disconnect, button acks and request signatures."""
from __future__ import annotations

import json
import time

from tests.conftest import ALICE, ALICE_EMAIL
from tests.flows import all_text, connect, connect_url


def test_help_lists_every_command(sender):
    for text in ("", "help", "HELP"):
        response, _ = sender.command(text)
        assert response.status_code == 200
        body = all_text(response.json())
        for command in ("/zoom meetings", "/zoom connect", "/zoom status", "/zoom disconnect", "/zoom help"):
            assert command in body


def test_an_unknown_subcommand_gets_help_and_is_not_echoed_raw(sender):
    response, _ = sender.command("<!here> frobnicate")
    body = all_text(response.json())
    assert "I don't know" in body and "/zoom meetings" in body
    assert "<!here>" not in body


def test_connect_gives_the_same_button_as_meetings(sender, zoom):
    response, _ = sender.command("connect")
    assert connect_url(response.json()).startswith(zoom.url + "/oauth/authorize?")


def test_status_before_and_after_connecting(sender, slack):
    response, _ = sender.command("status")
    assert "haven't connected Zoom yet" in all_text(response.json())
    connect(sender)
    response, _ = sender.command("status")
    text = all_text(response.json())
    assert f"Connected to Zoom as *{ALICE_EMAIL}* since <!date^" in text


def test_disconnect_revokes_at_zoom_and_deletes_here(sender, bot, zoom, slack):
    connect(sender)
    token = bot.services.grants.find(team_id=slack.team_id, user_id=ALICE).access_token
    response, response_url = sender.command("disconnect")
    assert response.status_code == 200
    reply = slack.wait_for_response(response_url)[0]
    assert "revoked at Zoom" in all_text(reply)
    assert zoom.revoked == [token]
    assert bot.services.grants.find(team_id=slack.team_id, user_id=ALICE) is None
    response, _ = sender.command("status")
    assert "haven't connected" in all_text(response.json())


def test_disconnect_when_zoom_is_down_still_deletes_here(sender, bot, zoom, slack):
    connect(sender)
    zoom.stop()
    response, response_url = sender.command("disconnect")
    reply = slack.wait_for_response(response_url, timeout=20)[0]
    assert "could not be reached" in all_text(reply)
    assert bot.services.grants.find(team_id=slack.team_id, user_id=ALICE) is None


def test_disconnect_without_a_grant(sender):
    response, _ = sender.command("disconnect")
    assert "nothing to disconnect" in all_text(response.json())


def test_url_buttons_are_acknowledged(sender):
    for action_id in ("join_meeting", "connect_zoom"):
        response, _ = sender.block_action(action_id, url="https://zoom.example/j/1")
        assert response.status_code == 200


def test_a_bad_signature_is_refused(sender):
    body = b"command=%2Fzoom&text=help&user_id=U0ALICE&team_id=T0TEAM1"
    response = sender.raw(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert response.status_code == 401


def test_a_stale_timestamp_is_refused(sender):
    body = b"command=%2Fzoom&text=help&user_id=U0ALICE&team_id=T0TEAM1"
    response = sender.raw(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 600)
    assert response.status_code == 401


def test_healthz_reports_the_database(bot):
    import requests

    response = requests.get(bot.url + "/healthz", timeout=5)
    assert response.status_code == 200
    assert json.loads(response.text)["database"] == "ok"


def test_a_command_whose_text_contains_payload_is_still_understood(sender):
    # Bolt alone mistakes any form body containing "payload" for an interactivity payload.
    response, _ = sender.command("payload")
    assert response.status_code == 200
    assert "I don't know `payload`" in all_text(response.json())
