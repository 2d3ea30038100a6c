"""With Redis unreachable every endpoint answers normally or 503 with a clear message, never 500
(issue 10 §3). Here the cache (DRF throttles) and the broker point at a socket nobody listens on."""

import datetime as dt
import tempfile
from pathlib import Path

import pytest
import redis.exceptions
from django.test import RequestFactory

from core.middleware import UNAVAILABLE_MESSAGE, RedisUnavailableMiddleware
from core.models import OutboxMessage
from outcomes.models import OutcomeReport
from patients.models import Alert
from tests.celery_harness import eager_off
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)  # real commits: the on-commit fast path runs


@pytest.fixture
def redis_down(settings):
    nowhere = f"unix://{Path(tempfile.mkdtemp(prefix='mx-'))}/no-redis.sock"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": nowhere}}
    settings.REDIS_URL = nowhere
    with eager_off(nowhere):
        yield


def test_api_login_answers_503_with_a_message_and_the_web_login_still_works(redis_down, client, pt):
    response = client.post("/api/v1/auth/token/", {"email": pt.email, "password": PASSWORD},
                           content_type="application/json")
    assert response.status_code == 503 and response.json() == {"detail": UNAVAILABLE_MESSAGE}
    assert response["Retry-After"] == "30"
    page = client.post("/login/", {"username": pt.email, "password": PASSWORD})
    assert page.status_code == 302 and page["Location"] == "/"
    assert client.get("/healthz").status_code == 503


def test_clinical_writes_answer_normally_and_keep_their_notifications(redis_down, api, patient):
    assessment = api.post("/api/v1/assessments/", {
        "patient": patient.pk, "instrument": "phq9", "answers": [1, 1, 0, 0, 0, 0, 0, 0, 2],
        "collected_at": dt.datetime.now(dt.UTC).isoformat()}, format="json")
    assert assessment.status_code == 201, assessment.content
    report = api.post("/api/v1/reports/outcomes/", {"start_from": "2026-01-01", "start_to": "2026-06-30",
                                                   "as_of": "2026-10-01"}, format="json")
    assert report.status_code == 202, report.content
    alert = Alert.objects.get(patient=patient, kind="safety")
    waiting = {(m.handler, tuple(m.payload.values()), m.status) for m in OutboxMessage.objects.all()}
    assert waiting == {("patients.services.alert_notify_staff", (alert.pk,), "pending"),
                       ("outcomes.services.report_start", (report.json()["id"],), "pending")}
    assert OutcomeReport.objects.get().status == "pending"


def test_a_web_page_that_meets_redis_down_gets_a_plain_503_page():
    middleware = RedisUnavailableMiddleware(lambda request: None)
    request = RequestFactory().get("/patients/")
    response = middleware.process_exception(request, redis.exceptions.ConnectionError("Connection refused"))
    assert response.status_code == 503 and UNAVAILABLE_MESSAGE in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert middleware.process_exception(request, ValueError("not ours")) is None


def test_no_read_endpoint_answers_500(redis_down, client_for, client, pt, manager, patient):
    from drf_spectacular.generators import SchemaGenerator

    from web.urls import urlpatterns

    paths = [path for path in SchemaGenerator().get_schema(request=None, public=True)["paths"] if "{" not in path]
    pages = ["/" + str(pattern.pattern) for pattern in urlpatterns if not pattern.pattern.converters]
    assert len(paths) > 20 and len(pages) > 5
    for user in (pt, manager):
        client.force_login(user)
        answers = {path: client_for(user).get(path).status_code for path in paths}
        answers |= {page: client.get(page).status_code for page in pages}
        assert {path: status for path, status in answers.items() if status >= 500 and status != 503} == {}
