"""docker-compose.yml cannot be started here (no Docker engine); check its shape instead."""

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).resolve().parent.parent / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_production_shape():
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(SERVICES)
    assert "gunicorn" in SERVICES["web"]["command"]
    assert SERVICES["worker"]["command"][:3] == ["celery", "-A", "config"] and "worker" in SERVICES["worker"]["command"]
    assert "beat" in SERVICES["beat"]["command"]


def test_health_checks_and_volumes():
    for name in ("web", "worker", "postgres", "redis"):
        assert SERVICES[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert set(COMPOSE["volumes"]) == {"postgres-data", "redis-data"}


def test_app_services_get_their_configuration_from_the_environment():
    for name in ("web", "worker", "beat", "migrate"):
        service = SERVICES[name]
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert service["environment"]["DATABASE_URL"].startswith("postgres://")
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_migrate_runs_as_the_owner_and_the_app_runs_as_the_role_it_grants():
    def user(url):
        return url.split("://", 1)[1].split(":", 1)[0]

    migrate = SERVICES["migrate"]
    owner = SERVICES["postgres"]["environment"]["POSTGRES_USER"]
    assert user(migrate["environment"]["DATABASE_URL"]) == owner
    assert "grant_app_role" in " ".join(migrate["command"]).split("migrate --noinput", 1)[1]
    app_url = migrate["environment"]["DATABASE_APP_URL"]
    assert user(app_url) != owner
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["environment"]["DATABASE_URL"] == app_url, name
        assert SERVICES[name]["environment"]["POSTGRES_PASSWORD"] == "", name  # not the owner's, from .env
