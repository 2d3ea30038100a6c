"""Every API route and method × every role × (own clinic's object, another clinic's object).

Routes are enumerated from the URL configuration, so a new route without an expectation here
fails `test_every_route_has_an_expectation`. Expectations are the role table of DESIGN.md."""

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from config.urls import api_v1, router
from tests.factories import PASSWORD, today
from tests.world import Side, World, build_world

ROLES = ["pt", "coach", "manager", "integration", "anonymous"]
TODAY = today().isoformat()


@dataclass
class Case:
    expect: dict  # role -> status when acting on the user's own clinic's object
    target: str | None = None  # attribute of Side: the object in the path
    body: object = None  # callable(side, world) -> request body naming `side`'s rows
    headers: object = None  # callable(obj) -> extra headers
    list_of: str | None = None  # for lists: the Side attribute whose id must (not) appear
    query: dict | None = None  # query parameters
    extra: dict = field(default_factory=dict)


def statuses(ok, allowed, anonymous=401):
    """`ok` for the roles in `allowed`, 403 for the other staff roles."""
    table = {role: (ok if role in allowed else 403) for role in ROLES if role != "anonymous"}
    table["anonymous"] = anonymous
    return table


CLINICIANS = {"pt", "coach", "manager"}
READ = statuses(200, CLINICIANS)


def intake(side, world):
    return {"first_name": "New", "last_name": "Patient", "date_of_birth": "1970-01-01", "timezone": "UTC",
            "email": "new@example.org", "pain_region": "neck", "pain_onset_date": TODAY,
            "primary_pt": side.pt.pk, "coach": side.coach.pk}


def if_match(obj):
    return {"HTTP_IF_MATCH": f'"{obj.version}"'}


