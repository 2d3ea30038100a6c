"""A coach marks a habit goal achieved, paused or stopped from the patient page."""

import pytest
from django.urls import reverse

from coaching import services
from coaching.models import HabitGoal

pytestmark = pytest.mark.django_db


def test_a_coach_marks_a_habit_goal_achieved(client, coach, patient):
    goal = services.habit_goal_create(actor=coach, patient=patient, description="Walk after lunch", target_per_week=4)
    client.force_login(coach)
    page = client.get(reverse("web:patient", args=[patient.pk])).content.decode()
    assert f'action="{reverse("web:log_habit", args=[goal.pk])}"' in page
    response = client.post(reverse("web:set_habit_status", args=[goal.pk]), {"status": "achieved"})
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.status == HabitGoal.Status.ACHIEVED
    page = client.get(reverse("web:patient", args=[patient.pk])).content.decode()
    assert f'action="{reverse("web:log_habit", args=[goal.pk])}"' not in page  # no more days to log


def test_an_unknown_status_changes_nothing(client, coach, patient):
    goal = services.habit_goal_create(actor=coach, patient=patient, description="Walk", target_per_week=4)
    client.force_login(coach)
    client.post(reverse("web:set_habit_status", args=[goal.pk]), {"status": "finished"})
    goal.refresh_from_db()
    assert goal.status == HabitGoal.Status.ACTIVE
