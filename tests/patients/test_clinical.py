import datetime as dt

import pytest
from django.db.models import DateField, F, Value

from patients.clinical import age, age_is_risk_factor, episode_type, episode_type_sql, is_emergency
from patients.models import Patient

START = dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("days_before_start", "expected"),
    [(0, "acute"), (41, "acute"), (42, "subacute"), (83, "subacute"), (84, "chronic"), (2000, "chronic")],
)
def test_episode_type_boundaries(days_before_start, expected):
    assert episode_type(START - dt.timedelta(days=days_before_start), START) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("days_before_start", [0, 41, 42, 83, 84, 400])
def test_episode_type_sql_agrees_with_python(patient, days_before_start):
    Patient.objects.filter(pk=patient.pk).update(pain_onset_date=START - dt.timedelta(days=days_before_start))
    row = Patient.objects.filter(pk=patient.pk).annotate(
        episode=episode_type_sql(F("pain_onset_date"), Value(START, output_field=DateField()))
    ).get()
    assert row.episode == episode_type(row.pain_onset_date, START)


@pytest.mark.parametrize(
    ("flags", "emergency"),
    [([], False), (["major_trauma"], False), (["history_of_cancer", "infection_risk"], False),
     (["saddle_anaesthesia"], True), (["bladder_dysfunction"], True), (["progressive_neuro_deficit"], True)],
)
def test_cauda_equina_flags_are_emergencies(flags, emergency):
    assert is_emergency(flags) is emergency


@pytest.mark.parametrize(("born", "years", "risk"), [
    (dt.date(1976, 3, 1), 50, False), (dt.date(1976, 3, 2), 49, False), (dt.date(1975, 3, 1), 51, True),
    (dt.date(2006, 3, 1), 20, False), (dt.date(2006, 3, 2), 19, True),
])
def test_age_risk_factor_boundaries(born, years, risk):
    assert age(born, START) == years
    assert age_is_risk_factor(years) is risk
