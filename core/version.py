import functools
import os
from pathlib import Path

VERSION = "1.0.0"
_ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def code_version() -> str:
    """The release and, when known, the commit: stored with every report snapshot."""
    commit = os.environ.get("MOVERX_COMMIT", "") or _git_commit()
    return f"{VERSION}+{commit[:12]}" if commit else VERSION


def _git_commit() -> str:
    head = _ROOT / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if not ref.startswith("ref: "):
            return ref
        name = ref[5:]
        loose = _ROOT / ".git" / name
        if loose.exists():
            return loose.read_text().strip()
        for line in (_ROOT / ".git" / "packed-refs").read_text().splitlines():
            if line.endswith(" " + name):
                return line.split()[0]
    except OSError:
        pass
    return ""
