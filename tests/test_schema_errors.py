"""The schema documents every operation's error answers (API.md, Errors), and the fields that may
be missing say so instead of answering values their format refuses."""

import pytest
from drf_spectacular.generators import SchemaGenerator

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_operation_documents_its_error_answers(schema):
    missing = []
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        expected = {"503"}
        if path != "/api/v1/auth/token/":
            expected |= {"401", "403"}
        if method in {"post", "put", "patch"} or any(p["in"] == "query" for p in operation.get("parameters", [])):
            expected |= {"400"}
        if method in {"post", "put", "patch"}:
            expected |= {"413"}
        if "{" in path:
            expected |= {"404"}
        if missing_codes := expected - codes:
            missing.append((method, path, sorted(missing_codes)))
    assert not missing, missing


def test_the_special_answers_are_where_they_apply(schema):
    paths = schema["paths"]
    assert "429" in paths["/api/v1/auth/token/"]["post"]["responses"]
    assert "401" not in paths["/api/v1/auth/token/"]["post"]["responses"]  # no credentials are read there
    patch = paths["/api/v1/prescriptions/{id}/"]["patch"]["responses"]
    assert {"409", "412", "428"} <= set(patch)
    assert "412" not in paths["/api/v1/patients/{id}/"]["patch"]["responses"]
    assert "404" in paths["/api/v1/patients/"]["get"]["responses"]  # a page past the end
    assert "404" not in paths["/api/v1/reminders/"]["get"]["responses"]  # cursors have no "past the end"


def test_error_answers_have_the_one_error_shape(schema):
    components = schema["components"]["schemas"]
    assert components["Error"]["required"] == ["detail"]
    assert components["FieldErrors"]["type"] == "object"
    answer = schema["paths"]["/api/v1/patients/{id}/"]["get"]["responses"]["404"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_pagination_parameters_carry_the_bounds_the_server_enforces(schema):
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/patients/"]["get"]["parameters"]}
    assert params["page_size"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert params["page"]["minimum"] == 1


def test_a_missing_patient_email_is_documented_as_null_not_empty(schema):
    email = schema["components"]["schemas"]["Patient"]["properties"]["email"]
    assert email["nullable"] is True
    assert email["format"] == "email"
    assert "oneOf" not in email
