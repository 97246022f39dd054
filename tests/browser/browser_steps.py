"""What a person does in the sandbox's page, as Playwright steps the browser tests share."""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Callable

from playwright.sync_api import Locator, Page, expect


def open_client(page: Page, sandbox: Any) -> None:
    page.goto(sandbox.url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def type_line(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message", exact=True)
    box.fill(text)
    box.press("Enter")


def bot_messages(page: Page, conversation: str = "channel") -> Locator:
    return page.locator(f"#messages-{conversation} article[data-author=zoombot]")


def last_reply(page: Page, conversation: str = "channel") -> Locator:
    """What the newest bot message shows (not its Block Kit JSON, which is folded below it)."""
    return bot_messages(page, conversation).last.locator(".content")


def connect_by_clicking(page: Page, sandbox: Any, *, decision: str = "Allow") -> Page:
    """`/zoom meetings`, Connect Zoom, the stand-in Zoom's consent page, Allow or Deny.
    Returns the tab that ends on the bot's own callback page."""
    type_line(page, "/zoom meetings")
    button = last_reply(page).locator("a.bk-button", has_text="Connect Zoom")
    expect(button).to_be_visible()
    with page.context.expect_page() as opened:
        button.click()
    zoom = opened.value
    zoom.wait_for_load_state()
    expect(zoom.get_by_text("Allow this app to use your Zoom account?")).to_be_visible()
    expect(zoom.get_by_text("demo@example.com")).to_be_visible()
    zoom.get_by_role("button", name=decision, exact=True).click()
    zoom.wait_for_url(re.compile(re.escape(sandbox.bot_url) + r"/zoom/oauth/callback\?"))
    return zoom


def connect(page: Page, sandbox: Any) -> None:
    """Connect the demo account by clicking, and wait for the bot's DM that confirms it."""
    connect_by_clicking(page, sandbox).close()
    expect(page.locator("#badge")).to_have_text("1")


def eventually(check: Callable[[], Any], *, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, "condition not met in time"
            return value
        time.sleep(0.05)


def show_from_top(page: Page, message: Locator, *, height: int = 1500) -> None:
    """A taller window with `message` scrolled to its top, for a screenshot of all of it."""
    page.set_viewport_size({"width": 1280, "height": height})
    message.evaluate("node => node.closest('article').scrollIntoView({block: 'start'})")


def save(page: Page, folder: Path, name: str, **options: Any) -> Path:
    path = folder / name
    page.mouse.move(0, 0)  # no hover highlight on whatever was clicked last
    page.screenshot(path=str(path), **options)
    assert path.stat().st_size > 1000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


def fits_width(page: Page) -> bool:
    """No sideways scrolling: the page is readable at this width."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))
