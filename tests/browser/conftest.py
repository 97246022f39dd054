"""Playwright with Debian's Chromium against a sandbox on free ports.

Chromium is required, not optional: `.ci/run` installs it, and a browser test that cannot
start its browser fails (a skip would hide that the sandbox is untested).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without the networking switches Chromium tries Google's hosts at every start, which a
# closed network refuses (slowly): the sandbox needs none of it.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
TIMEZONE = "America/New_York"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def sandbox() -> Iterator[Any]:
    from sandbox.app import Sandbox

    box = Sandbox(port=0, start_scheduler=False, log_level="WARNING").start()
    yield box
    box.stop()


class Dialogs(list):
    """Every alert/confirm/prompt the page opened (each is dismissed at once)."""


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        timezone_id=TIMEZONE, locale="en-US", viewport={"width": 1280, "height": 860}, device_scale_factor=1
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def dialogs() -> Dialogs:
    return Dialogs()


@pytest.fixture
def page(context: Any, dialogs: Dialogs) -> Any:
    def record(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    context.on("page", lambda new: new.on("dialog", record))
    page = context.new_page()
    page.on("dialog", record)
    return page


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ZOOMBOT_SCREENSHOTS (e.g. docs/screenshots) or a temporary folder,
    so that a plain test run leaves the work tree as it was."""
    chosen = os.environ.get("ZOOMBOT_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
