"""Reading a stored 12-week report snapshot for people (the dashboard and the CSV export): names of
domains, figures and segments, and the small-cell rule of clinical-reference §5, applied the same way
everywhere. Nothing here computes a figure; the snapshot is the input."""

import numbers

from outcomes.report import SMALL_CELL

SUPPRESSED = f"n < {SMALL_CELL}"
SMALL_COUNT = f"< {SMALL_CELL}"

DOMAIN_LABELS = {"pain": "Pain (NPRS)", "function": "Function (ODI)", "depression": "Depression (PHQ-9)",
                 "anxiety": "Anxiety (GAD-7)", "psfs": "Patient-specific function (PSFS)"}
SEGMENT_PREFIX = {"episode_type": "Episode: ", "pt": "PT ", "coach": "Coach "}
NO_COACH = "No coach"

# Version 1 snapshots list no suppressed figures: each figure's base (the shape agreed for v2, §5).
_V1_BASE = {"completion_rate": "n_included", "responders_mcid_all_included": "n_included"}
_V1_COUNTS = {"n_included", "n_completers", "percent_improvement_distribution"}


def method_version(snapshot: dict) -> str:
    """Snapshots stored before clinical method v2 carry no `method_version`: they are version 1."""
    return str(snapshot.get("method_version", "1"))


def is_small_count(n) -> bool:
    return isinstance(n, numbers.Number) and 0 < n < SMALL_CELL


def count_text(n) -> str:
    """A count as every page and export shows it: 1–9 as "< 10" (a count of 0 reveals no one)."""
    if n is None:
        return "—"
    return SMALL_COUNT if is_small_count(n) else str(n)


def suppressed_names(figures: dict) -> frozenset[str]:
    """The figures of one domain (or view) that are shown as "n < 10"."""
    if "suppressed_figures" in figures:
        return frozenset(figures["suppressed_figures"])
    return frozenset(name for name in figures if name not in _V1_COUNTS
                     and is_small_count(figures.get(_V1_BASE.get(name.removeprefix("ci95_"), "n_completers"))))


def distribution_hidden(figures: dict) -> bool:
    """§5: a distribution over fewer than 10 completers is one small cell: where its few plans lie
    (which bins are empty) is as telling as their counts, so no bin is shown."""
    return "percent_improvement_distribution" in suppressed_names(figures)


def segment_label(segment_by: str, segment: dict, names: dict[str, str] | None = None) -> str:
    """"PT Priya Shah", "Episode: chronic", "No coach". Version 1 snapshots stored only the key
    (a staff id for PT and coach): `names` maps those ids to names."""
    key = str(segment["segment"])
    label = segment.get("label") or (names or {}).get(key) or key
    if segment_by == "coach" and (key == "none" or label == NO_COACH):
        return NO_COACH
    return f"{SEGMENT_PREFIX.get(segment_by, '')}{label}"


def segment_plans(segment: dict) -> int | None:
    """The plans of a segment. Version 1 did not store them: its adherence counted only plans with a
    target and each domain its included plans, so the larger of those is the best it can say."""
    if "n_plans" in segment:
        return segment["n_plans"]
    counts = [(segment.get("adherence") or {}).get("n_plans") or 0]
    counts += [figures.get("n_included") or 0 for figures in (segment.get("results") or {}).values()]
    return max(counts)
