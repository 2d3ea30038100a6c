"""An e-mail backend for worker processes started by tests: one JSON line per message in the
file named by TEST_EMAIL_FILE, so the test can count what really went out."""

import fcntl
import json
import os
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend

BACKEND = "tests.mailbox.JsonLinesEmailBackend"


class JsonLinesEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        path = Path(os.environ["TEST_EMAIL_FILE"])
        with open(path, "a", encoding="utf-8") as mailbox:
            fcntl.flock(mailbox, fcntl.LOCK_EX)
            for message in email_messages:
                mailbox.write(json.dumps({"to": message.to, "subject": message.subject, "body": message.body,
                                          "message_id": message.extra_headers.get("Message-ID", "")}) + "\n")
        return len(email_messages)


def read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
