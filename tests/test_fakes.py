"""The fakes must behave like Zoom and Slack, or the bot's tests prove nothing: test them over
real sockets with plain ``requests``."""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import request as flask_request
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

try:
    from tests.fakes import FakeSlack, FakeZoom, SlackRequestSender, pkce_challenge
    from tests.fakes._server import FakeServer
except ImportError:  # pytest run without the repository root on sys.path
    from fakes import FakeSlack, FakeZoom, SlackRequestSender, pkce_challenge  # type: ignore
    from fakes._server import FakeServer  # type: ignore

CLIENT_ID = "zoom-client-id"
CLIENT_SECRET = "zoom-client-secret"
REDIRECT_URI = "https://bot.example/zoom/callback"
VERIFIER = secrets.token_urlsafe(48)
BOT_TOKEN = "xoxb-fake-bot-token"
SIGNING_SECRET = "signing-secret-for-tests"
ALICE = "alice@example.com"
START = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
UTC = timezone.utc


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START.timestamp())


@pytest.fixture
def zoom(clock: FakeClock) -> Iterator[FakeZoom]:
    with FakeZoom(CLIENT_ID, CLIENT_SECRET, clock=clock) as fake:
        fake.add_user(ALICE)
        yield fake


@pytest.fixture
def slack(clock: FakeClock) -> Iterator[FakeSlack]:
    with FakeSlack(BOT_TOKEN, clock=clock) as fake:
        fake.add_user("U0ALICE")
        yield fake


