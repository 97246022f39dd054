"""Block Kit messages as pure functions: data in, message dicts out. No network, no database."""
