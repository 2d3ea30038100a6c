"""The windows a 12-week report is asked for. A plan counts once mature: S + 98 days ≤ the report
date (clinical-reference §5), so a window is chosen with that in mind."""

import datetime as dt

from outcomes.report import MATURE_AFTER_DAYS


def latest_mature_start(as_of: dt.date) -> dt.date:
    """The last start date of a plan that is mature by `as_of`."""
    return as_of - dt.timedelta(days=MATURE_AFTER_DAYS)


def report_presets(today: dt.date) -> dict[str, dict]:
    """The windows offered on the report form, as of the clinic's `today`: the last calendar quarter
    whose plans are all mature, and the 12 months before today (the monthly report's window)."""
    first, last = _last_mature_quarter(today)
    return {
        "last_quarter": {"label": f"Last quarter (Q{(first.month + 2) // 3} {first.year}, the latest whose plans "
                                  f"are all mature)", "start_from": first, "start_to": last, "as_of": today},
        "last_12_months": {"label": "Last 12 months (plans mature by today)",
                           "start_from": today - dt.timedelta(days=365), "start_to": latest_mature_start(today),
                           "as_of": today},
    }


def _last_mature_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    latest = latest_mature_start(today)
    first = _quarter_start(latest)
    last = _quarter_start(first + dt.timedelta(days=92)) - dt.timedelta(days=1)
    if last > latest:  # the quarter of `latest` still has plans to mature: the one before it
        last = first - dt.timedelta(days=1)
        first = _quarter_start(last)
    return first, last


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
