"""Serve plotly.js from the `plotly` Python package (pinned in requirements.txt): the charts work
offline, with no CDN and no JavaScript build step."""

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"
FILES = {"vendor/plotly.min.js": "plotly.min.js"}


class VendorFinder(BaseFinder):
    storage = FileSystemStorage(location=PLOTLY_DIR)

    def check(self, **kwargs):
        missing = [name for name in FILES.values() if not (PLOTLY_DIR / name).exists()]
        return [f"plotly.js is missing from the plotly package: {missing}"] if missing else []

    def find(self, path, find_all=False, **kwargs):
        if path not in FILES:
            return [] if find_all else None
        found = str(PLOTLY_DIR / FILES[path])
        return [found] if find_all else found

    def list(self, ignore_patterns):
        for public, name in FILES.items():
            yield name, _PrefixedStorage(public)


class _PrefixedStorage(FileSystemStorage):
    """collectstatic copies the file under its public name (`vendor/plotly.min.js`)."""

    def __init__(self, public_name):
        super().__init__(location=PLOTLY_DIR)
        self.prefix = str(Path(public_name).parent)
