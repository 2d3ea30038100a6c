import datetime as dt

import pytest
from django.db import connection

from outcomes import report
from patients.clinical import (
    EMERGENCY_CATEGORIES,
    LEGACY_RED_FLAGS,
    RED_FLAG_CATEGORIES,
    RedFlag,
    RedFlagCategory,
    age,
    age_is_risk_factor,
    emergency_categories,
    episode_type,
    episode_type_sql,
    red_flag_categories,
    red_flags_by_category,
)

START = dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("days_before_start", "expected"),
    [(0, "acute"), (41, "acute"), (42, "subacute"), (83, "subacute"), (84, "chronic"), (2000, "chronic")],
)
def test_episode_type_boundaries(days_before_start, expected):
    assert episode_type(START - dt.timedelta(days=days_before_start), START) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("days_before_start", [-1, 0, 41, 42, 83, 84, 400])
def test_episode_type_sql_agrees_with_python(days_before_start):
    """The SQL the report segments by (outcomes.report.SEGMENT_SQL) against the Python reading."""
    onset = START - dt.timedelta(days=days_before_start)
    sql = episode_type_sql(onset=f"DATE '{onset}'", start=f"DATE '{START}'")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}")
        assert cursor.fetchone()[0] == episode_type(onset, START)


def test_the_report_segments_by_that_sql():
    assert report.SEGMENT_SQL["episode_type"] == episode_type_sql(onset="p.pain_onset_date", start="cp.start_date")


@pytest.mark.parametrize(
    ("flags", "emergencies"),
    [([], []), (["major_trauma"], []), (["history_of_cancer", "infection_risk"], []),
     (["saddle_anaesthesia"], ["cauda_equina"]), (["bladder_dysfunction"], ["cauda_equina"]),
     (["progressive_neuro_deficit"], ["cauda_equina"]), (["bowel_dysfunction"], ["cauda_equina"]),
     (["sexual_dysfunction"], ["cauda_equina"]), (["bilateral_leg_symptoms"], ["cauda_equina"]),
     (["pulsatile_abdominal_mass"], ["vascular"]),
     (["known_osteoporosis", "pulsatile_abdominal_mass", "saddle_anaesthesia"], ["cauda_equina", "vascular"])],
)
def test_cauda_equina_and_vascular_flags_are_emergencies(flags, emergencies):
    """Clinical-reference §2 (v2): the two emergency classes."""
    assert emergency_categories(flags) == emergencies


@pytest.mark.parametrize(("flag", "categories"), [
    ("major_trauma", ["fracture"]), ("minor_trauma_at_risk", ["fracture"]), ("prolonged_corticosteroids", ["fracture"]),
    ("known_osteoporosis", ["fracture"]), ("structural_deformity", ["fracture"]),
    ("history_of_cancer", ["cancer"]), ("unexplained_weight_loss", ["cancer"]),
    ("pain_worse_lying_or_night", ["cancer"]), ("thoracic_pain", ["cancer"]),
    ("fever_or_chills", ["infection"]), ("infection_risk", ["infection"]), ("history_of_tuberculosis", ["infection"]),
    # the pre-v2 combined item points to both conditions it covers, so neither is missed
    ("fever_chills_weight_loss", ["cancer", "infection"]),
])
def test_every_flag_has_its_v2_class(flag, categories):
    assert red_flag_categories([flag]) == categories


def test_the_old_category_is_gone_and_every_flag_is_classed():
    assert "tumour_or_infection" not in RedFlagCategory.values
    assert set(RED_FLAG_CATEGORIES) == set(RedFlag)
    assert set(EMERGENCY_CATEGORIES) == {"cauda_equina", "vascular"}


def test_the_form_groups_by_class_and_offers_an_older_item_only_to_a_patient_who_has_it():
    groups = dict(red_flags_by_category())
    assert list(groups) == [category.label for category in RedFlagCategory]
    offered = {code for flags in groups.values() for code, _ in flags}
    assert offered == set(RedFlag) - set(LEGACY_RED_FLAGS)
    kept = {code for _, flags in red_flags_by_category(["fever_chills_weight_loss"]) for code, _ in flags}
    assert "fever_chills_weight_loss" in kept


@pytest.mark.parametrize(("born", "years", "risk"), [
    (dt.date(1976, 3, 1), 50, False), (dt.date(1976, 3, 2), 49, False), (dt.date(1975, 3, 1), 51, True),
    (dt.date(2006, 3, 1), 20, False), (dt.date(2006, 3, 2), 19, True),
])
def test_age_risk_factor_boundaries(born, years, risk):
    assert age(born, START) == years
    assert age_is_risk_factor(years) is risk
