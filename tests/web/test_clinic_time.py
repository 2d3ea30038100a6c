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


def test_measures_and_visits_typed_into_the_page_are_clinic_time(client):
    from careplans.models import Visit
    from outcomes.models import Assessment
    from tests.factories import CarePlanFactory

    clinic = ClinicFactory(timezone="America/Los_Angeles")
    pt = UserFactory(clinic=clinic, role="pt")
    patient = PatientFactory(clinic=clinic, primary_pt=pt)
    plan = CarePlanFactory(patient=patient, lead_pt=pt, status="active", start_date=dt.date(2026, 11, 1))
    client.force_login(pt)
    client.post(reverse("web:record_measure", args=[patient.pk]),
                {"instrument": "nprs", "answers": "4", "collected_at": "2026-11-20T09:00"})
    client.post(reverse("web:record_visit", args=[plan.pk]),
                {"occurred_at": "2026-11-20T09:00", "kind": "follow_up", "mode": "video"})
    assert Assessment.objects.get(patient=patient).collected_at.astimezone(dt.UTC).hour == 17
    assert Visit.objects.get(care_plan=plan).occurred_at.astimezone(dt.UTC).hour == 17
