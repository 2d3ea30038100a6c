import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils.html import escape

from core.errors import InvalidInput
from outcomes.instruments import score_and_band
from outcomes.models import Assessment
from patients.models import Alert

ODI_FULL = [0, 1, 2, 3, 4, 5, 0, 1, 2, 3]  # 21 of 50


@pytest.mark.parametrize(("code", "answers", "score", "band"), [
    ("nprs", [0], 0, "none"), ("nprs", [1], 1, "mild"), ("nprs", [3], 3, "mild"), ("nprs", [4], 4, "moderate"),
    ("nprs", [6], 6, "moderate"), ("nprs", [7], 7, "severe"), ("nprs", [10], 10, "severe"),
    ("phq9", [0] * 9, 0, "none_minimal"), ("phq9", [1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "none_minimal"),
    ("phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"), ("phq9", [1] * 9, 9, "mild"),
    ("phq9", [2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate"), ("phq9", [2, 2, 2, 2, 2, 2, 2, 0, 0], 14, "moderate"),
    ("phq9", [3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "moderately_severe"),
    ("phq9", [3, 3, 3, 3, 3, 3, 1, 0, 0], 19, "moderately_severe"),
    ("phq9", [3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe"), ("phq9", [3] * 9, 27, "severe"),
    ("gad7", [0] * 7, 0, "minimal"), ("gad7", [1, 1, 1, 1, 0, 0, 0], 4, "minimal"),
    ("gad7", [1, 1, 1, 1, 1, 0, 0], 5, "mild"), ("gad7", [3, 3, 3, 0, 0, 0, 0], 9, "mild"),
    ("gad7", [3, 3, 3, 1, 0, 0, 0], 10, "moderate"), ("gad7", [3, 3, 3, 3, 2, 0, 0], 14, "moderate"),
    ("gad7", [3, 3, 3, 3, 3, 0, 0], 15, "severe"), ("gad7", [3] * 7, 21, "severe"),
    ("phq2", [1, 1], 2, "negative"), ("phq2", [1, 2], 3, "positive"), ("phq2", [3, 3], 6, "positive"),
    ("gad2", [2, 0], 2, "negative"), ("gad2", [0, 3], 3, "positive"),
    ("odi", [0] * 10, 0, "minimal"), ("odi", [1] * 10, 20, "minimal"), ("odi", ODI_FULL, 42, "severe"),
    ("odi", [2] * 10, 40, "moderate"), ("odi", [3] * 10, 60, "severe"), ("odi", [4] * 10, 80, "crippled"),
    ("odi", [5] * 10, 100, "bed_bound"), ("odi", [2, 2, 2, 2, 2, 2, 2, 2, 2, 3], Decimal("42.0"), "severe"),
    ("psfs", [{"label": "Lift grandchild", "rating": 3}], 3, ""),
    ("psfs", [{"label": "Run", "rating": 2}, {"label": "Sit", "rating": 7}, {"label": "Garden", "rating": 5}],
     Decimal("4.7"), ""),
    ("pgic", [1], 1, "improved"), ("pgic", [2], 2, "improved"), ("pgic", [3], 3, "unchanged"),
    ("pgic", [4], 4, "unchanged"), ("pgic", [5], 5, "unchanged"), ("pgic", [6], 6, "worse"), ("pgic", [7], 7, "worse"),
])
def test_scores_and_bands(code, answers, score, band):
    assert score_and_band(code, answers) == (Decimal(score), band)


@pytest.mark.parametrize(("answers", "score"), [
    ([4, 3, None, 2, 1, 0, 5, 4, 3, 2], Decimal("53.3")),  # 24 / 45 * 100 = 53.33
    ([4, 3, None, None, 1, 0, 5, 4, 3, 2], Decimal("55.0")),  # 22 / 40 * 100
    ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], Decimal("20.0")),
    ([3, 0, 0, 0, 0, 0, 0, 0, 0, None], Decimal("6.7")),  # 3 / 45 = 6.666 -> 6.7 (half up)
])
def test_odi_rounding_and_missing(answers, score):
    assert score_and_band("odi", answers)[0] == score


@pytest.mark.parametrize(("code", "answers"), [
    ("nprs", []), ("nprs", [11]), ("nprs", [-1]), ("nprs", [5, 5]), ("nprs", ["5"]), ("nprs", [True]),
    ("nprs", [4.5]), ("nprs", 5), ("nprs", None),
    ("phq9", [0] * 8), ("phq9", [0] * 10), ("phq9", [4] + [0] * 8), ("phq9", [None] + [0] * 8),
    ("gad7", [0] * 6), ("gad7", [0] * 6 + [4]), ("phq2", [0]), ("gad2", [0, 0, 0]),
    ("odi", [0] * 9), ("odi", [6] + [0] * 9), ("odi", [None, None, None] + [0] * 7),
    ("psfs", []), ("psfs", [{"label": "x", "rating": 11}]), ("psfs", [{"label": "", "rating": 3}]),
    ("psfs", [{"label": "a", "rating": 1}] * 6), ("psfs", [{"rating": 3}]), ("psfs", [3]),
    ("psfs", [{"label": "a", "rating": 3, "extra": 1}]),
    ("psfs", [{"label": "Run", "rating": 2}, {"label": " run ", "rating": 3}]),  # one activity twice (§1 v2)
    ("psfs", [{"label": "Garden", "rating": 2}, {"label": "GARDEN", "rating": 2}]),
    ("pgic", [0]), ("pgic", [8]), ("pgic", []), ("pgic", [1, 2]), ("pgic", ["2"]), ("pgic", [True]),
])
def test_bad_answers_are_refused(code, answers):
    with pytest.raises(InvalidInput):
        score_and_band(code, answers)


@pytest.mark.django_db
@pytest.mark.parametrize(("answers", "field"), [
    ({"instrument": "odi", "answers": [None, None, None, 1, 1, 1, 1, 1, 1, 1]}, "answers"),
    ({"instrument": "phq9", "answers": [1] * 8}, "answers"),
    ({"instrument": "nprs", "answers": [3], "collected_at": "2999-01-01T00:00:00Z"}, "collected_at"),
    ({"instrument": "womac", "answers": [3]}, "instrument"),
    ({"instrument": "nprs", "answers": [3], "score": 0}, None),  # a client's score is ignored
])
def test_api_refuses_bad_assessments_and_stores_nothing(api, patient, answers, field):
    body = {"patient": patient.pk, "collected_at": dt.datetime.now(dt.UTC).isoformat(), **answers}
    response = api.post("/api/v1/assessments/", body, format="json")
    if field is None:
        assert response.status_code == 201 and response.json()["score"] == 3
        return
    assert response.status_code == 400 and field in response.json()
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_phq9_item_9_opens_a_safety_alert_and_tells_pt_and_coach(api, client, patient, pt, coach, mailoutbox,
                                                                  django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/assessments/", {
            "patient": patient.pk, "instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 1],
            "collected_at": dt.datetime.now(dt.UTC).isoformat()}, format="json")
    assert response.status_code == 201
    assert response.json()["score"] == 1 and response.json()["band"] == "none_minimal"
    alert = Alert.objects.get(patient=patient, kind="safety")
    assert alert.severity == "urgent" and alert.source_id == response.json()["id"] and alert.is_open
    assert len(mailoutbox) == 1 and set(mailoutbox[0].to) == {pt.email, coach.email}
    assert patient.last_name not in mailoutbox[0].body  # no patient details in e-mail
    link = re.search(r"http://\S+", mailoutbox[0].body).group(0)
    client.force_login(pt)
    page = client.get(link.removeprefix(settings.SITE_URL).split("#")[0])
    assert page.status_code == 200 and str(escape(alert.message)) in page.content.decode()  # the link opens the alert
    detail = api.get(f"/api/v1/patients/{patient.pk}/").json()
    assert detail["open_alerts"] == 1
    acknowledged = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"note": "Called; safe plan in place."},
                            format="json")
    assert acknowledged.status_code == 200 and acknowledged.json()["is_open"] is False


@pytest.mark.django_db
def test_no_alert_without_item_9(api, patient):
    api.post("/api/v1/assessments/", {"patient": patient.pk, "instrument": "phq9", "answers": [3] * 8 + [0],
                                      "collected_at": dt.datetime.now(dt.UTC).isoformat()}, format="json")
    assert not Alert.objects.filter(kind="safety").exists()
