"""The report heartbeat (outcomes/services.py): a run blocked in a long query still beats, so the
minute sweep leaves it alone; a run that went silent (its worker lost) is run again, and the silent
run can no longer write."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction

from core import outbox
from outcomes import services
from outcomes.models import Assessment, OutcomeReport

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def report(clinic, manager):
    return OutcomeReport.objects.create(clinic=clinic, start_from=dt.date(2026, 1, 1), start_to=dt.date(2026, 3, 1),
                                        as_of=dt.date(2026, 9, 1), requested_by=manager, code_version="test")


def in_thread(target, *args):
    def run():
        try:
            target(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def hold_assessments(locked: threading.Event, seconds: float):
    """Another session locks the table the report reads first: the run waits inside a query."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Assessment._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        locked.set()
        time.sleep(seconds)


def start_blocked_run(report, seconds: float) -> tuple[threading.Thread, threading.Thread]:
    locked = threading.Event()
    holder = in_thread(hold_assessments, locked, seconds)
    assert locked.wait(10)
    return holder, in_thread(services.report_compute, report.pk)


def wait_for_running(report):
    deadline = time.monotonic() + 10
    while OutcomeReport.objects.get(pk=report.pk).status != "running":
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.05)


def test_a_run_blocked_in_a_long_query_keeps_beating_and_is_left_alone(report, monkeypatch, settings):
    monkeypatch.setattr(services, "HEARTBEAT_EVERY", dt.timedelta(seconds=0.2))
    settings.REPORT_HEARTBEAT_STALE_SECONDS = 1
    holder, run = start_blocked_run(report, seconds=3)
    wait_for_running(report)
    beats, settled = set(), []
    for _ in range(10):  # 2.5 s: longer than REPORT_HEARTBEAT_STALE_SECONDS
        time.sleep(0.25)
        beats.add(OutcomeReport.objects.get(pk=report.pk).heartbeat_at)
        settled.append(services.reports_settle_stale())
    holder.join()
    run.join()
    assert len(beats) >= 5, beats
    assert set(settled) == {(0, 0)}
    done = OutcomeReport.objects.get(pk=report.pk)
    assert (done.status, done.attempts, done.progress) == ("done", 1, 100)


def test_a_silent_run_is_run_again(report, monkeypatch, settings):
    monkeypatch.setattr(services, "HEARTBEAT_EVERY", dt.timedelta(hours=1))  # its worker went quiet
    settings.REPORT_HEARTBEAT_STALE_SECONDS = 1
    holder, run = start_blocked_run(report, seconds=2.5)
    wait_for_running(report)
    time.sleep(1.5)
    # sent again through the outbox; its fast path runs the new run in-process (eager), after the lock
    assert services.reports_settle_stale() == (1, 0)
    holder.join()
    run.join()
    again = OutcomeReport.objects.get(pk=report.pk)
    assert (again.status, again.attempts, again.progress) == ("done", 2, 100)
    assert outbox.drain().delivered == 0  # the dispatch went out once
