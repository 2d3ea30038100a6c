"""PHQ-9 item 9 is read before anything else (clinical-reference §1, v2): a refused PHQ-9 still raises
the safety alert when item 9 is above 0, and keeps the answers; item 9 must be answered. A resent
external_id with other content is a 409 naming the stored row, with the same alert rule."""

import datetime as dt

import pytest

from outcomes.models import Assessment
from patients.models import Alert

pytestmark = pytest.mark.django_db


def _phq9(patient, answers, **extra):
    return {"patient": patient.pk, "instrument": "phq9", "answers": answers,
            "collected_at": dt.datetime.now(dt.UTC).isoformat(), **extra}


@pytest.mark.parametrize(("answers", "why"), [
    ([0, 0, 7, 0, 0, 0, 0, 0, 2], "an answer out of range"),
    ([0, None, 0, 0, 0, 0, 0, 0, 1], "an answer missing"),
    ([0, 0, 0, 0, 0, 0, 0, 0, 3, 0], "ten answers, item 9 the ninth"),
])
@pytest.mark.parametrize("who", ["pt", "coach", "integration"])
def test_a_refused_phq9_with_item_9_above_0_still_raises_the_alert(client_for, request, patient, answers, why, who):
    response = client_for(request.getfixturevalue(who)).post("/api/v1/assessments/", _phq9(patient, answers),
                                                             format="json")
    assert response.status_code == 400 and "answers" in response.json(), why
    assert not Assessment.objects.exists()
    alert = Alert.objects.get(patient=patient, kind=Alert.Kind.SAFETY)
    assert alert.severity == Alert.Severity.URGENT and alert.is_open and alert.source_id is None
    assert alert.submitted_answers == answers


@pytest.mark.parametrize("answers", [[0] * 8, [0] * 8 + [None], [0] * 8 + [4], [0] * 8 + ["2"], "nine"])
def test_item_9_must_be_answered(api, patient, answers):
    response = api.post("/api/v1/assessments/", _phq9(patient, answers), format="json")
    assert response.status_code == 400
    assert "Answer 9" in response.json()["answers"][0]
    assert not Assessment.objects.exists() and not Alert.objects.exists()


def test_a_refused_phq9_with_item_9_at_0_raises_nothing(api, patient):
    response = api.post("/api/v1/assessments/", _phq9(patient, [0, 0, 9, 0, 0, 0, 0, 0, 0]), format="json")
    assert response.status_code == 400
    assert not Assessment.objects.exists() and not Alert.objects.exists()


def test_a_resent_external_id_with_the_same_content_returns_the_stored_row(client_for, integration, patient):
    app = client_for(integration)
    body = _phq9(patient, [1] * 9, external_id="app-41")
    first, again = (app.post("/api/v1/assessments/", body, format="json") for _ in range(2))
    assert (first.status_code, again.status_code) == (201, 200)
    assert Assessment.objects.count() == 1
    assert Alert.objects.filter(kind=Alert.Kind.SAFETY).count() == 1  # the first one's, not a second


@pytest.mark.parametrize(("changed", "alerts"), [([2] * 8 + [0], 0), ([0] * 8 + [2], 1)])
def test_a_resent_external_id_with_other_content_is_409_with_the_stored_id(client_for, integration, patient,
                                                                           changed, alerts):
    app = client_for(integration)
    stored = app.post("/api/v1/assessments/", _phq9(patient, [0] * 9, external_id="app-42"), format="json").json()
    response = app.post("/api/v1/assessments/", _phq9(patient, changed, external_id="app-42"), format="json")
    assert response.status_code == 409 and response.json()["id"] == stored["id"]
    assert list(Assessment.objects.values_list("answers", flat=True)) == [[0] * 9]
    raised = Alert.objects.filter(kind=Alert.Kind.SAFETY)
    assert raised.count() == alerts
    assert all(alert.submitted_answers == changed for alert in raised)


def test_a_refused_correction_with_item_9_above_0_still_raises_the_alert(api, patient):
    stored = api.post("/api/v1/assessments/", _phq9(patient, [0] * 9), format="json").json()
    correct = {**_phq9(patient, [1] * 8 + [0]), "reason": "Typed on the wrong line"}
    assert api.post(f"/api/v1/assessments/{stored['id']}/supersede/", correct, format="json").status_code == 201
    stale = {**_phq9(patient, [0, 0, 0, 0, 0, 0, 0, 0, 2]), "reason": "Second thoughts"}
    refused = api.post(f"/api/v1/assessments/{stored['id']}/supersede/", stale, format="json")
    assert refused.status_code == 409  # it was corrected already
    assert Assessment.objects.count() == 2
    alert = Alert.objects.get(patient=patient, kind=Alert.Kind.SAFETY)
    assert alert.submitted_answers == [0, 0, 0, 0, 0, 0, 0, 0, 2] and alert.source_id is None