# ------------------------------------------------------------------------- Zoom helpers
def authorize_params(**overrides: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": "state-123",
        "code_challenge": pkce_challenge(VERIFIER),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return params


def get_code(zoom: FakeZoom, **overrides: str) -> str:
    response = requests.get(
        zoom.oauth_url + "/oauth/authorize",
        params=authorize_params(**overrides),
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["state-123"]
    return query["code"][0]


def exchange(
    zoom: FakeZoom,
    code: str,
    *,
    verifier: str = VERIFIER,
    redirect_uri: str = REDIRECT_URI,
    auth: tuple[str, str] | None = (CLIENT_ID, CLIENT_SECRET),
) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    return requests.post(zoom.oauth_url + "/oauth/token", data=data, auth=auth)


def refresh(zoom: FakeZoom, refresh_token: str) -> requests.Response:
    return requests.post(
        zoom.oauth_url + "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )


def connect(zoom: FakeZoom) -> dict[str, Any]:
    response = exchange(zoom, get_code(zoom))
    assert response.status_code == 200, response.text
    return response.json()


def api(zoom: FakeZoom, token: str, path: str, **params: Any) -> requests.Response:
    return requests.get(
        zoom.api_url + path, headers={"Authorization": f"Bearer {token}"}, params=params
    )


# ------------------------------------------------------------------------- Zoom OAuth
def test_code_exchange_returns_zoom_shaped_tokens(zoom: FakeZoom) -> None:
    body = connect(zoom)
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3599
    assert body["scope"] == "meeting:read user:read"
    assert body["api_url"] == zoom.url
    assert body["access_token"].startswith("zat_") and body["refresh_token"].startswith("zrt_")
    assert {body["access_token"], body["refresh_token"]} <= zoom.issued_secrets
    me = api(zoom, body["access_token"], "/users/me")
    assert me.status_code == 200
    assert me.json()["email"] == ALICE
    assert set(me.json()) >= {"id", "first_name", "timezone", "account_id", "pmi", "language"}


def test_pkce_right_verifier_passes_wrong_fails(zoom: FakeZoom) -> None:
    wrong = exchange(zoom, get_code(zoom), verifier=secrets.token_urlsafe(48))
    assert wrong.status_code == 400
    assert wrong.json() == {"reason": "Invalid authorization code", "error": "invalid_grant"}
    missing = requests.post(
        zoom.oauth_url + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": get_code(zoom),
            "redirect_uri": REDIRECT_URI,
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert missing.status_code == 400
    assert exchange(zoom, get_code(zoom)).status_code == 200


def test_code_works_once(zoom: FakeZoom) -> None:
    code = get_code(zoom)
    assert code.startswith("zcode_") and code in zoom.issued_secrets
    assert exchange(zoom, code).status_code == 200
    second = exchange(zoom, code)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_expired_code_fails(zoom: FakeZoom, clock: FakeClock) -> None:
    code = get_code(zoom)
    clock.advance(5 * 60 + 1)
    assert exchange(zoom, code).status_code == 400
    fresh = get_code(zoom)
    clock.advance(4 * 60)
    assert exchange(zoom, fresh).status_code == 200


def test_redirect_uri_mismatch_fails(zoom: FakeZoom) -> None:
    response = exchange(zoom, get_code(zoom), redirect_uri=REDIRECT_URI + "/other")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_authorize_validates_its_parameters(zoom: FakeZoom) -> None:
    url = zoom.oauth_url + "/oauth/authorize"
    zoom.allowed_redirect_uris = {REDIRECT_URI}
    cases = {
        "redirect_uri": authorize_params(redirect_uri="https://evil.example/cb"),
        "client_id": authorize_params(client_id="someone-else"),
        "code_challenge_method": authorize_params(code_challenge_method="plain"),
        "code_challenge": authorize_params(code_challenge="not-a-sha256"),
        "response_type": authorize_params(response_type="token"),
    }
    for name, params in cases.items():
        response = requests.get(url, params=params, allow_redirects=False)
        assert response.status_code == 400, name
        assert name in response.text
    no_state = {k: v for k, v in authorize_params().items() if k != "state"}
    assert requests.get(url, params=no_state, allow_redirects=False).status_code == 400
    bad_redirect = requests.get(url, params=cases["redirect_uri"], allow_redirects=False)
    assert "4709" in bad_redirect.text
    assert get_code(zoom)  # the registered redirect_uri still works


def test_consent_page_and_denial(zoom: FakeZoom) -> None:
    zoom.deny_next = True
    url = zoom.oauth_url + "/oauth/authorize"
    denied = requests.get(url, params=authorize_params(), allow_redirects=False)
    assert parse_qs(urlsplit(denied.headers["Location"]).query) == {
        "error": ["access_denied"],
        "state": ["state-123"],
    }
    assert get_code(zoom)  # deny_next is consumed

    zoom.auto_consent = False
    for decision, expected in (("allow", "code"), ("deny", "error")):
        page = requests.get(url, params=authorize_params())
        assert page.status_code == 200 and "Allow" in page.text and "Deny" in page.text
        consent_id = re.search(r'name="consent_id" value="([^"]+)"', page.text).group(1)
        answer = requests.post(
            zoom.oauth_url + "/oauth/authorize/decision",
            data={"consent_id": consent_id, "decision": decision},
            allow_redirects=False,
        )
        assert answer.status_code == 302
        assert expected in parse_qs(urlsplit(answer.headers["Location"]).query)


def test_token_endpoint_requires_basic_auth_and_form_body(zoom: FakeZoom) -> None:
    invalid_client = {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
    code = get_code(zoom)
    for auth in (None, (CLIENT_ID, "wrong-secret"), ("other-client", CLIENT_SECRET)):
        response = exchange(zoom, code, auth=auth)
        assert response.status_code == 401
        assert response.json() == invalid_client
    in_body = requests.post(
        zoom.oauth_url + "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": CLIENT_ID,
              "client_secret": CLIENT_SECRET},
    )
    assert in_body.status_code == 401
    in_query = requests.post(
        zoom.oauth_url + "/oauth/token",
        params={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                "code_verifier": VERIFIER},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert in_query.status_code == 400
    assert in_query.json()["error"] == "unsupported_grant_type"
    assert exchange(zoom, code).status_code == 200  # 401s did not burn the code
    assert len(zoom.token_calls) == 6


def test_refresh_token_is_single_use(zoom: FakeZoom) -> None:
    first = connect(zoom)
    second = refresh(zoom, first["refresh_token"])
    assert second.status_code == 200
    again = refresh(zoom, first["refresh_token"])
    assert again.status_code == 400
    assert again.json() == {"reason": "Invalid Token!", "error": "invalid_grant"}
    assert refresh(zoom, second.json()["refresh_token"]).status_code == 200
    assert zoom.refresh_count == 2
    assert zoom.refresh_calls == [
        first["refresh_token"], first["refresh_token"], second.json()["refresh_token"]
    ]


def test_concurrent_refreshes_exactly_one_wins(zoom: FakeZoom) -> None:
    token = connect(zoom)["refresh_token"]
    barrier = threading.Barrier(20)
    results: list[requests.Response] = []
    results_lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        response = refresh(zoom, token)
        with results_lock:
            results.append(response)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] + [400] * 19
    assert zoom.refresh_count == 1 and len(zoom.refresh_calls) == 20
    winner = next(r for r in results if r.status_code == 200).json()
    assert refresh(zoom, winner["refresh_token"]).status_code == 200


def test_old_access_token_dies_after_refresh(zoom: FakeZoom) -> None:
    first = connect(zoom)
    assert api(zoom, first["access_token"], "/users/me").status_code == 200
    second = refresh(zoom, first["refresh_token"]).json()
    old = api(zoom, first["access_token"], "/users/me")
    assert old.status_code == 401
    assert old.json() == {"code": 124, "message": "Invalid access token."}
    assert api(zoom, second["access_token"], "/users/me").status_code == 200


def test_access_token_expiry(zoom: FakeZoom, clock: FakeClock) -> None:
    tokens = connect(zoom)
    clock.advance(3598)
    assert api(zoom, tokens["access_token"], "/users/me").status_code == 200
    clock.advance(1)
    expired = api(zoom, tokens["access_token"], "/users/me")
    assert expired.status_code == 401
    assert expired.json() == {"code": 124, "message": "Access token is expired."}

    fresh = refresh(zoom, tokens["refresh_token"]).json()
    zoom.expire_access_tokens()
    assert api(zoom, fresh["access_token"], "/users/me").json()["message"] == (
        "Access token is expired."
    )
    assert refresh(zoom, fresh["refresh_token"]).status_code == 200


def test_api_token_only_from_header(zoom: FakeZoom) -> None:
    token = connect(zoom)["access_token"]
    in_query = requests.get(zoom.api_url + "/users/me", params={"access_token": token})
    assert in_query.status_code == 401 and in_query.json()["code"] == 124
    both = requests.get(
        zoom.api_url + "/users/me",
        params={"access_token": token},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert both.status_code == 401
    assert requests.get(zoom.api_url + "/users/me").status_code == 401


def test_revoke(zoom: FakeZoom) -> None:
    tokens = connect(zoom)
    url = zoom.oauth_url + "/oauth/revoke"
    assert requests.post(url, data={"token": tokens["access_token"]}).status_code == 401
    client = (CLIENT_ID, CLIENT_SECRET)
    ok = requests.post(url, data={"token": tokens["access_token"]}, auth=client)
    assert ok.status_code == 200 and ok.json() == {"status": "success"}
    assert zoom.revoked == [tokens["access_token"]]
    assert api(zoom, tokens["access_token"], "/users/me").status_code == 401
    assert refresh(zoom, tokens["refresh_token"]).status_code == 400
    again = requests.post(url, data={"token": tokens["access_token"]}, auth=client)
    assert again.status_code == 400
    assert again.json() == {"reason": "Invalid Token!", "error": "invalid_request"}


def test_fail_next_token_leaves_state_alone(zoom: FakeZoom) -> None:
    code = get_code(zoom)
    zoom.fail_next_token(503, n=2)
    assert exchange(zoom, code).status_code == 503
    assert exchange(zoom, code).status_code == 503
    assert exchange(zoom, code).status_code == 200


# ------------------------------------------------------------------------- Zoom meetings
def test_pagination_three_pages(zoom: FakeZoom) -> None:
    token = connect(zoom)["access_token"]
    for hours in (5, 1, 4, 2, 3):  # out of order on purpose
        zoom.add_meeting(ALICE, topic=f"m{hours}", start_time=START + timedelta(hours=hours))
    pages, page_token = [], None
    while True:
        params: dict[str, Any] = {"page_size": 2}
        if page_token:
            params["next_page_token"] = page_token
        body = api(zoom, token, "/users/me/meetings", **params).json()
        pages.append([m["topic"] for m in body["meetings"]])
        assert body["total_records"] == 5 and body["page_size"] == 2
        page_token = body["next_page_token"]
        if not page_token:
            break
    assert pages == [["m1", "m2"], ["m3", "m4"], ["m5"]]
    meeting = body["meetings"][0]
    assert meeting["start_time"] == "2026-03-10T17:00:00Z"
    assert isinstance(meeting["id"], int) and len(str(meeting["id"])) == 11
    assert meeting["join_url"] == f"https://zoom.example/j/{meeting['id']}"
    assert set(meeting) >= {"uuid", "host_id", "type", "duration", "timezone", "agenda",
                            "created_at"}


def test_page_token_expires_and_page_size_is_capped(zoom: FakeZoom, clock: FakeClock) -> None:
    token = connect(zoom)["access_token"]
    for hours in range(3):
        zoom.add_meeting(ALICE, topic=f"m{hours}", start_time=START + timedelta(hours=hours))
    first = api(zoom, token, "/users/me/meetings", page_size=1).json()
    clock.advance(15 * 60)
    stale = api(zoom, token, "/users/me/meetings", page_size=1,
                next_page_token=first["next_page_token"])
    assert stale.status_code == 400 and stale.json()["code"] == 300
    assert api(zoom, token, "/users/me/meetings", page_size=1000).json()["page_size"] == 300
    zoom.max_page_size = 2
    capped = api(zoom, token, "/users/me/meetings", page_size=300).json()
    assert capped["page_size"] == 2 and len(capped["meetings"]) == 2 and capped["next_page_token"]
    assert api(zoom, token, "/users/me/meetings", type="bogus").json() == {
        "code": 300, "message": "Invalid type"
    }


def test_loose_date_filter_returns_out_of_range_meeting(zoom: FakeZoom) -> None:
    token = connect(zoom)["access_token"]
    # 15:00 UTC = 10:00/11:00 in New York on each of these days
    for day in (7, 9, 10, 11, 13):
        start = datetime(2026, 3, day, 15, tzinfo=UTC)
        zoom.add_meeting(ALICE, topic=f"day{day}", start_time=start)
    body = api(zoom, token, "/users/me/meetings", **{
        "from": "2026-03-10", "to": "2026-03-10", "timezone": "America/New_York"
    }).json()
    topics = [m["topic"] for m in body["meetings"]]
    assert topics == ["day9", "day10", "day11"]  # day9 and day11 are outside the range


def test_upcoming_and_previous(zoom: FakeZoom, clock: FakeClock) -> None:
    token = connect(zoom)["access_token"]
    zoom.add_meeting(ALICE, topic="past", start_time=START - timedelta(hours=2), duration=30)
    zoom.add_meeting(ALICE, topic="live", start_time=START - timedelta(minutes=10), duration=30)
    zoom.add_meeting(ALICE, topic="later", start_time=START + timedelta(hours=2))

    def topics(kind: str) -> list[str]:
        body = api(zoom, token, "/users/me/meetings", type=kind).json()
        return [m["topic"] for m in body["meetings"]]

    assert topics("upcoming") == ["live", "later"]
    assert topics("live") == ["live"]
    assert topics("previous_meetings") == ["past"]
    assert topics("scheduled") == ["past", "live", "later"]


# ------------------------------------------------------------------------- Zoom faults
def test_rate_limit_injection_with_both_retry_after_forms(zoom: FakeZoom) -> None:
    token = connect(zoom)["access_token"]
    when = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    zoom.rate_limit_next(1, "1")
    zoom.rate_limit_next(1, when)
    zoom.rate_limit_next(1, None)
    seen = []
    for _ in range(3):
        response = api(zoom, token, "/users/me")
        assert response.status_code == 429
        assert response.json()["code"] == 429
        assert response.headers["X-RateLimit-Category"] == "Medium"
        assert response.headers["X-RateLimit-Type"] == "QPS"
        seen.append(response.headers.get("Retry-After"))
    assert seen == ["1", when, None]
    assert api(zoom, token, "/users/me").status_code == 200

    tokens = connect(zoom)
    zoom.rate_limit_next(1, when, endpoint="token")
    limited = refresh(zoom, tokens["refresh_token"])
    assert limited.status_code == 429 and limited.headers["Retry-After"] == when
    assert refresh(zoom, tokens["refresh_token"]).status_code == 200  # the 429 burned nothing


def test_per_second_ceilings(zoom: FakeZoom, clock: FakeClock) -> None:
    token = connect(zoom)["access_token"]
    zoom.api_ceiling_per_second = 2
    statuses = [api(zoom, token, "/users/me").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    clock.advance(1)
    assert api(zoom, token, "/users/me").status_code == 200

    zoom.token_ceiling_per_second = 1
    assert refresh(zoom, "zrt_unknown").status_code == 400
    limited = refresh(zoom, "zrt_unknown")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"


# ------------------------------------------------------------------------- Slack Web API
def slack_post(
    slack: FakeSlack, method: str, token: str | None = BOT_TOKEN, **kw: Any
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(slack.api_url + method, headers=headers, **kw)


def test_slack_auth_check(slack: FakeSlack) -> None:
    assert slack_post(slack, "auth.test", token=None).json() == {"ok": False, "error": "not_authed"}
    assert slack_post(slack, "auth.test", token="xoxb-wrong").json() == {
        "ok": False, "error": "invalid_auth"
    }
    ok = slack_post(slack, "auth.test").json()
    assert ok["ok"] and ok["user_id"] == "U0BOT" and ok["team_id"] == "T0TEAM1"
    in_form = slack_post(slack, "auth.test", token=None, data={"token": BOT_TOKEN})
    assert in_form.json()["ok"]
    unknown = slack_post(slack, "nope.nothing")
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_method"


def test_slack_sdk_client_against_fake(slack: FakeSlack) -> None:
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    assert client.auth_test()["bot_id"] == "B0BOT"
    user = client.users_info(user="U0ALICE")["user"]
    assert user["tz"] == "America/New_York" and user["profile"]["display_name"] == "alice"
    dm = client.conversations_open(users="U0ALICE")["channel"]["id"]
    assert dm == "D0ALICE"
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    posted = client.chat_postMessage(channel="U0ALICE", text="hi", blocks=blocks)
    assert posted["channel"] == "D0ALICE"
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="edited")
    assert slack.messages[0]["text"] == "edited" and slack.messages[0]["blocks"] == blocks
    client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": blocks})
    assert slack.published_views[0]["view"]["blocks"] == blocks
    client.chat_postEphemeral(channel="C0GENERAL", user="U0ALICE", text="psst")
    assert [name for name, _ in slack.calls] == [
        "auth.test", "users.info", "conversations.open", "chat.postMessage", "chat.update",
        "views.publish", "chat.postEphemeral",
    ]
    with pytest.raises(Exception, match="user_not_found"):
        client.users_info(user="U0NOBODY")


def test_slack_form_bodies_and_validation(slack: FakeSlack) -> None:
    blocks = [{"type": "section", "text": {"type": "plain_text", "text": "form"}}]
    posted = slack_post(slack, "chat.postMessage",
                        data={"channel": "C0GENERAL", "blocks": json.dumps(blocks)}).json()
    assert posted["ok"] and posted["channel"] == "C0GENERAL"
    assert slack.messages[-1]["blocks"] == blocks
    ts = [slack_post(slack, "chat.postMessage", json={"channel": "C1", "text": "x"}).json()["ts"]
          for _ in range(3)]
    assert len(set(ts)) == 3 and all(float(t) for t in ts)
    assert slack_post(slack, "chat.postMessage", json={"text": "x"}).json()["error"] == (
        "channel_not_found"
    )
    no_text = slack_post(slack, "chat.postMessage", json={"channel": "C1"})
    assert no_text.json()["error"] == "no_text"
    stranger = slack_post(slack, "chat.postMessage", json={"channel": "U0NOBODY", "text": "x"})
    assert stranger.json()["error"] == "channel_not_found"
    too_many = [{"type": "divider"}] * 51
    crowded = slack_post(slack, "chat.postMessage", json={"channel": "C1", "blocks": too_many})
    assert crowded.json()["error"] == "invalid_blocks"
    assert "no more than 50" in crowded.json()["response_metadata"]["messages"][0]


def test_chat_post_message_ceiling(slack: FakeSlack, clock: FakeClock) -> None:
    slack.post_ceiling_per_second = 3
    responses = [slack_post(slack, "chat.postMessage", json={"channel": f"C{i}", "text": "x"})
                 for i in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert responses[-1].json() == {"ok": False, "error": "ratelimited"}
    assert responses[-1].headers["Retry-After"] == "1"
    assert slack.rate_limited_count == 2 and len(slack.messages) == 3
    clock.advance(1)
    assert slack_post(slack, "chat.postMessage", json={"channel": "C9", "text": "x"}).ok

    slack.post_ceiling_per_second = None
    slack.per_channel_per_second = 1
    assert slack_post(slack, "chat.postMessage", json={"channel": "U0ALICE", "text": "a"}).ok
    same_dm = slack_post(slack, "chat.postMessage", json={"channel": "D0ALICE", "text": "b"})
    assert same_dm.status_code == 429
    assert slack_post(slack, "chat.postMessage", json={"channel": "C0OTHER", "text": "c"}).ok


def test_slack_rate_limit_next(slack: FakeSlack) -> None:
    slack.rate_limit_next("users.info", n=2, retry_after="7")
    for _ in range(2):
        limited = slack_post(slack, "users.info", data={"user": "U0ALICE"})
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert slack_post(slack, "users.info", data={"user": "U0ALICE"}).json()["ok"]


def test_wait_for_message(slack: FakeSlack) -> None:
    def later() -> None:
        time.sleep(0.2)
        slack_post(slack, "chat.postMessage", json={"channel": "U0ALICE", "text": "first"})
        slack_post(slack, "chat.postMessage", json={"channel": "U0ALICE", "text": "second"})

    threading.Thread(target=later, daemon=True).start()
    found = slack.wait_for_message("D0ALICE", predicate=lambda m: m["text"] == "second")
    assert found["channel"] == "U0ALICE"
    with pytest.raises(AssertionError, match="no chat.postMessage to C0NONE"):
        slack.wait_for_message("C0NONE", timeout=0.2)


# ------------------------------------------------------------------------- response_url
def test_response_url_waiting(slack: FakeSlack) -> None:
    url = slack.new_response_url()
    assert url.startswith(slack.url + "/response/")

    def later() -> None:
        time.sleep(0.2)
        requests.post(url, json={"text": "one", "response_type": "ephemeral"})
        requests.post(url, json={"text": "two", "replace_original": True})

    started = time.monotonic()
    threading.Thread(target=later, daemon=True).start()
    payloads = slack.wait_for_response(url, count=2)
    assert [p["text"] for p in payloads] == ["one", "two"]
    assert time.monotonic() - started < 3
    assert slack.responses(url) == payloads
    with pytest.raises(AssertionError, match="expected 3 post"):
        slack.wait_for_response(url, timeout=0.2, count=3)


def test_sixth_response_url_post_refused(slack: FakeSlack) -> None:
    url = slack.new_response_url()
    for i in range(5):
        assert requests.post(url, json={"text": str(i)}).status_code == 200
    sixth = requests.post(url, json={"text": "6"})
    assert sixth.status_code == 404 and sixth.json()["error"] == "used_url"
    assert len(slack.responses(url)) == 5
    assert requests.get(url).status_code == 405
    assert requests.post(slack.url + "/response/unknown", json={"text": "x"}).status_code == 404


def test_response_url_expires_after_30_minutes(slack: FakeSlack, clock: FakeClock) -> None:
    url = slack.new_response_url()
    clock.advance(30 * 60 + 1)
    late = requests.post(url, json={"text": "late"})
    assert late.status_code == 404 and late.json()["error"] == "expired_url"


# ------------------------------------------------------------------------- signed requests
class SignatureCheckingBot(FakeServer):
    """Stands in for the bot: verifies Slack signatures like Bolt and records what arrived."""

    def __init__(self) -> None:
        super().__init__("signature_checking_bot", time.time)
        self.received: list[tuple[dict[str, str], bytes]] = []
        verifier = SignatureVerifier(SIGNING_SECRET)

        def events() -> tuple[str, int]:
            body = flask_request.get_data()
            if not verifier.is_valid_request(body, dict(flask_request.headers)):
                return "invalid signature", 401
            self.received.append((dict(flask_request.headers), body))
            return "", 200

        self.app.add_url_rule("/slack/events", view_func=events, methods=["POST"])


def test_slack_request_sender_signs_like_slack(slack: FakeSlack) -> None:
    with SignatureCheckingBot() as bot:
        sender = SlackRequestSender(bot.url, SIGNING_SECRET, slack)
        response, response_url = sender.command("connect now")
        assert response.status_code == 200
        assert slack.responses(response_url) == []
        fields = parse_qs(bot.received[-1][1].decode())
        assert fields["command"] == ["/zoom"] and fields["text"] == ["connect now"]
        assert fields["team_id"] == ["T0TEAM1"] and fields["response_url"] == [response_url]
        assert list(fields)[:3] == ["token", "team_id", "team_domain"]

        response, action_url = sender.block_action("zoom_connect", value="v1")
        assert response.status_code == 200 and action_url
        payload = json.loads(parse_qs(bot.received[-1][1].decode())["payload"][0])
        assert payload["type"] == "block_actions"
        assert payload["actions"][0]["action_id"] == "zoom_connect"
        assert payload["actions"][0]["value"] == "v1"
        _, no_url = sender.block_action("home_button", response_url=False)
        assert no_url is None

        assert sender.event({"type": "app_home_opened", "user": "U0ALICE"}, retry_num=1).ok
        headers, body = bot.received[-1]
        assert headers["X-Slack-Retry-Num"] == "1"
        assert json.loads(body)["authorizations"][0]["user_id"] == "U0BOT"

        assert sender.command("x", signature="v0=" + "0" * 64)[0].status_code == 401
        stale = int(time.time()) - 6 * 60
        assert sender.command("x", timestamp=stale)[0].status_code == 401
        assert sender.raw(b"{}", "application/json").status_code == 200
        sender.close()
