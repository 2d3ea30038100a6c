"""Hostile bodies, paths and pagination parameters are a 4xx with the API's error shape, never a 5xx,
and write nothing (DESIGN.md: every input is validated at the edge)."""

import base64
import json

import pytest
from django.test import Client

from core.api.parsers import json_nesting_exceeds
from outcomes.models import Assessment
from patients.models import Patient
from tests.patients.test_api import INTAKE

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def anonymous():
    return Client(raise_request_exception=False)


@pytest.fixture
def staff_client(pt):
    client = Client(raise_request_exception=False)
    client.force_login(pt)
    return client


def made_up_cursor(position: str) -> str:
    return base64.b64encode(f"p={position}".encode()).decode()


# --- bodies ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/auth/token/"])
def test_a_deeply_nested_body_to_an_open_endpoint_is_400(anonymous, path):
    response = anonymous.post(path, DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper than 32" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/patients/", "/api/v1/care-plans/", "/api/v1/assessments/"])
def test_a_deeply_nested_body_is_400_and_writes_nothing(api, path):
    response = api.post(path, DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]
    assert not Patient.objects.exists()


def test_a_deeply_nested_body_from_a_stranger_is_refused_without_parsing(anonymous):
    response = anonymous.post("/api/v1/patients/", DEEP, content_type="application/json")
    assert response.status_code == 401


def test_nesting_inside_a_field_is_counted_too(api):
    nested = {**INTAKE, "symptoms": json.loads("[" * 40 + "]" * 40)}
    response = api.post("/api/v1/patients/", json.dumps(nested), content_type="application/json")
    assert response.status_code == 400
    assert not Patient.objects.exists()


def test_brackets_inside_strings_do_not_count_and_shallow_bodies_parse():
    assert not json_nesting_exceeds(json.dumps({"note": "[" * 1000 + '\\"{' * 500}), 32)
    assert not json_nesting_exceeds("[" * 32 + "]" * 32, 32)
    assert json_nesting_exceeds("[" * 33 + "]" * 33, 32)
    assert json_nesting_exceeds('{"a": "]]]", "b": ' + "{" * 40, 32)


# Not a speed measurement: on the old scan this body took hours (each escaped quote restarted the
# search for a closing quote), so the timeout stands for "never answered".
@pytest.mark.timeout(120)
def test_an_unterminated_string_full_of_escaped_quotes_is_answered_400(anonymous):
    body = '"' + '\\"' * 300_000 + "[" * 40
    assert not json_nesting_exceeds(body, 32)  # the brackets are inside the (unterminated) string
    response = anonymous.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_a_body_at_the_depth_cap_is_parsed(api):
    answers = json.loads("[" * 31 + "]" * 31)  # with the body's own object: 32 levels
    response = api.post("/api/v1/patients/", json.dumps({**INTAKE, "symptoms": answers}),
                        content_type="application/json")
    assert response.status_code == 400
    assert "symptoms" in response.json()  # a field error: the body was parsed


