"""Logs as JSON lines, each record carrying the request id (README, "Configuration: logs").

A record is one JSON object: time (UTC), level, logger, message, request_id, and the fields a call
passes in `extra` (e.g. `logger.info("alert raised", extra={"event": "alert.raised", "alert_id": 7})`).
Records name patients and staff by id only: no names, contact details, answers or passwords.

The request id is the one RequestIdMiddleware sets. A task enqueued while serving a request carries
it in a message header and runs under it, so the worker's records (and its audit events) name the
request that caused them; a task with no request behind it (beat) runs under its own task id.
"""

import datetime as dt
import json
import logging

from celery import signals
from django.utils.crypto import salted_hmac

from core.request_id import current_request_id

REQUEST_ID_HEADER = "moverx_request_id"
# attributes every LogRecord has; whatever else a record carries came from `extra`
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# Django's request records carry the request, whose text holds the query string (a patient's name in a
# search); the request id already says which request it was
_NOT_LOGGED = _STANDARD_ATTRIBUTES | {"request"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id.get(),
        }
        entry.update((key, value) for key, value in vars(record).items() if key not in _NOT_LOGGED)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def email_digest(email: str) -> str:
    """A stable pseudonym for an e-mail address in the logs: failures for one address can be
    counted without the logs holding the address. Keyed (SECRET_KEY), so that a reader of the logs
    cannot confirm a guessed address by hashing it."""
    return salted_hmac("moverx.logs.email", email.strip().lower(), algorithm="sha256").hexdigest()[:16]


@signals.before_task_publish.connect
def _send_request_id(headers=None, **kwargs) -> None:
    request_id = current_request_id.get()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


_tokens: dict[str, object] = {}  # task id → the context token to restore when the task ends


@signals.task_prerun.connect
def _receive_request_id(task_id=None, task=None, **kwargs) -> None:
    # eager tasks (tests) run inside the caller: they keep its id
    request_id = getattr(task.request, REQUEST_ID_HEADER, None) or current_request_id.get() or task_id
    _tokens[task_id] = current_request_id.set(request_id)


@signals.task_postrun.connect
def _forget_request_id(task_id=None, **kwargs) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        current_request_id.reset(token)
