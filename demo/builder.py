"""The demo clinic `make run` shows: staff of every role and ~200 patients in varied states,
written through the same services the API uses, so every clinical rule (and the audit) holds."""

import datetime as dt
import os
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from faker import Faker

from accounts.models import Clinic, User
from accounts.services import clinic_create, staff_create
from careplans import services as plans
from careplans.models import GoalCategory
from coaching import services as coaching
from core.audit import audit_context
from core.clock import local_today
from exercises import services as exercises
from exercises.models import Exercise, ExerciseSession, SessionPrescription
from outcomes import services as outcomes
from patients import services as patients
from patients.clinical import LEGACY_RED_FLAGS, RedFlag
from patients.models import PainRegion, RedFlagStatus, ReminderChannel, Sex, Symptom

DEMO_CLINIC = "Demo Clinic"
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "moverx-demo-2026")  # demo data only
DEMO_STAFF = [
    # email, role, first name, last name
    ("admin@demo.moverx.org", "", "Ada", "Admin"),
    ("manager@demo.moverx.org", "manager", "Grace", "Okoye"),
    ("pt@demo.moverx.org", "pt", "Priya", "Shah"),
    ("pt2@demo.moverx.org", "pt", "Daniel", "Kim"),
    ("coach@demo.moverx.org", "coach", "Maya", "Lopez"),
    ("coach2@demo.moverx.org", "coach", "Tom", "Becker"),
    ("app@demo.moverx.org", "integration", "Patient", "App"),
]
TIMEZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "Europe/London"]
GOALS = [
    (GoalCategory.PAIN, "Sit through a work meeting without pain", "NPRS <= 3"),
    (GoalCategory.FUNCTION, "Carry groceries from the car", "ODI <= 20"),
    (GoalCategory.CORE_STRENGTH, "Hold a front plank", "60 seconds"),
    (GoalCategory.RANGE_OF_MOTION, "Touch toes without pain", "fingertips to ankles"),
    (GoalCategory.EDUCATION, "Use a flare-up plan", "3 flare-ups self-managed"),
    (GoalCategory.PREVENTION, "Walk daily", "walk 30 min, 5 days a week"),
    (GoalCategory.MEDICATION_REDUCTION, "Reduce pain medication", "no NSAIDs on 5 of 7 days"),
]

REVIEW_NOTES = {
    RedFlagStatus.CLEARED: "Examined at evaluation; no serious pathology suspected.",
    RedFlagStatus.REFERRED: "Referred to the patient's physician for assessment before exercise therapy; "
                            "exercise goes ahead with their agreement.",
}


UNSCREENED_PATIENT = 3  # the one demo patient registered without a red-flag screen
SCREEN_FLAGS = [flag for flag in RedFlag if flag not in LEGACY_RED_FLAGS]  # the v2 items a new screen asks


@dataclass
class DemoStaff:
    clinic: Clinic
    admin: User
    manager: User
    pts: list[User]
    coaches: list[User]
    integration: User


def seed_demo(*, patients: int = 200, now: dt.datetime | None = None) -> DemoStaff | None:
    """Create the demo clinic once; a second call changes nothing and returns None.

    Histories end before `now` (default: the current instant): each patient's days are counted in
    the patient's own zone, so nothing is stamped after now at any hour of the server's day."""
    if Clinic.objects.filter(name=DEMO_CLINIC).exists():
        return None
    now = now or timezone.now()
    rng = random.Random(2026)
    fake = Faker()
    fake.seed_instance(2026)
    with audit_context(request_id="seed_demo"), transaction.atomic():
        staff = _staff()
        for number in range(patients):
            _patient_journey(staff, rng, fake, now, number)
        coaching.outreach_refresh()
    return staff


def _staff() -> DemoStaff:
    clinic = clinic_create(name=DEMO_CLINIC, timezone="America/New_York")
    users = {}
    for email, role, first, last in DEMO_STAFF:
        if role:
            users[email] = staff_create(email=email, password=DEMO_PASSWORD, role=role, clinic=clinic,
                                        first_name=first, last_name=last)
        else:
            users[email] = User.objects.filter(email=email).first() or User.objects.create_superuser(
                email, DEMO_PASSWORD, first_name=first, last_name=last)
    by_role = lambda role: [u for u in users.values() if u.role == role]  # noqa: E731
    return DemoStaff(clinic=clinic, admin=users["admin@demo.moverx.org"],
                     manager=by_role("manager")[0], pts=by_role("pt"), coaches=by_role("coach"),
                     integration=by_role("integration")[0])


