"""Logs are JSON lines carrying the request id (core/logs.py), written by the handler the settings
configure; the key events are logged with ids only (issue 12 §8)."""

import datetime as dt
import hashlib
import io
import json
import logging
import sys
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from coaching.tasks import sweep_reminders
from core.logs import JsonFormatter, email_digest
from tests.celery_harness import celery_worker, eager_off
from tests.coaching.test_reminders import active_patient
from tests.outcomes.test_report_api import REQUEST, scored_plan

PHQ9_ITEM_9_IS_2 = [1, 1, 0, 0, 0, 0, 0, 0, 2]
SHAPE = {"time", "level", "logger", "message", "request_id"}


class Captured:
    """What the configured console handler wrote, one JSON object per line."""

    def __init__(self, stream: io.StringIO):
        self.stream = stream

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def events(self, name: str) -> list[dict]:
        return [record for record in self.records() if record.get("event") == name]


@pytest.fixture
def logged():
    handlers = [handler for handler in logging.getLogger().handlers if isinstance(handler.formatter, JsonFormatter)]
    assert handlers, "LOGGING configures no JSON handler on the root logger"
    stream = io.StringIO()
    saved = [handler.setStream(stream) for handler in handlers]
    yield Captured(stream)
    for handler, old in zip(handlers, saved, strict=True):
        handler.setStream(old)


def assess(client, patient, request_id: str):
    response = client.post("/api/v1/assessments/", {
        "patient": patient.pk, "instrument": "phq9", "answers": PHQ9_ITEM_9_IS_2,
        "collected_at": dt.datetime.now(dt.UTC).isoformat()}, format="json", HTTP_X_REQUEST_ID=request_id)
    assert response.status_code == 201, response.content
    return response


@pytest.mark.django_db
def test_a_failed_api_login_is_one_json_line_with_the_request_id_and_no_address_or_password(logged, pt):
    response = Client().post("/api/v1/auth/token/", {"email": pt.email, "password": "wrong-password-1"},
                             content_type="application/json", HTTP_X_REQUEST_ID="req-login-0001")
    assert response.status_code == 400
    [record] = logged.events("login.failed")
    assert set(record) >= SHAPE
    assert (record["level"], record["logger"], record["request_id"]) == ("WARNING", "moverx.auth", "req-login-0001")
    assert (record["email_digest"], record["locked_out"]) == (email_digest(pt.email), False)
    assert record["email_digest"] not in hashlib.sha256(pt.email.encode()).hexdigest()  # keyed: not guessable
    assert dt.datetime.fromisoformat(record["time"]).utcoffset() == dt.timedelta(0)
    [finished] = logged.events("request.finished")
    assert (finished["request_id"], finished["method"], finished["status"]) == ("req-login-0001", "POST", 400)
    assert "auth/token" in finished["route"] and isinstance(finished["duration_ms"], int)
    output = logged.stream.getvalue()
    assert pt.email not in output and "wrong-password-1" not in output


@pytest.mark.django_db
def test_the_access_record_names_the_url_pattern_not_a_path_holding_a_token_or_a_query(logged, client, pt):
    client.get("/password-reset/MQ/secret-reset-token-123/")
    client.force_login(pt)
    client.get("/patients/?search=Barrera")
    client.get("/patients/999999/?search=Barrera")  # 404: Django's own record of it too
    routes = [record["route"] for record in logged.events("request.finished")]
    assert routes[0] == "password-reset/<uidb64>/<token>/" and "patients" in routes[1]
    [not_found] = [record for record in logged.records() if record["logger"] == "django.request"]
    assert not_found["status_code"] == 404 and "request" not in not_found
    output = logged.stream.getvalue()
    assert "secret-reset-token-123" not in output and "Barrera" not in output


