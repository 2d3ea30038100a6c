import datetime as dt
import time

import pytest
from rest_framework.test import APIClient

from outcomes.models import OutcomeReport
from tests.celery_harness import celery_worker, eager_off
from tests.factories import CarePlanFactory, PatientFactory, UserFactory

REQUEST = {"start_from": "2026-01-01", "start_to": "2026-06-30", "as_of": "2026-10-01"}


def scored_plan(clinic, pt, start, baseline, followup):
    from outcomes.models import Assessment

    plan = CarePlanFactory(patient=PatientFactory(clinic=clinic, timezone="UTC"), lead_pt=pt, start_date=start,
                           status="discharged", activated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    for day, score in ((0, baseline), (84, followup)):
        Assessment.objects.create(patient=plan.patient, instrument="nprs", answers=[score], score=score, band="",
                                  collected_at=dt.datetime.combine(start + dt.timedelta(days=day), dt.time(12),
                                                                   dt.UTC),
                                  source="staff", recorded_by=pt)
    return plan


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_computes_a_requested_report(clinic):
    manager = UserFactory(clinic=clinic, role="manager")
    pt = UserFactory(clinic=clinic, role="pt")
    for n, (baseline, followup) in enumerate([(8, 2), (6, 5), (7, 3)]):
        scored_plan(clinic, pt, dt.date(2026, 2, 1) + dt.timedelta(days=n), baseline, followup)
    client = APIClient()
    client.force_authenticate(manager)
    with eager_off(), celery_worker():
        response = client.post("/api/v1/reports/outcomes/", {**REQUEST, "segment_by": "pt"}, format="json")
        assert response.status_code == 202, response.content
        assert (response.json()["status"], response.json()["progress"]) == ("pending", 0)
        seen, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline:
            body = client.get(f"/api/v1/reports/outcomes/{response.json()['id']}/").json()
            seen.append(body["progress"])
            if body["status"] in ("done", "failed"):
                break
            time.sleep(0.05)
    assert body["status"] == "done", body
    assert seen == sorted(seen) and seen[-1] == 100
    pain = body["results"]["pain"]
    assert (pain["n_included"], pain["n_completers"], pain["mean_improvement"]) == (3, 3, pytest.approx(11 / 3))
    assert pain["responders_mcid"] == pytest.approx(2 / 3)
    assert (body["segments"][0]["segment"], body["segments"][0]["label"]) == (str(pt.pk), pt.full_name)
    assert OutcomeReport.objects.get(pk=body["id"]).results["method_version"] == body["method_version"] == "2"
    assert (body["n_pgic"], body["pgic_improved"], body["ci95_pgic_improved"]) == (0, None, None)
    assert "pain_curve[12].mean_nprs" in body["suppressed_figures"]  # over 3 plans (§5 small cells)
    assert body["code_version"]
    csv = client.get(f"/api/v1/reports/outcomes/{body['id']}/export.csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert "all,outcomes,pain,n_completers,,,< 10" in csv.content.decode()  # a count of 3: a small cell (§5)


@pytest.mark.django_db
def test_request_validation_and_scope(client_for, manager, admin_user, outsider_pt, clinic, other_clinic,
                                      django_capture_on_commit_callbacks):
    client = client_for(manager)
    bad = client.post("/api/v1/reports/outcomes/", {"start_from": "2026-06-01", "start_to": "2026-01-01"},
                      format="json")
    assert bad.status_code == 400 and "start_to" in bad.json()
    other = client.post("/api/v1/reports/outcomes/", {**REQUEST, "clinic": other_clinic.pk}, format="json")
    assert other.status_code == 400 and "clinic" in other.json()
    assert not OutcomeReport.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):  # the task runs in-process here
        mine = client.post("/api/v1/reports/outcomes/", REQUEST, format="json").json()
    assert mine["status"] == "pending" and OutcomeReport.objects.get().status == "done"
    assert OutcomeReport.objects.get().results["method_version"] == "2"  # clinical-reference §5
    assert client_for(outsider_pt).get(f"/api/v1/reports/outcomes/{mine['id']}/").status_code == 404
    everyone = client_for(admin_user).post("/api/v1/reports/outcomes/", {**REQUEST, "clinic": None}, format="json")
    assert everyone.status_code == 202 and everyone.json()["clinic"] is None
    assert everyone.json()["id"] not in {r["id"] for r in client.get("/api/v1/reports/outcomes/").json()["results"]}


@pytest.mark.django_db
def test_a_finished_snapshot_never_changes(client_for, manager, django_capture_on_commit_callbacks):
    from django.db import DatabaseError, transaction

    with django_capture_on_commit_callbacks(execute=True):
        report_id = client_for(manager).post("/api/v1/reports/outcomes/", REQUEST, format="json").json()["id"]
    with pytest.raises(DatabaseError), transaction.atomic():
        OutcomeReport.objects.filter(pk=report_id).update(results={"forged": True})
    with pytest.raises(DatabaseError), transaction.atomic():
        OutcomeReport.objects.filter(pk=report_id).delete()
    from outcomes.services import report_compute

    report_compute(report_id)  # a second delivery of the task: nothing happens
    assert OutcomeReport.objects.get(pk=report_id).status == "done"


@pytest.mark.django_db
def test_monthly_reports_are_scheduled_and_made_per_clinic(clinic, other_clinic, django_capture_on_commit_callbacks):
    from django_celery_beat.models import PeriodicTask

    from outcomes.tasks import refresh_monthly_reports

    entry = PeriodicTask.objects.get(task="outcomes.tasks.refresh_monthly_reports")
    assert entry.enabled and entry.crontab.day_of_month == "1"
    with django_capture_on_commit_callbacks(execute=True):
        assert refresh_monthly_reports() == 2
    reports = OutcomeReport.objects.order_by("clinic_id")
    assert [r.clinic_id for r in reports] == sorted([clinic.pk, other_clinic.pk])
    assert all(r.status == "done" and r.requested_by is None for r in reports)


@pytest.mark.django_db
def test_stale_reports_are_run_again_or_closed_so_no_progress_bar_waits_forever(
        clinic, manager, settings, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask

    from outcomes import services
    from outcomes.tasks import settle_stale_reports

    assert PeriodicTask.objects.get(task="outcomes.tasks.settle_stale_reports").interval.every == 60

    def requested(**fields):
        report = OutcomeReport.objects.create(clinic=clinic, start_from=dt.date(2026, 1, 1),
                                              start_to=dt.date(2026, 3, 1), as_of=dt.date(2026, 9, 1),
                                              requested_by=manager, code_version="test")
        OutcomeReport.objects.filter(pk=report.pk).update(**fields)
        return report

    now = timezone.now()
    silent = now - dt.timedelta(seconds=settings.REPORT_HEARTBEAT_STALE_SECONDS + 1)
    long_ago = now - services.LOST_DISPATCH - dt.timedelta(minutes=1)
    lost = requested(requested_at=long_ago, dispatched_at=long_ago)
    fresh = requested()
    died = requested(status="running", progress=40, attempts=1, started_at=silent, heartbeat_at=silent)
    died_too_often = requested(status="running", progress=40, attempts=settings.REPORT_MAX_ATTEMPTS,
                               started_at=silent, heartbeat_at=silent)
    working = requested(status="running", progress=40, attempts=1, started_at=silent, heartbeat_at=now)
    with django_capture_on_commit_callbacks(execute=True):  # the outbox hands them to a worker (in-process here)
        assert settle_stale_reports() == (2, 1)
    states = {r.pk: (r.status, r.attempts, r.error != "") for r in OutcomeReport.objects.all()}
    assert states == {lost.pk: ("done", 1, False), fresh.pk: ("pending", 0, False), died.pk: ("done", 2, False),
                      died_too_often.pk: ("failed", settings.REPORT_MAX_ATTEMPTS, True),
                      working.pk: ("running", 1, False)}


@pytest.mark.django_db
def test_a_snapshot_made_before_v2_reads_as_method_version_1(client_for, manager, clinic):
    from tests.report_snapshots import stored_report, v1_snapshot, v2_snapshot

    old = stored_report(clinic, v1_snapshot(), requested_by=manager)
    new = stored_report(clinic, v2_snapshot(), requested_by=manager)
    client = client_for(manager)
    old_body = client.get(f"/api/v1/reports/outcomes/{old.pk}/").json()
    new_body = client.get(f"/api/v1/reports/outcomes/{new.pk}/").json()
    assert (old_body["method_version"], old_body["n_pgic"], old_body["suppressed_figures"]) == ("1", None, None)
    assert new_body["method_version"] == "2"
    assert new_body["n_pgic"] == new.results["n_pgic"] and new_body["pgic_improved"] == new.results["pgic_improved"]
