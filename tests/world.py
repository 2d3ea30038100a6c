"""Two clinics with staff of every role and clinical rows in every state: the shared scene of the
permission matrix and the tenancy tests."""

import datetime as dt
from dataclasses import dataclass

from accounts.roles import Role
from careplans.models import CarePlan, Visit
from coaching import services as coaching
from coaching.models import OutreachItem, ReminderDelivery
from core.audit import record_reads
from core.models import AuditEvent
from exercises import services
from exercises.models import Exercise
from outcomes import services as outcomes
from patients.models import Alert, RedFlagStatus
from tests.factories import CarePlanFactory, ClinicFactory, GoalFactory, PatientFactory, UserFactory, today


@dataclass
class Side:
    """One clinic's staff and rows."""

    clinic: object
    pt: object
    coach: object
    manager: object
    integration: object
    patient: object  # no open plan, care team pt + coach
    flagged_patient: object  # red-flag status positive, open alert
    unscreened_patient: object  # red-flag status not_screened (clinical-reference §2, v2)
    draft_plan: object
    active_plan: object
    paused_plan: object
    visit: object
    alert: object
    audit_event: object
    exercise: object  # the clinic's custom exercise
    template: object
    prescription: object  # on the active plan
    session: object
    assessment: object
    report: object
    check_in: object
    note: object
    habit_goal: object
    outreach_item: object
    reminder: object

    def user(self, role: str):
        return getattr(self, role)


def build_side(name: str, tz: str) -> Side:
    clinic = ClinicFactory(name=name, timezone=tz)
    slug = name.split()[0].lower()
    pt = UserFactory(clinic=clinic, role=Role.PT, email=f"pt@{slug}.example")
    coach = UserFactory(clinic=clinic, role=Role.COACH, email=f"coach@{slug}.example")
    manager = UserFactory(clinic=clinic, role=Role.MANAGER, email=f"manager@{slug}.example")
    integration = UserFactory(clinic=clinic, role=Role.INTEGRATION, email=f"app@{slug}.example")

    def patient(**kwargs):
        return PatientFactory(clinic=clinic, primary_pt=pt, coach=coach, timezone=tz, **kwargs)

    def plan(status, **kwargs):
        care_plan = CarePlanFactory(patient=patient(), lead_pt=pt, created_by=pt, status=status,
                                    start_date=today() - dt.timedelta(days=10), **kwargs)
        GoalFactory(care_plan=care_plan)
        return care_plan

    flagged = patient(red_flags=["history_of_cancer"], red_flag_status=RedFlagStatus.POSITIVE)
    active = plan(CarePlan.Status.ACTIVE)
    visit = Visit.objects.create(care_plan=active, occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
                                 mode="video", kind="evaluation", recorded_by=pt)
    record_reads(user=manager, rows=[("patients_patient", flagged.pk, flagged.pk, clinic.pk)])
    library = Exercise.objects.get(slug="bird-dog")
    exercise = services.exercise_create(actor=pt, clinic=clinic, name=f"{name} wall slide", category="mobility",
                                        body_regions=["upper_back"], equipment=["none"], difficulty=2,
                                        instructions="Slide your arms up the wall.", default_sets=2, default_reps=10)
    template = services.template_save(actor=pt, clinic=clinic, name="Low back, beginner",
                                      items=[{"exercise": library}, {"exercise": exercise, "times_per_week": 4}])
    prescription = services.prescription_create(actor=pt, care_plan=active, exercise=library)
    session, _ = services.session_record(actor=coach, patient=active.patient, prescriptions=[prescription],
                                         performed_at=dt.datetime.now(dt.UTC), source="staff")
    assessment, _ = outcomes.assessment_record(actor=pt, patient=active.patient, instrument="nprs", answers=[6],
                                               collected_at=dt.datetime.now(dt.UTC), source="staff")
    report = outcomes.report_request(actor=manager, clinic=clinic, start_from=dt.date(2026, 1, 1),
                                     start_to=dt.date(2026, 6, 30), as_of=dt.date(2026, 10, 1))
    goal = coaching.habit_goal_create(actor=coach, patient=active.patient, description="Walk daily", target_per_week=5)
    return Side(
        clinic=clinic, pt=pt, coach=coach, manager=manager, integration=integration,
        patient=patient(),
        flagged_patient=flagged,
        unscreened_patient=patient(red_flag_status=RedFlagStatus.NOT_SCREENED),
        draft_plan=plan(CarePlan.Status.DRAFT),
        active_plan=active,
        paused_plan=plan(CarePlan.Status.PAUSED),
        visit=visit,
        alert=Alert.objects.create(patient=flagged, kind=Alert.Kind.RED_FLAG, severity=Alert.Severity.URGENT,
                                   message="Positive red-flag screen"),
        audit_event=AuditEvent.objects.filter(clinic_id=clinic.pk, action="read").latest("id"),
        exercise=exercise,
        template=template,
        prescription=prescription,
        session=session,
        assessment=assessment,
        report=report,
        check_in=coaching.check_in_record(actor=coach, patient=active.patient, occurred_at=dt.datetime.now(dt.UTC),
                                          channel="phone", mood=4, confidence=7),
        note=coaching.coaching_note_add(actor=coach, patient=active.patient, body="Likes morning sessions"),
        habit_goal=goal,
        # an item a coach may resolve (an open-alert item waits for the alert's acknowledgement)
        outreach_item=OutreachItem.objects.create(patient=active.patient, coach=coach, cause="no_recent_session",
                                                  detail="No exercise session for 3 days or more"),
        reminder=ReminderDelivery.objects.create(patient=active.patient, care_plan=active, slot=today(),
                                                 channel="email"),
    )


@dataclass
class World:
    own: Side
    other: Side


def build_world() -> World:
    return World(own=build_side("Riverside Physio", "America/New_York"),
                 other=build_side("Hilltop Spine", "Europe/London"))