# Refusals before the service (clinical-reference §1, v2): the serializer's own 400s read item 9 first too.
REFUSED_BEFORE_THE_SERVICE = [
    ({"collected_at": None}, "collected_at"),  # missing (dropped below)
    ({"collected_at": "1800-01-01T09:00:00Z"}, "collected_at"),  # out of bounds
    ({"collected_at": "yesterday"}, "collected_at"),
    ({"external_id": "x" * 101}, "external_id"),
]


def _without_none(body):
    return {key: value for key, value in body.items() if value is not None}


@pytest.mark.parametrize(("change", "field"), REFUSED_BEFORE_THE_SERVICE)
@pytest.mark.parametrize("who", ["pt", "coach", "integration"])
def test_a_phq9_the_serializer_refuses_still_raises_the_alert(client_for, request, patient, change, field, who):
    answers = [1, 0, 0, 0, 0, 0, 0, 0, 2]
    body = _without_none({**_phq9(patient, answers), **change})
    response = client_for(request.getfixturevalue(who)).post("/api/v1/assessments/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Assessment.objects.exists()
    alert = Alert.objects.get(patient=patient, kind=Alert.Kind.SAFETY)
    assert alert.is_open and alert.source_id is None and alert.submitted_answers == answers


def test_a_nul_character_elsewhere_still_raises_the_alert_and_keeps_what_jsonb_can_hold(api, patient):
    response = api.post("/api/v1/assessments/", _phq9(patient, [0, "1\x00", 0, 0, 0, 0, 0, 0, 3]), format="json")
    assert response.status_code == 400 and "answers" in response.json()
    assert not Assessment.objects.exists()
    assert Alert.objects.get(kind=Alert.Kind.SAFETY).submitted_answers == [0, "1", 0, 0, 0, 0, 0, 0, 3]


def test_a_resent_external_id_the_serializer_refuses_still_raises_the_alert(client_for, integration, patient):
    app = client_for(integration)
    assert app.post("/api/v1/assessments/", _phq9(patient, [0] * 9, external_id="app-43"),
                    format="json").status_code == 201
    resent = {**_phq9(patient, [0] * 8 + [1], external_id="app-43"), "collected_at": "0001-01-01T00:00:00Z"}
    assert app.post("/api/v1/assessments/", resent, format="json").status_code == 400
    assert Assessment.objects.count() == 1
    assert Alert.objects.get(kind=Alert.Kind.SAFETY).submitted_answers == [0] * 8 + [1]


def test_a_correction_the_serializer_refuses_still_raises_the_alert(api, patient):
    stored = api.post("/api/v1/assessments/", _phq9(patient, [0] * 9), format="json").json()
    no_reason = _phq9(patient, [2] * 8 + [1])  # no "reason"
    refused = api.post(f"/api/v1/assessments/{stored['id']}/supersede/", no_reason, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    assert Assessment.objects.count() == 1
    assert Alert.objects.get(kind=Alert.Kind.SAFETY).submitted_answers == [2] * 8 + [1]


@pytest.mark.parametrize("answers", [[0] * 9, [0] * 8 + [4], "0 0 0 0 0 0 0 0 2"])
def test_no_alert_when_the_serializer_refuses_a_phq9_without_item_9_above_0(api, patient, answers):
    body = _without_none({**_phq9(patient, answers), "collected_at": None})
    assert api.post("/api/v1/assessments/", body, format="json").status_code == 400
    assert not Alert.objects.exists()


def test_no_alert_for_a_patient_the_user_cannot_see(api, outsider_patient):
    """Another clinic's patient is unknown here: a 400 on `patient`, and no alert in a clinic that cannot act."""
    response = api.post("/api/v1/assessments/", _phq9(outsider_patient, [0] * 8 + [3]), format="json")
    assert response.status_code == 400 and "patient" in response.json()
    assert not Alert.objects.exists()


def test_a_phq9_without_item_9_refused_for_another_field_also_says_item_9(api, patient):
    body = _without_none({**_phq9(patient, [1] * 8), "collected_at": None})
    response = api.post("/api/v1/assessments/", body, format="json")
    assert response.status_code == 400
    assert "collected_at" in response.json() and "Answer 9" in response.json()["answers"][0]
    assert not Alert.objects.exists()


@pytest.mark.parametrize("answers", [None, "nine", [0] * 8 + ["x"]])
def test_item_9_is_the_first_error_on_answers_whatever_else_refuses_them(api, patient, answers):
    """clinical-reference §1 (v2): a PHQ-9 without a valid item 9 is refused with the error on item 9."""
    response = api.post("/api/v1/assessments/", _without_none(_phq9(patient, answers)), format="json")
    assert response.status_code == 400, response.content
    assert "Answer 9" in response.json()["answers"][0]
    assert not Assessment.objects.exists() and not Alert.objects.exists()