def _patient_journey(staff: DemoStaff, rng: random.Random, fake: Faker, now: dt.datetime, number: int) -> None:
    pt, coach = staff.pts[number % len(staff.pts)], staff.coaches[number % len(staff.coaches)]
    zone = rng.choice(TIMEZONES)
    # The patient's today, not the server's: at 02:00 UTC it is still yesterday in the US.
    today = local_today(zone, now)
    state = rng.choices(["none", "draft", "active", "paused", "discharged", "flagged"],
                        weights=[10, 6, 45, 5, 28, 6])[0]
    if number == UNSCREENED_PATIENT:
        state = "unscreened"  # registered without a red-flag screen: waits for one (clinical-reference §2, v2)
    # Plans started at most ~12 weeks ago (active) or long enough ago to be discharged.
    start = today - dt.timedelta(days=rng.randint(120, 200) if state == "discharged" else rng.randint(0, 84))
    onset_days = rng.choices([rng.randint(3, 41), rng.randint(42, 83), rng.randint(84, 1500)], weights=[2, 2, 6])[0]
    sex = rng.choice([Sex.FEMALE, Sex.MALE])
    first = fake.first_name_female() if sex == Sex.FEMALE else fake.first_name_male()
    last = fake.last_name()
    channel = rng.choices([ReminderChannel.EMAIL, ReminderChannel.SMS, ReminderChannel.NONE], weights=[6, 3, 1])[0]
    flagged = state == "flagged" or rng.random() < 0.06
    flags = rng.sample(SCREEN_FLAGS, k=rng.randint(1, 2)) if flagged and state != "unscreened" else []
    patient = patients.patient_create(
        actor=pt, clinic=staff.clinic, first_name=first, last_name=last, sex=sex,
        date_of_birth=today - dt.timedelta(days=rng.randint(19 * 365, 78 * 365)),
        email=f"{first}.{last}.{number}@example.org".lower(), phone=f"+1 555 01{number:02d}"[:16],
        timezone=zone, reminder_channel=channel, pain_region=rng.choices(
            list(PainRegion), weights=[7, 1, 2, 0.5])[0],
        pain_onset_date=start - dt.timedelta(days=onset_days),
        symptoms=rng.sample(list(Symptom), k=rng.randint(1, 4)), red_flags=flags,
        primary_pt=pt, coach=coach, red_flag_screened=state != "unscreened",
    )
    if state in ("none", "flagged", "unscreened"):
        return
    if patient.red_flag_status == RedFlagStatus.POSITIVE:
        outcome = rng.choice([RedFlagStatus.CLEARED, RedFlagStatus.CLEARED, RedFlagStatus.REFERRED])
        patients.patient_review_red_flags(actor=pt, patient_id=patient.pk, outcome=outcome,
                                          note=REVIEW_NOTES[outcome])
    plan = plans.care_plan_create(
        actor=pt, patient=patient, start_date=start,
        goals=[dict(zip(("category", "description", "target"), goal, strict=True))
               for goal in rng.sample(GOALS, k=rng.randint(1, 3))],
        coverage={"payer": rng.choice(["Aetna", "Cigna", "Medicare", "Self-pay"]),
                  "referral_required": rng.random() < 0.3, "visit_limit": rng.choice([None, 8, 12, 20])},
        modalities=rng.sample(["heat", "cold", "tens", "manual_therapy"], k=rng.randint(0, 2)),
        equipment=rng.sample(["exercise_ball", "resistance_band", "foam_roller", "massage_ball"], k=rng.randint(0, 3)),
    )
    program = _prescribe_program(pt, plan, rng)
    if state == "draft":
        return
    plans.care_plan_activate(actor=pt, plan_id=plan.pk)
    last_day = min(today, start + dt.timedelta(days=84))
    keen = _sessions(plan, program, rng, start, last_day, staff.integration)
    _assessments(plan, rng, keen, today, staff.integration)
    _coaching(plan, coach, rng, keen, today)
    if state == "paused":
        plans.care_plan_pause(actor=pt, plan_id=plan.pk, note="Travelling for two weeks.")
    elif state == "discharged":
        plans.care_plan_discharge(actor=pt, plan_id=plan.pk, note="Goals met; independent with home program.")
    elif rng.random() < 0.3:  # a recent progression, so plan histories have more than the first version
        first = program[0]
        harder = first.exercise.progression or first.exercise
        exercises.prescription_modify(actor=pt, prescription_id=first.pk, expected_version=1, reason="progression",
                                      note="Doing well; progressing.", exercise=harder, sets=first.sets + 1)


def _prescribe_program(pt, plan, rng: random.Random) -> list:
    library = list(Exercise.objects.filter(clinic__isnull=True, difficulty__lte=3).order_by("id"))
    times = rng.choice([3, 3, 3, 4, 5])
    return [exercises.prescription_create(actor=pt, care_plan=plan, exercise=exercise, start_date=plan.start_date,
                                          times_per_week=times)
            for exercise in rng.sample(library, k=rng.randint(3, 6))]


