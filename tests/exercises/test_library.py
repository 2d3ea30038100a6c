import pytest

from exercises.library import library_entries
from exercises.models import BodyRegion, Category, Exercise

pytestmark = pytest.mark.django_db

REQUIRED = ["Figure Four Stretch", "Bird Dog", "Hip Hinge", "Side Plank"]


def test_the_library_ships_with_the_database():
    library = Exercise.objects.filter(clinic__isnull=True)
    assert library.count() >= 100
    assert library.count() == len(library_entries())
    assert set(REQUIRED) <= set(library.values_list("name", flat=True))
    assert set(library.values_list("category", flat=True)) == set(Category.values)


def test_every_library_exercise_is_complete_and_links_stay_inside():
    library = {exercise.pk: exercise for exercise in Exercise.objects.filter(clinic__isnull=True)}
    for exercise in library.values():
        assert exercise.name and exercise.slug and len(exercise.instructions) > 80, exercise.slug
        assert exercise.body_regions and set(exercise.body_regions) <= set(BodyRegion.values), exercise.slug
        assert exercise.equipment and 1 <= exercise.difficulty <= 5 and exercise.default_sets >= 1
        assert exercise.default_reps or exercise.default_hold_seconds, exercise.slug
        for linked in (exercise.progression_id, exercise.regression_id):
            assert linked is None or (linked in library and linked != exercise.pk), exercise.slug
    linked = sum(1 for e in library.values() if e.progression_id or e.regression_id)
    assert linked >= 50


@pytest.mark.parametrize(("params", "check"), [
    ({"category": "balance"}, lambda e: e["category"] == "balance"),
    ({"body_region": "neck"}, lambda e: "neck" in e["body_regions"]),
    ({"equipment": "foam_roller"}, lambda e: "foam_roller" in e["equipment"]),
    ({"difficulty": 1}, lambda e: e["difficulty"] == 1),
    ({"search": "plank"}, lambda e: "plank" in (e["name"] + e["instructions"]).lower()),
])
def test_filters(api, params, check):
    rows = api.get("/api/v1/exercises/", {**params, "page_size": 200}).json()["results"]
    assert rows and all(check(row) for row in rows)
    assert len(rows) < Exercise.objects.count()


def test_custom_exercises_stay_in_their_clinic(api, client_for, outsider_pt):
    body = {"name": "Towel neck stretch", "category": "stretching", "body_regions": ["neck"], "equipment": ["none"],
            "difficulty": 1, "instructions": "Hold a towel behind your neck.", "default_sets": 2,
            "default_hold_seconds": 20}
    created = api.post("/api/v1/exercises/", body, format="json")
    assert created.status_code == 201, created.content
    exercise = created.json()
    assert exercise["is_custom"] and exercise["slug"] == "towel-neck-stretch"
    outsider = client_for(outsider_pt)
    assert outsider.get(f"/api/v1/exercises/{exercise['id']}/").status_code == 404
    ids = {row["id"] for row in outsider.get("/api/v1/exercises/", {"custom": "true"}).json()["results"]}
    assert exercise["id"] not in ids
    theirs = outsider.post("/api/v1/exercises/", {**body, "progression": exercise["id"]}, format="json")
    assert theirs.status_code == 400 and "progression" in theirs.json()


def test_the_shared_library_is_read_only(api):
    bird_dog = Exercise.objects.get(slug="bird-dog")
    response = api.patch(f"/api/v1/exercises/{bird_dog.pk}/", {"difficulty": 5}, format="json")
    assert response.status_code == 409
    assert Exercise.objects.get(pk=bird_dog.pk).difficulty == bird_dog.difficulty
