from django import template

register = template.Library()


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
def get(mapping, key):
    return mapping.get(key) if mapping else None
