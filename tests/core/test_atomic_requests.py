"""A request either completes or leaves no row (issue 10 §2): a view that fails after its service
wrote answers 500 and the write is gone (ATOMIC_REQUESTS), on real commits (transactional tests)."""

import pytest
from django.urls import reverse

from careplans.models import CarePlan
from core.models import AuditEvent
from tests.factories import today
from tests.test_permission_matrix import _row_counts

pytestmark = pytest.mark.django_db(transaction=True)


def _fail_after_the_write(*args, **kwargs):
    raise RuntimeError("the answer could not be built")


def test_an_api_view_that_fails_after_its_write_leaves_no_row(client_for, pt, patient, monkeypatch):
    """The original defect: a plan was saved, then its answer failed (500) and the row stayed."""
    monkeypatch.setattr("careplans.api.CarePlanViewSet.respond", _fail_after_the_write)
    api = client_for(pt)
    api.raise_request_exception = False
    before = _row_counts()
    response = api.post("/api/v1/care-plans/", {"patient": patient.pk, "start_date": str(today())}, format="json")
    assert response.status_code == 500
    assert not CarePlan.objects.exists()
    assert _row_counts() == before
    assert not AuditEvent.objects.filter(table_name="careplans_careplan").exists()


def test_a_page_that_fails_after_its_write_leaves_no_row(client, pt, patient, monkeypatch):
    monkeypatch.setattr("web.views.patients.messages.success", _fail_after_the_write)
    client.raise_request_exception = False
    client.force_login(pt)
    before = _row_counts()
    response = client.post(reverse("web:create_plan", args=[patient.pk]),
                           {"start_date": str(today()), "goal_category": "pain", "goal_description": "Less pain",
                            "goal_target": "NPRS <= 3"})
    assert response.status_code == 500
    assert _row_counts() == before


def test_a_request_that_completes_keeps_its_write(client_for, pt, patient):
    response = client_for(pt).post("/api/v1/care-plans/", {"patient": patient.pk, "start_date": str(today())},
                                   format="json")
    assert response.status_code == 201
    assert CarePlan.objects.filter(pk=response.json()["id"]).exists()
