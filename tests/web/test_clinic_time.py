"""The workspace speaks the clinic's time: what a coach types into a form and what a page shows
are the clinic's local time, not the server's (UTC)."""

import datetime as dt

import pytest
from django.urls import reverse

from coaching.models import CheckIn
from tests.factories import ClinicFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("zone", "utc_hour"), [("America/New_York", 14), ("Asia/Tokyo", 0), ("UTC", 9)])
def test_a_check_in_typed_at_9_am_is_9_am_in_the_clinic(client, zone, utc_hour):
    clinic = ClinicFactory(timezone=zone)
    coach = UserFactory(clinic=clinic, role="coach")
    patient = PatientFactory(clinic=clinic, coach=coach)
    client.force_login(coach)
    response = client.post(reverse("web:log_check_in", args=[patient.pk]), {
        "occurred_at": "2026-11-20T09:00", "channel": "phone", "mood": 4, "confidence": 6})
    assert response.status_code == 302
    occurred = CheckIn.objects.get(patient=patient).occurred_at
    assert occurred.astimezone(dt.UTC).hour == utc_hour
    page = client.get(reverse("web:patient", args=[patient.pk])).content.decode()
    assert "Nov 20, 2026 09:00" in page  # the timeline, in the clinic's time
