"""The week-4 review (clinical-reference §2, v2; ACP/APS): when the week-4 NPRS (§5: window [S+21, S+35]
nearest to S+28) is not at least 1 point better than the baseline NPRS ([S−14, S] nearest to S), in the
patient's local dates, a review alert opens for the PT: not gating, at most one per plan, after urgent
and emergency alerts but above routine work."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.roles import Role
from careplans.models import CarePlan
from coaching.models import OutreachItem
from coaching.services import outreach_refresh
from core import outbox
from patients.models import Alert
from patients.services import alert_open
from tests.factories import TZ, CarePlanFactory, PatientFactory, UserFactory, today

pytestmark = pytest.mark.django_db

START = today() - dt.timedelta(days=40)


@pytest.fixture
def plan(patient, pt):
    return CarePlanFactory(patient=patient, lead_pt=pt, created_by=pt, start_date=START, status=CarePlan.Status.ACTIVE)


def at(day: int, hour: int = 12, minute: int = 0) -> str:
    """Plan day `day` (S + day) at `hour` in the patient's zone, as the API takes it."""
    return dt.datetime.combine(START + dt.timedelta(days=day), dt.time(hour, minute), ZoneInfo(TZ)).isoformat()


def nprs(client, patient, score, day, **time):
    response = client.post("/api/v1/assessments/", {"patient": patient.pk, "instrument": "nprs", "answers": [score],
                                                    "collected_at": at(day, **time)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def reviews(patient):
    return list(Alert.objects.filter(patient=patient, kind=Alert.Kind.NO_IMPROVEMENT))


@pytest.mark.parametrize("who", ["pt", "coach", "integration"])
@pytest.mark.parametrize(("baseline", "week_4", "alerted"), [(6, 6, True), (6, 8, True), (6, 5, False), (6, 2, False)])
def test_week_4_not_a_point_better_opens_a_review_alert(client_for, request, plan, patient, who, baseline, week_4,
                                                        alerted):
    client = client_for(request.getfixturevalue(who))
    nprs(client, patient, baseline, -2)
    assert reviews(patient) == []
    recorded = nprs(client, patient, week_4, 28)
    found = reviews(patient)
    assert bool(found) is alerted
    if alerted:
        alert = found[0]
        assert (alert.severity, alert.source_id, alert.is_open) == (Alert.Severity.REVIEW, recorded["id"], True)
        assert f"(NPRS) {week_4} against {baseline} at baseline" in alert.message


def test_no_baseline_or_no_week_4_raises_nothing(api, plan, patient):
    nprs(api, patient, 7, 28)
    nprs(api, patient, 7, 10)  # outside both windows
    nprs(api, patient, 7, -20)  # before the baseline window
    assert reviews(patient) == []


def test_at_most_one_review_alert_per_plan(api, pt, plan, patient):
    nprs(api, patient, 6, 0)
    nprs(api, patient, 7, 28)
    alert = reviews(patient)[0]
    api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"note": "Adjusted the plan"}, format="json")
    nprs(api, patient, 8, 30)
    assert len(reviews(patient)) == 1


def test_the_week_4_score_is_the_one_nearest_to_day_28(api, plan, patient):
    nprs(api, patient, 6, -1)
    nprs(api, patient, 3, 27)
    nprs(api, patient, 6, 22)  # in the window, but farther from day 28 than the improved score
    assert reviews(patient) == []


def test_the_baseline_is_the_one_nearest_to_the_start(api, plan, patient):
    nprs(api, patient, 3, -10)
    nprs(api, patient, 7, -1)
    nprs(api, patient, 6, 28)  # 1 better than the nearest baseline (7), not than the farther one (3)
    assert reviews(patient) == []


@pytest.mark.parametrize(("hour", "minute", "alerted"), [(23, 30, True), (0, 30, False)])
def test_the_windows_are_in_the_patients_local_dates(api, plan, patient, hour, minute, alerted):
    """23:30 on day 35 in New York is already day 36 in UTC, and still in the window; 00:30 on day 36 is not."""
    nprs(api, patient, 5, 0)
    nprs(api, patient, 5, 35 if alerted else 36, hour=hour, minute=minute)
    assert bool(reviews(patient)) is alerted


def test_a_correction_showing_improvement_leaves_the_alert_to_the_pt(api, plan, patient):
    nprs(api, patient, 6, 0)
    week_4 = nprs(api, patient, 6, 28)
    corrected = api.post(f"/api/v1/assessments/{week_4['id']}/supersede/",
                         {"answers": [2], "collected_at": at(28), "reason": "Typed 6 for 2"}, format="json")
    assert corrected.status_code == 201, corrected.content
    [alert] = reviews(patient)
    assert alert.is_open  # the PT closes it with a note, as every alert


