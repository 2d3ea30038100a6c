"""Pages refuse hostile posts and queries with a 4xx, never a 5xx, and write nothing."""

import pytest
from django.test import Client

from outcomes.models import Assessment
from patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(pt):
    client = Client(raise_request_exception=False)
    client.force_login(pt)
    return client


def posts(patient):
    return [f"/patients/{patient.pk}/measures/", f"/patients/{patient.pk}/intake/", "/patients/new/"]


def test_a_form_over_the_size_cap_is_400(browser, patient, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    for path in posts(patient):
        response = browser.post(path, "answers=" + "1 " * 10_000, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400, path
    assert not Assessment.objects.exists()


def test_a_form_with_too_many_fields_is_400(browser, patient):
    body = "&".join(f"f{i}=1" for i in range(2_000))
    for path in posts(patient):
        assert browser.post(path, body, content_type="application/x-www-form-urlencoded").status_code == 400, path


def test_deep_json_or_nul_posted_to_a_page_is_refused(browser, patient):
    for path in posts(patient):
        deep = browser.post(path, "[" * 100_000 + "]" * 100_000, content_type="application/json")
        nul = browser.post(path, {"instrument": "nprs", "answers": "\x00", "collected_at": "\x00",
                                  "first_name": "A\x00"})
        assert deep.status_code < 500 and nul.status_code < 500, path
    assert not Assessment.objects.exists()
    assert Patient.objects.count() == 1


@pytest.mark.parametrize("query", ["search=%00", "page=abc", "page=0", "page=99999", "red_flag_status=%00",
                                   "has_open_alerts=abc", "coach=99999999999999999999", "sort=%00"])
def test_malformed_list_queries_on_pages_are_not_errors(browser, patient, query):
    assert browser.get(f"/patients/?{query}").status_code < 500


@pytest.mark.parametrize("path", ["/login/", "/password-reset/"])
def test_a_form_in_another_charset_is_400_even_with_a_valid_csrf_token(path):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get(path)
    response = client.post(path, "email=a%40b.org", content_type="application/x-www-form-urlencoded; charset=latin-1",
                           HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 400


@pytest.mark.parametrize("report", ["²", "99999999999999999999", "-1", "%00"])
def test_a_malformed_report_id_on_the_dashboard_is_not_an_error(manager, report):
    client = Client(raise_request_exception=False)
    client.force_login(manager)
    assert client.get(f"/dashboard/?report={report}").status_code == 200