@pytest.mark.django_db
def test_a_sign_in_page_failure_and_a_lockout_are_logged(logged, pt, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post("/login/", {"username": pt.email.upper(), "password": "wrong-password-1"})
    failures = logged.events("login.failed")
    assert len(failures) == settings.AXES_FAILURE_LIMIT + 1
    assert {record["email_digest"] for record in failures} == {email_digest(pt.email)}
    assert failures[-1]["locked_out"] is True and failures[0]["locked_out"] is False
    assert len({record["request_id"] for record in failures}) == len(failures)  # one id per request


@pytest.mark.django_db(transaction=True)
def test_an_alert_raised_in_a_request_and_delivered_by_its_task_carry_the_request_id(logged, api, patient):
    response = assess(api, patient, "req-alert-0001")
    assert response["X-Request-ID"] == "req-alert-0001"
    [raised] = logged.events("alert.raised")
    [delivered] = logged.events("alert.delivered")
    assert raised["request_id"] == delivered["request_id"] == "req-alert-0001"
    assert raised["patient_id"] == delivered["patient_id"] == patient.pk
    assert delivered["alert_id"] == raised["alert_id"]
    assert delivered["recipient_ids"] == sorted([patient.primary_pt_id, patient.coach_id])
    output = logged.stream.getvalue()
    assert patient.first_name not in output and patient.email not in output and "EMERGENCY" not in output


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_logs_json_lines_under_the_request_that_enqueued_its_task(api, patient):
    with eager_off(), celery_worker() as worker:
        assess(api, patient, "req-worker-0001")
        worker.wait_for('"event": "alert.delivered"')
        worker.wait_for('"logger": "celery.app.trace"')  # the task's end, logged after its handler's records
    records = [json.loads(line) for line in worker.lines if line.startswith("{")]
    [delivered] = [record for record in records if record.get("event") == "alert.delivered"]
    assert delivered["request_id"] == "req-worker-0001" and delivered["patient_id"] == patient.pk
    # Celery's own records of that task come through the same handler, under the same id
    task_records = [record for record in records if record["logger"].startswith("celery.app.trace")]
    assert task_records and {record["request_id"] for record in task_records} == {"req-worker-0001"}


@pytest.mark.django_db(transaction=True)
def test_a_report_logs_its_start_and_its_finish_with_status_and_duration(logged, client_for, manager, clinic):
    scored_plan(clinic, manager, dt.date(2026, 2, 1), 8, 2)
    response = client_for(manager).post("/api/v1/reports/outcomes/", REQUEST, format="json",
                                        HTTP_X_REQUEST_ID="req-report-0001")
    assert response.status_code == 202, response.content
    [started] = logged.events("report.started")
    [finished] = logged.events("report.finished")
    assert started["request_id"] == finished["request_id"] == "req-report-0001"
    assert started["report_id"] == finished["report_id"] == response.json()["id"]
    assert (started["attempt"], finished["status"], finished["level"]) == (1, "done", "INFO")
    assert isinstance(finished["duration_ms"], int) and finished["duration_ms"] >= 0


@pytest.mark.django_db
def test_a_sweep_logs_its_counts_and_its_batches_under_the_sweeps_own_id(logged, clinic, settings, tmp_path):
    settings.REMINDER_LOG_FILE = str(tmp_path / "reminders.log")
    logging_channel = "coaching.channels.LoggingChannel"
    settings.REMINDER_CHANNELS = {"email": logging_channel, "sms": logging_channel}
    patient = active_patient(clinic)
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, tzinfo=ZoneInfo("America/New_York")), tick=False):
        sweep_reminders.delay()
    [swept] = logged.events("reminders.swept")
    [sent] = logged.events("reminders.sent")
    assert swept["counts"] == {"created": 1, "enqueued": 1, "recovered": 0, "outreach_opened": 1,
                               "outreach_cleared": 0}
    assert (sent["batch"], sent["counts"]) == (1, {"sent": 1})
    assert patient.email not in logged.stream.getvalue()
    assert swept["request_id"] and sent["request_id"] == swept["request_id"]  # no request: the sweep's task id


def test_extra_fields_and_a_traceback_stay_on_one_line():
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        record = logging.LogRecord("moverx.test", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info())
    record.alert_id = 7
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert (entry["message"], entry["alert_id"], entry["request_id"]) == ("failed here", 7, "")
    assert "ValueError: broken\nacross lines" in entry["exception"]
