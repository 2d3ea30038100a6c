"""The manager's audit trail as a new manager reads it: names instead of table names and ids,
filters by a patient's name and a staff member, sign-ins hidden unless asked for, the clinic's time,
and a bounded number of queries whatever the page holds."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.clock import local_today
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = reverse("web:audit")


def check_in_by(client, coach, patient, hours_ago=2):
    """A check-in logged through the coach's page (the trigger records the coach as the actor)."""
    client.force_login(coach)
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)).astimezone(
        ZoneInfo(coach.clinic.timezone)).strftime("%Y-%m-%dT%H:%M")  # typed in the clinic's time
    response = client.post(reverse("web:log_check_in", args=[patient.pk]),
                           {"occurred_at": when, "channel": "phone", "mood": 4, "confidence": 6})
    assert response.status_code == 302


@pytest.fixture
def robert(clinic, pt, coach):
    return PatientFactory(clinic=clinic, primary_pt=pt, coach=coach, first_name="Robert", last_name="Barrera")


@pytest.fixture
def ana(clinic, pt, coach):
    return PatientFactory(clinic=clinic, primary_pt=pt, coach=coach, first_name="Ana", last_name="Lindqvist")


def test_the_trail_names_the_patient_and_the_staff_member(client, manager, coach, robert):
    coach.first_name, coach.last_name = "Priya", "Shah"
    coach.save()
    check_in_by(client, coach, robert)
    client.force_login(manager)
    page = client.get(URL).content.decode()
    assert "Robert Barrera&#x27;s check-in" in page
    assert "Priya Shah (staff)" in page  # her name change, an update of the user
    assert "patients patient #" not in page and "coaching checkin #" not in page


def test_filter_by_patient_name_and_by_staff_member(client, manager, coach, other_pt, robert, ana):
    check_in_by(client, coach, robert)
    check_in_by(client, coach, ana)
    client.force_login(manager)
    page = client.get(URL, {"patient": "barrera"}).content.decode()
    assert "Robert Barrera&#x27;s check-in" in page and "Ana Lindqvist" not in page
    page = client.get(URL, {"patient": "Ana Lind"}).content.decode()
    assert "Ana Lindqvist&#x27;s check-in" in page and "Robert Barrera" not in page
    page = client.get(URL, {"user": coach.pk}).content.decode()
    assert "Robert Barrera&#x27;s check-in" in page and "Ana Lindqvist&#x27;s check-in" in page
    page = client.get(URL, {"user": other_pt.pk}).content.decode()
    assert "check-in" not in page.split("<tbody>")[1]
    assert 'name="patient" maxlength="100"' in page and 'type="number"' not in page  # a name, not an id


def test_a_staff_member_of_another_clinic_is_no_filter(client, manager, outsider_pt):
    client.force_login(manager)
    response = client.get(URL, {"user": outsider_pt.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_sign_ins_are_hidden_unless_asked_for(client, manager, coach):
    client.force_login(coach)  # stamps last_login: an update of the user
    client.force_login(manager)
    assert "last login:" not in client.get(URL).content.decode()
    shown = client.get(URL, {"sign_ins": "on"}).content.decode()
    # the stamp in the clinic's time (New York), not as stored (UTC)
    assert re.search(r"last login: — → [A-Z][a-z]{2} \d{1,2}, \d{4} \d\d:\d\d E[SD]T", shown)


def test_times_are_the_clinics(client, clinic, manager, coach, robert):
    clinic.timezone = "Asia/Tokyo"
    clinic.save()
    check_in_by(client, coach, robert)
    client.force_login(manager)
    page = client.get(URL).content.decode()
    assert "JST" in page
    assert f"{local_today('Asia/Tokyo'):%b} {local_today('Asia/Tokyo').day}, " in page


@pytest.mark.parametrize("role", ["pt", "coach"])
def test_clinicians_may_not_read_the_trail(client, pt, coach, role):
    client.force_login({"pt": pt, "coach": coach}[role])
    assert client.get(URL).status_code == 403


def test_another_clinics_events_are_not_shown(client, manager, other_clinic, robert, coach):
    check_in_by(client, coach, robert)
    outsider_manager = UserFactory(clinic=other_clinic, role="manager")
    client.force_login(outsider_manager)
    page = client.get(URL, {"patient": "Barrera"}).content.decode()
    assert "Robert Barrera" not in page


def queries(client):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured), "\n".join(q["sql"][:160] for q in captured.captured_queries)


def test_the_page_runs_the_same_queries_for_few_rows_and_many(client, clinic, manager, coach, robert):
    check_in_by(client, coach, robert)
    client.force_login(manager)
    few, _ = queries(client)
    for n in range(12):
        member = UserFactory(clinic=clinic, role="coach")
        patient = PatientFactory(clinic=clinic, coach=member)
        check_in_by(client, member, patient, hours_ago=n + 3)
    client.force_login(manager)
    many, sql = queries(client)
    assert many == few, sql
