from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and synthetic data. Top of the dependency graph: it may use every app's services."""

    name = "demo"
