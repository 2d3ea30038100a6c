"""The id of the request (or task, or command) being served: the audit trail and the logs carry it."""

import contextvars
import uuid

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def new_request_id() -> str:
    return uuid.uuid4().hex
