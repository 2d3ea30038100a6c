"""The report form as a new manager uses it: preset windows (the clinic's today, the plans' maturity in
mind), a window where no plan can be mature refused before anything runs, and a report that found no
mature plan saying so instead of empty tables (clinical-reference §5: mature = S + 98 days ≤ report date)."""

import datetime as dt

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from outcomes.models import OutcomeReport
from outcomes.windows import latest_mature_start, report_presets
from tests.factories import ClinicFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("today", "quarter"), [
    (dt.date(2026, 10, 6), (dt.date(2026, 4, 1), dt.date(2026, 6, 30))),  # Jun 30 + 98 days = Oct 6: mature
    (dt.date(2026, 10, 5), (dt.date(2026, 1, 1), dt.date(2026, 3, 31))),  # a day early: the quarter before
    (dt.date(2026, 1, 1), (dt.date(2025, 4, 1), dt.date(2025, 6, 30))),
])
def test_the_last_quarter_is_the_latest_whose_plans_are_all_mature(today, quarter):
    preset = report_presets(today)["last_quarter"]
    assert (preset["start_from"], preset["start_to"], preset["as_of"]) == (*quarter, today)
    assert preset["start_to"] <= latest_mature_start(today)


def test_the_last_12_months_end_at_the_latest_mature_start():
    preset = report_presets(dt.date(2026, 11, 30))["last_12_months"]
    assert (preset["start_from"], preset["start_to"]) == (dt.date(2025, 11, 30), dt.date(2026, 8, 24))


@pytest.mark.parametrize(("zone", "quarter_start"), [("Pacific/Kiritimati", "2026-04-01"),  # already Oct 6
                                                     ("Pacific/Pago_Pago", "2026-01-01")])  # still Oct 5
def test_the_presets_are_the_clinics_dates(client, zone, quarter_start):
    manager = UserFactory(clinic=ClinicFactory(timezone=zone), role="manager")
    client.force_login(manager)
    with time_machine.travel("2026-10-05T12:00:00Z", tick=False):
        page = client.get(reverse("web:dashboard"), {"preset": "last_quarter"}).content.decode()
    assert f'name="start_from" value="{quarter_start}"' in page
    assert "?preset=last_12_months" in page


def test_an_unknown_preset_fills_in_nothing(client, manager):
    client.force_login(manager)
    page = client.get(reverse("web:dashboard"), {"preset": "last_decade"}).content.decode()
    assert 'name="start_from" value=' not in page


def test_a_window_that_cannot_hold_a_mature_plan_is_refused_before_running(client, client_for, manager):
    as_of = dt.date(2026, 10, 1)
    body = {"start_from": "2026-07-01", "start_to": "2026-09-30", "as_of": as_of.isoformat()}
    response = client_for(manager).post("/api/v1/reports/outcomes/", body, format="json")
    assert response.status_code == 400
    [message] = response.json()["start_from"]
    assert "start on or before Jun 25, 2026" in message  # Oct 1 − 98 days
    client.force_login(manager)
    response = client.post(reverse("web:request_report"), body)
    assert "start on or before Jun 25, 2026" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert not OutcomeReport.objects.exists()


def test_the_latest_mature_start_is_accepted(client_for, manager):
    body = {"start_from": "2026-06-25", "start_to": "2026-09-30", "as_of": "2026-10-01"}
    assert client_for(manager).post("/api/v1/reports/outcomes/", body, format="json").status_code == 202


def test_a_report_without_mature_plans_says_so(client, client_for, manager, django_capture_on_commit_callbacks):
    body = {"start_from": "2025-01-01", "start_to": "2025-03-31", "as_of": "2026-10-01"}  # no plan at all then
    with django_capture_on_commit_callbacks(execute=True):
        report_id = client_for(manager).post("/api/v1/reports/outcomes/", body, format="json").json()["id"]
    assert OutcomeReport.objects.get(pk=report_id).status == OutcomeReport.Status.DONE
    client.force_login(manager)
    page = client.get(reverse("web:dashboard"), {"report": report_id}).content.decode()
    assert 'id="no-mature-plans"' in page and "nothing to report for this window" in page
    assert "report-view" not in page and "Download CSV" not in page
