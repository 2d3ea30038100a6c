import datetime as dt

import pytest

from coaching.models import CheckIn

pytestmark = pytest.mark.django_db
NOW = dt.datetime.now(dt.UTC)


def test_coach_logs_a_check_in(client_for, coach, patient):
    response = client_for(coach).post("/api/v1/check-ins/", {
        "patient": patient.pk, "occurred_at": NOW.isoformat(), "channel": "video", "mood": 4, "confidence": 7,
        "barriers": ["time", "pain"], "notes": "Busy week at work", "agreed": "Two short sessions before work",
        "next_check_in": (NOW.date() + dt.timedelta(days=7)).isoformat()}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["coach"] == coach.pk


@pytest.mark.parametrize(("change", "field"), [
    ({"mood": 6}, "mood"), ({"confidence": 11}, "confidence"), ({"channel": "pigeon"}, "channel"),
    ({"barriers": ["weather"]}, "barriers"), ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
])
def test_bad_check_ins_are_400(client_for, coach, patient, change, field):
    body = {"patient": patient.pk, "occurred_at": NOW.isoformat(), "channel": "phone", "mood": 3, "confidence": 5,
            **change}
    response = client_for(coach).post("/api/v1/check-ins/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not CheckIn.objects.exists()


def test_pts_and_managers_read_but_do_not_write_coaching(client_for, pt, manager, coach, patient):
    client_for(coach).post("/api/v1/coaching-notes/", {"patient": patient.pk, "body": "Motivated by grandkids"},
                           format="json")
    for user in (pt, manager):
        client = client_for(user)
        assert client.get("/api/v1/coaching-notes/", {"patient": patient.pk}).json()["results"][0]["body"]
        assert client.post("/api/v1/coaching-notes/", {"patient": patient.pk, "body": "x"},
                           format="json").status_code == 403


def test_habit_goal_weekly_progress(client_for, coach, patient):
    client = client_for(coach)
    start = NOW.date() - dt.timedelta(days=10)
    goal = client.post("/api/v1/habit-goals/", {"patient": patient.pk, "description": "Walk 20 minutes after lunch",
                                                "target_per_week": 2, "start_date": start.isoformat()},
                       format="json").json()
    for offset in (0, 1, 8):
        response = client.post(f"/api/v1/habit-goals/{goal['id']}/log/",
                               {"date": (start + dt.timedelta(days=offset)).isoformat()}, format="json")
        assert response.status_code == 201, response.content
    assert client.post(f"/api/v1/habit-goals/{goal['id']}/log/", {"date": start.isoformat()},
                       format="json").status_code == 409
    assert client.post(f"/api/v1/habit-goals/{goal['id']}/log/",
                       {"date": (NOW.date() + dt.timedelta(days=3)).isoformat()}, format="json").status_code == 400
    progress = client.get(f"/api/v1/habit-goals/{goal['id']}/").json()["weekly_progress"]
    assert [(w["week"], w["done"], w["met"]) for w in progress] == [(1, 2, True), (2, 1, False)]
    paused = client.patch(f"/api/v1/habit-goals/{goal['id']}/", {"status": "paused"}, format="json")
    assert paused.json()["status"] == "paused"
