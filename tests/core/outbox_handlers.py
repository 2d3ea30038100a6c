"""Outbox handlers for the tests: they record what they were asked to deliver, and fail on demand."""

calls: list[dict] = []
failures_left = {"count": 0}


def record(*, idempotency_key, **payload):
    if failures_left["count"] > 0:
        failures_left["count"] -= 1
        raise ConnectionRefusedError("the provider is down")
    calls.append({"key": idempotency_key, **payload})
