"""The pages under their Content-Security-Policy in a real browser (Chromium): scripts only from
this origin, and every page, the charts and the API docs still work with no violation reported."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from outcomes.models import Assessment
from tests.factories import CarePlanFactory, PatientFactory, today
from tests.web import test_browser as ui

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
browser = ui.browser  # the module's Chromium, shared with the workspace tests
team = ui.team

# Playwright's init scripts run outside the page's policy: this one only listens.
LISTEN = ("window.__cspViolations = [];"
          "document.addEventListener('securitypolicyviolation',"
          " e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));")


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.add_init_script(LISTEN)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.problems = problems
    yield page
    context.close()


def visit(page, path):
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__cspViolations") == [], path
    assert page.problems == [], (path, page.problems)


@pytest.fixture
def charted_patient(clinic, team):
    patient = PatientFactory(clinic=clinic, primary_pt=team["pt"], coach=team["coach"])
    plan = CarePlanFactory(patient=patient, lead_pt=team["pt"], status="active",
                           start_date=today() - dt.timedelta(days=30))
    for days_ago, score in ((28, 7), (14, 5), (1, 3)):
        Assessment.objects.create(patient=patient, care_plan=plan, instrument="nprs", answers=[score], score=score,
                                  band="", source="staff", recorded_by=team["pt"],
                                  collected_at=dt.datetime.combine(today() - dt.timedelta(days=days_ago),
                                                                   dt.time(12), dt.UTC))
    return patient


def test_every_workspace_page_runs_under_the_policy(page, team, charted_patient):
    visit(page, "/login/")
    ui.sign_in(page, team["pt"])
    for path in ("/", "/patients/", "/patients/new/", "/password/", "/two-factor/"):
        visit(page, path)
    visit(page, f"/patients/{charted_patient.pk}/")
    expect(page.locator(".chart .main-svg").first).to_be_visible()  # plotly drew under the policy
    page.get_by_role("button", name="Sign out").click()
    ui.sign_in(page, team["coach"])
    visit(page, "/coach/")
    visit(page, f"/patients/{charted_patient.pk}/")
    page.get_by_role("button", name="Sign out").click()
    ui.sign_in(page, team["manager"])
    for path in ("/dashboard/", "/staff/", "/settings/", "/audit/"):
        visit(page, path)


def test_the_api_docs_run_under_the_policy(page, team):
    ui.sign_in(page, team["pt"])
    visit(page, "/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("MoveRx API")  # its script ran


def test_an_inline_script_would_be_refused(page, team):
    """The check above can see a violation: the browser reports one for an injected inline script."""
    visit(page, "/login/")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
                  " document.body.appendChild(s); }")
    page.wait_for_timeout(200)
    assert page.evaluate("window.ran") is None
    assert any(v.startswith("script-src") for v in page.evaluate("window.__cspViolations"))