def test_a_correction_showing_no_improvement_opens_the_review(api, plan, patient):
    nprs(api, patient, 6, 0)
    week_4 = nprs(api, patient, 3, 28)
    assert reviews(patient) == []
    corrected = api.post(f"/api/v1/assessments/{week_4['id']}/supersede/",
                         {"answers": [6], "collected_at": at(28), "reason": "Typed 3 for 6"}, format="json")
    assert [alert.source_id for alert in reviews(patient)] == [corrected.json()["id"]]


@pytest.mark.parametrize("moved_to", [21, 33, 35])
def test_a_correction_moved_away_from_day_28_is_read_not_the_row_it_corrects(api, plan, patient, moved_to):
    """The corrected row is superseded before the review reads the week-4 score, however near day 28 it was."""
    nprs(api, patient, 6, 0)
    week_4 = nprs(api, patient, 3, 28)
    corrected = api.post(f"/api/v1/assessments/{week_4['id']}/supersede/",
                         {"answers": [6], "collected_at": at(moved_to), "reason": "Wrong day and score"}, format="json")
    assert corrected.status_code == 201, corrected.content
    assert [alert.source_id for alert in reviews(patient)] == [corrected.json()["id"]]


def test_the_web_form_opens_the_review(client, api, pt, plan, patient):
    nprs(api, patient, 6, -3)
    client.force_login(pt)
    when = dt.datetime.fromisoformat(at(29)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("web:record_measure", args=[patient.pk]),
                           {"instrument": "nprs", "answers": "7", "collected_at": when})
    assert response.status_code == 302
    assert len(reviews(patient)) == 1
    page = client.get(reverse("web:patient", args=[patient.pk])).content.decode()
    assert "No improvement at week 4" in page


def test_the_review_is_not_gating(api, plan, patient):
    nprs(api, patient, 6, 0)
    nprs(api, patient, 6, 28)
    assert api.post(f"/api/v1/care-plans/{plan.pk}/pause/", {}, format="json").status_code == 200
    assert api.post(f"/api/v1/care-plans/{plan.pk}/resume/", {}, format="json").status_code == 200


def test_the_review_goes_to_the_pt_not_the_coach(api, pt, coach, plan, patient, mailoutbox):
    nprs(api, patient, 6, 0)
    nprs(api, patient, 6, 28)
    outbox.drain()
    assert [message.to for message in mailoutbox] == [[pt.email]]
    assert "Review" in mailoutbox[0].subject


def test_without_an_active_pt_the_review_goes_to_every_pt_and_manager(clinic, coach, mailoutbox):
    gone = UserFactory(clinic=clinic, role=Role.PT, is_active=False)
    pts = [UserFactory(clinic=clinic, role=Role.PT) for _ in range(2)]
    manager = UserFactory(clinic=clinic, role=Role.MANAGER)
    patient = PatientFactory(clinic=clinic, primary_pt=gone, coach=coach)
    alert_open(patient=patient, kind=Alert.Kind.NO_IMPROVEMENT, severity=Alert.Severity.REVIEW, message="Review")
    outbox.drain()
    assert sorted(mailoutbox[0].to) == sorted(user.email for user in [*pts, manager])


def test_the_review_is_not_the_coachs_outreach(api, plan, patient):
    nprs(api, patient, 6, 0)
    nprs(api, patient, 6, 28)
    outreach_refresh()
    assert not OutreachItem.objects.filter(patient=patient, cause=OutreachItem.Cause.OPEN_ALERT).exists()


def test_work_lists_put_urgent_alerts_then_reviews_then_the_rest(client, client_for, clinic, pt, coach):
    quiet, review, urgent = (PatientFactory(clinic=clinic, primary_pt=pt, coach=coach, last_name=name)
                             for name in ("Aaron", "Baker", "Young"))
    alert_open(patient=review, kind=Alert.Kind.NO_IMPROVEMENT, severity=Alert.Severity.REVIEW, message="Review")
    alert_open(patient=urgent, kind=Alert.Kind.SAFETY, severity=Alert.Severity.URGENT, message="Call today")
    client.force_login(pt)
    rows = client.get(reverse("web:patients")).context["rows"]
    assert [row["patient"].pk for row in rows] == [urgent.pk, review.pk, quiet.pk]
    alerts = client_for(pt).get("/api/v1/alerts/").json()["results"]
    assert [alert["severity"] for alert in alerts] == ["urgent", "review"]
