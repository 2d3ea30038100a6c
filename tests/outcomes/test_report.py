"""The SQL report against the plain-Python reading of §5, on generated cohorts and at the edges."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exercises.models import Exercise, ExerciseSession, Prescription, PrescriptionVersion
from outcomes import report
from outcomes.models import Assessment
from tests.exercises.reference import local_midnight
from tests.factories import CarePlanFactory, ClinicFactory, PatientFactory, UserFactory
from tests.outcomes import reference

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 9, 1)
RANGE = (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
SCORE_RANGE = {"nprs": (0, 10), "odi": (0, 100), "phq9": (0, 27), "gad7": (0, 21)}


class Scene:
    """Rows written to the database and the same facts in plain form for the reference."""

    def __init__(self):
        self.clinic = ClinicFactory()
        self.pt = UserFactory(clinic=self.clinic)
        self.exercise = Exercise.objects.filter(clinic__isnull=True).first()
        self.plans, self.assessments, self.prescriptions, self.sessions = [], [], {}, {}

    def plan(self, start, tz="America/Chicago", activated=True):
        patient = PatientFactory(clinic=self.clinic, timezone=tz, coach=None)
        plan = CarePlanFactory(patient=patient, lead_pt=self.pt, start_date=start,
                               status="active" if activated else "draft",
                               activated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) if activated else None)
        self.plans.append({"id": plan.pk, "patient": patient.pk, "start": start, "tz": tz, "activated": activated,
                           "clinic": self.clinic.pk})
        return self.plans[-1]

    def assess(self, plan, instrument, day, score, hour=12, superseded=False):
        at = dt.datetime.combine(plan["start"] + dt.timedelta(days=day), dt.time(hour, 0),
                                 tzinfo=ZoneInfo(plan["tz"]))
        Assessment.objects.create(
            patient_id=plan["patient"], instrument=instrument, answers=[], score=Decimal(score), band="",
            collected_at=at, source="staff", recorded_by=self.pt,
            superseded_at=dt.datetime.now(dt.UTC) if superseded else None)
        self.assessments.append({"patient": plan["patient"], "instrument": instrument, "score": Decimal(score),
                                 "collected_at": at, "superseded": superseded})

    def prescribe(self, plan, times_per_week):
        valid_from = local_midnight(plan["start"], plan["tz"])
        prescription = Prescription.objects.create(care_plan_id=plan["id"], exercise=self.exercise, sets=1, reps=5,
                                                   times_per_week=times_per_week, start_date=plan["start"],
                                                   created_by=self.pt)
        PrescriptionVersion.objects.create(prescription=prescription, version=1, exercise=self.exercise, sets=1,
                                           reps=5, times_per_week=times_per_week, status="active",
                                           valid_from=valid_from, reason="prescribed", changed_by=self.pt,
                                           changed_at=valid_from)
        self.prescriptions.setdefault(plan["id"], []).append(
            (prescription.pk, 1, valid_from, "active", times_per_week))

    def session(self, plan, day, hour):
        at = dt.datetime.combine(plan["start"] + dt.timedelta(days=day), dt.time(hour, 15),
                                 tzinfo=ZoneInfo(plan["tz"]))
        ExerciseSession.objects.create(patient_id=plan["patient"], care_plan_id=plan["id"], performed_at=at,
                                       source="staff", recorded_by=self.pt)
        self.sessions.setdefault(plan["id"], []).append((at, False))

    def compute(self, **extra):
        inputs = report.ReportInputs(start_from=RANGE[0], start_to=RANGE[1], as_of=AS_OF, clinic_id=self.clinic.pk,
                                     **extra)
        return report.compute(inputs)

    def expected_cohort(self):
        return reference.cohort(self.plans, start_from=RANGE[0], start_to=RANGE[1], as_of=AS_OF)


def assert_matches(got, expected):
    for figure, value in expected.items():
        if figure == "percent_improvement_distribution":
            assert [b["n"] for b in got[figure]] == value
        elif isinstance(value, list):
            assert got[figure] == pytest.approx(value), figure
        else:
            assert got[figure] == pytest.approx(value), figure
    assert set(got) == set(expected)


def assert_report_matches_reference(scene, snapshot):
    cohort = scene.expected_cohort()
    assert snapshot["n_plans"] == len(cohort)
    for domain in reference.DOMAINS:
        assert_matches(snapshot["results"][domain], reference.domain_figures(cohort, scene.assessments, domain))
    expected = reference.adherence(cohort, scene.prescriptions, scene.sessions, AS_OF)
    got = snapshot["adherence"]
    assert got["mean_plan_adherence"] == pytest.approx(expected["mean_plan_adherence"])
    assert got["mean_sessions_per_week"] == pytest.approx(expected["mean_sessions_per_week"])
    assert got["n_plans"] == expected["n_plans"]
    assert_pairs([(w["mean_adherence"], w["n"]) for w in got["weekly"]], expected["weekly"])
    assert_pairs([(w["mean_nprs"], w["n"]) for w in snapshot["pain_curve"]],
                 reference.pain_curve(cohort, scene.assessments))


def assert_pairs(got, expected):
    """[(mean or None, n)] equal, the means to floating-point precision."""
    assert [n for _, n in got] == [n for _, n in expected]
    for (mean, _), (want, _) in zip(got, expected, strict=True):
        assert (mean is None and want is None) or mean == pytest.approx(want)


ASSESSMENT = st.tuples(st.sampled_from(list(SCORE_RANGE)), st.integers(-20, 110), st.integers(0, 23),
                       st.integers(0, 100), st.booleans())
PLAN = st.tuples(
    st.integers(-20, 200),  # start, days after 2026-01-01 (some outside the range or immature)
    st.sampled_from(["America/Chicago", "Europe/London", "Asia/Tokyo", "Pacific/Auckland", "UTC"]),
    st.booleans(),  # activated
    st.lists(ASSESSMENT, max_size=14),
    st.integers(1, 5),  # times per week
    st.lists(st.tuples(st.integers(-2, 90), st.integers(0, 23)), max_size=30),  # sessions
)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(plans=st.lists(PLAN, min_size=1, max_size=8))
def test_every_figure_matches_the_reference(plans):
    scene = Scene()
    for start_day, tz, activated, assessments, times, sessions in plans:
        plan = scene.plan(RANGE[0] + dt.timedelta(days=start_day), tz, activated)
        for instrument, day, hour, raw, superseded in assessments:
            low, high = SCORE_RANGE[instrument]
            scene.assess(plan, instrument, day, low + raw % (high - low + 1), hour, superseded)
        scene.prescribe(plan, times)
        for day, hour in sessions:
            scene.session(plan, day, hour)
    assert_report_matches_reference(scene, scene.compute())


def test_ties_in_a_window_take_the_earlier():
    scene = Scene()
    plan = scene.plan(dt.date(2026, 3, 1))
    scene.assess(plan, "nprs", 3, 4)  # S+3
    scene.assess(plan, "nprs", -3, 8)  # S-3: as near, earlier: the baseline
    scene.assess(plan, "nprs", 84, 6, hour=18)  # same day twice: the earlier
    scene.assess(plan, "nprs", 84, 2, hour=9)
    pain = scene.compute()["results"]["pain"]
    assert (pain["mean_baseline"], pain["mean_followup"]) == (8, 2)


@pytest.mark.parametrize(("baseline_day", "followup_day", "included", "completer"), [
    (-14, 70, True, True), (7, 98, True, True), (-15, 84, False, False), (8, 84, False, False),
    (0, 69, True, False), (0, 99, True, False),
])
def test_window_edges(baseline_day, followup_day, included, completer):
    scene = Scene()
    plan = scene.plan(dt.date(2026, 3, 1))
    scene.assess(plan, "odi", baseline_day, 40)
    scene.assess(plan, "odi", followup_day, 20)
    function = scene.compute()["results"]["function"]
    assert (function["n_included"], function["n_completers"]) == (int(included), int(completer))


def test_superseded_assessments_are_ignored():
    scene = Scene()
    plan = scene.plan(dt.date(2026, 3, 1))
    scene.assess(plan, "gad7", 0, 15, superseded=True)
    scene.assess(plan, "gad7", 2, 12)
    scene.assess(plan, "gad7", 84, 6)
    anxiety = scene.compute()["results"]["anxiety"]
    assert anxiety["mean_baseline"] == 12 and anxiety["mean_improvement"] == 6


@pytest.mark.parametrize(("domain", "instrument", "baseline", "included"), [
    ("pain", "nprs", 0, False), ("pain", "nprs", 1, True), ("function", "odi", 0, False),
    ("function", "odi", Decimal("0.1"), True), ("depression", "phq9", 4, False), ("depression", "phq9", 5, True),
    ("anxiety", "gad7", 4, False), ("anxiety", "gad7", 5, True),
])
def test_baseline_floor(domain, instrument, baseline, included):
    scene = Scene()
    plan = scene.plan(dt.date(2026, 3, 1))
    scene.assess(plan, instrument, 0, baseline)
    scene.assess(plan, instrument, 84, 0)
    assert scene.compute()["results"][domain]["n_included"] == int(included)


def test_local_dates_decide_the_windows():
    scene = Scene()
    plan = scene.plan(dt.date(2026, 3, 1), tz="Pacific/Auckland")
    # 23:30 in Auckland on S+7 is still inside the baseline window (it is S+7 10:30 UTC).
    scene.assess(plan, "nprs", 7, 6, hour=23)
    scene.assess(plan, "nprs", 84, 3)
    assert scene.compute()["results"]["pain"]["n_completers"] == 1


def test_maturity_and_range():
    scene = Scene()
    mature = scene.plan(AS_OF - dt.timedelta(days=98))  # S + 98 = report date: mature
    immature = scene.plan(AS_OF - dt.timedelta(days=97))
    for plan in (mature, immature):
        scene.assess(plan, "nprs", 0, 6)
        scene.assess(plan, "nprs", 84, 2)
    inputs = report.ReportInputs(start_from=dt.date(2026, 1, 1), start_to=AS_OF, as_of=AS_OF,
                                 clinic_id=scene.clinic.pk)
    snapshot = report.compute(inputs)
    assert snapshot["n_plans"] == 1 and snapshot["results"]["pain"]["n_completers"] == 1


def test_ci_needs_two_completers_and_remission():
    scene = Scene()
    one = scene.plan(dt.date(2026, 3, 1))
    scene.assess(one, "phq9", 0, 12)
    scene.assess(one, "phq9", 84, 4)
    depression = scene.compute()["results"]["depression"]
    assert depression["ci95_mean_percent_improvement"] is None
    assert depression["remission"] == 1.0 and depression["mean_percent_improvement"] == pytest.approx(800 / 12)
    two = scene.plan(dt.date(2026, 3, 2))
    scene.assess(two, "phq9", 0, 10)
    scene.assess(two, "phq9", 84, 8)
    depression = scene.compute()["results"]["depression"]
    low, high = depression["ci95_mean_percent_improvement"]
    assert low < depression["mean_percent_improvement"] < high
    assert depression["remission"] == 0.5


def test_segments_partition_the_cohort():
    scene = Scene()
    for start, onset_days in [(dt.date(2026, 3, 1), 10), (dt.date(2026, 3, 2), 60), (dt.date(2026, 3, 3), 400)]:
        plan = scene.plan(start)
        from patients.models import Patient

        Patient.objects.filter(pk=plan["patient"]).update(pain_onset_date=start - dt.timedelta(days=onset_days))
        scene.assess(plan, "nprs", 0, 8)
        scene.assess(plan, "nprs", 84, 4)
    snapshot = scene.compute(segment_by="episode_type")
    assert [s["segment"] for s in snapshot["segments"]] == ["acute", "chronic", "subacute"]
    assert all(s["results"]["pain"]["n_completers"] == 1 for s in snapshot["segments"])
    assert snapshot["results"]["pain"]["n_completers"] == 3
