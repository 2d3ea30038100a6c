"""How a reminder reaches a patient. A channel sends one message under an idempotency key and,
when it can, tells whether a key was delivered: that is how a reminder left in `sending` by a
crashed worker is settled without sending it twice.

To add a provider (an SMS gateway, a push service), write a class with the two methods below,
give it the provider's credentials through the environment, and name it in
REMINDER_EMAIL_CHANNEL / REMINDER_SMS_CHANNEL."""

import fcntl
import json
import logging
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("moverx.reminders")


class Channel:
    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> None:
        raise NotImplementedError

    def delivered(self, idempotency_key: str) -> bool | None:
        """True or False when the channel knows; None when it cannot tell."""
        return None


class EmailChannel(Channel):
    """Django's e-mail framework (SMTP from EMAIL_URL; the console in development). SMTP cannot
    say whether a message went out, so a crash mid-send leaves the reminder `failed`, not resent."""

    def send(self, *, to, subject, body, idempotency_key):
        EmailMessage(subject=subject, body=body, to=[to],
                     headers={"X-MoveRx-Idempotency-Key": idempotency_key}).send()


class LoggingChannel(Channel):
    """Writes each message as a JSON line to REMINDER_LOG_FILE (and the log): the development SMS
    channel, and what the tests and the benchmark count deliveries with. It knows what it sent."""

    def __init__(self, path: str | None = None):
        self.path = Path(path or settings.REMINDER_LOG_FILE)

    def send(self, *, to, subject, body, idempotency_key):
        line = json.dumps({"key": idempotency_key, "to": to, "subject": subject, "body": body,
                           "at": timezone.now().isoformat()})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as outbox:
            fcntl.flock(outbox, fcntl.LOCK_EX)  # whole lines, even from several worker processes
            outbox.write(line + "\n")
            outbox.flush()
        # the key only: a patient's address or number is theirs, not the log's
        logger.info("reminder %s written to the log file", idempotency_key)

    def delivered(self, idempotency_key):
        if not self.path.exists():
            return False
        needle = f'"key": "{idempotency_key}"'
        with open(self.path, encoding="utf-8") as outbox:
            return any(needle in line for line in outbox)

    def sent_keys(self) -> list[str]:
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as outbox:
            return [json.loads(line)["key"] for line in outbox if line.strip()]


def channel_for(name: str) -> Channel:
    return import_string(settings.REMINDER_CHANNELS[name])()
