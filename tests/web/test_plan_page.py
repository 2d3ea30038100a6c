"""Editing a care plan's goals, schedule and coverage, and recording visits, from the workspace:
the services' rules (lead PT, draft-only start date, version), nothing written on a refusal."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from careplans.models import CarePlan, Visit
from tests.factories import CarePlanFactory, GoalFactory, UserFactory, local_now, today
from tests.test_permission_matrix import _row_counts
from tests.web.test_page_matrix import A_DAY_AGO, plan_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(patient, pt):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, status="active",
                           start_date=today() - dt.timedelta(days=9))
    GoalFactory(care_plan=plan)
    return plan


def save(client, plan, **kwargs):
    return client.post(reverse("web:edit_plan", args=[plan.pk]), plan_form(plan, **kwargs))


def test_the_lead_pt_edits_coverage_and_goals(client, pt, plan):
    client.force_login(pt)
    goals = [{"category": "pain", "description": "Sit through a meeting", "target": "NPRS <= 3"},
             {"category": "function", "description": "Lift a laundry basket", "target": "ODI <= 20"}]
    response = save(client, plan, goals=goals, payer="Blue Cross", visit_limit=10, referral_required="on")
    assert response.status_code == 302, response.context and response.context["form"].errors
    plan.refresh_from_db()
    assert (plan.payer, plan.visit_limit, plan.referral_required, plan.version) == ("Blue Cross", 10, True, 2)
    assert list(plan.goals.values("category", "description", "target")) == goals


def test_a_goal_can_be_removed_but_not_the_last(client, pt, plan):
    client.force_login(pt)
    form = plan_form(plan) | {"goals-0-DELETE": "on"}
    before = _row_counts()
    response = client.post(reverse("web:edit_plan", args=[plan.pk]), form)
    assert response.status_code == 400 and _row_counts() == before


def test_a_stale_version_is_refused_and_nothing_is_written(client, pt, plan):
    client.force_login(pt)
    stale = plan_form(plan, payer="Old news")
    CarePlan.objects.filter(pk=plan.pk).update(version=2)  # someone saved in between
    before = _row_counts()
    response = client.post(reverse("web:edit_plan", args=[plan.pk]), stale)
    assert response.status_code == 400
    assert "changed by someone else" in response.content.decode()
    assert _row_counts() == before


def test_the_start_date_moves_on_a_draft_and_stays_on_an_active_plan(client, pt, plan):
    client.force_login(pt)
    started = plan.start_date
    assert save(client, plan, start_date=today()).status_code == 302
    plan.refresh_from_db()
    assert plan.start_date == started  # the field is fixed (careplans.services refuses it too)
    CarePlan.objects.filter(pk=plan.pk).update(status="draft", activated_at=None)
    plan.refresh_from_db()
    assert save(client, plan, start_date=today()).status_code == 302
    plan.refresh_from_db()
    assert plan.start_date == today()


def test_another_pt_cannot_change_the_leads_plan(client, clinic, plan):
    other = UserFactory(clinic=clinic, role="pt")
    client.force_login(other)
    before = _row_counts()
    assert client.get(reverse("web:edit_plan", args=[plan.pk])).status_code == 403
    assert save(client, plan, payer="Mine now").status_code == 403
    assert _row_counts() == before


def test_a_visit_counts_toward_the_coverage(client, pt, plan):
    plan.visit_limit = 2
    plan.save()
    client.force_login(pt)
    response = client.post(reverse("web:record_visit", args=[plan.pk]),
                           {"occurred_at": A_DAY_AGO, "kind": "follow_up", "mode": "in_clinic", "notes": "Good form"})
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Visit recorded."]
    visit = Visit.objects.get(care_plan=plan)
    assert (visit.recorded_by, visit.mode, visit.notes) == (pt, "in_clinic", "Good form")
    page = client.get(reverse("web:patient", args=[plan.patient_id])).content.decode()
    assert "visits 1 of 2" in page


def test_a_visit_in_the_future_is_refused(client, pt, plan):
    client.force_login(pt)
    tomorrow = (local_now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("web:record_visit", args=[plan.pk]),
                           {"occurred_at": tomorrow, "kind": "follow_up", "mode": "video", "notes": "Typed"})
    assert response.status_code == 400
    assert response.context["forms"]["visit"].errors["occurred_at"] == [
        "This is in the future (beyond the allowed clock skew)."]
    assert "<details open><summary>Record a visit" in response.content.decode()
    assert not Visit.objects.exists()
