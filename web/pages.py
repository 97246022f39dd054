"""The bot's own HTML pages: small, readable on a phone, and leaking nothing."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from services.connect import CallbackResult


@dataclass(frozen=True)
class Page:
    status: int
    title: str
    message: str
    next_step: str
    ok: bool = False


AGAIN = "Go back to Slack and run <code>/zoom connect</code> to get a fresh link."

PAGES: dict[CallbackResult, Page] = {
    CallbackResult.DENIED: Page(
        200,
        "Zoom was not connected",
        "You chose not to give zoombot access to your Zoom meetings. Nothing was stored.",
        "Changed your mind? Run <code>/zoom connect</code> in Slack whenever you like.",
    ),
    CallbackResult.ZOOM_ERROR: Page(
        400, "Zoom could not connect", "Zoom sent back an error instead of a sign-in.", AGAIN
    ),
    CallbackResult.MISSING_STATE: Page(
        400, "This link is incomplete", "The link that brought you here is missing part of its sign-in data.", AGAIN
    ),
    CallbackResult.UNKNOWN_STATE: Page(
        400, "This link is not valid", "zoombot did not create this sign-in link, or it was changed on the way.", AGAIN
    ),
    CallbackResult.EXPIRED_STATE: Page(
        400, "This link has expired", "Connect links work for 10 minutes, and this one is older.", AGAIN
    ),
    CallbackResult.USED_STATE: Page(
        400,
        "This link was already used",
        "Each Connect Zoom link works once. If you connected a moment ago, you are all set.",
        "Check with <code>/zoom status</code> in Slack, or run <code>/zoom connect</code> for a new link.",
    ),
    CallbackResult.MISSING_CODE: Page(
        400, "Zoom did not finish signing in", "Zoom sent you back without a sign-in code.", AGAIN
    ),
    CallbackResult.CODE_REJECTED: Page(
        400,
        "Zoom did not accept this sign-in",
        "The sign-in code was already used or has expired (Zoom's codes last 5 minutes).",
        AGAIN,
    ),
    CallbackResult.ZOOM_UNAVAILABLE: Page(
        502, "Zoom is not answering", "zoombot could not reach Zoom to finish connecting. Nothing was stored.", AGAIN
    ),
}


def connected_page(email: str) -> Page:
    return Page(
        200,
        "Zoom is connected",
        f"Zoom is connected as <strong>{escape(email)}</strong>.",
        "You can close this tab and go back to Slack. Try <code>/zoom meetings</code>.",
        ok=True,
    )


def not_found_page() -> Page:
    return Page(404, "Nothing here", "This address is not part of zoombot.", "Go back to Slack.")


def link_expired_page() -> Page:
    return Page(
        400,
        "This link has expired",
        "Connect links in zoombot's messages work for 7 days, and this one is older or incomplete.",
        AGAIN,
    )


def server_error_page() -> Page:
    return Page(
        500,
        "Something went wrong",
        "zoombot hit an unexpected problem. Nothing was lost.",
        "Please try again in a minute.",
    )


def render(page: Page) -> str:
    """The HTML of a page. Titles are ours; any dynamic part was escaped by the caller.

    Self-contained (inline CSS, no scripts, images or fonts) so that the callback's policy,
    `default-src 'none'; style-src 'unsafe-inline'`, holds; laid out for a phone first.
    """
    mark = "&#10003;" if page.ok else "!"
    tone = "ok" if page.ok else "warn"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{escape(page.title)} · zoombot</title>
<style>
  :root {{ color-scheme: light dark; }}
  body {{ margin: 0; font: 16px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif;
         background: #f4f5f7; color: #1d1c1d; display: flex; min-height: 100vh; align-items: center;
         justify-content: center; -webkit-text-size-adjust: 100%; }}
  main {{ background: #fff; max-width: 28rem; width: calc(100% - 2rem); margin: 1rem; padding: 1.75rem 1.75rem 1.5rem;
         border-radius: 12px; box-shadow: 0 1px 3px rgba(0,0,0,.12); border-top: 4px solid #2d8cff; }}
  .brand {{ display: flex; align-items: center; gap: .5rem; font-weight: 700; color: #2d8cff; margin: 0 0 1.25rem; }}
  .logo {{ width: 1.5rem; height: 1.5rem; border-radius: 6px; background: #2d8cff; color: #fff; font-weight: 800;
          display: inline-flex; align-items: center; justify-content: center; font-size: .9rem; }}
  .title {{ display: flex; align-items: center; gap: .75rem; margin: 0 0 .75rem; }}
  .mark {{ flex: 0 0 2.25rem; height: 2.25rem; border-radius: 50%; display: flex; align-items: center;
          justify-content: center; font-weight: 700; font-size: 1.15rem; color: #fff; }}
  .ok {{ background: #2eb67d; }} .warn {{ background: #e8912d; }}
  h1 {{ font-size: 1.35rem; line-height: 1.25; margin: 0; }}
  p {{ margin: .5rem 0; overflow-wrap: anywhere; }}
  .next {{ margin-top: 1.25rem; padding: .75rem 1rem; border-radius: 8px; background: #f4f8ff; color: #30343b; }}
  .next-label {{ display: block; font-size: .75rem; font-weight: 700; letter-spacing: .06em; text-transform: uppercase;
                color: #5c6470; margin-bottom: .15rem; }}
  code {{ background: #e9edf3; padding: .1rem .35rem; border-radius: 4px; font-size: .92em; white-space: nowrap; }}
  footer {{ margin-top: 1.25rem; font-size: .8rem; color: #8a8d91; }}
  @media (prefers-color-scheme: dark) {{
    body {{ background: #1a1d21; color: #e8e8e8; }} main {{ background: #222529; box-shadow: none; }}
    .next {{ background: #2b3038; color: #d8dadd; }} .next-label {{ color: #a7adb5; }} code {{ background: #3a3f47; }}
  }}
</style>
</head>
<body>
<main>
  <p class="brand"><span class="logo" aria-hidden="true">z</span>zoombot</p>
  <div class="title"><div class="mark {tone}" aria-hidden="true">{mark}</div><h1>{escape(page.title)}</h1></div>
  <p>{page.message}</p>
  <p class="next"><span class="next-label">What to do next</span>{page.next_step}</p>
  <footer>zoombot puts your Zoom meetings in Slack.</footer>
</main>
</body>
</html>
"""
