"""Moved to `sandbox.fakes._server`; this keeps old imports working."""

from sandbox.fakes._server import Clock, FakeServer, SlidingWindow  # noqa: F401

__all__ = ["Clock", "FakeServer", "SlidingWindow"]
