from django.urls import re_path
from rest_framework.routers import DefaultRouter


class Router(DefaultRouter):
    """The API router: no root view, no format suffixes, and file downloads (`export.csv`)
    addressed like files, without a trailing slash (API.md)."""

    include_root_view = False
    include_format_suffixes = False

    def get_urls(self):
        urls = []
        for url in super().get_urls():
            pattern = url.pattern.regex.pattern
            if pattern.endswith(r".csv/$"):
                url = re_path(pattern[: -len("/$")] + "$", url.callback, name=url.name)
            urls.append(url)
        return urls
