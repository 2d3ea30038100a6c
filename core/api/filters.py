import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_filters import rest_framework as drf_filters
from rest_framework import exceptions, filters

MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    default_validators = [MinValueValidator(1), MaxValueValidator(MAX_ID)]


class IdFilter(django_filters.Filter):
    """`?patient=12`: an integer id in the range of a database id, else 400 (never a 500)."""

    field_class = IdField


class SearchFilter(django_filters.CharFilter):
    """Every whitespace-separated term must match one of `fields` (case-insensitive substring)."""

    def __init__(self, *, fields, **kwargs):
        self.search_fields = fields
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def filter(self, qs, value):
        for term in (value or "").split()[:5]:
            match = Q()
            for field in self.search_fields:
                match |= Q(**{f"{field}__icontains": term})
            qs = qs.filter(match)
        return qs


class StrictBooleanField(forms.NullBooleanField):
    """`true`/`false` (or `1`/`0`); anything else is a 400, not silently "no filter"."""

    widget = forms.TextInput
    _VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if str(value).lower() not in self._VALUES:
            raise ValidationError("Enter true or false.", code="invalid")
        return self._VALUES[str(value).lower()]


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class FilterSet(drf_filters.FilterSet):
    """The filter set generated for a view's `filterset_fields`: booleans are strict too."""

    FILTER_DEFAULTS = {
        **drf_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
    }


class FilterBackend(drf_filters.DjangoFilterBackend):
    filterset_base = FilterSet


class IncludeSupersededFilter(BooleanFilter):
    """`?include_superseded=true` also lists corrected rows. It validates and documents the
    parameter; CorrectableListMixin decides (a corrected row stays reachable by its id)."""

    def filter(self, qs, value):
        return qs

    @classmethod
    def wanted(cls, query_params) -> bool:
        return cls.field_class().to_python(query_params.get("include_superseded")) is True


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=-created_at,id` over the view's `ordering_fields`; an unknown field is a 400,
    not silently the default order."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if not raw:
            return self.get_default_ordering(view)
        terms = [term.strip() for term in raw.split(",")]
        valid = self.remove_invalid_fields(queryset, terms, view, request)
        if len(valid) != len(terms):
            allowed = ", ".join(name for name, _ in self.get_valid_fields(queryset, view, {"request": request}))
            raise exceptions.ValidationError(
                {self.ordering_param: [f"Order by one or more of: {allowed} (- before a field: descending)."]})
        return valid

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        fields = [name if isinstance(name, str) else name[0] for name in getattr(view, "ordering_fields", None) or []]
        for parameter in parameters:
            parameter["description"] = f"Comma-separated, `-` for descending; fields: {', '.join(fields)}."
        return parameters
