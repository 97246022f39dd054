from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes import FakeSlack, FakeZoom  # noqa: E402
from tests.fakes.slack_signing import SlackRequestSender  # noqa: E402
from tests.harness import (  # noqa: E402
    BOT_TOKEN,
    SIGNING_SECRET,
    ZOOM_CLIENT_ID,
    ZOOM_CLIENT_SECRET,
    BotServer,
    MovableClock,
)

ALICE = "U0ALICE"
ALICE_EMAIL = "alice@example.com"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def zoom(clock: MovableClock) -> Iterator[FakeZoom]:
    fake = FakeZoom(ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, clock=clock.time)
    fake.start()
    fake.add_user(ALICE_EMAIL, first_name="Alice", last_name="Example", timezone="America/New_York")
    yield fake
    fake.stop()


@pytest.fixture
def slack(clock: MovableClock) -> Iterator[FakeSlack]:
    fake = FakeSlack(BOT_TOKEN, clock=clock.time)
    fake.start()
    fake.add_user(ALICE, name="alice", tz="America/New_York")
    yield fake
    fake.stop()


@pytest.fixture
def bot(tmp_path: Path, zoom: FakeZoom, slack: FakeSlack, clock: MovableClock) -> Iterator[BotServer]:
    server = BotServer(tmp_path=tmp_path, zoom_url=zoom.url, slack_api_url=slack.api_url, clock=clock)
    yield server
    server.stop()


@pytest.fixture
def sender(bot: BotServer, slack: FakeSlack) -> SlackRequestSender:
    return SlackRequestSender(bot.url, SIGNING_SECRET, slack)


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database, from ZOOMBOT_TEST_POSTGRES_URL: every table dropped,
    alembic_version and slack_sdk's too. Where that is set the tests run (and fail if the
    server is down); where it is not, they are skipped."""
    import os

    url = os.environ.get("ZOOMBOT_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("ZOOMBOT_TEST_POSTGRES_URL is not set")
    from sqlalchemy import MetaData

    from storage.db import Database

    db = Database.from_url(url)
    everything = MetaData()
    everything.reflect(db.engine)
    everything.drop_all(db.engine)
    db.dispose()
    yield url


@pytest.fixture
def postgres_url(empty_postgres_url: str) -> Iterator[str]:
    """A clean PostgreSQL database at the newest migration (see empty_postgres_url)."""
    from storage.migrate import upgrade_to_head

    upgrade_to_head(empty_postgres_url)
    yield empty_postgres_url
