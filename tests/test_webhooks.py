"""Zoom's event notifications at POST /zoom/webhook: signatures, URL validation, deauthorization.

The scenario tests sign requests the way Zoom does (HMAC computed here, independently of
zoom/webhook.py) and send them over HTTP to the real bot; the unit tests at the end check the
pure functions of zoom/webhook.py.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from sqlalchemy import text

from blocks.account import deauthorized_message
from services.deauthorize import Deauthorizer
from tests.conftest import ALICE, ALICE_EMAIL
from tests.fakes import FakeSlack, FakeZoom
from tests.fakes.slack_signing import SlackRequestSender
from tests.flows import all_text, connect
from tests.harness import SIGNING_SECRET, BotServer, MovableClock
from zoom.webhook import (
    WebhookPayloadError,
    parse_event,
    signature_for,
    url_validation_answer,
    verify,
)

WEBHOOK_SECRET = "zoom-webhook-secret-test-7b3e9a"
BOB = "U0BOB"
CAROL = "U0CAROL"
CAROL_EMAIL = "carol@example.com"
LIMIT = 64 * 1024


@pytest.fixture
def webhook_bot(tmp_path: Path, zoom: FakeZoom, slack: FakeSlack, clock: MovableClock) -> Iterator[BotServer]:
    server = BotServer(
        tmp_path=tmp_path,
        zoom_url=zoom.url,
        slack_api_url=slack.api_url,
        clock=clock,
        extra_env={"ZOOM_WEBHOOK_SECRET_TOKEN": WEBHOOK_SECRET},
    )
    yield server
    server.stop()


@pytest.fixture
def webhook_sender(webhook_bot: BotServer, slack: FakeSlack) -> Iterator[SlackRequestSender]:
    sender = SlackRequestSender(webhook_bot.url, SIGNING_SECRET, slack)
    yield sender
    sender.close()


# -- signing like Zoom, without our code ---------------------------------------------------


def zoom_signature(body: bytes, timestamp: str, secret: str = WEBHOOK_SECRET) -> str:
    message = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def zoom_ms(clock: MovableClock) -> str:
    """x-zm-request-timestamp as Zoom sends it: epoch milliseconds."""
    return str(int(clock.time() * 1000))


def event_body(event: str, payload: dict[str, Any] | None = None) -> bytes:
    envelope = {"event": event, "event_ts": 1_765_000_000_000, "payload": payload or {}}
    return json.dumps(envelope, separators=(",", ":")).encode()


def post_raw(
    bot: BotServer,
    body: bytes,
    *,
    timestamp: str | None = None,
    signature: str | None = None,
    sign: bool = True,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """POST `body` to /zoom/webhook, signed for `timestamp` (now, in ms) unless told otherwise."""
    ts = zoom_ms(bot.clock) if timestamp is None else timestamp
    all_headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Zoom Marketplace/1.0a"}
    if sign:
        all_headers["x-zm-request-timestamp"] = ts
        all_headers["x-zm-signature"] = signature if signature is not None else zoom_signature(body, ts)
    all_headers.update(headers or {})
    return requests.post(bot.url + "/zoom/webhook", data=body, headers=all_headers, timeout=10)


def deauthorize(bot: BotServer, zoom_user_id: Any, **kwargs: Any) -> requests.Response:
    payload = {
        "account_id": "za_account",
        "user_id": zoom_user_id,
        "signature": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "deauthorization_time": "2026-12-07T10:00:00.000Z",
        "client_id": bot.settings.zoom_client_id,
    }
    return post_raw(bot, event_body("app_deauthorized", payload), **kwargs)


def zoom_user_of(bot: BotServer, slack: FakeSlack, user_id: str) -> str:
    grant = bot.services.grants.find(team_id=slack.team_id, user_id=user_id)
    assert grant is not None, f"{user_id} is not connected"
    return grant.zoom_user_id


def grant_rows(bot: BotServer) -> list[dict[str, Any]]:
    with bot.services.db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT slack_user_id, zoom_user_id, access_token_enc, refresh_token_enc FROM zoom_grants")
        )
        return [dict(row._mapping) for row in rows]


def is_deauthorized_dm(message: dict[str, Any]) -> bool:
    return "access to your Zoom account was removed" in all_text(message)


def connect_alice_bob_and_carol(sender: SlackRequestSender, zoom: FakeZoom, slack: FakeSlack) -> None:
    """Alice and Bob connect the same Zoom user (Alice's); Carol connects her own."""
    assert connect(sender).status_code == 200
    slack.add_user(BOB, name="bob", real_name="Bob Example")
    assert connect(sender, user_id=BOB).status_code == 200  # Zoom still signs in as Alice
    zoom.add_user(CAROL_EMAIL, first_name="Carol")
    zoom.consent_as(CAROL_EMAIL)
    slack.add_user(CAROL, name="carol", real_name="Carol Example")
    assert connect(sender, user_id=CAROL).status_code == 200
    for user in (ALICE, BOB, CAROL):
        slack.wait_for_message(channel=user, predicate=lambda m: "Zoom is connected" in all_text(m))


# -- URL validation and signatures over HTTP ----------------------------------------------


def test_url_validation_is_answered_with_the_plain_token_and_its_hmac(webhook_bot):
    plain_token = "qgg8vlvZRS6UYooatFL8Aw"
    response = post_raw(webhook_bot, event_body("endpoint.url_validation", {"plainToken": plain_token}))
    assert response.status_code == 200
    expected = hmac.new(WEBHOOK_SECRET.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    assert response.json() == {"plainToken": plain_token, "encryptedToken": expected}
    assert response.headers["Content-Type"].startswith("application/json")


def test_url_validation_without_a_plain_token_is_a_malformed_payload(webhook_bot):
    for payload in ({}, {"plainToken": ""}, {"plainToken": 42}):
        response = post_raw(webhook_bot, event_body("endpoint.url_validation", payload))
        assert response.status_code == 400 and response.json() == {"error": "malformed payload"}
    no_payload = post_raw(webhook_bot, b'{"event":"endpoint.url_validation","payload":"x"}')
    assert no_payload.status_code == 400


def test_a_good_signature_with_a_millisecond_timestamp_is_accepted(webhook_bot):
    timestamp = zoom_ms(webhook_bot.clock)
    assert len(timestamp) == 13  # what Zoom sends
    response = post_raw(webhook_bot, event_body("meeting.started"), timestamp=timestamp)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_a_bad_signature_is_refused_and_changes_nothing(webhook_bot, webhook_sender, slack):
    connect(webhook_sender)
    zoom_user = zoom_user_of(webhook_bot, slack, ALICE)
    before = grant_rows(webhook_bot)
    forged = zoom_signature(event_body("app_deauthorized", {"user_id": zoom_user}), zoom_ms(webhook_bot.clock),
                            secret="not-the-secret")
    for signature in (forged, "v0=" + "0" * 64, "v0=", "nonsense", "v0=é"):
        response = deauthorize(webhook_bot, zoom_user, signature=signature)
        assert response.status_code == 401 and response.json() == {"error": "invalid signature"}
    assert grant_rows(webhook_bot) == before
    assert not any(is_deauthorized_dm(m) for m in slack.messages)


def test_a_request_without_signature_headers_is_refused(webhook_bot, webhook_sender, slack):
    connect(webhook_sender)
    zoom_user = zoom_user_of(webhook_bot, slack, ALICE)
    body = event_body("app_deauthorized", {"user_id": zoom_user})
    timestamp = zoom_ms(webhook_bot.clock)
    without_any = post_raw(webhook_bot, body, sign=False)
    without_timestamp = post_raw(webhook_bot, body, sign=False,
                                 headers={"x-zm-signature": zoom_signature(body, timestamp)})
    without_signature = post_raw(webhook_bot, body, sign=False, headers={"x-zm-request-timestamp": timestamp})
    for response in (without_any, without_timestamp, without_signature):
        assert response.status_code == 401 and response.json() == {"error": "invalid signature"}
    assert webhook_bot.services.grants.count() == 1


def test_a_stale_timestamp_is_refused(webhook_bot, webhook_sender, slack, clock):
    connect(webhook_sender)
    zoom_user = zoom_user_of(webhook_bot, slack, ALICE)
    signed_at = zoom_ms(clock)
    clock.advance(minutes=6)  # a replay of a request captured six minutes ago
    response = deauthorize(webhook_bot, zoom_user, timestamp=signed_at)
    assert response.status_code == 401 and response.json() == {"error": "invalid signature"}
    assert webhook_bot.services.grants.count() == 1


def test_a_timestamp_from_the_future_is_refused(webhook_bot, clock):
    ahead = str(int((clock.time() + 6 * 60) * 1000))
    response = post_raw(webhook_bot, event_body("meeting.started"), timestamp=ahead)
    assert response.status_code == 401


def test_a_timestamp_within_five_minutes_is_accepted(webhook_bot, clock):
    signed_at = zoom_ms(clock)
    clock.advance(minutes=4)  # a slow proxy, a skewed clock
    response = post_raw(webhook_bot, event_body("meeting.started"), timestamp=signed_at)
    assert response.status_code == 200


def test_a_body_reserialized_after_signing_is_refused(webhook_bot, webhook_sender, slack):
    connect(webhook_sender)
    zoom_user = zoom_user_of(webhook_bot, slack, ALICE)
    envelope = {"event": "app_deauthorized", "payload": {"user_id": zoom_user}}
    signed = json.dumps(envelope, separators=(",", ":")).encode()
    timestamp = zoom_ms(webhook_bot.clock)
    reformatted = json.dumps(envelope, indent=2).encode()  # same JSON, other bytes
    assert json.loads(reformatted) == json.loads(signed)
    response = post_raw(webhook_bot, reformatted, timestamp=timestamp, signature=zoom_signature(signed, timestamp))
    assert response.status_code == 401
    assert webhook_bot.services.grants.count() == 1


def test_malformed_json_with_a_valid_signature_is_a_bad_request(webhook_bot):
    for body in (b"{not json", b"[1, 2]", b'"event"', b"{}", b'{"event": 7}', b'{"event": ""}', b"\xff\xfe\x00",
                 b"", b"[" * 50_000):
        response = post_raw(webhook_bot, body)
        assert response.status_code == 400, body[:20]
        assert response.json() == {"error": "malformed payload"}


def test_a_bad_signature_is_checked_before_the_json(webhook_bot):
    response = post_raw(webhook_bot, b"{not json", signature="v0=" + "a" * 64)
    assert response.status_code == 401


def test_an_unhandled_event_is_acknowledged_and_changes_nothing(webhook_bot, webhook_sender, slack):
    connect(webhook_sender)
    slack.wait_for_message(channel=ALICE, predicate=lambda m: "Zoom is connected" in all_text(m))
    zoom_user = zoom_user_of(webhook_bot, slack, ALICE)
    before = grant_rows(webhook_bot)
    messages_before = len(slack.messages)
    payload = {"account_id": "za_account", "object": {"id": 81234567890, "host_id": zoom_user, "topic": "Standup"}}
    response = post_raw(webhook_bot, event_body("meeting.started", payload))
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert grant_rows(webhook_bot) == before
    assert len(slack.messages) == messages_before


def test_a_get_is_not_allowed(webhook_bot):
    assert requests.get(webhook_bot.url + "/zoom/webhook", timeout=10).status_code == 405


# -- app_deauthorized ----------------------------------------------------------------------


def test_app_deauthorized_deletes_every_grant_of_that_zoom_user_and_tells_each_person(
    webhook_bot, webhook_sender, zoom, slack
):
    connect_alice_bob_and_carol(webhook_sender, zoom, slack)
    alices_zoom_user = zoom_user_of(webhook_bot, slack, ALICE)
    assert zoom_user_of(webhook_bot, slack, BOB) == alices_zoom_user
    assert zoom_user_of(webhook_bot, slack, CAROL) != alices_zoom_user
    before = grant_rows(webhook_bot)
    deleted_ciphertexts = [
        value
        for row in before
        if row["zoom_user_id"] == alices_zoom_user
        for value in (row["access_token_enc"], row["refresh_token_enc"])
    ]
    assert len(deleted_ciphertexts) == 4 and all(deleted_ciphertexts)

    response = deauthorize(webhook_bot, alices_zoom_user)

    assert response.status_code == 200 and response.json() == {"status": "ok"}
    # Deleted by the time Zoom has its answer, tokens and all.
    after = grant_rows(webhook_bot)
    assert [row["slack_user_id"] for row in after] == [CAROL]
    dump = " ".join(str(value) for row in after for value in row.values())
    assert not any(ciphertext in dump for ciphertext in deleted_ciphertexts)
    assert webhook_bot.services.grants.find(team_id=slack.team_id, user_id=ALICE) is None
    assert webhook_bot.services.grants.find(team_id=slack.team_id, user_id=BOB) is None
    carol = webhook_bot.services.grants.find(team_id=slack.team_id, user_id=CAROL)
    assert carol is not None and carol.active and carol.zoom_email == CAROL_EMAIL

    for user in (ALICE, BOB):
        dm = slack.wait_for_message(channel=user, predicate=is_deauthorized_dm)
        assert "/zoom connect" in all_text(dm)
    assert not any(is_deauthorized_dm(m) for m in slack.messages if m["channel"] == CAROL)


def test_a_deauthorized_user_can_connect_again(webhook_bot, webhook_sender, slack):
    connect(webhook_sender)
    assert deauthorize(webhook_bot, zoom_user_of(webhook_bot, slack, ALICE)).status_code == 200
    slack.wait_for_message(channel=ALICE, predicate=is_deauthorized_dm)
    status, _ = webhook_sender.command("status")
    assert "haven't connected Zoom yet" in all_text(status.json())
    assert connect(webhook_sender).status_code == 200
    grant = webhook_bot.services.grants.find(team_id=slack.team_id, user_id=ALICE)
    assert grant is not None and grant.active and grant.zoom_email == ALICE_EMAIL


def test_deauthorization_answers_zoom_before_slack_is_told(webhook_bot, webhook_sender, slack):
    connect(webhook_sender)
    zoom_user = zoom_user_of(webhook_bot, slack, ALICE)
    slack.api_delay = 1.5  # every Slack call is slow now
    started = time.monotonic()
    response = deauthorize(webhook_bot, zoom_user)
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and elapsed < 1.5
    assert webhook_bot.services.grants.count() == 0
    assert not any(is_deauthorized_dm(m) for m in slack.messages)  # still on its way
    slack.wait_for_message(channel=ALICE, predicate=is_deauthorized_dm, timeout=10)


def test_a_repeated_deauthorization_is_acknowledged_and_harmless(webhook_bot, webhook_sender, slack):
    connect(webhook_sender)
    zoom_user = zoom_user_of(webhook_bot, slack, ALICE)
    assert deauthorize(webhook_bot, zoom_user).status_code == 200
    slack.wait_for_message(channel=ALICE, predicate=is_deauthorized_dm)
    again = deauthorize(webhook_bot, zoom_user)  # Zoom retries when it missed our answer
    assert again.status_code == 200 and again.json() == {"status": "ok"}
    assert webhook_bot.services.grants.count() == 0


def test_deauthorizing_an_unknown_zoom_user_deletes_nothing(webhook_bot, webhook_sender, slack):
    connect(webhook_sender)
    before = grant_rows(webhook_bot)
    response = deauthorize(webhook_bot, "zu_somebody_else")
    assert response.status_code == 200
    assert grant_rows(webhook_bot) == before


def test_the_deauthorizer_for_an_unknown_zoom_user_deletes_nothing_and_sends_nothing(
    webhook_bot, webhook_sender, slack
):
    connect(webhook_sender)
    slack.wait_for_message(channel=ALICE, predicate=lambda m: "Zoom is connected" in all_text(m))
    messages_before = len(slack.messages)
    deauthorizer = Deauthorizer(webhook_bot.services.grants, webhook_bot.services.notifier)
    assert deauthorizer.handle(zoom_user_id="zu_nobody") == 0  # DMs, if any, are sent inline here
    assert webhook_bot.services.grants.count() == 1
    assert len(slack.messages) == messages_before


def test_the_deauthorizer_returns_how_many_grants_it_deleted(webhook_bot, webhook_sender, zoom, slack):
    connect_alice_bob_and_carol(webhook_sender, zoom, slack)
    deauthorizer = Deauthorizer(webhook_bot.services.grants, webhook_bot.services.notifier)
    assert deauthorizer.handle(zoom_user_id=zoom_user_of(webhook_bot, slack, ALICE)) == 2
    # Sent inline (no executor given): both DMs are there already.
    told = {m["channel"] for m in slack.messages if is_deauthorized_dm(m)}
    assert told == {ALICE, BOB}


def test_app_deauthorized_without_a_user_id_is_a_malformed_payload(webhook_bot, webhook_sender, slack):
    connect(webhook_sender)
    for user_id in (None, 12345, "", ["zu_x"]):
        response = deauthorize(webhook_bot, user_id)
        assert response.status_code == 400 and response.json() == {"error": "malformed payload"}
    assert webhook_bot.services.grants.count() == 1


# -- size, switch, logs --------------------------------------------------------------------


def test_an_oversized_body_is_refused(webhook_bot):
    envelope = b'{"event":"meeting.started","payload":{"padding":"'
    body = envelope + b"x" * (LIMIT + 1 - len(envelope) - 3) + b'"}}'
    assert len(body) == LIMIT + 1
    response = post_raw(webhook_bot, body)
    assert response.status_code == 413
    assert "error" in response.json()


def test_a_body_of_exactly_64_kib_is_accepted(webhook_bot):
    envelope = b'{"event":"meeting.started","payload":{"padding":"'
    body = envelope + b"x" * (LIMIT - len(envelope) - 3) + b'"}}'
    assert len(body) == LIMIT
    assert post_raw(webhook_bot, body).status_code == 200


def test_an_oversized_chunked_body_is_refused(webhook_bot):
    body = event_body("meeting.started", {"padding": "x" * LIMIT})
    timestamp = zoom_ms(webhook_bot.clock)
    headers = {
        "Content-Type": "application/json",
        "x-zm-request-timestamp": timestamp,
        "x-zm-signature": zoom_signature(body, timestamp),
    }
    chunks = (body[i : i + 8192] for i in range(0, len(body), 8192))  # no Content-Length
    response = requests.post(webhook_bot.url + "/zoom/webhook", data=chunks, headers=headers, timeout=10)
    assert response.status_code == 413


def test_a_chunked_body_of_exactly_64_kib_is_accepted(webhook_bot):
    envelope = b'{"event":"meeting.started","payload":{"padding":"'
    body = envelope + b"x" * (LIMIT - len(envelope) - 3) + b'"}}'
    timestamp = zoom_ms(webhook_bot.clock)
    headers = {
        "Content-Type": "application/json",
        "x-zm-request-timestamp": timestamp,
        "x-zm-signature": zoom_signature(body, timestamp),
    }
    chunks = (body[i : i + 8192] for i in range(0, len(body), 8192))
    response = requests.post(webhook_bot.url + "/zoom/webhook", data=chunks, headers=headers, timeout=10)
    assert response.status_code == 200


def test_the_webhook_is_not_found_without_a_secret(bot):
    assert bot.settings.zoom_webhook_secret_token is None
    body = event_body("endpoint.url_validation", {"plainToken": "abc"})
    response = post_raw(bot, body)
    unknown = requests.post(bot.url + "/no/such/path", data=body, timeout=10)
    assert response.status_code == 404
    assert response.text == unknown.text and "encryptedToken" not in response.text
    huge = post_raw(bot, b"x" * (LIMIT * 2))
    assert huge.status_code == 404


def test_the_secret_signature_and_body_stay_out_of_the_info_log(webhook_bot, webhook_sender, slack, caplog):
    connect(webhook_sender)
    zoom_user = zoom_user_of(webhook_bot, slack, ALICE)
    plain_token = "plain-token-for-the-log-test"
    validation = event_body("endpoint.url_validation", {"plainToken": plain_token})
    deauth = event_body("app_deauthorized", {"user_id": zoom_user, "account_id": "za_log_test_account"})
    timestamp = zoom_ms(webhook_bot.clock)
    with caplog.at_level(logging.INFO):
        assert post_raw(webhook_bot, validation, timestamp=timestamp).status_code == 200
        assert post_raw(webhook_bot, deauth, timestamp=timestamp).status_code == 200
        assert post_raw(webhook_bot, deauth, signature="v0=" + "b" * 64).status_code == 401
        slack.wait_for_message(channel=ALICE, predicate=is_deauthorized_dm)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    forbidden = [WEBHOOK_SECRET, zoom_signature(validation, timestamp), zoom_signature(deauth, timestamp),
                 "b" * 64, plain_token, "za_log_test_account", validation.decode(), deauth.decode()]
    assert not [value for value in forbidden if value in logged]
    assert "app_deauthorized" in logged and zoom_user in logged
    assert "endpoint.url_validation" in logged


# -- the pure functions ----------------------------------------------------------------------


NOW = 1_765_100_000.0  # seconds
NOW_MS = str(int(NOW * 1000))
BODY = b'{"event":"meeting.started","payload":{"object":{"id":1}}}'


def test_signature_for_is_v0_and_the_hex_hmac_of_the_raw_body():
    expected = "v0=" + hmac.new(b"s3cret", b"v0:" + NOW_MS.encode() + b":" + BODY, hashlib.sha256).hexdigest()
    assert signature_for("s3cret", NOW_MS, BODY) == expected == zoom_signature(BODY, NOW_MS, secret="s3cret")


def test_verify_accepts_milliseconds_and_seconds():
    assert verify("s3cret", timestamp=NOW_MS, signature=zoom_signature(BODY, NOW_MS, "s3cret"), body=BODY, now=NOW)
    seconds = str(int(NOW))
    assert verify("s3cret", timestamp=seconds, signature=zoom_signature(BODY, seconds, "s3cret"), body=BODY, now=NOW)


def test_verify_allows_five_minutes_either_way_and_no_more():
    def ok(now: float, tolerance: float = 300) -> bool:
        signature = zoom_signature(BODY, NOW_MS, "s3cret")
        return verify("s3cret", timestamp=NOW_MS, signature=signature, body=BODY, now=now, tolerance=tolerance)

    assert ok(NOW + 300) and ok(NOW - 300)
    assert not ok(NOW + 300.001) and not ok(NOW - 300.001)
    assert not ok(NOW + 61, tolerance=60)


@pytest.mark.parametrize(
    "timestamp",
    ["", "abc", "1765100000.5", "-1765100000", " 1765100000", "1765100000 ", "+1765100000", "1_765_100_000",
     "1e12", "１７６５１０００００", "9" * 40],
)
def test_verify_refuses_a_timestamp_that_is_not_an_integer(timestamp):
    signature = zoom_signature(BODY, timestamp, "s3cret")
    assert not verify("s3cret", timestamp=timestamp, signature=signature, body=BODY, now=NOW)


def test_verify_refuses_anything_missing():
    signature = zoom_signature(BODY, NOW_MS, "s3cret")
    assert not verify("s3cret", timestamp=None, signature=signature, body=BODY, now=NOW)
    assert not verify("s3cret", timestamp=NOW_MS, signature=None, body=BODY, now=NOW)
    assert not verify("s3cret", timestamp=NOW_MS, signature="", body=BODY, now=NOW)
    assert not verify("", timestamp=NOW_MS, signature=zoom_signature(BODY, NOW_MS, ""), body=BODY, now=NOW)


def test_verify_refuses_another_secret_body_or_timestamp():
    signature = zoom_signature(BODY, NOW_MS, "s3cret")
    assert not verify("other", timestamp=NOW_MS, signature=signature, body=BODY, now=NOW)
    assert not verify("s3cret", timestamp=NOW_MS, signature=signature, body=BODY + b" ", now=NOW)
    later = str(int(NOW_MS) + 1)
    assert not verify("s3cret", timestamp=later, signature=signature, body=BODY, now=NOW)
    assert not verify("s3cret", timestamp=NOW_MS, signature=signature.upper(), body=BODY, now=NOW)
    assert not verify("s3cret", timestamp=NOW_MS, signature="v0=ü" + signature[4:], body=BODY, now=NOW)


def test_url_validation_answer_is_the_token_and_its_hmac():
    expected = hmac.new(b"s3cret", b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert url_validation_answer("s3cret", "qgg8vlvZRS6UYooatFL8Aw") == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": expected,
    }


def test_parse_event_returns_the_envelope():
    assert parse_event(BODY) == {"event": "meeting.started", "payload": {"object": {"id": 1}}}


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"null", b"[]", b'"app_deauthorized"', b"{}", b'{"event": null}', b'{"event": ""}',
     b'{"event": ["x"]}', b"\xff\xfe\xfa", b"[" * 50_000],
)
def test_parse_event_refuses_what_is_not_an_event_envelope(body):
    with pytest.raises(WebhookPayloadError):
        parse_event(body)
    assert issubclass(WebhookPayloadError, ValueError)


def test_the_deauthorized_message_says_access_was_removed_and_how_to_reconnect():
    message = deauthorized_message()
    assert message["text"] and message["blocks"]
    assert "removed" in all_text(message) and "/zoom connect" in all_text(message)
    assert all(block["type"] in ("section", "context") for block in message["blocks"])


def test_the_zoom_package_knows_nothing_of_slack_flask_or_the_database():
    source = (Path(__file__).resolve().parent.parent / "zoom" / "webhook.py").read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    for forbidden in ("flask", "slack", "sqlalchemy", "storage", "services", "handlers", "web"):
        assert not [line for line in imports if forbidden in line.split()[1]], forbidden
