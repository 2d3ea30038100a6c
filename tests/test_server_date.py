"""No code and no test reads the server's date or a naive now (DESIGN.md, Time): a day is the patient's
or the clinic's (`core.clock.local_today`), a test's day is `tests.factories.today()` and its typed
times `tests.factories.local_now()`. This fails on a new `date.today()`, `datetime.now()` without a
zone, `datetime.utcnow()`, `timezone.now().date()` or `timezone.localdate()` anywhere in the project."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRECTORIES = {".venv", ".data", "node_modules", "staticfiles", ".git"}
DATE_CLASSES = {"date", "datetime"}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _zone_given(call: ast.Call) -> bool:
    return bool(call.args) or any(keyword.arg == "tz" for keyword in call.keywords)


def _server_date_use(node: ast.AST) -> str | None:
    """What is wrong with `node`, when it reads the server's date or a naive time."""
    if isinstance(node, ast.Attribute) and node.attr in {"today", "utcnow", "utcfromtimestamp"} and _name(
            node.value) in DATE_CLASSES:
        return f"{_name(node.value)}.{node.attr}: the server's date or a naive time"
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return None
    func = node.func
    if func.attr == "now" and _name(func.value) == "datetime" and not _zone_given(node):
        return "datetime.now() without a zone"
    if func.attr == "fromtimestamp" and _name(func.value) == "datetime" and len(node.args) < 2 and not any(
            keyword.arg == "tz" for keyword in node.keywords):
        return "datetime.fromtimestamp() without a zone"
    if func.attr == "localdate" and _name(func.value) == "timezone" and not node.args:
        return "timezone.localdate() without a zone"
    now = func.value
    if func.attr == "date" and isinstance(now, ast.Call) and _name(now.func) == "now" and not _zone_given(now):
        return "now().date(): the UTC day, not the patient's or clinic's"
    return None


def server_date_uses(source: str) -> list[tuple[int, str]]:
    return sorted((node.lineno, problem) for node in ast.walk(ast.parse(source))
                  if (problem := _server_date_use(node)))


def test_the_check_finds_each_way_of_reading_the_server_date():
    source = """
a = date.today()
b = dt.date.today
c = datetime.now()
d = dt.datetime.utcnow()
e = timezone.now().date()
f = timezone.localdate()
g = dt.datetime.fromtimestamp(0)
fine = [dt.datetime.now(dt.UTC), datetime.now(tz=UTC), local_today(tz), timezone.now(), timezone.localdate(now, tz),
        dt.datetime.fromtimestamp(0, dt.UTC), timezone.now().astimezone(zone).date()]
"""
    assert [line for line, _ in server_date_uses(source)] == [2, 3, 4, 5, 6, 7, 8]


def test_no_module_reads_the_server_date():
    found = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if SKIPPED_DIRECTORIES & set(relative.parts):
            continue
        for line, problem in server_date_uses(path.read_text(encoding="utf-8")):
            found[f"{relative}:{line}"] = problem
    assert not found, f"use core.clock.local_today / tests.factories.today() or local_now(): {found}"
