"""`.env.example` lists every environment variable the code reads (STYLE.md habit 12): a new
`env("X")`, `os.environ.get("X")` or `os.getenv("X")` outside tests/ fails here until it is listed."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRECTORIES = {".venv", ".data", "tests", "node_modules", "staticfiles", ".git"}
ENV_READERS = {"get", "getenv", "setdefault", "str", "bool", "int", "float", "list", "json", "url", "path"}
LISTED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def product_modules():
    for path in ROOT.rglob("*.py"):
        if not SKIPPED_DIRECTORIES & set(path.relative_to(ROOT).parts):
            yield path


def _receiver(node: ast.expr) -> str:
    """`env`, `os.environ`, `os`: the dotted name a call is made on."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_receiver(node.value)}.{node.attr}"
    return ""


def _variable_read(node: ast.AST) -> str | None:
    """The variable's name when `node` reads one from the environment, given as a literal."""
    if isinstance(node, ast.Subscript) and _receiver(node.value) == "os.environ":
        key = node.slice
    elif isinstance(node, ast.Call) and node.args:
        func = node.func
        direct = isinstance(func, ast.Name) and func.id == "env"
        method = isinstance(func, ast.Attribute) and func.attr in ENV_READERS and _receiver(func.value) in {
            "env", "os.environ", "os"}
        if not (direct or method):
            return None
        key = node.args[0]
    else:
        return None
    return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None


def variables_read(source: str) -> set[str]:
    return {name for node in ast.walk(ast.parse(source)) if (name := _variable_read(node))}


def variables_listed() -> set[str]:
    return set(LISTED.findall((ROOT / ".env.example").read_text(encoding="utf-8")))


def test_the_reader_finds_every_way_the_code_reads_the_environment():
    source = """
import os
A = env("A_VAR", default="")
B = env.int("B_VAR", default=1)
C = os.environ.get("C_VAR", "x")
D = os.getenv("D_VAR")
E = os.environ["E_VAR"]
os.environ.setdefault("F_VAR", "y")
G = settings.get("NOT_AN_ENV_READ")
"""
    assert variables_read(source) == {"A_VAR", "B_VAR", "C_VAR", "D_VAR", "E_VAR", "F_VAR"}


def test_env_example_lists_every_variable_the_code_reads():
    read = {name: path.relative_to(ROOT) for path in product_modules()
            for name in variables_read(path.read_text(encoding="utf-8"))}
    missing = {name: str(path) for name, path in read.items() if name not in variables_listed()}
    assert not missing, f"add these to .env.example (with a safe default and a one-line comment): {missing}"
    assert len(read) > 40  # the scan sees the settings modules, not an empty tree
