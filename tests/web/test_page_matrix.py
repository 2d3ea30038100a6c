"""Every workspace page and form action × every role × (own clinic's row, another clinic's row).

The same rules as the API: capabilities from accounts.roles, rows through the scoping selectors:
another clinic's row is a 404, a role that may not is a 403, and nothing is written. A new page
without an expectation fails `test_every_page_has_an_expectation`."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.messages import SUCCESS, get_messages
from django.urls import reverse

from tests.factories import local_now, today
from tests.test_permission_matrix import _row_counts
from tests.world import build_world
from web.urls import urlpatterns

ROLES = ["pt", "coach", "manager", "integration", "anonymous"]
STAFF = {"pt", "coach", "manager"}
A_DAY_AGO = (local_now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")  # typed in the clinic's time


@dataclass
class Page:
    allowed: set  # roles that may
    args: tuple = ()  # Side attributes (or literals) in the URL
    body: object = None  # callable(side) -> form data
    ok: int = 200  # status for an allowed role (a form post redirects: 302 with a success message)


def post(allowed, args=(), body=None):
    return Page(allowed, args, body or (lambda side: {}), ok=302)


def plan_form(plan, goals=None, **changes):
    """The plan page's form as a user would post it: the plan's current values, with `changes`."""
    goals = goals if goals is not None else list(plan.goals.values("category", "description", "target"))
    fields = {"version": plan.version, "start_date": plan.start_date, "planned_weeks": plan.planned_weeks,
              "payer": plan.payer, "visit_limit": plan.visit_limit or "", "modalities": plan.modalities,
              "equipment": plan.equipment, "goals-TOTAL_FORMS": len(goals), "goals-INITIAL_FORMS": len(goals)}
    if plan.referral_required:
        fields["referral_required"] = "on"
    for number, goal in enumerate(goals):
        fields |= {f"goals-{number}-{name}": value for name, value in goal.items()}
    return fields | changes


def intake(side, **changes):
    """The intake form as a user would post it: the patient's current values, with `changes`."""
    patient = side.patient
    fields = {"first_name": patient.first_name, "last_name": patient.last_name, "date_of_birth": patient.date_of_birth,
              "sex": patient.sex, "email": patient.email, "phone": patient.phone, "timezone": patient.timezone,
              "reminder_channel": patient.reminder_channel, "pain_region": patient.pain_region,
              "pain_onset_date": patient.pain_onset_date, "symptoms": patient.symptoms, "red_flags": patient.red_flags,
              "primary_pt": side.pt.pk, "coach": side.coach.pk, "red_flag_screened": "yes"}
    return {name: value for name, value in (fields | changes).items() if value is not None}


