"""The sandbox: the real bot, the stand-ins for Slack and Zoom, and a Slack-like page, on
127.0.0.1 (`python bot.py sandbox`). `sandbox.fakes` is the one model of each platform, shared
with the tests."""
