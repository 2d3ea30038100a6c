"""What leaves the server with patient data is never stored by a browser or a proxy
(`Cache-Control: no-store`), and every page carries a Content-Security-Policy that runs scripts
from this origin only, which the pages honour: no inline script, no inline event handler."""

import re

import pytest
from django.test import Client, override_settings

from tests.factories import CarePlanFactory

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


@pytest.fixture
def browser_of():
    def sign_in(user):
        client = Client()
        client.force_login(user)
        return client
    return sign_in


def assert_not_stored(response):
    assert "no-store" in response["Cache-Control"], response.get("Cache-Control")
    assert response["Pragma"] == "no-cache"


def script_policy(response) -> str:
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return policy["script-src"]


def test_api_answers_are_not_stored(api, patient, outsider_patient, client_for):
    for path in ("/api/v1/me/", "/api/v1/patients/", f"/api/v1/patients/{patient.pk}/",
                 f"/api/v1/assessments/?patient={patient.pk}", f"/api/v1/patients/{outsider_patient.pk}/"):
        response = api.get(path)
        assert response.status_code in (200, 404), path
        assert_not_stored(response)
    assert_not_stored(client_for(None).get("/api/v1/patients/"))  # 401 too


def test_a_write_answer_is_not_stored(api, patient):
    response = api.post("/api/v1/check-ins/", {"patient": patient.pk}, format="json")
    assert response.status_code in (400, 403)
    assert_not_stored(response)


@pytest.mark.parametrize("role", ["pt", "coach", "manager"])
def test_workspace_pages_are_not_stored_and_carry_a_script_policy(request, role, patient, browser_of):
    CarePlanFactory(patient=patient, lead_pt=request.getfixturevalue("pt"), status="active")
    client = browser_of(request.getfixturevalue(role))
    checked = []
    for path in ("/", "/patients/", f"/patients/{patient.pk}/", "/coach/", "/dashboard/", "/password/"):
        response = client.get(path)
        if response.status_code != 200:  # a page of another role
            assert response.status_code in (302, 403), (path, response.status_code)
            continue
        assert_not_stored(response)
        assert script_policy(response) == "'self'", path
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (path, INLINE_SCRIPT.search(html).group())
        assert not INLINE_HANDLER.search(html), (path, INLINE_HANDLER.search(html).group())
        checked.append(path)
    assert len(checked) >= 4, checked  # the role's workspace, the patient list and page, the password page


def test_the_login_page_and_the_api_docs_have_no_inline_script(pt, browser_of):
    for client, path in ((Client(), "/login/"), (browser_of(pt), "/api/docs/")):
        response = client.get(path)
        assert response.status_code == 200
        assert script_policy(response) == "'self'"
        assert not INLINE_SCRIPT.search(response.content.decode()), path


def test_the_api_docs_start_up_script_is_served_as_a_script_of_this_origin(pt, browser_of):
    response = browser_of(pt).get("/api/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in response.content


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_static_files_keep_their_cache_lifetime():
    response = Client().get("/static/web/app.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