def test_a_body_over_the_size_cap_is_413_with_a_json_body(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api.post("/api/v1/patients/", {**INTAKE, "last_name": "x" * 20_000}, format="json")
    assert response.status_code == 413
    assert "larger than 10000 bytes" in response.json()["detail"]
    assert not Patient.objects.exists()


def test_a_form_body_over_the_size_cap_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api.post("/api/v1/patients/", "last_name=" + "x" * 20_000,
                        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_a_multipart_body_over_the_size_cap_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api.post("/api/v1/patients/", {"last_name": "x", "file": _upload(20_000)}, format="multipart")
    assert response.status_code == 413
    assert not Patient.objects.exists()


def test_too_many_form_fields_is_400(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = api.post("/api/v1/patients/", "&".join(f"f{i}=1" for i in range(50)),
                        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "detail" in response.json()


def _upload(size: int):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("big.bin", b"\0" * size)


def test_nul_in_json_strings_is_a_field_error(api):
    response = api.post("/api/v1/patients/", {**INTAKE, "first_name": "Ma\x00ria"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"first_name": ["Null characters are not allowed."]}
    assert not Patient.objects.exists()


@pytest.mark.parametrize("answers", [
    [{"label": "Tying\x00 shoes", "rating": 3}],  # PSFS labels are free text stored as jsonb
    [{"label\x00": "x", "rating": 3}],
])
def test_nul_in_free_form_json_is_400_not_a_database_error(api, patient, answers):
    response = api.post("/api/v1/assessments/", {"patient": patient.pk, "instrument": "psfs", "answers": answers,
                                                 "collected_at": "2026-01-05T10:00:00Z"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"answers": ["Null characters are not allowed."]}
    assert not Assessment.objects.exists()


def test_no_api_input_takes_free_form_json_that_lets_nul_through():
    from django.urls import get_resolver
    from rest_framework import serializers

    from core.api.fields import JSONField

    get_resolver().url_patterns  # noqa: B018 - imports every API module
    loose = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _subclasses(serializers.Serializer) if cls.__module__.split(".")[0] in PROJECT_APPS
        for name, field in cls._declared_fields.items()
        if isinstance(field, serializers.JSONField) and not isinstance(field, JSONField) and not field.read_only
    ]
    assert not loose, "use core.api.fields.JSONField for free-form input: " + ", ".join(loose)


PROJECT_APPS = {"accounts", "patients", "careplans", "exercises", "coaching", "outcomes", "core", "web"}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_an_escaped_backslash_before_u0000_is_text_not_nul(api):
    body = json.dumps({**INTAKE, "last_name": "Lopez\\u0000"})
    assert api.post("/api/v1/patients/", body, content_type="application/json").status_code == 201


def test_json_that_is_not_text_or_not_json_is_400(api):
    for body in [b"\xff\xfe{", b'{"a": NaN}', b'{"a": Infinity}', b"9" * 5000, b'{"a": 1', b""]:
        response = api.post("/api/v1/patients/", body, content_type="application/json")
        assert response.status_code == 400, body[:20]
        assert "detail" in response.json() or body == b"", response.json()
    assert not Patient.objects.exists()


@pytest.mark.parametrize("number", ["1e99999", "-1e99999", "1" + "0" * 400, "1e-400"])
def test_absurd_numbers_are_field_errors(api, patient, number):
    body = f'{{"patient": {patient.pk}, "instrument": "nprs", "answers": [{number}], "collected_at": {number}}}'
    response = api.post("/api/v1/assessments/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "detail" not in response.json()


# --- paths ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/api/v1/patients/%00/", "/api/v1/patients/abc/", "/api/v1/patients/99999999999999999999/",
    "/api/v1/nowhere/", "/api/v1/patients/1%00/red-flags/clear/",
])
def test_unknown_or_malformed_api_paths_are_a_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("path", ["/patients/%00/", "/patients/99999999999999999999/", "/plans/1%00/edit/"])
def test_malformed_page_paths_are_404(staff_client, path):
    assert staff_client.get(path).status_code == 404


# --- pagination -------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["page=abc", "page=0", "page=-1", "page=1.5", "page=%00",
                                   "page_size=0", "page_size=-1", "page_size=abc", "page_size=201",
                                   "page_size=10000", "page_size=" + "9" * 5000])
def test_a_malformed_page_or_page_size_is_400(api, patient, query):
    response = api.get(f"/api/v1/patients/?{query}")
    assert response.status_code == 400
    assert set(response.json()) == {query.split("=")[0]}


def test_a_page_past_the_end_is_404_and_a_good_page_size_is_used(api, patient, other_pt):
    assert api.get("/api/v1/patients/?page=2").status_code == 404
    assert api.get("/api/v1/patients/?page=&page_size=").status_code == 200  # empty: not given
    assert api.get("/api/v1/patients/?page=last").status_code == 200
    assert len(api.get("/api/v1/patients/?page_size=1").json()["results"]) == 1


@pytest.mark.parametrize("path", ["/api/v1/reminders/", "/api/v1/assessments/", "/api/v1/exercise-sessions/",
                                  "/api/v1/audit-events/"])
@pytest.mark.parametrize("cursor", [
    made_up_cursor("abc"), made_up_cursor("99999999999999999999999"), made_up_cursor("\x00"),
    made_up_cursor("1999-01-01T00:00:00+00:00"), "not base64!", "cD0", "%00",
])
def test_a_made_up_cursor_is_400_on_every_cursor_list(client_for, manager, path, cursor):
    response = client_for(manager).get(path, {"cursor": cursor})
    assert response.status_code in (200, 400), response.content  # a well-formed position may be legit
    if response.status_code == 400:
        assert set(response.json()) == {"cursor"}


def test_the_made_up_cursor_of_the_issue_is_400(client_for, manager):
    for path in ["/api/v1/audit-events/", "/api/v1/reminders/"]:
        response = client_for(manager).get(path, {"cursor": "cD1hYmM="})
        assert response.status_code == 400
        assert response.json() == {"cursor": ["Invalid cursor"]}


def test_the_cursors_the_server_hands_out_still_work(client_for, manager, patient):
    api = client_for(manager)
    api.get(f"/api/v1/patients/{patient.pk}/")  # audit rows to page through
    api.get(f"/api/v1/patients/{patient.pk}/")
    first = api.get("/api/v1/audit-events/", {"page_size": 1}).json()
    second = api.get(first["next"])
    assert second.status_code == 200
    assert second.json()["results"][0]["id"] < first["results"][0]["id"]


def test_a_bad_page_size_is_400_on_cursor_lists(client_for, manager):
    response = client_for(manager).get("/api/v1/reminders/", {"page_size": "0"})
    assert response.status_code == 400 and set(response.json()) == {"page_size"}
