"""The three workspaces in a real browser: headless Chromium (Debian's package) driven by
Playwright against the live test server; each role does its main job end to end. Screenshots go
to test-artifacts/screenshots/."""

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from exercises import services as exercises
from exercises.models import Exercise
from outcomes.models import Assessment
from tests.celery_harness import celery_worker, eager_off
from tests.conftest import require
from tests.factories import PASSWORD, CarePlanFactory, GoalFactory, PatientFactory, UserFactory, today

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "screenshots"
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    require(Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls here stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _chromium(sync_playwright)
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def _chromium(sync_playwright):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], errors  # no JavaScript error on any page


def sign_in(page, user):
    page.goto("/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def team(clinic):
    return {role: UserFactory(clinic=clinic, role=role, email=f"{role}@browser.example")
            for role in ("pt", "coach", "manager")}


def test_pt_modifies_a_prescription_and_sees_it_in_the_timeline(page, clinic, team):
    patient = PatientFactory(clinic=clinic, primary_pt=team["pt"], coach=team["coach"], first_name="Ruth",
                             last_name="Okonkwo")
    plan = CarePlanFactory(patient=patient, lead_pt=team["pt"], status="active",
                           start_date=today() - dt.timedelta(days=15))
    GoalFactory(care_plan=plan)
    bird_dog = Exercise.objects.get(slug="bird-dog")
    prescription = exercises.prescription_create(actor=team["pt"], care_plan=plan, exercise=bird_dog,
                                                 start_date=plan.start_date)
    sign_in(page, team["pt"])
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    page.get_by_role("link", name="Okonkwo, Ruth").click()
    page.locator(f"#rx-{prescription.pk}").get_by_text("Modify").click()
    form = page.get_by_role("form", name="Modify Bird Dog")
    form.get_by_label("Sets").fill("4")
    form.get_by_label("Reason").select_option("progression")
    form.get_by_label("Why").fill("Holding the position well")
    form.get_by_role("button", name="Save change").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("Bird Dog changed.")).to_be_visible()
    timeline = page.locator("#timeline")
    expect(timeline.get_by_text("Progression: Bird Dog, v2")).to_be_visible()
    expect(timeline.get_by_text("Holding the position well")).to_be_visible()
    expect(page.locator(f"#rx-{prescription.pk}").get_by_text("v2")).to_be_visible()
    shot(page, "pt-patient")


def test_pt_registers_a_patient_whose_red_flag_raises_an_alert(page, clinic, team):
    sign_in(page, team["pt"])
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("First name").fill("Ines")
    page.get_by_label("Last name").fill("Varga")
    page.get_by_label("Date of birth").fill("1958-04-12")
    page.get_by_label("Email").fill("ines@example.org")
    page.get_by_label("Pain region").select_option("low_back")
    page.get_by_label("Pain onset date").fill((today() - dt.timedelta(days=20)).isoformat())
    page.get_by_label("Pain when bending").check()
    page.get_by_label("Recent bladder dysfunction").check()
    page.get_by_label("Yes: I asked about every red flag below").check()
    page.get_by_role("button", name="Register patient").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="Ines Varga")).to_be_visible()
    expect(page.locator("#alerts").get_by_text("possible cauda equina syndrome")).to_be_visible()
    expect(page.locator("#alerts").get_by_text("same-day emergency assessment")).to_be_visible()
    expect(page.get_by_text("(acute)")).to_be_visible()
    shot(page, "pt-new-patient")


def test_pt_must_answer_the_screen_question_then_completes_the_screen_on_the_record(page, clinic, team):
    """Clinical-reference §2 (v2): no answer is preselected; registered without a screen, the patient
    is 'Not screened' until the PT completes it on the record."""
    sign_in(page, team["pt"])
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("First name").fill("Tomas")
    page.get_by_label("Last name").fill("Berg")
    page.get_by_label("Date of birth").fill("1980-06-01")
    page.get_by_label("Email").fill("tomas@example.org")
    page.get_by_label("Pain region").select_option("low_back")
    page.get_by_label("Pain onset date").fill((today() - dt.timedelta(days=60)).isoformat())
    expect(page.get_by_label("Yes: I asked about every red flag below")).not_to_be_checked()
    expect(page.get_by_label("No: not yet", exact=False)).not_to_be_checked()
    page.get_by_role("button", name="Register patient").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("Please correct the fields marked below")).to_be_visible()
    page.get_by_label("No: not yet", exact=False).check()
    page.get_by_role("button", name="Register patient").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="Tomas Berg")).to_be_visible()
    expect(page.locator("#intake").get_by_text("Not screened")).to_be_visible()
    screen = page.get_by_role("form", name="Complete the red-flag screen")
    screen.get_by_label("I asked the patient about every red flag above").check()
    screen.get_by_role("button", name="Record the screen").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("Red-flag screen recorded: no red flag.")).to_be_visible()
    expect(page.locator("#intake").get_by_text("Not screened")).to_have_count(0)
    shot(page, "pt-red-flag-screen")


