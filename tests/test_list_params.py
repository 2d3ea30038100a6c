"""Every list endpoint of the schema, every query parameter, malformed values: a 4xx with the
API's error shape or a 200, never a 5xx. New lists and filters are walked automatically."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.world import build_world

pytestmark = pytest.mark.django_db

MALFORMED = [
    "abc", "-1", "0", "1.5", "\x00", "1\x00", "9" * 30, "9" * 5000, "2026-02-30", "1900-01-01",
    "9999-12-31T23:59:59+14:00", "true\x00", "", " ", "%", "1e309", "NaN", "[]", "{}", "x" * 10_000,
    "ü", "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
    "cD1hYmM=", "cD0xOTk5LTAxLTAx", "cj0xJnA9MQ==",  # made-up cursors: p=abc, p=1999-01-01, r=1&p=1
]


# The row of the shared world whose id fills `{id}` in a detail read that takes query parameters.
DETAIL_ROWS = {"care-plans": "active_plan", "prescriptions": "prescription", "templates": "template",
               "reports": "report"}


def read_operations(*, details: bool = False) -> list[tuple[str, dict[str, dict]]]:
    """(path, {query parameter: its schema}) of every list (GET without path parameters), or of
    every detail GET that takes query parameters."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, params)
        for path, item in schema["paths"].items() if "get" in item and ("{" in path) == details
        for params in [{p["name"]: p["schema"] for p in item["get"].get("parameters", []) if p["in"] == "query"}]
        if params or not details
    ]


def list_operations():
    return read_operations()


def detail_operations(world):
    """The detail reads with query parameters, `{id}` filled in from the world."""
    filled = []
    for path, params in read_operations(details=True):
        resource = path.removeprefix("/api/v1/").split("/")[0]
        assert resource in DETAIL_ROWS, f"add the row for {path} to DETAIL_ROWS"
        filled.append((path.replace("{id}", str(getattr(world.own, DETAIL_ROWS[resource]).pk)), params))
    return filled


def typed(param_schema: dict) -> bool:
    """A parameter for which "abc" can only be wrong: a number, a boolean, a date, a choice."""
    items = param_schema.get("items", {})
    return param_schema.get("type") in {"integer", "number", "boolean"} or "enum" in param_schema \
        or "enum" in items or param_schema.get("format") in {"date", "date-time"}


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def reader(world):
    """For each list, a client of the first role that may read it."""
    users = [world.own.pt, world.own.manager, world.own.coach, world.own.integration]

    def client_for(path):
        for user in users:
            client = APIClient()
            client.force_authenticate(user)
            if client.get(path).status_code not in (401, 403, 404):  # 400: a required parameter
                return client
        pytest.fail(f"no role reads {path}")

    return client_for


def test_the_walk_covers_the_lists():
    paths = dict(list_operations())
    assert {"/api/v1/patients/", "/api/v1/reminders/", "/api/v1/audit-events/"} <= set(paths)
    assert {"page", "page_size"} <= set(paths["/api/v1/patients/"])
    assert {"cursor", "page_size"} <= set(paths["/api/v1/reminders/"])


def test_every_list_answers_malformed_parameters_with_a_4xx(reader, world):
    failures = []
    for path, params in list_operations() + detail_operations(world):
        client = reader(path)
        queries = [{name: value} for name in params for value in MALFORMED]
        queries.append({name: "\x00" for name in params})
        for query in queries:
            response = client.get(path, query)
            if response.status_code >= 500 or (response.status_code >= 400 and not _error_shape(response)):
                failures.append((path, query, response.status_code))
    assert not failures, failures[:20]


def test_a_malformed_typed_parameter_is_400_not_ignored(reader):
    ignored = []
    for path, params in list_operations():
        client = reader(path)
        for name in [name for name, param_schema in params.items() if typed(param_schema)]:
            response = client.get(path, {name: "abc"})
            if response.status_code != 400 or name not in response.json():
                ignored.append((path, name, response.status_code))
    assert not ignored, ignored


def _error_shape(response) -> bool:
    return response["Content-Type"] == "application/json" and isinstance(response.json(), dict)


def test_an_unknown_ordering_is_400_and_a_known_one_is_used(reader):
    ordered = [path for path, params in list_operations() if "ordering" in params]
    assert "/api/v1/patients/" in ordered
    for path in ordered:
        client = reader(path)
        for bad in ["abc", "id,abc", "--id", "password", "\x00"]:
            response = client.get(path, {"ordering": bad})
            assert response.status_code == 400 and set(response.json()) == {"ordering"}, (path, bad)
    client = reader("/api/v1/patients/")
    ids = [row["id"] for row in client.get("/api/v1/patients/", {"ordering": "-id"}).json()["results"]]
    assert ids == sorted(ids, reverse=True) and len(ids) > 1