CASES = {
    ("auth-token", "post"): Case(statuses(200, CLINICIANS | {"integration"}, anonymous=200),
                                 body=lambda side, world: {"email": side.pt.email, "password": PASSWORD}),
    ("auth-logout", "post"): Case(statuses(204, CLINICIANS | {"integration"})),
    ("me", "get"): Case(statuses(200, CLINICIANS | {"integration"})),
    ("clinic-list", "get"): Case(READ, list_of="clinic"),
    ("clinic-list", "post"): Case(statuses(201, set()), body=lambda side, world: {"name": "New", "timezone": "UTC"}),
    ("clinic-detail", "get"): Case(READ, target="clinic"),
    ("clinic-detail", "patch"): Case(statuses(200, {"manager"}), target="clinic",
                                     body=lambda side, world: {"reminder_after_days": 3}),
    ("staff-list", "get"): Case(READ, list_of="coach"),
    ("staff-list", "post"): Case(statuses(201, {"manager"}), body=lambda side, world: {
        "email": "new.pt@example.org", "password": "Long-enough-pass-9", "role": "pt", "clinic": side.clinic.pk}),
    ("staff-detail", "get"): Case(READ, target="coach"),
    ("staff-deactivate", "post"): Case(statuses(200, {"manager"}), target="coach"),
    ("staff-role", "post"): Case(statuses(200, {"manager"}), target="coach", body=lambda side, world: {"role": "pt"}),
    ("staff-password-reset", "post"): Case(statuses(202, {"manager"}), target="coach"),
    ("audit-event-list", "get"): Case(statuses(200, {"manager"}), list_of="audit_event"),
    ("audit-event-detail", "get"): Case(statuses(200, {"manager"}), target="audit_event"),
    ("patient-list", "get"): Case(READ, list_of="patient"),
    ("patient-list", "post"): Case(statuses(201, {"pt"}), body=intake),
    ("patient-detail", "get"): Case(READ, target="patient"),
    ("patient-detail", "patch"): Case(statuses(200, {"pt"}), target="patient",
                                      body=lambda side, world: {"coach": side.coach.pk, "phone": "+1 555 0100"}),
    ("patient-review-red-flags", "post"): Case(statuses(200, {"pt"}), target="flagged_patient",
                                               body=lambda side, world: {"outcome": "cleared", "note": "Reviewed"}),
    ("patient-screen-red-flags", "post"): Case(statuses(200, {"pt"}), target="unscreened_patient",
                                               body=lambda side, world: {"red_flags": []}),
    ("patient-reminder-opt-out", "post"): Case(statuses(200, {"pt", "coach"}), target="patient"),
    ("patient-reminder-opt-in", "post"): Case(statuses(200, {"pt", "coach"}), target="patient"),
    ("patient-psfs-activities", "get"): Case(statuses(200, {"pt", "coach", "integration"}), target="patient"),
    ("alert-list", "get"): Case(READ, list_of="alert"),
    ("alert-detail", "get"): Case(READ, target="alert"),
    ("alert-acknowledge", "post"): Case(statuses(200, {"pt", "coach"}), target="alert",
                                        body=lambda side, world: {"note": "Called the patient"}),
    ("care-plan-list", "get"): Case(READ, list_of="active_plan"),
    ("care-plan-list", "post"): Case(statuses(201, {"pt"}), body=lambda side, world: {
        "patient": side.patient.pk, "start_date": TODAY,
        "goals": [{"category": "pain", "description": "Sit through a meeting", "target": "NPRS <= 3"}]}),
    ("care-plan-detail", "get"): Case(READ, target="draft_plan"),
    ("care-plan-detail", "patch"): Case(statuses(200, {"pt"}), target="draft_plan", headers=if_match,
                                        body=lambda side, world: {"equipment": ["foam_roller"]}),
    ("care-plan-activate", "post"): Case(statuses(200, {"pt"}), target="draft_plan"),
    ("care-plan-pause", "post"): Case(statuses(200, {"pt"}), target="active_plan"),
    ("care-plan-resume", "post"): Case(statuses(200, {"pt"}), target="paused_plan"),
    ("care-plan-discharge", "post"): Case(statuses(200, {"pt"}), target="active_plan"),
    ("visit-list", "get"): Case(READ, list_of="visit"),
    ("visit-list", "post"): Case(statuses(201, {"pt"}), body=lambda side, world: {
        "care_plan": side.active_plan.pk, "occurred_at": "2024-01-02T10:00:00Z", "mode": "video",
        "kind": "follow_up"}),
    ("visit-detail", "get"): Case(READ, target="visit"),
    ("care-plan-adherence-weeks", "get"): Case(READ, target="active_plan"),
    ("care-plan-prescriptions-as-of", "get"): Case(READ, target="active_plan", query={"at": "2030-01-01T00:00:00Z"}),
    ("exercise-list", "get"): Case(READ, list_of="exercise", query={"custom": "true"}),
    ("exercise-list", "post"): Case(statuses(201, {"pt"}), body=lambda side, world: {
        "name": "Doorway pec stretch", "category": "stretching", "body_regions": ["shoulders"],
        "equipment": ["none"], "difficulty": 1, "instructions": "Stand in a doorway.", "default_sets": 2,
        "default_hold_seconds": 30, "progression": side.exercise.pk}),
    ("exercise-detail", "get"): Case(READ, target="exercise"),
    ("exercise-detail", "patch"): Case(statuses(200, {"pt"}), target="exercise",
                                       body=lambda side, world: {"difficulty": 3}),
    ("template-list", "get"): Case(READ, list_of="template"),
    ("template-list", "post"): Case(statuses(201, {"pt", "manager"}), body=lambda side, world: {
        "name": "Neck basics", "items": [{"exercise": side.exercise.pk, "sets": 2, "reps": 8}]}),
    ("template-detail", "get"): Case(READ, target="template"),
    ("template-detail", "patch"): Case(statuses(200, {"pt", "manager"}), target="template",
                                       body=lambda side, world: {"description": "For week 1-4"}),
    ("template-detail", "delete"): Case(statuses(204, {"pt", "manager"}), target="template"),
    ("template-apply", "post"): Case(statuses(201, {"pt"}), target="template",
                                     body=lambda side, world: {"care_plan": world.own.draft_plan.pk}),
    ("prescription-list", "get"): Case(READ, list_of="prescription"),
    ("prescription-list", "post"): Case(statuses(201, {"pt"}), body=lambda side, world: {
        "care_plan": side.draft_plan.pk, "exercise": side.exercise.pk, "times_per_week": 4}),
    ("prescription-detail", "get"): Case(READ, target="prescription"),
    ("prescription-detail", "patch"): Case(statuses(200, {"pt"}), target="prescription", headers=if_match,
                                           body=lambda side, world: {"sets": 4, "reason": "progression"}),
    ("prescription-discontinue", "post"): Case(statuses(200, {"pt"}), target="prescription",
                                               body=lambda side, world: {"reason": "pain", "note": "Flare-up"}),
    ("prescription-history", "get"): Case(READ, target="prescription"),
    ("exercise-session-list", "get"): Case(READ, list_of="session"),
    ("exercise-session-list", "post"): Case(statuses(201, {"pt", "coach", "integration"}), body=lambda side, world: {
        "patient": side.active_plan.patient_id, "performed_at": "2030-01-01T00:00:00Z",
        "prescriptions": [side.prescription.pk]} | {"performed_at": dt.datetime.now(dt.UTC).isoformat()}),
    ("exercise-session-detail", "get"): Case(READ, target="session"),
    ("assessment-list", "get"): Case(READ, list_of="assessment"),
    ("assessment-list", "post"): Case(statuses(201, {"pt", "coach", "integration"}), body=lambda side, world: {
        "patient": side.patient.pk, "instrument": "gad7", "answers": [1, 1, 1, 1, 0, 0, 0],
        "collected_at": dt.datetime.now(dt.UTC).isoformat()}),
    ("assessment-detail", "get"): Case(READ, target="assessment"),
    ("assessment-supersede", "post"): Case(statuses(201, {"pt", "coach", "integration"}), target="assessment",
                                           body=lambda side, world: {
        "answers": [5], "collected_at": dt.datetime.now(dt.UTC).isoformat(), "reason": "Typo"}),
    ("reassessment-list", "get"): Case(READ),
    ("outcome-report-list", "get"): Case(READ, list_of="report"),
    ("outcome-report-list", "post"): Case(statuses(202, CLINICIANS), body=lambda side, world: {
        "start_from": "2026-01-01", "start_to": "2026-03-01", "clinic": side.clinic.pk}),
    ("outcome-report-detail", "get"): Case(READ, target="report"),
    ("outcome-report-export", "get"): Case(statuses(409, CLINICIANS), target="report"),
    ("check-in-list", "get"): Case(READ, list_of="check_in"),
    ("check-in-list", "post"): Case(statuses(201, {"coach"}), body=lambda side, world: {
        "patient": side.patient.pk, "occurred_at": dt.datetime.now(dt.UTC).isoformat(), "channel": "message",
        "mood": 3, "confidence": 5}),
    ("check-in-detail", "get"): Case(READ, target="check_in"),
    ("coaching-note-list", "get"): Case(READ, list_of="note"),
    ("coaching-note-list", "post"): Case(statuses(201, {"coach"}), body=lambda side, world: {
        "patient": side.patient.pk, "body": "Prefers phone calls"}),
    ("coaching-note-detail", "get"): Case(READ, target="note"),
    ("habit-goal-list", "get"): Case(READ, list_of="habit_goal"),
    ("habit-goal-list", "post"): Case(statuses(201, {"coach"}), body=lambda side, world: {
        "patient": side.patient.pk, "description": "Stretch before bed", "target_per_week": 4}),
    ("habit-goal-detail", "get"): Case(READ, target="habit_goal"),
    ("habit-goal-detail", "patch"): Case(statuses(200, {"coach"}), target="habit_goal",
                                         body=lambda side, world: {"target_per_week": 3}),
    ("habit-goal-log", "post"): Case(statuses(201, {"coach"}), target="habit_goal",
                                     body=lambda side, world: {"date": today().isoformat()}),
    ("outreach-list", "get"): Case(READ, list_of="outreach_item"),
    ("outreach-detail", "get"): Case(READ, target="outreach_item"),
    ("outreach-resolve", "post"): Case(statuses(200, {"coach"}), target="outreach_item",
                                       body=lambda side, world: {"note": "Spoke with the patient"}),
    ("reminder-list", "get"): Case(READ, list_of="reminder"),
    ("reminder-detail", "get"): Case(READ, target="reminder"),
    ("exercise-session-supersede", "post"): Case(statuses(201, {"pt", "coach", "integration"}), target="session",
                                                 body=lambda side, world: {
        "performed_at": dt.datetime.now(dt.UTC).isoformat(), "prescriptions": [side.prescription.pk],
        "reason": "Wrong time"}),
}


