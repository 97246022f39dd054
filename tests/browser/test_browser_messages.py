"""The page shows the bot's Block Kit as Slack would, and text from Zoom only ever as text."""
from __future__ import annotations

from slack_sdk import WebClient
from playwright.sync_api import expect

from sandbox.seed import UNTRUSTED_TOPIC
from tests.browser.browser_steps import connect, eventually, last_reply, open_client, type_line

NEW_YEAR_UTC = 1767225600  # 2026-01-01 00:00:00 UTC


def _option(text, value):
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def test_a_topic_with_script_and_channel_shows_as_literal_text(page, sandbox, dialogs):
    open_client(page, sandbox)
    connect(page, sandbox)
    type_line(page, "/zoom meetings")
    listing = last_reply(page)
    expect(listing.locator(".bk-header")).to_have_text("Your Zoom meetings · Next 7 days")

    topic = listing.get_by_text(UNTRUSTED_TOPIC, exact=True)
    expect(topic).to_be_visible()
    assert topic.evaluate("node => node.tagName") == "STRONG"  # the bot's *bold*, around plain text
    expect(listing.get_by_text("<b>this</b> & <!here> stay text.", exact=False)).to_be_visible()
    assert page.locator("#messages-channel script").count() == 0
    assert listing.locator("b").count() == 0
    assert listing.locator(".mk-broadcast").count() == 0  # neither @channel nor @here became a mention
    # The bot escaped it for Slack; the page decoded the entities only for display.
    raw = page.locator("#messages-channel article[data-author=zoombot] .json-body").last.text_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;" in raw
    page.wait_for_timeout(200)
    assert dialogs == []


def test_block_kit_renders_like_slack_and_clicks_reach_the_bot(page, sandbox, browser):
    local = f"{sandbox.bot_url}/healthz"
    text = (
        "*bold* _italic_ ~gone~ `code` <https://zoom.us/meeting|Zoom> <" + local + "|health> "
        "&lt;b&gt;not bold&lt;/b&gt; &amp; more\n"
        f"<!date^{NEW_YEAR_UTC}^{{date_long}} at {{time}}|fallback>"
    )
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Rendering check"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text},
         "accessory": {"type": "static_select", "action_id": "pick_one",
                       "placeholder": {"type": "plain_text", "text": "Pick"},
                       "options": [_option("One", "1"), _option("Two", "2")]}},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "for <@U0DEMO>"}]},
        {"type": "actions", "block_id": "controls", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Press"}, "action_id": "press_me", "value": "42"},
            {"type": "timepicker", "action_id": "pick_time", "initial_time": "08:30"},
            {"type": "checkboxes", "action_id": "tick", "options": [_option("Tick", "t")]},
        ]},
    ]
    WebClient(token=sandbox.slack.bot_token, base_url=sandbox.slack.api_url).chat_postMessage(
        channel="U0DEMO", text="Rendering check", blocks=blocks
    )
    open_client(page, sandbox)
    expect(page.locator("#badge")).to_have_text("1")
    page.locator("#nav-app").click()
    message = last_reply(page, "dm")

    expect(message.locator(".bk-header")).to_have_text("Rendering check")
    expect(message.locator("strong")).to_have_text("bold")
    expect(message.locator("em")).to_have_text("italic")
    expect(message.locator("s")).to_have_text("gone")
    expect(message.locator("code")).to_have_text("code")
    outside = message.get_by_role("link", name="Zoom")
    assert outside.get_attribute("href").startswith("/outside?url=https%3A%2F%2Fzoom.us%2Fmeeting")
    assert outside.get_attribute("target") == "_blank"
    assert message.get_by_role("link", name="health").get_attribute("href") == local
    expect(message.locator(".bk-section-text")).to_contain_text("<b>not bold</b> & more")
    assert message.locator("b").count() == 0
    expect(message.locator(".mk-date")).to_have_text("Wednesday, December 31st, 2025 at 7:00 PM")
    expect(message.locator(".bk-context")).to_have_text("for @dana")
    assert message.locator("hr.bk-divider").count() == 1

    message.get_by_role("button", name="Press").click()
    expect(page.locator("#toast")).to_contain_text("HTTP 404")  # no listener for press_me: Slack warns too
    message.locator("select.bk-select").select_option(label="Two")
    message.get_by_role("checkbox", name="Tick").check()

    def sent(action_id):
        return [c for c in sandbox.workspace.clicks if c["action"]["action_id"] == action_id]

    press = eventually(lambda: sent("press_me"))[0]["action"]
    assert press["type"] == "button" and press["value"] == "42"
    picked = eventually(lambda: sent("pick_one"))[0]["action"]
    assert picked["selected_option"]["value"] == "2"
    ticked = eventually(lambda: sent("tick"))[0]["action"]
    assert [o["value"] for o in ticked["selected_options"]] == ["t"]

    # The same message in a browser on the other side of the world: the time follows the reader.
    tokyo = browser.new_context(timezone_id="Asia/Tokyo", locale="en-US")
    try:
        other = tokyo.new_page()
        open_client(other, sandbox)
        other.locator("#nav-app").click()
        expect(other.locator("#messages-dm .mk-date").last).to_have_text("Thursday, January 1st, 2026 at 9:00 AM")
    finally:
        tokyo.close()
