"""Connecting Zoom in the sandbox by clicking, as a person would: Connect Zoom, the stand-in
Zoom's consent page, and back on the bot's own callback page."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.browser_steps import (
    last_reply,
    connect_by_clicking,
    eventually,
    fits_width,
    open_client,
    save,
    show_from_top,
    type_line,
)

PHONE = {"width": 390, "height": 760}


def test_connect_by_clicking_then_meetings_shows_the_week(page, sandbox, screenshots, dialogs):
    open_client(page, sandbox)
    callback = connect_by_clicking(page, sandbox, decision="Allow")

    expect(callback.locator("h1")).to_have_text("Zoom is connected")
    expect(callback.locator("main")).to_contain_text("Zoom is connected as demo@example.com")
    expect(callback.locator("main")).to_contain_text("close this tab and go back to Slack")
    callback.set_viewport_size(PHONE)
    assert fits_width(callback)
    save(callback, screenshots, "callback-connected.png")
    callback.close()

    # Like Slack, the click on the URL button also reached the bot, which acknowledged it.
    eventually(lambda: any(c["action"]["action_id"] == "connect_zoom" and c["status"] == 200
                           for c in sandbox.workspace.clicks))
    # The bot's confirmation arrives as a DM: the app shows an unread badge.
    expect(page.locator("#badge")).to_have_text("1")

    type_line(page, "/zoom meetings")
    listing = last_reply(page)
    expect(listing.locator(".bk-header")).to_have_text("Your Zoom meetings · Next 7 days")
    # Whatever the day and hour: a standup ahead, tomorrow's (or Monday's) 1:1, a call under way.
    for topic in ("Standup", "1:1 with Sam", "Customer call: Acme Corp"):
        expect(listing.get_by_text(topic, exact=True).first).to_be_visible()
    expect(listing.get_by_text("happening now").first).to_be_visible()  # one or two, by the hour
    expect(listing.locator("em", has_text="Career goals, and the Q3 roadmap")).to_be_visible()
    joins = listing.locator("a.bk-button", has_text="Join")
    assert joins.count() >= 8
    assert joins.first.get_attribute("target") == "_blank"
    # Times come from <!date^…> tokens, shown in the browser's timezone.
    first_time = listing.locator(".mk-date").first.inner_text()
    assert first_time.endswith(("AM", "PM")), first_time
    show_from_top(page, listing)
    save(page, screenshots, "meetings-list.png")

    page.locator("#nav-app").click()
    dm = last_reply(page, "dm")
    expect(dm).to_contain_text("Zoom is connected as demo@example.com")
    expect(page.locator("#badge")).to_be_hidden()
    assert dialogs == []


def test_deny_at_zoom_shows_the_friendly_page(page, sandbox, screenshots):
    open_client(page, sandbox)
    callback = connect_by_clicking(page, sandbox, decision="Deny")

    expect(callback.locator("h1")).to_have_text("Zoom was not connected")
    expect(callback.locator("main")).to_contain_text("You chose not to give zoombot access")
    expect(callback.locator("main")).to_contain_text("/zoom connect")
    callback.set_viewport_size(PHONE)
    assert fits_width(callback)
    save(callback, screenshots, "callback-denied.png")
    callback.close()

    type_line(page, "/zoom status")
    expect(last_reply(page)).to_contain_text("You haven't connected Zoom yet")
    assert sandbox.runtime.services.grants.find(team_id="T0SANDBOX", user_id="U0DEMO") is None
