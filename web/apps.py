from django.apps import AppConfig


class WebConfig(AppConfig):
    """The clinicians' web workspaces: server-rendered pages over the same services and selectors
    as the API. Top of the dependency graph."""

    name = "web"