PAGES = {
    ("home", "get"): Page(STAFF, ok=302),
    ("patients", "get"): Page(STAFF),
    ("patient", "get"): Page(STAFF, ("patient",)),
    ("patient_new", "get"): Page({"pt"}),
    ("patient_new", "post"): post({"pt"}, (), lambda side: intake(side, first_name="Nora", email="nora@example.org")),
    ("patient_intake", "get"): Page({"pt"}, ("patient",)),
    ("patient_intake", "post"): post({"pt"}, ("patient",), lambda side: intake(side, phone="+1 555 010 0199")),
    ("review_red_flags", "post"): post({"pt"}, ("flagged_patient",),
                                       lambda side: {"outcome": "cleared", "note": "Imaging clear"}),
    ("screen_red_flags", "post"): post({"pt"}, ("unscreened_patient",),
                                       lambda side: {"red_flags": [], "completed": "on"}),
    ("acknowledge_alert", "post"): post({"pt", "coach"}, ("flagged_patient", "alert"), lambda side: {"note": "Seen"}),
    ("create_plan", "post"): post({"pt"}, ("patient",), lambda side: {
        "start_date": today().isoformat(), "goal_category": "pain", "goal_description": "Sit longer",
        "goal_target": "NPRS <= 3"}),
    ("record_measure", "post"): post({"pt", "coach"}, ("patient",), lambda side: {
        "instrument": "nprs", "collected_at": A_DAY_AGO,
        "answers": "6"}),
    ("edit_plan", "get"): Page({"pt"}, ("draft_plan",)),
    ("edit_plan", "post"): post({"pt"}, ("draft_plan",), lambda side: plan_form(side.draft_plan, payer="Aetna")),
    ("record_visit", "post"): post({"pt"}, ("active_plan",), lambda side: {
        "occurred_at": A_DAY_AGO, "kind": "follow_up", "mode": "video"}),
    ("transition_plan", "post"): post({"pt"}, ("draft_plan", "activate")),
    ("prescribe", "post"): post({"pt"}, ("draft_plan",), lambda side: {"exercise": side.exercise.pk,
                                                                       "times_per_week": 4}),
    ("apply_template", "post"): post({"pt"}, ("draft_plan",), lambda side: {"template": side.template.pk}),
    ("modify_prescription", "post"): post({"pt"}, ("prescription",), lambda side: {
        "version": 1, "sets": 5, "reason": "progression", "note": "Stronger"}),
    ("step_prescription", "post"): post({"pt"}, ("prescription", "progression"), lambda side: {"version": 1}),
    ("discontinue_prescription", "post"): post({"pt"}, ("prescription",), lambda side: {
        "version": 1, "reason": "pain"}),
    ("coach", "get"): Page(STAFF),
    ("resolve_outreach", "post"): post({"coach"}, ("outreach_item",), lambda side: {"note": "Called"}),
    ("log_check_in", "post"): post({"coach"}, ("patient",), lambda side: {
        "occurred_at": A_DAY_AGO, "channel": "phone", "mood": 4,
        "confidence": 6}),
    ("add_note", "post"): post({"coach"}, ("patient",), lambda side: {"body": "Prefers evenings"}),
    ("add_habit_goal", "post"): post({"coach"}, ("patient",), lambda side: {"description": "Walk",
                                                                             "target_per_week": 3}),
    ("log_habit", "post"): post({"coach"}, ("habit_goal",), lambda side: {"date": today().isoformat()}),
    ("set_habit_status", "post"): post({"coach"}, ("habit_goal",), lambda side: {"status": "achieved"}),
    ("dashboard", "get"): Page(STAFF),
    ("request_report", "post"): post(STAFF, (), lambda side: {"start_from": "2026-01-01", "start_to": "2026-03-01"}),
    ("staff", "get"): Page({"manager"}),
    ("staff", "post"): post({"manager"}, (), lambda side: {"email": "new.coach@example.org", "role": "coach",
                                                           "password": "a-long-enough-passphrase"}),
    ("deactivate_staff", "post"): post({"manager"}, ("coach",)),
    ("reset_two_factor", "post"): post({"manager"}, ("coach",)),
    ("change_role", "post"): post({"manager"}, ("coach",), lambda side: {"role": "pt"}),
    ("send_password_reset", "post"): post({"manager"}, ("coach",)),
    ("settings", "get"): Page({"manager"}),
    ("settings", "post"): post({"manager"}, (), lambda side: {"reminder_after_days": 3, "quiet_hours_start": "21:00",
                                                              "quiet_hours_end": "08:00"}),
    ("audit", "get"): Page({"manager"}),
    ("password_change", "get"): Page(STAFF | {"integration"}),
    ("password_done", "get"): Page(STAFF | {"integration"}),
    ("two_factor", "get"): Page(STAFF | {"integration"}),
    ("two_factor_setup", "post"): Page(STAFF | {"integration"}, ok=302),
    # No set-up started, no device: a form error (400) for everyone who may, nothing written.
    ("two_factor_confirm", "post"): Page(STAFF | {"integration"}, body=lambda side: {"code": "123456"}, ok=400),
    ("two_factor_disable", "post"): Page(STAFF | {"integration"}, body=lambda side: {"code": "123456",
                                                                                    "password": "guess"}, ok=400),
}
PUBLIC = {("login", "get"), ("logout", "post"),  # the password reset pages: tests/web/test_password_reset.py
          ("password_reset", "post"), ("password_reset_done", "get"), ("password_reset_confirm", "post"),
          ("password_reset_complete", "get")}


def test_every_page_has_an_expectation():
    names = {pattern.name for pattern in urlpatterns}
    assert names == {name for name, _ in PAGES} | {name for name, _ in PUBLIC}


def _url(name, page, side):
    args = [getattr(side, arg).pk if hasattr(side, arg) else arg for arg in page.args]
    return reverse(f"web:{name}", args=args)


MATRIX = [(name, method, role) for (name, method) in sorted(PAGES) for role in ROLES]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "role"), MATRIX, ids=[f"{m}:{n}:{r}" for n, m, r in MATRIX])
def test_own_clinic(client, name, method, role):
    world = build_world()
    page = PAGES[(name, method)]
    if role != "anonymous":
        client.force_login(world.own.user(role))
    data = page.body(world.own) if page.body else None
    response = getattr(client, method)(_url(name, page, world.own), data)
    if role == "anonymous":
        assert response.status_code == 302 and reverse("web:login") in response["Location"]
        return
    expected = page.ok if role in page.allowed else 403
    assert response.status_code == expected, response.content[:500]
    if expected == 302 and method == "post":
        levels = [message.level for message in get_messages(response.wsgi_request)]
        assert levels == [SUCCESS], [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "role"), [m for m in MATRIX if PAGES[m[:2]].args],
                         ids=[f"{m}:{n}:{r}" for n, m, r in MATRIX if PAGES[(n, m)].args])
def test_other_clinic(client, name, method, role):
    """The same page or action aimed at another clinic's row: 404, and nothing written."""
    world = build_world()
    page = PAGES[(name, method)]
    if role != "anonymous":
        client.force_login(world.own.user(role))
    before = _row_counts()
    response = getattr(client, method)(_url(name, page, world.other), page.body(world.other) if page.body else None)
    expected = 302 if role == "anonymous" else (404 if role in page.allowed else 403)
    assert response.status_code == expected
    assert _row_counts() == before


@pytest.mark.django_db
def test_forms_naming_another_clinics_rows_write_nothing(client):
    world = build_world()
    client.force_login(world.own.pt)
    before = _row_counts()
    other_exercise = client.post(reverse("web:prescribe", args=[world.own.draft_plan.pk]),
                                 {"exercise": world.other.exercise.pk})
    other_template = client.post(reverse("web:apply_template", args=[world.own.draft_plan.pk]),
                                 {"template": world.other.template.pk})
    assert (other_exercise.status_code, other_template.status_code) == (404, 404)
    assert _row_counts() == before
