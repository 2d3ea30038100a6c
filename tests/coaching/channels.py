"""A reminder channel for the fault tests: the logging channel, a little slow, so that a test can
kill a worker in the middle of a batch."""

import time

from coaching.channels import LoggingChannel


class SlowLoggingChannel(LoggingChannel):
    def send(self, **message):
        time.sleep(0.05)
        super().send(**message)


class BrokenChannel(LoggingChannel):
    def send(self, **message):
        raise ConnectionError("provider unavailable")