def api_routes() -> set[tuple[str, str]]:
    """(url name, method) for every API operation the URL configuration serves."""
    routes = set()
    for _prefix, viewset, basename in router.registry:
        for route in router.get_routes(viewset):
            for method, action in route.mapping.items():
                if hasattr(viewset, action):
                    routes.add((route.name.format(basename=basename), method))
    for pattern in api_v1:
        if getattr(pattern, "name", None) and hasattr(pattern.callback, "view_class"):
            view = pattern.callback.view_class
            for method in ("get", "post", "put", "patch", "delete"):
                if hasattr(view, method):
                    routes.add((pattern.name, method))
    return routes


def test_every_route_has_an_expectation():
    assert api_routes() == set(CASES)


def _client(client_for, side: Side, role: str):
    return client_for(None if role == "anonymous" else side.user(role))


def _call(client, name, method, case, target_side: Side, body_side: Side, world: World):
    obj = getattr(target_side, case.target) if case.target else None
    url = reverse(name, args=[obj.pk]) if obj is not None else reverse(name)
    body = case.body(body_side, world) if case.body else None
    headers = case.headers(obj) if case.headers else {}
    if method == "get":
        return client.get(url, case.query or {}, **headers)
    return getattr(client, method)(url, body, format="json", **headers)


def _row_counts():
    """Rows per table, and the audit trail's writes: every insert, update or delete of an audited
    table adds one, so an UPDATE that should not have happened shows here too."""
    from django.apps import apps

    from core.models import AuditEvent

    counts = {model._meta.label: model.objects.count() for model in apps.get_models()
              if model._meta.app_label in {"accounts", "patients", "careplans", "exercises", "coaching", "outcomes",
                                           "otp_totp"}}
    return counts | {"audit writes": AuditEvent.objects.exclude(action=AuditEvent.Action.READ).count()}