def test_a_clinician_turns_on_two_factor_and_signs_in_with_a_code(page, team):
    from base64 import b32decode

    from django_otp.oath import totp

    sign_in(page, team["coach"])
    page.get_by_role("link", name="Two-factor").click()
    page.get_by_role("button", name="Set up two-factor authentication").click()
    key = b32decode(page.locator("#totp-secret").inner_text())
    shot(page, "two-factor-setup")
    page.get_by_label("Code from the app").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("Two-factor authentication is on")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, team["coach"])
    expect(page.get_by_text("enter the 6-digit code")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Authentication code").fill(f"{totp(key, drift=1):06d}")  # the next code: each works once
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()


def test_coach_logs_a_check_in(page, clinic, team):
    patient = PatientFactory(clinic=clinic, coach=team["coach"], first_name="Sam", last_name="Reyes")
    CarePlanFactory(patient=patient, lead_pt=team["pt"], status="active",
                    start_date=today() - dt.timedelta(days=10))
    from coaching.services import outreach_refresh

    outreach_refresh()
    sign_in(page, team["coach"])
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    expect(page.get_by_text("No exercise session recently")).to_be_visible()
    shot(page, "coach-caseload")
    page.get_by_role("link", name="Reyes, Sam").first.click()
    page.get_by_text("Log a check-in").click()
    form = page.get_by_role("form", name="Log a check-in")
    form.get_by_label("Channel").select_option("video")
    form.get_by_label("Mood").fill("4")
    form.get_by_label("Confidence").fill("7")
    form.get_by_label("Time").check()
    form.get_by_label("Agreed next steps").fill("Two short sessions before work")
    form.get_by_role("button", name="Log check-in").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("Check-in logged.")).to_be_visible()
    expect(page.locator("#coaching").get_by_text("Agreed: Two short sessions before work")).to_be_visible()
    shot(page, "coach-patient")


def test_manager_requests_a_report_and_watches_it_finish(page, clinic, team):
    for number, (baseline, followup) in enumerate([(8, 3), (7, 4), (6, 2), (9, 5), (8, 3)] * 2):  # 10: no small cell
        start = dt.date(2026, 2, 1) + dt.timedelta(days=number)
        plan = CarePlanFactory(patient=PatientFactory(clinic=clinic, timezone="UTC"), lead_pt=team["pt"],
                               status="discharged", start_date=start,
                               activated_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
        for day, score in ((0, baseline), (84, followup)):
            Assessment.objects.create(patient=plan.patient, instrument="nprs", answers=[score], score=score,
                                      band="", source="staff", recorded_by=team["pt"],
                                      collected_at=dt.datetime.combine(start + dt.timedelta(days=day), dt.time(9),
                                                                       dt.UTC))
    with eager_off(), celery_worker():
        sign_in(page, team["manager"])
        expect(page.get_by_role("heading", name="Outcomes")).to_be_visible()
        page.get_by_label("Plans starting from").fill("2026-01-01")
        page.get_by_label("to", exact=True).fill("2026-06-30")
        page.get_by_label("Report date").fill("2026-10-01")
        page.get_by_role("button", name="Request report").click()
        expect(page.get_by_role("progressbar", name="Report progress")).to_be_visible()
        page.wait_for_selector(".report-view .chart .main-svg", timeout=60_000)  # done: the page reloads
    expect(page.get_by_role("progressbar", name="Report progress")).to_have_attribute("value", "100")
    pain = page.locator(".domain").first
    expect(pain).to_contain_text("Mean baseline → 12 weeks (completers)7.6 → 3.4")  # all ten completers
    expect(pain.get_by_role("row").filter(has_text="Completers (observed)")).to_contain_text("10")
    assert page.locator(".report-view .chart .main-svg").count() >= 4  # every chart rendered
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
    shot(page, "manager-dashboard")


def test_manager_reads_a_v2_report_and_a_pt_the_patients_charts(page, browser, live_server, clinic, team):
    from tests.report_snapshots import stored_report, v2_snapshot

    segments = ((str(team["pt"].pk), "Priya Shah", 41), ("23", "Tom Reed", 8))
    report = stored_report(clinic, v2_snapshot(segments=segments), requested_by=team["manager"])
    sign_in(page, team["manager"])
    page.goto(f"/dashboard/?report={report.pk}")
    page.wait_for_selector(".report-view .chart .main-svg")
    expect(page.get_by_role("heading", name="PT Priya Shah · 41 plans")).to_be_visible()
    pain = page.locator(".domain").first
    expect(pain.get_by_role("row").filter(has_text="Last observation carried forward")).to_contain_text(
        "95% CI 52 to 80%")
    expect(page.locator(".report-view").last.get_by_role("row").filter(has_text="Completers (observed)").first
           ).to_contain_text("n < 10")
    shot(page, "manager-dashboard-v2")
    narrow = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    phone = narrow.new_page()
    sign_in(phone, team["manager"])
    phone.goto(f"/dashboard/?report={report.pk}")
    phone.wait_for_selector(".report-view .chart .main-svg")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scroll
    shot(phone, "manager-dashboard-v2-phone")
    narrow.close()

    patient = PatientFactory(clinic=clinic, primary_pt=team["pt"], first_name="Ana", last_name="Lima",
                             timezone="Asia/Tokyo")
    plan = CarePlanFactory(patient=patient, lead_pt=team["pt"], status="active",
                           start_date=today() - dt.timedelta(days=30))
    GoalFactory(care_plan=plan, target="NPRS <= 3")
    for day, nprs, odi in ((-2, 7, 38), (12, 5, 30), (28, 4, 24)):
        for code, score in (("nprs", nprs), ("odi", odi)):
            Assessment.objects.create(patient=patient, instrument=code, answers=[score] if code == "nprs" else
                                      [score // 10] * 10, score=score, band="", source="staff",
                                      recorded_by=team["pt"], collected_at=dt.datetime.combine(
                                          plan.start_date + dt.timedelta(days=day), dt.time(1), dt.UTC))
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, team["pt"])
    page.goto(f"/patients/{patient.pk}/")
    page.wait_for_selector("#measures .chart .main-svg")
    expect(page.locator("#measures")).to_contain_text("Dates are the patient's (Asia/Tokyo)")
    shot(page, "pt-patient-charts")