def _sessions(plan, program, rng: random.Random, first_day: dt.date, last_day: dt.date, app_user) -> float:
    """Sessions on random days at a patient-specific rate that fades a little over the weeks."""
    tz = ZoneInfo(plan.patient.timezone)
    keen = rng.uniform(0.25, 1.0)
    times = program[0].times_per_week
    rows, day = [], first_day
    while day < last_day:
        week = (day - first_day).days // 7
        if rng.random() < keen * (1 - 0.03 * week) * times / 7:
            at = dt.datetime.combine(day, dt.time(rng.randint(6, 21), rng.randint(0, 59)), tzinfo=tz)
            rows.append(ExerciseSession(patient=plan.patient, care_plan=plan, performed_at=at,
                                        duration_minutes=rng.randint(10, 40), pain_during=rng.randint(0, 6),
                                        source=ExerciseSession.Source.PATIENT_APP, recorded_by=app_user))
        day += dt.timedelta(days=1)
    ExerciseSession.objects.bulk_create(rows)
    SessionPrescription.objects.bulk_create(
        SessionPrescription(session=session, prescription=prescription)
        for session in rows for prescription in program)
    return keen


BARRIERS = ["time", "pain", "motivation", "work", "family", "fatigue", "travel"]


def _coaching(plan, coach, rng: random.Random, keen: float, today: dt.date) -> None:
    """Check-ins every week or two, a habit goal, and the odd note, through the coaching services."""
    tz = ZoneInfo(plan.patient.timezone)
    day = plan.start_date + dt.timedelta(days=rng.randint(1, 4))
    last = min(today - dt.timedelta(days=1), plan.start_date + dt.timedelta(days=84))
    while day <= last:
        next_day = day + dt.timedelta(days=rng.choice([7, 7, 14]))
        coaching.check_in_record(
            actor=coach, patient=plan.patient, occurred_at=dt.datetime.combine(day, dt.time(rng.randint(9, 17)), tz),
            channel=rng.choice(["video", "phone", "message"]),
            mood=max(1, min(5, round(2 + 3 * keen + rng.uniform(-1, 1)))),
            confidence=max(0, min(10, round(4 + 6 * keen + rng.uniform(-2, 2)))),
            barriers=rng.sample(BARRIERS, k=rng.randint(0, 2)),
            notes="Talked through the week's sessions and what got in the way.",
            agreed=rng.choice(["Two sessions before work", "Set a phone alarm for 7 pm", "Walk after lunch"]),
            next_check_in=next_day)
        day = next_day
    goal = coaching.habit_goal_create(actor=coach, patient=plan.patient, description="Walk 20 minutes after lunch",
                                      target_per_week=rng.choice([3, 4, 5]), start_date=plan.start_date)
    walked = plan.start_date
    while walked < today and walked <= last:
        if rng.random() < keen * 0.7:
            coaching.habit_log(actor=coach, goal=goal, done_on=walked)
        walked += dt.timedelta(days=1)
    if rng.random() < 0.3:
        coaching.coaching_note_add(actor=coach, patient=plan.patient,
                                   body="Prefers short sessions; responds well to progress updates.")


# Baselines as an outpatient physical therapy clinic sees low back pain: NPRS about 5-7, ODI about
# 30-45 on average (moderate disability), PHQ-9 and GAD-7 mostly minimal to mild, some moderate.
# (instrument, mean, spread, lowest, highest) of the baseline score, drawn from a clipped normal.
DEMO_BASELINES = [("nprs", 6.0, 1.5, 2, 10), ("odi", 37.0, 12.0, 8, 76), ("phq9", 6.5, 4.0, 0, 22),
                  ("gad7", 5.5, 3.5, 0, 18)]
# How a patient's scores move over 12 weeks: share of patients, and the share of the baseline gone
# by week 12 (a negative share: worse).
TRAJECTORIES = [("responder", 0.55, (0.35, 0.75)), ("partial", 0.2, (0.1, 0.3)), ("non_responder", 0.15, (-0.1, 0.1)),
                ("worse", 0.1, (-0.45, -0.2))]
PSFS_ACTIVITIES = ["Sitting through a work meeting", "Lifting a laundry basket", "Walking 30 minutes",
                   "Getting in and out of the car", "Gardening", "Sleeping through the night", "Putting on socks",
                   "Picking up a child"]
FOLLOW_UP_WEEKS = (4, 8, 12)