MATRIX = [(name, method, role) for (name, method), case in sorted(CASES.items()) for role in ROLES]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "role"), MATRIX, ids=[f"{m}:{n}:{r}" for n, m, r in MATRIX])
def test_own_clinic(client_for, name, method, role):
    world = build_world()
    case = CASES[(name, method)]
    response = _call(_client(client_for, world.own, role), name, method, case, world.own, world.own, world)
    assert response.status_code == case.expect[role], response.content
    if case.list_of and response.status_code == 200:
        ids = {row["id"] for row in response.json()["results"]}
        assert getattr(world.own, case.list_of).pk in ids
        assert getattr(world.other, case.list_of).pk not in ids


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "role"), MATRIX, ids=[f"{m}:{n}:{r}" for n, m, r in MATRIX])
def test_other_clinic(client_for, name, method, role):
    """The same request aimed at (or naming) another clinic's rows: 404 in paths, 400 in bodies,
    403/401 where the role may not act at all; and nothing written."""
    world = build_world()
    case = CASES[(name, method)]
    own = case.expect[role]
    before = _row_counts()
    response = _call(_client(client_for, world.own, role), name, method, case, world.other, world.other, world)
    if own in (401, 403) or name == "auth-token" or not (case.target or case.body):
        expected = own  # the role may not act at all, or the request names no row
    elif case.target:
        expected = 404
    else:
        expected = 400  # a body naming another clinic's rows
    assert response.status_code == expected, response.content
    if case.list_of and response.status_code == 200:
        ids = {row["id"] for row in response.json()["results"]}
        assert getattr(world.other, case.list_of).pk not in ids
    if expected in (400, 403, 404, 401):
        assert _row_counts() == before
