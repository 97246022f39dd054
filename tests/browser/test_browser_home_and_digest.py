"""The App Home tab and "Send today's digest now", through the bot's own services."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.browser_steps import connect, eventually, last_reply, open_client, save, show_from_top

NO_HOME = "The bot published no Home view yet"


def test_send_todays_digest_now_shows_the_dm(page, sandbox, screenshots):
    open_client(page, sandbox)
    digest_button = page.get_by_role("button", name="Send today's digest now")
    if getattr(sandbox.runtime.services, "digests", None) is None:
        digest_button.click()
        expect(page.locator("#digest-note")).to_contain_text("no digest yet")
        return
    connect(page, sandbox)
    digest_button.click()
    expect(page.locator("#messages-dm")).to_be_visible()
    digest = last_reply(page, "dm")
    expect(digest.locator(".bk-header")).to_contain_text("Your Zoom meetings today")
    expect(digest.get_by_text("Customer call: Acme Corp", exact=True)).to_be_visible()
    show_from_top(page, digest, height=900)
    save(page, screenshots, "digest.png")


def test_app_home_shows_the_published_view_and_its_controls_reach_the_bot(page, sandbox, screenshots):
    open_client(page, sandbox)
    connect(page, sandbox)
    page.locator("#nav-app").click()
    page.get_by_role("tab", name="Home").click()
    home = page.locator("#home")
    expect(home.locator(".home-view").or_(home.get_by_text(NO_HOME))).to_be_visible()
    if home.locator(".home-view").count() == 0:
        return  # this version of the bot has no Home tab: the page says so
    expect(home.locator(".bk-block").first).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 1100})
    save(page, screenshots, "app-home.png")

    published = int(home.get_attribute("data-published"))
    # A setting, not a button: the Home tab's first button is Disconnect.
    picker, menu = home.locator("input.bk-picker[type=time]"), home.locator("select.bk-select")
    if picker.count():
        picker.first.fill("07:45")
    else:
        values = menu.first.evaluate("node => [...node.options].filter(o => !o.disabled && !o.selected).map(o => o.value)")
        menu.first.select_option(values[0])
    click = eventually(lambda: [c for c in sandbox.workspace.clicks if c["surface"] == "home"])[0]
    assert click["status"] == 200, click
    # A Home-tab click has no response_url: the bot answers by publishing the view again.
    expect(home).not_to_have_attribute("data-published", str(published))
