"""The layering rule (README, Architecture; DESIGN.md): an app's code imports only from its own
layer's app or below; web and demo may import everything. Checked on the source with `ast`, so a lazy
import inside a function counts as much as one at the top of a module, and so does a string naming a
higher app's module, template or URL (`"web/locked.html"`, `reverse("web:patient")`)."""

import ast
import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent

# core < accounts < patients < careplans < exercises < coaching, outcomes < web, demo
RANK = {"core": 0, "accounts": 1, "patients": 2, "careplans": 3, "exercises": 4,
        "coaching": 5, "outcomes": 5, "web": 6, "demo": 6}
COMPOSERS = {"web", "demo"}  # the top: they compose every app


NAMED_APP = re.compile(r"^([a-z]+)[.:/]\w")  # "web.views.x", "web:patient", "web/locked.html"


def imported_modules(tree: ast.AST):
    """(line, module) of every absolute import in a module, and of every string naming one."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and NAMED_APP.match(node.value):
            yield node.lineno, node.value


def upward_imports(root: Path = ROOT) -> list[str]:
    """`app/module.py:line refers to other.module` for every import of an app at a higher layer, or
    of another app at the same layer (coaching and outcomes know nothing of each other)."""
    found = []
    for app, rank in RANK.items():
        if app in COMPOSERS:
            continue
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # history: a migration may name an app's table as it was at the time
            for line, module in imported_modules(ast.parse(path.read_text(), str(path))):
                target = re.split(r"[.:/]", module)[0]
                if target in RANK and target != app and RANK[target] >= rank:
                    found.append(f"{path.relative_to(root)}:{line} refers to {module}")
    return found


def test_every_app_has_a_layer():
    """A new app is placed in RANK (and in the README's rule) before it is checked."""
    assert {path.parent.name for path in ROOT.glob("*/apps.py")} == set(RANK)


def test_no_app_imports_a_higher_layer():
    assert upward_imports() == []


def test_the_check_names_an_upward_import(tmp_path):
    """The check itself: a lower app importing a higher one is reported with its module and line."""
    (tmp_path / "patients").mkdir()
    (tmp_path / "patients" / "selectors.py").write_text(
        "from patients.models import Patient\n\n\ndef f():\n    from exercises.selectors import patient_list\n")
    (tmp_path / "coaching").mkdir()
    (tmp_path / "coaching" / "services.py").write_text("import outcomes.selectors\nfrom core import clock\n")
    (tmp_path / "accounts").mkdir()
    (tmp_path / "accounts" / "lockout.py").write_text(
        'def page(request):\n    return render(request, "web/locked.html", {"to": reverse("accounts:me")})\n')
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "views.py").write_text("from outcomes.api import PatientViewSet\n")
    assert upward_imports(tmp_path) == [
        "accounts/lockout.py:2 refers to web/locked.html",
        "patients/selectors.py:5 refers to exercises.selectors",
        "coaching/services.py:1 refers to outcomes.selectors",
    ]


def test_the_alert_link_is_the_web_patient_page():
    """patients.services builds the alert e-mail's link from a setting, since it cannot reverse a
    web URL name; the setting must name the page web serves."""
    assert settings.PATIENT_PAGE_PATH.format(patient_id=117) == reverse("web:patient", args=[117])
