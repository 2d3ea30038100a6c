import datetime as dt

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.html import format_html

from core.bounds import is_suspect
from outcomes.instruments import PGIC_ANSWERS
from web.navigation import navigation

register = template.Library()
SUSPECT_TITLE = ("No real record has this date: it was stored before dates were checked. "
                 "Record a correction with the right date.")


@register.filter
def percent(share, digits=0):
    """0.456 → "46%"; empty when there is no figure."""
    if share is None or share == "":
        return "—"
    return f"{share * 100:.{int(digits)}f}%"


@register.filter
def number(value, digits=1):
    if value is None or value == "":
        return "—"
    return f"{value:.{int(digits)}f}"


@register.filter
def words(value):
    """snake_case codes as words: "moderately_severe" → "moderately severe"."""
    return str(value or "").replace("_", " ")


@register.filter
def pgic_answer(score):
    """A PGIC score in the words the patient chose (clinical-reference §1): 2 → "much improved"."""
    return PGIC_ANSWERS.get(int(score), "")


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter(expects_localtime=False)
def when(value, fmt="M j, Y H:i"):
    """A stored date or time as `date:fmt` shows it, in the page's local time. A suspect one
    (core.bounds: before 1900 or years ahead) is shown as stored, in UTC, and marked: local time
    and date arithmetic do not exist for it."""
    if value is None or value == "":
        return ""
    if is_suspect(value):
        return format_html('<span class="suspect" title="{}">{} <span class="badge warn">suspect date</span></span>',
                           SUSPECT_TITLE, value.isoformat())
    return date_filter(timezone.localtime(value) if isinstance(value, dt.datetime) else value, fmt)


@register.filter(expects_localtime=False)
def iso(value):
    """ISO 8601 as stored (UTC), for machine-readable attributes such as <time datetime>."""
    return value.isoformat() if value else ""


@register.filter(name="suspect", expects_localtime=False)
def suspect_filter(value, field="") -> bool:
    """`{% if patient.date_of_birth|suspect:"date_of_birth" %}`: judged by that field's kind."""
    return is_suspect(value, field)


@register.simple_tag
def navigation_for(user):
    """The main menu's links for `user` (web.navigation)."""
    return navigation(user)