def _answers(items: int, item_max: int, total: int) -> list[int]:
    """`items` answers between 0 and `item_max` that add up to `total`."""
    answers = [total // items + (1 if i < total % items else 0) for i in range(items)]
    return [min(answer, item_max) for answer in answers]


def _scored_answers(code: str, score: float, rng: random.Random) -> list:
    """Answers whose server-side score is about `score` (clinical-reference §1)."""
    if code == "nprs":
        return [max(0, min(10, round(score)))]
    if code == "odi":  # ten sections of 0-5: the score is twice their sum
        return _answers(10, 5, max(0, min(50, round(score / 2))))
    if code == "phq9":  # items 1-8 carry the total; a rare item-9 answer raises a safety alert
        return [*_answers(8, 3, max(0, min(24, round(score)))), 1 if rng.random() < 0.01 else 0]
    return _answers(7, 3, max(0, min(21, round(score))))


def _collected(plan, rng: random.Random, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(8, 20)), tzinfo=ZoneInfo(plan.patient.timezone))


def _visit_days(plan, rng: random.Random, keen: float, today: dt.date) -> dict[int, dt.date]:
    """Baseline in the week before the start (clinical-reference §5: [S - 14, S]), then weeks 4, 8 and
    12 within their windows; the less keen stop answering sooner. Only days before today."""
    days = {0: plan.start_date - dt.timedelta(days=rng.randint(1, 7))}
    for week in FOLLOW_UP_WEEKS:
        if rng.random() > 0.97 - 0.05 * week * (1 - keen):
            break
        days[week] = plan.start_date + dt.timedelta(days=7 * week + rng.randint(-3, 3))
    return {week: day for week, day in days.items() if day < today}


def _change_by(trajectory: tuple, keen: float, rng: random.Random):
    """The share of the baseline gone at each week: most of the change comes early, and the keen
    get more of theirs."""
    low, high = trajectory[2]
    share = rng.uniform(low, high) * (0.6 + 0.4 * keen if low > 0 else 1)
    return lambda week: share * (1 - 0.5 ** (week / 3)) / (1 - 0.5 ** 4)


def _assessments(plan, rng: random.Random, keen: float, today: dt.date, app_user) -> None:
    """Baseline and weeks 4, 8 and 12 through the assessment service (scores, bands and alerts are
    real): responders, partial responders, non-responders and some who get worse; some stop
    answering. Some patients also rate activities (PSFS) and, at week 12, their change (PGIC)."""
    trajectory = rng.choices(TRAJECTORIES, weights=[share for _, share, _ in TRAJECTORIES])[0]
    change = _change_by(trajectory, keen, rng)
    days = _visit_days(plan, rng, keen, today)
    for code, mean, spread, lowest, highest in DEMO_BASELINES:
        baseline = min(highest, max(lowest, rng.gauss(mean, spread)))
        for week, day in days.items():
            score = baseline * (1 - change(week)) + (rng.uniform(-1, 1) if week else 0) * spread / 3
            outcomes.assessment_record(actor=app_user, patient=plan.patient, instrument=code,
                                       answers=_scored_answers(code, score, rng),
                                       collected_at=_collected(plan, rng, day), source="patient_app")
    if rng.random() < 0.35:
        _psfs(plan, rng, days, change, app_user)
    if 12 in days and rng.random() < 0.7:
        _pgic(plan, rng, days[12], change(12), app_user)


def _psfs(plan, rng: random.Random, days: dict, change, app_user) -> None:
    """2-3 activities at baseline, rated again at week 12 (clinical-reference §1, v2), now and then
    with a new one."""
    activities = [(label, rng.randint(1, 5)) for label in rng.sample(PSFS_ACTIVITIES, k=rng.randint(2, 3))]
    for week in (0, 12):
        if week not in days:
            continue
        rated = [{"label": label, "rating": max(0, min(10, round(rating + (10 - rating) * change(week)
                                                                  + rng.uniform(-1, 1) * (week > 0))))}
                 for label, rating in activities]
        if week and rng.random() < 0.2:
            rated.append({"label": "Carrying the shopping", "rating": rng.randint(3, 8)})
        outcomes.assessment_record(actor=app_user, patient=plan.patient, instrument="psfs", answers=rated,
                                   collected_at=_collected(plan, rng, days[week]), source="patient_app")


def _pgic(plan, rng: random.Random, day: dt.date, share_better: float, app_user) -> None:
    """The patient's impression of change at week 12, in line with how much better they are."""
    answer = 1 if share_better > 0.6 else 2 if share_better > 0.35 else 3 if share_better > 0.15 else \
        4 if share_better > -0.1 else 5 if share_better > -0.3 else 6
    outcomes.assessment_record(actor=app_user, patient=plan.patient, instrument="pgic",
                               answers=[max(1, min(7, answer + rng.choice([-1, 0, 0, 0, 1])))],
                               collected_at=_collected(plan, rng, day), source="patient_app")


def demo_logins() -> list[tuple[str, str]]:
    return [(email, role or "admin") for email, role, _, _ in DEMO_STAFF]


